import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, sampleProblems, type Quality, type SampleValue, type TagSample } from '../../src/model/sample';
import { OeeCalculator, oeeSettings, parseCodes, type OeeConfig, type OeeResultValue } from '../../src/transforms/oee';

const DAY = Date.UTC(2026, 0, 5); // Monday 5 January 2026, 00:00 UTC
const H = 3_600_000;
const MIN = 60_000;
const at = (hh: number, mm = 0, ss = 0): number => DAY + hh * H + mm * MIN + ss * 1000;

function calc(config: OeeConfig = {}): OeeCalculator {
  return new OeeCalculator(
    oeeSettings({
      stateTag: '+/State',
      totalTag: '+/Filler/FillCount',
      rejectTag: '+/Inspector/RejectCount',
      idealCycle: 0.5,
      closeOn: 'data',
      grace: 0,
      ...config,
    }),
  );
}
function s(tag: string, value: SampleValue, t: number, quality: Quality = 'good'): TagSample {
  return makeSample(tag, value, { sourceTimestamp: t, quality, asset: 'acme/hamburg/bottling' });
}
const val = (x: TagSample): OeeResultValue => x.value as unknown as OeeResultValue;

describe('OEE settings', () => {
  it('reads the dialog and rejects bad settings with the field named', () => {
    const set = oeeSettings({ stateTag: '+/State', totalTag: '+/Count', goodTag: '+/Good', idealCycle: '0.1' });
    expect(set).toMatchObject({ countMode: 'counter', idealCycleS: 0.1, microStopMs: 120_000, align: 'shifts', shifts: [360, 840, 1320], closeOn: 'clock', maxLines: 1000 });
    expect(() => oeeSettings({ totalTag: 'a', goodTag: 'b', idealCycle: 1 })).toThrow(/machine state tag is empty/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/Count', idealCycle: 1 })).toThrow(/give two of the count tags/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 'fast' })).toThrow(/ideal cycle time \(s\) must be a number, got "fast"/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: 'Count', goodTag: '+/G', idealCycle: 1 })).toThrow(/all tags must use "\+" for the line, or none of them/);
    expect(() => oeeSettings({ stateTag: '+/+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 1 })).toThrow(/more than one "\+"/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 1, runningStates: 'Running', setupStates: 'Running' })).toThrow(/"Running" is listed as running and as a stop/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 1, shifts: '6:00, 25:00' })).toThrow(/shift start "25:00" is not a time of day/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 1, codes: '17 Fault' })).toThrow(/reason code "17 Fault" is not "code=State"/);
    expect(() => oeeSettings({ stateTag: '+/State', totalTag: '+/C', goodTag: '+/G', idealCycle: 1, idealCycleLines: 'Line2=0' })).toThrow(/ideal cycle time per line "Line2=0"/);
    expect(parseCodes('1=Running; 17=Fault: motor overload\n20 = Setup')).toEqual(
      new Map([
        [1, { state: 'Running' }],
        [17, { state: 'Fault', reason: 'motor overload' }],
        [20, { state: 'Setup' }],
      ]),
    );
  });
});

describe('a recorded shift with known stops and rejects', () => {
  /*
   * Line1, early shift 06:00–14:00 UTC (28,800 s), ideal cycle time 0.5 s,
   * micro-stop threshold 120 s, start-up time 600 s, "Break" is a planned
   * stop, "Changeover" is setup, code 17 = "Fault: motor overload".
   *
   *   06:00:00  Running
   *   07:10:00  17 (Fault: motor overload)   → 07:35:00 Running   1,500 s breakdown
   *   09:00:00  Starved                      → 09:01:00 Running      60 s micro-stop
   *   09:30:00  Blocked                      → 09:31:30 Running      90 s micro-stop
   *   10:00:00  Break                        → 10:30:00 Running   1,800 s planned stop
   *   11:00:00  Changeover                   → 11:20:00 Running   1,200 s setup
   *   12:00:00  Starved, reason tag at 12:00:05 "Upstream conveyor"
   *                                          → 12:05:00 Running     300 s breakdown
   *   14:00:00  Running (next shift: closes this one)
   *
   * Fill counter (16-bit, rolls over at 65,536): 60,000 at 06:00, 2,464 at
   * 07:10 (+8,000 across the rollover), 2,464 at 07:35, 2,964 at 07:39,
   * 19,964 at 10:00, 37,464 at 13:59:59 → total 8,000 + 500 + 17,000 +
   * 17,500 = 43,000. Reject counter: 100, 100, 100, 250 (07:39, 4 min after
   * the restart: 150 start-up rejects), 550, 1,000 → 900 rejects.
   *
   * Hand calculation:
   *   planned time  = 28,800 − 1,800 (break)                      = 27,000 s
   *   downtime      = 1,500 + 300 (breakdowns) + 1,200 (setup)    =  3,000 s
   *   run time      = 27,000 − 3,000                              = 24,000 s
   *   A = 24,000 / 27,000                                         = 0.888889
   *   P = 0.5 × 43,000 / 24,000 = 21,500 / 24,000                 = 0.895833
   *   Q = (43,000 − 900) / 43,000 = 42,100 / 43,000               = 0.979070
   *   OEE = 0.5 × 42,100 / 27,000 = 21,050 / 27,000               = 0.779630
   *       (= A × P × Q = 0.888889 × 0.895833 × 0.979070)
   *   Six big losses (s): breakdowns 1,800; setup 1,200; small stops 150;
   *   reduced speed 24,000 − 21,500 − 150 = 2,350; start-up rejects
   *   0.5 × 150 = 75; production rejects 0.5 × 750 = 375;
   *   1,800 + 1,200 + 150 + 2,350 + 75 + 375 + 21,050 = 27,000 = planned time.
   */
  const config: OeeConfig = {
    align: 'shifts',
    shifts: '06:00, 14:00, 22:00',
    timezone: 'UTC',
    microStop: 120,
    startup: 600,
    rollover: 65536,
    plannedStates: 'Break',
    setupStates: 'Changeover',
    codes: '17=Fault: motor overload',
    reasonTag: '+/StopReason',
  };
  const recorded: TagSample[] = [
    s('Line1/State', 'Running', at(6)),
    s('Line1/Filler/FillCount', 60_000, at(6)),
    s('Line1/Inspector/RejectCount', 100, at(6)),
    s('Line1/State', 17, at(7, 10)),
    s('Line1/Filler/FillCount', 2_464, at(7, 10)),
    s('Line1/Inspector/RejectCount', 100, at(7, 10)),
    s('Line1/State', 'Running', at(7, 35)),
    s('Line1/Filler/FillCount', 2_464, at(7, 35)),
    s('Line1/Filler/FillCount', 2_964, at(7, 39)),
    s('Line1/Inspector/RejectCount', 250, at(7, 39)),
    s('Line1/State', 'Starved', at(9)),
    s('Line1/State', 'Running', at(9, 1)),
    s('Line1/State', 'Blocked', at(9, 30)),
    s('Line1/State', 'Running', at(9, 31, 30)),
    s('Line1/State', 'Break', at(10)),
    s('Line1/Filler/FillCount', 19_964, at(10)),
    s('Line1/Inspector/RejectCount', 550, at(10)),
    s('Line1/State', 'Running', at(10, 30)),
    s('Line1/State', 'Changeover', at(11)),
    s('Line1/State', 'Running', at(11, 20)),
    s('Line1/State', 'Starved', at(12)),
    s('Line1/StopReason', 'Upstream conveyor', at(12, 0, 5)),
    s('Line1/State', 'Running', at(12, 5)),
    s('Line1/Filler/FillCount', 37_464, at(13, 59, 59)),
    s('Line1/Inspector/RejectCount', 1_000, at(13, 59, 59)),
    s('Line1/State', 'Running', at(14)),
  ];

  function checkShift(v: OeeResultValue): void {
    const A = 24_000 / 27_000;
    const P = (0.5 * 43_000) / 24_000;
    const Q = 42_100 / 43_000;
    expect(v.availability).toBeCloseTo(0.888889, 4);
    expect(v.performance).toBeCloseTo(0.895833, 4);
    expect(v.quality).toBeCloseTo(0.97907, 4);
    expect(v.oee).toBeCloseTo(0.77963, 4);
    expect(v.oee).toBeCloseTo(A * P * Q, 10);
    expect(v).toMatchObject({
      final: true,
      line: 'Line1',
      plannedSeconds: 27_000,
      runSeconds: 24_000,
      downtimeSeconds: 3_000,
      plannedStopSeconds: 1_800,
      unknownSeconds: 0,
      totalCount: 43_000,
      goodCount: 42_100,
      rejectCount: 900,
      idealCycleSeconds: 0.5,
      stops: 3,
      microStops: 2,
      microStopSeconds: 150,
      fullyProductiveSeconds: 21_050,
    });
    expect(v.losses).toEqual({ breakdowns: 1_800, setupAdjustments: 1_200, smallStops: 150, reducedSpeed: 2_350, startupRejects: 75, productionRejects: 375 });
    expect(v.reasons).toEqual([
      { reason: 'motor overload', category: 'unplanned', stops: 1, microStops: 0, seconds: 1_500 },
      { reason: 'Changeover', category: 'setup', stops: 1, microStops: 0, seconds: 1_200 },
      { reason: 'Upstream conveyor', category: 'unplanned', stops: 1, microStops: 0, seconds: 300 },
      { reason: 'Blocked', category: 'unplanned', stops: 0, microStops: 1, seconds: 90 },
      { reason: 'Starved', category: 'unplanned', stops: 0, microStops: 1, seconds: 60 },
    ]);
  }

  it('A, P, Q and OEE equal the hand calculation to 4 decimals; micro-stops and reasons are attributed', () => {
    const c = calc(config);
    const r = c.add(recorded, 0);
    expect(r.late).toEqual([]);
    expect(r.results).toHaveLength(1);
    const [res] = r.results;
    expect(res!.tag).toBe('Line1/OEE');
    expect(res!.quality).toBe('good');
    expect(res!.sourceTimestamp).toBe(new Date(at(14)).toISOString());
    expect(res!.window).toEqual({ start: new Date(at(6)).toISOString(), end: new Date(at(14)).toISOString(), count: recorded.length - 1, aggregate: 'oee' });
    expect(res!.asset).toBe('acme/hamburg/bottling');
    expect(sampleProblems(res)).toEqual([]);
    checkShift(val(res!));
    // Downtime events: one per stop, with reason, duration and whether it was a micro-stop (planned stops are not downtime).
    expect(r.events.map((e) => [e.tag, (e.value as Record<string, unknown>).reason, (e.value as Record<string, unknown>).seconds, (e.value as Record<string, unknown>).micro, (e.value as Record<string, unknown>).category])).toEqual([
      ['Line1/Downtime', 'motor overload', 1500, false, 'unplanned'],
      ['Line1/Downtime', 'Starved', 60, true, 'unplanned'],
      ['Line1/Downtime', 'Blocked', 90, true, 'unplanned'],
      ['Line1/Downtime', 'Changeover', 1200, false, 'setup'],
      ['Line1/Downtime', 'Upstream conveyor', 300, false, 'unplanned'],
    ]);
    expect(r.events[0]!.value).toMatchObject({ state: 'Fault', start: new Date(at(7, 10)).toISOString(), end: new Date(at(7, 35)).toISOString() });
  });

  it('the same shift sample by sample, and in the Europe/Berlin shift calendar (07:00 local = 06:00 UTC in winter)', () => {
    const c = calc({ ...config, timezone: 'Europe/Berlin', shifts: '07:00, 15:00, 23:00' });
    const results: TagSample[] = [];
    for (const x of recorded) results.push(...c.add([x], 0, false).results);
    expect(results).toHaveLength(1);
    checkShift(val(results[0]!));
  });

  it('running values during the shift; the period closes by the clock when the line is quiet', () => {
    const c = calc({ ...config, closeOn: 'clock', grace: 5 });
    // Up to 09:00:30: the line is 30 s into the Starved stop (a micro-stop so far).
    const upTo = recorded.filter((x) => Date.parse(x.sourceTimestamp) <= at(9));
    expect(c.add(upTo, at(9)).results).toEqual([]);
    const [run] = c.running(at(9, 0, 30));
    const v = val(run!);
    // Planned 3 h 0 min 30 s = 10,830 s; downtime 1,500 s; run 9,330 s; total 8,500; rejects 150 (all start-up).
    expect(v).toMatchObject({ final: false, state: 'Starved', plannedSeconds: 10_830, runSeconds: 9_330, totalCount: 8_500, rejectCount: 150, microStops: 1, microStopSeconds: 30 });
    expect(v.availability).toBeCloseTo(9_330 / 10_830, 10);
    expect(v.performance).toBeCloseTo((0.5 * 8_500) / 9_330, 10);
    expect(v.quality).toBeCloseTo(8_350 / 8_500, 10);
    expect(v.losses.startupRejects).toBe(75);
    // The running value changed nothing: the full shift still gives the hand calculation.
    const rest = recorded.filter((x) => Date.parse(x.sourceTimestamp) > at(9) && Date.parse(x.sourceTimestamp) < at(14));
    expect(c.add(rest, at(13, 59, 59)).results).toEqual([]);
    expect(c.advance(at(14, 0, 4))).toEqual([]);
    const closed = c.advance(at(14, 0, 5));
    expect(closed).toHaveLength(1);
    checkShift(val(closed[0]!));
    // The next shift holds the running state from 14:00.
    const [next] = c.running(at(15));
    expect(val(next!)).toMatchObject({ plannedSeconds: 3_600, runSeconds: 3_600, availability: 1, performance: 0, totalCount: 0, quality: null, oee: 0 });
    // A sample of the closed shift is late.
    const late = c.add([s('Line1/Filler/FillCount', 40_000, at(13, 59, 59, ))], at(15));
    expect(late.late.map((l) => l.reason)).toEqual(['period-closed']);
  });
});

describe('OEE rules', () => {
  it('a stop spanning the period end counts in both periods, judged by its length so far; the event carries the whole stop', () => {
    const c = calc({ align: 'interval', size: 3600, microStop: 120 });
    const r = c.add(
      [
        s('L1/State', 'Running', at(8)),
        s('L1/Filler/FillCount', 0, at(8)),
        s('L1/Inspector/RejectCount', 0, at(8)),
        s('L1/State', 'Fault', at(8, 58)),
        s('L1/State', 'Running', at(9, 10)),
        s('L1/State', 'Running', at(10)),
      ],
      0,
    );
    expect(r.results.map((x) => [val(x).downtimeSeconds, val(x).stops, val(x).runSeconds])).toEqual([
      [120, 1, 3480],
      [600, 0, 3000],
    ]);
    expect(r.events).toHaveLength(1);
    expect(r.events[0]!.value).toMatchObject({ reason: 'Fault', seconds: 720, micro: false });
  });

  it('time before the first state is unknown (result uncertain); a bad state sample makes time unknown; a boolean state works', () => {
    const c = calc({ align: 'interval', size: 3600, runningStates: 'Running' });
    const r = c.add(
      [
        s('L1/Filler/FillCount', 0, at(8)),
        s('L1/Inspector/RejectCount', 0, at(8)),
        s('L1/State', true, at(8, 15)),
        s('L1/State', 'x', at(8, 30), 'bad'),
        s('L1/State', false, at(8, 45)),
        s('L1/State', true, at(8, 46, 30)),
        s('L1/Filler/FillCount', 1000, at(8, 59)),
        s('L1/State', true, at(9)),
      ],
      0,
    );
    const [res] = r.results;
    expect(res!.quality).toBe('bad');
    expect(val(res!)).toMatchObject({ unknownSeconds: 1800, plannedSeconds: 1800, runSeconds: 1800, microStops: 1, totalCount: 1000 });
    expect(r.events[0]!.value).toMatchObject({ state: 'Stopped', micro: true, seconds: 90 });
  });

  it('lines by asset when the tags have no "+"; per-line ideal cycle times; good and reject counters', () => {
    const c = calc({ stateTag: 'State', totalTag: '', goodTag: 'Good', rejectTag: 'Bad', idealCycle: 1, idealCycleLines: 'press-2=2', align: 'interval', size: 3600 });
    const a = (tag: string, v: SampleValue, t: number, asset: string): TagSample => makeSample(tag, v, { sourceTimestamp: t, asset });
    const r = c.add(
      [
        a('State', 'Running', at(8), 'press-1'),
        a('State', 'Running', at(8), 'press-2'),
        a('Good', 0, at(8), 'press-1'),
        a('Good', 0, at(8), 'press-2'),
        a('Bad', 0, at(8), 'press-1'),
        a('Bad', 0, at(8), 'press-2'),
        a('Good', 1800, at(8, 59), 'press-1'),
        a('Good', 900, at(8, 59), 'press-2'),
        a('Bad', 200, at(8, 59), 'press-1'),
        a('State', 'Running', at(9), 'press-1'),
        a('State', 'Running', at(9), 'press-2'),
      ],
      0,
    );
    expect(r.results.map((x) => [x.tag, val(x).totalCount, val(x).goodCount, val(x).performance, val(x).quality])).toEqual([
      ['press-1/OEE', 2000, 1800, 2000 / 3600, 0.9],
      ['press-2/OEE', 900, 900, 0.5, 1],
    ]);
  });

  it('late samples: out of order per tag, and in a closed period; other tags are ignored', () => {
    const c = calc({ align: 'interval', size: 3600 });
    c.add([s('L1/State', 'Running', at(8)), s('L1/Filler/FillCount', 0, at(8, 30)), s('L1/Speed', 600, at(8, 30))], 0);
    expect(c.ignored).toBe(1);
    let r = c.add([s('L1/Filler/FillCount', 5, at(8, 10))], 0);
    expect(r.late.map((l) => [l.reason, l.message])).toEqual([['out-of-order', expect.stringMatching(/L1\/Filler\/FillCount: sample of .* is older than the newest one of this tag/)]]);
    c.add([s('L1/State', 'Running', at(9, 5))], 0);
    r = c.add([s('L1/State', 'Fault', at(8, 50))], 0);
    expect(r.late.map((l) => l.reason)).toEqual(['out-of-order']);
    r = c.add([s('L1/Inspector/RejectCount', 3, at(8, 50))], 0);
    expect(r.late.map((l) => l.reason)).toEqual(['period-closed']);
  });

  it('bounded state: lines beyond "max lines" are refused, not tracked', () => {
    const c = calc({ align: 'interval', size: 3600, maxLines: 3 });
    const r = c.add(
      Array.from({ length: 10 }, (_, i) => s(`L${i}/State`, 'Running', at(8))),
      0,
    );
    expect(c.lines.size).toBe(3);
    expect(r.late).toHaveLength(7);
    expect(r.late[0]).toMatchObject({ reason: 'line-limit', message: expect.stringMatching(/line limit of 3 lines reached: L3/) });
  });

  it('bad input is refused whole, with the sample named, and changes nothing', () => {
    const c = calc({ align: 'interval', size: 3600 });
    c.add([s('L1/State', 'Running', at(8)), s('L1/Filler/FillCount', 0, at(8))], 0);
    expect(() => c.add([s('L1/Filler/FillCount', 10, at(8, 1)), s('L1/Filler/FillCount', '20', at(8, 2))], 0)).toThrow(
      /payload\[1\]\.value must be a count \(a number ≥ 0\) to compute OEE, got "20" \(tag L1\/Filler\/FillCount\): a numeric string/,
    );
    expect(() => c.add([s('L1/State', [1, 2], at(8, 3))], 0, false)).toThrow(/payload\.value must be a machine state .* got \[1,2\]/);
    expect(() => c.add([s('L1/State', 2.5, at(8, 3))], 0, false)).toThrow(/payload\.value 2\.5 is not a whole-number state code/);
    expect(() => c.add([s('L1/Filler/FillCount', -4, at(8, 3))], 0, false)).toThrow(/must be a count/);
    // Nothing of the refused batch was counted: the counter base is still 0.
    c.add([s('L1/Filler/FillCount', 7, at(8, 5)), s('L1/State', 'Running', at(9))], 0);
    const [res] = c.add([s('L1/State', 'Running', at(10))], 0).results;
    expect(val(res!).totalCount).toBe(0);
  });
});

// ------------------------------------------------------------------ properties

const STATES = ['Running', 'Running', 'Running', 'Fault', 'Starved', 'Break', 'Changeover'];
const stepArb = fc.record({
  dt: fc.integer({ min: 1, max: 900_000 }),
  state: fc.constantFrom(...STATES),
  made: fc.integer({ min: 0, max: 2000 }),
  rejects: fc.integer({ min: 0, max: 50 }),
});

function timeline(steps: Array<{ dt: number; state: string; made: number; rejects: number }>, t0: number): TagSample[] {
  let t = t0;
  let total = 0;
  let rej = 0;
  const out: TagSample[] = [s('L/State', 'Running', t), s('L/Filler/FillCount', 0, t), s('L/Inspector/RejectCount', 0, t)];
  for (const st of steps) {
    t += st.dt;
    total += st.made;
    rej += Math.min(st.rejects, st.made);
    out.push(s('L/State', st.state, t), s('L/Filler/FillCount', total, t), s('L/Inspector/RejectCount', rej, t));
  }
  return out;
}

describe('OEE properties (fast-check)', () => {
  const cfg: OeeConfig = { align: 'interval', size: 3600, microStop: 120, plannedStates: 'Break', setupStates: 'Changeover', idealCycle: 0.25, startup: 60 };

  it('per period: the six losses + fully productive time = planned time; A × P × Q = OEE; planned + planned stops + unknown = period length; A, Q in [0, 1]', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const c = calc(cfg);
        const samples = timeline(steps, at(8));
        const r = c.add(samples, 0);
        const all = [...r.results, ...c.flush()];
        for (const x of all) {
          const v = val(x);
          const span = (Date.parse(v.asOf) - Date.parse(x.window!.start)) / 1000;
          expect(v.plannedSeconds + v.plannedStopSeconds + v.unknownSeconds).toBeCloseTo(span, 6);
          const l = v.losses;
          expect(l.breakdowns + l.setupAdjustments + l.smallStops + l.reducedSpeed + l.startupRejects + l.productionRejects + v.fullyProductiveSeconds).toBeCloseTo(v.plannedSeconds, 6);
          expect(v.runSeconds + v.downtimeSeconds).toBeCloseTo(v.plannedSeconds, 6);
          if (v.availability !== null) expect(v.availability).toBeGreaterThanOrEqual(0), expect(v.availability).toBeLessThanOrEqual(1 + 1e-12);
          if (v.quality !== null) expect(v.quality).toBeGreaterThanOrEqual(0), expect(v.quality).toBeLessThanOrEqual(1);
          if (v.availability !== null && v.performance !== null && v.quality !== null) expect(v.oee!).toBeCloseTo(v.availability * v.performance * v.quality, 9);
          const reasonSeconds = v.reasons.reduce((a, b) => a + b.seconds, 0);
          expect(reasonSeconds).toBeCloseTo(v.downtimeSeconds + v.microStopSeconds, 6);
        }
        // Totals over the periods add up to the whole timeline.
        const sum = (f: (v: OeeResultValue) => number): number => all.reduce((a, x) => a + f(val(x)), 0);
        const lastT = Date.parse(samples.at(-1)!.sourceTimestamp);
        const first = Date.parse(all[0]!.window!.start);
        expect(sum((v) => v.plannedSeconds + v.plannedStopSeconds + v.unknownSeconds)).toBeCloseTo((lastT - first) / 1000, 6);
        expect(sum((v) => v.totalCount)).toBe(steps.reduce((a, b) => a + b.made, 0));
        expect(sum((v) => v.stops + v.microStops)).toBeGreaterThanOrEqual(r.events.length - 0);
      }),
      { numRuns: 150 },
    );
  });

  it('one batch, sample by sample, or in random chunks: the same results and events', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 17 }), (steps, chunk) => {
        const samples = timeline(steps, at(8));
        const a = calc(cfg);
        const ra = a.add(samples, 0);
        const b = calc(cfg);
        const rb = { results: [] as TagSample[], events: [] as TagSample[] };
        for (let i = 0; i < samples.length; i += chunk) {
          const r = b.add(samples.slice(i, i + chunk), 0, true);
          rb.results.push(...r.results);
          rb.events.push(...r.events);
        }
        expect(rb.results).toEqual(ra.results);
        expect(rb.events).toEqual(ra.events);
        expect(b.flush()).toEqual(a.flush());
      }),
      { numRuns: 100 },
    );
  });

  it('every stop that ended gives one event; micro exactly when shorter than the threshold; planned stops give none', () => {
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 1, maxLength: 60 }), (steps) => {
        const r = calc(cfg).add(timeline(steps, at(8)), 0);
        // Expected stops: maximal runs of the same stop state followed by a different state.
        const expected: Array<[string, number, boolean]> = [];
        let cur: { state: string; start: number } | null = null;
        let t = at(8);
        for (const st of steps) {
          t += st.dt;
          if (cur && cur.state !== st.state) {
            expected.push([cur.state, (t - cur.start) / 1000, t - cur.start < 120_000]);
            cur = null;
          }
          if (!cur && st.state !== 'Running' && st.state !== 'Break') cur = { state: st.state, start: t };
        }
        expect(r.events.map((e) => [(e.value as Record<string, unknown>).state, (e.value as Record<string, unknown>).seconds, (e.value as Record<string, unknown>).micro])).toEqual(expected);
      }),
      { numRuns: 150 },
    );
  });
});
