/**
 * A sink whose buffer is set to disk on a Node.js without node:sqlite (a real
 * one: Node-RED in its own process, started with --no-experimental-sqlite):
 * that node shows a red status naming the fix; the deploy and every other
 * node are unaffected.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { brokerNode, mqttOut, TAB } from '../helpers/flows';
import { startAedes, type EmbeddedBroker } from '../helpers/mqtt';
import { startInstance, type Instance } from '../helpers/node-red-instance';

const NODE_RED_JS = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');

let nr: Instance;
let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startAedes();
  nr = await startInstance({ label: 'no-sqlite', node: process.execPath, nodeArgs: ['--no-experimental-sqlite'], redJs: NODE_RED_JS });
}, 120_000);
afterAll(async () => {
  await nr?.stop();
  await broker?.stop();
}, 30_000);

type Status = { fill?: string; text?: string };

describe('disk buffer on a Node.js without node:sqlite', () => {
  it('is a red status on the disk-buffered node only; a memory-buffered sink beside it works', async () => {
    // The statuses, kept per node in flow context by a Status node and read back over HTTP.
    const flows = [
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-disk', 'b1', { asset: 'backend/disk', bufferMode: 'disk' }),
      mqttOut('out-mem', 'b1', { asset: 'backend/mem', bufferMode: 'memory' }),
      { id: 'st', type: 'status', z: 'tab1', name: '', scope: ['out-disk', 'out-mem'], x: 100, y: 300, wires: [['keep']] },
      { id: 'keep', type: 'function', z: 'tab1', func: 'const all = flow.get("statuses") || {};\n(all[msg.status.source.id] = all[msg.status.source.id] || []).push(msg.status);\nflow.set("statuses", all);\nreturn null;', outputs: 1, x: 300, y: 300, wires: [[]] },
      { id: 'get-in', type: 'http in', z: 'tab1', name: '', url: '/statuses', method: 'get', upload: false, swaggerDoc: '', x: 100, y: 360, wires: [['get-fn']] },
      { id: 'get-fn', type: 'function', z: 'tab1', func: 'msg.payload = flow.get("statuses") || {};\nreturn msg;', outputs: 1, x: 300, y: 360, wires: [['get-out']] },
      { id: 'get-out', type: 'http response', z: 'tab1', name: '', statusCode: '', headers: {}, x: 500, y: 360, wires: [] },
    ];
    const res = await nr.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full' });
    expect(res.status).toBeLessThan(300);
    let seen: Record<string, Status[]> = {};
    const done = (): boolean => (seen['out-disk'] ?? []).some((s) => s.fill === 'red') && (seen['out-mem'] ?? []).some((s) => s.fill === 'green');
    for (const deadline = Date.now() + 20_000; !done() && Date.now() < deadline; ) {
      await new Promise((r) => setTimeout(r, 200));
      seen = JSON.parse((await nr.get('/statuses')).text) as Record<string, Status[]>;
    }
    expect(seen['out-disk']?.at(-1)).toMatchObject({ fill: 'red', text: 'disk buffer needs Node.js ≥ 22.13' });
    expect((seen['out-mem'] ?? []).map((s) => s.fill)).toContain('green');
    expect((seen['out-mem'] ?? []).map((s) => s.fill)).not.toContain('red');
    expect(nr.output()).toMatch(/the disk buffer needs SQLite: use Node\.js 22\.13 or newer/);
  });
});
