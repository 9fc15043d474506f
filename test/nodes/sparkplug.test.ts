import crypto from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tahuDecode } from '../helpers/sparkplug-tahu';
import { makeSample, sampleProblems } from '../../src/model/sample';
import { startSparkplugEdgeSim, type SparkplugEdgeSim } from '../../src/sim/sparkplug-edge';
import { brokerNode, capture, inject, mqttIn, mqttOut, statusOf, TAB } from '../helpers/flows';
import { closeClient, sharedBroker, testClient, until, type TestBroker } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let broker: TestBroker;
let spy: MqttClient;
/** Every Sparkplug message of this run's groups, decoded, as a test client saw it on the wire. */
const wire: Array<{ topic: string; payload: ReturnType<typeof tahuDecode> }> = [];

beforeAll(async () => {
  broker = await sharedBroker();
  spy = await testClient(broker.url);
  spy.on('message', (topic, payload) => {
    if (topic.startsWith('spBv1.0/PW')) wire.push({ topic, payload: tahuDecode(payload) });
  });
  await spy.subscribeAsync('spBv1.0/#', { qos: 0 });
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await closeClient(spy);
  await broker?.stop();
});

const group = (): string => `PW${crypto.randomBytes(4).toString('hex')}`;

async function injectNow(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

describe('Sparkplug B: plantwire-mqtt-out (edge node) → broker → plantwire-mqtt-in (host)', () => {
  it('round trip: names, declared datatypes, timestamps and quality survive; data is sent by exception', async () => {
    const g = group();
    const t = '2026-01-05T08:00:00.123Z';
    const first = [
      makeSample('Filler/Temperature', 4.5, { sourceTimestamp: t }),
      makeSample('Filler/Count', 12, { sourceTimestamp: t }),
      makeSample('Filler/Running', true, { sourceTimestamp: t }),
      makeSample('Line/State', 'Running', { sourceTimestamp: t, quality: 'uncertain' }),
    ];
    const second = [makeSample('Filler/Temperature', 4.75, { sourceTimestamp: '2026-01-05T08:00:01.000Z' }), makeSample('Filler/Count', 12, { sourceTimestamp: '2026-01-05T08:00:01.000Z' })];
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out1', 'b1', { mode: 'sparkplug', group: g, edgeNode: 'E1', metrics: [{ name: 'Filler/Count', type: 'UInt16' }] }),
      mqttIn('host', 'b1', ['cap'], { format: 'sparkplug', group: g }),
      inject('i1', 'out1', first),
      inject('i2', 'out1', second),
      inject('i-bad', 'out1', makeSample('Filler/Count', 70000)),
      { id: 'c1', type: 'catch', z: 'tab1', scope: ['out1'], uncaught: false, x: 50, y: 200, wires: [['errs']] },
      capture('errs'),
      capture('cap'),
      statusOf('st', ['host', 'out1'], 'status'),
      capture('status'),
    ]);
    await until(() => rt.captured('status').some((c) => c.msg.status.source.id === 'out1' && c.msg.status.fill === 'green'), 'edge node live');
    await until(() => rt.captured('status').some((c) => c.msg.status.source.id === 'host' && /edge nodes online/.test(c.msg.status.text)), 'host subscribed');
    await injectNow('i1');
    await until(() => rt.captured('cap').filter((c) => c.msg.payload.quality !== 'bad').length >= 4, 'birth values');
    const good = rt.captured('cap').filter((c) => c.msg.sparkplug.messageType === 'NBIRTH' && c.msg.payload.value !== null);
    const byTag = Object.fromEntries(good.map((c) => [c.msg.payload.tag, c.msg.payload]));
    expect(byTag[`${g}/E1/Filler/Temperature`]).toMatchObject({ value: 4.5, quality: 'good', sourceTimestamp: t });
    expect(byTag[`${g}/E1/Filler/Count`]).toMatchObject({ value: 12, quality: 'good' });
    expect(byTag[`${g}/E1/Filler/Running`]).toMatchObject({ value: true });
    expect(byTag[`${g}/E1/Line/State`]).toMatchObject({ value: 'Running', quality: 'uncertain', statusCode: 64 });
    for (const c of good) expect(sampleProblems(c.msg.payload)).toEqual([]);
    const births = wire.filter((w) => w.topic === `spBv1.0/${g}/NBIRTH/E1`);
    const lastBirth = births.at(-1)!.payload;
    expect(lastBirth.metrics!.find((m) => m.name === 'Filler/Count')!.type, 'the declared datatype').toBe('UInt16');
    expect(lastBirth.metrics!.find((m) => m.name === 'Filler/Temperature')!.type, 'numbers default to Double').toBe('Double');

    const before = rt.captured('cap').length;
    await injectNow('i2');
    await until(() => rt.captured('cap').length > before, 'NDATA');
    await new Promise((r) => setTimeout(r, 300));
    const data = rt.captured('cap').slice(before);
    expect(data.map((c) => [c.msg.sparkplug.messageType, c.msg.payload.tag, c.msg.payload.value])).toEqual([['NDATA', `${g}/E1/Filler/Temperature`, 4.75]]);
    const ndata = wire.filter((w) => w.topic === `spBv1.0/${g}/NDATA/E1`).at(-1)!.payload;
    expect(ndata.metrics!.map((m) => [m.name, typeof m.alias === 'object' || typeof m.alias === 'number'])).toEqual([[undefined, true]]);

    // A value that does not fit the metric's datatype: an error naming the tag, nothing published.
    const wired = wire.length;
    await injectNow('i-bad');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/tag "Filler\/Count": 70000 is outside the UInt16 range 0..65535/);
    await new Promise((r) => setTimeout(r, 200));
    expect(wire.slice(wired).filter((w) => w.topic.includes(`/${g}/`))).toEqual([]);
  });

  describe('host against the Sparkplug edge simulator', () => {
    let sim: SparkplugEdgeSim | undefined;
    afterAll(async () => {
      await sim?.stop();
    });

    it('resolves aliases, asks for a rebirth on an unknown alias and after a seq gap, and marks tags bad on NDEATH', async () => {
      const g = group();
      await rt.deploy([
        TAB,
        brokerNode('b1', broker.url),
        mqttIn('host', 'b1', ['cap'], { format: 'sparkplug', group: g, rebirthHoldoff: 200, output: 'batch' }),
        capture('cap'),
        statusOf('st', ['host'], 'status'),
        capture('status'),
      ]);
      await until(() => rt.captured('status').some((c) => /edge nodes online/.test(c.msg.status.text)), 'host subscribed');
      sim = await startSparkplugEdgeSim({ broker: broker.url, group: g, intervalMs: 0 });
      await sim.whenLive();
      // NBIRTH + one DBIRTH per device
      await until(() => rt.captured('cap').filter((c) => /BIRTH/.test(c.msg.sparkplug.messageType)).length >= 1 + sim!.devices.length, 'births');
      const birthTags = rt.captured('cap').flatMap((c) => c.msg.payload.map((s: { tag: string }) => s.tag));
      expect(birthTags).toHaveLength(sim.metricCount);
      expect(birthTags).toContain(`${g}/Line1/Filler/ProductTemperature`);
      expect(birthTags).toContain(`${g}/Line1/State`);

      // DDATA by alias only on the wire; names on the way out of the host.
      const n0 = rt.captured('cap').length;
      await sim.tick();
      await until(() => rt.captured('cap').slice(n0).some((c) => c.msg.sparkplug.messageType === 'DDATA' && c.msg.sparkplug.device === 'Filler'), 'DDATA of the Filler');
      const ddata = wire.filter((w) => w.topic === `spBv1.0/${g}/DDATA/Line1/Filler`).at(-1)!.payload;
      expect(ddata.metrics!.every((m) => m.name === undefined && m.alias !== undefined), 'only aliases on the wire').toBe(true);
      const filler = rt.captured('cap').slice(n0).find((c) => c.msg.sparkplug.device === 'Filler')!.msg.payload as Array<{ tag: string; value: unknown; quality: string }>;
      expect(filler.length).toBe(ddata.metrics!.length);
      for (const s of filler) {
        expect(s.tag.startsWith(`${g}/Line1/Filler/`), s.tag).toBe(true);
        expect(s.quality).toBe('good');
      }
      const dbirth = rt.captured('cap').find((c) => c.msg.sparkplug.messageType === 'DBIRTH' && c.msg.sparkplug.device === 'Filler')!.msg.payload as Array<{ tag: string; value: unknown }>;
      expect(dbirth.find((s) => s.tag.endsWith('/Filler/FillCount'))!.value, 'UInt32 counter decoded as a number').toEqual(expect.any(Number));
      expect(rt.captured('status').at(-1)!.msg.status.text).toMatch(/1\/1 edge nodes online · 2\d metrics/);

      // Unknown alias → NCMD Node Control/Rebirth → the simulator's new BIRTH.
      await sim.sendUnknownAlias(4242);
      await until(() => sim!.rebirths >= 1, 'rebirth after the unknown alias');
      // The wire spy is a client of its own: the broker may hand it the NCMD after the simulator (seen under CI load).
      await until(() => wire.some((w) => w.topic === `spBv1.0/${g}/NCMD/Line1`), 'the NCMD on the wire');
      const ncmd = wire.filter((w) => w.topic === `spBv1.0/${g}/NCMD/Line1`);
      expect(ncmd.at(-1)!.payload.metrics).toEqual([expect.objectContaining({ name: 'Node Control/Rebirth', type: 'Boolean', value: true })]);
      expect(rt.logs.some((l) => l.level === 'warn' && /NDATA with alias 4242 not declared in its BIRTH: asked for a rebirth/.test(l.msg))).toBe(true);

      // Sequence gap → another rebirth request (hold-off 200 ms).
      await new Promise((r) => setTimeout(r, 250));
      sim.skipSeq(3);
      await sim.tick();
      await until(() => sim!.rebirths >= 2, 'rebirth after the seq gap');
      expect(rt.logs.some((l) => l.level === 'warn' && /sequence gap: expected seq \d+, got \d+/.test(l.msg))).toBe(true);

      // A crash: the broker publishes the NDEATH will; every tag of the edge node and its devices goes bad.
      const n1 = rt.captured('cap').length;
      await sim.kill();
      await until(() => rt.captured('cap').slice(n1).some((c) => c.msg.sparkplug.messageType === 'NDEATH'), 'NDEATH', 15_000);
      const dead = rt.captured('cap').slice(n1).find((c) => c.msg.sparkplug.messageType === 'NDEATH')!.msg.payload as Array<{ tag: string; quality: string; statusCode: string; value: unknown }>;
      expect(dead).toHaveLength(sim.metricCount);
      expect(dead.every((s) => s.quality === 'bad' && s.statusCode === 'NDEATH')).toBe(true);
      expect(dead.find((s) => s.tag === `${g}/Line1/State`)!.value, 'last value kept').toEqual(expect.any(String));
      await until(() => /0\/1 edge nodes online/.test(rt.captured('status').at(-1)!.msg.status.text), 'status shows the edge node offline', 3000);
    });
  });
});
