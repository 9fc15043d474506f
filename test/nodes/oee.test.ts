/**
 * plantwire-oee in a real Node-RED runtime: a recorded shift replayed as one
 * batch gives the hand-calculated figures; running values on "update";
 * downtime events on output 2; bad input → one clear error to Catch, a red
 * status, and the node keeps working; a bad setting keeps it inert; its
 * per-line state survives a full redeploy of the unchanged node.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, fn, injectDate, injectValue as inject, statusOf } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const TAB = { id: 'tab1', type: 'tab', label: 'test' };
const T0 = Date.UTC(2026, 0, 5, 6); // 06:00 UTC, a shift start
const at = (min: number): string => new Date(T0 + min * 60_000).toISOString();
const sample = (tag: string, value: unknown, ts: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ tag, value, quality: 'good', sourceTimestamp: ts, ...extra });

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

type Node = Record<string, unknown>;
const oee = (extra: Node = {}): Node => ({
  id: 'oee',
  type: 'plantwire-oee',
  z: 'tab1',
  name: '',
  version: 1,
  stateTag: '+/State',
  reasonTag: '',
  totalTag: '+/Filler/FillCount',
  goodTag: '',
  rejectTag: '+/Inspector/RejectCount',
  countMode: 'counter',
  rollover: '',
  idealCycle: '0.5',
  idealCycleLines: '',
  runningStates: 'Running',
  plannedStates: 'Break',
  setupStates: 'Changeover',
  codes: '17=Fault: motor overload',
  microStop: '120',
  startup: '0',
  align: 'shifts',
  shifts: '06:00, 14:00, 22:00',
  timezone: 'UTC',
  size: '3600',
  offset: '0',
  grace: '0',
  closeOn: 'data',
  update: '0',
  output: 'each',
  maxLines: '1000',
  x: 300,
  y: 100,
  wires: [['out'], ['down'], ['late']],
  ...extra,
});

async function fire(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

/*
 * The shift 06:00–14:00 (28,800 s): a 30-min break (planned), a 20-min fault
 * (code 17), a 90-s micro-stop (Starved); 20,000 made, 400 rejects; ideal
 * cycle 0.5 s. By hand: planned = 28,800 − 1,800 = 27,000 s; run = 27,000 −
 * 1,200 = 25,800 s; A = 25,800/27,000 = 0.955556; P = 0.5 × 20,000/25,800 =
 * 0.387597; Q = 19,600/20,000 = 0.98; OEE = 0.5 × 19,600/27,000 = 0.362963.
 */
const SHIFT = [
  sample('L1/State', 'Running', at(0)),
  sample('L1/Filler/FillCount', 1000, at(0)),
  sample('L1/Inspector/RejectCount', 0, at(0)),
  sample('L1/Speed', 600, at(0)),
  sample('L1/State', 'Break', at(120)),
  sample('L1/State', 'Running', at(150)),
  sample('L1/State', 17, at(200)),
  sample('L1/State', 'Running', at(220)),
  sample('L1/State', 'Starved', at(300)),
  sample('L1/State', 'Running', at(301.5)),
  sample('L1/Filler/FillCount', 21000, at(479)),
  sample('L1/Inspector/RejectCount', 400, at(479)),
];

describe('plantwire-oee in a real runtime', () => {
  it('a recorded shift: the OEE equals the hand calculation; downtime events with reasons; running value on "update"', async () => {
    await rt.deploy([
      TAB,
      oee(),
      inject('shift', SHIFT, 'oee', 'plc'),
      inject('update', 'update', 'oee'),
      inject('close', sample('L1/State', 'Running', at(480)), 'oee'),
      { ...inject('flushmsg', '', 'oee'), props: [{ p: 'payload' }, { p: 'flush', v: 'true', vt: 'bool' }], payloadType: 'str' },
      capture('out'),
      capture('down'),
      capture('late'),
    ]);
    await fire('shift');
    const events = await rt.waitFor('down', 2);
    expect(events.map((e) => [e.msg.topic, e.msg.payload.value.reason, e.msg.payload.value.seconds, e.msg.payload.value.micro])).toEqual([
      ['L1/Downtime', 'motor overload', 1200, false],
      ['L1/Downtime', 'Starved', 90, true],
    ]);
    await fire('update');
    const [running] = await rt.waitFor('out', 1);
    expect(running!.msg.topic).toBe('L1/OEE');
    expect(running!.msg.payload.value).toMatchObject({ final: false, line: 'L1', state: 'Running', totalCount: 20_000, asOf: at(479) });
    await fire('close');
    const all = await rt.waitFor('out', 2);
    const v = all[1]!.msg.payload.value;
    expect(v.final).toBe(true);
    expect(v.availability).toBeCloseTo(0.955556, 4);
    expect(v.performance).toBeCloseTo(0.387597, 4);
    expect(v.quality).toBeCloseTo(0.98, 4);
    expect(v.oee).toBeCloseTo(0.362963, 4);
    expect(v).toMatchObject({ plannedSeconds: 27_000, runSeconds: 25_800, stops: 1, microStops: 1, microStopSeconds: 90, rejectCount: 400 });
    expect(all[1]!.msg.payload.window).toEqual({ start: at(0), end: at(480), count: 11, aggregate: 'oee' });
    expect(rt.captured('late')).toEqual([]);
    // msg.flush without samples closes the open period (the next shift, from 14:00 to the newest sample).
    await fire('flushmsg');
    const flushed = await rt.waitFor('out', 3);
    expect(flushed[2]!.msg.payload.value).toMatchObject({ final: true, line: 'L1', plannedSeconds: 0 });
    expect(flushed[2]!.msg.payload.window.start).toBe(at(480));
    expect(rt.captured('late')).toEqual([]);
  });

  it('bad input → one error to Catch naming the problem, a red status, nothing sent; the node keeps working', async () => {
    await rt.deploy([
      TAB,
      oee({ id: 'oee2' }),
      inject('good0', [sample('L1/State', 'Running', at(0)), sample('L1/Filler/FillCount', 0, at(0)), sample('L1/Inspector/RejectCount', 0, at(0))], 'oee2'),
      inject('strcount', [sample('L1/Filler/FillCount', 5, at(1)), sample('L1/Filler/FillCount', '20', at(2))], 'oee2'),
      inject('badstate', sample('L1/State', { code: 3 }, at(3)), 'oee2'),
      inject('nots', { tag: 'L1/State', value: 'Running', quality: 'good' }, 'oee2'),
      inject('empty', [], 'oee2'),
      inject('notag', 42, 'oee2'),
      injectDate('nan-go', 'nan'),
      fn('nan', 'return { topic: "L1/Filler/FillCount", payload: NaN };', 'oee2'),
      inject('good1', [sample('L1/Filler/FillCount', 100, at(10)), sample('L1/State', 'Fault', at(10))], 'oee2'),
      inject('good2', sample('L1/State', 'Running', at(20)), 'oee2'),
      catcher('c', ['oee2']),
      statusOf('st', ['oee2']),
      capture('errs'),
      capture('status'),
      capture('out'),
      capture('down'),
      capture('late'),
    ]);
    await fire('good0');
    // A state kept from an earlier test would answer with late samples: this node id is new.
    await new Promise((r) => setTimeout(r, 150));
    expect(rt.captured('late')).toEqual([]);
    const cases: Array<[string, RegExp]> = [
      ['strcount', /payload\[1\]\.value must be a count \(a number ≥ 0\) to compute OEE, got "20" \(tag L1\/Filler\/FillCount\)/],
      ['badstate', /payload\.value must be a machine state .* got \{"code":3\} \(tag L1\/State\)/],
      ['nots', /payload\.sourceTimestamp must be an ISO 8601 string, got nothing/],
      ['empty', /payload is an empty array/],
      ['notag', /no tag name is known: set msg\.topic/],
      ['nan-go', /payload must be a finite number, got NaN/],
    ];
    for (const [id, message] of cases) {
      rt.clear();
      await fire(id);
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message, id).toMatch(message);
      const statuses = await rt.waitFor('status', 1);
      expect(statuses.map((s) => s.msg.status.fill), `${id}: red status`).toContain('red');
      await new Promise((r) => setTimeout(r, 150));
      expect(rt.captured('errs'), `${id}: Catch receives the error once`).toHaveLength(1);
      expect([...rt.captured('out'), ...rt.captured('down'), ...rt.captured('late')].map((c) => c.msg), `${id}: nothing sent`).toEqual([]);
    }
    // Still working: a stop and its end give a downtime event; the refused "20" was never counted.
    rt.clear();
    await fire('good1');
    await fire('good2');
    const [ev] = await rt.waitFor('down', 1);
    expect(ev!.msg.payload.value).toMatchObject({ state: 'Fault', seconds: 600, micro: false });
    expect(rt.captured('errs')).toEqual([]);
  });

  it('a bad setting keeps the node inert with a red status naming it', async () => {
    await rt.deploy([TAB, oee({ totalTag: '', goodTag: '' }), statusOf('st', ['oee']), capture('status'), capture('out'), capture('down'), capture('late')]);
    const statuses = await rt.waitFor('status', 1);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'red', text: 'two count tags needed' });
  });

  it('per-line state survives a full redeploy of the unchanged node; running values by the timer', async () => {
    const flow = (x: number): Node[] => [
      TAB,
      oee({ x, closeOn: 'clock', align: 'interval', size: '3600', update: '0.2' }),
      inject('a', [sample('L9/State', 'Running', new Date(Date.now() - 1000).toISOString()), sample('L9/Filler/FillCount', 0, new Date().toISOString()), sample('L9/Inspector/RejectCount', 0, new Date().toISOString())], 'oee'),
      capture('out'),
      capture('down'),
      capture('late'),
    ];
    await rt.deploy(flow(300));
    await fire('a');
    const [first] = await rt.waitFor('out', 1, 10_000);
    expect(first!.msg.payload.value).toMatchObject({ final: false, line: 'L9', state: 'Running' });
    await rt.deploy(flow(340));
    const [kept] = await rt.waitFor('out', 1, 10_000);
    expect(kept!.msg.payload.value, 'the line is still known after the redeploy').toMatchObject({ final: false, line: 'L9', state: 'Running' });
  });
});
