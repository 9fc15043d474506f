import { PlantwireError } from './errors';

/** Quality of a value, as every Plantwire node reports it. */
export type Quality = 'good' | 'uncertain' | 'bad';

export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad'];

/** A primitive or structured value carried by a sample. */
export type SampleValue = number | boolean | string | null | SampleValue[] | { [key: string]: SampleValue };

/**
 * The canonical tag sample. `msg.payload` holds one sample or an array of
 * samples (a batch); `msg.topic` holds the tag path of a single sample.
 * Timestamps are ISO 8601 strings in UTC with millisecond precision.
 */
export interface TagSample<V = SampleValue> {
  /** Tag path, `/`-separated, e.g. `Line1/Filler/Temperature`. */
  tag: string;
  value: V;
  quality: Quality;
  /** Protocol status code, e.g. an OPC UA StatusCode (numeric) or a Modbus exception. */
  statusCode?: number | string;
  /** When the value was measured at the source (device, PLC). */
  sourceTimestamp: string;
  /** When the server (OPC UA server, broker, gateway) handled it. */
  serverTimestamp?: string;
  /** Engineering unit, e.g. `°C`, `bar`, `bottles`. */
  unit?: string;
  /** ISA-95 asset path, `enterprise/site/area/line/cell`. */
  asset?: string;
  /** Set on aggregates (plantwire-window): the window the value summarises. */
  window?: WindowInfo;
}

/**
 * The window an aggregate sample summarises. `start` is inclusive, `end`
 * exclusive (ISO 8601 UTC); `count` is the number of samples aggregated;
 * `aggregate` names the function (`mean`, `twa`, …), or several joined by
 * commas when the value is an object holding one result per function.
 */
export interface WindowInfo {
  start: string;
  end: string;
  count: number;
  aggregate: string;
}

export interface SampleOptions {
  quality?: Quality;
  statusCode?: number | string;
  sourceTimestamp?: string | number | Date;
  serverTimestamp?: string | number | Date;
  unit?: string;
  asset?: string;
}

/** Creates a sample; the source timestamp defaults to now. */
export function makeSample<V extends SampleValue>(tag: string, value: V, opts: SampleOptions = {}): TagSample<V> {
  const sample: TagSample<V> = {
    tag,
    value,
    quality: opts.quality ?? 'good',
    sourceTimestamp: toIsoTimestamp(opts.sourceTimestamp ?? Date.now(), 'sourceTimestamp'),
  };
  if (opts.statusCode !== undefined) sample.statusCode = opts.statusCode;
  if (opts.serverTimestamp !== undefined) sample.serverTimestamp = toIsoTimestamp(opts.serverTimestamp, 'serverTimestamp');
  if (opts.unit !== undefined && opts.unit !== '') sample.unit = opts.unit;
  if (opts.asset !== undefined && opts.asset !== '') sample.asset = opts.asset;
  return sample;
}

/** Accepts a Date, epoch milliseconds or an ISO/RFC date string; returns ISO 8601 UTC. */
export function toIsoTimestamp(input: unknown, field = 'timestamp'): string {
  let ms: number;
  if (input instanceof Date) ms = input.getTime();
  else if (typeof input === 'number') ms = input;
  else if (typeof input === 'string' && input.trim() !== '') ms = Date.parse(input);
  else throw new PlantwireError('bad-timestamp', `${field} must be an ISO 8601 string, epoch milliseconds or a Date, got ${describe(input)}`, `bad ${field}`);
  // Dates outside ±8.64e15 ms (ECMAScript's range) cannot be represented.
  if (!Number.isFinite(ms) || Math.abs(ms) > 8.64e15) {
    throw new PlantwireError('bad-timestamp', `${field} is not a valid date: ${describe(input)}`, `bad ${field}`);
  }
  return new Date(ms).toISOString();
}

/** True when `x` has the shape of a tag sample (no deep value check). */
export function isTagSample(x: unknown): x is TagSample {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const s = x as Record<string, unknown>;
  return typeof s.tag === 'string' && 'value' in s && typeof s.quality === 'string' && typeof s.sourceTimestamp === 'string';
}

/**
 * Lists what is wrong with a would-be sample, one readable line per problem;
 * an empty list means it is valid.
 */
export function sampleProblems(x: unknown, where = 'payload'): string[] {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return [`${where} must be a tag sample object, got ${describe(x)}`];
  const s = x as Record<string, unknown>;
  const problems: string[] = [];
  if (typeof s.tag !== 'string' || s.tag.trim() === '') problems.push(`${where}.tag must be a non-empty string, got ${describe(s.tag)}`);
  if (!('value' in s) || s.value === undefined) problems.push(`${where}.value is missing`);
  else if (typeof s.value === 'number' && !Number.isFinite(s.value)) problems.push(`${where}.value must be a finite number, got ${String(s.value)}`);
  if (!QUALITIES.includes(s.quality as Quality)) problems.push(`${where}.quality must be "good", "uncertain" or "bad", got ${describe(s.quality)}`);
  if (typeof s.sourceTimestamp !== 'string' || !Number.isFinite(Date.parse(s.sourceTimestamp))) {
    problems.push(`${where}.sourceTimestamp must be an ISO 8601 string, got ${describe(s.sourceTimestamp)}`);
  }
  if (s.serverTimestamp !== undefined && (typeof s.serverTimestamp !== 'string' || !Number.isFinite(Date.parse(s.serverTimestamp)))) {
    problems.push(`${where}.serverTimestamp must be an ISO 8601 string, got ${describe(s.serverTimestamp)}`);
  }
  for (const key of ['unit', 'asset'] as const) {
    if (s[key] !== undefined && typeof s[key] !== 'string') problems.push(`${where}.${key} must be a string, got ${describe(s[key])}`);
  }
  if (s.statusCode !== undefined && typeof s.statusCode !== 'number' && typeof s.statusCode !== 'string') {
    problems.push(`${where}.statusCode must be a number or string, got ${describe(s.statusCode)}`);
  }
  return problems;
}

/** Throws a PlantwireError naming every problem when `x` is not a valid sample. */
export function assertTagSample(x: unknown, where = 'payload'): TagSample {
  const problems = sampleProblems(x, where);
  if (problems.length > 0) throw new PlantwireError('bad-sample', problems.join('; '), problems[0]);
  return x as TagSample;
}

export interface CoerceOptions {
  /** Tag to use for plain values (usually `msg.topic`). */
  tag?: string;
  /** Now, in epoch ms (tests pass a fixed clock). */
  now?: number;
  quality?: Quality;
}

/**
 * Reads `msg.payload` as samples. Accepts a tag sample, an array of samples
 * and/or plain values, or a plain value (number, boolean, string) which
 * becomes a sample of `opts.tag`. Anything else is a clear error.
 */
export function toSamples(payload: unknown, opts: CoerceOptions = {}): TagSample[] {
  const items = Array.isArray(payload) ? payload : [payload];
  if (Array.isArray(payload) && payload.length === 0) {
    throw new PlantwireError('empty-batch', 'payload is an empty array: send at least one sample', 'empty batch');
  }
  return items.map((item, i) => {
    const where = Array.isArray(payload) ? `payload[${i}]` : 'payload';
    if (isPlain(item)) {
      if (!opts.tag) {
        throw new PlantwireError('missing-tag', `${where} is a plain value (${describe(item)}) but no tag name is known: set msg.topic or send a tag sample`, 'missing tag (msg.topic)');
      }
      if (typeof item === 'number' && !Number.isFinite(item)) {
        throw new PlantwireError('bad-value', `${where} must be a finite number, got ${String(item)}`, 'value is not a number');
      }
      return makeSample(opts.tag, item, { quality: opts.quality ?? 'good', sourceTimestamp: opts.now ?? Date.now() });
    }
    return assertTagSample(item, where);
  });
}

function isPlain(x: unknown): x is number | boolean | string {
  return typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string';
}

/** A short description of a value for error messages. */
export function describe(x: unknown): string {
  if (x === undefined) return 'nothing';
  if (x === null) return 'null';
  if (typeof x === 'string') return x.length > 40 ? `"${x.slice(0, 37)}…"` : `"${x}"`;
  if (typeof x === 'number' || typeof x === 'boolean') return String(x);
  if (Array.isArray(x)) return `an array of ${x.length}`;
  if (typeof x === 'object') return 'an object';
  return typeof x;
}
