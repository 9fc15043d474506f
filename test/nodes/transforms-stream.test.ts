/**
 * plantwire-normalize, -scale, -deadband and -window in a real Node-RED
 * runtime: good input, bad input (string where a number is needed, missing
 * timestamp, NaN) → one clear error to Catch and a red status, state kept
 * across redeploys, timers (heartbeat, window closing by the clock).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, fn, injectDate as injectFn, injectValue as inject, statusOf } from '../helpers/flows';
import { sampleProblems } from '../../src/model/sample';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const TAB = { id: 'tab1', type: 'tab', label: 'test' };
const T0 = '2026-01-05T08:00:00.000Z';

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
  // The initial (empty) flows may finish starting after startHost resolves; let that pass first,
  // so the first deploy below waits for its own "Started flows".
  for (const deadline = Date.now() + 20_000; !rt.logs.some((l) => l.msg === 'Started flows') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await rt?.stop();
});

type Node = Record<string, unknown>;
const node = (id: string, type: string, extra: Node, wires: string[][] = [['out']]): Node => ({ id, type, z: 'tab1', name: '', version: 1, x: 300, y: 100, wires, ...extra });
/** A function node sending what JSON cannot carry (NaN). */

async function fire(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}
const sample = (tag: string, value: unknown, ts = T0, extra: Node = {}): Node => ({ tag, value, quality: 'good', sourceTimestamp: ts, ...extra });
const at = (s: number): string => new Date(Date.parse(T0) + s * 1000).toISOString();

/** Fires `inject`, expects exactly one error at Catch matching `message`, a red status, and no output. */
async function expectRejected(injectId: string, message: RegExp, statusText?: string | RegExp): Promise<void> {
  rt.clear();
  await fire(injectId);
  const [err] = await rt.waitFor('errs', 1);
  expect(err!.msg.error.message).toMatch(message);
  const statuses = await rt.waitFor('status', 1);
  const red = statuses.map((s) => s.msg.status).find((s) => s.fill === 'red');
  expect(red, 'a red status').toBeDefined();
  if (statusText) expect(red.text).toMatch(statusText);
  // A later message proves the runtime is alive and the error was reported once.
  await new Promise((r) => setTimeout(r, 150));
  expect(rt.captured('errs'), 'Catch receives the error once').toHaveLength(1);
  expect(rt.captured('out'), 'nothing is sent for a rejected message').toHaveLength(0);
}

describe('plantwire-scale in a real runtime', () => {
  const scale = node('sc', 'plantwire-scale', { mode: 'range', rawMin: '0', rawMax: '27648', engMin: '0', engMax: '100', clamp: true, engUnit: '°C', toUnit: '°F', decimals: '1' });

  it('scales a sample and a batch, clamps (uncertain) and converts units', async () => {
    await rt.deploy([
      TAB,
      scale,
      inject('i1', sample('TT1', 13824), 'sc'),
      inject('i2', [sample('TT1', 0), sample('TT2', 30000, T0, { quality: 'bad' })], 'sc', 'plc'),
      inject('i3', 27648, 'sc', 'TT3'),
      capture('out'),
    ]);
    await fire('i1');
    await fire('i2');
    await fire('i3');
    const got = await rt.waitFor('out', 3);
    expect(got[0]!.msg.payload).toEqual({ tag: 'TT1', value: 122, quality: 'good', sourceTimestamp: T0, unit: '°F' });
    expect(got[0]!.msg.topic).toBe('TT1');
    expect(got[1]!.msg.topic, 'a batch keeps its topic').toBe('plc');
    expect(got[1]!.msg.payload.map((s: Node) => [s.value, s.quality])).toEqual([
      [32, 'good'],
      [212, 'bad'],
    ]);
    expect(got[2]!.msg.payload).toMatchObject({ tag: 'TT3', value: 212, quality: 'good', unit: '°F' });
    expect(sampleProblems(got[2]!.msg.payload)).toEqual([]);
  });

  it('bad input: a string where a number is needed, a missing timestamp, NaN → one error to Catch, red status, nothing sent', async () => {
    await rt.deploy([
      TAB,
      scale,
      inject('str', sample('TT1', '12.5'), 'sc'),
      inject('nots', { tag: 'TT1', value: 5, quality: 'good' }, 'sc'),
      injectFn('nan-go', 'nan'),
      fn('nan', 'return { topic: "TT1", payload: NaN };', 'sc'),
      inject('batch', [sample('TT1', 1), sample('TT1', 'x')], 'sc'),
      catcher('c', ['sc']),
      statusOf('st', ['sc']),
      capture('errs'),
      capture('status'),
      capture('out'),
    ]);
    await expectRejected('str', /payload\.value must be a number to scale it, got "12\.5" \(tag TT1\)/, 'value is not a number');
    await expectRejected('nots', /payload\.sourceTimestamp must be an ISO 8601 string, got nothing/, /sourceTimestamp/);
    await expectRejected('nan-go', /payload must be a finite number, got NaN/, 'value is not a number');
    await expectRejected('batch', /payload\[1\]\.value must be a number to scale it, got "x"/);
  });

  it('a unit that does not exist keeps the node inert with a red status naming it', async () => {
    await rt.deploy([TAB, node('bad', 'plantwire-scale', { mode: 'none', engUnit: 'bar', toUnit: 'furlong' }), statusOf('st', ['bad']), catcher('c', ['bad']), capture('errs'), capture('status')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/output unit: unknown unit "furlong"/);
    const statuses = await rt.waitFor('status', 1);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'red', text: 'unknown unit "furlong"' });
  });

  it('admin route checks a conversion and lists units (read permission)', async () => {
    const ok = await rt.admin<{ a: number; b: number }>('GET', '/plantwire/scale/units?from=%C2%B0C&to=%C2%B0F');
    expect(ok.status).toBe(200);
    expect(ok.body.a).toBeCloseTo(1.8, 12);
    expect(ok.body.b).toBeCloseTo(32, 12);
    const bad = await rt.admin<{ error: string }>('GET', '/plantwire/scale/units?from=bar&to=%C2%B0C');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/cannot convert bar to °C/);
    const list = await rt.admin<{ units: string[] }>('GET', '/plantwire/scale/units');
    expect(list.body.units).toContain('m³/h');
    const anon = await fetch(`${rt.url}/plantwire/scale/units`);
    expect(anon.status).toBe(401);
  });
});

describe('plantwire-normalize in a real runtime', () => {
  it('turns values, objects and OPC UA shapes into samples; bad input goes to Catch', async () => {
    await rt.deploy([
      TAB,
      node('nz', 'plantwire-normalize', { tag: '', timestamp: 'auto', quality: 'good', objects: 'split', arrays: 'value', parseStrings: true, output: 'auto' }),
      inject('v', '21.5', 'nz', 'Tank1/Temp'),
      inject('o', { level: 70, pump: { on: true }, ts: 1767600000 }, 'nz', 'Tank1'),
      inject('dv', { value: { dataType: 'Double', value: 4.2 }, statusCode: { value: 0x80000000 }, sourceTimestamp: T0 }, 'nz', 'ns=2;s=T'),
      inject('notag', 5, 'nz'),
      catcher('c', ['nz']),
      statusOf('st', ['nz']),
      capture('errs'),
      capture('status'),
      capture('out'),
    ]);
    await fire('v');
    await fire('o');
    await fire('dv');
    const got = await rt.waitFor('out', 3);
    expect(got[0]!.msg.payload).toMatchObject({ tag: 'Tank1/Temp', value: 21.5, quality: 'good' });
    expect(got[1]!.msg.payload).toEqual([
      { tag: 'Tank1/level', value: 70, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' },
      { tag: 'Tank1/pump/on', value: true, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' },
    ]);
    expect(got[2]!.msg.payload).toEqual({ tag: 'ns=2;s=T', value: 4.2, quality: 'bad', statusCode: 0x80000000, sourceTimestamp: T0 });
    for (const g of got) for (const s of [g.msg.payload].flat()) expect(sampleProblems(s)).toEqual([]);
    await expectRejected('notag', /payload is a plain value \(5\) but no tag name is known: set msg\.topic/, 'missing tag (msg.topic)');
  });

  it('missing timestamp field and NaN are clear errors', async () => {
    await rt.deploy([
      TAB,
      node('nz', 'plantwire-normalize', { timestamp: 'field', timestampField: 'ts', objects: 'split' }),
      inject('nots', { level: 70 }, 'nz', 'Tank1'),
      injectFn('nan-go', 'nan'),
      fn('nan', 'return { topic: "Tank1", payload: { level: NaN, ts: 1767600000 } };', 'nz'),
      catcher('c', ['nz']),
      statusOf('st', ['nz']),
      capture('errs'),
      capture('status'),
      capture('out'),
    ]);
    await expectRejected('nots', /timestamp field "ts" is missing from msg\.payload/, 'missing timestamp');
    await expectRejected('nan-go', /payload\.level must be a finite number, got NaN \(tag Tank1\/level\)/);
  });
});

describe('plantwire-normalize typed inputs (version 2)', () => {
  it('reads tag, unit and asset per message from msg and env; a bad value read from the message goes to Catch naming its source', async () => {
    process.env.PW_TEST_NORMALIZE_ASSET = '/acme/hamburg/bottling/';
    await rt.deploy([
      TAB,
      node('nz', 'plantwire-normalize', { version: 2, tag: 'sensor.name', tagType: 'msg', unit: 'sensor.unit', unitType: 'msg', asset: 'PW_TEST_NORMALIZE_ASSET', assetType: 'env', timestamp: 'now', output: 'auto' }),
      fn('named', 'return { topic: "ignored", payload: 21.5, sensor: { name: "Filler/Temp", unit: "°C" } };', 'nz'),
      injectFn('named-go', 'named'),
      fn('bad', 'return { payload: 1, sensor: { name: { no: 1 }, unit: "°C" } };', 'nz'),
      injectFn('bad-go', 'bad'),
      catcher('c', ['nz']),
      statusOf('st', ['nz']),
      capture('errs'),
      capture('status'),
      capture('out'),
    ]);
    await fire('named-go');
    const [got] = await rt.waitFor('out', 1);
    expect(got!.msg.payload).toMatchObject({ tag: 'Filler/Temp', value: 21.5, unit: '°C', asset: 'acme/hamburg/bottling' });
    await expectRejected('bad-go', /tag from msg\.sensor\.name must be text, got/);
    delete process.env.PW_TEST_NORMALIZE_ASSET;
  });

  it('a version 1 flow (fixed tag and asset, no types) works as before', async () => {
    await rt.deploy([TAB, node('nz', 'plantwire-normalize', { tag: 'Fixed/Tag', asset: 'acme/site', timestamp: 'now' }), inject('v', '7', 'nz', 'other'), capture('out')]);
    await fire('v');
    const [got] = await rt.waitFor('out', 1);
    expect(got!.msg.payload).toMatchObject({ tag: 'Fixed/Tag', value: 7, asset: 'acme/site' });
  });
});

describe('plantwire-deadband in a real runtime', () => {
  const db = (extra: Node = {}): Node => node('db', 'plantwire-deadband', { mode: 'absolute', deadband: '1', percentOf: 'last', heartbeat: '0', maxTags: '10000', ...extra });

  it('passes changes beyond the band and quality changes, per tag, for single samples and batches', async () => {
    await rt.deploy([
      TAB,
      db(),
      inject('a', [sample('p', 10), sample('p', 10.5), sample('q', 1), sample('p', 11.2), sample('p', 11.2, T0, { quality: 'uncertain' })], 'db', 'plc'),
      inject('b', sample('p', 11.5, T0, { quality: 'uncertain' }), 'db'),
      inject('c', sample('p', 20, T0, { quality: 'uncertain' }), 'db'),
      capture('out'),
    ]);
    await fire('a');
    await fire('b');
    await fire('c');
    const got = await rt.waitFor('out', 2);
    expect(got[0]!.msg.payload.map((s: Node) => `${s.tag}=${s.value}/${s.quality}`)).toEqual(['p=10/good', 'q=1/good', 'p=11.2/good', 'p=11.2/uncertain']);
    expect(got[1]!.msg.payload, 'b (11.5, within the band) was suppressed; c passes').toMatchObject({ tag: 'p', value: 20 });
    expect(rt.captured('out')).toHaveLength(2);
  });

  it('heartbeat re-sends a quiet tag from the timer with msg.heartbeat', async () => {
    await rt.deploy([TAB, db({ heartbeat: '0.3' }), inject('a', sample('hb', 1), 'db'), capture('out')]);
    await fire('a');
    const got = await rt.waitFor('out', 3, 10_000);
    expect(got[0]!.msg.heartbeat).toBeUndefined();
    expect(got[1]!.msg).toMatchObject({ heartbeat: true, topic: 'hb', payload: { tag: 'hb', value: 1, sourceTimestamp: T0 } });
    const gap = got[2]!.at - got[1]!.at;
    expect(gap, 'heartbeats are paced by the period, not sent back to back (loose bound for a loaded machine)').toBeGreaterThanOrEqual(100);
  });

  it('bad input → Catch: string timestamp that is no date, NaN', async () => {
    await rt.deploy([
      TAB,
      db(),
      inject('badts', sample('p', 1, 'yesterday'), 'db'),
      injectFn('nan-go', 'nan'),
      fn('nan', 'return { payload: { tag: "p", value: NaN, quality: "good", sourceTimestamp: new Date().toISOString() } };', 'db'),
      catcher('c', ['db']),
      statusOf('st', ['db']),
      capture('errs'),
      capture('status'),
      capture('out'),
    ]);
    await expectRejected('badts', /payload\.sourceTimestamp must be an ISO 8601 string, got "yesterday"/);
    await expectRejected('nan-go', /payload\.value must be a finite number, got NaN/);
  });

  it('per-tag state survives a modified-nodes deploy and a full deploy of an unchanged node; a changed node starts afresh', async () => {
    const flow = (dbExtra: Node, otherName: string): Node[] => [
      TAB,
      db(dbExtra),
      inject('ten', sample('s', 10), 'db'),
      inject('ten5', sample('s', 10.5), 'db'),
      inject('marker1', sample('marker', 1), 'db'),
      inject('marker2', sample('marker', 2.5), 'db'),
      capture('out'),
      { ...capture('other'), name: otherName, y: 300 },
    ];
    const tags = (): string[] => rt.captured('out').map((g) => `${g.msg.payload.tag}=${g.msg.payload.value}`);
    await rt.deploy(flow({}, 'other'));
    await fire('ten');
    await rt.waitFor('out', 1);
    // Modified-nodes deploy: only the unrelated capture node changes; the deadband node is not restarted.
    const before = rt.logs.length;
    const res = await rt.admin('POST', '/flows', flow({}, 'other-renamed'), { 'Node-RED-Deployment-Type': 'nodes', 'Node-RED-API-Version': 'v1' });
    expect(res.status).toBe(204);
    await expect.poll(() => rt.logs.slice(before).some((l) => /Started modified nodes/.test(l.msg)), { timeout: 10_000 }).toBe(true);
    rt.clear();
    await fire('ten5');
    await fire('marker1');
    await rt.waitFor('out', 1);
    // Messages are handled in order: had 10.5 passed, it would have arrived before the marker.
    expect(tags(), '10.5 is within the band of the kept 10').toEqual(['marker=1']);
    // Full deploy with this node unchanged (only moved): it restarts, its state is parked and restored.
    await rt.deploy(flow({ x: 340 }, 'other-renamed'));
    await fire('ten5');
    await fire('marker2');
    await rt.waitFor('out', 1);
    expect(tags(), 'still suppressed after the full deploy').toEqual(['marker=2.5']);
    // A changed deadband starts afresh: the first sample of each tag passes.
    await rt.deploy(flow({ deadband: '2' }, 'other-renamed'));
    await fire('ten5');
    await rt.waitFor('out', 1);
    expect(tags()).toEqual(['s=10.5']);
  });
});

describe('plantwire-window in a real runtime', () => {
  const win = (extra: Node = {}): Node =>
    node('w', 'plantwire-window', { kind: 'tumbling', by: 'time', size: '60', aggregates: ['twa', 'count'], closeOn: 'data', grace: '0', timestamp: 'end', output: 'each', maxTags: '10000', ...extra }, [['out'], ['late']]);

  it('emits one aggregate per tag per window; late samples go to output 2; flush closes', async () => {
    await rt.deploy([
      TAB,
      win(),
      inject('a', [sample('x', 10, at(0)), sample('y', 1, at(5)), sample('x', 20, at(30)), sample('x', 0, at(61))], 'w', 'plc'),
      inject('tooLate', sample('x', 99, at(20)), 'w'),
      inject('flush', 'flush', 'w'),
      capture('out'),
      capture('late'),
    ]);
    await fire('a');
    const [first] = await rt.waitFor('out', 1);
    expect(first!.msg.topic).toBe('x');
    expect(first!.msg.payload).toEqual({
      tag: 'x',
      value: { twa: 15, count: 2 },
      quality: 'good',
      sourceTimestamp: at(60),
      window: { start: at(0), end: at(60), count: 2, aggregate: 'twa,count' },
    });
    await fire('tooLate');
    const [late] = await rt.waitFor('late', 1);
    expect(late!.msg).toMatchObject({ topic: 'x', payload: { value: 99 }, late: { reason: 'out-of-order' } });
    await fire('flush');
    const all = await rt.waitFor('out', 3);
    expect(all.slice(1).map((g) => [g.msg.payload.tag, g.msg.payload.value.count])).toEqual([
      ['x', 1],
      ['y', 1],
    ]);
  });

  it('closes windows by the clock for quiet tags', async () => {
    await rt.deploy([TAB, win({ size: '1', closeOn: 'clock', aggregates: ['count'] }), inject('now', 7, 'w', 'clocked'), capture('out'), capture('late')]);
    await fire('now');
    const [got] = await rt.waitFor('out', 1, 10_000);
    expect(got!.msg.payload).toMatchObject({ tag: 'clocked', value: 1 });
    expect(Date.parse(got!.msg.payload.window.end) - Date.parse(got!.msg.payload.window.start)).toBe(1000);
  });

  it('bad input → Catch: a string for a numeric aggregate, a missing timestamp, NaN', async () => {
    await rt.deploy([
      TAB,
      win(),
      inject('str', [sample('x', 1, at(0)), sample('x', 'high', at(1))], 'w'),
      inject('nots', { tag: 'x', value: 1, quality: 'good' }, 'w'),
      injectFn('nan-go', 'nan'),
      fn('nan', 'return { topic: "x", payload: NaN };', 'w'),
      catcher('c', ['w']),
      statusOf('st', ['w']),
      capture('errs'),
      capture('status'),
      capture('out'),
      capture('late'),
    ]);
    await expectRejected('str', /payload\[1\]\.value must be a number to compute twa,count, got "high" \(tag x\)/, 'value is not a number');
    await expectRejected('nots', /payload\.sourceTimestamp must be an ISO 8601 string, got nothing/);
    await expectRejected('nan-go', /payload must be a finite number, got NaN/);
  });

  it('a bad setting keeps the node inert with a red status', async () => {
    await rt.deploy([TAB, win({ aggregates: ['median'] }), statusOf('st', ['w']), capture('status'), capture('out'), capture('late')]);
    const statuses = await rt.waitFor('status', 1);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'red', text: 'unknown aggregate "median"' });
  });
});
