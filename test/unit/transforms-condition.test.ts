/**
 * Condition monitoring (src/transforms/condition.ts): usage counters against
 * maintenance intervals, the SPC rules on crafted sequences, a drift
 * injected into a simulated plant signal (src/sim/signals.ts) flagged within
 * the EWMA chart's promise and no flag on a clean hour, and fast-check
 * properties.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, type SampleValue, type TagSample } from '../../src/model/sample';
import { bottlingLineSignals, createSignal, withDrift } from '../../src/sim/signals';
import { ConditionEngine, conditionSettings, ewmaDetectionBound, readConditionCommand, type ConditionConfig, type ConditionEvent, type SpcRule } from '../../src/transforms/condition';
import { WindowAggregator, windowSettings } from '../../src/transforms/window';

const T0 = Date.UTC(2026, 0, 5, 6, 0, 0);
const H = 3_600_000;
const sample = (tag: string, value: SampleValue, t: number): TagSample => makeSample(tag, value, { sourceTimestamp: t, asset: 'acme/line1' });
const engine = (config: ConditionConfig): ConditionEngine => new ConditionEngine(conditionSettings(config));

describe('condition settings', () => {
  it('reads counters and monitors and names the faulty field', () => {
    const s = conditionSettings({ counters: [{ tag: 'S', measure: 'runHours', interval: '500' }], monitors: [{ tag: 'P', rules: 'ewma, we1' }] });
    expect(s.counters[0]).toMatchObject({ name: 'S:runHours', interval: 500, dueSoonAt: 450, priority: 'medium' });
    expect(s.monitors[0]).toMatchObject({ name: 'P', learn: 100, lambda: 0.2, L: 3.5, rules: ['ewma', 'we1'], clearAfter: 10 });
    expect(() => conditionSettings({})).toThrow(/nothing to watch/);
    expect(() => conditionSettings({ counters: [{ tag: 'S', interval: 0 }] })).toThrow(/counter 1 \(S\): the interval must be above 0/);
    expect(() => conditionSettings({ counters: [{ tag: 'S', measure: 'km', interval: 1 }] })).toThrow(/measure must be one of runHours, starts, cycles/);
    expect(() => conditionSettings({ monitors: [{ tag: 'P', rules: 'ewma, we9' }] })).toThrow(/unknown rule "we9"/);
    expect(() => conditionSettings({ monitors: [{ tag: 'P', learn: 5 }] })).toThrow(/learn \(samples\) must be at least 10/);
    expect(() => conditionSettings({ monitors: [{ tag: 'P' }, { tag: 'P' }] })).toThrow(/two monitors are named "P"/);
  });
});

describe('usage counters against maintenance intervals', () => {
  it('run hours: time while running, due soon at 90 % with the expected due date, due at 100 %, once each; maintained starts over', () => {
    const e = engine({ counters: [{ name: 'Pump', tag: 'State', measure: 'runHours', interval: 10, running: 'Running', description: 'Lubricate the pump' }] });
    const events: ConditionEvent[] = [];
    // Running 1 h, idle 1 h, running … (each value holds until the next sample).
    for (let h = 0; h < 24; h++) events.push(...e.process([sample('State', h % 2 === 0 ? 'Running' : 'Idle', T0 + h * H)], T0 + h * H));
    // Runs during hours 0,2,4,…: 9 h of running (0–1, 2–3, … 16–17) once the Idle sample at 17 h arrives.
    expect(events.map((x) => `${x.kind}@${x.counter!.usage}`)).toEqual(['due-soon@9', 'due@10']);
    const soon = events[0]!;
    expect(soon).toMatchObject({ name: 'Pump', tag: 'State', priority: 'medium', summary: 'Maintenance due soon: Pump' });
    expect(soon.summary.length).toBeLessThanOrEqual(40);
    expect(soon.description).toBe('Lubricate the pump: Pump has used 90 % of its maintenance interval: 9 h of 10 h (tag State); 1 h remain, expected at ' + new Date(T0 + 17 * H + (17 * H) / 9).toISOString() + ' at the current usage rate.');
    expect(soon.counter).toMatchObject({ measure: 'runHours', usage: 9, interval: 10, remaining: 1, percent: 90, unit: 'h', expectedDueAt: new Date(T0 + 17 * H + (17 * H) / 9).toISOString() });
    expect(soon.sample).toMatchObject({ tag: 'State', value: 'Idle' });
    const maint = e.command({ command: 'maintained', target: 'Pump', user: 'tech1' }, T0 + 24 * H);
    expect(maint.map((x) => `${x.kind}:${x.counter!.usage}:${x.counter!.total}:${x.user}`)).toEqual(['maintained:0:12:tech1']);
    expect(e.list().counters[0]).toMatchObject({ usage: 0, total: 12, due: false, dueSoon: false });
  });

  it('starts count changes to running; cycles follow a counter with rollover, or boolean edges', () => {
    const e = engine({
      counters: [
        { name: 'starts', tag: 'Run', measure: 'starts', interval: 3, dueSoon: 60, running: 'true' },
        { name: 'caps', tag: 'Caps', measure: 'cycles', interval: 1000, rollover: 65536 },
        { name: 'strokes', tag: 'Stroke', measure: 'cycles', interval: 2, dueSoon: 50 },
      ],
    });
    const kinds = (tag: string, values: SampleValue[]): string[] => values.flatMap((v, i) => e.process([sample(tag, v, T0 + i * 1000)], 0)).map((x) => `${x.name}:${x.kind}@${x.counter!.usage}`);
    expect(kinds('Run', [false, true, true, false, true, false, true])).toEqual(['starts:due-soon@2', 'starts:due@3']);
    // 65000 → 65500 (+500) → wraps to 100 (+136) → 600 (+500): one step crosses 90 % and 100 %: only "due".
    expect(kinds('Caps', [65000, 65500, 100, 600])).toEqual(['caps:due@1136']);
    expect(e.list().counters[1]).toMatchObject({ usage: 1136 });
    expect(kinds('Stroke', [false, true, false, true])).toEqual(['strokes:due-soon@1', 'strokes:due@2']);
    expect(() => e.process([sample('Caps', 'many', T0)], 0)).toThrow(/must be a counter \(number\) or a boolean for the cycle counter caps/);
    expect(() => e.command({ command: 'maintained', target: 'nope' }, T0)).toThrow(/no counter "nope"/);
  });
});

/** A monitor with a baseline of mean 0, σ ≈ 1 learned from ±1 (alternating: ρ clamps to 0). */
function learned(rules: SpcRule[]): { e: ConditionEngine; feed: (xs: number[]) => ConditionEvent[] } {
  const e = engine({ monitors: [{ tag: 'X', rules, learn: 20, clearAfter: 3 }] });
  let t = T0;
  const feed = (xs: number[]): ConditionEvent[] => xs.flatMap((x) => e.process([sample('X', x, (t += 60_000))], 0));
  const ev = feed(Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 1 : -1)));
  expect(ev.map((x) => x.kind)).toEqual(['learned']);
  expect(ev[0]!.monitor).toMatchObject({ mean: 0, sigma: 1.026, rho: 0 });
  return { e, feed };
}
const flags = (events: ConditionEvent[]): string[] => events.map((x) => `${x.kind}:${x.monitor!.rules.join('+')}`);

describe('SPC rules on crafted sequences (baseline mean 0, σ 1.026)', () => {
  it.each([
    ['we1', [0.1, 3.2], 'anomaly:we1', [0.1, 2.9]],
    ['we2', [2.2, 0, 2.2], 'anomaly:we2', [2.2, 0, -2.2]],
    ['we3', [1.2, 1.2, 0, 1.2, 1.2], 'anomaly:we3', [1.2, 1.2, 0, 1.2, -1.2]],
    ['we4', [0.1, 0.2, 0.1, 0.3, 0.1, 0.2, 0.1, 0.2], 'drift:we4', [0.1, 0.2, 0.1, 0.3, 0.1, 0.2, 0.1, -0.2]],
    ['trend', [-0.5, -0.3, -0.1, 0.1, 0.3, 0.5], 'drift:trend', [-0.5, -0.3, -0.1, 0.1, 0.3, 0.2]],
    ['alternating', [0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1], 'anomaly:alternating', [0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, -0.1, 0.2, -0.2, 0.1, 0.3]],
    ['stratified', Array.from({ length: 15 }, (_, i) => (i % 3) * 0.2 - 0.2), 'anomaly:stratified', [...Array.from({ length: 14 }, (_, i) => (i % 3) * 0.2 - 0.2), 1.5]],
    ['mixture', [1.5, -1.5, 1.6, -1.4, 1.5, -1.6, 1.4, -1.5], 'anomaly:mixture', [1.5, -1.5, 1.6, -1.4, 1.5, -1.6, 1.4, -0.5]],
  ] as Array<[SpcRule, number[], string, number[]]>)('%s fires on its pattern and not on a near miss', (rule, hit, expected, miss) => {
    expect(flags(learned([rule]).feed(hit))).toEqual([expected]);
    expect(flags(learned([rule]).feed(miss))).toEqual([]);
  });

  it('ewma: a 2σ step is flagged as drift, said why, and clears to normal after the quiet samples', () => {
    const { e, feed } = learned(['ewma']);
    const ev = feed([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(flags(ev)).toEqual(['drift:ewma']);
    const d = ev[0]!;
    expect(d.summary).toBe('Drift: X');
    expect(d.description).toMatch(/^drift on X: EWMA outside its control limits \(a sustained shift of the mean\)\. Seen: X = 2, 1\.95σ above the learned mean 0 \(σ 1\.026\); EWMA [\d.]+ against limits -?[\d.]+–[\d.]+, after \d+ samples since the baseline was learned\.$/);
    expect(d.monitor!.samples).toBeLessThanOrEqual(ewmaDetectionBound(2 / 1.026, 0.2, 3.5));
    expect(e.list().monitors[0]).toMatchObject({ phase: 'watching', flagged: ['ewma'] });
    const back = feed(Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 0.5 : -0.5)));
    expect(back.map((x) => x.kind)).toEqual(['normal']);
    // relearn starts a new baseline.
    e.command({ command: 'relearn', target: 'X' }, T0);
    expect(e.list().monitors[0]).toMatchObject({ phase: 'learning', learned: 0 });
  });

  it('refuses a non-number for a monitored tag and skips bad quality', () => {
    const { e } = learned(['ewma']);
    expect(() => e.process([sample('X', '2.5', T0)], 0)).toThrow(/value must be a number for the drift monitor X, got "2.5": a numeric string/);
    expect(e.process([makeSample('X', 1e9, { quality: 'bad', sourceTimestamp: T0 })], 0)).toEqual([]);
    expect(e.badQuality).toBe(1);
  });
});

describe('a drift injected into a simulated plant signal (fill volume, 1-minute means)', () => {
  const spec = bottlingLineSignals(1).find((s) => s.tag === 'Line1/Filler/FillVolume')!;
  const LEARN = 120;
  /** 1-minute means of the simulated fill volume (plantwire-window) for `minutes`, with an optional step from `driftAt`. */
  function means(seed: number, minutes: number, drift?: { startMs: number; shift: number }): TagSample[] {
    const raw = createSignal(spec, seed);
    const gen = drift ? withDrift(raw, drift) : raw;
    const win = new WindowAggregator(windowSettings({ kind: 'tumbling', by: 'time', size: 60, aggregates: ['mean'], closeOn: 'data' }));
    const out: TagSample[] = [];
    for (let t = T0; t <= T0 + minutes * 60_000; t += 1000) out.push(...win.add([sample(spec.tag, gen.next(t), t)], t).aggregates);
    return out;
  }
  /** Learns on 2 h, watches a clean hour, then (with a drift) the next minutes; returns the learned baseline and the minute of each flag after the clean hour. */
  function run(seed: number, shiftSigma: number | null): { sigma: number; rho: number; cleanFlags: number; detectedAfter: number } {
    // Learn from the clean signal first to know σ of the means, then replay with the drift (same seed: identical until the drift starts).
    const e = engine({ monitors: [{ tag: spec.tag, learn: LEARN }] });
    const clean = means(seed, LEARN + 60 + 30);
    let sigma = 0;
    let rho = 0;
    for (const m of clean.slice(0, LEARN)) for (const ev of e.process([m], 0)) if (ev.kind === 'learned') ({ sigma, rho } = ev.monitor!);
    const cleanFlags = clean.slice(LEARN, LEARN + 60).flatMap((m) => e.process([m], 0)).length;
    if (shiftSigma === null) return { sigma, rho, cleanFlags, detectedAfter: NaN };
    // The step starts when the clean hour ends: the mean of the fill volume moves by shiftSigma·σ.
    const startMs = Date.parse(clean[LEARN + 60]!.window!.start);
    const drifted = means(seed, LEARN + 60 + 30, { startMs, shift: shiftSigma * sigma });
    expect(drifted.slice(0, LEARN + 60)).toEqual(clean.slice(0, LEARN + 60));
    let detectedAfter = Infinity;
    drifted.slice(LEARN + 60).forEach((m, i) => {
      const ev = e.process([m], 0).filter((x) => x.kind === 'drift');
      if (ev.length && detectedAfter === Infinity) detectedAfter = i + 1;
    });
    return { sigma, rho, cleanFlags, detectedAfter };
  }

  it('seed 1: no flag in the clean hour; a 4σ step is flagged within the EWMA promise', () => {
    const r = run(1, 4);
    expect(r.rho, 'the 1-minute means are autocorrelated').toBeGreaterThan(0.2);
    expect(r.cleanFlags).toBe(0);
    const promise = ewmaDetectionBound(4, 0.2, 3.5, r.rho);
    expect(promise).toBeLessThan(15);
    expect(r.detectedAfter).toBeLessThanOrEqual(promise);
  });

  it('over 100 seeds: at most 5 % of clean hours flagged, and ≥ 95 % of 4σ steps flagged within the promise (it says 97.7 %)', () => {
    let flaggedHours = 0;
    let within = 0;
    let detected = 0;
    for (let seed = 1; seed <= 100; seed++) {
      const r = run(seed, 4);
      if (r.cleanFlags > 0) flaggedHours += 1;
      if (r.detectedAfter <= ewmaDetectionBound(4, 0.2, 3.5, r.rho)) within += 1;
      if (Number.isFinite(r.detectedAfter)) detected += 1;
    }
    expect(flaggedHours).toBeLessThanOrEqual(5);
    expect(within).toBeGreaterThanOrEqual(95);
    expect(detected).toBe(100);
  });

  it('without the drift (same seeds) nothing is flagged after the clean hour either', () => {
    const e = engine({ monitors: [{ tag: spec.tag, learn: LEARN }] });
    const ev = means(1, LEARN + 90).flatMap((m) => e.process([m], 0));
    expect(ev.map((x) => x.kind)).toEqual(['learned']);
  });
});

describe('commands', () => {
  it('reads commands and refuses malformed ones', () => {
    expect(readConditionCommand({ tag: 'x', value: 1 })).toBeNull();
    expect(readConditionCommand({ command: 'maintained', target: 'Pump', user: 'tech' })).toEqual({ command: 'maintained', target: 'Pump', user: 'tech' });
    expect(() => readConditionCommand({ command: 'reset' })).toThrow(/payload.command must be one of maintained, relearn, list/);
    expect(() => readConditionCommand({ command: 'maintained', target: 3 })).toThrow(/payload.target must be/);
  });
});

describe('properties (fast-check)', () => {
  const cfg: ConditionConfig = {
    counters: [
      { name: 'hours', tag: 'S', measure: 'runHours', interval: 2, running: 'Running' },
      { name: 'starts', tag: 'S', measure: 'starts', interval: 4, running: 'Running' },
      { name: 'cycles', tag: 'C', measure: 'cycles', interval: 50, rollover: 100 },
    ],
    monitors: [{ tag: 'X', learn: 10, rules: 'ewma, we1, we2, we3, we4, trend, alternating, stratified, mixture' }],
  };
  type Step = { tag: 'S'; v: string } | { tag: 'C'; v: number } | { tag: 'X'; v: number };
  const step: fc.Arbitrary<Step> = fc.oneof(
    fc.record({ tag: fc.constant('S' as const), v: fc.constantFrom('Running', 'Idle', 'Fault') }),
    fc.record({ tag: fc.constant('C' as const), v: fc.integer({ min: 0, max: 99 }) }),
    fc.record({ tag: fc.constant('X' as const), v: fc.double({ min: -100, max: 100, noNaN: true }) }),
  );
  const gap = fc.integer({ min: 0, max: 30 * 60_000 });

  it('run hours equal the time spent running (value held until the next sample), starts the entries into running', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom('Running', 'Idle'), gap), { maxLength: 60 }), (steps) => {
        const e = engine(cfg);
        let t = T0;
        let runMs = 0;
        let starts = 0;
        let prev: string | null = null;
        for (const [v, dt] of steps) {
          if (prev === 'Running') runMs += dt;
          if (prev === 'Idle' && v === 'Running') starts += 1;
          t += dt;
          e.process([sample('S', v, t)], 0);
          prev = v;
        }
        const list = e.list().counters;
        expect(list[0]!.total).toBeCloseTo(runMs / H, 3);
        expect(list[1]!.total).toBe(starts);
      }),
    );
  });

  it('a snapshot restored into a new engine continues exactly like the original; due-soon and due come at most once per interval', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(step, gap), { maxLength: 60 }), fc.array(fc.tuple(step, gap), { maxLength: 60 }), (before, after) => {
        const a = engine(cfg);
        let t = T0;
        const seen = new Map<string, number>();
        const note = (evs: ConditionEvent[]): void => {
          for (const ev of evs) {
            if (ev.kind !== 'due' && ev.kind !== 'due-soon') continue;
            const k = `${ev.name}:${ev.kind}`;
            seen.set(k, (seen.get(k) ?? 0) + 1);
            expect(seen.get(k)).toBe(1);
          }
        };
        for (const [s, dt] of before) note(a.process([sample(s.tag, s.v, (t += dt))], 0));
        const b = engine(cfg);
        b.restore(JSON.parse(JSON.stringify(a.snapshot())));
        for (const [s, dt] of after) {
          t += dt;
          const x = sample(s.tag, s.v, t);
          const ea = a.process([x], 0);
          note(ea);
          expect(b.process([x], 0)).toEqual(ea);
        }
        expect(b.list()).toEqual(a.list());
      }),
      { numRuns: 200 },
    );
  });

  it('a batch gives the same events as its samples one by one', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(step, gap), { minLength: 1, maxLength: 60 }), (steps) => {
        const one = engine(cfg);
        const many = engine(cfg);
        let t = T0;
        const samples = steps.map(([s, dt]) => sample(s.tag, s.v, (t += dt)));
        const single = samples.flatMap((x) => one.process([x], 0));
        expect(many.process(samples, 0)).toEqual(single);
      }),
    );
  });
});
