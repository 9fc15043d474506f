/**
 * What the batch targets (S3-compatible storage, HTTP webhook) share: turning
 * a batch of CloudRecords into NDJSON, a JSON array or CSV, gzip, the
 * deterministic batch identity (object keys, Idempotency-Key) and the key
 * pattern. No Node-RED import.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { PlantwireError, toError } from '../../model/errors';
import { csvRow } from '../../model/csv';
import type { CloudRecord, CloudStateEvent } from './types';

const gzipAsync = promisify(zlib.gzip);

/** A target failure with the classification the buffer needs: `transient: false` dead-letters, anything else is retried. */
export class TargetError extends PlantwireError {
  constructor(code: string, message: string, readonly transient: boolean, status?: string, readonly retryAfterMs?: number) {
    super(code, message, status);
    this.name = 'TargetError';
  }
}

export const CSV_HEADER = 'time,tag,value,quality,asset,unit';

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** A Plantwire tag sample (src/model): an object with a string `tag` and a `value`. */
export function isTagSample(x: unknown): x is Obj & { tag: string; value: unknown } {
  return isObj(x) && typeof x.tag === 'string' && 'value' in x;
}

/** The JSON items of a record: the elements of an array payload (a batch of samples), otherwise the payload itself. */
export function recordItems(r: CloudRecord): unknown[] {
  return Array.isArray(r.body) ? r.body : [r.body];
}

function stringify(value: unknown, r: CloudRecord): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw new TargetError('bad-input', `record ${r.key} cannot be written as JSON: ${toError(err).message}`, false, 'record not serialisable');
  }
  return text === undefined ? 'null' : text;
}

/** NDJSON: one JSON line per item (an array payload gives one line per element), '\n' after each line. */
export function toNdjson(records: CloudRecord[]): string {
  let out = '';
  for (const r of records) for (const item of recordItems(r)) out += `${stringify(item, r)}\n`;
  return out;
}

/** A JSON array of all items (an array payload contributes its elements). */
export function toJsonArray(records: CloudRecord[]): string {
  const parts: string[] = [];
  for (const r of records) for (const item of recordItems(r)) parts.push(stringify(item, r));
  return `[${parts.join(',')}]`;
}

/** RFC 4180 quoting and the formula-injection guard: the palette's one CSV writer (src/model/csv). */
export { csvField } from '../../model/csv';

const MAX_FLATTEN_DEPTH = 8;

/** Leaves of a non-sample object as [path, value] pairs ("a.b", "list.0"); deeper levels are kept as JSON. */
export function flatten(value: unknown, prefix = '', depth = 0, out: Array<[string, unknown]> = []): Array<[string, unknown]> {
  const join = (k: string): string => (prefix ? `${prefix}.${k}` : k);
  if (depth < MAX_FLATTEN_DEPTH && isObj(value) && Object.keys(value).length > 0) {
    for (const [k, v] of Object.entries(value)) flatten(v, join(k), depth + 1, out);
  } else if (depth < MAX_FLATTEN_DEPTH && Array.isArray(value) && value.length > 0) {
    value.forEach((v, i) => flatten(v, join(String(i)), depth + 1, out));
  } else out.push([prefix, value]);
  return out;
}

/**
 * CSV with the header `time,tag,value,quality,asset,unit`. Tag samples give
 * one row each (time = sourceTimestamp). Other payloads are flattened: one
 * row per leaf, tag = the record's topic and the leaf's path joined by '/'
 * ("line1/temp", "press.a"), time = when the record was accepted, quality
 * empty. Lines end with CRLF (RFC 4180); text cells get the formula-injection guard.
 */
export function toCsv(records: CloudRecord[]): string {
  const rows: string[] = [CSV_HEADER];
  const row = (cells: unknown[]): void => {
    rows.push(csvRow(cells));
  };
  for (const r of records) {
    const accepted = new Date(r.ts).toISOString();
    const items = recordItems(r);
    items.forEach((item, i) => {
      if (isTagSample(item)) {
        row([item.sourceTimestamp ?? item.timestamp ?? accepted, item.tag, item.value, item.quality ?? '', item.asset ?? r.asset ?? '', item.unit ?? '']);
        return;
      }
      const base = Array.isArray(r.body) ? String(i) : '';
      for (const [path, v] of flatten(item, base)) {
        const tag = [r.topic ?? '', path].filter((p) => p !== '').join('/');
        row([accepted, tag, v, '', r.asset ?? '', '']);
      }
    });
  }
  return `${rows.join('\r\n')}\r\n`;
}

export function gzip(data: string | Buffer): Promise<Buffer> {
  return gzipAsync(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
}

/** A UUID (RFC 9562 version 8 layout) derived from a name: the same name gives the same UUID. */
export function nameUuid(name: string): string {
  const h = crypto.createHash('sha256').update(`plantwire:${name}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x80;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/**
 * `{seq}`: 8 hex digits naming the buffer (a hash of the key's part before
 * the last ':', i.e. the sink node) and the sequence number in a buffer key
 * (`<queue>:<id>`), zero-padded to 12 digits so one node's keys sort in write
 * order: "3f2a9c1e-000000004711" ("…-000000004711-2" for the third record of
 * an entry that holds several). Two nodes writing the same pattern do not
 * collide. A key without a number gives 8 + 12 hex digits of its hash.
 */
export function recordSeq(key: string): string {
  const h = (s: string, n: number): string => crypto.createHash('sha256').update(s).digest('hex').slice(0, n);
  // `<queue>:<id>`, or `<queue>:<id>-<n>` for the n-th record of a buffer entry holding several.
  const m = /^(.*):(\d{1,12})(-\d{1,9})?$/.exec(key);
  if (m) return `${h(m[1]!, 8)}-${m[2]!.padStart(12, '0')}${m[3] ?? ''}`;
  return `${h(key, 8)}-${h(`${key}#`, 12)}`;
}

/**
 * The identity of a batch for an idempotency header: derived from the keys of
 * its first and last record, so the same batch retried gets the same id and a
 * batch with other records (which the receiver must process) gets another.
 */
export function batchId(records: CloudRecord[]): string {
  const first = records[0]?.key ?? '';
  const last = records[records.length - 1]?.key ?? '';
  return nameUuid(`${first}..${last}#${records.length}`);
}

/** The asset of a record: `record.asset`, else the first sample's `asset`. */
export function recordAsset(r: CloudRecord): string {
  if (r.asset) return r.asset;
  for (const item of recordItems(r)) if (isObj(item) && typeof item.asset === 'string' && item.asset !== '') return item.asset;
  return '';
}

/**
 * An asset path made safe for object keys: accents dropped, each segment
 * reduced to A-Z a-z 0-9 . _ -, empty, "." and ".." segments removed,
 * '/' kept as separator; "_unknown" when nothing is left.
 */
export function sanitizeKeySegment(asset: string): string {
  const parts = asset
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .split('/')
    .map((p) => p.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 100))
    .filter((p) => p !== '' && p !== '.' && p !== '..');
  return parts.length ? parts.join('/') : '_unknown';
}

export const KEY_PLACEHOLDERS = ['yyyy', 'MM', 'dd', 'HH', 'mm', 'asset', 'uuid', 'seq'] as const;
export type KeyPlaceholder = (typeof KEY_PLACEHOLDERS)[number];

/** Problems with a key pattern (empty list = valid). The batch identity ({uuid} or {seq}) is required, or batches would overwrite each other. */
export function keyPatternProblems(pattern: string): string[] {
  const problems: string[] = [];
  if (typeof pattern !== 'string' || pattern.trim() === '') return ['the key pattern is empty'];
  for (const m of pattern.matchAll(/\{([^}]*)\}/g)) {
    if (!(KEY_PLACEHOLDERS as readonly string[]).includes(m[1]!)) problems.push(`unknown placeholder {${m[1]}} (use ${KEY_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`);
  }
  if (!pattern.includes('{uuid}') && !pattern.includes('{seq}')) problems.push('the key pattern needs {uuid} or {seq}, otherwise every batch of the same minute overwrites the previous one');
  if (/[\\{}]/.test(pattern.replace(/\{[A-Za-z]+\}/g, ''))) problems.push('stray brace or backslash in the key pattern');
  return problems;
}

export interface KeyParts {
  ts: number;
  asset: string;
  firstKey: string;
}

/** Fills the placeholders (dates in UTC from the batch's first record). Leading slashes are dropped. */
export function renderKey(pattern: string, parts: KeyParts): string {
  const d = new Date(parts.ts);
  const p2 = (n: number): string => String(n).padStart(2, '0');
  const values: Record<KeyPlaceholder, () => string> = {
    yyyy: () => String(d.getUTCFullYear()),
    MM: () => p2(d.getUTCMonth() + 1),
    dd: () => p2(d.getUTCDate()),
    HH: () => p2(d.getUTCHours()),
    mm: () => p2(d.getUTCMinutes()),
    asset: () => sanitizeKeySegment(parts.asset),
    uuid: () => nameUuid(parts.firstKey),
    seq: () => recordSeq(parts.firstKey),
  };
  return pattern.replace(/\{([A-Za-z]+)\}/g, (all, name: string) => (name in values ? values[name as KeyPlaceholder]() : all)).replace(/^\/+/, '');
}

/** Keeps a target's connection state and tells listeners about changes. */
export class StateHolder {
  private listeners = new Set<(s: CloudStateEvent) => void>();
  constructor(public state: CloudStateEvent) {}
  set(state: CloudStateEvent): void {
    if (state.state === this.state.state && state.text === this.state.text) return;
    this.state = state;
    for (const l of [...this.listeners]) {
      try {
        l(state);
      } catch {
        /* a listener's problem is not the target's */
      }
    }
  }
  on(l: (s: CloudStateEvent) => void): () => void {
    this.listeners.add(l);
    return () => {
      this.listeners.delete(l);
    };
  }
}
