/**
 * Fault test (issue #3): the OPC UA plant simulator stops for 10 s and starts
 * again on the same port. plantwire-opcua-in must mark its tags bad, show the
 * outage in its status, and resume delivering changes within 15 s of the
 * restart — with no redeploy: the subscription and its monitored items are
 * recreated on the new session.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { TAB, capture, endpoint, opcuaIn, statusOf, until } from '../helpers/opcua';

let rt: TestRuntime;
let plant: OpcUaPlant | undefined;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-fault-'));
  plant = await startOpcUaPlant({ port: 0, lines: 1, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
  rt = await startTestRuntime();
  // The simulator makes its PKI (an RSA key) and Node-RED starts: seconds when idle, over a minute on a loaded CI machine.
}, 180_000);

afterAll(async () => {
  await rt?.stop();
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

type Sample = { tag: string; value: unknown; quality: string; statusCode: number; sourceTimestamp: string };
const samples = (): Array<{ at: number; s: Sample }> => rt.captured('cap').flatMap((c) => (c.msg.payload as Sample[]).map((s) => ({ at: c.at, s })));
const statuses = (): Array<{ at: number; fill: string; text: string }> => rt.captured('status').map((c) => ({ at: c.at, fill: c.msg.status.fill, text: c.msg.status.text }));

describe('plantwire-opcua-in survives a server restart', () => {
  it('shows the outage, marks tags bad, and resumes within 15 s of the restart without a redeploy', async () => {
    if (!plant) throw new Error('simulator did not start');
    const port = plant.port;
    await rt.deploy([
      TAB,
      endpoint('ep', plant.endpointUrl),
      opcuaIn('in', 'ep', [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fills' }, { nodeId: 'ns=2;s=Line1/Filler/ProductTemperature', tag: 'temp' }], { publishingInterval: 200 }),
      // A second subscription on the same endpoint (one message per change): it must come back too.
      opcuaIn('in2', 'ep', [{ browsePath: '/Objects/Plant/Line1/Capper/CapCount', tag: 'caps' }], { publishingInterval: 500, output: 'each' }, [['cap2']]),
      statusOf('st', ['in'], 'status'),
      capture('cap'),
      capture('cap2'),
      capture('status'),
    ]);
    await until('good samples before the outage', () => samples().filter((x) => x.s.quality === 'good' && x.s.tag === 'fills').length >= 3);
    await until('a green status', () => statuses().some((s) => s.fill === 'green' && /2 tags/.test(s.text)));
    // Counted once the flow runs (the runtime's own first "Started flows" may land after deploy() returned).
    const startedFlows = rt.logs.filter((l) => l.msg === 'Started flows').length;

    // --- outage: 10 s without the server
    const stoppedAt = Date.now();
    await plant.stop();
    plant = undefined;
    const badAfterStop = await until('bad samples after the stop', () => {
      const bad = samples().filter((x) => x.at >= stoppedAt && x.s.quality === 'bad');
      return bad.length >= 2 ? bad : undefined;
    });
    expect(new Set(badAfterStop.map((x) => x.s.tag))).toEqual(new Set(['fills', 'temp']));
    expect(badAfterStop[0]!.s.statusCode, 'Bad_NoCommunication').toBe(0x80310000);
    expect(typeof badAfterStop.find((x) => x.s.tag === 'fills')!.s.value, 'the last value is kept').toBe('number');
    const outage = await until('a red status during the outage', () => statuses().find((s) => s.at >= stoppedAt && s.fill === 'red'));
    expect(outage.text).toMatch(/connection lost|connection refused|unreachable|retry/);
    const waitLeft = 10_000 - (Date.now() - stoppedAt);
    if (waitLeft > 0) await new Promise((r) => setTimeout(r, waitLeft));
    expect(samples().filter((x) => x.at > stoppedAt + 500 && x.s.quality === 'good'), 'nothing good while the server is down').toEqual([]);

    // --- the server comes back on the same port
    plant = await startOpcUaPlant({ port, lines: 1, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
    expect(plant.port).toBe(port);
    const restartedAt = Date.now();
    const resumed = await until(
      'good samples after the restart (within 15 s)',
      () => samples().find((x) => x.at >= restartedAt && x.s.quality === 'good' && x.s.tag === 'fills'),
      15_000,
    );
    const resumeMs = resumed.at - restartedAt;
    console.log(`opcua fault test: outage ${((restartedAt - stoppedAt) / 1000).toFixed(1)} s, changes resumed ${(resumeMs / 1000).toFixed(1)} s after the restart`);
    expect(resumeMs).toBeLessThanOrEqual(15_000);
    // Changes keep flowing (not just one initial value): the counter moves on.
    const after = await until('more fill counts after the restart', () => {
      const fills = samples().filter((x) => x.at >= restartedAt && x.s.quality === 'good' && x.s.tag === 'fills');
      return fills.length >= 3 ? fills : undefined;
    });
    expect(Number(after.at(-1)!.s.value)).toBeGreaterThan(Number(after[0]!.s.value));
    const recovered = await until('a green status after the restart', () => statuses().find((s) => s.at >= restartedAt && s.fill === 'green' && /2 tags/.test(s.text)));
    expect(recovered.text).toMatch(/2 tags @/);
    await until('the second subscription delivering again', () => rt.captured('cap2').some((c) => c.at >= restartedAt && c.msg.payload.quality === 'good' && c.msg.payload.tag === 'caps'), 15_000);
    expect(rt.captured('cap2').some((c) => c.at >= stoppedAt && c.at < restartedAt && c.msg.payload.quality === 'bad'), 'the second subscription marked its tag bad too').toBe(true);
    expect(rt.logs.filter((l) => l.msg === 'Started flows').length, 'no redeploy happened').toBe(startedFlows);
  }, 60_000);
});
