/**
 * Odoo driver: JSON-RPC 2.0 on `<url>/jsonrpc`.
 *
 * - Login once: `common.authenticate(db, user, password|API key, {})` gives the
 *   uid, which is cached for the life of the driver (concurrent callers share
 *   one login). Every call then is `object.execute_kw(db, uid, secret, model,
 *   method, args, kwargs)` over the shared, kept-alive HttpClient.
 * - create is idempotent by search-before-create on an external key field:
 *   the field (`externalKeyField`, e.g. `x_plantwire_key`) gets the document's
 *   own value or else the request's idempotencyKey; when a record with that
 *   value exists it is returned with `replayed: true` instead of creating a
 *   second one. So a create whose answer was lost can be retried safely.
 * - update / upsert / delete / action address records by id (numeric key), by
 *   a `{field: value}` key, or by the external key value.
 * - Batches run sequentially over the same connection (Odoo has no $batch).
 * - Errors: an Odoo fault (`error.data.name`, `error.data.message`) is an
 *   ErpBusinessError with Odoo's own text; a refused login is an
 *   OdooLoginError, a URL without Odoo behind it an OdooSetupError (both
 *   permanent until the settings change, but not the document's fault);
 *   network errors, timeouts, 429 and 5xx are HttpError with `transient: true`.
 */
import { HttpError, bodyExcerpt, isTransientStatus, parseRetryAfter, type HttpClient, type HttpResponse } from '../http';
import { PlantwireError } from '../../model/errors';
import { ErpBusinessError, type ErpDriver, type ErpOutcomeUnknown, type ErpQuery, type ErpQueryResult, type ErpRequest, type ErpResult, type ErpSettings } from './types';

/** Rows per search_read call when paging. */
export const ODOO_PAGE_SIZE = 100;

/**
 * The connection settings are wrong (no Odoo JSON-RPC endpoint at the URL, a proxy refusing
 * access): retrying will not help until they change, but the document itself is fine, so it is
 * not an ErpBusinessError (dead-letter). In the delivery contract (src/model/delivery.ts) it is
 * transient: a sink keeps its documents and sends them once the settings are fixed.
 */
export class OdooSetupError extends PlantwireError {
  readonly transient = true;
  constructor(message: string, status: string, code = 'erp-setup') {
    super(code, message, status);
    this.name = 'OdooSetupError';
  }
}

/** Login refused or the database does not exist (a setup error). */
export class OdooLoginError extends OdooSetupError {
  constructor(message: string, status: string) {
    super(message, status, 'erp-login');
    this.name = 'OdooLoginError';
  }
}

interface OdooFaultData {
  name?: string;
  message?: string;
  arguments?: unknown[];
}
interface JsonRpcReply {
  jsonrpc?: string;
  id?: unknown;
  result?: unknown;
  error?: { code?: number; message?: string; data?: OdooFaultData };
}

type Ids = number[];
const MODEL_RE = /^[a-z_][a-z0-9_]*(\.[a-z0-9_]+)*$/i;
const METHOD_RE = /^[a-z][a-z0-9_]*$/i;

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A per-document problem in the request itself (permanent, goes to the dead-letter output). */
function badRequest(message: string): ErpBusinessError {
  return new ErpBusinessError(message, null, 'plantwire.bad-request');
}

/** Odoo's exception class without the module path ("odoo.exceptions.ValidationError" → "ValidationError"). */
function shortName(name: string | undefined): string {
  return (name ?? 'Error').split('.').pop() || 'Error';
}

export class OdooDriver implements ErpDriver {
  readonly kind = 'odoo' as const;
  private uid: number | null = null;
  private login: Promise<number> | null = null;
  private seq = 0;
  /** JSON-RPC calls made (for status and tests). */
  calls = 0;
  /** Logins made (1 while the session lasts). */
  logins = 0;

  constructor(readonly settings: ErpSettings, readonly http: HttpClient) {}

  // ---- session -------------------------------------------------------------

  private endpoint(): string {
    const raw = (this.settings.url ?? '').trim();
    if (!raw) throw new PlantwireError('bad-config', 'Odoo: set the URL of the Odoo server (e.g. https://mycompany.odoo.com)', 'no URL');
    let u: URL;
    try {
      u = new URL(raw);
    } catch {
      throw new PlantwireError('bad-config', `Odoo: "${raw}" is not a URL (e.g. https://mycompany.odoo.com)`, 'bad URL');
    }
    const base = u.href.replace(/\/+$/, '');
    return /\/jsonrpc$/.test(base) ? base : `${base}/jsonrpc`;
  }

  private get database(): string {
    const db = (this.settings.database ?? '').trim();
    if (!db) throw new PlantwireError('bad-config', 'Odoo: set the database name (shown under Settings → Activate developer mode, or in the database manager)', 'no database');
    return db;
  }

  private get user(): string {
    const u = (this.settings.user ?? '').trim();
    if (!u) throw new PlantwireError('bad-config', 'Odoo: set the user (the login, usually an e-mail address)', 'no user');
    return u;
  }

  /** Password or API key: Odoo takes either in the same place. */
  private get secret(): string {
    const s = this.settings.auth === 'apikey' ? this.settings.apiKey || this.settings.password : this.settings.password || this.settings.apiKey;
    if (!s) throw new PlantwireError('bad-config', 'Odoo: set the password or, better, an API key of the user', 'no password/API key');
    return s;
  }

  /** One JSON-RPC call; returns `result` or throws (fault → ErpBusinessError / OdooLoginError, transport → HttpError). */
  private async rpc(service: string, method: string, args: unknown[]): Promise<unknown> {
    const url = this.endpoint();
    const id = ++this.seq;
    this.calls += 1;
    let res: HttpResponse;
    try {
      res = await this.http.request({ method: 'POST', url, json: { jsonrpc: '2.0', method: 'call', params: { service, method, args }, id }, headers: { accept: 'application/json' }, timeoutMs: this.settings.timeoutMs, throwOnError: false });
    } catch (err) {
      if (err instanceof HttpError) throw new HttpError(`Odoo ${service}.${method}: ${err.message}`, err.httpStatus, err.transient, err.response, err.retryAfterMs, err.status);
      throw err;
    }
    if (res.status < 200 || res.status >= 300) {
      if (isTransientStatus(res.status)) {
        throw new HttpError(`Odoo ${service}.${method}: ${res.status} ${bodyExcerpt(res.body, 200)}`, res.status, true, res, parseRetryAfter(res.header('retry-after')), `Odoo ${res.status}`);
      }
      if (res.status === 404 || res.status === 405) throw new OdooSetupError(`Odoo: no Odoo JSON-RPC endpoint at ${url} (HTTP ${res.status}): check the URL`, 'no Odoo at this URL');
      if (res.status === 401 || res.status === 403 || res.status === 407) {
        throw new OdooSetupError(`Odoo: ${url} refused access with HTTP ${res.status} (a proxy or firewall in front of Odoo?): ${bodyExcerpt(res.body, 150)}`, `HTTP ${res.status} refused`);
      }
      // e.g. 413: this document is too large for the server
      throw new HttpError(`Odoo ${service}.${method}: ${res.status} ${bodyExcerpt(res.body, 200)}`, res.status, false, res, undefined, `Odoo ${res.status}`);
    }
    let reply: JsonRpcReply;
    try {
      reply = JSON.parse(res.text()) as JsonRpcReply;
    } catch {
      throw new OdooSetupError(`Odoo: ${url} did not answer JSON-RPC ("${bodyExcerpt(res.body, 120)}"): check the URL`, 'not an Odoo JSON-RPC endpoint');
    }
    if (!isRecord(reply)) throw new OdooSetupError(`Odoo: ${url} did not answer JSON-RPC: check the URL`, 'not an Odoo JSON-RPC endpoint');
    if (reply.error) throw this.fault(reply.error, service, method);
    if (!('result' in reply)) throw new OdooSetupError(`Odoo ${service}.${method}: ${url} answered JSON without "result" or "error": is this an Odoo server?`, 'bad JSON-RPC answer');
    return reply.result;
  }

  private fault(error: NonNullable<JsonRpcReply['error']>, service: string, method: string): Error {
    const data = error.data ?? {};
    const name = data.name ?? '';
    const text = (data.message ?? (Array.isArray(data.arguments) ? data.arguments.map(String).join(' ') : '') ?? '').trim() || error.message || 'Odoo Server Error';
    if (/AccessDenied/.test(name)) {
      this.uid = null;
      return new OdooLoginError('Odoo: login refused: check database, user and password/API key', 'login refused');
    }
    if (/database ".*" does not exist/.test(text) || (/KeyError/.test(name) && service === 'common')) {
      return new OdooLoginError(`Odoo: database "${this.settings.database ?? ''}" does not exist on the server: check the database name (${text.split('\n')[0]})`, 'unknown database');
    }
    if (error.code === 100 || /SessionExpired/.test(name)) {
      this.uid = null;
      return new HttpError(`Odoo ${service}.${method}: session expired (${text})`, null, true, undefined, undefined, 'session expired');
    }
    // concurrent update in Odoo's database: the same call succeeds when repeated
    if (/SerializationFailure|TransactionRollbackError|LockNotAvailable|ConcurrencyError/.test(name)) {
      return new HttpError(`Odoo ${service}.${method}: ${shortName(name)}: ${text}`, null, true, undefined, undefined, 'Odoo busy (concurrent update)');
    }
    return new ErpBusinessError(`Odoo ${shortName(name)}: ${text.replace(/\s*\n\s*/g, ' ')}`, 200, name || undefined, data);
  }

  private async uidFor(): Promise<number> {
    if (this.uid !== null) return this.uid;
    if (!this.login) {
      const db = this.database;
      const user = this.user;
      const secret = this.secret;
      this.login = (async () => {
        this.logins += 1;
        const uid = await this.rpc('common', 'authenticate', [db, user, secret, {}]);
        if (typeof uid !== 'number' || !Number.isInteger(uid) || uid <= 0) {
          throw new OdooLoginError(`Odoo: login refused for user "${user}" on database "${db}": check database, user and password/API key`, 'login refused');
        }
        this.uid = uid;
        return uid;
      })().finally(() => {
        this.login = null;
      });
    }
    return this.login;
  }

  /** `object.execute_kw` with the cached uid. */
  async executeKw(model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}): Promise<unknown> {
    const uid = await this.uidFor();
    return this.rpc('object', 'execute_kw', [this.database, uid, this.secret, model, method, args, kwargs]);
  }

  // ---- ErpDriver ------------------------------------------------------------

  async test(): Promise<string> {
    const v = (await this.rpc('common', 'version', [])) as { server_version?: unknown } | null;
    const version = isRecord(v) && typeof v.server_version === 'string' ? v.server_version : 'unknown version';
    this.uid = null;
    const uid = await this.uidFor();
    return `Odoo ${version}, database "${this.database}", user "${this.user}" (uid ${uid})`;
  }

  async execute(req: ErpRequest): Promise<ErpResult> {
    const model = this.model(req.entity);
    const data = req.data ?? {};
    if (!isRecord(data)) throw badRequest(`Odoo ${req.operation} on ${model}: the document must be an object, got ${JSON.stringify(data)}`);
    switch (req.operation) {
      case 'create':
        return this.create(model, req, data);
      case 'update':
        return this.update(model, req, data);
      case 'upsert':
        return this.upsert(model, req, data);
      case 'delete':
        return this.remove(model, req);
      case 'action':
        return this.action(model, req, data);
      default:
        throw badRequest(`Odoo: unknown operation ${JSON.stringify((req as { operation: unknown }).operation)}: use create, update, upsert, delete or action`);
    }
  }

  /** Sequential: Odoo has no batch endpoint; the kept-alive connection is reused. */
  async executeBatch(reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>> {
    const out: Array<ErpResult | ErpBusinessError> = [];
    for (const req of reqs) {
      try {
        out.push(await this.execute(req));
      } catch (err) {
        if (err instanceof ErpBusinessError) out.push(err);
        else throw err;
      }
    }
    return out;
  }

  async query(q: ErpQuery): Promise<ErpQueryResult> {
    const model = this.model(q.entity);
    const domain = this.domain(q.filter);
    if (q.expand && q.expand.trim()) {
      throw new PlantwireError('bad-config', `Odoo: "expand" (${q.expand}) is an OData option; Odoo returns many2one fields as [id, name] already — leave it empty`, 'expand not for Odoo');
    }
    const fields = (q.select ?? []).map((s) => s.trim()).filter(Boolean);
    const order = this.order(q.orderby);
    const top = q.top !== undefined && q.top !== null && Number(q.top) > 0 ? Math.floor(Number(q.top)) : Infinity;
    const maxPages = q.maxPages ?? 100;
    const rows: Array<Record<string, unknown>> = [];
    let pages = 0;
    while (rows.length < top && pages < maxPages) {
      const limit = Math.min(ODOO_PAGE_SIZE, top - rows.length);
      const kwargs: Record<string, unknown> = { offset: rows.length, limit, order };
      if (fields.length) kwargs.fields = fields;
      const page = await this.executeKw(model, 'search_read', [domain], kwargs);
      pages += 1;
      if (!Array.isArray(page)) throw new HttpError(`Odoo ${model}.search_read answered ${bodyExcerpt(JSON.stringify(page), 120)} instead of a list`, 200, false);
      rows.push(...(page as Array<Record<string, unknown>>));
      if (page.length < limit) break;
    }
    return { rows, pages };
  }

  /** Forgets the session (the next call logs in again). The HttpClient belongs to the caller. */
  close(): void {
    this.uid = null;
    this.login = null;
  }

  // ---- operations ------------------------------------------------------------

  private async create(model: string, req: ErpRequest, data: Record<string, unknown>): Promise<ErpResult> {
    const vals = this.vals(data);
    const field = this.extField(req);
    if (field) {
      const value = this.extValue(req, data, field);
      vals[field] = value;
      const found = (await this.executeKw(model, 'search', [[[field, '=', value]]], { limit: 1, order: 'id' }).catch((err: unknown) => {
        throw this.missingKeyField(err, model, field);
      })) as Ids;
      if (Array.isArray(found) && found.length) {
        const id = found[0]!;
        return { key: id, document: await this.readBack(model, id, vals), status: 200, replayed: true };
      }
    }
    const id = await this.executeKw(model, 'create', [vals]);
    const newId = Array.isArray(id) ? id[0] : id;
    if (typeof newId !== 'number') throw new HttpError(`Odoo ${model}.create answered ${JSON.stringify(id)} instead of the new id`, 200, false);
    return { key: newId, document: await this.readBack(model, newId, vals), status: 201 };
  }

  private async update(model: string, req: ErpRequest, data: Record<string, unknown>): Promise<ErpResult> {
    const ids = await this.target(model, req, data, 'update');
    if (!ids.length) throw new ErpBusinessError(`Odoo update on ${model}: no record ${this.describeKey(req, data)}`, 200, 'odoo.exceptions.MissingError');
    const id = this.single(model, ids, req, data, 'update');
    const vals = this.vals(data);
    if (Object.keys(vals).length) await this.executeKw(model, 'write', [[id], vals]);
    return { key: id, document: await this.readBack(model, id, vals), status: 200 };
  }

  private async upsert(model: string, req: ErpRequest, data: Record<string, unknown>): Promise<ErpResult> {
    const field = this.extField(req);
    if (req.key === undefined && !field) throw badRequest(`Odoo upsert on ${model}: set the external key field (e.g. x_plantwire_key) or a key, so that an existing record can be found`);
    const ids = await this.target(model, req, data, 'upsert');
    const vals = this.vals(data);
    if (ids.length) {
      const id = this.single(model, ids, req, data, 'upsert');
      if (Object.keys(vals).length) await this.executeKw(model, 'write', [[id], vals]);
      return { key: id, document: await this.readBack(model, id, vals), status: 200 };
    }
    if (field) vals[field] = this.extValue(req, data, field);
    const id = await this.executeKw(model, 'create', [vals]);
    const newId = Array.isArray(id) ? id[0] : id;
    if (typeof newId !== 'number') throw new HttpError(`Odoo ${model}.create answered ${JSON.stringify(id)} instead of the new id`, 200, false);
    return { key: newId, document: await this.readBack(model, newId, vals), status: 201 };
  }

  /** Idempotent: a record that is not there (any more) counts as deleted, with replayed: true. */
  private async remove(model: string, req: ErpRequest): Promise<ErpResult> {
    const data = req.data ?? {};
    const ids = await this.target(model, req, data, 'delete');
    if (!ids.length) return { key: req.key ?? null, document: { deleted: 0 }, status: 200, replayed: true };
    const id = this.single(model, ids, req, data, 'delete');
    await this.executeKw(model, 'unlink', [[id]]);
    return { key: id, document: { deleted: 1 }, status: 200 };
  }

  /** Calls a model method (e.g. action_confirm) on the addressed records, or on the model when no key is given. */
  private async action(model: string, req: ErpRequest, data: Record<string, unknown>): Promise<ErpResult> {
    const method = (req.action ?? '').trim();
    if (!METHOD_RE.test(method)) throw badRequest(`Odoo action on ${model}: set the method name (e.g. action_confirm), got ${JSON.stringify(req.action ?? '')}`);
    const { args: extra, ...kwargs } = data;
    if (extra !== undefined && !Array.isArray(extra)) throw badRequest(`Odoo ${model}.${method}: "args" must be a list of positional arguments, got ${JSON.stringify(extra)}`);
    const bound = req.key !== undefined || Boolean(this.extField(req) && data[this.extField(req)!] !== undefined);
    let ids: Ids | null = null;
    if (bound) {
      ids = await this.target(model, req, data, 'action');
      if (!ids.length) throw new ErpBusinessError(`Odoo ${model}.${method}: no record ${this.describeKey(req, data)}`, 200, 'odoo.exceptions.MissingError');
      const field = this.extField(req);
      if (field) delete kwargs[field];
    }
    const args = ids ? [ids, ...((extra as unknown[]) ?? [])] : ((extra as unknown[]) ?? []);
    const result = await this.executeKw(model, method, args, kwargs);
    return { key: ids ? (ids.length === 1 ? ids[0] : ids) : null, document: result, status: 200 };
  }

  // ---- helpers -----------------------------------------------------------------

  private model(entity: string): string {
    const m = (entity ?? '').trim();
    if (!MODEL_RE.test(m)) throw badRequest(`Odoo: "${entity ?? ''}" is not a model name (e.g. maintenance.request, mrp.production)`);
    return m;
  }

  private extField(req: ErpRequest): string | undefined {
    const f = (req.externalKeyField ?? '').trim();
    if (!f) return undefined;
    if (!/^[a-z_][a-z0-9_]*$/i.test(f)) throw badRequest(`Odoo: external key field "${f}" is not a field name (e.g. x_plantwire_key)`);
    return f;
  }

  private extValue(req: ErpRequest, data: Record<string, unknown>, field: string): unknown {
    const v = data[field];
    if (v !== undefined && v !== null && v !== '' && v !== false) return v;
    if (!req.idempotencyKey) throw badRequest(`Odoo: the document has no ${field} and the request no idempotency key`);
    return req.idempotencyKey;
  }

  /** The document as Odoo values: `id` removed (it addresses, it is not written). */
  private vals(data: Record<string, unknown>): Record<string, unknown> {
    const { id: _id, ...rest } = data;
    void _id;
    return rest;
  }

  private domain(filter: ErpQuery['filter']): unknown[] {
    if (filter === undefined || filter === null || filter === '') return [];
    let d: unknown = filter;
    if (typeof filter === 'string') {
      try {
        d = JSON.parse(filter);
      } catch {
        throw new PlantwireError('bad-config', `Odoo: the filter must be a domain in JSON, e.g. [["state", "=", "confirmed"]], got ${JSON.stringify(filter)}`, 'filter is not a JSON domain');
      }
    }
    if (!Array.isArray(d)) throw new PlantwireError('bad-config', `Odoo: the filter must be a domain (a JSON list such as [["state", "=", "confirmed"]]), got ${JSON.stringify(filter)}`, 'filter is not a domain');
    for (const term of d) {
      const ok = term === '&' || term === '|' || term === '!' || (Array.isArray(term) && term.length === 3 && typeof term[0] === 'string' && typeof term[1] === 'string');
      if (!ok) throw new PlantwireError('bad-config', `Odoo: domain term ${JSON.stringify(term)} is neither ["field", "operator", value] nor "&", "|", "!"`, 'bad domain term');
    }
    return d;
  }

  /** Odoo order ("name desc, id"); `id` is appended so that paging is stable. */
  private order(orderby?: string): string {
    const o = (orderby ?? '').trim();
    if (!o) return 'id';
    for (const part of o.split(',')) {
      if (!/^\s*[a-z_][a-z0-9_.]*(\s+(asc|desc))?\s*$/i.test(part)) throw new PlantwireError('bad-config', `Odoo: order "${o}" must be field names with optional asc/desc, separated by commas (e.g. "date_start desc")`, 'bad order');
    }
    return /(^|,)\s*id(\s|,|$)/.test(o) ? o : `${o}, id`;
  }

  /** The ids a key addresses: a number (id), a numeric string, {field: value…}, or the external key value. */
  private async target(model: string, req: ErpRequest, data: Record<string, unknown>, what: string): Promise<Ids> {
    const key = req.key;
    const field = this.extField(req);
    let domain: unknown[];
    if (typeof key === 'number' || (typeof key === 'string' && /^\d+$/.test(key.trim()))) {
      domain = [['id', '=', Number(key)]];
    } else if (typeof key === 'string' && key.trim()) {
      if (!field) throw badRequest(`Odoo ${what} on ${model}: the key "${key}" is not a record id; set the external key field that holds it`);
      domain = [[field, '=', key]];
    } else if (isRecord(key)) {
      const pairs = Object.entries(key);
      if (!pairs.length) throw badRequest(`Odoo ${what} on ${model}: the key object is empty`);
      domain = pairs.map(([k, v]) => [k, '=', v]);
    } else if (field && data[field] !== undefined && data[field] !== null && data[field] !== '') {
      domain = [[field, '=', data[field]]];
    } else if (field && what === 'upsert') {
      domain = [[field, '=', this.extValue(req, data, field)]];
    } else if (typeof data.id === 'number') {
      domain = [['id', '=', data.id]];
    } else {
      throw badRequest(`Odoo ${what} on ${model}: no key: set a key (record id or {field: value}) or the external key field and its value in the document`);
    }
    const ids = await this.executeKw(model, 'search', [domain], { limit: 2, order: 'id' }).catch((err: unknown) => {
      throw field ? this.missingKeyField(err, model, field) : err;
    });
    if (!Array.isArray(ids)) throw new HttpError(`Odoo ${model}.search answered ${JSON.stringify(ids)} instead of a list of ids`, 200, false);
    return ids as Ids;
  }

  /** Odoo does not know the external key field: every document would fail the same way, so it is a setup error. */
  private missingKeyField(err: unknown, model: string, field: string): unknown {
    if (err instanceof ErpBusinessError && /Invalid field/i.test(err.message) && err.message.includes(field)) {
      return new OdooSetupError(
        `Odoo: ${model} has no field ${field} for the external key: add it in Odoo (Settings → Technical → Models → ${model} → Fields: ${field}, type Char, indexed; see docs/erp-odoo.md) or change the external key field (${err.message})`,
        `no field ${field} in ${model}`,
      );
    }
    return err;
  }

  private single(model: string, ids: Ids, req: ErpRequest, data: Record<string, unknown>, what: string): number {
    if (ids.length > 1) throw new ErpBusinessError(`Odoo ${what} on ${model}: the key ${this.describeKey(req, data)} matches more than one record (ids ${ids.join(', ')}, …); an external key must be unique`, 200, 'plantwire.ambiguous-key');
    return ids[0]!;
  }

  private describeKey(req: ErpRequest, data: Record<string, unknown>): string {
    if (req.key !== undefined) return `with key ${JSON.stringify(req.key)}`;
    const field = this.extField(req);
    if (field) return `with ${field} = ${JSON.stringify(data[field] ?? req.idempotencyKey)}`;
    return '(no key)';
  }

  /** The record after the operation: the written fields plus display_name (not every field: a real model has hundreds). */
  private async readBack(model: string, id: number, vals: Record<string, unknown>): Promise<Record<string, unknown>> {
    const fields = ['display_name', ...Object.keys(vals).filter((k) => k !== 'display_name')];
    const rows = await this.executeKw(model, 'read', [[id]], { fields });
    return Array.isArray(rows) && isRecord(rows[0]) ? rows[0] : { id };
  }
}
