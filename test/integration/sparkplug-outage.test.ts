/**
 * Sparkplug through a broker outage, in Node-RED, against an embedded broker
 * the test takes down and brings back: the host marks every tag bad when it
 * loses the broker; the edge node (mqtt-out) buffers what arrives meanwhile
 * and, after reconnecting, publishes a new NBIRTH (next bdSeq) and the
 * buffered values as historical data with their original timestamps — once
 * its primary host (the mqtt-in with that host id) announced itself online
 * again, so the host surely receives them. And the STATE gating on its own.
 */
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSample } from '../../src/model/sample';
import { brokerNode, capture, inject, mqttIn, mqttOut, statusOf, TAB } from '../helpers/flows';
import { closeClient, startAedes, testClient, until, type EmbeddedBroker } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startAedes();
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await broker?.stop();
});

async function injectNow(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

type Batch = { msg: { payload: Array<{ tag: string; value: unknown; quality: string; sourceTimestamp: string; statusCode?: unknown }>; sparkplug: { messageType: string; historical?: boolean } } };
const batches = (): Batch[] => rt.captured('cap') as unknown as Batch[];
const lastStatus = (id: string): string => rt.captured('status').filter((c) => c.msg.status.source.id === id).at(-1)?.msg.status.text ?? '';

describe('Sparkplug through a broker outage (embedded broker taken down and brought back)', () => {
  it('host: tags go bad while it is cut off; edge: buffers, then — once the primary host is back — NBIRTH with the next bdSeq and the buffered values as historical data', async () => {
    const t = (s: number): string => new Date(Date.UTC(2026, 0, 5, 8, 0, s)).toISOString();
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url, { reconnectPeriod: 300 }),
      mqttOut('edge', 'b1', { mode: 'sparkplug', group: 'Outage', edgeNode: 'E1', primaryHost: 'scada' }),
      mqttIn('host', 'b1', ['cap'], { format: 'sparkplug', group: 'Outage', output: 'batch', hostId: 'scada' }),
      inject('i1', 'edge', makeSample('Tank/Level', 1, { sourceTimestamp: t(1) })),
      inject('i2', 'edge', makeSample('Tank/Level', 2, { sourceTimestamp: t(2) })),
      inject('i3', 'edge', makeSample('Tank/Level', 3, { sourceTimestamp: t(3) })),
      capture('cap'),
      statusOf('st', ['host', 'edge'], 'status'),
      capture('status'),
    ]);
    await until(() => /bdSeq 0/.test(lastStatus('edge')) && /edge nodes online/.test(lastStatus('host')), 'edge live and host subscribed');
    await injectNow('i1');
    await until(() => batches().some((b) => b.msg.payload.some((s) => s.value === 1 && s.quality === 'good')), 'the first value');

    await broker.down();
    await until(() => batches().some((b) => b.msg.sparkplug.messageType === 'HOST_DISCONNECTED'), 'bad samples when the host loses the broker');
    const lost = batches().find((b) => b.msg.sparkplug.messageType === 'HOST_DISCONNECTED')!.msg.payload;
    expect(lost).toEqual([expect.objectContaining({ tag: 'Outage/E1/Tank/Level', value: 1, quality: 'bad', statusCode: 'host disconnected' })]);
    await until(() => /offline|unreachable|refused|waiting/.test(lastStatus('edge')), 'edge offline');
    await injectNow('i2');
    await injectNow('i3');
    await until(() => /2 buffered/.test(lastStatus('edge')), 'two values buffered');

    const before = batches().length;
    await broker.up();
    await until(() => batches().slice(before).some((b) => b.msg.sparkplug.historical === true), 'historical data after the reconnect', 15_000);
    const after = batches().slice(before);
    const birth = after.find((b) => b.msg.sparkplug.messageType === 'NBIRTH')!;
    expect(birth.msg.payload).toEqual([expect.objectContaining({ tag: 'Outage/E1/Tank/Level', value: 3, quality: 'good', sourceTimestamp: t(3) })]);
    const historical = after.filter((b) => b.msg.sparkplug.historical).flatMap((b) => b.msg.payload);
    expect(historical.map((s) => [s.value, s.sourceTimestamp, s.quality])).toEqual([
      [2, t(2), 'good'],
      [3, t(3), 'good'],
    ]);
    await until(() => /bdSeq 1/.test(lastStatus('edge')), 'the new session has the next bdSeq');
  });

  describe('primary host', () => {
    let state: MqttClient;
    beforeAll(async () => {
      state = await testClient(broker.url);
    });
    afterAll(async () => {
      await closeClient(state);
    });

    it("the edge node publishes only while the primary host's STATE is online, and forwards what it kept meanwhile", async () => {
      const online = (on: boolean): Promise<unknown> => state.publishAsync('spBv1.0/STATE/scada1', JSON.stringify({ online: on, timestamp: Date.now() }), { qos: 1, retain: true });
      await online(false);
      await rt.deploy([
        TAB,
        brokerNode('b1', broker.url, { reconnectPeriod: 300 }),
        mqttOut('edge', 'b1', { mode: 'sparkplug', group: 'Primary', edgeNode: 'E1', primaryHost: 'scada1' }),
        mqttIn('host', 'b1', ['cap'], { format: 'sparkplug', group: 'Primary', output: 'batch' }),
        inject('i7', 'edge', makeSample('Pump/Speed', 7, { sourceTimestamp: '2026-01-05T09:00:07.000Z' })),
        inject('i8', 'edge', makeSample('Pump/Speed', 8, { sourceTimestamp: '2026-01-05T09:00:08.000Z' })),
        capture('cap'),
        statusOf('st', ['host', 'edge'], 'status'),
        capture('status'),
      ]);
      await until(() => /waiting for host scada1/.test(lastStatus('edge')) && /edge nodes online/.test(lastStatus('host')), 'edge waiting for its host');
      await injectNow('i7');
      await until(() => /1 buffered/.test(lastStatus('edge')), 'kept while the host is offline');
      expect(batches(), 'nothing published while the primary host is offline').toEqual([]);

      await online(true);
      await until(() => batches().some((b) => b.msg.sparkplug.historical), 'birth and historical data once the host is online');
      expect(batches()[0]!.msg.sparkplug.messageType).toBe('NBIRTH');
      expect(batches()[0]!.msg.payload[0]).toMatchObject({ tag: 'Primary/E1/Pump/Speed', value: 7 });
      expect(batches().find((b) => b.msg.sparkplug.historical)!.msg.payload[0]).toMatchObject({ value: 7, sourceTimestamp: '2026-01-05T09:00:07.000Z' });

      await online(false);
      await until(() => /waiting for host scada1/.test(lastStatus('edge')), 'waiting again');
      const n = batches().length;
      await injectNow('i8');
      await until(() => /1 buffered/.test(lastStatus('edge')), 'kept again');
      expect(batches().length).toBe(n);
      await online(true);
      await until(() => batches().slice(n).some((b) => b.msg.sparkplug.historical && b.msg.payload[0]!.value === 8), 'forwarded after the host came back');
      await state.publishAsync('spBv1.0/STATE/scada1', '', { qos: 1, retain: true });
    });
  });
});
