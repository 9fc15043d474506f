/**
 * Fault injection for plantwire-mqtt-out with the durable buffer: the broker
 * (an embedded aedes the test stops and starts on its fixed port) unreachable
 * for a while, the Node-RED process killed with SIGKILL while messages are
 * buffered, and the disk queue at its size limit.
 *
 * Duplicates for at-least-once MQTT: a message the broker already had but
 * whose PUBACK was lost with the connection is published again. The receiver
 * identifies a message by its sample (tag, value = sequence number; in real
 * flows tag + sourceTimestamp, or the MQTT 5 user property `plantwire-id`)
 * and counts any second arrival as a duplicate: reported, and harmless for a
 * receiver that dedups by that key.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerNode, capture, mqttOut, statusOf, TAB } from '../helpers/flows';
import { startAedes, type EmbeddedBroker } from '../helpers/mqtt';
import { startInstance, type Instance } from '../helpers/node-red-instance';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { check, dropOldestScenario, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received, type SinkAdapter } from './harness';

const PREFIX = 'faults/line1';
const NODE_RED_JS = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');

let broker: EmbeddedBroker;
let got: Received[] = [];
let scenario = 'none';

/** The MQTT adapter: the sink is mqtt-out in UNS mode below PREFIX; the receiver is a persistent-session subscriber. */
const mqttAdapter: SinkAdapter = {
  kind: 'mqtt-out',
  nodes: (buffer) => [brokerNode('b1', broker.url), mqttOut('sink', 'b1', { asset: `${PREFIX}/${scenario}`, ...buffer })],
  down: () => broker.down(),
  up: () => broker.up(),
  received: () => got,
  reset: (name) => {
    scenario = name;
    got = [];
  },
};

beforeAll(async () => {
  broker = await startAedes();
  // The receiver sits inside the broker: it sees every message the broker accepted, in the broker's
  // order, whether or not any network subscriber is connected; each scenario has its own topics.
  await broker.tap(`${PREFIX}/#`, (topic, payload) => {
    if (!topic.startsWith(`${PREFIX}/${scenario}/`)) return;
    const s = JSON.parse(payload.toString()) as { tag: string; value: number; sourceTimestamp: string };
    got.push({ tag: s.tag, seq: s.value, sourceTimestamp: s.sourceTimestamp });
  });
});
afterAll(async () => {
  await broker?.stop();
});


describe('mqtt-out durable buffer under faults (in-process Node-RED)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
  });


  it('1. broker unreachable for a while, then back: every accepted message delivered, in order per tag', async () => {
    mqttAdapter.reset('unreachable');
    await rt.deploy([TAB, ...mqttAdapter.nodes({ bufferMode: 'disk', bufferReplayRate: 2000 }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')]);
    await until(() => rt.captured('status').some((c) => /^connected to/.test(c.msg.status?.text ?? '')), 'mqtt-out connected');
    // Live traffic, then an outage with traffic, then recovery with live traffic during the replay.
    await rt.admin('POST', '/inject/go', generate(0, 100));
    await until(() => tallyUnique() >= 100, 'live messages delivered', 30_000);
    await mqttAdapter.down();
    await rt.admin('POST', '/inject/go', generate(100, 300));
    await rt.waitFor('accepted', 400, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d/.test(c.msg.status?.text ?? '')), 'status says buffering');
    expect(tallyUnique()).toBeLessThan(400);
    const during = await sinkMetrics(rt);
    expect(during.state).toBe('buffering');
    expect(during.depth).toBeGreaterThan(0);
    await mqttAdapter.up();
    await rt.admin('POST', '/inject/go', generate(400, 100));
    await until(() => tallyUnique() >= 500, 'all delivered after recovery');
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    expect(rt.captured('refused')).toEqual([]);
    check({ scenario: 'broker unreachable then back', kind: 'mqtt-out', sent: range(0, 500), accepted: seqs(rt.captured('accepted')), received: mqttAdapter.received(), dropped: m.dropped, expectedDropped: 0 });
    expect(m.delivered).toBe(500);
  }, 120_000);

  it('1b. broker times out (accepts TCP, never answers), then back: every accepted message delivered', async () => {
    mqttAdapter.reset('timeouts');
    await rt.deploy([TAB, ...mqttAdapter.nodes({ bufferMode: 'disk' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')]);
    await until(() => rt.captured('status').some((c) => /^connected to/.test(c.msg.status?.text ?? '')), 'mqtt-out connected');
    const before = await sinkMetrics(rt);
    await mqttAdapter.down();
    // A black hole on the broker's port: connections are accepted and never answered (the CONNECT times out).
    const held = new Set<net.Socket>();
    const hole = net.createServer((sock) => {
      held.add(sock);
      sock.on('error', () => undefined);
    });
    await new Promise<void>((r) => hole.listen(broker.port, '127.0.0.1', () => r()));
    await rt.admin('POST', '/inject/go', generate(0, 200));
    await rt.waitFor('accepted', 200, 30_000);
    await until(() => held.size > 0, 'the sink tried the silent port', 30_000);
    expect(tallyUnique()).toBe(0);
    for (const sock of held) sock.destroy();
    await new Promise<void>((r) => hole.close(() => r()));
    await mqttAdapter.up();
    await until(() => tallyUnique() >= 200, 'all delivered after the time-outs');
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    check({ scenario: 'broker timing out then back', kind: 'mqtt-out', sent: range(0, 200), accepted: seqs(rt.captured('accepted')), received: mqttAdapter.received(), dropped: m.dropped - before.dropped, expectedDropped: 0, expectedDelivered: range(0, 200) });
  }, 120_000);

  it('3a. disk queue at its size limit, drop-oldest: the newest entries delivered, the drop counter exact', async () => {
    mqttAdapter.reset('size-drop-oldest');
    await dropOldestScenario(rt, mqttAdapter, 'mqtt-out', tallyUnique);
  }, 120_000);

  it('3b. disk queue at its size limit, reject: refused messages fail to a Catch node, the rest delivered', async () => {
    mqttAdapter.reset('size-reject');
    await mqttAdapter.down();
    await rt.deploy([TAB, ...mqttAdapter.nodes({ bufferMode: 'disk', bufferMaxEntries: 50, bufferOverflow: 'reject' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused')]);
    // The buffer (and its counters) belongs to the node id and survives the redeploy: count from here.
    const before = await sinkMetrics(rt);
    await rt.admin('POST', '/inject/go', generate(0, 80));
    await rt.waitFor('accepted', 50, 30_000);
    await rt.waitFor('refused', 30, 30_000);
    expect(rt.captured('refused')[0]!.msg.error.message).toMatch(/buffer full .*overflow policy is "reject"/);
    const accepted = seqs(rt.captured('accepted'));
    expect(accepted.sort((a, b) => a - b)).toEqual(range(0, 50));
    await mqttAdapter.up();
    await until(() => tallyUnique() >= 50, 'the 50 accepted delivered');
    const m = await sinkMetrics(rt);
    check({ scenario: 'size limit, reject', kind: 'mqtt-out', sent: range(0, 80), accepted, received: mqttAdapter.received(), dropped: m.dropped - before.dropped, expectedDropped: 0, expectedDelivered: range(0, 50) });
  }, 120_000);
});

describe('mqtt-out durable buffer: Node-RED killed with SIGKILL while messages are buffered', () => {
  let userDir: string;
  let nr: Instance | undefined;
  beforeAll(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-faults-'));
  });
  afterAll(async () => {
    await nr?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  it('2. restarted with the same user dir, the buffered messages are delivered with their original timestamps', async () => {
    mqttAdapter.reset('sigkill');
    await mqttAdapter.down();
    const acceptedFile = path.join(userDir, 'accepted.txt');
    nr = await startInstance({ label: 'faults', node: process.execPath, redJs: NODE_RED_JS, userDir });
    const deployed = await nr.admin('POST', '/flows', childFlows(acceptedFile, { bufferMode: 'disk' }), { 'Node-RED-Deployment-Type': 'full' });
    expect(deployed.status).toBe(204);
    await until(async () => (await metrics(nr!)) !== null, 'buffer registered', 30_000);
    // The metrics route is permission-checked: no token, no metrics.
    expect((await fetch(`${nr.url}/plantwire/buffer/metrics`)).status).toBe(401);
    const inject = await nr.admin('POST', '/inject/go', generate(0, 300));
    expect(inject.status).toBe(200);
    await until(async () => (await metrics(nr!))?.depth === 300, '300 messages buffered', 30_000);
    await until(() => fs.existsSync(acceptedFile) && fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').length >= 300, 'accepted log written', 30_000);
    await nr.kill();
    const accepted = fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').map(Number);
    expect(accepted.length).toBe(300);
    expect(fs.existsSync(path.join(userDir, 'plantwire', 'buffer', 'sink.sqlite'))).toBe(true);

    await mqttAdapter.up();
    nr = await startInstance({ label: 'faults-restarted', node: process.execPath, redJs: NODE_RED_JS, userDir });
    await until(() => tallyUnique() >= 300, 'buffered messages delivered after the restart');
    await until(async () => (await metrics(nr!))?.depth === 0, 'buffer drained');
    const m = (await metrics(nr))!;
    expect(m.delivered).toBe(300);
    check({ scenario: 'SIGKILL while buffered, restart', kind: 'mqtt-out', sent: range(0, 300), accepted, received: mqttAdapter.received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 300) });
  }, 150_000);

  it('2b. killed in the middle of the replay: the rest is delivered after the restart, nothing lost', async () => {
    await nr?.stop();
    nr = undefined;
    mqttAdapter.reset('sigkill-replay');
    await mqttAdapter.down();
    const dir = path.join(userDir, 'replay');
    const acceptedFile = path.join(dir, 'accepted.txt');
    nr = await startInstance({ label: 'faults-replay', node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    const deployed = await nr.admin('POST', '/flows', childFlows(acceptedFile, { bufferMode: 'disk', bufferReplayRate: 400 }), { 'Node-RED-Deployment-Type': 'full' });
    expect(deployed.status).toBe(204);
    await until(async () => (await metrics(nr!)) !== null, 'buffer registered', 30_000);
    expect((await nr.admin('POST', '/inject/go', generate(0, 1500))).status).toBe(200);
    await until(async () => (await metrics(nr!))?.depth === 1500, '1500 messages buffered', 30_000);
    await until(() => fs.existsSync(acceptedFile) && fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').length >= 1500, 'accepted log written', 30_000);
    const accepted = fs.readFileSync(acceptedFile, 'utf8').trim().split('\n').map(Number);
    await mqttAdapter.up();
    // Replaying at 400/s: kill somewhere in the middle.
    await until(() => tallyUnique() >= 300, 'replay under way', 30_000);
    await nr.kill();
    const before = tallyUnique();
    expect(before).toBeLessThan(1500);
    nr = await startInstance({ label: 'faults-replay-restarted', node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    await until(() => tallyUnique() >= 1500, 'the rest delivered after the restart');
    await until(async () => (await metrics(nr!))?.depth === 0, 'buffer drained');
    const m = (await metrics(nr))!;
    check({ scenario: 'SIGKILL during replay, restart', kind: 'mqtt-out', sent: range(0, 1500), accepted, received: mqttAdapter.received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 1500) });
  }, 150_000);
});

/** The flow for the child Node-RED: generator → sink; each accepted message's number is appended to `acceptedFile`. */
function childFlows(acceptedFile: string, buffer: Record<string, unknown>): unknown[] {
  return [
    TAB,
    ...mqttAdapter.nodes(buffer),
    // Complete (accepted) → the log; nothing may be refused (the metrics and the count show it).
    ...generatorNodes('seq', 'seq').filter((n) => n.type !== 'catch'),
    { id: 'seq', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'payload.value', tot: 'msg' }], x: 250, y: 200, wires: [['log']] },
    { id: 'log', type: 'file', z: 'tab1', filename: acceptedFile, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', x: 400, y: 200, wires: [] },
  ];
}

async function metrics(inst: Instance): Promise<{ depth: number; delivered: number; dropped: number } | null> {
  const r = await inst.admin<{ depth: number; delivered: number; dropped: number }>('GET', '/plantwire/buffer/sink');
  return r.status === 200 ? r.body : null;
}

function tallyUnique(): number {
  return new Set(got.map((r) => r.seq)).size;
}

