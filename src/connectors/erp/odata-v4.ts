/**
 * OData v4 driver (Microsoft Dynamics 365 Business Central, SAP S/4HANA OData v4
 * APIs, any OData 4.0/4.01 service).
 *
 * - create: POST with `Idempotency-Key` (the idempotency key) and
 *   `Prefer: return=representation`; `Idempotent-Replayed: true` (or
 *   `Repeatability-Result: replayed`) marks a replay.
 * - update: PATCH with `If-Match` (given ETag, else `@odata.etag` read first).
 * - values converted to the property types of `$metadata` (read once): Edm.Date from a date-time
 *   or a Date, Edm.DateTimeOffset from epoch ms, Edm.String from numbers, numbers and booleans from
 *   their text, Edm.TimeOfDay "hh:mm" → "hh:mm:00" — as the v2 driver does for SAP's JSON format.
 * - upsert: read by key, then update, or create with the given key in the document. delete: DELETE with `If-Match`.
 * - action: bound (`Set(key)/Action`) when a key is given, else unbound; JSON parameters; `If-Match`
 *   with the given ETag, else the entity's ETag read first (CAP answers 428 to a bound action on an
 *   ETag-protected entity without it).
 * - executeBatch: JSON `$batch` (`{requests:[…]}`), one `atomicityGroup` per document, answers matched
 *   by id, `Prefer: odata.continue-on-error`; a document without an answer is "outcome unknown".
 * - query: $filter/$select/$expand/$orderby/$top, following `@odata.nextLink`.
 * - CSRF only when the server asks for it (403 `X-CSRF-Token: Required`, as SAP's v4 services do).
 * - errors: OData v4 error JSON → ErpBusinessError (4xx); 5xx/429/timeouts → transient HttpError.
 */
import type { HttpClient, HttpResponse } from '../http';
import { PlantwireError } from '../../model/errors';
import { batchProblems, checkRequest, httpDate, isOk, jsonBody, keyFromUri, keyPredicate, ODataSession, odataFailure, repeatabilityRequestId } from './odata-common';
import { parseV2Metadata, parseV2MetadataKeys } from './odata-v2';
import { ErpBusinessError, ErpOutcomeUnknown, type ErpDriver, type ErpQuery, type ErpQueryResult, type ErpRequest, type ErpResult, type ErpSettings } from './types';

const SYSTEM = 'OData v4';

type V4Entity = Record<string, unknown>;

/** Drops control information except @odata.etag. */
export function cleanV4(e: V4Entity): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === '@odata.etag') {
      out[k] = v;
      continue;
    }
    // Other control information (@odata.context, Prop@odata.type …) is not part of the document.
    if (k.includes('@odata.') || k.startsWith('@')) continue;
    out[k] = v;
  }
  return out;
}

interface Planned {
  req: ErpRequest;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: unknown;
  key: unknown;
  notFoundOk?: boolean;
}

export class ODataV4Driver implements ErpDriver {
  readonly kind = 'odata-v4' as const;
  readonly session: ODataSession;
  private metadata: Promise<V4Metadata | null> | null = null;
  private metadataRetryAt = 0;

  constructor(
    readonly settings: ErpSettings,
    readonly http: HttpClient,
  ) {
    this.session = new ODataSession(settings, http, { csrf: 'auto', system: SYSTEM });
  }

  /** $metadata, read once per driver (a failed read is tried again after a minute; values then go as mapped). */
  private meta(): Promise<V4Metadata | null> {
    if (!this.metadata || (this.metadataRetryAt > 0 && Date.now() >= this.metadataRetryAt)) {
      this.metadataRetryAt = 0;
      this.metadata = this.session
        .send({ method: 'GET', path: '$metadata', headers: { accept: 'application/xml' } })
        .then((res) => (isOk(res.status) ? v4Metadata(res.text()) : null))
        .catch(() => null)
        .then((m) => {
          if (m === null) this.metadataRetryAt = Date.now() + 60_000;
          return m;
        });
    }
    return this.metadata;
  }

  /** Property → Edm type of an entity set (undefined when $metadata cannot be read or lacks the set). */
  async propertyTypes(entity: string): Promise<Map<string, string> | undefined> {
    return (await this.meta())?.types.get(entity);
  }

  /** The document converted to the entity set's property types. */
  private async typed(entity: string, data: Record<string, unknown>): Promise<Record<string, unknown>> {
    return toV4Json(data, await this.propertyTypes(entity));
  }

  /** The document with the key's fields added (upsert creating a new document keeps the key it was given). */
  private async withKey(req: ErpRequest): Promise<Record<string, unknown>> {
    const key = req.key;
    if (key === undefined || key === null || key === '') return req.data;
    if (typeof key === 'object') return { ...key, ...req.data };
    const names = (await this.meta())?.keys.get(req.entity);
    if (names?.length !== 1) throw new ErpBusinessError(`upsert of a new ${req.entity}: give the key as an object ({"Name": "value"}) so it can be created with it${names ? `; ${req.entity} has the key ${names.join(', ')}` : ''}`, null, 'erp-bad-key');
    return { [names[0]!]: key, ...req.data };
  }

  private async hasEtag(entity: string): Promise<boolean> {
    return (await this.meta())?.etag.has(entity) ?? false;
  }

  async test(): Promise<string> {
    const res = await this.session.send({ method: 'GET', path: '$metadata', headers: { accept: 'application/xml' } });
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, 'reading $metadata', SYSTEM, res);
    const xml = res.text();
    if (!/<edmx:Edmx/.test(xml)) throw new PlantwireError('erp-not-odata', `${this.session.root}$metadata is not an OData service description: check the service URL`, 'not an OData service');
    const version = /<edmx:Edmx[^>]*Version="([^"]+)"/.exec(xml)?.[1] ?? '4.0';
    const sets = [...xml.matchAll(/<EntitySet\s+Name="([^"]+)"/g)].map((m) => m[1]!);
    const names = sets.length > 4 ? `${sets.slice(0, 4).join(', ')}, …` : sets.join(', ');
    return `OData ${version}, ${sets.length} entity set${sets.length === 1 ? '' : 's'} (${names})`;
  }

  async execute(req: ErpRequest): Promise<ErpResult> {
    checkRequest(req);
    if (req.operation === 'upsert') {
      if (req.key === undefined || req.key === null || req.key === '') return this.execute({ ...req, operation: 'create' });
      const cur = await this.read(req.entity, req.key);
      if (cur !== null) return this.execute({ ...req, operation: 'update', etag: req.etag ?? cur.etag });
      const r = await this.execute({ ...req, operation: 'create', data: await this.withKey(req) });
      return { ...r, key: r.key ?? req.key };
    }
    const plan = await this.plan(req);
    const res = await this.session.send({ method: plan.method, path: plan.path, headers: plan.headers, body: plan.body === undefined ? undefined : JSON.stringify(plan.body), write: true });
    let parsed: unknown;
    const text = res.body.toString('utf8');
    if (text.trim()) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    const out = this.readAnswer(plan, res.status, lower(res.headers), parsed, text, res);
    if (out instanceof Error) throw out;
    return out;
  }

  async read(entity: string, key: ErpRequest['key']): Promise<{ entity: V4Entity; etag?: string } | null> {
    const path = `${entity}${keyPredicate(key, 4)}`;
    const res = await this.session.send({ method: 'GET', path });
    if (res.status === 404) return null;
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, `reading ${path}`, SYSTEM, res);
    const e = jsonBody<V4Entity>(res, `reading ${path}`, SYSTEM);
    const etag = typeof e['@odata.etag'] === 'string' ? e['@odata.etag'] : res.header('etag');
    return { entity: e, etag };
  }

  private async plan(req: ErpRequest, known?: Map<ErpRequest, { exists: boolean; etag?: string }>): Promise<Planned> {
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    switch (req.operation) {
      case 'create':
        return { req, method: 'POST', path: req.entity, headers: { ...json, prefer: 'return=representation', 'idempotency-key': req.idempotencyKey }, body: await this.typed(req.entity, req.data), key: undefined };
      case 'update':
      case 'delete': {
        const path = `${req.entity}${keyPredicate(req.key, 4)}`;
        let etag = req.etag;
        if (etag === undefined) {
          const k = known?.get(req);
          const cur = k ? (k.exists ? { etag: k.etag } : null) : await this.read(req.entity, req.key);
          if (cur === null) {
            if (req.operation === 'delete') return { req, method: 'DELETE', path, headers: { accept: 'application/json', 'if-match': '*' }, key: req.key, notFoundOk: true };
            throw new ErpBusinessError(`${path} does not exist (HTTP 404, ${req.operation})`, 404, 'not-found');
          }
          etag = cur.etag;
        }
        const ifMatch = { 'if-match': etag ?? '*' };
        if (req.operation === 'delete') return { req, method: 'DELETE', path, headers: { accept: 'application/json', ...ifMatch }, key: req.key, notFoundOk: true };
        return { req, method: 'PATCH', path, headers: { ...json, ...ifMatch, prefer: 'return=representation' }, body: await this.typed(req.entity, req.data), key: req.key };
      }
      case 'action': {
        if (!req.action) throw new PlantwireError('erp-no-action', 'operation "action" needs the action name', 'no action name');
        const bound = req.key !== undefined && req.key !== null && req.key !== '' && req.entity;
        const path = bound ? `${req.entity}${keyPredicate(req.key, 4)}/${req.action}` : req.action;
        // A bound action on an ETag-protected entity needs If-Match: the given ETag, else the current one.
        let etag = req.etag;
        if (bound && etag === undefined && (await this.hasEtag(req.entity))) {
          const k = known?.get(req);
          const cur = k ? (k.exists ? { etag: k.etag } : null) : await this.read(req.entity, req.key);
          if (cur === null) throw new ErpBusinessError(`${req.entity}${keyPredicate(req.key, 4)} does not exist (HTTP 404, action ${req.action})`, 404, 'not-found');
          etag = cur.etag;
        }
        return { req, method: 'POST', path, headers: { ...json, 'idempotency-key': req.idempotencyKey, 'repeatability-request-id': repeatabilityRequestId(req.idempotencyKey), 'repeatability-first-sent': httpDate(req.firstSentAt), ...(etag ? { 'if-match': etag } : {}) }, body: req.data, key: req.key };
      }
      default:
        throw new PlantwireError('erp-bad-operation', `unknown operation "${String(req.operation)}"`, 'bad operation');
    }
  }

  private readAnswer(plan: Planned, status: number, headers: Record<string, string>, body: unknown, raw: string, res?: HttpResponse): ErpResult | Error {
    const what = `${plan.req.operation} ${plan.req.operation === 'action' ? plan.req.action : plan.req.entity}`;
    if (status === 404 && plan.notFoundOk) return { key: plan.key, document: null, status };
    if (!isOk(status)) return odataFailure(status, headers, typeof body === 'object' && body !== null ? JSON.stringify(body) : raw, what, SYSTEM, res);
    const replayed = /^true$/i.test(headers['idempotent-replayed'] ?? '') || /replayed/i.test(headers['repeatability-result'] ?? '');
    const e = body && typeof body === 'object' && !Array.isArray(body) ? (body as V4Entity) : undefined;
    const etag = (typeof e?.['@odata.etag'] === 'string' ? (e['@odata.etag'] as string) : undefined) ?? headers.etag;
    const doc = e ? ('value' in e && Object.keys(e).every((k) => k === 'value' || k.startsWith('@')) ? e.value : cleanV4(e)) : plan.req.operation === 'update' ? plan.req.data : null;
    const key = plan.key ?? keyFromUri(headers['odata-entityid'] ?? headers.location) ?? (e && 'id' in e ? e.id : undefined);
    return { key, document: doc ?? null, status, ...(etag ? { etag } : {}), ...(replayed ? { replayed } : {}) };
  }

  async executeBatch(reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>> {
    if (reqs.length === 0) return [];
    const results: Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown | undefined> = [...batchProblems(reqs)];
    const hasKey = (r: ErpRequest): boolean => r.key !== undefined && r.key !== null && r.key !== '';
    const known = new Map<ErpRequest, { exists: boolean; etag?: string }>();
    const reads: ErpRequest[] = [];
    for (let i = 0; i < reqs.length; i++) {
      const r = reqs[i]!;
      if (results[i]) continue;
      if ((r.operation === 'upsert' && hasKey(r)) || ((r.operation === 'update' || r.operation === 'delete') && r.etag === undefined) || (r.operation === 'action' && r.etag === undefined && !!r.entity && hasKey(r) && (await this.hasEtag(r.entity)))) reads.push(r);
    }
    if (reads.length) {
      const answers = await this.sendBatch(reads.map((r, i) => ({ id: `r${i + 1}`, method: 'GET', url: `${r.entity}${keyPredicate(r.key, 4)}`, headers: { accept: 'application/json' } })));
      reads.forEach((r, i) => {
        const a = answers.get(`r${i + 1}`);
        const index = reqs.indexOf(r);
        if (!a) {
          results[index] = new ErpOutcomeUnknown(`OData $batch answer lacks the read of ${r.entity}: sent again later`);
          return;
        }
        if (a.status === 404) known.set(r, { exists: false });
        else if (isOk(a.status)) {
          const b = a.body as V4Entity | undefined;
          known.set(r, { exists: true, etag: (typeof b?.['@odata.etag'] === 'string' ? (b['@odata.etag'] as string) : undefined) ?? header(a.headers, 'etag') });
        } else {
          const err = odataFailure(a.status, a.headers ?? {}, JSON.stringify(a.body ?? ''), `reading ${r.entity}`, SYSTEM);
          results[index] = err instanceof ErpBusinessError ? err : new ErpOutcomeUnknown(`reading ${r.entity} before the change failed: ${err.message}`, a.status);
        }
      });
    }
    const plans: Array<{ index: number; plan: Planned }> = [];
    const createdHere = new Set<string>();
    const keyId = (r: ErpRequest): string => `${r.entity}\u0000${JSON.stringify(r.key)}`;
    for (let i = 0; i < reqs.length; i++) {
      if (results[i]) continue;
      const orig = reqs[i]!;
      let r = orig;
      try {
        if (r.operation === 'upsert') {
          const k = known.get(orig);
          if (hasKey(r) && createdHere.has(keyId(r))) r = { ...r, operation: 'update', etag: r.etag ?? '*' };
          else if (k?.exists) r = { ...r, operation: 'update', etag: r.etag ?? k.etag ?? '*' };
          else {
            r = { ...r, operation: 'create', data: await this.withKey(r) };
            if (hasKey(orig)) createdHere.add(keyId(orig));
          }
        }
        plans.push({ index: i, plan: await this.plan(r, new Map([...known, ...(known.has(orig) ? [[r, known.get(orig)!] as const] : [])])) });
      } catch (err) {
        if (err instanceof ErpBusinessError) results[i] = err;
        else throw err;
      }
    }
    if (plans.length) {
      const answers = await this.sendBatch(plans.map(({ plan }, n) => ({ id: String(n + 1), atomicityGroup: `g${n + 1}`, method: plan.method, url: plan.path, headers: plan.headers, ...(plan.body !== undefined ? { body: plan.body } : {}) })));
      plans.forEach(({ index, plan }, n) => {
        const a = answers.get(String(n + 1));
        if (!a) {
          results[index] = new ErpOutcomeUnknown(`OData $batch answered ${answers.size} of ${plans.length} requests and none for this document (id ${n + 1}): sent again later with the same Idempotency-Key`);
          return;
        }
        const out = this.readAnswer(plan, a.status, lower(a.headers ?? {}), a.body, typeof a.body === 'string' ? a.body : '');
        if (out instanceof ErpBusinessError) results[index] = out;
        else if (out instanceof Error) results[index] = new ErpOutcomeUnknown(`OData $batch: ${out.message}`, a.status);
        else results[index] = out;
      });
    }
    return results.map((r, i) => r ?? new ErpOutcomeUnknown(`no answer for document ${i + 1} of the batch`));
  }

  private async sendBatch(requests: Array<Record<string, unknown>>): Promise<Map<string, { status: number; headers?: Record<string, string>; body?: unknown }>> {
    const res = await this.session.send({ method: 'POST', path: '$batch', headers: { 'content-type': 'application/json', accept: 'application/json', prefer: 'odata.continue-on-error' }, body: JSON.stringify({ requests }), write: true });
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, '$batch', SYSTEM, res);
    const j = jsonBody<{ responses?: Array<{ id?: unknown; status?: unknown; headers?: Record<string, string>; body?: unknown }> }>(res, '$batch', SYSTEM);
    if (!Array.isArray(j.responses)) throw new PlantwireError('erp-batch', 'OData $batch answer has no "responses" array: does the service support JSON batch (OData 4.01)?', 'bad $batch answer');
    return new Map(j.responses.map((r) => [String(r.id), { status: Number(r.status), headers: r.headers, body: r.body }]));
  }

  async query(q: ErpQuery): Promise<ErpQueryResult> {
    if (!q.entity) throw new PlantwireError('erp-no-entity', 'the query needs an entity set', 'no entity set');
    if (Array.isArray(q.filter)) throw new PlantwireError('erp-bad-filter', 'an OData $filter is a string, not an array', 'bad filter');
    let url: string | undefined = this.session.url(q.entity, {
      $filter: q.filter || undefined,
      $select: q.select?.length ? q.select.join(',') : undefined,
      $expand: q.expand || undefined,
      $orderby: q.orderby || undefined,
      $top: q.top !== undefined ? String(q.top) : undefined,
    });
    const rows: Array<Record<string, unknown>> = [];
    const maxPages = q.maxPages ?? 100;
    let pages = 0;
    while (url && pages < maxPages) {
      const res = await this.session.send({ method: 'GET', path: url });
      if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, `query ${q.entity}`, SYSTEM, res);
      pages += 1;
      const j = jsonBody<{ value?: V4Entity[]; '@odata.nextLink'?: string }>(res, `query ${q.entity}`, SYSTEM);
      for (const e of j.value ?? []) rows.push(cleanV4(e));
      if (q.top !== undefined && rows.length >= q.top) {
        rows.length = q.top;
        break;
      }
      const next = j['@odata.nextLink'];
      url = next ? new URL(next, url).href : undefined;
    }
    return { rows, pages };
  }

  close(): void {
    this.session.reset();
  }
}


function header(h: Record<string, string> | undefined, name: string): string | undefined {
  if (!h) return undefined;
  const k = Object.keys(h).find((x) => x.toLowerCase() === name);
  return k ? h[k] : undefined;
}

function lower(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

interface V4Metadata {
  types: Map<string, Map<string, string>>;
  keys: Map<string, string[]>;
  /** Entity sets with Core.OptimisticConcurrency (an ETag). */
  etag: Set<string>;
}

/** Entity sets' property types, keys and ETag annotation from an EDMX v4 document. */
export function v4Metadata(xml: string): V4Metadata {
  const etag = new Set<string>();
  for (const m of xml.matchAll(/<Annotations\s+Target="[^"]*\/([^"/]+)"[^>]*>([\s\S]*?)<\/Annotations>/g)) if (/OptimisticConcurrency/.test(m[2]!)) etag.add(m[1]!);
  for (const m of xml.matchAll(/<EntitySet\s+Name="([^"]+)"[^>]*>([\s\S]*?)<\/EntitySet>/g)) if (/OptimisticConcurrency/.test(m[2]!)) etag.add(m[1]!);
  return { types: parseV2Metadata(xml), keys: parseV2MetadataKeys(xml), etag };
}

function epochOrIso(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  const legacy = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(s);
  if (legacy) return Number(legacy[1]);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const t = Date.parse(/[zZ]$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * JS values → OData v4 JSON for the property types of the entity set (when known from $metadata):
 * Edm.Date "YYYY-MM-DD" from a date-time (its UTC date), a Date or epoch ms; Edm.DateTimeOffset ISO
 * text from a Date, epoch ms or "/Date(ms)/"; Edm.TimeOfDay "hh:mm" → "hh:mm:00"; Edm.String from a
 * number or boolean; integer, floating and decimal types from numeric text; Edm.Boolean from
 * "true"/"false". Anything else is sent as mapped (the server says what is wrong).
 */
export function toV4Json(data: Record<string, unknown>, types?: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const t = types?.get(k);
    if (v === null || v === undefined || !t) {
      out[k] = v instanceof Date ? v.toISOString() : v;
      continue;
    }
    switch (t) {
      case 'Edm.Date': {
        const ms = typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v.trim()) ? undefined : epochOrIso(v);
        out[k] = ms === undefined ? v : new Date(ms).toISOString().slice(0, 10);
        break;
      }
      case 'Edm.DateTimeOffset': {
        const ms = typeof v === 'string' && !/^\/Date\(/.test(v.trim()) ? undefined : epochOrIso(v);
        out[k] = ms === undefined ? v : new Date(ms).toISOString();
        break;
      }
      case 'Edm.TimeOfDay': {
        const m = typeof v === 'string' ? /^(\d{1,2}):(\d{2})$/.exec(v.trim()) : null;
        out[k] = m ? `${m[1]!.padStart(2, '0')}:${m[2]}:00` : v;
        break;
      }
      case 'Edm.String':
        out[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
        break;
      case 'Edm.Int16':
      case 'Edm.Int32':
      case 'Edm.Int64':
      case 'Edm.Byte':
      case 'Edm.SByte':
        out[k] = typeof v === 'string' && /^-?\d+$/.test(v.trim()) && Number.isSafeInteger(Number(v)) ? Number(v) : v;
        break;
      case 'Edm.Decimal':
      case 'Edm.Double':
      case 'Edm.Single':
        out[k] = typeof v === 'string' && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(v.trim()) ? Number(v) : v;
        break;
      case 'Edm.Boolean':
        out[k] = v === 'true' ? true : v === 'false' ? false : v;
        break;
      default:
        out[k] = v instanceof Date ? v.toISOString() : v;
    }
  }
  return out;
}
