import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, type Quality, type SampleValue, type TagSample } from '../../src/model/sample';
import { DeadbandFilter, deadbandSettings, type DeadbandConfig } from '../../src/transforms/deadband';

const T0 = Date.UTC(2026, 0, 1);
const s = (tag: string, value: SampleValue, quality: Quality = 'good', unit?: string): TagSample => makeSample(tag, value, { quality, sourceTimestamp: T0, unit });
const filter = (config: DeadbandConfig): DeadbandFilter => new DeadbandFilter(deadbandSettings(config));

describe('deadband settings', () => {
  it('validates with the field named', () => {
    expect(deadbandSettings({ deadband: '0.5' })).toMatchObject({ mode: 'absolute', deadband: 0.5, heartbeatMs: 0, maxTags: 10_000 });
    expect(deadbandSettings({ mode: 'percent', deadband: 2, percentOf: 'span', span: '100', heartbeat: '30' })).toMatchObject({ span: 100, heartbeatMs: 30_000 });
    expect(() => deadbandSettings({ deadband: -1 })).toThrow(/deadband must be at least 0, got -1/);
    expect(() => deadbandSettings({ deadband: 'x' })).toThrow(/deadband must be a number, got "x"/);
    expect(() => deadbandSettings({ mode: 'percent', deadband: 150 })).toThrow(/at most 100/);
    expect(() => deadbandSettings({ mode: 'percent', deadband: 5, percentOf: 'span', span: 0 })).toThrow(/span must be greater than 0/);
    expect(() => deadbandSettings({ mode: 'relative' })).toThrow(/mode must be "absolute" or "percent"/);
    expect(() => deadbandSettings({ heartbeat: 0.01 })).toThrow(/heartbeat must be 0 \(off\) or at least 0.1 s/);
  });
});

describe('deadband filter', () => {
  it('absolute: passes the first sample and changes beyond the deadband, compared with the last SENT value', () => {
    const f = filter({ deadband: 1 });
    const passed = [10, 10.5, 10.9, 11.1, 11.5, 12.0, 12.2, 9].filter((v) => f.offer(s('a', v), T0) !== null);
    // 10 → (10.5, 10.9 within 1) → 11.1 (> 1 from 10) → (11.5, 12.0 within 1 of 11.1) → 12.2 → 9
    expect(passed).toEqual([10, 11.1, 12.2, 9]);
  });

  it('a deadband of 0 reports every change and suppresses repeats', () => {
    const f = filter({ deadband: 0 });
    expect([1, 1, 2, 2, 2, 1].filter((v) => f.offer(s('a', v), T0) !== null)).toEqual([1, 2, 1]);
  });

  it('percent of the last sent value, or of a span', () => {
    const last = filter({ mode: 'percent', deadband: 10 });
    expect([100, 109, 111, 121, 123].filter((v) => last.offer(s('a', v), T0) !== null)).toEqual([100, 111, 123]);
    const span = filter({ mode: 'percent', deadband: 1, percentOf: 'span', span: 200 });
    expect([0, 1.5, 2.5, 4, 4.6].filter((v) => span.offer(s('a', v), T0) !== null)).toEqual([0, 2.5, 4.6]);
  });

  it('always passes quality and unit changes; non-numeric values pass when they change', () => {
    const f = filter({ deadband: 100 });
    const seq: Array<[SampleValue, Quality, string?]> = [
      [1, 'good'],
      [1, 'uncertain'],
      [1, 'uncertain'],
      [1, 'good'],
      [1, 'good', 'bar'],
      ['Running', 'good', 'bar'],
      ['Running', 'good', 'bar'],
      ['Fault', 'good', 'bar'],
      [{ a: 1 }, 'good', 'bar'],
      [{ a: 1 }, 'good', 'bar'],
      [{ a: 2 }, 'good', 'bar'],
      [null, 'bad', 'bar'],
      [null, 'bad', 'bar'],
    ];
    const reasons = seq.map(([v, q, u]) => f.offer(s('a', v, q, u), T0));
    expect(reasons).toEqual(['first', 'quality', null, 'quality', 'unit', 'change', null, 'change', 'change', null, 'change', 'quality', null]);
  });

  it('keeps state per tag', () => {
    const f = filter({ deadband: 1 });
    const out = f.filter([s('a', 1), s('b', 1), s('a', 1.5), s('b', 5), s('a', 3)], T0);
    expect(out.map((x) => `${x.tag}=${String(x.value)}`)).toEqual(['a=1', 'b=1', 'b=5', 'a=3']);
  });

  it('heartbeat: an unchanged tag passes again after N s, on input or from the timer (latest received sample)', () => {
    const f = filter({ deadband: 5, heartbeat: 10 });
    expect(f.offer(s('a', 1), T0)).toBe('first');
    expect(f.offer(s('b', 7), T0 + 1000)).toBe('first');
    expect(f.offer(s('a', 2), T0 + 5000)).toBeNull();
    expect(f.nextHeartbeatAt()).toBe(T0 + 10_000);
    expect(f.offer(s('a', 2), T0 + 10_000), 'input-driven heartbeat').toBe('heartbeat');
    expect(f.heartbeats(T0 + 10_999).map((x) => x.tag), 'b is due at +11 s').toEqual([]);
    const hb = f.heartbeats(T0 + 11_000);
    expect(hb.map((x) => [x.tag, x.value])).toEqual([['b', 7]]);
    expect(hb[0]!.sourceTimestamp, 'heartbeats keep the measurement time').toBe(new Date(T0).toISOString());
    f.offer(s('a', 3), T0 + 12_000);
    // Timer heartbeat of a: the latest received value (3), although it is within the deadband of the last sent (2).
    expect(f.heartbeats(T0 + 20_000).map((x) => [x.tag, x.value])).toEqual([['a', 3]]);
    expect(f.heartbeats(T0 + 20_500)).toEqual([]);
    expect(f.nextHeartbeatAt()).toBe(T0 + 21_000);
  });

  it('no heartbeat when it is off', () => {
    const f = filter({ deadband: 5 });
    f.offer(s('a', 1), T0);
    expect(f.offer(s('a', 1), T0 + 1e9)).toBeNull();
    expect(f.heartbeats(T0 + 1e9)).toEqual([]);
    expect(f.nextHeartbeatAt()).toBe(Infinity);
  });

  it('bounds tracked tags: beyond the limit samples pass unfiltered and are counted', () => {
    const f = filter({ deadband: 100, maxTags: 2 });
    const out = f.filter([s('a', 1), s('b', 1), s('c', 1), s('c', 1), s('a', 1)], T0);
    expect(out.map((x) => x.tag)).toEqual(['a', 'b', 'c', 'c']);
    expect(f.untracked).toBe(2);
    expect(f.tags.size).toBe(2);
    expect(f.tags.refused).toBe(2);
  });
});

describe('deadband properties (fast-check)', () => {
  const step = fc.record({
    tag: fc.constantFrom('a', 'b', 'c'),
    value: fc.oneof(fc.integer({ min: -50, max: 50 }), fc.double({ min: -50, max: 50, noNaN: true })),
    quality: fc.constantFrom<Quality>('good', 'good', 'good', 'uncertain', 'bad'),
  });
  const config = fc.oneof(
    fc.record({ mode: fc.constant('absolute' as const), deadband: fc.double({ min: 0, max: 20, noNaN: true }) }),
    fc.record({ mode: fc.constant('percent' as const), deadband: fc.double({ min: 0, max: 100, noNaN: true }) }),
    fc.record({ mode: fc.constant('percent' as const), deadband: fc.double({ min: 0, max: 100, noNaN: true }), percentOf: fc.constant('span' as const), span: fc.double({ min: 0.1, max: 200, noNaN: true }) }),
  );
  const band = (c: DeadbandConfig & { deadband: number }, last: number): number =>
    c.mode === 'absolute' ? c.deadband : c.percentOf === 'span' ? (c.deadband / 100) * (c.span as number) : (c.deadband / 100) * Math.abs(last);

  it('never drops a quality change', () => {
    fc.assert(
      fc.property(config, fc.array(step, { maxLength: 300 }), (c, steps) => {
        const f = filter(c);
        const prevQuality = new Map<string, Quality>();
        for (const st of steps) {
          const passed = f.offer(s(st.tag, st.value, st.quality), T0) !== null;
          const prev = prevQuality.get(st.tag);
          if (prev !== undefined && prev !== st.quality && !passed) return false;
          prevQuality.set(st.tag, st.quality);
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('never sends more than once per change beyond the deadband, and never misses one', () => {
    fc.assert(
      fc.property(config, fc.array(step, { maxLength: 300 }), (c, steps) => {
        const f = filter(c);
        const lastSent = new Map<string, TagSample>();
        for (const st of steps) {
          const sample = s(st.tag, st.value, st.quality);
          const reason = f.offer(sample, T0);
          const ref = lastSent.get(st.tag);
          if (ref === undefined) {
            if (reason !== 'first') return false;
          } else {
            const beyond = Math.abs((sample.value as number) - (ref.value as number)) > band(c, ref.value as number);
            const qualityChanged = sample.quality !== ref.quality;
            // Sent exactly when the quality changed or the value moved beyond the deadband of the last sent value.
            if ((reason !== null) !== (qualityChanged || beyond)) return false;
          }
          if (reason !== null) lastSent.set(st.tag, sample);
        }
        return true;
      }),
      { numRuns: 400 },
    );
  });

  it('a step change beyond the deadband followed by repeats is sent exactly once', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        fc.double({ min: 0.001, max: 10, noNaN: true }),
        fc.double({ min: 0.001, max: 100, noNaN: true }),
        fc.integer({ min: 1, max: 50 }),
        // Strictly inside the deadband (clear of floating-point rounding at its edge).
        fc.array(fc.double({ min: -0.9, max: 0.9, noNaN: true }), { maxLength: 50 }),
        (base, db, extra, repeats, noise) => {
          const f = filter({ deadband: db });
          f.offer(s('x', base), T0);
          const stepped = base + db + extra;
          let sends = f.offer(s('x', stepped), T0) !== null ? 1 : 0;
          for (let i = 0; i < repeats; i++) if (f.offer(s('x', stepped), T0) !== null) sends++;
          // Noise inside the deadband around the new value sends nothing either.
          for (const n of noise) if (f.offer(s('x', stepped + n * db), T0) !== null) sends++;
          return sends === 1;
        },
      ),
      { numRuns: 400 },
    );
  });

  it('with a heartbeat, every tag is sent at least once per heartbeat period', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ tag: fc.constantFrom('a', 'b', 'c', 'd'), dt: fc.integer({ min: 0, max: 4000 }) }), { minLength: 1, maxLength: 200 }), (rows) => {
        const every = 5000;
        const f = filter({ deadband: 1000, heartbeat: every / 1000 });
        const lastSentAt = new Map<string, number>();
        let now = T0;
        for (const r of rows) {
          // The node's timer: heartbeats whenever one is due before the next input.
          while (f.nextHeartbeatAt() <= now + r.dt) {
            const at = f.nextHeartbeatAt();
            for (const hb of f.heartbeats(at)) lastSentAt.set(hb.tag, at);
          }
          now += r.dt;
          for (const [, at] of lastSentAt) if (now - at > every) return false;
          if (f.offer(s(r.tag, 1), now) !== null) lastSentAt.set(r.tag, now);
        }
        return true;
      }),
      { numRuns: 200 },
    );
  });
});
