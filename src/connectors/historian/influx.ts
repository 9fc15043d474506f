/**
 * InfluxDB historian backend: line protocol over HTTP through the shared
 * client (src/connectors/http), API v1 (`/write?db=&rp=&precision=`, user and
 * password) or v2 (`/api/v2/write?org=&bucket=&precision=`, `Authorization:
 * Token …`; InfluxDB 3 and Cloud accept the same endpoint).
 *
 * One point per sample: measurement (configurable, default `plantwire`), tags
 * `tag`, `quality`, `asset` and `unit` (when set), one field: `value` (float)
 * for numbers, `value_bool` for booleans, `value_text` (string) for strings,
 * objects/arrays (JSON) and NaN/±Infinity (which line protocol cannot carry as
 * floats), `value_null=true` for null. Numbers are always floats, so a tag
 * switching between 1 and 1.5 never hits a field-type conflict.
 */
import { PlantwireError } from '../../model/errors';
import { describe, type TagSample } from '../../model/sample';
import { bodyExcerpt, HttpClient, HttpError, type HttpResponse } from '../http/client';
import { INFLUX_NEEDS, influxSettingsError, influxUrlProblem, measurementProblem } from './db-fields';
import { HistorianError, type HistorianBackend } from './types';

export type InfluxPrecision = 'ns' | 'us' | 'ms' | 's';

export interface InfluxSettings {
  /** Base URL, e.g. http://127.0.0.1:8086 (a path prefix is kept). */
  url: string;
  api: 1 | 2;
  /** v1 */
  database?: string;
  retentionPolicy?: string;
  user?: string;
  password?: string;
  /** v2 */
  org?: string;
  bucket?: string;
  token?: string;
  measurement: string;
  precision: InfluxPrecision;
  ca?: string;
  rejectUnauthorized?: boolean;
  timeoutMs?: number;
}

// ---- line protocol escaping (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/#special-characters)

const LINE_BREAK = /[\r\n]/;

function refuseLineBreak(s: string, what: string): void {
  if (LINE_BREAK.test(s)) throw new PlantwireError('bad-sample', `${what} ${describe(s)} contains a line break, which InfluxDB line protocol cannot carry: remove it`, `line break in ${what.split(' ')[0]}`);
}

/** A backslash at the end of a name would escape the delimiter after it (line protocol has no escape for a backslash in names). */
function refuseTrailingBackslash(s: string, what: string): void {
  if (s.endsWith('\\')) throw new PlantwireError('bad-sample', `${what} ${describe(s)} ends with a backslash, which InfluxDB line protocol would read as an escape: remove it`, `backslash at end of ${what.split(' ')[0]}`);
}

/** Measurement: commas and spaces escaped with a backslash. */
export function escapeMeasurement(s: string): string {
  refuseLineBreak(s, 'measurement');
  refuseTrailingBackslash(s, 'measurement');
  return s.replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys: commas, equals signs and spaces escaped. */
export function escapeKey(s: string, what = 'tag value'): string {
  refuseLineBreak(s, what);
  refuseTrailingBackslash(s, what);
  return s.replace(/[,= ]/g, (c) => `\\${c}`);
}

/** String field value: double-quoted, with backslashes and double quotes escaped. */
export function escapeStringField(s: string, what = 'string value'): string {
  refuseLineBreak(s, what);
  return `"${s.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

const PRECISION_DIVISOR: Record<InfluxPrecision, bigint> = { ns: 1n, us: 1000n, ms: 1_000_000n, s: 1_000_000_000n };

/** The timestamp of an ISO string in the given precision (exact integer; ns from ms × 10⁶). */
export function influxTimestamp(iso: string, precision: InfluxPrecision): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new PlantwireError('bad-sample', `sourceTimestamp ${describe(iso)} is not a date`, 'bad sourceTimestamp');
  const ns = BigInt(ms) * 1_000_000n;
  return (ns / PRECISION_DIVISOR[precision]).toString();
}

/** A float in line protocol (no `i` suffix: always a float field). */
function floatField(n: number): string {
  // Integers print without a decimal point; line protocol reads them as floats without the `i` suffix.
  return String(n);
}

/** One sample as one line of line protocol. */
export function toLine(s: TagSample, measurement: string, precision: InfluxPrecision): string {
  if (typeof s.tag !== 'string' || s.tag === '') throw new PlantwireError('bad-sample', 'tag must be a non-empty string', 'missing tag');
  const tags: Array<[string, string]> = [['asset', s.asset ?? ''], ['quality', s.quality], ['tag', s.tag], ['unit', s.unit ?? '']];
  // Tag keys sorted (InfluxData's performance tip); empty tag values are not allowed: omitted.
  const tagSet = tags
    .filter(([, v]) => typeof v === 'string' && v !== '')
    .map(([k, v]) => `,${k}=${escapeKey(v, `${k} name`)}`)
    .join('');
  const v = s.value as unknown;
  let field: string;
  if (typeof v === 'number') field = Number.isFinite(v) ? `value=${floatField(v)}` : `value_text=${escapeStringField(Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity')}`;
  else if (typeof v === 'boolean') field = `value_bool=${v ? 'true' : 'false'}`;
  else if (typeof v === 'string') field = `value_text=${escapeStringField(v, `string value of tag ${describe(s.tag)}`)}`;
  else if (v === null || v === undefined) field = 'value_null=true';
  else field = `value_text=${escapeStringField(JSON.stringify(v), `value of tag ${describe(s.tag)}`)}`;
  return `${escapeMeasurement(measurement)}${tagSet} ${field} ${influxTimestamp(s.sourceTimestamp, precision)}`;
}

export function encodeLines(samples: TagSample[], measurement: string, precision: InfluxPrecision): string[] {
  return samples.map((s, i) => {
    try {
      return toLine(s, measurement, precision);
    } catch (err) {
      if (err instanceof PlantwireError && samples.length > 1) throw new PlantwireError(err.code, `payload[${i}]: ${err.message}`, err.status);
      throw err;
    }
  });
}

/** The write URL for the settings. */
export function writeUrl(s: InfluxSettings): URL {
  const base = new URL(s.url);
  const prefix = base.pathname.replace(/\/+$/, '');
  if (s.api === 1) {
    const u = new URL(`${prefix}/write`, base);
    u.searchParams.set('db', s.database ?? '');
    if (s.retentionPolicy) u.searchParams.set('rp', s.retentionPolicy);
    u.searchParams.set('precision', s.precision === 'us' ? 'u' : s.precision);
    return u;
  }
  const u = new URL(`${prefix}/api/v2/write`, base);
  u.searchParams.set('org', s.org ?? '');
  u.searchParams.set('bucket', s.bucket ?? '');
  u.searchParams.set('precision', s.precision);
  return u;
}

/** Checks the settings; returns the first problem or null (the config node's field spec, ./db-fields.ts, applies the same rules). */
export function influxSettingsProblem(s: InfluxSettings): string | null {
  const url = influxUrlProblem(s.url);
  if (url) return url;
  if (s.api === 1 && !s.database) return INFLUX_NEEDS.db;
  if (s.api === 2 && !s.bucket) return INFLUX_NEEDS.bucket;
  if (s.api === 2 && !s.org) return INFLUX_NEEDS.org;
  return measurementProblem(s.measurement);
}

/**
 * Turns a refused write into a HistorianError. InfluxDB answers 204 on
 * success; 4xx with a JSON body (`{"error": "…"}` in v1, `{"code", "message"}`
 * in v2) is permanent. A 400 "partial write" means some lines were stored and
 * the others refused (field type conflict, points beyond the retention
 * period): retrying would not store the refused ones and would write the
 * stored ones again, so it is permanent too (dead-letter with the reason).
 * 5xx, 429 and network failures are transient (Retry-After honoured).
 */
export function influxError(err: HttpError, label: string): HistorianError {
  const res: HttpResponse | undefined = err.response;
  if (!res) return new HistorianError('influx-unavailable', `${err.message} (${label})`, true, err.status);
  let detail = bodyExcerpt(res.body);
  try {
    const j = res.json<{ error?: string; message?: string; code?: string }>();
    detail = j.message ?? j.error ?? detail;
  } catch {
    /* not JSON */
  }
  if (res.status === 401 || res.status === 403) return new HistorianError('influx-auth', `${res.status} not authorised: ${detail} (check the token or user/password and its write permission; ${label})`, false, `${res.status} not authorised`);
  if (res.status === 404) return new HistorianError('influx-not-found', `404 ${detail} (does the database/bucket exist? ${label})`, false, '404 database/bucket not found');
  const partial = /partial write/i.test(detail);
  return new HistorianError(
    partial ? 'influx-partial-write' : `influx-${res.status}`,
    `${res.status}${partial ? ' partial write (some points stored, these refused)' : ''}: ${detail} (${label})`,
    err.transient,
    `${res.status} ${detail}`,
    err.retryAfterMs,
  );
}

export class InfluxHistorian implements HistorianBackend<string> {
  readonly label: string;
  private readonly http: HttpClient;
  private readonly url: URL;
  private closed = false;

  constructor(readonly settings: InfluxSettings) {
    const problem = influxSettingsProblem(settings);
    if (problem) throw influxSettingsError(problem);
    this.url = writeUrl(settings);
    const target = settings.api === 1 ? `db ${settings.database}${settings.retentionPolicy ? `.${settings.retentionPolicy}` : ''}` : `bucket ${settings.bucket}`;
    this.label = `InfluxDB v${settings.api} ${this.url.host} ${target}`;
    const tls: { ca?: string; rejectUnauthorized?: boolean } = {};
    if (settings.ca) tls.ca = settings.ca;
    if (settings.rejectUnauthorized === false) tls.rejectUnauthorized = false;
    this.http = new HttpClient({ timeoutMs: settings.timeoutMs ?? 30_000, tls, headers: { 'user-agent': 'plantwire-historian' } });
  }

  encode(samples: TagSample[]): string[] {
    return encodeLines(samples, this.settings.measurement, this.settings.precision);
  }

  private headers(): Record<string, string> {
    const s = this.settings;
    const h: Record<string, string> = { 'content-type': 'text/plain; charset=utf-8' };
    if (s.api === 2 && s.token) h.authorization = `Token ${s.token}`;
    if (s.api === 1 && s.user) h.authorization = `Basic ${Buffer.from(`${s.user}:${s.password ?? ''}`).toString('base64')}`;
    return h;
  }

  /** GET /ping (204 on v1, v2 and 3): the server answers. */
  async open(): Promise<void> {
    const ping = new URL(`${new URL(this.settings.url).pathname.replace(/\/+$/, '')}/ping`, this.settings.url);
    try {
      await this.http.request({ method: 'GET', url: ping, headers: this.headers(), timeoutMs: 5000 });
    } catch (err) {
      if (err instanceof HttpError) throw influxError(err, this.label);
      throw err;
    }
  }

  async write(lines: string[]): Promise<void> {
    if (lines.length === 0) return;
    if (this.closed) throw new HistorianError('closed', `${this.label}: closed`, true, 'closed');
    try {
      await this.http.request({ method: 'POST', url: this.url, headers: this.headers(), body: lines.join('\n') });
    } catch (err) {
      if (err instanceof HttpError) throw influxError(err, this.label);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.http.close();
  }
}
