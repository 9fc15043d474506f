/**
 * Fast reading and building of tag samples for the transform nodes.
 *
 * `readSamples` accepts exactly what `toSamples` (src/model) accepts and
 * fails with the same messages, but checks the common case — well-formed
 * samples with ISO 8601 UTC timestamps — without `Date.parse`, which costs
 * more per sample than the transforms themselves (see bench/transforms.mjs).
 */
import { PlantwireError } from '../model/errors';
import { assertTagSample, describe, makeSample, type Quality, type SampleValue, type TagSample, type CoerceOptions } from '../model/sample';

/** `YYYY-MM-DDTHH:MM:SS(.fraction)?(Z|±HH:MM)` with month 01–12, day 01–31, hour 00–23. */
const ISO_SHAPE = /^\d{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01])T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):?[0-5]\d)$/;

/** True when `x` is a timestamp string the model accepts (fast path for ISO 8601, `Date.parse` otherwise). */
export function isTimestampString(x: unknown): x is string {
  return typeof x === 'string' && (ISO_SHAPE.test(x) || Number.isFinite(Date.parse(x)));
}

function digits(s: string, from: number, count: number): number {
  let n = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 48;
    if (c < 0 || c > 9) return NaN;
    n = n * 10 + c;
  }
  return n;
}

/**
 * Epoch milliseconds of a sample timestamp. Parses `YYYY-MM-DDTHH:MM:SS[.sss]Z`
 * (what `toISOString` writes, and what every Plantwire source emits) directly,
 * anything else with `Date.parse`. NaN when it is not a date.
 */
export function timestampMs(iso: string): number {
  const len = iso.length;
  if ((len === 24 || len === 20) && iso.charCodeAt(len - 1) === 90 && iso.charCodeAt(10) === 84 && iso.charCodeAt(4) === 45 && iso.charCodeAt(7) === 45 && iso.charCodeAt(13) === 58 && iso.charCodeAt(16) === 58) {
    const y = digits(iso, 0, 4);
    const mo = digits(iso, 5, 2);
    const d = digits(iso, 8, 2);
    const h = digits(iso, 11, 2);
    const mi = digits(iso, 14, 2);
    const s = digits(iso, 17, 2);
    let ms = 0;
    if (len === 24) {
      if (iso.charCodeAt(19) !== 46) return Date.parse(iso);
      ms = digits(iso, 20, 3);
    }
    if (mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h <= 23 && mi <= 59 && s <= 59 && ms === ms) {
      return Date.UTC(y, mo - 1, d, h, mi, s, ms);
    }
  }
  return Date.parse(iso);
}

/** ISO 8601 UTC text of epoch milliseconds. */
export function isoOf(ms: number): string {
  return new Date(ms).toISOString();
}

function quickValid(s: Record<string, unknown>): boolean {
  const tag = s.tag;
  if (typeof tag !== 'string' || tag === '') return false;
  const v = s.value;
  if (v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return false;
  const q = s.quality;
  if (q !== 'good' && q !== 'uncertain' && q !== 'bad') return false;
  const ts = s.sourceTimestamp;
  if (typeof ts !== 'string' || !ISO_SHAPE.test(ts)) return false;
  if (s.serverTimestamp !== undefined && (typeof s.serverTimestamp !== 'string' || !ISO_SHAPE.test(s.serverTimestamp))) return false;
  if (s.unit !== undefined && typeof s.unit !== 'string') return false;
  if (s.asset !== undefined && typeof s.asset !== 'string') return false;
  if (s.statusCode !== undefined && typeof s.statusCode !== 'number' && typeof s.statusCode !== 'string') return false;
  // A tag starting with a visible ASCII character is not blank; anything else takes the exact check.
  const c = tag.charCodeAt(0);
  return (c > 32 && c < 127) || tag.trim() !== '';
}

function readOne(item: unknown, where: string, opts: CoerceOptions): TagSample {
  if (item !== null && typeof item === 'object' && !Array.isArray(item)) {
    if (quickValid(item as Record<string, unknown>)) return item as TagSample;
    return assertTagSample(item, where);
  }
  if (typeof item === 'number' || typeof item === 'boolean' || typeof item === 'string') {
    if (!opts.tag) {
      throw new PlantwireError('missing-tag', `${where} is a plain value (${describe(item)}) but no tag name is known: set msg.topic or send a tag sample`, 'missing tag (msg.topic)');
    }
    if (typeof item === 'number' && !Number.isFinite(item)) {
      throw new PlantwireError('bad-value', `${where} must be a finite number, got ${String(item)}`, 'value is not a number');
    }
    return makeSample(opts.tag, item, { quality: opts.quality ?? 'good', sourceTimestamp: opts.now ?? Date.now() });
  }
  return assertTagSample(item, where);
}

/**
 * Reads `msg.payload` as samples: a sample, a batch (array) of samples and/or
 * plain values, or a plain value of `opts.tag`. Same rules and messages as
 * `toSamples`; the returned array may be the payload itself (never mutated).
 */
export function readSamples(payload: unknown, opts: CoerceOptions = {}): TagSample[] {
  if (!Array.isArray(payload)) return [readOne(payload, 'payload', opts)];
  const n = payload.length;
  if (n === 0) throw new PlantwireError('empty-batch', 'payload is an empty array: send at least one sample', 'empty batch');
  let out: TagSample[] | null = null;
  for (let i = 0; i < n; i++) {
    const item: unknown = payload[i];
    if (item !== null && typeof item === 'object' && !Array.isArray(item) && quickValid(item as Record<string, unknown>)) {
      if (out) out.push(item as TagSample);
      continue;
    }
    const s = readOne(item, `payload[${i}]`, opts);
    if (!out) out = (payload as TagSample[]).slice(0, i);
    out.push(s);
  }
  return out ?? (payload as TagSample[]);
}

/** Where a sample sits in the message, for error messages: `payload` or `payload[3]`. */
export function sampleWhere(batch: boolean, i: number): string {
  return batch ? `payload[${i}]` : 'payload';
}

/**
 * The numeric value of a sample for arithmetic. Booleans count as 0/1 only
 * when `booleans` is set (e.g. time-weighted average of a running flag).
 */
export function numericValue(s: TagSample, where: string, purpose: string, booleans = false): number {
  const v = s.value;
  if (typeof v === 'number') return v;
  if (booleans && typeof v === 'boolean') return v ? 1 : 0;
  throw new PlantwireError(
    'not-a-number',
    `${where}.value must be a number to ${purpose}, got ${describe(v)} (tag ${s.tag})${typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)) ? ': a numeric string — convert it first, e.g. with plantwire-normalize' : ''}`,
    'value is not a number',
  );
}

/**
 * A copy of a sample with a new value (and optionally quality and unit). Only
 * the fields of the message model are carried (docs/message-model.md); the
 * fields are copied one by one because object spread is several times slower.
 */
export function withValue(s: TagSample, value: SampleValue, quality: Quality = s.quality, unit: string | undefined = s.unit): TagSample {
  const out: TagSample = { tag: s.tag, value, quality, sourceTimestamp: s.sourceTimestamp };
  if (s.statusCode !== undefined) out.statusCode = s.statusCode;
  if (s.serverTimestamp !== undefined) out.serverTimestamp = s.serverTimestamp;
  if (unit !== undefined && unit !== '') out.unit = unit;
  if (s.asset !== undefined) out.asset = s.asset;
  if (s.window !== undefined) out.window = s.window;
  return out;
}

/** Worse of two qualities. */
export function worse(a: Quality, b: Quality): Quality {
  if (a === 'bad' || b === 'bad') return 'bad';
  if (a === 'uncertain' || b === 'uncertain') return 'uncertain';
  return 'good';
}
