/**
 * The one HTTP(S) client every IT connector uses (ERP, webhook, S3, InfluxDB,
 * OAuth2 token endpoints). Plain node:http/https so that a custom CA, a client
 * certificate and keep-alive work without extra packages. A client owns one
 * keep-alive agent (one per connection config node), so requests reuse sockets.
 *
 * Failures are classified once, here: `HttpError.transient` is true for
 * network errors, timeouts, 408, 425, 429 and 5xx (retry with backoff,
 * honouring `retryAfterMs`), false for every other 4xx (a business or
 * configuration error: retrying will not help). An answer larger than
 * settings.js `plantwire.limits.httpAnswerBytes` (default 16 MiB) is cut off
 * unread and fails permanently, naming the limit.
 */
import http from 'node:http';
import https from 'node:https';
import { PlantwireError, toError } from '../../model/errors';
import { bytesText, limitError, limits } from '../../model/limits';

export interface HttpTlsOptions {
  /** PEM CA certificate(s) to trust in addition to nothing else (replaces the system store when set). */
  ca?: string;
  /** PEM client certificate and key for mutual TLS. */
  cert?: string;
  key?: string;
  passphrase?: string;
  /** false accepts any server certificate (tests only; the editor warns). */
  rejectUnauthorized?: boolean;
  servername?: string;
}

export interface HttpClientOptions {
  /** Per-request timeout in ms (connect + response), default 30,000. */
  timeoutMs?: number;
  tls?: HttpTlsOptions;
  /** Max sockets per host (default 8). */
  maxSockets?: number;
  /** Headers sent with every request (e.g. User-Agent). */
  headers?: Record<string, string>;
}

export type HttpBody = string | Buffer | Uint8Array | null | undefined;

export interface HttpRequest {
  method?: string;
  url: string | URL;
  headers?: Record<string, string | string[] | undefined>;
  body?: HttpBody;
  /** Serialised as JSON with content-type application/json (instead of body). */
  json?: unknown;
  timeoutMs?: number;
  /** Reject non-2xx with HttpError (default true). */
  throwOnError?: boolean;
  signal?: AbortSignal;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  url: string;
  text(): string;
  json<T = unknown>(): T;
  header(name: string): string | undefined;
}

/** A failed request. `message` says what went wrong in words a user can act on. */
export class HttpError extends PlantwireError {
  constructor(
    message: string,
    readonly httpStatus: number | null,
    readonly transient: boolean,
    readonly response?: HttpResponse,
    /** Server-requested wait before retrying (Retry-After), in ms. */
    readonly retryAfterMs?: number,
    status?: string,
  ) {
    super(httpStatus === null ? 'http-network' : `http-${httpStatus}`, message, status);
    this.name = 'HttpError';
  }
}

/** Retry-After is either delta-seconds or an HTTP date; returns ms (≥ 0) or undefined. */
export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const v = value.trim();
  if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
  const t = Date.parse(v);
  if (Number.isNaN(t)) return undefined;
  return Math.max(0, t - now);
}

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || status >= 500;
}

const NET_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is the server running?',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed (DNS)',
  ECONNRESET: 'connection reset by the server',
  EPIPE: 'connection closed by the server',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  SELF_SIGNED_CERT_IN_CHAIN: "cannot verify the server's certificate (self-signed certificate in the chain): set the CA certificate",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the server's certificate is self-signed: set it as CA certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "cannot verify the server's certificate: set the CA certificate that signed it",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "cannot verify the server's certificate: set the CA certificate that signed it",
  CERT_HAS_EXPIRED: "the server's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the server's certificate is not made out for this host name",
};

/** A network-level failure (no HTTP status) in words. */
export function describeNetworkError(err: unknown): string {
  const e = toError(err) as Error & { code?: unknown };
  if (typeof e.code === 'string' && NET_TEXT[e.code]) return NET_TEXT[e.code]!;
  return e.message;
}

function statusWords(status: number): string {
  return http.STATUS_CODES[status] ?? 'HTTP error';
}

/** Short excerpt of an error body for messages (JSON or text, one line). */
export function bodyExcerpt(body: Buffer | string, max = 300): string {
  const s = (typeof body === 'string' ? body : body.toString('utf8')).replace(/\s+/g, ' ').trim();
  return s.length <= max ? s : `${s.slice(0, max - 1)}…`;
}

function makeResponse(res: http.IncomingMessage, body: Buffer, url: string): HttpResponse {
  return {
    status: res.statusCode ?? 0,
    headers: res.headers,
    body,
    url,
    text: () => body.toString('utf8'),
    json<T>() {
      const text = body.toString('utf8');
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new HttpError(`${url}: expected JSON, got "${bodyExcerpt(text, 120)}"`, res.statusCode ?? null, false, undefined, undefined, 'response is not JSON');
      }
    },
    header(name: string) {
      const v = res.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    },
  };
}

/** The default error for a non-2xx response; connectors usually parse the body into a better message first. */
export function responseError(res: HttpResponse, message?: string): HttpError {
  const transient = isTransientStatus(res.status);
  const retryAfterMs = parseRetryAfter(res.header('retry-after'));
  const detail = message ?? (res.body.length ? bodyExcerpt(res.body) : statusWords(res.status));
  return new HttpError(`${res.status} ${statusWords(res.status)}: ${detail}`, res.status, transient, res, retryAfterMs, `${res.status} ${detail}`);
}

export class HttpClient {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly timeoutMs: number;
  private readonly defaultHeaders: Record<string, string>;

  constructor(readonly options: HttpClientOptions = {}) {
    const maxSockets = options.maxSockets ?? 8;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.defaultHeaders = options.headers ?? {};
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    const tls = options.tls ?? {};
    this.httpsAgent = new https.Agent({
      keepAlive: true,
      maxSockets,
      ...(tls.ca ? { ca: tls.ca } : {}),
      ...(tls.cert ? { cert: tls.cert } : {}),
      ...(tls.key ? { key: tls.key } : {}),
      ...(tls.passphrase ? { passphrase: tls.passphrase } : {}),
      ...(tls.servername ? { servername: tls.servername } : {}),
      rejectUnauthorized: tls.rejectUnauthorized !== false,
    });
  }

  request(req: HttpRequest): Promise<HttpResponse> {
    const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      return Promise.reject(new HttpError(`unsupported URL scheme ${url.protocol} in ${url.href}: use http: or https:`, null, false));
    }
    const headers: Record<string, string | string[]> = { ...this.defaultHeaders };
    for (const [k, v] of Object.entries(req.headers ?? {})) if (v !== undefined) headers[k] = v;
    let body: Buffer | undefined;
    if (req.json !== undefined) {
      body = Buffer.from(JSON.stringify(req.json));
      if (!hasHeader(headers, 'content-type')) headers['content-type'] = 'application/json';
    } else if (req.body !== undefined && req.body !== null) {
      body = typeof req.body === 'string' ? Buffer.from(req.body) : Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength);
    }
    if (body && !hasHeader(headers, 'content-length')) headers['content-length'] = String(body.length);
    const timeoutMs = req.timeoutMs ?? this.timeoutMs;
    const throwOnError = req.throwOnError !== false;
    const lib = url.protocol === 'https:' ? https : http;
    const agent = url.protocol === 'https:' ? this.httpsAgent : this.httpAgent;
    const where = `${req.method ?? 'GET'} ${url.origin}${url.pathname}`;
    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const fail = (err: HttpError): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        reject(err);
      };
      const r = lib.request(url, { method: req.method ?? 'GET', headers, agent }, (res) => {
        // The answer size limit (settings.js plantwire.limits.httpAnswerBytes): checked on the announced length and while reading.
        const maxBytes = limits().httpAnswerBytes;
        const tooBig = (n: number): void => {
          fail(new HttpError(limitError(where, `the answer is ${bytesText(n)}${res.headers['content-length'] ? '' : ' or more'}`, 'httpAnswerBytes', bytesText(maxBytes)).message, res.statusCode ?? null, false, undefined, undefined, 'answer over size limit'));
          res.destroy();
          r.destroy();
        };
        const announced = Number(res.headers['content-length']);
        if (Number.isFinite(announced) && announced > maxBytes) {
          tooBig(announced);
          return;
        }
        const chunks: Buffer[] = [];
        let received = 0;
        res.on('data', (c: Buffer) => {
          if (settled) return;
          received += c.length;
          if (received > maxBytes) {
            chunks.length = 0;
            tooBig(received);
            return;
          }
          chunks.push(c);
        });
        res.on('error', (err) => fail(new HttpError(`${where}: ${describeNetworkError(err)}`, null, true)));
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          const out = makeResponse(res, Buffer.concat(chunks), url.href);
          if (throwOnError && (out.status < 200 || out.status >= 300)) reject(responseError(out));
          else resolve(out);
        });
      });
      const timer = setTimeout(() => {
        fail(new HttpError(`${where}: no response within ${timeoutMs} ms`, null, true, undefined, undefined, 'timeout'));
        r.destroy();
      }, timeoutMs);
      r.on('error', (err) => fail(new HttpError(`${where}: ${describeNetworkError(err)}`, null, true, undefined, undefined, describeNetworkError(err))));
      if (req.signal) {
        if (req.signal.aborted) r.destroy(new Error('aborted'));
        else req.signal.addEventListener('abort', () => r.destroy(new Error('aborted')), { once: true });
      }
      r.end(body);
    });
  }

  /** Closes idle keep-alive sockets (call from the config node's close). */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}

function hasHeader(headers: Record<string, unknown>, name: string): boolean {
  return Object.keys(headers).some((k) => k.toLowerCase() === name);
}
