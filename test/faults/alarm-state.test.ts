/**
 * plantwire-alarm's state in a real Node-RED process killed with SIGKILL
 * (no close handler runs) and restarted with the same user dir: every alarm
 * comes back in the state it had — unacknowledged, acknowledged, returned
 * unacknowledged, shelved with its expiry, out of service — and the next
 * operator action continues from there. A normal stop and start as well.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startInstance, type Instance } from '../helpers/node-red-instance';
import { until } from './harness';

const NODE_RED_JS = path.join(path.dirname(require.resolve('node-red/package.json')), 'red.js');
const TS = '2026-01-05T08:00:00.000Z';

interface View {
  alarms: Array<{ id: string; state: string; shelvedUntil?: string; count: number }>;
  rate: { totalAnnunciated: number };
}

const sample = (tag: string, value: unknown): Record<string, unknown> => ({ tag, value, quality: 'good', sourceTimestamp: TS });
const inj = (id: string, payload: unknown, y: number): Record<string, unknown> => ({ id, type: 'inject', z: 'tab', props: [{ p: 'payload' }], payload: JSON.stringify(payload), payloadType: 'json', once: false, repeat: '', x: 100, y, wires: [['al']] });
const FLOW = [
  { id: 'tab', type: 'tab', label: 'alarm state' },
  {
    id: 'al',
    type: 'plantwire-alarm',
    z: 'tab',
    name: '',
    version: 1,
    rules: [
      { tag: 'A', kind: 'H', limit: '10', priority: 'high' },
      { tag: 'B', kind: 'H', limit: '10' },
      { tag: 'C', kind: 'H', limit: '10' },
      { tag: 'D', kind: 'discrete', values: 'true' },
      { tag: 'E', kind: 'discrete', values: 'true' },
    ],
    suppressTag: '',
    suppressValues: '',
    floodThreshold: '10',
    shelveMinutes: '60',
    maxShelveMinutes: '1440',
    rateEvery: '0',
    persist: true,
    x: 300,
    y: 100,
    wires: [[], []],
  },
  inj('raise', [sample('A', 20), sample('B', 20), sample('C', 20), sample('D', true), sample('E', true)], 40),
  inj('returnC', sample('C', 5), 80),
];
const expected = { 'A:H': 'UNACK', 'B:H': 'ACKED', 'C:H': 'RTNUN', 'D:discrete': 'SHLVD', 'E:discrete': 'OOSRV' };

describe('plantwire-alarm: state survives kill -9 and restart', () => {
  let userDir: string;
  let nr: Instance | undefined;
  beforeAll(() => {
    userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-faults-alarm-'));
  });
  afterAll(async () => {
    await nr?.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  });

  const view = async (): Promise<Record<string, string>> => {
    const r = await nr!.admin<View>('GET', '/plantwire/alarm/al');
    expect(r.status).toBe(200);
    return Object.fromEntries(r.body.alarms.map((a) => [a.id, a.state]));
  };
  const command = async (body: Record<string, unknown>): Promise<void> => {
    expect((await nr!.admin('POST', '/plantwire/alarm/al/command', body)).status).toBe(200);
  };

  it('every state comes back after SIGKILL; shelve expiry and acknowledgement continue', async () => {
    nr = await startInstance({ label: 'faults-alarm', node: process.execPath, redJs: NODE_RED_JS, userDir });
    expect((await nr.admin('POST', '/flows', FLOW, { 'Node-RED-Deployment-Type': 'full' })).status).toBe(204);
    await until(async () => (await nr!.admin('GET', '/plantwire/alarm/al')).status === 200, 'alarm node deployed', 30_000);
    expect((await nr.admin('POST', '/inject/raise')).status).toBe(200);
    await until(async () => Object.values(await view()).every((s) => s === 'UNACK'), 'five alarms raised');
    await command({ command: 'acknowledge', alarm: 'B:H' });
    expect((await nr.admin('POST', '/inject/returnC')).status).toBe(200);
    await until(async () => (await view())['C:H'] === 'RTNUN', 'C returned');
    await command({ command: 'shelve', alarm: 'D:discrete', minutes: 30 });
    await command({ command: 'out-of-service', alarm: 'E:discrete' });
    const before = await nr.admin<View>('GET', '/plantwire/alarm/al');
    expect(await view()).toEqual(expected);

    const file = path.join(userDir, 'plantwire', 'state', 'al.json');
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(file)).mode & 0o777).toBe(0o700);

    await nr.kill();
    nr = await startInstance({ label: 'faults-alarm-restarted', node: process.execPath, redJs: NODE_RED_JS, userDir });
    await until(async () => (await nr!.admin('GET', '/plantwire/alarm/al')).status === 200, 'alarm node running again', 30_000);
    const after = await nr.admin<View>('GET', '/plantwire/alarm/al');
    expect(await view()).toEqual(expected);
    expect(after.body.alarms.find((a) => a.id === 'D:discrete')!.shelvedUntil, 'the shelve keeps its expiry').toBe(before.body.alarms.find((a) => a.id === 'D:discrete')!.shelvedUntil);
    expect(after.body.rate.totalAnnunciated, 'the alarm-rate figures continue').toBe(before.body.rate.totalAnnunciated);

    // The operator continues where the killed process stopped.
    await command({ command: 'acknowledge', alarm: '*' });
    expect(await view()).toEqual({ 'A:H': 'ACKED', 'B:H': 'ACKED', 'C:H': 'NORM', 'D:discrete': 'SHLVD', 'E:discrete': 'OOSRV' });
    await command({ command: 'unshelve', alarm: 'D:discrete' });
    expect((await view())['D:discrete'], 'still active when unshelved: annunciated again').toBe('UNACK');

    // A normal stop (close handlers run) and start keep it as well.
    const now = await view();
    await nr.stop();
    nr = await startInstance({ label: 'faults-alarm-stopped', node: process.execPath, redJs: NODE_RED_JS, userDir });
    await until(async () => (await nr!.admin('GET', '/plantwire/alarm/al')).status === 200, 'alarm node running after a stop', 30_000);
    expect(await view()).toEqual(now);
  }, 180_000);
});
