import { describe, expect, it } from 'vitest';
import { sampleProblems } from '../../src/model/sample';
import { epochToMs, normalize, normalizeSettings, type NormalizeConfig } from '../../src/transforms/normalize';

const NOW = Date.UTC(2026, 0, 1, 12);
const ISO_NOW = new Date(NOW).toISOString();
const run = (msg: Record<string, unknown>, config: NormalizeConfig = {}) => normalize(msg, normalizeSettings(config), NOW);

describe('normalize settings', () => {
  it('validates with the field named', () => {
    expect(normalizeSettings({})).toMatchObject({ timestamp: 'auto', quality: 'good', objects: 'split', arrays: 'value', parseStrings: true });
    expect(() => normalizeSettings({ timestamp: 'field' })).toThrow(/no field is named/);
    expect(() => normalizeSettings({ quality: 'great' })).toThrow(/quality must be "good", "uncertain" or "bad", got "great"/);
    expect(() => normalizeSettings({ timestamp: 'later' })).toThrow(/timestamp must be "auto", "now" or "field"/);
  });
});

describe('normalize', () => {
  it('plain values with msg.topic (or the configured tag) become samples stamped now', () => {
    expect(run({ payload: 21.5, topic: 'Tank1/Temp' })).toEqual([{ tag: 'Tank1/Temp', value: 21.5, quality: 'good', sourceTimestamp: ISO_NOW }]);
    expect(run({ payload: true, topic: 'x' }, { tag: 'Pump1/Running', quality: 'uncertain', unit: '', asset: 'acme/hh/' })).toEqual([
      { tag: 'Pump1/Running', value: true, quality: 'uncertain', sourceTimestamp: ISO_NOW, asset: 'acme/hh' },
    ]);
  });

  it('parses numeric, boolean and JSON strings and Buffers (MQTT), unless turned off', () => {
    expect(run({ payload: ' 42.5 ', topic: 't' })[0]!.value).toBe(42.5);
    expect(run({ payload: Buffer.from('1e3'), topic: 't' })[0]!.value).toBe(1000);
    expect(run({ payload: 'false', topic: 't' })[0]!.value).toBe(false);
    expect(run({ payload: 'Running', topic: 't' })[0]!.value).toBe('Running');
    expect(run({ payload: '42', topic: 't' }, { parseStrings: false })[0]!.value).toBe('42');
    expect(run({ payload: '{"temp": 21.5, "ts": 1767268800}', topic: 'Tank1' })).toEqual([{ tag: 'Tank1/temp', value: 21.5, quality: 'good', sourceTimestamp: '2026-01-01T12:00:00.000Z' }]);
  });

  it('plain objects: one sample per property with nested paths, or the object as one value', () => {
    const msg = { payload: { temp: 21.5, motor: { speed: 1450, on: true }, timestamp: '2026-01-01T10:00:00Z' }, topic: 'Line1' };
    expect(run(msg).map((s) => [s.tag, s.value, s.sourceTimestamp])).toEqual([
      ['Line1/temp', 21.5, '2026-01-01T10:00:00.000Z'],
      ['Line1/motor/speed', 1450, '2026-01-01T10:00:00.000Z'],
      ['Line1/motor/on', true, '2026-01-01T10:00:00.000Z'],
    ]);
    expect(run(msg, { objects: 'value' })).toEqual([{ tag: 'Line1', value: msg.payload, quality: 'good', sourceTimestamp: ISO_NOW }]);
  });

  it('complete and partial tag samples: missing quality and timestamp filled in, the rest kept', () => {
    const out = run({ payload: [{ tag: 'a', value: 1 }, { tag: 'b', value: 2, quality: 'bad', sourceTimestamp: 1767261600000, unit: 'bar', statusCode: 5 }] });
    expect(out).toEqual([
      { tag: 'a', value: 1, quality: 'good', sourceTimestamp: ISO_NOW },
      { tag: 'b', value: 2, quality: 'bad', sourceTimestamp: '2026-01-01T10:00:00.000Z', statusCode: 5, unit: 'bar' },
    ]);
    expect(() => run({ payload: { tag: 'a', value: 1, quality: 'great' } })).toThrow(/payload\.quality must be "good", "uncertain" or "bad", got "great"/);
  });

  it('OPC UA DataValues and OPC UA client messages: status code → quality, timestamps kept', () => {
    const dv = {
      value: { dataType: 11, arrayType: 0, value: 4.2 },
      statusCode: { value: 0x40000000, name: 'Uncertain' },
      sourceTimestamp: new Date('2026-01-01T08:00:00Z'),
      serverTimestamp: new Date('2026-01-01T08:00:00.010Z'),
    };
    expect(run({ payload: dv, topic: 'ns=2;s=Temp' })).toEqual([
      { tag: 'ns=2;s=Temp', value: 4.2, quality: 'uncertain', statusCode: 0x40000000, sourceTimestamp: '2026-01-01T08:00:00.000Z', serverTimestamp: '2026-01-01T08:00:00.010Z' },
    ]);
    const contrib = run({ payload: 7, topic: 'ns=2;s=X', statusCode: 0x80000000, sourceTimestamp: '2026-01-01T07:00:00Z', serverTimestamp: '2026-01-01T07:00:01Z' });
    expect(contrib[0]).toMatchObject({ quality: 'bad', statusCode: 0x80000000, sourceTimestamp: '2026-01-01T07:00:00.000Z', serverTimestamp: '2026-01-01T07:00:01.000Z' });
  });

  it('Sparkplug B: one sample per metric, tagged group/edge/device/metric, isNull → bad', () => {
    const payload = {
      timestamp: 1767261600000,
      seq: 3,
      metrics: [
        { name: 'Temp', value: 21.5, timestamp: 1767261601000, dataType: 'Double' },
        { name: 'Count', value: { low: 5, high: 1, unsigned: true }, dataType: 'UInt64' },
        { name: 'Broken', isNull: true, dataType: 'Float' },
      ],
    };
    const out = run({ payload, topic: 'spBv1.0/Plant/DDATA/Edge1/Filler' });
    expect(out.map((s) => [s.tag, s.value, s.quality, s.sourceTimestamp])).toEqual([
      ['Plant/Edge1/Filler/Temp', 21.5, 'good', '2026-01-01T10:00:01.000Z'],
      ['Plant/Edge1/Filler/Count', 4294967301, 'good', '2026-01-01T10:00:00.000Z'],
      ['Plant/Edge1/Filler/Broken', null, 'bad', '2026-01-01T10:00:00.000Z'],
    ]);
    expect(() => run({ payload: { metrics: [{ value: 1 }] }, topic: 't' })).toThrow(/payload\.metrics\[0\] has neither a name nor an alias/);
  });

  it('Modbus reads: one sample per register, tagged by address', () => {
    expect(run({ payload: { data: [10, 20], buffer: Buffer.from([0, 10, 0, 20]) }, topic: 'PLC1/HR' }).map((s) => [s.tag, s.value])).toEqual([
      ['PLC1/HR/0', 10],
      ['PLC1/HR/1', 20],
    ]);
    expect(run({ payload: [7, 8, 9], topic: 'PLC1/HR', modbusRequest: { unitid: 1, fc: 3, address: 40001, quantity: 3 } }).map((s) => s.tag)).toEqual(['PLC1/HR/40001', 'PLC1/HR/40002', 'PLC1/HR/40003']);
  });

  it('arrays of plain values: one sample holding the array, or one per element', () => {
    expect(run({ payload: [1, 2, 3], topic: 'v' })).toEqual([{ tag: 'v', value: [1, 2, 3], quality: 'good', sourceTimestamp: ISO_NOW }]);
    expect(run({ payload: [1, 2], topic: 'v' }, { arrays: 'split' }).map((s) => s.tag)).toEqual(['v/0', 'v/1']);
  });

  it('timestamp source: now overrides, field reads a payload or message property, epoch seconds or ms', () => {
    expect(run({ payload: { tag: 'a', value: 1, sourceTimestamp: '2020-01-01T00:00:00Z' } }, { timestamp: 'now' })[0]!.sourceTimestamp).toBe(ISO_NOW);
    expect(run({ payload: { v: 1, ts: 1767261600 }, topic: 'm' }, { timestamp: 'field', timestampField: 'ts' })).toEqual([{ tag: 'm/v', value: 1, quality: 'good', sourceTimestamp: '2026-01-01T10:00:00.000Z' }]);
    expect(run({ payload: 5, topic: 'm', time: '2026-01-01T09:00:00Z' }, { timestamp: 'field', timestampField: 'msg.time' })[0]!.sourceTimestamp).toBe('2026-01-01T09:00:00.000Z');
    expect(epochToMs(1767261600)).toBe(1767261600000);
    expect(epochToMs(1767261600000)).toBe(1767261600000);
  });

  it('bad input is a clear error: missing timestamp field, NaN, no tag, bad dates, nothing to normalize', () => {
    expect(() => run({ payload: { v: 1 }, topic: 'm' }, { timestamp: 'field', timestampField: 'ts' })).toThrow(/timestamp field "ts" is missing from msg\.payload: send it, or set the timestamp source to "auto" or "now"/);
    expect(() => run({ payload: Number.NaN, topic: 'm' })).toThrow(/payload must be a finite number, got NaN \(tag m\)/);
    expect(() => run({ payload: { a: Number.POSITIVE_INFINITY }, topic: 'm' })).toThrow(/payload\.a must be a finite number, got Infinity/);
    expect(() => run({ payload: 5 })).toThrow(/payload is a plain value \(5\) but no tag name is known: set msg\.topic/);
    expect(() => run({ payload: { tag: 'a', value: 1, sourceTimestamp: 'yesterday' } })).toThrow(/sourceTimestamp is not a valid date: "yesterday"/);
    expect(() => run({ payload: {}, topic: 'm' })).toThrow(/holds nothing to normalize/);
    expect(() => run({ topic: 'm' })).toThrow(/msg\.payload is missing/);
    expect(() => run({ payload: () => 1, topic: 'm' })).toThrow(/payload is a function, which cannot be a tag value/);
  });

  it('every output is a valid tag sample', () => {
    const out = run({ payload: { a: 1, b: 'x', c: [1, 2], d: null, e: { f: false } }, topic: 'root' });
    for (const s of out) expect(sampleProblems(s)).toEqual([]);
  });
});
