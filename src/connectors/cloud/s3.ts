/**
 * S3-compatible batch target (AWS S3, MinIO, Ceph RGW, Wasabi, Cloudflare
 * R2, …): each `deliver(records)` writes one object per batch (one per asset
 * when the key pattern holds {asset}) with a single PUT Object, signed with
 * SigV4 (./sigv4.ts), through the shared HttpClient.
 *
 * - Body: NDJSON or CSV (./batch-format.ts); with gzip the bytes are gzip
 *   and the key ends in ".gz" (Content-Type application/gzip, no
 *   Content-Encoding): what Athena, Glue, Spark, Snowflake and
 *   `aws s3 cp` expect, and a download gives the same bytes that were stored.
 * - Integrity: Content-MD5 and the signed x-amz-content-sha256 of the body.
 * - Idempotent: the key is derived from the batch's first record (its
 *   time for the date placeholders, its buffer key for {uuid}/{seq}), so a
 *   retried batch overwrites the same object instead of adding a duplicate.
 * - Errors: the S3 XML error body becomes the message ("NoSuchBucket: The
 *   specified bucket does not exist — create it or fix the bucket name");
 *   AccessDenied, NoSuchBucket, bad keys/signature/region are permanent;
 *   SlowDown, 5xx, timeouts are transient with Retry-After.
 */
import crypto from 'node:crypto';
import { HttpClient, HttpError, parseRetryAfter, type HttpResponse } from '../http/client';
import { PlantwireError, toError } from '../../model/errors';
import { TargetError, gzip, keyPatternProblems, recordAsset, renderKey, toCsv, toNdjson } from './batch-format';
import { s3ObjectUrl, sha256Hex, signRequest, type AwsCredentials } from './sigv4';
import { HttpBatchTarget } from './http-target';
import type { CloudRecord } from './types';

export interface S3Settings {
  /** https://s3.eu-central-1.amazonaws.com, http://127.0.0.1:9000 (MinIO), … Empty: AWS S3 of `region`. A missing scheme means https. */
  endpoint: string;
  region: string;
  bucket: string;
  /** Path-style URLs (MinIO and most S3-compatible servers) instead of virtual-hosted style. */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** e.g. "plant/{asset}/{yyyy}/{MM}/{dd}/{HH}/{uuid}.ndjson" */
  keyPattern: string;
  format: 'ndjson' | 'csv';
  gzip: boolean;
  /** Flush thresholds (the node flushes on whichever comes first). */
  flushCount: number;
  flushBytes: number;
  flushMs: number;
  timeoutMs: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
  /** Extension (cloud-batch): a storage class such as STANDARD_IA (x-amz-storage-class); AWS only. */
  storageClass?: string;
}

export const S3_DEFAULT_KEY_PATTERN = 'plantwire/{asset}/{yyyy}/{MM}/{dd}/{HH}/{yyyy}{MM}{dd}T{HH}{mm}-{seq}';

/** S3 error codes retrying cannot fix: the batch is dead-lettered (with a hint what to change). */
const PERMANENT: Record<string, string> = {
  AccessDenied: 'the access key may not write this object (needs s3:PutObject on the bucket/key)',
  AllAccessDisabled: 'all access to this bucket is disabled',
  NoSuchBucket: 'create the bucket or fix the bucket name',
  InvalidBucketName: 'fix the bucket name',
  InvalidAccessKeyId: 'check the access key id',
  SignatureDoesNotMatch: 'check the secret access key (and the region)',
  AuthorizationHeaderMalformed: 'check the region of the bucket',
  PermanentRedirect: 'the bucket lives in another region or endpoint',
  InvalidArgument: 'the server refused a header or parameter',
  InvalidRequest: 'the server refused the request',
  InvalidDigest: 'the Content-MD5 was not accepted',
  EntityTooLarge: 'the batch is larger than the server accepts: lower flush bytes',
  KeyTooLongError: 'the object key is too long: shorten the key pattern',
  MethodNotAllowed: 'the endpoint does not accept PUT Object',
  NotImplemented: 'the server does not implement this request',
  InvalidObjectState: 'the object cannot be overwritten in its current state',
};
/** Codes that are worth retrying whatever their HTTP status says. */
const TRANSIENT: Record<string, string> = {
  SlowDown: 'the server asks to slow down',
  ServiceUnavailable: 'service unavailable',
  InternalError: 'internal server error',
  RequestTimeout: 'the upload timed out',
  BadDigest: 'the body was corrupted in transit',
  RequestTimeTooSkewed: "this machine's clock is off: synchronise it (NTP)",
  ExpiredToken: 'the session token expired: renew the credentials',
  TokenRefreshRequired: 'the session token must be refreshed',
  OperationAborted: 'a conflicting operation is in progress',
};

function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  if (!m) return undefined;
  return m[1]!
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

export interface S3ErrorInfo {
  code: string;
  message: string;
  transient: boolean;
  retryAfterMs?: number;
}

/** Reads an S3 error response (XML `<Error><Code>…</Code><Message>…</Message>…</Error>`, or nothing for HEAD) into a classified error. */
export function parseS3Error(res: Pick<HttpResponse, 'status' | 'body' | 'header'>): S3ErrorInfo {
  const xml = res.body.toString('utf8');
  const code = xmlText(xml, 'Code') ?? `HTTP${res.status}`;
  let message = xmlText(xml, 'Message') ?? (xml.trim() ? xml.replace(/\s+/g, ' ').trim().slice(0, 200) : `HTTP ${res.status}`);
  const bucket = xmlText(xml, 'BucketName');
  const endpoint = xmlText(xml, 'Endpoint');
  const region = xmlText(xml, 'Region');
  if (bucket && !message.includes(bucket)) message += ` (bucket "${bucket}")`;
  if (endpoint) message += ` (use endpoint ${endpoint})`;
  if (region) message += ` (the bucket's region is ${region})`;
  let transient: boolean;
  let hint: string | undefined;
  if (code in TRANSIENT) {
    transient = true;
    hint = TRANSIENT[code];
  } else if (code in PERMANENT) {
    transient = false;
    hint = PERMANENT[code];
  } else transient = res.status === 408 || res.status === 429 || res.status >= 500;
  let retryAfterMs = parseRetryAfter(res.header('retry-after'));
  if (retryAfterMs === undefined && code === 'SlowDown') retryAfterMs = 1000;
  return { code, message: hint && !message.includes(hint) ? `${message} — ${hint}` : message, transient, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
}

function normaliseEndpoint(endpoint: string, region: string): string {
  const e = (endpoint ?? '').trim();
  if (e === '') return region === 'us-east-1' ? 'https://s3.amazonaws.com' : `https://s3.${region}.amazonaws.com`;
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(e) ? e : `https://${e}`;
}

/** Problems with S3 settings, in words for the editor and the config node (empty = valid). */
export function s3SettingsProblems(s: Partial<S3Settings>): string[] {
  const p: string[] = [];
  if (!s.bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(s.bucket)) p.push(`bucket ${JSON.stringify(s.bucket ?? '')} is not a valid bucket name (3-63 characters: a-z 0-9 . -)`);
  if (!s.region || !/^[a-z0-9-]+$/.test(s.region)) p.push(`region ${JSON.stringify(s.region ?? '')} is not valid (e.g. eu-central-1; MinIO: us-east-1)`);
  try {
    const u = new URL(normaliseEndpoint(s.endpoint ?? '', s.region || 'us-east-1'));
    if (u.protocol !== 'http:' && u.protocol !== 'https:') p.push(`endpoint ${s.endpoint} must be http:// or https://`);
  } catch {
    p.push(`endpoint ${JSON.stringify(s.endpoint)} is not a URL`);
  }
  if (!s.accessKeyId) p.push('the access key id is missing');
  if (!s.secretAccessKey) p.push('the secret access key is missing');
  if (s.format !== 'ndjson' && s.format !== 'csv') p.push(`format must be ndjson or csv, got ${JSON.stringify(s.format)}`);
  p.push(...keyPatternProblems(s.keyPattern ?? ''));
  return p;
}

export interface S3PutResult {
  key: string;
  records: number;
  bytes: number;
  etag?: string;
}

export class S3Target extends HttpBatchTarget {
  readonly kind = 's3' as const;
  private readonly endpoint: string;
  private readonly credentials: AwsCredentials;
  /** Objects written (for status and tests). */
  written = 0;
  lastKeys: string[] = [];

  /** `http`: an existing client to share (the caller closes it); by default the target makes and closes its own. */
  constructor(readonly settings: S3Settings, http?: HttpClient) {
    const problems = s3SettingsProblems(settings);
    if (problems.length) throw new PlantwireError('bad-config', `S3 target: ${problems.join('; ')}`, `S3: ${problems[0]}`);
    super({ timeoutMs: settings.timeoutMs, tls: settings.tls, userAgent: 'plantwire-s3', idleText: `s3://${settings.bucket}` }, http);
    this.endpoint = normaliseEndpoint(settings.endpoint, settings.region);
    this.credentials = { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey, ...(settings.sessionToken ? { sessionToken: settings.sessionToken } : {}) };
  }

  /** The object key for a batch (one asset group): see S3Settings.keyPattern. */
  objectKey(records: CloudRecord[], asset = records[0] ? recordAsset(records[0]) : ''): string {
    const first = records[0]!;
    let key = renderKey(this.settings.keyPattern, { ts: first.ts, asset, firstKey: first.key });
    const last = key.slice(key.lastIndexOf('/') + 1);
    if (!last.includes('.')) key += this.settings.format === 'csv' ? '.csv' : '.ndjson';
    if (this.settings.gzip && !key.endsWith('.gz')) key += '.gz';
    return key;
  }

  /** The URL an object key is written to (endpoint, bucket and URL style applied; key S3-encoded). */
  objectUrl(key: string): URL {
    return s3ObjectUrl({ endpoint: this.endpoint, bucket: this.settings.bucket, key, pathStyle: this.settings.pathStyle });
  }

  /** Writes the batch: one object, or one per asset when the key pattern has {asset}. Resolves once S3 confirmed every object. */
  async deliver(records: CloudRecord[], onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void> {
    this.assertOpen('S3');
    if (records.length === 0) return;
    const groups = new Map<string, CloudRecord[]>();
    if (this.settings.keyPattern.includes('{asset}')) {
      for (const r of records) {
        const a = recordAsset(r);
        const g = groups.get(a);
        if (g) g.push(r);
        else groups.set(a, [r]);
      }
    } else groups.set(recordAsset(records[0]!), records);
    const keys: string[] = [];
    for (const [asset, group] of groups) {
      // Aborted (timed out, the node stopping): no further object; the buffer sends what is not confirmed again.
      this.assertNotAborted('S3', signal);
      keys.push((await this.put(group, asset, signal)).key);
      onPart?.(group.map((r) => r.key));
    }
    this.written += keys.length;
    this.lastKeys = keys;
    const n = records.length;
    this.holder.set({ state: 'connected', text: `s3://${this.settings.bucket}: ${n} record${n === 1 ? '' : 's'} → ${keys.length === 1 ? keys[0]!.split('/').pop() : `${keys.length} objects`}` });
  }

  /** One PUT Object for a group of records (`signal` aborts the request). */
  async put(records: CloudRecord[], asset = records[0] ? recordAsset(records[0]) : '', signal?: AbortSignal): Promise<S3PutResult> {
    const key = this.objectKey(records, asset);
    const text = this.settings.format === 'csv' ? toCsv(records) : toNdjson(records);
    const body = this.settings.gzip ? await gzip(text) : Buffer.from(text, 'utf8');
    const contentType = this.settings.gzip ? 'application/gzip' : this.settings.format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson';
    const url = this.objectUrl(key);
    const headers: Record<string, string> = {
      'content-type': contentType,
      'content-md5': crypto.createHash('md5').update(body).digest('base64'),
      'x-amz-meta-plantwire-records': String(records.length),
      'x-amz-meta-plantwire-first-key': encodeURIComponent(records[0]!.key),
    };
    if (this.settings.storageClass) headers['x-amz-storage-class'] = this.settings.storageClass;
    const signed = signRequest({ method: 'PUT', url, headers, payloadHash: sha256Hex(body) }, { credentials: this.credentials, region: this.settings.region });
    const where = `s3://${this.settings.bucket}/${key}`;
    let res: HttpResponse;
    try {
      res = await this.http.request({ method: 'PUT', url, headers: signed.headers, body, throwOnError: false, ...(signal ? { signal } : {}) });
    } catch (err) {
      const e = toError(err);
      const status = e instanceof HttpError ? e.status : e.message;
      this.holder.set({ state: 'error', text: `S3 unreachable: ${status}` });
      throw new TargetError('s3-network', `S3 PUT ${where} failed: ${e.message}`, true, `S3: ${status}`);
    }
    if (res.status >= 200 && res.status < 300) return { key, records: records.length, bytes: body.length, ...(res.header('etag') ? { etag: res.header('etag')! } : {}) };
    const info = parseS3Error(res);
    this.holder.set({ state: 'error', text: `S3 ${info.code}` });
    throw new HttpError(`S3 refused PUT ${where} (${res.status} ${info.code}): ${info.message}`, res.status, info.transient, res, info.retryAfterMs, `S3 ${info.code}`);
  }
}
