import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, sampleProblems, toSamples, type Quality, type SampleValue, type TagSample } from '../../src/model/sample';
import { readSamples, timestampMs } from '../../src/transforms/samples';
import { roundTo, Scaler, scaleSettings, type ScaleConfig } from '../../src/transforms/scale';
import { compileUnitConversion, convertUnit, mathUnitName } from '../../src/transforms/units';

const T0 = Date.UTC(2026, 0, 1);
const s = (value: SampleValue, opts: { quality?: Quality; unit?: string; tag?: string } = {}): TagSample =>
  makeSample(opts.tag ?? 'Tank1/Level', value, { quality: opts.quality ?? 'good', sourceTimestamp: T0, unit: opts.unit });
const scaler = (config: ScaleConfig): Scaler => new Scaler(scaleSettings(config));

describe('units (mathjs)', () => {
  it('maps friendly spellings to mathjs names', () => {
    expect(mathUnitName('°C')).toBe('degC');
    expect(mathUnitName('m³/h')).toBe('m^3/h');
    expect(mathUnitName('µs')).toBe('us');
    expect(mathUnitName('N·m')).toBe('N m');
    expect(mathUnitName(' l/min ')).toBe('l/min');
  });

  it('converts temperature, pressure and flow exactly as mathjs does, compiled to a·x + b', () => {
    expect(convertUnit(100, '°C', '°F')).toBeCloseTo(212, 12);
    expect(convertUnit(0, '°C', 'K')).toBeCloseTo(273.15, 12);
    expect(convertUnit(32, '°F', '°C')).toBeCloseTo(0, 12);
    expect(convertUnit(1, 'bar', 'psi')).toBeCloseTo(14.503773773870293, 10);
    expect(convertUnit(100, 'kPa', 'bar')).toBeCloseTo(1, 12);
    expect(convertUnit(2, 'm³/h', 'l/min')).toBeCloseTo(33.333333333333336, 10);
    expect(convertUnit(60, 'l/min', 'm³/h')).toBeCloseTo(3.6, 12);
    expect(convertUnit(1, 'rpm', 'Hz')).toBeCloseTo(1 / 60, 12);
    expect(compileUnitConversion('bar', 'bar')).toEqual({ from: 'bar', to: 'bar', a: 1, b: 0 });
  });

  it('names an unknown unit, and refuses units of different quantities', () => {
    expect(() => compileUnitConversion('furlongs', 'm')).toThrow(/input unit: unknown unit "furlongs": use a unit such as °C/);
    expect(() => compileUnitConversion('bar', 'blorp')).toThrow(/output unit: unknown unit "blorp"/);
    expect(() => compileUnitConversion('bar', '°C')).toThrow(/cannot convert bar to °C: they measure different quantities/);
  });

  it('affine conversion agrees with mathjs on random values (fast-check)', () => {
    const pairs: Array<[string, string]> = [
      ['°C', '°F'],
      ['K', '°C'],
      ['psi', 'kPa'],
      ['m³/h', 'l/min'],
      ['gal/min', 'l/s'],
      ['kWh', 'MJ'],
    ];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const math = require('mathjs') as { unit(v: number, u: string): { toNumber(u: string): number } };
    fc.assert(
      fc.property(fc.constantFrom(...pairs), fc.double({ min: -1e6, max: 1e6, noNaN: true }), ([from, to], x) => {
        const c = compileUnitConversion(from, to);
        const expected = math.unit(x, mathUnitName(from)).toNumber(mathUnitName(to));
        return Math.abs(c.a * x + c.b - expected) <= 1e-9 * Math.max(1, Math.abs(expected));
      }),
      { numRuns: 300 },
    );
  });
});

describe('scale settings', () => {
  it('validates with the field named', () => {
    expect(scaleSettings({ mode: 'range', rawMin: '4', rawMax: '20', engMin: '0', engMax: '10' })).toMatchObject({ gain: 10 / 16, offset: -2.5, decimals: -1 });
    expect(() => scaleSettings({ mode: 'range', rawMin: 1, rawMax: 1, engMin: 0, engMax: 1 })).toThrow(/raw range must not be empty/);
    expect(() => scaleSettings({ mode: 'range', rawMin: 'four', rawMax: 20, engMin: 0, engMax: 1 })).toThrow(/raw min must be a number, got "four"/);
    expect(() => scaleSettings({ mode: 'gain', clamp: true })).toThrow(/neither a low nor a high limit/);
    expect(() => scaleSettings({ mode: 'gain', clamp: true, clampLow: 5, clampHigh: 1 })).toThrow(/clamp low \(5\) is above clamp high \(1\)/);
    expect(() => scaleSettings({ mode: 'gain', decimals: 20 })).toThrow(/decimals must be at most 12/);
    expect(() => scaleSettings({ mode: 'log' })).toThrow(/mode must be "range", "gain" or "none"/);
    expect(() => new Scaler(scaleSettings({ mode: 'none', engUnit: 'bar', toUnit: 'degC' }))).toThrow(/cannot convert bar to degC/);
  });
});

describe('scaler', () => {
  it('maps a raw range to an engineering range (4–20 mA → 0–10 bar)', () => {
    const sc = scaler({ mode: 'range', rawMin: 4, rawMax: 20, engMin: 0, engMax: 10, engUnit: 'bar' });
    expect(sc.sample(s(4)).value).toBe(0);
    expect(sc.sample(s(12)).value).toBe(5);
    expect(sc.sample(s(20)).value).toBe(10);
    const out = sc.sample(s(12, { unit: 'mA' }));
    expect(out.unit).toBe('bar');
    expect(sampleProblems(out)).toEqual([]);
  });

  it('gain and offset; unchanged fields are kept, the input is not mutated', () => {
    const sc = scaler({ mode: 'gain', gain: 0.1, offset: -5 });
    const input = { ...s(100, { unit: '°C' }), statusCode: 0, asset: 'acme/hh', serverTimestamp: new Date(T0 + 1).toISOString() };
    const copy = structuredClone(input);
    const out = sc.sample(input);
    expect(out).toEqual({ ...input, value: 5 });
    expect(input).toEqual(copy);
  });

  it('clamps to the engineering range and marks clamped values uncertain (bad stays bad)', () => {
    const sc = scaler({ mode: 'range', rawMin: 0, rawMax: 27648, engMin: 0, engMax: 100, clamp: true });
    expect(sc.sample(s(30000))).toMatchObject({ value: 100, quality: 'uncertain' });
    expect(sc.sample(s(-10))).toMatchObject({ value: 0, quality: 'uncertain' });
    expect(sc.sample(s(13824))).toMatchObject({ value: 50, quality: 'good' });
    expect(sc.sample(s(-10, { quality: 'bad' }))).toMatchObject({ value: 0, quality: 'bad' });
    const inverted = scaler({ mode: 'range', rawMin: 0, rawMax: 100, engMin: 50, engMax: -50, clamp: true });
    expect(inverted.sample(s(200))).toMatchObject({ value: -50, quality: 'uncertain' });
    const limits = scaler({ mode: 'gain', gain: 1, clamp: true, clampHigh: 80 });
    expect(limits.sample(s(-1e9)).value).toBe(-1e9);
    expect(limits.sample(s(81))).toMatchObject({ value: 80, quality: 'uncertain' });
  });

  it('converts units after scaling and rounds last', () => {
    const sc = scaler({ mode: 'range', rawMin: 0, rawMax: 1000, engMin: 0, engMax: 100, engUnit: '°C', toUnit: '°F', decimals: 1 });
    expect(sc.sample(s(375))).toMatchObject({ value: 99.5, unit: '°F' });
    // Unit taken from the samples themselves, per sample.
    const own = scaler({ mode: 'none', toUnit: 'psi', decimals: 2 });
    const out = own.batch([s(1, { unit: 'bar' }), s(100, { unit: 'kPa' })]);
    expect(out.map((x) => [x.value, x.unit])).toEqual([
      [14.5, 'psi'],
      [14.5, 'psi'],
    ]);
    expect(() => own.sample(s(1))).toThrow(/payload \(tag Tank1\/Level\) has no unit, so it cannot be converted to psi/);
    expect(() => own.sample(s(1, { unit: 'wibble' }))).toThrow(/unknown unit "wibble"/);
  });

  it('rounds half away from zero without binary-fraction surprises', () => {
    expect(roundTo(1.005, 2)).toBe(1.01);
    expect(roundTo(-1.005, 2)).toBe(-1.01);
    expect(roundTo(2.5, 0)).toBe(3);
    expect(roundTo(-2.5, 0)).toBe(-3);
    expect(roundTo(1.23456, 3)).toBe(1.235);
  });

  it('a string where a number is needed is a clear error naming the sample; batches are all-or-nothing', () => {
    const sc = scaler({ mode: 'gain', gain: 2 });
    expect(() => sc.sample(s('12.5'))).toThrow(/payload\.value must be a number to scale it, got "12.5" \(tag Tank1\/Level\): a numeric string — convert it first, e.g. with plantwire-normalize/);
    expect(() => sc.batch([s(1), s(true), s(3)])).toThrow(/payload\[1\]\.value must be a number to scale it, got true/);
  });

  it('range scaling is linear and maps the raw range onto the engineering range (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 1, max: 1e4, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: -1e4, max: 1e4, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (rawMin, rawSpan, engMin, engMax, frac) => {
          const sc = scaler({ mode: 'range', rawMin, rawMax: rawMin + rawSpan, engMin, engMax, clamp: true });
          const v = sc.sample(s(rawMin + frac * rawSpan)).value as number;
          const expected = engMin + frac * (engMax - engMin);
          const lo = Math.min(engMin, engMax);
          const hi = Math.max(engMin, engMax);
          return Math.abs(v - expected) <= 1e-6 * Math.max(1, Math.abs(engMax - engMin)) && v >= lo && v <= hi;
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fast sample reading', () => {
  it('timestampMs agrees with Date.parse (fast-check)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2200-01-01T00:00:00Z'), noInvalidDate: true }), (d) => {
        const iso = d.toISOString();
        return timestampMs(iso) === Date.parse(iso) && timestampMs(iso.replace(/\.\d{3}Z$/, 'Z')) === Date.parse(iso.replace(/\.\d{3}Z$/, 'Z'));
      }),
      { numRuns: 500 },
    );
    expect(timestampMs('2026-01-01T00:00:00+02:00')).toBe(Date.parse('2026-01-01T00:00:00+02:00'));
    expect(timestampMs('2026-13-01T00:00:00.000Z')).toBeNaN();
    expect(timestampMs('yesterday')).toBeNaN();
  });

  it('readSamples accepts and refuses exactly what toSamples does, with the same messages (fast-check)', () => {
    const anyValue = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.string({ maxLength: 5 }), fc.constant(null), fc.constant(undefined), fc.constant(Number.NaN));
    const item = fc.oneof(
      fc.record(
        {
          tag: fc.oneof(fc.constant('Line1/T'), fc.constant(''), fc.constant(' '), fc.constant(5)),
          value: anyValue,
          quality: fc.constantFrom('good', 'uncertain', 'bad', 'great', undefined),
          sourceTimestamp: fc.constantFrom('2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00Z', 'Thu, 01 Jan 2026 00:00:00 GMT', 'yesterday', undefined, 5),
          unit: fc.constantFrom(undefined, '°C', 5),
          serverTimestamp: fc.constantFrom(undefined, '2026-01-01T00:00:00.000Z', 'nope'),
        },
        { requiredKeys: ['tag'] },
      ),
      anyValue,
    );
    fc.assert(
      fc.property(fc.oneof(item, fc.array(item, { maxLength: 5 })), fc.constantFrom(undefined, 'Tank1'), (payload, tag) => {
        const run = (f: () => unknown): unknown => {
          try {
            return { ok: f() };
          } catch (err) {
            return { err: (err as Error).message };
          }
        };
        const a = run(() => toSamples(payload, { tag, now: T0 }));
        const b = run(() => readSamples(payload, { tag, now: T0 }));
        expect(b).toEqual(a);
      }),
      { numRuns: 1000 },
    );
  });
});
