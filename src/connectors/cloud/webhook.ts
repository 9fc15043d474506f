/**
 * HTTP(S) webhook batch target: each `deliver(records)` is one POST (or PUT /
 * PATCH) holding the whole batch as a JSON array or NDJSON, optionally gzip
 * (Content-Encoding: gzip), through the shared HttpClient (keep-alive,
 * custom CA, timeouts).
 *
 * - Auth: one header from the credentials (default name Authorization, e.g.
 *   "Bearer …", or X-API-Key: …) plus fixed extra headers.
 * - Idempotency-Key: a UUID derived from the batch's first and last record
 *   keys and its size, so a retried batch carries the same key (a receiver that
 *   honours it processes it once) and a different batch never reuses one.
 * - Retries are the caller's (the sink buffer): failures are HttpErrors with
 *   `transient` (network, timeouts, 408/425/429/5xx) and `retryAfterMs`
 *   (Retry-After); any other status is permanent (dead-letter) with the
 *   receiver's error text in the message.
 */
import { HttpClient, HttpError, bodyExcerpt, isTransientStatus, parseRetryAfter, type HttpResponse } from '../http/client';
import { PlantwireError, toError } from '../../model/errors';
import { TargetError, batchId, gzip, toJsonArray, toNdjson } from './batch-format';
import { HttpBatchTarget } from './http-target';
import type { CloudRecord } from './types';

export interface WebhookSettings {
  url: string;
  /** Extension (cloud-batch): PATCH is accepted too. */
  method: 'POST' | 'PUT' | 'PATCH';
  /** Extra headers; the auth header (e.g. "Authorization: Bearer …") comes from credentials. */
  headers: Record<string, string>;
  authHeaderName?: string;
  authHeaderValue?: string;
  /** Body: a JSON array of records, or NDJSON. */
  format: 'json' | 'ndjson';
  gzip: boolean;
  flushCount: number;
  flushBytes: number;
  flushMs: number;
  timeoutMs: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Headers the target sets itself. */
const RESERVED = new Set(['content-length', 'content-type', 'content-encoding', 'host', 'transfer-encoding', 'idempotency-key', 'connection']);

/** Problems with webhook settings, in words for the editor and the config node (empty = valid). */
export function webhookSettingsProblems(s: Partial<WebhookSettings>): string[] {
  const p: string[] = [];
  try {
    const u = new URL(s.url ?? '');
    if (u.protocol !== 'http:' && u.protocol !== 'https:') p.push(`URL ${s.url} must start with http:// or https://`);
  } catch {
    p.push(`URL ${JSON.stringify(s.url ?? '')} is not a valid URL`);
  }
  if (s.method !== 'POST' && s.method !== 'PUT' && s.method !== 'PATCH') p.push(`method must be POST, PUT or PATCH, got ${JSON.stringify(s.method)}`);
  if (s.format !== 'json' && s.format !== 'ndjson') p.push(`format must be json or ndjson, got ${JSON.stringify(s.format)}`);
  for (const [k, v] of Object.entries(s.headers ?? {})) {
    if (!TOKEN.test(k)) p.push(`header name ${JSON.stringify(k)} is not valid`);
    else if (RESERVED.has(k.toLowerCase())) p.push(`header ${k} is set by the target and cannot be overridden`);
    if (typeof v !== 'string' || /[\r\n]/.test(v)) p.push(`header ${k} must be a one-line text`);
  }
  if (s.authHeaderValue) {
    const name = s.authHeaderName || 'Authorization';
    if (!TOKEN.test(name)) p.push(`auth header name ${JSON.stringify(name)} is not valid`);
    if (/[\r\n]/.test(s.authHeaderValue)) p.push('the auth header value must be one line');
  }
  return p;
}

/** The receiver's error text: `error_description`/`message`/`error`/`detail`/`title` of a JSON body, else the body excerpt. */
function receiverText(res: HttpResponse): string {
  if (res.body.length === 0) return '';
  try {
    const j = JSON.parse(res.body.toString('utf8')) as Record<string, unknown>;
    const pick = (k: string): string | undefined => {
      const v = j[k];
      if (typeof v === 'string' && v) return v;
      if (v && typeof v === 'object' && typeof (v as Record<string, unknown>).message === 'string') return (v as Record<string, string>).message;
      return undefined;
    };
    const t = pick('error_description') ?? pick('message') ?? pick('detail') ?? pick('error') ?? pick('title');
    if (t) return bodyExcerpt(t, 200);
  } catch {
    /* not JSON */
  }
  return bodyExcerpt(res.body, 200);
}

const HINTS: Record<number, string> = {
  401: 'check the auth header',
  403: 'the receiver refuses these credentials',
  404: 'check the URL',
  405: 'check the method',
  413: 'the batch is too large for the receiver: lower flush count/bytes',
  415: 'the receiver does not accept this format',
};

export class WebhookTarget extends HttpBatchTarget {
  readonly kind = 'webhook' as const;
  private readonly where: string;
  /** Batches accepted by the receiver (for status and tests). */
  sent = 0;

  /** `http`: an existing client to share (the caller closes it); by default the target makes and closes its own. */
  constructor(readonly settings: WebhookSettings, http?: HttpClient) {
    const problems = webhookSettingsProblems(settings);
    if (problems.length) throw new PlantwireError('bad-config', `webhook target: ${problems.join('; ')}`, `webhook: ${problems[0]}`);
    const u = new URL(settings.url);
    super({ timeoutMs: settings.timeoutMs, tls: settings.tls, userAgent: 'plantwire-webhook', idleText: u.host }, http);
    this.where = `${u.origin}${u.pathname}`;
  }

  /** The Idempotency-Key of a batch. */
  idempotencyKey(records: CloudRecord[]): string {
    return batchId(records);
  }

  async deliver(records: CloudRecord[], _onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void> {
    this.assertOpen('webhook');
    this.assertNotAborted('webhook', signal);
    if (records.length === 0) return;
    const s = this.settings;
    const text = s.format === 'ndjson' ? toNdjson(records) : toJsonArray(records);
    const body = s.gzip ? await gzip(text) : Buffer.from(text, 'utf8');
    const headers: Record<string, string> = {
      ...s.headers,
      'content-type': s.format === 'ndjson' ? 'application/x-ndjson' : 'application/json',
      'idempotency-key': this.idempotencyKey(records),
      'x-plantwire-records': String(records.length),
    };
    if (s.gzip) headers['content-encoding'] = 'gzip';
    if (s.authHeaderValue) headers[s.authHeaderName || 'Authorization'] = s.authHeaderValue;
    let res: HttpResponse;
    try {
      res = await this.http.request({ method: s.method, url: s.url, headers, body, throwOnError: false, ...(signal ? { signal } : {}) });
    } catch (err) {
      const e = toError(err);
      const status = e instanceof HttpError ? e.status : e.message;
      this.holder.set({ state: 'error', text: `webhook: ${status}` });
      throw new TargetError('webhook-network', `webhook ${s.method} ${this.where} failed: ${e.message}`, true, `webhook: ${status}`);
    }
    if (res.status >= 200 && res.status < 300) {
      this.sent += 1;
      const n = records.length;
      this.holder.set({ state: 'connected', text: `${res.status}: ${n} record${n === 1 ? '' : 's'} sent` });
      return;
    }
    const transient = isTransientStatus(res.status);
    const detail = receiverText(res);
    let hint = HINTS[res.status];
    if (res.status >= 300 && res.status < 400) hint = `redirected${res.header('location') ? ` to ${res.header('location')}` : ''}: use the final URL`;
    const words = [detail, hint].filter(Boolean).join(' — ');
    this.holder.set({ state: 'error', text: `webhook ${res.status}` });
    throw new HttpError(
      `webhook ${s.method} ${this.where} answered ${res.status}${words ? `: ${words}` : ''}`,
      res.status,
      transient,
      res,
      parseRetryAfter(res.header('retry-after')),
      `webhook ${res.status}${detail ? ` ${detail}` : ''}`,
    );
  }
}
