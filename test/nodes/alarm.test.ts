/**
 * plantwire-alarm in a real Node-RED runtime: events out, commands in,
 * the permission-checked admin routes behind the editor's buttons, bad
 * input (one error to Catch, the node keeps working), the state file
 * (600 in a 700 folder) and state kept across redeploys.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, inject, statusOf, TAB } from '../helpers/flows';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

const T0 = '2026-01-05T08:00:00.000Z';
const sample = (tag: string, value: unknown, ts = T0): Record<string, unknown> => ({ tag, value, quality: 'good', sourceTimestamp: ts, unit: '°C', asset: 'acme/line1' });
const alarmNode = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  id: 'al',
  type: 'plantwire-alarm',
  z: 'tab1',
  name: '',
  version: 1,
  rules: [
    { tag: 'Line1/Temp', kind: 'H', limit: '80', deadband: '2', priority: 'high', message: 'too hot' },
    { tag: 'Line1/Jam', kind: 'discrete', values: 'true', priority: 'medium' },
  ],
  suppressTag: 'Line1/State',
  suppressValues: 'Idle',
  floodThreshold: '10',
  shelveMinutes: '60',
  maxShelveMinutes: '1440',
  rateEvery: '0',
  persist: true,
  x: 300,
  y: 100,
  wires: [['ev'], ['rate']],
  ...extra,
});
const flow = (extra: Record<string, unknown> = {}): unknown[] => [
  TAB,
  alarmNode(extra),
  inject('hot', 'al', sample('Line1/Temp', 90)),
  inject('jam', 'al', [sample('Line1/Jam', true), sample('Line1/Temp', 70)]),
  inject('ack', 'al', { command: 'acknowledge', alarm: 'Line1/Temp:H', user: 'op1' }),
  inject('list', 'al', { command: 'list' }),
  inject('bad', 'al', sample('Line1/Temp', 'hot')),
  inject('badcmd', 'al', { command: 'silence', alarm: '*' }),
  inject('nosuch', 'al', { command: 'ack', alarm: 'Line9/Nothing' }),
  catcher('c', ['al'], 'errs'),
  statusOf('s', ['al'], 'status'),
  capture('ev'),
  capture('rate'),
  capture('errs'),
  capture('status'),
];
/** Deploys the flow after removing the alarm node, so it starts from a clean state (removing a node deletes its state file). */
async function fresh(extra: Record<string, unknown> = {}): Promise<void> {
  await rt.deploy([TAB]);
  await rt.deploy(flow(extra));
}
async function fire(id: string): Promise<void> {
  expect((await rt.admin('POST', `/inject/${id}`)).status, `inject ${id}`).toBe(200);
}
const stateFile = (): string => path.join(rt.userDir, 'plantwire', 'state', 'al.json');

describe('plantwire-alarm in a real runtime', () => {
  it('sends an event per transition (a tag sample carrying the alarm), takes commands, keeps the state in a private file', async () => {
    await fresh();
    await fire('hot');
    const [raised] = await rt.waitFor('ev', 1);
    expect(raised!.msg.topic).toBe('Line1/Temp:H');
    expect(raised!.msg.payload).toMatchObject({ tag: 'Line1/Temp', value: 90, quality: 'good', unit: '°C', asset: 'acme/line1' });
    expect(raised!.msg.payload.alarm).toMatchObject({ id: 'Line1/Temp:H', transition: 'activate', previous: 'NORM', state: 'UNACK', priority: 'high', message: 'too hot', limit: 80, deadband: 2 });
    expect(raised!.msg.payload.alarm.sample).toMatchObject({ tag: 'Line1/Temp', value: 90, sourceTimestamp: T0 });

    // The state is on disk: file 600 in a 700 folder.
    expect(fs.statSync(stateFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(stateFile())).mode & 0o777).toBe(0o700);
    expect(JSON.parse(fs.readFileSync(stateFile(), 'utf8')).alarms['Line1/Temp:H'].state).toBe('UNACK');

    await fire('jam');
    const after = await rt.waitFor('ev', 3);
    expect(after.slice(1).map((c) => `${c.msg.payload.alarm.id}:${c.msg.payload.alarm.transition}:${c.msg.payload.alarm.state}`)).toEqual(['Line1/Jam:discrete:activate:UNACK', 'Line1/Temp:H:return:RTNUN']);
    await fire('ack');
    const acked = await rt.waitFor('ev', 4);
    expect(acked[3]!.msg.payload.alarm).toMatchObject({ transition: 'acknowledge', previous: 'RTNUN', state: 'NORM', user: 'op1' });
    await fire('list');
    const [list] = await rt.waitFor('rate', 1);
    expect(list!.msg.topic).toBe('alarms');
    expect(list!.msg.payload.map((a: Record<string, unknown>) => `${a.id}=${a.state}`)).toEqual(['Line1/Temp:H=NORM', 'Line1/Jam:discrete=UNACK']);
  });

  it('admin routes for the editor: reading needs plantwire-alarm.read, acknowledging and shelving plantwire-alarm.write; the editor user is recorded', async () => {
    await fresh();
    await fire('jam');
    await rt.waitFor('ev', 1);
    const view = await rt.admin<{ alarms: Array<{ id: string; state: string }>; rate: { alarms: number } }>('GET', '/plantwire/alarm/al');
    expect(view.status).toBe(200);
    expect(view.body.alarms.find((a) => a.id === 'Line1/Jam:discrete')!.state).toBe('UNACK');
    expect(view.body.rate.alarms).toBeGreaterThanOrEqual(1);

    expect((await fetch(`${rt.url}/plantwire/alarm/al`)).status, 'no login').toBe(401);
    const reader = await rt.token(READER);
    const asReader = (method: string, route: string, body?: unknown): Promise<Response> => fetch(`${rt.url}${route}`, { method, headers: { authorization: `Bearer ${reader}`, 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
    expect((await asReader('GET', '/plantwire/alarm/al')).status, 'a reader may look').toBe(200);
    // Node-RED answers 401 (not 403) when a valid token lacks the permission.
    expect((await asReader('POST', '/plantwire/alarm/al/command', { command: 'acknowledge', alarm: '*' })).status, 'a reader may not acknowledge').toBe(401);
    expect((await rt.admin<{ alarms: Array<{ id: string; state: string }> }>('GET', '/plantwire/alarm/al')).body.alarms.find((a) => a.id === 'Line1/Jam:discrete')!.state).toBe('UNACK');

    const ack = await rt.admin<{ events: number }>('POST', '/plantwire/alarm/al/command', { command: 'acknowledge', alarm: '*' });
    expect(ack.status).toBe(200);
    expect(ack.body.events).toBe(1);
    const evs = await rt.waitFor('ev', 2);
    expect(evs[1]!.msg.payload.alarm).toMatchObject({ transition: 'acknowledge', state: 'ACKED', user: 'admin' });
    const shelve = await rt.admin('POST', '/plantwire/alarm/al/command', { command: 'shelve', alarm: 'Line1/Jam:discrete', minutes: 5 });
    expect(shelve.status).toBe(200);
    expect((await rt.waitFor('ev', 3))[2]!.msg.payload.alarm).toMatchObject({ transition: 'shelve', state: 'SHLVD' });
    expect((await rt.admin('POST', '/plantwire/alarm/al/command', { command: 'shelve', alarm: 'nope' })).status).toBe(404);
    expect((await rt.admin('POST', '/plantwire/alarm/al/command', { command: 'list' })).status).toBe(400);
    expect((await rt.admin('GET', '/plantwire/alarm/not-deployed')).status).toBe(404);
    expect((await rt.admin('GET', '/plantwire/alarm/..%2F..%2Fetc')).status).toBe(400);
  });

  it('bad input: one clear error to Catch, a red status, nothing sent, and the node keeps working', async () => {
    await fresh();
    for (const [id, message] of [
      ['bad', /value must be a number for the H alarm Line1\/Temp:H, got "hot"/],
      ['badcmd', /payload.command must be one of acknowledge/],
      ['nosuch', /no alarm "Line9\/Nothing"/],
    ] as const) {
      rt.clear();
      await fire(id);
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(message);
      const statuses = await rt.waitFor('status', 1);
      expect(statuses.some((s) => s.msg.status.fill === 'red')).toBe(true);
      await new Promise((r) => setTimeout(r, 150));
      expect(rt.captured('errs'), 'Catch receives the error once').toHaveLength(1);
      expect(rt.captured('ev')).toHaveLength(0);
    }
    await fire('hot');
    expect((await rt.waitFor('ev', 1))[0]!.msg.payload.alarm.transition).toBe('activate');
  });

  it('keeps the alarm states across a redeploy, also when other alarms were added', async () => {
    await fresh();
    await fire('hot');
    await rt.waitFor('ev', 1);
    await rt.deploy(flow());
    let view = await rt.admin<{ alarms: Array<{ id: string; state: string }> }>('GET', '/plantwire/alarm/al');
    expect(view.body.alarms.find((a) => a.id === 'Line1/Temp:H')!.state).toBe('UNACK');
    const changed = flow({ rules: [...(alarmNode().rules as unknown[]), { tag: 'Line1/Temp', kind: 'HH', limit: '95' }] });
    await rt.deploy(changed);
    view = await rt.admin('GET', '/plantwire/alarm/al');
    expect(view.body.alarms.map((a) => `${a.id}=${a.state}`)).toEqual(['Line1/Temp:H=UNACK', 'Line1/Jam:discrete=NORM', 'Line1/Temp:HH=NORM']);
    // Removing the node deletes its state.
    await rt.deploy([TAB, capture('ev')]);
    expect(fs.existsSync(stateFile())).toBe(false);
  });

  it('a configuration error (no alarms) leaves the node inert with a red status and an error to Catch', async () => {
    await rt.deploy([TAB, alarmNode({ rules: [] }), catcher('c', ['al'], 'errs'), capture('errs'), capture('ev'), capture('rate')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/configuration error: no alarms defined/);
  });

  it('version: a flow saved without a version runs as version 1; one from a newer Plantwire is refused with a clear message', async () => {
    await rt.deploy([TAB]);
    const legacy = flow().map((n) => ((n as { id: string }).id === 'al' ? Object.fromEntries(Object.entries(n as object).filter(([k]) => k !== 'version')) : n));
    await rt.deploy(legacy);
    await fire('hot');
    expect((await rt.waitFor('ev', 1))[0]!.msg.payload.alarm.transition).toBe('activate');
    await rt.deploy([TAB, alarmNode({ version: 99 }), catcher('c', ['al'], 'errs'), capture('errs'), capture('ev'), capture('rate')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/saved by a newer Plantwire \(node version 99, this palette knows up to 1\); update @plantwire\/node-red/);
  });
});
