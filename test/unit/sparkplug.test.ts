import fc from 'fast-check';
import * as proto from 'sparkplug-payload/lib/sparkplugPayloadProto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sampleProblems, makeSample, type TagSample } from '../../src/model/sample';
import type { MessageHandler, Subscription } from '../../src/connectors/mqtt/connection';
import { brokerSettings } from '../../src/connectors/mqtt/options';
import { SparkplugEdge } from '../../src/connectors/mqtt/sparkplug/edge';
import { EdgeSession } from '../../src/connectors/mqtt/sparkplug/edge-session';
import { SparkplugHost, metricQuality } from '../../src/connectors/mqtt/sparkplug/host';
import { DataType, decodeRaw, encodeSparkplug, holderValue, toMetricValue } from '../../src/connectors/mqtt/sparkplug/payload';
import { tahuDecode, tahuEncode } from '../helpers/sparkplug-tahu';
import { parseSparkplugTopic, sparkplugTopic } from '../../src/connectors/mqtt/sparkplug/topic';

const PB = proto.org.eclipse.tahu.protobuf;
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

/** A payload encoded straight with the protobuf classes (to build what the library's encoder cannot). */
function rawPayload(p: proto.org.eclipse.tahu.protobuf.IPayload): Buffer {
  return Buffer.from(PB.Payload.encode(PB.Payload.create(p)).finish());
}

function birth(seq = 0, bdSeq = 3): Buffer {
  return Buffer.from(
    tahuEncode({
      timestamp: T0,
      seq,
      metrics: [
        { name: 'bdSeq', type: 'Int64', value: bdSeq },
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
        { name: 'Tank/Level', alias: 1, type: 'Double', value: 41.5, timestamp: T0 - 100, properties: { engUnit: { type: 'String', value: '%' } } },
        { name: 'Pump/Running', alias: 2, type: 'Boolean', value: true },
        { name: 'Pump/Starts', alias: 3, type: 'UInt32', value: 7 },
        { name: 'Valve/Offset', alias: 4, type: 'Int8', value: -5 },
        { name: 'Line/Name', alias: 5, type: 'String', value: 'L1' },
      ],
    }),
  );
}

describe('Sparkplug topics', () => {
  it('parses node, device and STATE topics and rejects malformed ones', () => {
    expect(parseSparkplugTopic('spBv1.0/G1/NBIRTH/E1')).toEqual({ group: 'G1', type: 'NBIRTH', edgeNode: 'E1' });
    expect(parseSparkplugTopic('spBv1.0/G1/DDATA/E1/D1')).toEqual({ group: 'G1', type: 'DDATA', edgeNode: 'E1', device: 'D1' });
    expect(parseSparkplugTopic('spBv1.0/STATE/host1')).toEqual({ type: 'STATE', hostId: 'host1' });
    expect(parseSparkplugTopic('spBv1.0/G1/DDATA/E1')).toBeUndefined();
    expect(parseSparkplugTopic('spBv1.0/G1/NDATA/E1/D1')).toBeUndefined();
    expect(parseSparkplugTopic('spBv1.0/G1/FOO/E1')).toBeUndefined();
    expect(parseSparkplugTopic('plant/G1/NDATA/E1')).toBeUndefined();
    expect(sparkplugTopic('G', 'NCMD', 'E')).toBe('spBv1.0/G/NCMD/E');
  });
});

describe('Sparkplug payload values', () => {
  it('decodes every scalar datatype, also without the datatype (taken from the BIRTH)', () => {
    const cases: Array<[number, proto.org.eclipse.tahu.protobuf.Payload.IMetric, unknown]> = [
      [DataType.Int8, { intValue: 0xfb }, -5],
      [DataType.Int16, { intValue: 0xfffe }, -2],
      [DataType.Int32, { intValue: 0xffffffff }, -1],
      [DataType.UInt8, { intValue: 200 }, 200],
      [DataType.UInt16, { intValue: 65000 }, 65000],
      [DataType.UInt32, { intValue: 3_000_000_000 }, 3_000_000_000],
      [DataType.UInt32, { longValue: 3_000_000_000 }, 3_000_000_000],
      [DataType.Int64, { longValue: -42 }, -42],
      [DataType.UInt64, { longValue: '18446744073709551615' as unknown as number }, '18446744073709551615'],
      [DataType.Float, { floatValue: 0.1 }, 0.1],
      [DataType.Double, { doubleValue: 0.1 }, 0.1],
      [DataType.Boolean, { booleanValue: true }, true],
      [DataType.String, { stringValue: 'x' }, 'x'],
      [DataType.DateTime, { longValue: T0 }, new Date(T0).toISOString()],
    ];
    for (const [dt, fields, expected] of cases) {
      const buf = rawPayload({ metrics: [{ alias: 1, ...fields }] });
      const m = decodeRaw(buf).metrics![0]!;
      expect(holderValue(m as never, dt), `datatype ${dt}`).toEqual(expected);
    }
  });

  it('decodes the Sparkplug 3.0 array types from bytes_value', () => {
    const i16 = Buffer.alloc(6);
    [-1, 2, 300].forEach((v, i) => i16.writeInt16LE(v, i * 2));
    const f = Buffer.alloc(8);
    f.writeFloatLE(1.5, 0);
    f.writeFloatLE(0.1, 4);
    const bools = Buffer.from([3, 0, 0, 0, 0b1010_0000]);
    const strings = Buffer.from('ab\u0000cd\u0000', 'utf8');
    const cases: Array<[number, Buffer, unknown]> = [
      [DataType.Int16Array, i16, [-1, 2, 300]],
      [DataType.FloatArray, f, [1.5, 0.1]],
      [DataType.BooleanArray, bools, [true, false, true]],
      [DataType.StringArray, strings, ['ab', 'cd']],
      [DataType.Bytes, Buffer.from([1, 2, 3]), 'AQID'],
    ];
    for (const [dt, bytes, expected] of cases) {
      const m = decodeRaw(rawPayload({ metrics: [{ name: 'a', datatype: dt, bytesValue: bytes }] })).metrics![0]!;
      expect(holderValue(m as never, dt), `datatype ${dt}`).toEqual(expected);
    }
  });

  it('refuses a payload that is not Sparkplug B protobuf', () => {
    expect(() => decodeRaw(Buffer.from('{"value": 1}'))).toThrow(/not a Sparkplug B payload/);
  });

  it('checks values against the metric datatype when publishing', () => {
    expect(toMetricValue('t', 12.6, 'Int16')).toBe(13);
    expect(() => toMetricValue('t', 70000, 'Int16')).toThrow(/tag "t": 70000 is outside the Int16 range -32768..32767/);
    expect(() => toMetricValue('t', 'abc', 'Double')).toThrow(/tag "t": a Double metric needs a number/);
    expect(toMetricValue('t', { a: 1 }, 'String')).toBe('{"a":1}');
  });

  it('maps a Quality property and is_null to sample quality', () => {
    expect(metricQuality({ isNull: false, isHistorical: false, isTransient: false, properties: { Quality: 192 } }).quality).toBe('good');
    expect(metricQuality({ isNull: false, isHistorical: false, isTransient: false, properties: { Quality: 64 } }).quality).toBe('uncertain');
    expect(metricQuality({ isNull: false, isHistorical: false, isTransient: false, properties: { Quality: 500 } }).quality).toBe('bad');
    expect(metricQuality({ isNull: true, isHistorical: false, isTransient: false }).quality).toBe('bad');
  });
});

describe('SparkplugHost', () => {
  const topic = (type: string, device?: string): string => `spBv1.0/G1/${type}/E1${device ? `/${device}` : ''}`;

  it('emits BIRTH values as samples with units and timestamps, without bdSeq and Node Control', () => {
    const host = new SparkplugHost();
    const r = host.handle(topic('NBIRTH'), birth(), T0 + 5)!;
    expect(r.warnings).toEqual([]);
    expect(r.rebirth).toBeUndefined();
    const byTag = Object.fromEntries(r.samples.map((s) => [s.tag, s]));
    expect(Object.keys(byTag).sort()).toEqual(['G1/E1/Line/Name', 'G1/E1/Pump/Running', 'G1/E1/Pump/Starts', 'G1/E1/Tank/Level', 'G1/E1/Valve/Offset']);
    expect(byTag['G1/E1/Tank/Level']).toMatchObject({ value: 41.5, unit: '%', quality: 'good', sourceTimestamp: new Date(T0 - 100).toISOString(), serverTimestamp: new Date(T0).toISOString() });
    expect(byTag['G1/E1/Valve/Offset']!.value).toBe(-5);
    for (const s of r.samples) expect(sampleProblems(s)).toEqual([]);
    expect(host.isOnline('G1', 'E1')).toBe(true);
  });

  it('resolves aliases in NDATA, also when the DATA metric has no name and no datatype', () => {
    const host = new SparkplugHost();
    host.handle(topic('NBIRTH'), birth(), T0);
    const data = rawPayload({
      timestamp: T0 + 1000,
      seq: 1,
      metrics: [
        { alias: 1, doubleValue: 42.25, timestamp: T0 + 990 },
        { alias: 3, longValue: 3_000_000_000 },
        { alias: 4, intValue: 0xfffffffd },
        { alias: 2, booleanValue: false },
      ],
    });
    const r = host.handle(topic('NDATA'), data, T0 + 1001)!;
    expect(r.warnings).toEqual([]);
    expect(r.samples.map((s) => [s.tag, s.value])).toEqual([
      ['G1/E1/Tank/Level', 42.25],
      ['G1/E1/Pump/Starts', 3_000_000_000],
      ['G1/E1/Valve/Offset', -3],
      ['G1/E1/Pump/Running', false],
    ]);
    expect(r.samples[0]).toMatchObject({ sourceTimestamp: new Date(T0 + 990).toISOString(), unit: '%' });
    expect(r.samples[1]!.sourceTimestamp, 'no metric timestamp: the payload timestamp').toBe(new Date(T0 + 1000).toISOString());
  });

  it('names only the metric with tagNames "metric"', () => {
    const host = new SparkplugHost({ tagNames: 'metric' });
    const r = host.handle(topic('NBIRTH'), birth(), T0)!;
    expect(r.samples.map((s) => s.tag)).toContain('Tank/Level');
  });

  it('asks for a rebirth on an unknown alias, at most once per hold-off', () => {
    const host = new SparkplugHost({ rebirthHoldoffMs: 1000 });
    host.handle(topic('NBIRTH'), birth(), T0);
    const unknown = (seq: number): Buffer => rawPayload({ timestamp: T0, seq, metrics: [{ alias: 99, doubleValue: 1 }, { alias: 1, doubleValue: 2 }] });
    const r1 = host.handle(topic('NDATA'), unknown(1), T0 + 10)!;
    expect(r1.samples.map((s) => s.value), 'the known alias is still delivered').toEqual([2]);
    expect(r1.warnings.join()).toMatch(/alias 99 not declared in its BIRTH: asked for a rebirth/);
    expect(r1.rebirth?.topic).toBe('spBv1.0/G1/NCMD/E1');
    const cmd = tahuDecode(r1.rebirth!.payload);
    expect(cmd.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
    const r2 = host.handle(topic('NDATA'), unknown(2), T0 + 500)!;
    expect(r2.rebirth, 'within the hold-off: no second request').toBeUndefined();
    const r3 = host.handle(topic('NDATA'), unknown(3), T0 + 1200)!;
    expect(r3.rebirth, 'after the hold-off: asks again').toBeDefined();
  });

  it('asks for a rebirth after a sequence gap, and accepts seq wrapping 255 → 0', () => {
    const host = new SparkplugHost();
    host.handle(topic('NBIRTH'), birth(254), T0);
    const d = (seq: number): Buffer => rawPayload({ timestamp: T0, seq, metrics: [{ alias: 1, doubleValue: seq }] });
    expect(host.handle(topic('NDATA'), d(255), T0)!.rebirth).toBeUndefined();
    expect(host.handle(topic('NDATA'), d(0), T0)!.rebirth, '255 → 0 is no gap').toBeUndefined();
    const gap = host.handle(topic('NDATA'), d(5), T0)!;
    expect(gap.warnings.join()).toMatch(/sequence gap: expected seq 1, got 5/);
    expect(gap.rebirth).toBeDefined();
    expect(gap.samples.map((s) => s.value), 'data after a gap is still delivered').toEqual([5]);
  });

  it('marks every tag bad on NDEATH with the session bdSeq, ignores a stale NDEATH', () => {
    const host = new SparkplugHost();
    host.handle(topic('NBIRTH'), birth(0, 7), T0);
    host.handle(topic('NDATA'), rawPayload({ timestamp: T0, seq: 1, metrics: [{ alias: 1, doubleValue: 50 }] }), T0);
    const stale = host.handle(topic('NDEATH'), Buffer.from(tahuEncode({ timestamp: T0 + 1, metrics: [{ name: 'bdSeq', type: 'Int64', value: 6 }] })), T0 + 1)!;
    expect(stale.samples).toEqual([]);
    expect(stale.warnings.join()).toMatch(/ignored an NDEATH with bdSeq 6: the current session was born with bdSeq 7/);
    expect(host.isOnline('G1', 'E1')).toBe(true);
    const death = host.handle(topic('NDEATH'), Buffer.from(tahuEncode({ timestamp: T0 + 2000, metrics: [{ name: 'bdSeq', type: 'Int64', value: 7 }] })), T0 + 2001)!;
    expect(death.samples).toHaveLength(5);
    for (const s of death.samples) {
      expect(s.quality).toBe('bad');
      expect(s.statusCode).toBe('NDEATH');
      expect(s.sourceTimestamp).toBe(new Date(T0 + 2000).toISOString());
    }
    expect(death.samples.find((s) => s.tag === 'G1/E1/Tank/Level')!.value, 'last known value kept').toBe(50);
    expect(host.isOnline('G1', 'E1')).toBe(false);
    const after = host.handle(topic('NDATA'), rawPayload({ timestamp: T0, seq: 2, metrics: [{ alias: 1, doubleValue: 1 }] }), T0 + 3000)!;
    expect(after.rebirth, 'data after death: ask for a birth').toBeDefined();
    expect(after.samples).toEqual([]);
  });

  it('handles devices: DBIRTH, DDATA by alias, DDEATH marks only that device bad', () => {
    const host = new SparkplugHost();
    host.handle(topic('NBIRTH'), birth(0), T0);
    const dbirth = Buffer.from(tahuEncode({ timestamp: T0, seq: 1, metrics: [{ name: 'Temp', alias: 10, type: 'Float', value: 20.5 }, { name: 'Alarm', alias: 11, type: 'Boolean', value: false }] }));
    const b = host.handle(topic('DBIRTH', 'D1'), dbirth, T0)!;
    expect(b.samples.map((s) => s.tag).sort()).toEqual(['G1/E1/D1/Alarm', 'G1/E1/D1/Temp']);
    const dd = host.handle(topic('DDATA', 'D1'), rawPayload({ timestamp: T0, seq: 2, metrics: [{ alias: 10, floatValue: 21.3 }] }), T0)!;
    expect(dd.samples).toEqual([expect.objectContaining({ tag: 'G1/E1/D1/Temp', value: 21.3 })]);
    const death = host.handle(topic('DDEATH', 'D1'), Buffer.from(tahuEncode({ timestamp: T0 + 9, seq: 3 })), T0 + 9)!;
    expect(death.samples.map((s) => [s.tag, s.quality, s.value])).toEqual([
      ['G1/E1/D1/Temp', 'bad', 21.3],
      ['G1/E1/D1/Alarm', 'bad', false],
    ]);
    const nodeData = host.handle(topic('NDATA'), rawPayload({ timestamp: T0, seq: 4, metrics: [{ alias: 1, doubleValue: 3 }] }), T0)!;
    expect(nodeData.samples[0]!.quality, 'the edge node itself is still fine').toBe('good');
  });

  it('data from an edge node without BIRTH: named metrics delivered, a rebirth requested', () => {
    const host = new SparkplugHost();
    const r = host.handle(topic('NDATA'), Buffer.from(tahuEncode({ timestamp: T0, seq: 9, metrics: [{ name: 'Tank/Level', type: 'Double', value: 3 }] })), T0)!;
    expect(r.rebirth).toBeDefined();
    expect(r.samples).toEqual([expect.objectContaining({ tag: 'G1/E1/Tank/Level', value: 3 })]);
  });

  it('connectionLost marks every tag bad; afterwards a seq that does not continue makes it ask for a rebirth', () => {
    const host = new SparkplugHost();
    host.handle(topic('NBIRTH'), birth(0), T0);
    const lost = host.connectionLost(T0 + 5);
    expect(lost).toHaveLength(5);
    expect(lost.every((s) => s.quality === 'bad' && s.statusCode === 'host disconnected')).toBe(true);
    const cont = host.handle(topic('NDATA'), rawPayload({ timestamp: T0, seq: 1, metrics: [{ alias: 1, doubleValue: 1 }] }), T0 + 6)!;
    expect(cont.rebirth, 'seq continues: same session, trusted').toBeUndefined();
    expect(cont.samples[0]!.value).toBe(1);
    host.connectionLost(T0 + 7);
    const jump = host.handle(topic('NDATA'), rawPayload({ timestamp: T0, seq: 40, metrics: [{ alias: 1, doubleValue: 2 }] }), T0 + 10_000)!;
    expect(jump.rebirth).toBeDefined();
    expect(jump.samples, 'alias-only data of a maybe-restarted edge node is not trusted').toEqual([]);
  });

  it('property: host samples have exactly the shape makeSample builds (fields, order, optional ones)', () => {
    const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true }), fc.boolean(), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(
        fc.array(fc.record({ value, ts: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: undefined }), unit: fc.constantFrom(undefined, '', '°C'), q: fc.constantFrom(undefined, 192, 64, 0) }), { minLength: 1, maxLength: 5 }),
        fc.integer({ min: 0, max: 4_102_444_800_000 }),
        (metrics, sentAt) => {
          const payload = Buffer.from(
            tahuEncode({
              timestamp: sentAt,
              seq: 0,
              metrics: metrics.map((m, i) => {
                const props: Record<string, { type: 'String' | 'Int32'; value: string | number }> = {};
                if (m.unit !== undefined) props.engUnit = { type: 'String', value: m.unit };
                if (m.q !== undefined) props.Quality = { type: 'Int32', value: m.q };
                const t = typeof m.value === 'number' ? 'Double' : typeof m.value === 'boolean' ? 'Boolean' : 'String';
                return { name: `m${i}`, alias: i + 1, type: t, value: m.value, ...(m.ts !== undefined ? { timestamp: m.ts } : {}), ...(Object.keys(props).length ? { properties: props } : {}) };
              }),
            }),
          );
          const r = new SparkplugHost().handle('spBv1.0/G/NBIRTH/E', payload, 1)!;
          r.samples.forEach((s, i) => {
            const m = metrics[i]!;
            const q = m.q === undefined ? undefined : m.q >= 192 ? 'good' : m.q >= 64 ? 'uncertain' : 'bad';
            const expected = makeSample(`G/E/m${i}`, m.value, { quality: q ?? 'good', sourceTimestamp: m.ts ?? sentAt, serverTimestamp: sentAt, unit: m.unit, statusCode: m.q });
            expect(JSON.stringify(s)).toBe(JSON.stringify(expected));
          });
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses a metric timestamp that is no date, naming the metric', () => {
    const p = rawPayload({ timestamp: T0, seq: 0, metrics: [{ name: 'X', datatype: DataType.Double, doubleValue: 1, timestamp: '18446744073709551615' as unknown as number }] });
    expect(() => new SparkplugHost().handle('spBv1.0/G/NBIRTH/E', p, T0)).toThrow(/G\/E: metric "X" has a timestamp that is no date/);
  });

  it('refuses a non-Sparkplug payload naming the topic', () => {
    const host = new SparkplugHost();
    expect(() => host.handle(topic('NDATA'), Buffer.from([0xff, 0xff, 0xff]))).toThrow(/spBv1.0\/G1\/NDATA\/E1: not a Sparkplug B payload/);
  });
});

describe('SparkplugEdge', () => {
  const s = (tag: string, value: number | boolean | string, t = T0, quality: 'good' | 'bad' = 'good'): TagSample => makeSample(tag, value, { sourceTimestamp: t, quality });

  it('builds an NBIRTH the Tahu library decodes: bdSeq, seq 0, Node Control/Rebirth, metrics with aliases', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E', bdSeq: 4 });
    expect(edge.update([s('A', 1.5), s('B', true)]).messages, 'before the first BIRTH values are only recorded').toEqual([]);
    const [nbirth] = edge.birth(T0);
    expect(nbirth!.topic).toBe('spBv1.0/G/NBIRTH/E');
    const p = tahuDecode(nbirth!.payload);
    expect(Number(p.seq)).toBe(0);
    const byName = Object.fromEntries((p.metrics ?? []).map((m) => [m.name, m]));
    expect(Number(byName.bdSeq!.value)).toBe(4);
    expect(byName['Node Control/Rebirth']).toMatchObject({ type: 'Boolean', value: false });
    expect(byName.A).toMatchObject({ type: 'Double', value: 1.5 });
    expect(byName.B).toMatchObject({ type: 'Boolean', value: true });
    expect(Number(byName.A!.alias)).toBe(1);
    const death = tahuDecode(edge.death().payload);
    expect(Number(death.metrics![0]!.value), 'NDEATH carries the same bdSeq').toBe(4);
  });

  it('reports by exception, by alias, and needs a rebirth for a new tag', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E' });
    edge.update([s('A', 1), s('B', 2)]);
    edge.birth(T0);
    const u1 = edge.update([s('A', 1, T0 + 1), s('B', 3, T0 + 1)], T0 + 1);
    expect(u1.birth).toBe(false);
    const p = tahuDecode(u1.messages[0]!.payload);
    expect(Number(p.seq)).toBe(1);
    expect(p.metrics!.map((m) => [m.name, Number(m.alias), m.value])).toEqual([[undefined, 2, 3]]);
    expect(edge.update([s('A', 1, T0 + 2)]).messages, 'unchanged value: nothing to send').toEqual([]);
    const q = edge.update([s('A', 1, T0 + 3, 'bad')]);
    const qm = tahuDecode(q.messages[0]!.payload).metrics![0]!;
    expect(qm.properties?.Quality, 'a quality change is sent with a Quality property').toMatchObject({ value: 0 });
    const c = edge.update([s('C', 'x')]);
    expect(c.birth, 'a new tag: born again').toBe(true);
    expect(c.messages.map((m) => m.topic)).toEqual(['spBv1.0/G/NBIRTH/E']);
    expect(tahuDecode(c.messages[0]!.payload).metrics!.map((m) => m.name)).toEqual(['bdSeq', 'Node Control/Rebirth', 'A', 'B', 'C']);
  });

  it('a new device or device metric after the birth: a DBIRTH of that device only', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E', devices: ['D1'] });
    edge.update([s('A', 1)], T0, 'D1');
    expect(edge.birth(T0).map((m) => m.topic)).toEqual(['spBv1.0/G/NBIRTH/E', 'spBv1.0/G/DBIRTH/E/D1']);
    const d2 = edge.update([s('B', 2)], T0, 'D2');
    expect(d2.messages.map((m) => m.topic)).toEqual(['spBv1.0/G/DBIRTH/E/D2']);
    expect(Number(tahuDecode(d2.messages[0]!.payload).seq)).toBe(2);
    const d1 = edge.update([s('C', 3)], T0, 'D1');
    expect(tahuDecode(d1.messages[0]!.payload).metrics!.map((m) => m.name)).toEqual(['Device Control/Rebirth', 'A', 'C']);
    expect(edge.command('spBv1.0/G/DCMD/E/D2', encodeSparkplug({ timestamp: T0, metrics: [{ name: 'Device Control/Rebirth', type: 'Boolean', value: true }] }))).toEqual({ rebirth: false, deviceRebirth: 'D2', ignored: [] });
  });

  it('rejects a value that does not fit the declared metric type, naming the tag, without changing anything', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E', metrics: [{ name: 'Count', type: 'UInt16' }] });
    edge.birth(T0);
    expect(() => edge.update([s('Other', 1), s('Count', -1)])).toThrow(/tag "Count": -1 is outside the UInt16 range/);
    expect(edge.metricCount, 'the batch was not half applied').toBe(1);
  });

  it('answers NCMD Node Control/Rebirth and ignores other commands', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E' });
    const cmd = encodeSparkplug({ timestamp: T0, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }, { name: 'Setpoint', type: 'Double', value: 3 }] });
    expect(edge.command('spBv1.0/G/NCMD/E', cmd)).toEqual({ rebirth: true, ignored: ['Setpoint'] });
    expect(edge.command('spBv1.0/G/NCMD/Other', cmd)).toBeUndefined();
  });

  it('with a device: NBIRTH with node controls only, DBIRTH and DDATA with the metrics', () => {
    const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E', device: 'D' });
    edge.update([s('A', 1)]);
    const [nb, db] = edge.birth(T0);
    expect(nb!.topic).toBe('spBv1.0/G/NBIRTH/E');
    expect(tahuDecode(nb!.payload).metrics!.map((m) => m.name)).toEqual(['bdSeq', 'Node Control/Rebirth']);
    expect(db!.topic).toBe('spBv1.0/G/DBIRTH/E/D');
    expect(Number(tahuDecode(db!.payload).seq)).toBe(1);
    expect(edge.update([s('A', 2)]).messages[0]!.topic).toBe('spBv1.0/G/DDATA/E/D');
  });

  it('property: whatever tags and values come, a host following the edge ends with the same values and no warnings', () => {
    const tags = ['A', 'B', 'C', 'Line1/Speed', 'Line1/State'];
    const value = fc.oneof(fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e9, max: 1e9 }), fc.boolean(), fc.string({ maxLength: 8 }));
    const batch = fc.array(fc.record({ tag: fc.constantFrom(...tags), value, bad: fc.boolean() }), { minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(fc.array(batch, { minLength: 1, maxLength: 300 }), fc.constantFrom(undefined, 'D1'), (batches, device) => {
        const edge = new SparkplugEdge({ group: 'G', edgeNode: 'E', device });
        const host = new SparkplugHost({ tagNames: 'metric' });
        const last = new Map<string, { value: unknown; quality: string }>();
        const types = new Map<string, string>();
        const hostValues = new Map<string, { value: unknown; quality: string }>();
        const feed = (msgs: Array<{ topic: string; payload: Buffer }>): void => {
          for (const m of msgs) {
            const r = host.handle(m.topic, m.payload, T0)!;
            expect(r.warnings).toEqual([]);
            for (const x of r.samples) hostValues.set(x.tag, { value: x.value, quality: x.quality });
          }
        };
        let t = T0;
        for (const b of batches) {
          // Each tag keeps the JS type of its first value (its metric's datatype).
          const samples: TagSample[] = [];
          for (const x of b) {
            if ((types.get(x.tag) ?? typeof x.value) !== typeof x.value) continue;
            types.set(x.tag, typeof x.value);
            samples.push(makeSample(x.tag, x.value, { sourceTimestamp: ++t, quality: x.bad ? 'bad' : 'good' }));
          }
          if (!samples.length) continue;
          for (const x of samples) last.set(x.tag, { value: x.value, quality: x.quality });
          const r = edge.update(samples);
          feed(edge.hasBirth ? r.messages : edge.birth());
        }
        for (const [tag, v] of last) expect(hostValues.get(tag), tag).toEqual(v);
      }),
      { numRuns: 60 },
    );
  });
});

/**
 * EdgeSession with a primary host, on a fake connection (its MqttConnection
 * with open/subscribe/publish/connected replaced): connects, drops and STATE
 * messages happen exactly in the order a test says.
 */
describe('EdgeSession with a primary host (fake connection)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
  });

  async function fakeEdge() {
    const session = new EdgeSession(brokerSettings({}), { group: 'G', edgeNode: 'E1', primaryHost: 'scada', metrics: [{ name: 'Level', type: 'Double' }] });
    const conn = session.conn;
    let connected = false;
    const handlers = new Map<string, MessageHandler>();
    const sent: Array<{ type: string; payload: Buffer }> = [];
    vi.spyOn(conn, 'connected', 'get').mockImplementation(() => connected);
    vi.spyOn(conn, 'open').mockResolvedValue();
    vi.spyOn(conn, 'subscribe').mockImplementation((filter: string, handler: MessageHandler): Subscription => {
      handlers.set(filter, handler);
      return { filter, close: async () => undefined };
    });
    vi.spyOn(conn, 'publish').mockImplementation(async (topic: string, payload: string | Buffer | Uint8Array) => {
      sent.push({ type: topic.split('/')[2]!, payload: Buffer.from(payload) });
    });
    await session.start();
    /** Lets the session's publishing chain run. */
    const settle = (): Promise<void> => new Promise((r) => setImmediate(r));
    return {
      session,
      sent,
      settle,
      types: (): string[] => sent.map((m) => m.type),
      async connect(): Promise<void> {
        connected = true;
        conn.emit('connect', { sessionPresent: false, first: false });
        await settle();
      },
      async drop(): Promise<void> {
        connected = false;
        conn.emit('disconnect');
        await settle();
      },
      async state(online: boolean, timestamp: number): Promise<void> {
        const topic = 'spBv1.0/STATE/scada';
        handlers.get(topic)!(topic, Buffer.from(JSON.stringify({ online, timestamp })), { retain: false } as never);
        await settle();
      },
      async publish(value: number, t: number): Promise<void> {
        await session.publish([makeSample('Level', value, { sourceTimestamp: T0 + t })]);
      },
    };
  }
  const bdSeqOf = (m: { payload: Buffer }): number => Number(tahuDecode(m.payload).metrics!.find((x) => x.name === 'bdSeq')!.value);
  const historicalValues = (ms: Array<{ type: string; payload: Buffer }>): unknown[] =>
    ms.filter((m) => m.type === 'NDATA').flatMap((m) => (tahuDecode(m.payload).metrics ?? []).filter((x) => x.isHistorical).map((x) => x.value));

  it('after a lost connection waits for a STATE online again before the BIRTH: the STATE seen before the outage does not count', async () => {
    const f = await fakeEdge();
    await f.connect();
    expect(f.types(), 'no BIRTH before the host is online').toEqual([]);
    await f.state(true, 1000);
    expect(f.types()).toEqual(['NBIRTH']);
    await f.publish(1, 1);
    expect(f.types()).toEqual(['NBIRTH', 'NDATA']);

    // The broker goes away (for the host too); values meanwhile are kept.
    await f.drop();
    await f.publish(2, 2);
    await f.publish(3, 3);
    expect(f.session.buffered).toBe(2);
    // Reconnect attempts after the values were kept: the status still counts them, first (node statuses are cut to 48 characters).
    f.session.conn.emit('state', { state: 'reconnecting', text: 'reconnecting to mqtt://broker.example.com:1883' });
    expect(f.session.state.text).toBe('2 buffered · reconnecting to mqtt://broker.example.com:1883');
    f.session.conn.emit('state', { state: 'error', text: 'connection refused: is the broker running?' });
    expect(f.session.state.text).toBe('2 buffered · connection refused: is the broker running?');

    // The edge node is back first: the host is not subscribed yet, nothing may be published.
    const n = f.sent.length;
    await f.connect();
    expect(f.types().slice(n), 'nothing published before the host said online in this connection').toEqual([]);
    expect(f.session.state.state).toBe('waiting for host');
    // The retained STATE is the host's will (same timestamp as its online before the outage).
    await f.state(false, 1000);
    expect(f.types().slice(n)).toEqual([]);
    // The host is back and subscribed: its new STATE online.
    await f.state(true, 2000);
    const after = f.sent.slice(n);
    expect(after.map((m) => m.type)).toEqual(['NBIRTH', 'NDATA']);
    expect(bdSeqOf(after[0]!), 'next bdSeq').toBe(1);
    expect(historicalValues(after)).toEqual([2, 3]);
    expect(f.session.buffered).toBe(0);
  });

  it('a reconnect of the edge node alone: the retained STATE online (same timestamp) lets it publish again', async () => {
    const f = await fakeEdge();
    await f.connect();
    await f.state(true, 1000);
    await f.drop();
    await f.publish(5, 5);
    const n = f.sent.length;
    await f.connect();
    expect(f.types().slice(n)).toEqual([]);
    await f.state(true, 1000);
    expect(f.types().slice(n)).toEqual(['NBIRTH', 'NDATA']);
    expect(historicalValues(f.sent.slice(n))).toEqual([5]);
  });

  it('ignores a stale STATE (Sparkplug 3.0 timestamps): a late will of an earlier host session, an old online', async () => {
    const f = await fakeEdge();
    await f.connect();
    await f.state(true, 1000);
    await f.state(true, 2000); // the host reconnected; its old will has not arrived yet
    await f.state(false, 1000); // ... now it does: older than the last online, ignored
    expect(f.session.state.state).toBe('live');
    await f.publish(1, 1);
    expect(f.types()).toEqual(['NBIRTH', 'NDATA']);
    expect(f.session.buffered).toBe(0);

    await f.state(false, 2000); // this host session ended: wait
    expect(f.session.state.state).toBe('waiting for host');
    await f.state(true, 1500); // an online older than the last STATE: ignored
    await f.publish(2, 2);
    expect(f.types()).toEqual(['NBIRTH', 'NDATA']);
    expect(f.session.buffered).toBe(1);
    await f.state(true, 3000);
    expect(f.types()).toEqual(['NBIRTH', 'NDATA', 'NBIRTH', 'NDATA']);
    expect(historicalValues(f.sent.slice(2))).toEqual([2]);
  });
});
