import { describe, expect, it } from 'vitest';
import { PlantwireError, shortStatus, toError } from '../../src/model/errors';
import { qualityFromOpcUaStatus, worstQuality } from '../../src/model/quality';
import { assertTagSample, isTagSample, makeSample, sampleProblems, toIsoTimestamp, toSamples } from '../../src/model/sample';

const T = Date.UTC(2026, 10, 21, 8, 30, 0, 123);

describe('tag samples', () => {
  it('makeSample fills quality and an ISO source timestamp, omits empty optionals', () => {
    const s = makeSample('Line1/Speed', 600, { sourceTimestamp: T, unit: 'bottles/min', asset: '' });
    expect(s).toEqual({ tag: 'Line1/Speed', value: 600, quality: 'good', sourceTimestamp: '2026-11-21T08:30:00.123Z', unit: 'bottles/min' });
    expect(isTagSample(s)).toBe(true);
    expect(sampleProblems(s)).toEqual([]);
  });

  it('toIsoTimestamp accepts Date, epoch ms and date strings and rejects garbage by name', () => {
    expect(toIsoTimestamp(new Date(T))).toBe('2026-11-21T08:30:00.123Z');
    expect(toIsoTimestamp('2026-11-21T09:30:00.123+01:00')).toBe('2026-11-21T08:30:00.123Z');
    expect(() => toIsoTimestamp('yesterday', 'sourceTimestamp')).toThrow(/sourceTimestamp is not a valid date: "yesterday"/);
    expect(() => toIsoTimestamp({}, 'serverTimestamp')).toThrow(/serverTimestamp must be an ISO 8601 string, epoch milliseconds or a Date, got an object/);
    expect(() => toIsoTimestamp(NaN)).toThrow(PlantwireError);
    expect(() => toIsoTimestamp(1e20, 'sourceTimestamp')).toThrow(/sourceTimestamp is not a valid date: 100000000000000000000/);
  });

  it('sampleProblems names every wrong field', () => {
    const problems = sampleProblems({ tag: '', value: Number.NaN, quality: 'great', sourceTimestamp: 'x', unit: 5 }, 'payload[3]');
    expect(problems).toEqual([
      'payload[3].tag must be a non-empty string, got ""',
      'payload[3].value must be a finite number, got NaN',
      'payload[3].quality must be "good", "uncertain" or "bad", got "great"',
      'payload[3].sourceTimestamp must be an ISO 8601 string, got "x"',
      'payload[3].unit must be a string, got 5',
    ]);
    expect(sampleProblems('hello')).toEqual(['payload must be a tag sample object, got "hello"']);
    expect(sampleProblems({ tag: 'a', quality: 'good', sourceTimestamp: new Date(T).toISOString() })).toEqual(['payload.value is missing']);
  });

  it('assertTagSample throws a PlantwireError whose status is the first problem', () => {
    try {
      assertTagSample({ tag: 'a', value: 1, quality: 'good' });
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(PlantwireError);
      const { status } = err as PlantwireError;
      expect(status.startsWith('payload.sourceTimestamp must be an ISO')).toBe(true);
      expect(status.length).toBeLessThanOrEqual(48);
    }
  });

  it('toSamples reads plain values with msg.topic as the tag, samples and mixed batches', () => {
    expect(toSamples(21.5, { tag: 'T1', now: T })).toEqual([makeSample('T1', 21.5, { sourceTimestamp: T })]);
    const s = makeSample('T2', true, { sourceTimestamp: T });
    expect(toSamples(s)).toEqual([s]);
    expect(toSamples([s, 3], { tag: 'T3', now: T })).toEqual([s, makeSample('T3', 3, { sourceTimestamp: T })]);
  });

  it('toSamples rejects what it cannot read, with what to do', () => {
    expect(() => toSamples(5)).toThrow(/payload is a plain value \(5\) but no tag name is known: set msg.topic or send a tag sample/);
    expect(() => toSamples([])).toThrow(/payload is an empty array/);
    expect(() => toSamples(Number.POSITIVE_INFINITY, { tag: 'x' })).toThrow(/must be a finite number, got Infinity/);
    expect(() => toSamples([makeSample('a', 1), { foo: 1 }])).toThrow(/payload\[1\]\.tag must be a non-empty string/);
    expect(() => toSamples(null, { tag: 'x' })).toThrow(/payload must be a tag sample object, got null/);
  });
});

describe('quality', () => {
  it('maps OPC UA status code severities', () => {
    expect(qualityFromOpcUaStatus(0x00000000)).toBe('good');
    expect(qualityFromOpcUaStatus(0x40920000)).toBe('uncertain'); // UncertainSensorNotAccurate
    expect(qualityFromOpcUaStatus(0x80340000)).toBe('bad'); // BadNodeIdUnknown
    expect(qualityFromOpcUaStatus(0xc0000000)).toBe('bad');
  });
  it('worstQuality', () => {
    expect(worstQuality([])).toBe('good');
    expect(worstQuality(['good', 'uncertain', 'good'])).toBe('uncertain');
    expect(worstQuality(['uncertain', 'bad', 'good'])).toBe('bad');
  });
});

describe('errors', () => {
  it('shortStatus keeps status lines short and on one line', () => {
    expect(shortStatus('a\n  b')).toBe('a b');
    const long = shortStatus('x'.repeat(100));
    expect(long).toHaveLength(48);
    expect(long.endsWith('…')).toBe(true);
  });
  it('toError wraps non-errors readably', () => {
    expect(toError('boom').message).toBe('boom');
    expect(toError({ code: 5 }).message).toBe('{"code":5}');
    const e = new Error('x');
    expect(toError(e)).toBe(e);
  });
});
