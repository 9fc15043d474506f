import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { benchSignals, bottlingPlantSignals, createSignal, MACHINE_STATES, seededRandom, signalProblems } from '../../src/sim/signals';
import { sampleRound, simulatorSettings } from '../../src/sim/simulator';
import { sampleProblems } from '../../src/model/sample';

const T0 = Date.UTC(2026, 0, 1);

describe('signal generators', () => {
  it('are deterministic for a seed and differ between seeds', () => {
    const run = (seed: number) => {
      const g = createSignal({ tag: 'a', kind: 'randomWalk', min: 0, max: 10 }, seed);
      return Array.from({ length: 50 }, (_, i) => g.next(T0 + i * 1000));
    };
    expect(run(7)).toEqual(run(7));
    expect(run(7)).not.toEqual(run(8));
  });

  it('randomWalk and sine stay inside min..max for any seed and step pattern', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 31 }),
        fc.constantFrom('randomWalk' as const, 'sine' as const),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        fc.array(fc.integer({ min: 0, max: 600_000 }), { minLength: 1, maxLength: 200 }),
        (seed, kind, min, span, steps) => {
          const max = min + span;
          const g = createSignal({ tag: 't', kind, min, max, step: span / 5, decimals: 12 }, seed);
          let t = T0;
          for (const dt of steps) {
            t += dt;
            const v = g.next(t) as number;
            if (!(v >= min - 1e-9 && v <= max + 1e-9)) return false;
          }
          return true;
        },
      ),
      { numRuns: 300 },
    );
  });

  it('counters never go down (without rollover) and wrap at the rollover', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), fc.array(fc.integer({ min: 0, max: 10_000 }), { maxLength: 300 }), (seed, steps) => {
        const g = createSignal({ tag: 'c', kind: 'counter', rate: 50 }, seed);
        let t = T0;
        let last = -1;
        for (const dt of steps) {
          t += dt;
          const v = g.next(t) as number;
          if (!Number.isInteger(v) || v < last) return false;
          last = v;
        }
        return true;
      }),
    );
    const wrap = createSignal({ tag: 'c', kind: 'counter', rate: 100, rollover: 1000 }, 3);
    const values = Array.from({ length: 60 }, (_, i) => wrap.next(T0 + i * 1000) as number);
    expect(Math.max(...values)).toBeLessThan(1000);
    expect(values.some((v, i) => i > 0 && v < values[i - 1]!), 'it wrapped at least once').toBe(true);
  });

  it('a counter counts at about its rate', () => {
    const g = createSignal({ tag: 'c', kind: 'counter', rate: 10 }, 1);
    let after = 0;
    for (let i = 0; i <= 3600; i++) after = g.next(T0 + i * 1000) as number;
    expect(after).toBeGreaterThan(36_000 * 0.9);
    expect(after).toBeLessThan(36_000 * 1.1);
  });

  it('state and alarm signals produce valid values and do change over a simulated day', () => {
    const state = createSignal({ tag: 's', kind: 'state', perHour: 10, holdSeconds: 30 }, 5);
    const alarm = createSignal({ tag: 'a', kind: 'alarm', perHour: 4, holdSeconds: 20 }, 5);
    const states = new Set<string>();
    const alarms = new Set<boolean>();
    for (let i = 0; i < 86_400; i += 5) {
      states.add(state.next(T0 + i * 1000) as string);
      alarms.add(alarm.next(T0 + i * 1000) as boolean);
    }
    expect([...states].every((s) => (MACHINE_STATES as readonly string[]).includes(s))).toBe(true);
    expect(states.has('Running')).toBe(true);
    expect(states.size).toBeGreaterThan(2);
    expect(alarms).toEqual(new Set([true, false]));
  });

  it('seededRandom is uniform enough', () => {
    const r = seededRandom(42);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(r() * 10)]++;
    for (const b of buckets) expect(Math.abs(b - 10_000)).toBeLessThan(500);
  });

  it('rejects bad specs with messages naming the signal and field', () => {
    expect(signalProblems({ tag: '', kind: 'wave' as never, min: 5, max: 1 }, 'signal 2')).toEqual([
      'signal 2: tag name is empty',
      'signal 2: kind must be one of sine, randomWalk, counter, state, alarm, constant, got "wave"',
      'signal 2: min (5) is above max (1)',
    ]);
    expect(() => createSignal({ tag: 'x', kind: 'sine', period: 0 })).toThrow(/signal "x": period must be above 0 s/);
  });
});

describe('plant presets', () => {
  it('the bottling plant has 26 unique tags a line with units on analog values', () => {
    const two = bottlingPlantSignals(2);
    expect(two).toHaveLength(52);
    expect(new Set(two.map((s) => s.tag)).size).toBe(52);
    for (const s of two) expect(signalProblems(s, s.tag)).toEqual([]);
    for (const s of two.filter((x) => x.kind === 'sine' || x.kind === 'randomWalk')) expect(s.unit, s.tag).toBeTruthy();
  });
  it('bench signals are numbered and unique', () => {
    const b = benchSignals(10_000);
    expect(b[0]!.tag).toBe('Bench/Tag00001');
    expect(b.at(-1)!.tag).toBe('Bench/Tag10000');
    expect(new Set(b.map((s) => s.tag)).size).toBe(10_000);
  });
});

describe('simulator node settings', () => {
  it('accepts the defaults and the bottling preset', () => {
    const s = simulatorSettings({ source: 'bottling', lines: '3', interval: '500', output: 'batch', asset: '/acme/hh/' });
    expect(s.signals).toHaveLength(78);
    expect(s.interval).toBe(500);
    expect(s.asset).toBe('acme/hh');
    expect(s.autostart).toBe(true);
  });
  it('names the wrong field', () => {
    expect(() => simulatorSettings({ interval: -5 })).toThrow('interval (ms) must be at least 50, got -5');
    expect(() => simulatorSettings({ interval: 'soon' })).toThrow('interval (ms) must be a number, got "soon"');
    expect(() => simulatorSettings({ lines: 0 })).toThrow('lines must be at least 1, got 0');
    expect(() => simulatorSettings({ output: 'stream' as never })).toThrow('output must be "each" or "batch", got "stream"');
    expect(() => simulatorSettings({ source: 'custom', signals: [] })).toThrow('custom signals: add at least one signal to the list');
    expect(() => simulatorSettings({ source: 'custom', signals: [{ tag: 'a', kind: 'sine' }, { tag: 'b', kind: 'counter', rate: -1 }] })).toThrow('signal 2: rate must not be negative');
    expect(() => simulatorSettings({ source: 'custom', signals: [{ tag: 'a', kind: 'sine' }, { tag: 'a', kind: 'alarm' }] })).toThrow('custom signals: tag "a" is listed twice');
  });
  it('a round produces valid samples with units and asset', () => {
    const s = simulatorSettings({ source: 'bottling', lines: 1 });
    const gens = s.signals.map((x) => createSignal(x, 1));
    const round = sampleRound(gens, T0, 'acme/hh');
    expect(round).toHaveLength(26);
    for (const sample of round) {
      expect(sampleProblems(sample)).toEqual([]);
      expect(sample.asset).toBe('acme/hh');
      expect(sample.sourceTimestamp).toBe(new Date(T0).toISOString());
    }
  });
});
