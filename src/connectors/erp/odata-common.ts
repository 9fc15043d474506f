/**
 * What the OData v2 (SAP Gateway) and OData v4 drivers share: the session
 * (auth header, cookies, sap-client, CSRF token fetched with
 * `X-CSRF-Token: Fetch` and fetched again once on `403 X-CSRF-Token: Required`,
 * one OAuth2 retry on 401), URI literals and key predicates, multipart/mixed
 * for the v2 `$batch`, repeatability ids, and OData error JSON → readable text.
 * Also used by the simulator (src/sim/erp-odata.ts) for the multipart format.
 * No Node-RED import.
 */
import crypto from 'node:crypto';
import { ClientCredentialsToken, CookieJar, HttpClient, HttpError, bodyExcerpt, responseError, type HttpResponse } from '../http';
import { PlantwireError } from '../../model/errors';
import { checkErpOrigin, ErpBusinessError, type ErpRequest, type ErpSettings } from './types';

export type KeyValue = ErpRequest['key'];

// ---------------------------------------------------------------- literals, keys

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A value as an OData URI literal (key predicates, function import parameters). */
export function uriLiteral(v: unknown, version: 2 | 4): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new PlantwireError('erp-bad-key', `cannot send ${v} to OData`, 'bad number');
    // v2: Edm.Decimal literals carry an M suffix (SAP quantities and amounts are decimals).
    return version === 2 && !Number.isInteger(v) ? `${v}M` : String(v);
  }
  if (v instanceof Date) return version === 2 ? `datetime'${v.toISOString().slice(0, 19)}'` : v.toISOString();
  const s = String(v);
  if (version === 4 && GUID.test(s)) return s;
  return `'${s.replace(/'/g, "''")}'`;
}

/** `('A')`, `(4711)` or `(Group='1',Count='2')` for a scalar or compound key. */
export function keyPredicate(key: KeyValue, version: 2 | 4): string {
  if (key === undefined || key === null || key === '') throw new PlantwireError('erp-no-key', 'this operation needs the document key, but none was given', 'no key');
  if (typeof key === 'object') {
    const parts = Object.entries(key).map(([k, v]) => `${k}=${uriLiteral(v, version)}`);
    if (!parts.length) throw new PlantwireError('erp-no-key', 'the document key object is empty', 'empty key');
    return `(${parts.join(',')})`;
  }
  return `(${uriLiteral(key, version)})`;
}

function unquote(lit: string): string | number | boolean {
  const t = lit.trim();
  let m = /^(?:datetime|datetimeoffset|guid|time|binary|X)?'(.*)'$/s.exec(t);
  if (m) return m[1]!.replace(/''/g, "'");
  if (t === 'true' || t === 'false') return t === 'true';
  m = /^(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)[MmDdLlFf]?$/.exec(t);
  if (m) return Number(m[1]);
  return decodeURIComponent(t);
}

/** Splits `a='x,y',b=2` at top-level commas (commas inside quotes kept). */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let q = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (c === "'") q = !q;
    if (c === ',' && !q) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

/** The key of `…/Set('A')` or `…/Set(K1='a',K2='b')` (a URI or path), or undefined. */
export function keyFromUri(uri: string | undefined): string | number | boolean | Record<string, string | number | boolean> | undefined {
  if (!uri) return undefined;
  const path = uri.replace(/[?#].*$/, '');
  const m = /\(([^()]*(?:'[^']*'[^()]*)*)\)\/?$/.exec(decodeURIComponentSafe(path));
  if (!m) return undefined;
  const inner = m[1]!;
  const parts = splitTopLevel(inner);
  if (parts.length === 1 && !/^\s*[A-Za-z_][\w.]*\s*=/.test(parts[0]!)) return unquote(parts[0]!);
  const key: Record<string, string | number | boolean> = {};
  for (const p of parts) {
    const eq = p.indexOf('=');
    if (eq < 0) return undefined;
    key[p.slice(0, eq).trim()] = unquote(p.slice(eq + 1));
  }
  return key;
}

/** Parses a key predicate body `'A'` / `K1='a',K2=2` (without parentheses); used by the simulator. */
export function parseKeyPredicate(inner: string): string | number | boolean | Record<string, string | number | boolean> {
  return keyFromUri(`x(${inner})`) ?? inner;
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

// ---------------------------------------------------------------- repeatability

/** SAP Repeatability-Request-ID: 32 uppercase hex characters derived from the idempotency key (stable across retries and restarts). */
export function repeatabilityRequestId(idempotencyKey: string): string {
  return crypto.createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 32).toUpperCase();
}

/** RFC 7231 IMF-fixdate ("Sat, 21 Nov 2026 23:30:00 GMT"). */
export function httpDate(d: Date): string {
  return d.toUTCString();
}

// ---------------------------------------------------------------- errors

export interface ODataErrorInfo {
  message: string;
  code?: string;
  /** The field the main message is about (OData v4 `error.target`, CAP and SAP put it there too). */
  target?: string;
  details: Array<{ code?: string; message: string; target?: string; severity?: string }>;
}

/** A target that names a field (not SAP's placeholder "/#TRANSIENT#" nor an empty one). */
function fieldTarget(t: unknown): string | undefined {
  if (typeof t !== 'string') return undefined;
  const s = t.trim().replace(/^in\//, '');
  return s && !/^\/?#TRANSIENT#$/.test(s) ? s : undefined;
}

/**
 * Reads SAP Gateway v2 error JSON (`error.code`, `error.message.value`,
 * `error.innererror.errordetails[]`), OData v4 error JSON (`error.message`,
 * `error.details[]`) or the XML form; null when the body is none of these.
 */
export function parseODataError(body: Buffer | string): ODataErrorInfo | null {
  const text = typeof body === 'string' ? body : body.toString('utf8');
  const t = text.trim();
  if (t.startsWith('{')) {
    let j: unknown;
    try {
      j = JSON.parse(t);
    } catch {
      return null;
    }
    const e = (j as { error?: unknown; 'odata.error'?: unknown }).error ?? (j as { 'odata.error'?: unknown })['odata.error'];
    if (!e || typeof e !== 'object') return null;
    const err = e as { code?: unknown; message?: unknown; details?: unknown; innererror?: { errordetails?: unknown } };
    const msg = typeof err.message === 'string' ? err.message : typeof (err.message as { value?: unknown } | undefined)?.value === 'string' ? (err.message as { value: string }).value : '';
    const rawDetails = Array.isArray(err.details) ? err.details : Array.isArray(err.innererror?.errordetails) ? err.innererror.errordetails : [];
    const details = (rawDetails as Array<Record<string, unknown>>)
      .filter((d) => d && typeof d === 'object')
      .map((d) => ({
        code: typeof d.code === 'string' ? d.code : undefined,
        message: typeof d.message === 'string' ? d.message : typeof (d.message as { value?: unknown } | undefined)?.value === 'string' ? (d.message as { value: string }).value : '',
        target: fieldTarget(d.target) ?? fieldTarget(d.propertyref),
        severity: typeof d.severity === 'string' ? d.severity : undefined,
      }))
      .filter((d) => d.message);
    const target = fieldTarget((err as { target?: unknown }).target);
    return { message: msg || details[0]?.message || '', code: typeof err.code === 'string' ? err.code : undefined, ...(target ? { target } : {}), details };
  }
  if (t.startsWith('<')) {
    const m = /<(?:\w+:)?message[^>]*>([\s\S]*?)<\/(?:\w+:)?message>/.exec(t);
    const c = /<(?:\w+:)?code[^>]*>([\s\S]*?)<\/(?:\w+:)?code>/.exec(t);
    if (m) return { message: xmlUnescape(m[1]!.trim()), code: c ? xmlUnescape(c[1]!.trim()) : undefined, details: [] };
  }
  return null;
}

function xmlUnescape(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&apos;/g, "'").replace(/&amp;/g, '&');
}

/** One readable sentence: the main message (with its field) plus further distinct detail messages (with their fields). */
export function errorText(info: ODataErrorInfo): string {
  const seen = new Set<string>();
  const out: string[] = [];
  const add = (target: string | undefined, message: string): void => {
    const t = target ? `${target}: ${message}` : message;
    if (!message || seen.has(t)) return;
    seen.add(t);
    out.push(t);
  };
  // A details list that repeats the main message with the same field adds nothing; one that lists several fields replaces a generic main message.
  const errors = info.details.filter((d) => !d.severity || /error/i.test(d.severity));
  const generic = errors.length > 0 && !info.target && (/multiple errors|see (the )?details/i.test(info.message) || errors.some((d) => d.message === info.message));
  if (!generic) add(info.target ?? (errors.length === 1 && errors[0]!.message === info.message ? errors[0]!.target : undefined), info.message);
  for (const d of errors) add(d.target, d.message);
  if (generic && out.length === 0) add(undefined, info.message);
  return out.join('; ');
}

/** The fields an error names (main target and the details' targets), for the dead-letter message. */
export function errorFields(info: ODataErrorInfo | null | undefined): string[] {
  if (!info) return [];
  return [...new Set([info.target, ...info.details.map((d) => d.target)].filter((t): t is string => !!t))];
}

/** An HTML error page (a proxy, a wrong URL) summarised to its title (and heading when the title says nothing). */
export function htmlSummary(body: Buffer | string): string | null {
  const t = (typeof body === 'string' ? body : body.toString('utf8')).trim();
  if (!/^<(!doctype html|html|head|body)\b/i.test(t)) return null;
  const clean = (x: string | undefined): string => (x ?? '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  const title = clean(/<title[^>]*>([\s\S]*?)<\/title>/i.exec(t)?.[1]);
  const heading = clean(/<h1[^>]*>([\s\S]*?)<\/h1>/i.exec(t)?.[1] ?? /<pre[^>]*>([\s\S]*?)<\/pre>/i.exec(t)?.[1]);
  const parts = [title, heading && heading !== title && (!title || /^(error|\d{3}[^a-z]*)$/i.test(title) || title.length < 12) ? heading : ''].filter(Boolean);
  const text = (parts.join(' — ') || clean(t).slice(0, 120)).slice(0, 200);
  return `HTML page${text ? ` "${text}"` : ''}`;
}

/** The server's error body as one line: OData error text (with fields), an HTML page's title, or an excerpt. */
export function failureText(body: Buffer | string, status: number): { text: string; info: ODataErrorInfo | null } {
  const info = parseODataError(body);
  if (info) return { text: errorText(info), info };
  return { text: htmlSummary(body) ?? (bodyExcerpt(body) || `HTTP ${status}`), info: null };
}

/**
 * The error for a failed OData response: 5xx/429/408 → transient HttpError (the node retries);
 * 401/403 → permanent HttpError (credentials or authorisation: a configuration problem);
 * every other 4xx → ErpBusinessError with the ERP's own text (dead-letter, no retry).
 */
export function odataFailure(status: number, headers: Record<string, string | string[] | undefined>, body: Buffer | string, what: string, system: string, res?: HttpResponse): Error {
  const { text, info } = failureText(body, status);
  if (res && (res.status >= 500 || res.status === 429 || res.status === 408 || res.status === 401 || res.status === 403)) {
    const e = responseError(res, `${system} ${what}: ${text}`);
    return e;
  }
  if (status >= 500 || status === 429 || status === 408 || status === 425 || status === 401 || status === 403) {
    return new HttpError(`${status} ${system} ${what}: ${text}`, status, status >= 500 || status === 429 || status === 408 || status === 425, undefined, undefined, `${status} ${text}`);
  }
  const code = info?.code;
  if (status === 412) {
    return new ErpBusinessError(`ETag conflict (HTTP 412): the document was changed by someone else since it was read (${what}); read it again and repeat the change. ${system} says: ${text}`, status, code ?? 'precondition-failed', info ?? undefined);
  }
  if (status === 428) {
    return new ErpBusinessError(
      `${system} requires an ETag for ${what} (HTTP 428 Precondition Required): set msg.etag to the document's ETag (e.g. from erp-query's @odata.etag / __metadata.etag, or the etag of an earlier result), or give the key so the node reads the ETag first. ${system} says: ${text}`,
      status,
      code ?? 'precondition-required',
      info ?? undefined,
    );
  }
  void headers;
  return new ErpBusinessError(`${text} (HTTP ${status}${code && code !== String(status) ? ` ${code}` : ''}, ${what})`, status, code, info ?? undefined);
}

// ---------------------------------------------------------------- multipart/mixed (v2 $batch)

export interface MimePart {
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: string;
}

export interface HttpMessage {
  /** Request line ("POST Set HTTP/1.1") or status line ("HTTP/1.1 201 Created"). */
  line: string;
  headers: Record<string, string>;
  body: string;
}

export function boundaryOf(contentType: string | undefined): string | undefined {
  const m = /boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? '');
  return m ? (m[1] ?? m[2]) : undefined;
}

function splitHead(text: string): { head: string; body: string } {
  const m = /\r?\n\r?\n/.exec(text);
  if (!m) return { head: text, body: '' };
  return { head: text.slice(0, m.index), body: text.slice(m.index + m[0].length) };
}

function parseHeaders(lines: string[]): Record<string, string> {
  const h: Record<string, string> = {};
  for (const l of lines) {
    const i = l.indexOf(':');
    if (i > 0) h[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  return h;
}

/** The parts of a multipart body (preamble and epilogue ignored). */
export function splitMultipart(body: string, boundary: string): MimePart[] {
  const delim = `--${boundary}`;
  const pieces = body.split(new RegExp(`\\r?\\n?${delim.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  const out: MimePart[] = [];
  for (let i = 1; i < pieces.length; i++) {
    const p = pieces[i]!;
    if (p.startsWith('--')) break;
    const text = p.replace(/^[ \t]*\r?\n/, '');
    const { head, body: b } = splitHead(text);
    out.push({ headers: parseHeaders(head.split(/\r?\n/)), body: b });
  }
  return out;
}

export function joinMultipart(parts: MimePart[], boundary: string): string {
  let s = '';
  for (const p of parts) {
    s += `--${boundary}\r\n`;
    for (const [k, v] of Object.entries(p.headers)) s += `${k}: ${v}\r\n`;
    s += `\r\n${p.body}\r\n`;
  }
  return `${s}--${boundary}--\r\n`;
}

export function parseHttpMessage(text: string): HttpMessage {
  const { head, body } = splitHead(text.replace(/^\s+/, ''));
  const [line = '', ...rest] = head.split(/\r?\n/);
  return { line: line.trim(), headers: parseHeaders(rest), body: body.replace(/\r?\n$/, '') };
}

export function formatHttpMessage(m: HttpMessage): string {
  let s = `${m.line}\r\n`;
  for (const [k, v] of Object.entries(m.headers)) s += `${k}: ${v}\r\n`;
  return `${s}\r\n${m.body}`;
}

/** An application/http part wrapping one HTTP message. */
export function httpPart(m: HttpMessage, extraHeaders: Record<string, string> = {}): MimePart {
  return { headers: { 'content-type': 'application/http', 'content-transfer-encoding': 'binary', ...extraHeaders }, body: formatHttpMessage(m) };
}

export function newBoundary(prefix: string): string {
  return `${prefix}_${crypto.randomUUID()}`;
}

// ---------------------------------------------------------------- session

export interface ODataSessionOptions {
  /** 'always': fetch a token before the first write (SAP Gateway); 'auto': only after a 403 "Required". */
  csrf: 'always' | 'auto';
  /** Name used in messages ("SAP", "OData v4"). */
  system: string;
}

export interface SessionRequest {
  method: string;
  /** Relative to the service root, or absolute (next links). */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Needs a CSRF token (every modifying request, $batch included). */
  write?: boolean;
}

/** The service root with a trailing slash. */
export function serviceRoot(url: string): string {
  const u = new URL(url);
  u.search = '';
  u.hash = '';
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u.href;
}

/**
 * One OData server session: auth, cookies, sap-client, CSRF. `send` never throws for an HTTP
 * status (the caller classifies it); it throws HttpError for network failures and timeouts.
 */
export class ODataSession {
  readonly jar = new CookieJar();
  readonly root: string;
  private csrfToken: string | null = null;
  private csrfPending: Promise<string> | null = null;
  /** Token fetches so far (for status and tests). */
  csrfFetches = 0;
  readonly oauth: ClientCredentialsToken | null;

  constructor(
    readonly settings: ErpSettings,
    readonly http: HttpClient,
    readonly opts: ODataSessionOptions,
  ) {
    this.root = serviceRoot(settings.url);
    this.oauth = null;
    if (settings.auth === 'oauth2') {
      if (!settings.tokenUrl || !settings.clientId || !settings.clientSecret) {
        throw new PlantwireError('erp-config', 'OAuth2 needs the token URL, client id and client secret', 'OAuth2 settings missing');
      }
      this.oauth = new ClientCredentialsToken(http, { tokenUrl: settings.tokenUrl, clientId: settings.clientId, clientSecret: settings.clientSecret, scope: settings.scope || undefined });
    }
    if (settings.auth === 'basic' && !settings.user) throw new PlantwireError('erp-config', 'basic authentication needs a user name', 'user missing');
    if (settings.auth === 'apikey' && !settings.apiKey) throw new PlantwireError('erp-config', 'API key authentication needs the API key', 'API key missing');
  }

  /** Absolute URL for a path relative to the service root, with sap-client added when set. */
  url(path: string, query?: Record<string, string | undefined>): string {
    const u = new URL(path, this.root);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') u.searchParams.set(k, v);
    if (this.settings.sapClient && !u.searchParams.has('sap-client')) u.searchParams.set('sap-client', this.settings.sapClient);
    // OData wants %20 rather than + and literal $ , ' ( ) in system query options.
    u.search = u.search.replace(/\+/g, '%20').replace(/%24/g, '$').replace(/%27/g, "'").replace(/%2C/g, ',').replace(/%28/g, '(').replace(/%29/g, ')');
    return u.href;
  }

  private async authHeaders(): Promise<Record<string, string>> {
    const s = this.settings;
    switch (s.auth) {
      case 'basic':
        return { authorization: `Basic ${Buffer.from(`${s.user ?? ''}:${s.password ?? ''}`).toString('base64')}` };
      case 'oauth2':
        return { authorization: await this.oauth!.header() };
      case 'apikey': {
        const name = s.apiKeyHeader || 'x-api-key';
        return { [name.toLowerCase()]: s.apiKey ?? '' };
      }
      default:
        return {};
    }
  }

  /** The current CSRF token, fetched when there is none (concurrent writers share one fetch). */
  async token(): Promise<string> {
    if (this.csrfToken !== null) return this.csrfToken;
    if (!this.csrfPending) {
      this.csrfPending = this.fetchToken().finally(() => {
        this.csrfPending = null;
      });
    }
    return this.csrfPending;
  }

  /** true when the server issued a CSRF token (false: it sent none, or none was fetched yet). */
  get csrfIssued(): boolean {
    return typeof this.csrfToken === 'string' && this.csrfToken !== '';
  }

  /** Forget the token (only if it is still the one that was refused, so parallel refusals fetch once). */
  dropToken(used: string | undefined): void {
    if (used === undefined || this.csrfToken === used) this.csrfToken = null;
  }

  private async fetchToken(): Promise<string> {
    this.csrfFetches += 1;
    const res = await this.raw({ method: 'GET', path: '', headers: { 'x-csrf-token': 'Fetch' } }, true);
    if (res.status < 200 || res.status >= 300) throw odataFailure(res.status, res.headers, res.body, 'CSRF token fetch (GET service root)', this.opts.system, res);
    const t = res.header('x-csrf-token');
    // A server without CSRF protection sends no token: remember "" and send nothing.
    this.csrfToken = t && !/^required$/i.test(t) ? t : '';
    return this.csrfToken;
  }

  private async raw(req: SessionRequest, retry401: boolean): Promise<HttpResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(this.settings.headers ?? {}), ...(await this.authHeaders()), ...(req.headers ?? {}) };
    const url = /^https?:/i.test(req.path) ? this.withClient(req.path) : this.url(req.path);
    // The credentials go only to the service's own server (an entity set or a next link may name another).
    checkErpOrigin(this.root, url);
    const cookie = this.jar.header(url);
    if (cookie) headers.cookie = cookie;
    const res = await this.http.request({ method: req.method, url, headers, body: req.body, throwOnError: false, timeoutMs: this.settings.timeoutMs });
    this.jar.store(res.headers['set-cookie']);
    if (res.status === 401 && this.oauth && retry401) {
      this.oauth.invalidate();
      return this.raw(req, false);
    }
    return res;
  }

  private withClient(abs: string): string {
    if (!this.settings.sapClient) return abs;
    const u = new URL(abs);
    if (!u.searchParams.has('sap-client')) u.searchParams.set('sap-client', this.settings.sapClient);
    return u.href;
  }

  /** One request; writes carry the CSRF token and are repeated once with a fresh token on 403 "Required". */
  async send(req: SessionRequest): Promise<HttpResponse> {
    if (!req.write) return this.raw(req, true);
    let used: string | undefined;
    if (this.opts.csrf === 'always' || this.csrfToken !== null) used = await this.token();
    const first = await this.raw({ ...req, headers: { ...(req.headers ?? {}), ...(used ? { 'x-csrf-token': used } : {}) } }, true);
    if (first.status !== 403 || !/^required$/i.test(first.header('x-csrf-token') ?? '')) return first;
    this.dropToken(used);
    const fresh = await this.token();
    return this.raw({ ...req, headers: { ...(req.headers ?? {}), ...(fresh ? { 'x-csrf-token': fresh } : {}) } }, true);
  }

  reset(): void {
    this.jar.clear();
    this.csrfToken = null;
    this.oauth?.invalidate();
  }
}

/** Parses a JSON response body, or explains what came back instead. */
export function jsonBody<T>(res: HttpResponse, what: string, system: string): T {
  try {
    return JSON.parse(res.body.toString('utf8')) as T;
  } catch {
    const got = htmlSummary(res.body) ?? `"${bodyExcerpt(res.body, 120)}"`;
    throw new HttpError(`${system} ${what}: expected JSON, got ${got} (HTTP ${res.status}): is the URL an OData service root?`, res.status, false, res, undefined, `HTTP ${res.status}: not JSON`);
  }
}

export function isOk(status: number): boolean {
  return status >= 200 && status < 300;
}

// ---------------------------------------------------------------- request checks

function hasKey(key: KeyValue): boolean {
  if (key === undefined || key === null || key === '') return false;
  return typeof key !== 'object' || Object.keys(key).length > 0;
}

/** What is wrong with a request before anything is sent, or null. */
export function requestProblem(req: ErpRequest): { code: string; message: string; status: string } | null {
  if (!req || typeof req !== 'object') return { code: 'erp-bad-request', message: 'the request must be an object', status: 'bad request' };
  if (!['create', 'update', 'upsert', 'delete', 'action'].includes(req.operation)) return { code: 'erp-bad-operation', message: `unknown operation "${String(req.operation)}": use create, update, upsert, delete or action`, status: 'bad operation' };
  if (!req.entity && req.operation !== 'action') return { code: 'erp-no-entity', message: `operation "${req.operation}" needs an entity set`, status: 'no entity set' };
  if (!req.data || typeof req.data !== 'object' || Array.isArray(req.data)) return { code: 'erp-bad-document', message: `the document must be an object, got ${Array.isArray(req.data) ? 'an array' : req.data === null ? 'null' : typeof req.data}`, status: 'document is not an object' };
  if ((req.operation === 'update' || req.operation === 'delete') && !hasKey(req.key)) return { code: 'erp-no-key', message: `operation "${req.operation}" needs the document key, but none was given`, status: 'no key' };
  if (req.operation === 'action' && !req.action) return { code: 'erp-no-action', message: 'operation "action" needs the action / function import name', status: 'no action name' };
  if ((req.operation === 'create' || req.operation === 'upsert') && !req.idempotencyKey) return { code: 'erp-no-idempotency-key', message: `${req.operation} needs an idempotency key (repeatability)`, status: 'no idempotency key' };
  return null;
}

/** Throws for a bad single request (the node's error path). */
export function checkRequest(req: ErpRequest): void {
  const p = requestProblem(req);
  if (p) throw new PlantwireError(p.code, p.message, p.status);
}

/** Per-slot refusals for a batch: a bad document fails alone (as a business error), the others go. */
export function batchProblems(reqs: ErpRequest[]): Array<ErpBusinessError | undefined> {
  return reqs.map((r) => {
    const p = requestProblem(r);
    return p ? new ErpBusinessError(p.message, null, p.code) : undefined;
  });
}
