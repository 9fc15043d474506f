/**
 * plantwire-erp-out (SAP OData v2) against the SAP simulator that drops 30 %
 * of its answers after committing (src/sim/erp-odata.ts, dropRate 0.3), in a
 * separate Node-RED process with the durable disk buffer: 1,000 documents as
 * single posts and as `$batch` of 100, with Node-RED killed with SIGKILL in the
 * middle and restarted on the same user dir. What counts is what the simulator
 * stored: exactly 1,000 notifications, each once (Repeatability-Request-ID
 * from the buffer entry: a document sent again after a lost answer or after
 * the restart is replayed, not created again).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';
import { erpConnection, erpOut } from '../helpers/erp';
import { TAB } from '../helpers/flows';
import { startInstance, type Instance } from '../helpers/node-red-instance';
import { generate, until } from './harness';

const NODE_RED_JS = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');
const N = 1000;

let sim: ErpSim;
let userDir: string;
let nr: Instance | undefined;

beforeAll(async () => {
  sim = await startErpSim({ port: 0, seed: 7 });
  userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-faults-erp-'));
});
afterAll(async () => {
  await nr?.stop();
  await sim?.close();
  fs.rmSync(userDir, { recursive: true, force: true });
});

async function metrics(inst: Instance): Promise<{ depth: number; delivered: number; deadLettered: number; dropped: number } | null> {
  const r = await inst.admin<{ depth: number; delivered: number; deadLettered: number; dropped: number }>('GET', '/plantwire/buffer/sink');
  return r.status === 200 ? r.body : null;
}

/** Sequence numbers of the stored notifications ("seq 17" → 17), duplicates included. */
const stored = (): number[] => sim.documents('MaintenanceNotification').map((d) => Number(String(d.NotificationText).replace(/^seq /, '')));

function flows(batchSize: number): unknown[] {
  const gen = `for (let seq = msg.payload.from; seq < msg.payload.from + msg.payload.n; seq++) node.send({ topic: 'T' + (seq % 5), payload: { tag: 'T' + (seq % 5), value: seq } });\nreturn null;`;
  return [
    TAB,
    erpConnection('erp', sim.v2.notification, { kind: 'sap-odata-v2', sapClient: '100', timeout: 5 }),
    erpOut('sink', 'erp', [[], []], {
      entity: 'MaintenanceNotification',
      mapping: '{"NotificationText": "seq " & $string(payload.value), "TechnicalObject": payload.tag, "MaintPriority": "2"}',
      bufferMode: 'disk',
      batchSize,
      batchMs: batchSize > 1 ? 200 : 0,
    }),
    { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '{"from":0,"n":1}', payloadType: 'json', once: false, repeat: '', x: 50, y: 40, wires: [['gen']] },
    { id: 'gen', type: 'function', z: 'tab1', name: 'generate', func: gen, outputs: 1, x: 150, y: 40, wires: [['sink']] },
  ];
}

describe.each([
  // Answer latency so that the kill lands in the middle of the run on any machine.
  { mode: 'single posts', batchSize: 1, latencyMs: 5 },
  { mode: '$batch of 100', batchSize: 100, latencyMs: 400 },
])('erp-out, SAP simulator dropping 30 % of the answers after commit: $mode', ({ mode, batchSize, latencyMs }) => {
  it(`1,000 documents, Node-RED killed with SIGKILL mid-way and restarted: exactly 1,000 stored, 0 duplicates`, async () => {
    await nr?.stop();
    nr = undefined;
    sim.reset();
    sim.faults({ dropRate: 0.3, latencyMs });
    const dir = path.join(userDir, `b${batchSize}`);
    nr = await startInstance({ label: `erp-${batchSize}`, node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    expect((await nr.admin('POST', '/flows', flows(batchSize), { 'Node-RED-Deployment-Type': 'full' })).status).toBe(204);
    await until(async () => (await metrics(nr!)) !== null, 'buffer registered', 30_000);
    expect((await nr.admin('POST', '/inject/go', generate(0, N))).status).toBe(200);
    // Every document durable in the buffer (or already answered), and a good part of them in SAP: then kill.
    await until(async () => {
      const m = await metrics(nr!);
      return m !== null && m.depth + m.delivered >= N;
    }, 'all 1,000 accepted', 60_000);
    await until(() => new Set(stored()).size >= 300, '300 documents stored before the kill', 120_000);
    await nr.kill();
    const beforeRestart = new Set(stored()).size;
    expect(beforeRestart).toBeLessThan(N);
    nr = await startInstance({ label: `erp-${batchSize}-restarted`, node: process.execPath, redJs: NODE_RED_JS, userDir: dir });
    await until(() => new Set(stored()).size >= N, 'all 1,000 stored after the restart', 240_000);
    await until(async () => (await metrics(nr!))?.depth === 0, 'buffer drained', 60_000);
    const all = stored();
    const unique = new Set(all);
    console.log(`[faults] erp-out ${mode}, 30 % answers dropped, SIGKILL at ${beforeRestart} stored: stored ${all.length}, unique ${unique.size}, duplicated ${all.length - unique.size}, answers dropped ${sim.stats.dropped}, replays ${sim.stats.replays}`);
    expect(all.length).toBe(N);
    expect(unique.size).toBe(N);
    expect([...unique].sort((a, b) => a - b)).toEqual(Array.from({ length: N }, (_, i) => i));
    // The drops really happened, and the repeats were answered from SAP's repeatability store.
    expect(sim.stats.dropped).toBeGreaterThan(batchSize === 1 ? 100 : 2);
    expect(sim.stats.replays).toBeGreaterThan(0);
    expect((await metrics(nr))!.deadLettered).toBe(0);
  }, 420_000);
});
