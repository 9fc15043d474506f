/**
 * Generic REST/JSON driver: a base URL plus, per request, a path that the
 * node has already filled in from its template ("orders", "orders/4711",
 * "orders/4711/release"). One method per operation (POST create, PATCH update,
 * PUT upsert, DELETE delete, POST action), unless the request names its own.
 * Every create carries `Idempotency-Key` (the buffer entry's key, stable
 * across retries and restarts); a server that replays an earlier answer says
 * so with `Idempotent-Replayed: true`, reported as `replayed`.
 *
 * Failures: a JSON error body is read into a readable message (`message`,
 * `error.message`, `error_description`, RFC 7807 `title`/`detail`,
 * `errors[0].message`); other 4xx become ErpBusinessError (dead-letter, never
 * retried), 5xx/408/429/timeouts HttpError with transient = true (retried,
 * Retry-After honoured), 401/403 also transient (credentials are fixed in the
 * config node while documents stay buffered).
 */
import { ClientCredentialsToken, HttpClient, HttpError, bodyExcerpt, responseError, type HttpResponse } from '../http';
import { PlantwireError } from '../../model/errors';
import { checkErpOrigin, ErpBusinessError, type ErpDriver, type ErpOperation, type ErpOutcomeUnknown, type ErpQuery, type ErpQueryResult, type ErpRequest, type ErpResult, type ErpSettings } from './types';

export const REST_METHODS: Record<ErpOperation, string> = { create: 'POST', update: 'PATCH', upsert: 'PUT', delete: 'DELETE', action: 'POST' };

/**
 * Authorization headers for basic, OAuth2 client credentials (token cached and
 * refreshed before expiry) and API key. Usable by any HTTP-based ERP driver.
 */
export class ErpAuthorizer {
  readonly token: ClientCredentialsToken | null;

  constructor(private readonly settings: ErpSettings, http: HttpClient) {
    this.token =
      settings.auth === 'oauth2'
        ? new ClientCredentialsToken(http, { tokenUrl: settings.tokenUrl ?? '', clientId: settings.clientId ?? '', clientSecret: settings.clientSecret ?? '', ...(settings.scope ? { scope: settings.scope } : {}) })
        : null;
  }

  async headers(): Promise<Record<string, string>> {
    const s = this.settings;
    switch (s.auth) {
      case 'basic':
        return { authorization: `Basic ${Buffer.from(`${s.user ?? ''}:${s.password ?? ''}`).toString('base64')}` };
      case 'oauth2':
        return { authorization: await this.token!.header() };
      case 'apikey': {
        const header = s.apiKeyHeader || 'x-api-key';
        return { [header.toLowerCase()]: s.apiKey ?? '' };
      }
      default:
        return {};
    }
  }

  /** The server refused the credentials: forget a cached OAuth2 token; true when a retry may help. */
  refused(): boolean {
    if (!this.token) return false;
    this.token.invalidate();
    return true;
  }
}

/** Joins the base URL and a relative path ("orders/1") without doubling or losing slashes; an absolute URL is kept. */
export function joinUrl(base: string, path: string): URL {
  if (/^https?:\/\//i.test(path)) return new URL(path);
  const b = base.endsWith('/') ? base : `${base}/`;
  return new URL(path.replace(/^\/+/, ''), b);
}

interface ErrorBody {
  message?: unknown;
  error?: unknown;
  error_description?: unknown;
  title?: unknown;
  detail?: unknown;
  code?: unknown;
  errors?: unknown;
}

/** The server's own words from a JSON (or text) error body, and its error code. */
export function restErrorText(res: HttpResponse): { message: string; code?: string } {
  let j: ErrorBody | undefined;
  try {
    j = JSON.parse(res.body.toString('utf8')) as ErrorBody;
  } catch {
    j = undefined;
  }
  if (!j || typeof j !== 'object') return { message: res.body.length ? bodyExcerpt(res.body) : `HTTP ${res.status}` };
  const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() !== '' ? v : typeof v === 'number' ? String(v) : undefined);
  const err = j.error && typeof j.error === 'object' ? (j.error as ErrorBody) : undefined;
  const first = Array.isArray(j.errors) && j.errors[0] && typeof j.errors[0] === 'object' ? (j.errors[0] as ErrorBody) : undefined;
  const message =
    str(err?.message) ??
    str(j.message) ??
    (str(j.title) && str(j.detail) ? `${str(j.title)}: ${str(j.detail)}` : undefined) ??
    str(j.detail) ??
    str(j.title) ??
    str(first?.message) ??
    (str(j.error) && str(j.error_description) ? `${str(j.error)}: ${str(j.error_description)}` : undefined) ??
    str(j.error_description) ??
    str(j.error) ??
    bodyExcerpt(res.body);
  const code = str(err?.code) ?? str(j.code) ?? str(first?.code) ?? (typeof j.error === 'string' ? j.error : undefined);
  return code ? { message, code } : { message };
}

/** Rows of a list response: a JSON array, or the array under value/items/data/results/records/rows. */
export function restRows(body: unknown): Array<Record<string, unknown>> {
  if (Array.isArray(body)) return body as Array<Record<string, unknown>>;
  if (body && typeof body === 'object') {
    const o = body as Record<string, unknown>;
    for (const k of ['value', 'items', 'data', 'results', 'records', 'rows']) if (Array.isArray(o[k])) return o[k] as Array<Record<string, unknown>>;
    const d = o.d as Record<string, unknown> | undefined;
    if (d && Array.isArray(d.results)) return d.results as Array<Record<string, unknown>>;
  }
  throw new PlantwireError('erp-bad-response', `expected a JSON array of rows (or an object with value/items/data/results), got ${bodyExcerpt(JSON.stringify(body) ?? 'nothing', 120)}`, 'response has no rows');
}

/** The next page: a Link header with rel="next", or next/nextLink/@odata.nextLink/links.next in the body. */
export function restNextLink(res: HttpResponse, body: unknown): string | undefined {
  const link = res.header('link');
  if (link) {
    for (const part of link.split(',')) {
      const m = /<([^>]+)>\s*;(.*)/.exec(part.trim());
      if (m && /rel\s*=\s*"?next"?/i.test(m[2]!)) return new URL(m[1]!, res.url).href;
    }
  }
  if (body && typeof body === 'object' && !Array.isArray(body)) {
    const o = body as Record<string, unknown>;
    const links = o.links && typeof o.links === 'object' ? (o.links as Record<string, unknown>) : {};
    for (const v of [o['@odata.nextLink'], o.nextLink, o.next, links.next]) {
      if (typeof v === 'string' && v !== '') return new URL(v, res.url).href;
    }
  }
  return undefined;
}

export class RestDriver implements ErpDriver {
  readonly kind = 'rest' as const;
  private readonly auth: ErpAuthorizer;

  constructor(readonly settings: ErpSettings, readonly http: HttpClient) {
    this.auth = new ErpAuthorizer(settings, http);
  }

  /** One request with auth; a 401 with an OAuth2 token fetches a new token and tries once more. */
  private async send(method: string, url: URL, body: unknown, extra: Record<string, string> = {}): Promise<HttpResponse> {
    // The credentials go only to the connection's own server (an entity or a next link may name another).
    checkErpOrigin(this.settings.url, url);
    for (let attempt = 0; ; attempt++) {
      const headers: Record<string, string> = { accept: 'application/json', ...(this.settings.headers ?? {}), ...(await this.auth.headers()), ...extra };
      const res = await this.http.request({ method, url, headers, ...(body === undefined ? {} : { json: body }), throwOnError: false });
      if (res.status === 401 && attempt === 0 && this.auth.refused()) continue;
      return res;
    }
  }

  private fail(res: HttpResponse, what: string): never {
    const { message, code } = restErrorText(res);
    if (res.status === 401 || res.status === 403) {
      // Credentials are a configuration problem: keep the documents buffered until they are fixed.
      throw new HttpError(`${what}: ${res.status} ${res.status === 401 ? 'unauthorized' : 'forbidden'}: ${message} (check the credentials of the ERP connection)`, res.status, true, res, undefined, `${res.status}: check credentials`);
    }
    if (res.status >= 400 && res.status < 500 && res.status !== 408 && res.status !== 425 && res.status !== 429) {
      throw new ErpBusinessError(message, res.status, code, safeJson(res));
    }
    throw responseError(res, `${what}: ${message}`);
  }

  async test(): Promise<string> {
    const url = new URL(this.settings.url);
    const res = await this.send('GET', url, undefined);
    if (res.status === 401 || res.status === 403 || res.status >= 500) this.fail(res, `GET ${url.href}`);
    return `REST API at ${url.origin}${url.pathname} answered ${res.status}${this.settings.auth !== 'none' ? ` (${this.settings.auth} auth)` : ''}`;
  }

  async execute(req: ErpRequest): Promise<ErpResult> {
    const method = (req.method || REST_METHODS[req.operation] || 'POST').toUpperCase();
    let path = req.entity;
    if (req.operation === 'action' && req.action) path = `${path.replace(/\/+$/, '')}/${encodeURIComponent(req.action)}`;
    const url = joinUrl(this.settings.url, path);
    const extra: Record<string, string> = {};
    // POST is not idempotent: the server recognises a repeated document by its key.
    if (req.operation === 'create' || method === 'POST') extra['idempotency-key'] = req.idempotencyKey;
    // Update and delete change an existing resource: with no ETag known, "*" (any version) satisfies servers that require If-Match.
    if (req.etag && (req.operation === 'update' || req.operation === 'delete' || req.operation === 'upsert')) extra['if-match'] = req.etag;
    else if (req.operation === 'update' || req.operation === 'delete') extra['if-match'] = '*';
    const body = method === 'DELETE' || method === 'GET' ? undefined : req.data;
    const res = await this.send(method, url, body, extra);
    if (res.status < 200 || res.status >= 300) this.fail(res, `${method} ${url.pathname}`);
    const document = res.body.length ? safeJson(res) : null;
    const doc = document && typeof document === 'object' && !Array.isArray(document) ? (document as Record<string, unknown>) : undefined;
    const location = res.header('location');
    const key = doc?.id ?? doc?.key ?? (location ? keyFromLocation(location) : undefined) ?? req.key ?? null;
    const out: ErpResult = { key, document, status: res.status };
    const etag = res.header('etag');
    if (etag) out.etag = etag;
    if (/^true$/i.test(res.header('idempotent-replayed') ?? '') || /^true$/i.test(res.header('idempotency-replayed') ?? '')) out.replayed = true;
    return out;
  }

  /** REST has no batch protocol: the documents are sent one after the other; a business error stays in its slot. */
  async executeBatch(reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>> {
    const out: Array<ErpResult | ErpBusinessError> = [];
    for (const r of reqs) {
      try {
        out.push(await this.execute(r));
      } catch (err) {
        if (err instanceof ErpBusinessError) out.push(err);
        else throw err;
      }
    }
    return out;
  }

  /**
   * GET <base>/<entity>?<filter>: the filter is a query string ("status=released&plant=1000").
   * Paging follows Link rel="next" or a next link in the body; `top` caps the rows, `select` keeps only those fields.
   */
  async query(q: ErpQuery): Promise<ErpQueryResult> {
    if (Array.isArray(q.filter)) throw new PlantwireError('bad-query', 'a REST filter is a query string such as status=released&plant=1000, not a JSON array', 'filter must be a query string');
    let url = joinUrl(this.settings.url, q.entity);
    const filter = (q.filter ?? '').replace(/^\?/, '');
    if (filter) url = new URL(`${url.href}${url.search ? '&' : '?'}${filter}`);
    const rows: Array<Record<string, unknown>> = [];
    const maxPages = q.maxPages ?? 100;
    let pages = 0;
    for (let next: URL | undefined = url; next && pages < maxPages; ) {
      const res = await this.send('GET', next, undefined);
      if (res.status < 200 || res.status >= 300) this.fail(res, `GET ${next.pathname}`);
      pages += 1;
      const body = safeJson(res);
      rows.push(...restRows(body));
      if (q.top !== undefined && rows.length >= q.top) break;
      const link = restNextLink(res, body);
      next = link ? new URL(link) : undefined;
    }
    let out = q.top !== undefined ? rows.slice(0, q.top) : rows;
    if (q.select && q.select.length) {
      const fields = q.select;
      out = out.map((r) => Object.fromEntries(fields.filter((f) => f in r).map((f) => [f, r[f]])));
    }
    return { rows: out, pages };
  }

  close(): void {}
}

/** The new resource's key from a Location header: its last path segment ("/orders/4711" → "4711", "Orders('4711')" → "4711"). */
export function keyFromLocation(location: string): string | undefined {
  const last = decodeURIComponent(location.replace(/[?#].*$/, '').replace(/\/+$/, '').split('/').pop() ?? '');
  if (last === '') return undefined;
  const m = /\(\s*'?([^'()]*)'?\s*\)$/.exec(last);
  return m ? m[1] : last;
}

function safeJson(res: HttpResponse): unknown {
  const text = res.body.toString('utf8');
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
