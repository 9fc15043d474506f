/**
 * The durable buffer as a sink option in a real Node-RED runtime
 * (plantwire-mqtt-out): memory mode, the metrics admin route and its
 * permission, the status text, and the configuration it refuses. The fault
 * scenarios (outage, SIGKILL, size limit) are in test/faults/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerNode, capture, catcher, inject, mqttOut, statusOf, TAB } from '../helpers/flows';
import { startAedes, type EmbeddedBroker } from '../helpers/mqtt';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let broker: EmbeddedBroker;
const received: string[] = [];

beforeAll(async () => {
  broker = await startAedes();
  await broker.tap('buffer-node/#', (topic) => received.push(topic));
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await broker?.stop();
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('plantwire-mqtt-out with the durable buffer', () => {
  it('memory mode buffers while the broker is down, says so in the status and the metrics route, and delivers when it is back', async () => {
    await broker.down();
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-mem', 'b1', { name: 'to cloud', asset: 'buffer-node/mem', bufferMode: 'memory', bufferMaxEntries: 1000 }),
      inject('i1', 'out-mem', { tag: 'Line1/Speed', value: 600, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' }),
      statusOf('st', ['out-mem'], 'status'),
      capture('status'),
      { id: 'done', type: 'complete', z: 'tab1', scope: ['out-mem'], uncaught: false, x: 50, y: 400, wires: [['accepted']] },
      capture('accepted'),
    ]);
    for (let i = 0; i < 3; i++) expect((await rt.admin('POST', '/inject/i1')).status).toBe(200);
    await rt.waitFor('accepted', 3);
    await until(() => rt.captured('status').some((c) => /^buffering 3 — /.test(c.msg.status?.text ?? '') && c.msg.status?.fill === 'yellow'), 'status "buffering 3 — …"');

    const list = await rt.admin<{ buffers: Array<Record<string, unknown>> }>('GET', '/plantwire/buffer/metrics');
    expect(list.status).toBe(200);
    expect(list.body.buffers.find((b) => b.id === 'out-mem')).toMatchObject({ type: 'plantwire-mqtt-out', name: 'to cloud', mode: 'memory', state: 'buffering', depth: 3, dropped: 0, delivered: 0 });
    const one = await rt.admin<Record<string, number>>('GET', '/plantwire/buffer/out-mem');
    expect(one.body.oldestAgeMs).toBeGreaterThanOrEqual(0);

    // Reading metrics needs a login; a read-only user may.
    expect((await fetch(`${rt.url}/plantwire/buffer/metrics`)).status).toBe(401);
    const token = await rt.token(READER);
    expect((await fetch(`${rt.url}/plantwire/buffer/metrics`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await rt.admin('GET', '/plantwire/buffer/nope')).status).toBe(404);

    await broker.up();
    await until(() => received.filter((t) => t === 'buffer-node/mem/Line1/Speed').length === 3, 'three delivered');
    await until(async () => (await rt.admin<{ depth: number; delivered: number }>('GET', '/plantwire/buffer/out-mem')).body.delivered === 3, 'delivered counted');
  });

  it('refuses the durable buffer in Sparkplug mode (which has its own store-and-forward) with a clear configuration error', async () => {
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-sp', 'b1', { mode: 'sparkplug', edgeNode: 'Line1', bufferMode: 'disk' }),
      catcher('c', ['out-sp'], 'errors'),
      capture('errors'),
    ]);
    const [err] = await rt.waitFor('errors', 1);
    expect(err!.msg.error.message).toMatch(/durable buffer is for UNS and template mode/);
  });

  it('refuses a bad overflow policy naming the field', async () => {
    await rt.deploy([TAB, brokerNode('b1', broker.url), mqttOut('out-bad', 'b1', { bufferMode: 'disk', bufferOverflow: 'panic' }), catcher('c', ['out-bad'], 'errors'), capture('errors')]);
    const [err] = await rt.waitFor('errors', 1);
    expect(err!.msg.error.message).toMatch(/buffer overflow policy must be one of drop-oldest, drop-newest, reject/);
  });
});
