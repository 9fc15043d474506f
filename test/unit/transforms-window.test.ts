import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, sampleProblems, type Quality, type SampleValue, type TagSample } from '../../src/model/sample';
import { localToUtc, parseShiftStarts, shiftCalendar, intervalCalendar } from '../../src/transforms/calendar';
import { counterIncrease, WindowAggregator, windowSettings, type WindowConfig } from '../../src/transforms/window';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0); // a Monday, 08:00 UTC, on the hour
const MIN = 60_000;

function agg(config: WindowConfig): WindowAggregator {
  return new WindowAggregator(windowSettings({ closeOn: 'data', ...config }));
}
function s(tag: string, value: SampleValue, t: number, quality: Quality = 'good', unit?: string): TagSample {
  return makeSample(tag, value, { sourceTimestamp: t, quality, unit });
}

describe('window settings', () => {
  it('reads the dialog and rejects bad settings with the field named', () => {
    const set = windowSettings({ size: '60', aggregates: ['twa', 'max'] });
    expect(set).toMatchObject({ kind: 'tumbling', by: 'time', sizeMs: 60_000, aggregates: ['twa', 'max'], closeOn: 'clock', timestamp: 'end', maxTags: 10_000 });
    expect(() => windowSettings({ size: 'abc' })).toThrow(/window size \(s\) must be a number, got "abc"/);
    expect(() => windowSettings({ size: 60, aggregates: ['median'] })).toThrow(/unknown aggregate "median": use min, max, mean, twa/);
    expect(() => windowSettings({ size: 60, aggregates: [] })).toThrow(/no aggregate selected/);
    expect(() => windowSettings({ kind: 'sliding', size: 60, hop: 120 })).toThrow(/"emit every" \(120 s\) is longer than the window \(60 s\)/);
    expect(() => windowSettings({ by: 'count', count: 0 })).toThrow(/window count must be at least 1/);
    expect(() => windowSettings({ align: 'shifts', shifts: '6:00, 25:00' })).toThrow(/shift start "25:00" is not a time of day/);
    expect(() => windowSettings({ align: 'shifts', shifts: '06:00', timezone: 'Mars/Olympus' })).toThrow(/time zone "Mars\/Olympus" is unknown/);
    expect(() => windowSettings({ kind: 'sliding', align: 'shifts', shifts: '06:00', size: 60, hop: 60 })).toThrow(/shift alignment works with tumbling time windows only/);
    expect(() => windowSettings({ size: 60, maxTags: 0 })).toThrow(/max tags must be at least 1/);
  });
});

describe('tumbling time windows', () => {
  it('emits one aggregate sample per tag per window, aligned to the clock, with window info', () => {
    const w = agg({ size: 60, aggregates: ['mean'] });
    let r = w.add([s('a', 1, T0 + 1000, 'good', '°C'), s('b', 10, T0 + 2000), s('a', 3, T0 + 30_000)], 0);
    expect(r.aggregates).toEqual([]);
    r = w.add([s('a', 5, T0 + MIN + 5000), s('b', 20, T0 + MIN)], 0);
    expect(r.late).toEqual([]);
    expect(r.aggregates).toHaveLength(2);
    const [a, b] = r.aggregates;
    expect(a).toEqual({
      tag: 'a',
      value: 2,
      quality: 'good',
      sourceTimestamp: new Date(T0 + MIN).toISOString(),
      unit: '°C',
      window: { start: new Date(T0).toISOString(), end: new Date(T0 + MIN).toISOString(), count: 2, aggregate: 'mean' },
    });
    expect(sampleProblems(a)).toEqual([]);
    expect(b!.value).toBe(10);
  });

  it('computes every aggregate; several aggregates give an object value', () => {
    const w = agg({ size: 60, aggregates: ['min', 'max', 'mean', 'twa', 'sum', 'count', 'first', 'last', 'delta', 'stddev'] });
    w.add([s('x', 2, T0), s('x', 4, T0 + 15_000), s('x', 4, T0 + 30_000), s('x', 6, T0 + 45_000)], 0);
    const { aggregates } = w.add([s('x', 0, T0 + MIN)], 0);
    expect(aggregates[0]!.value).toEqual({
      min: 2,
      max: 6,
      mean: 4,
      twa: (2 * 15 + 4 * 15 + 4 * 15 + 6 * 15) / 60,
      sum: 16,
      count: 4,
      first: 2,
      last: 6,
      delta: 4,
      stddev: Math.sqrt(((2 - 4) ** 2 + 0 + 0 + (6 - 4) ** 2) / 3),
    });
    expect(aggregates[0]!.window!.aggregate).toBe('min,max,mean,twa,sum,count,first,last,delta,stddev');
  });

  it('TWA: the value known before the window holds from the window start; without one it starts at the first sample', () => {
    const w = agg({ size: 60, aggregates: ['twa'] });
    // First window: no earlier value → average over [T0+30 s, T0+60 s) of 10 → 10.
    w.add([s('t', 10, T0 + 30_000)], 0);
    let r = w.add([s('t', 40, T0 + MIN + 45_000)], 0);
    expect(r.aggregates[0]!.value).toBe(10);
    // Second window: 10 holds 45 s from its start, then 40 for 15 s → (10·45 + 40·15)/60 = 17.5.
    r = w.add([s('t', 0, T0 + 2 * MIN)], 0);
    expect(r.aggregates[0]!.value).toBe(17.5);
  });

  it('sourceTimestamp is the window end, or its start when configured', () => {
    const w = agg({ size: 60, timestamp: 'start' });
    w.add([s('a', 1, T0 + 10)], 0);
    const r = w.add([s('a', 1, T0 + MIN)], 0);
    expect(r.aggregates[0]!.sourceTimestamp).toBe(new Date(T0).toISOString());
  });

  it('quality is the worst of the inputs; a bad sample without a value is counted, skipped, and makes the result uncertain', () => {
    const w = agg({ size: 60, aggregates: ['mean', 'count', 'twa'] });
    w.add([s('q', 2, T0, 'good'), s('q', null, T0 + 20_000, 'bad'), s('q', 4, T0 + 40_000, 'good')], 0);
    let r = w.add([s('q', 1, T0 + MIN)], 0);
    expect(r.aggregates[0]!.quality).toBe('uncertain');
    // The bad interval [20 s, 40 s) counts for nothing: (2·20 + 4·20) / 40 = 3.
    expect(r.aggregates[0]!.value).toEqual({ mean: 3, count: 3, twa: 3 });
    w.add([s('q', 1, T0 + MIN + 1, 'uncertain')], 0);
    r = w.add([s('q', 1, T0 + 2 * MIN)], 0);
    expect(r.aggregates[0]!.quality).toBe('uncertain');
    w.add([s('q', null, T0 + 2 * MIN + 5, 'bad')], 0);
    r = w.add([s('q', 1, T0 + 3 * MIN + 5, 'bad')], 0);
    const third = r.aggregates.find((x) => x.window!.start === new Date(T0 + 2 * MIN).toISOString())!;
    expect(third.quality, 'a good value and a skipped bad one').toBe('uncertain');
    r = w.add([s('q', 1, T0 + 4 * MIN)], 0);
    expect(r.aggregates[0]!.quality).toBe('bad');
  });

  it('booleans count as 0/1: TWA of a running flag is the utilisation', () => {
    const w = agg({ size: 3600, aggregates: ['twa'] });
    w.add([s('run', true, T0), s('run', false, T0 + 45 * MIN)], 0);
    const r = w.add([s('run', true, T0 + 60 * MIN)], 0);
    expect(r.aggregates[0]!.value).toBe(0.75);
  });

  it('rejects a string value when a numeric aggregate is configured (all-or-nothing), but first/last/count take any value', () => {
    const w = agg({ size: 60, aggregates: ['mean'] });
    expect(() => w.add([s('a', 1, T0), s('a', 'abc', T0 + 1)], 0)).toThrow(/payload\[1\]\.value must be a number to compute mean, got "abc" \(tag a\)/);
    expect(w.tags.size, 'nothing was added').toBe(0);
    const states = agg({ size: 60, aggregates: ['last', 'count'] });
    states.add([s('m', 'Running', T0), s('m', 'Fault', T0 + 5)], 0);
    const r = states.add([s('m', 'Idle', T0 + MIN)], 0);
    expect(r.aggregates[0]!.value).toEqual({ last: 'Fault', count: 2 });
    expect(r.aggregates[0]!.quality).toBe('good');
  });

  it('late data: out-of-order samples and samples of emitted windows go to `late`, never into aggregates', () => {
    const w = agg({ size: 60, aggregates: ['count'] });
    w.add([s('a', 1, T0 + 10_000)], 0);
    let r = w.add([s('a', 1, T0 + 5_000)], 0);
    expect(r.late).toHaveLength(1);
    expect(r.late[0]!.reason).toBe('out-of-order');
    expect(r.late[0]!.message).toMatch(/older than the newest sample of this tag/);
    w.add([s('a', 1, T0 + MIN + 1)], 0);
    r = w.add([s('b', 1, T0 + 3 * MIN)], 0);
    r = w.add([s('a', 1, T0 + 20_000)], 0);
    expect(r.late[0]!.reason).toBe('out-of-order');
    expect(w.lateCount).toBe(2);
  });

  it('close mode "clock": windows close at end + grace; a sample for a closed window is late', () => {
    const w = new WindowAggregator(windowSettings({ size: 60, grace: 5, aggregates: ['count'], closeOn: 'clock' }));
    w.add([s('a', 1, T0 + 10_000), s('b', 1, T0 + 50_000)], T0 + 50_000);
    expect(w.nextCloseAt(T0 + 50_000)).toBe(T0 + MIN + 5000);
    expect(w.advance(T0 + MIN + 4999)).toEqual([]);
    const closed = w.advance(T0 + MIN + 5000);
    expect(closed.map((x) => [x.tag, x.value])).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    const r = w.add([s('a', 1, T0 + 59_000)], T0 + MIN + 6000);
    expect(r.late[0]).toMatchObject({ reason: 'window-closed' });
    // A new tag whose window is already past end + grace is late too.
    const r2 = w.add([s('c', 1, T0 + 1000)], T0 + MIN + 6000);
    expect(r2.late[0]!.message).toMatch(/arrived after its window closed/);
    // Within the grace, a delayed sample still counts.
    const r3 = w.add([s('d', 1, T0 + MIN + 59_000)], T0 + 2 * MIN + 4000);
    expect(r3.late).toEqual([]);
  });

  it('empty windows are skipped, or emitted from the held value with emitEmpty', () => {
    const skip = agg({ size: 60, aggregates: ['twa'] });
    skip.add([s('a', 5, T0)], 0);
    expect(skip.add([s('a', 7, T0 + 3 * MIN)], 0).aggregates).toHaveLength(1);
    const hold = agg({ size: 60, aggregates: ['twa', 'count', 'delta'], emitEmpty: true });
    hold.add([s('a', 5, T0)], 0);
    const r = hold.add([s('a', 7, T0 + 3 * MIN)], 0);
    expect(r.aggregates.map((x) => [x.window!.start, x.value])).toEqual([
      [new Date(T0).toISOString(), { twa: 5, count: 1, delta: 0 }],
      [new Date(T0 + MIN).toISOString(), { twa: 5, count: 0, delta: 0 }],
      [new Date(T0 + 2 * MIN).toISOString(), { twa: 5, count: 0, delta: 0 }],
    ]);
  });

  it('emitEmpty with the clock: a quiet tag (e.g. behind a deadband) still reports every window', () => {
    const w = new WindowAggregator(windowSettings({ size: 60, aggregates: ['twa'], closeOn: 'clock', emitEmpty: true }));
    w.add([s('a', 3, T0 + 1000)], T0 + 1000);
    const out = w.advance(T0 + 3 * MIN + 1);
    expect(out.map((x) => x.value)).toEqual([3, 3, 3]);
    expect(out.map((x) => x.window!.count)).toEqual([1, 0, 0]);
  });

  it('flush closes open windows now', () => {
    const w = agg({ size: 3600, aggregates: ['sum'] });
    w.add([s('a', 1, T0), s('a', 2, T0 + 1000), s('b', 5, T0)], 0);
    expect(w.flush().map((x) => [x.tag, x.value])).toEqual([
      ['a', 3],
      ['b', 5],
    ]);
    expect(w.flush()).toEqual([]);
  });

  it('bounds tracked tags: samples of new tags beyond the limit go to `late` with a reason', () => {
    const w = agg({ size: 60, maxTags: 2 });
    const r = w.add([s('a', 1, T0), s('b', 1, T0), s('c', 1, T0), s('a', 2, T0 + 1)], 0);
    expect(r.late.map((l) => [l.sample.tag, l.reason])).toEqual([['c', 'tag-limit']]);
    expect(r.late[0]!.message).toMatch(/tag limit of 2 tags reached: c is not aggregated \(raise "max tags"\)/);
    expect(w.tags.size).toBe(2);
  });

  it('rejects counter values outside 0 … rollover when delta is configured', () => {
    const w = agg({ size: 60, aggregates: ['delta'], rollover: 65536 });
    expect(() => w.add([s('c', 70_000, T0)], 0, false)).toThrow(/payload\.value 70000 \(tag c\) is outside the counter range 0 … 65536/);
  });
});

describe('sliding windows', () => {
  it('time: a 5-minute window emitted every minute', () => {
    const w = agg({ kind: 'sliding', size: 300, hop: 60, aggregates: ['count', 'sum'] });
    const samples = Array.from({ length: 10 }, (_, i) => s('a', i, T0 + i * MIN + 1000));
    const r = w.add(samples, 0);
    // Boundaries T0+1min … T0+9min are passed by later samples: 9 windows.
    expect(r.aggregates).toHaveLength(9);
    expect(r.aggregates.map((x) => (x.value as { count: number }).count)).toEqual([1, 2, 3, 4, 5, 5, 5, 5, 5]);
    expect(r.aggregates[8]!.value).toEqual({ count: 5, sum: 4 + 5 + 6 + 7 + 8 });
    expect(r.aggregates[8]!.window).toMatchObject({ start: new Date(T0 + 4 * MIN).toISOString(), end: new Date(T0 + 9 * MIN).toISOString() });
  });

  it('time: a jump over a long gap skips empty windows (or caps held ones)', () => {
    const w = agg({ kind: 'sliding', size: 120, hop: 60, aggregates: ['count'] });
    w.add([s('a', 1, T0)], 0);
    const r = w.add([s('a', 1, T0 + 1000 * MIN)], 0);
    expect(r.aggregates.map((x) => x.value)).toEqual([1, 1]);
    const held = agg({ kind: 'sliding', size: 120, hop: 60, aggregates: ['count'], emitEmpty: true });
    held.add([s('a', 1, T0)], 0);
    const r2 = held.add([s('a', 1, T0 + 5000 * MIN)], 0);
    expect(r2.aggregates.length).toBeLessThanOrEqual(1002);
    expect(r2.aggregates.length).toBeGreaterThan(1000);
  });

  it('count: the last N samples, emitted every K', () => {
    const w = agg({ by: 'count', kind: 'sliding', count: 3, hopCount: 2, aggregates: ['mean'] });
    const r = w.add([1, 2, 3, 4, 5, 6, 7].map((v, i) => s('a', v, T0 + i * 1000)), 0);
    expect(r.aggregates.map((x) => x.value)).toEqual([2, 4, 6]);
    expect(r.aggregates[0]!.window).toMatchObject({ start: new Date(T0).toISOString(), end: new Date(T0 + 2000).toISOString(), count: 3 });
  });
});

describe('tumbling count windows', () => {
  it('emit after N samples per tag; flush emits a partial window', () => {
    const w = agg({ by: 'count', count: 3, aggregates: ['sum', 'twa'] });
    const r = w.add([s('a', 1, T0), s('b', 9, T0), s('a', 2, T0 + 1000), s('a', 3, T0 + 3000), s('a', 4, T0 + 4000)], 0);
    // TWA from the first to the last sample: (1·1 + 2·2)/3.
    expect(r.aggregates).toEqual([expect.objectContaining({ tag: 'a', value: { sum: 6, twa: 5 / 3 } })]);
    expect(w.flush().map((x) => [x.tag, x.value])).toEqual([
      ['a', { sum: 4, twa: 4 }],
      ['b', { sum: 9, twa: 9 }],
    ]);
  });
});

describe('wall-clock alignment', () => {
  it('interval windows align to the epoch plus an offset', () => {
    const c = intervalCalendar(3_600_000, 30 * MIN);
    expect(c.windowAt(T0 + 10 * MIN)).toEqual({ start: T0 - 30 * MIN, end: T0 + 30 * MIN });
  });

  it('shift windows follow local start times in a time zone, across daylight saving', () => {
    const starts = parseShiftStarts('22:00, 06:00,14:00');
    expect(starts).toEqual([360, 840, 1320]);
    const c = shiftCalendar(starts, 'Europe/Berlin');
    // 2026-01-05 08:00 UTC = 09:00 CET: the early shift 06:00–14:00 CET = 05:00–13:00 UTC.
    expect(c.windowAt(T0)).toEqual({ start: Date.UTC(2026, 0, 5, 5), end: Date.UTC(2026, 0, 5, 13) });
    // Night shift over the spring-forward night (29 March 2026, 02:00 → 03:00): 22:00 CET → 06:00 CEST is 7 h.
    const night = c.windowAt(Date.UTC(2026, 2, 29, 0, 30));
    expect(night).toEqual({ start: Date.UTC(2026, 2, 28, 21), end: Date.UTC(2026, 2, 29, 4) });
    // …and 9 h over the fall-back night (25 October 2026).
    const fall = c.windowAt(Date.UTC(2026, 9, 25, 1, 30));
    expect(fall.end - fall.start).toBe(9 * 3_600_000);
    expect(localToUtc(2026, 7, 1, 6 * 60, 'America/Chicago')).toBe(Date.UTC(2026, 6, 1, 11));
  });

  it('shift windows aggregate per shift', () => {
    const w = agg({ align: 'shifts', shifts: '06:00, 18:00', timezone: 'UTC', aggregates: ['count'] });
    w.add([s('a', 1, Date.UTC(2026, 0, 5, 7)), s('a', 1, Date.UTC(2026, 0, 5, 17, 59))], 0);
    const r = w.add([s('a', 1, Date.UTC(2026, 0, 5, 18))], 0);
    expect(r.aggregates[0]!.window).toEqual({ start: '2026-01-05T06:00:00.000Z', end: '2026-01-05T18:00:00.000Z', count: 2, aggregate: 'count' });
  });
});

describe('counter increase rule', () => {
  it('increase, rollover, reset', () => {
    expect(counterIncrease(10, 15, 0)).toBe(5);
    expect(counterIncrease(65530, 4, 65536)).toBe(10);
    expect(counterIncrease(100, 4, 65536), 'a drop from low in the range is a reset').toBe(4);
    expect(counterIncrease(100, 4, 0), 'no rollover configured: a decrease is a reset').toBe(4);
  });
});

describe('window properties (fast-check)', () => {
  it('TWA of a step signal is exact: Σ vᵢ·(tᵢ₊₁ − tᵢ) / (end − t₀), last value held to the window end', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 5000 }), v: fc.integer({ min: -1_000_000, max: 1_000_000 }) }), { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 0, max: 59_999 }),
        (steps, startOffset) => {
          const size = 3_600_000;
          const w = agg({ size: size / 1000, aggregates: ['twa'] });
          let t = T0 + startOffset;
          const points: Array<{ t: number; v: number }> = [];
          for (const st of steps) {
            points.push({ t, v: st.v });
            t += st.dt;
          }
          w.add(points.map((p) => s('x', p.v, p.t)), 0);
          const [out] = w.flush();
          const end = T0 + size;
          let integral = 0;
          for (let i = 0; i < points.length; i++) integral += points[i]!.v * ((points[i + 1]?.t ?? end) - points[i]!.t);
          const expected = integral / (end - points[0]!.t);
          return out!.value === expected;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('TWA of a step signal across windows uses the held value from the window start, exactly', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 1, max: 40_000 }), v: fc.integer({ min: 0, max: 1000 }) }), { minLength: 2, maxLength: 60 }),
        (steps) => {
          const size = 60_000;
          const w = agg({ size: size / 1000, aggregates: ['twa'] });
          let t = T0;
          const pts: Array<{ t: number; v: number }> = [];
          for (const st of steps) {
            pts.push({ t, v: st.v });
            t += st.dt;
          }
          const emitted = [...w.add(pts.map((p) => s('x', p.v, p.t)), 0).aggregates, ...w.flush()];
          const valueAt = (x: number): number | undefined => {
            let v: number | undefined;
            for (const p of pts) if (p.t <= x) v = p.v;
            return v;
          };
          for (const out of emitted) {
            const start = Date.parse(out.window!.start);
            const end = Date.parse(out.window!.end);
            // Integrate the step signal exactly over [max(start, t0), end).
            const from = Math.max(start, pts[0]!.t);
            const cuts = [from, ...pts.map((p) => p.t).filter((x) => x > from && x < end), end];
            let integral = 0;
            for (let i = 0; i + 1 < cuts.length; i++) integral += valueAt(cuts[i]!)! * (cuts[i + 1]! - cuts[i]!);
            if (out.value !== integral / (end - from)) return false;
          }
          return emitted.length > 0;
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counter delta across rollover is right: the windows\' deltas add up to the true increase', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(256, 65_536, 4_294_967_296, 1000),
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.array(fc.record({ inc: fc.nat(), dt: fc.integer({ min: 1, max: 30_000 }) }), { minLength: 1, maxLength: 80 }),
        (rollover, startSeed, steps) => {
          const w = agg({ size: 60, aggregates: ['delta'], rollover });
          let value = startSeed % rollover;
          let t = T0;
          let total = 0;
          const samples = [s('c', value, t)];
          for (const st of steps) {
            const inc = st.inc % Math.floor(rollover / 2); // below R/2: a wrap is a rollover
            total += inc;
            value = (value + inc) % rollover;
            t += st.dt;
            samples.push(s('c', value, t));
          }
          const out = [...w.add(samples, 0).aggregates, ...w.flush()];
          const sum = out.reduce((acc, x) => acc + (x.value as number), 0);
          return sum === total && out.every((x) => (x.value as number) >= 0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('tumbling windows partition the samples: counts and sums add up, each sample in exactly one window', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ tag: fc.constantFrom('a', 'b', 'c'), dt: fc.integer({ min: 0, max: 20_000 }), v: fc.integer({ min: -100, max: 100 }) }), { minLength: 1, maxLength: 200 }),
        (rows) => {
          const w = agg({ size: 60, aggregates: ['count', 'sum'] });
          let t = T0;
          const samples = rows.map((r) => {
            t += r.dt;
            return s(r.tag, r.v, t);
          });
          const out = [...w.add(samples, 0).aggregates, ...w.flush()];
          const count = out.reduce((a, x) => a + (x.value as { count: number }).count, 0);
          const sum = out.reduce((a, x) => a + (x.value as { sum: number }).sum, 0);
          return count === samples.length && sum === rows.reduce((a, r) => a + r.v, 0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('sliding ≡ tumbling when the hop equals the window (fast-check)', () => {
  const rows = fc.array(fc.record({ tag: fc.constantFrom('a', 'b'), dt: fc.integer({ min: 0, max: 50_000 }), v: fc.integer({ min: 0, max: 1000 }) }), { minLength: 1, maxLength: 120 });
  const build = (rs: Array<{ tag: string; dt: number; v: number }>): TagSample[] => {
    let t = T0;
    return rs.map((r) => {
      t += r.dt;
      return s(r.tag, r.v, t);
    });
  };
  const key = (x: TagSample): string => `${x.tag}@${x.window!.start}=${JSON.stringify(x.value)}/${x.window!.count}`;

  it('by time', () => {
    fc.assert(
      fc.property(rows, (rs) => {
        const samples = build(rs);
        const aggs = ['count', 'sum', 'twa', 'delta', 'min', 'max'];
        const tumbling = agg({ size: 60, aggregates: aggs });
        const sliding = agg({ kind: 'sliding', size: 60, hop: 60, aggregates: aggs });
        const a = [...tumbling.add(samples, 0).aggregates, ...tumbling.flush()].map(key).sort();
        const b = [...sliding.add(samples, 0).aggregates, ...sliding.flush()].map(key).sort();
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });

  it('by count', () => {
    fc.assert(
      fc.property(rows, fc.integer({ min: 1, max: 7 }), (rs, n) => {
        const samples = build(rs);
        const tumbling = agg({ by: 'count', count: n, aggregates: ['sum', 'delta', 'twa'] });
        const sliding = agg({ by: 'count', kind: 'sliding', count: n, hopCount: n, aggregates: ['sum', 'delta', 'twa'] });
        const a = tumbling.add(samples, 0).aggregates.map(key);
        const b = sliding.add(samples, 0).aggregates.map(key);
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });
});
