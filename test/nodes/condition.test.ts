/**
 * plantwire-condition in a real Node-RED runtime: maintenance counters and a
 * drift monitor fed by messages, events shaped as tag samples with
 * `condition`, commands, bad input (one error to Catch, the node keeps
 * working), the state file (600 in a 700 folder) and counters kept across a
 * redeploy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, inject, statusOf, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
const ts = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const sample = (tag: string, value: unknown, min: number): Record<string, unknown> => ({ tag, value, quality: 'good', sourceTimestamp: ts(min), asset: 'acme/line1/filler', unit: tag === 'P' ? 'bar' : undefined });
const node = {
  id: 'cm',
  type: 'plantwire-condition',
  z: 'tab1',
  name: '',
  version: 1,
  counters: [{ name: 'Pump', tag: 'State', measure: 'runHours', interval: '1', dueSoon: '75', running: 'Running', priority: 'high', description: 'Lubricate the pump' }],
  monitors: [{ tag: 'P', rules: 'ewma, we1', learn: '10' }],
  persist: true,
  x: 300,
  y: 100,
  wires: [['ev'], ['list']],
};
// Running for 50 min in one message, then 10 more min; P: ten baseline values, then a jump.
const baseline = [3.0, 3.1, 2.9, 3.0, 3.05, 2.95, 3.0, 3.1, 2.9, 3.0].map((v, i) => sample('P', v, i));
const flow = (): unknown[] => [
  TAB,
  node,
  inject('run50', 'cm', [sample('State', 'Running', 0), sample('State', 'Running', 50)]),
  inject('run60', 'cm', sample('State', 'Idle', 60)),
  inject('learn', 'cm', baseline),
  inject('jump', 'cm', sample('P', 4.5, 11)),
  inject('maint', 'cm', { command: 'maintained', target: 'Pump', user: 'tech1' }),
  inject('listreq', 'cm', { command: 'list' }),
  inject('bad', 'cm', [sample('P', 3.0, 12), sample('P', 'high', 13)]),
  inject('badcmd', 'cm', { command: 'reset', target: '*' }),
  catcher('c', ['cm'], 'errs'),
  statusOf('s', ['cm'], 'status'),
  capture('ev'),
  capture('list'),
  capture('errs'),
  capture('status'),
];
async function fire(id: string): Promise<void> {
  expect((await rt.admin('POST', `/inject/${id}`)).status, `inject ${id}`).toBe(200);
}
const stateFile = (): string => path.join(rt.userDir, 'plantwire', 'state', 'cm.json');

describe('plantwire-condition in a real runtime', () => {
  it('due soon and due from run hours, drift from a learned baseline, maintained; events are tag samples carrying what was seen and why', async () => {
    await rt.deploy([TAB]);
    await rt.deploy(flow());
    await fire('run50');
    const [soon] = await rt.waitFor('ev', 1);
    expect(soon!.msg.topic).toBe('due-soon/Pump');
    expect(soon!.msg.payload).toMatchObject({ tag: 'State', value: 0.833, unit: 'h', quality: 'good', asset: 'acme/line1/filler', sourceTimestamp: ts(50) });
    expect(soon!.msg.payload.condition).toMatchObject({ kind: 'due-soon', name: 'Pump', priority: 'high', summary: 'Maintenance due soon: Pump', counter: { usage: 0.833, interval: 1, remaining: 0.167, percent: 83.3, expectedDueAt: ts(60) } });
    expect(soon!.msg.payload.condition.description).toMatch(/^Lubricate the pump: Pump has used 83.3 % of its maintenance interval/);
    await fire('run60');
    expect((await rt.waitFor('ev', 2))[1]!.msg.payload.condition).toMatchObject({ kind: 'due', counter: { usage: 1 } });

    await fire('learn');
    const learned = (await rt.waitFor('ev', 3))[2]!.msg.payload.condition;
    expect(learned).toMatchObject({ kind: 'learned', name: 'P', monitor: { mean: 3 } });
    await fire('jump');
    // The jump moves the EWMA out of its limits (drift) and is beyond 3σ itself (anomaly, Western Electric rule 1).
    const [drift, anomaly] = (await rt.waitFor('ev', 5)).slice(3);
    expect([drift!.msg.topic, anomaly!.msg.topic]).toEqual(['drift/P', 'anomaly/P']);
    expect(anomaly!.msg.payload).toMatchObject({ tag: 'P', value: 4.5, unit: 'bar' });
    expect(anomaly!.msg.payload.condition.description).toMatch(/one point beyond 3σ \(Western Electric rule 1\)\. Seen: P = 4.5 bar, [\d.]+σ above the learned mean 3 bar/);
    expect(drift!.msg.payload.condition.monitor).toMatchObject({ rules: ['ewma'], mean: 3, ewma: 3.3 });

    await fire('maint');
    expect((await rt.waitFor('ev', 6))[5]!.msg.payload.condition).toMatchObject({ kind: 'maintained', user: 'tech1', counter: { usage: 0 } });
    await fire('listreq');
    const [list] = await rt.waitFor('list', 1);
    expect(list!.msg.payload.counters[0]).toMatchObject({ name: 'Pump', usage: 0, total: 1 });
    expect(list!.msg.payload.monitors[0]).toMatchObject({ name: 'P', phase: 'watching' });

    expect(fs.statSync(stateFile()).mode & 0o777).toBe(0o600);
    expect(fs.statSync(path.dirname(stateFile())).mode & 0o777).toBe(0o700);
  });

  it('keeps counters and the baseline across a redeploy', async () => {
    await rt.deploy([TAB]);
    await rt.deploy(flow());
    await fire('run50');
    await rt.waitFor('ev', 1);
    await fire('learn');
    await rt.waitFor('ev', 2);
    await rt.deploy(flow());
    await fire('listreq');
    const [list] = await rt.waitFor('list', 1);
    expect(list!.msg.payload.counters[0]).toMatchObject({ usage: 0.833, dueSoon: true });
    expect(list!.msg.payload.monitors[0]).toMatchObject({ phase: 'watching', mean: 3 });
  });

  it('bad input: one clear error to Catch, a red status, nothing changes, and the node keeps working', async () => {
    await rt.deploy([TAB]);
    await rt.deploy(flow());
    await fire('learn');
    await rt.waitFor('ev', 1);
    for (const [id, message] of [
      ['bad', /payload\[1\]\.value must be a number for the drift monitor P, got "high"/],
      ['badcmd', /payload.command must be one of maintained, relearn, list/],
    ] as const) {
      rt.clear();
      await fire(id);
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(message);
      expect((await rt.waitFor('status', 1)).some((s) => s.msg.status.fill === 'red')).toBe(true);
      await new Promise((r) => setTimeout(r, 150));
      expect(rt.captured('errs'), 'Catch receives the error once').toHaveLength(1);
      expect(rt.captured('ev')).toHaveLength(0);
    }
    await fire('jump');
    expect((await rt.waitFor('ev', 2)).map((c) => c.msg.payload.condition.kind)).toEqual(['drift', 'anomaly']);
  });

  it('a configuration error (nothing to watch) leaves the node inert with an error to Catch', async () => {
    await rt.deploy([TAB, { ...node, counters: [], monitors: [] }, catcher('c', ['cm'], 'errs'), capture('errs'), capture('ev'), capture('list')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/configuration error: nothing to watch/);
  });

  it('version: a flow saved without a version runs as version 1; one from a newer Plantwire is refused', async () => {
    await rt.deploy([TAB]);
    const { version: _v, ...legacy } = node;
    await rt.deploy([TAB, legacy, inject('learn', 'cm', baseline), catcher('c', ['cm'], 'errs'), capture('errs'), capture('ev'), capture('list')]);
    await fire('learn');
    expect((await rt.waitFor('ev', 1))[0]!.msg.payload.condition.kind).toBe('learned');
    await rt.deploy([TAB, { ...node, version: 2 }, catcher('c', ['cm'], 'errs'), capture('errs'), capture('ev'), capture('list')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/saved by a newer Plantwire \(node version 2, this palette knows up to 1\)/);
  });
});

