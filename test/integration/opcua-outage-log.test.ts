/**
 * One log line per outage (issue 15): the OPC UA endpoint logs at most 3
 * lines for a 2-minute outage (before: one info line per reconnect attempt,
 * 37 lines). Real Node-RED runtime, the plant simulator stopped and started
 * again on the same port.
 *
 * Mapping: the endpoint's backoff is scaled down through its settings by 5
 * (first reconnect delay 500 → 100 ms, max 5000 → 1000 ms) and the outage by
 * the same factor (120 s → 24 s). Every delay is 5 times shorter, so the
 * connection makes the same number of attempts (≈ 25–35, printed) as with the
 * defaults in a 2-minute outage, and OutageLog's thresholds (10 attempts, then
 * 10 min) fall the same way.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { TAB, capture, endpoint, opcuaIn, statusOf, until } from '../helpers/opcua';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const SCALE = 5;
const OUTAGE_MS = 120_000 / SCALE;

let rt: TestRuntime;
let plant: OpcUaPlant | undefined;
let tmp: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-outage-log-'));
  plant = await startOpcUaPlant({ port: 0, lines: 1, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
  rt = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await rt?.stop();
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('OPC UA endpoint: one log line per outage', () => {
  it(`a ${OUTAGE_MS / 1000} s outage with the backoff scaled down ${SCALE}× (= 2 minutes at the defaults) logs at most 3 lines`, async () => {
    if (!plant) throw new Error('simulator did not start');
    const port = plant.port;
    await rt.deploy([
      TAB,
      endpoint('ep', plant.endpointUrl, { reconnectInitialMs: 500 / SCALE, reconnectMaxMs: 5000 / SCALE }),
      opcuaIn('in', 'ep', [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fills' }], { publishingInterval: 200 }),
      statusOf('st', ['in'], 'status'),
      capture('cap'),
      capture('status'),
    ]);
    await until('samples before the outage', () => rt.captured('cap').length >= 2 || undefined, 20_000);
    const epLines = (since: number) => rt.logs.filter((l) => l.id === 'ep' && l.timestamp >= since && ['info', 'warn', 'error'].includes(l.level));

    const stoppedAt = Date.now();
    await plant.stop();
    plant = undefined;
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    plant = await startOpcUaPlant({ port, lines: 1, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
    const restartedAt = Date.now();
    await until('good samples after the restart', () => rt.captured('cap').some((c) => c.at >= restartedAt && (c.msg.payload as Array<{ quality: string }>).some((s) => s.quality === 'good')) || undefined, 30_000);
    await until('the "back" line', () => epLines(stoppedAt).some((l) => / back after /.test(l.msg)) || undefined, 10_000);

    // Each attempt shows "connecting"/"reconnecting" (yellow) on the user's status: that counts the attempts.
    const attempts = rt.captured('status').filter((c) => c.at >= stoppedAt && c.at < restartedAt && c.msg.status?.fill === 'yellow').length;
    const lines = epLines(stoppedAt).map((l) => `${l.level} ${l.msg}`);
    console.log(`opcua outage log: ${OUTAGE_MS / 1000} s outage (backoff /${SCALE}), ${attempts} reconnect attempts, ${lines.length} log lines:\n  ${lines.join('\n  ')}`);
    expect(attempts, 'as many attempts as 2 minutes at the default backoff').toBeGreaterThanOrEqual(20);
    expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(3);
    expect(lines[0]).toMatch(/^info OPC UA opc\.tcp:\/\/.+ down: connection lost/);
    expect(lines.at(-1)).toMatch(/^info OPC UA opc\.tcp:\/\/.+ back after \d+ s \(\d+ failed attempts\)$/);
  }, 120_000);
});
