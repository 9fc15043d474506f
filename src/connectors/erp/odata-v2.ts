/**
 * SAP S/4HANA OData v2 driver (SAP Gateway): API_PROD_ORDER_CONFIRMATION_2_SRV,
 * API_MAINTNOTIFICATION and the other A2X APIs.
 *
 * - Session: basic / OAuth2 client credentials / API key; cookies kept in a jar;
 *   the CSRF token is fetched with `X-CSRF-Token: Fetch` on a GET of the service
 *   root before the first write and fetched again (once) on `403 X-CSRF-Token: Required`.
 * - `sap-client` on every URL when set.
 * - create: POST with `Repeatability-Request-ID` (32 hex from the idempotency key)
 *   and `Repeatability-First-Sent`; `Repeatability-Result: replayed` marks a replay.
 * - update: MERGE with `If-Match` (the given ETag, else the entity is read first).
 * - upsert: read by key, then update, or create with the given key in the document. delete: DELETE with `If-Match`.
 * - action: function import (POST, parameters as URI literals typed by $metadata, e.g. guid'…');
 *   `If-Match` with the given ETag, else the entity's ETag read first when its type has one
 *   (ConcurrencyMode="Fixed": CAP's bound actions answer 428 without it).
 * - executeBatch: multipart `$batch`, one changeset per document, each with its own Content-ID and
 *   `Prefer: odata.continue-on-error` (CAP's adapter otherwise stops at the first failed changeset);
 *   answers are matched by Content-ID, a document without an answer is "outcome unknown" (retried
 *   with the same Repeatability-Request-ID), never matched by position.
 * - query: $filter/$select/$expand/$orderby/$top, following `__next`.
 * - errors: SAP error JSON → ErpBusinessError (4xx) with the SAP text; 5xx/429/timeouts → transient HttpError.
 */
import type { HttpClient, HttpResponse } from '../http';
import { PlantwireError } from '../../model/errors';
import {
  boundaryOf,
  errorText,
  httpDate,
  httpPart,
  isOk,
  joinMultipart,
  jsonBody,
  keyFromUri,
  keyPredicate,
  batchProblems,
  checkRequest,
  newBoundary,
  ODataSession,
  odataFailure,
  parseHttpMessage,
  parseODataError,
  repeatabilityRequestId,
  splitMultipart,
  uriLiteral,
  type HttpMessage,
  type MimePart,
} from './odata-common';
import { ErpBusinessError, ErpOutcomeUnknown, type ErpDriver, type ErpQuery, type ErpQueryResult, type ErpRequest, type ErpResult, type ErpSettings } from './types';

const SYSTEM = 'SAP';

type V2Entity = Record<string, unknown> & { __metadata?: { uri?: string; etag?: string; type?: string } };

/** Drops __metadata and deferred navigation properties; keeps expanded ones (their results arrays flattened). */
export function cleanV2(e: V2Entity): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (k === '__metadata') continue;
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const o = v as { __deferred?: unknown; results?: unknown; __metadata?: unknown };
      if (o.__deferred) continue;
      if (Array.isArray(o.results)) {
        out[k] = (o.results as V2Entity[]).map(cleanV2);
        continue;
      }
      if (o.__metadata) {
        out[k] = cleanV2(v as V2Entity);
        continue;
      }
    }
    out[k] = v;
  }
  return out;
}

/** A prepared write: the HTTP message to send plus how to read its answer. */
interface Planned {
  req: ErpRequest;
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Key to report when the answer has none (update/delete/action). */
  key: unknown;
  /** delete: 404 means "already gone" (a retried delete), not an error. */
  notFoundOk?: boolean;
}

export class SapODataV2Driver implements ErpDriver {
  readonly kind = 'sap-odata-v2' as const;
  readonly session: ODataSession;
  private metadata: Promise<V2Metadata | null> | null = null;
  private metadataRetryAt = 0;

  constructor(
    readonly settings: ErpSettings,
    readonly http: HttpClient,
  ) {
    this.session = new ODataSession(settings, http, { csrf: 'always', system: SYSTEM });
  }

  /** CSRF token fetches so far (status, tests). */
  get csrfFetches(): number {
    return this.session.csrfFetches;
  }

  /**
   * Property types of an entity set from $metadata, read once per driver (a failed read is tried again after a minute).
   * Undefined when $metadata cannot be read or does not list the set: values are then sent as mapped.
   */
  async propertyTypes(entity: string): Promise<Map<string, string> | undefined> {
    if (!this.metadata || (this.metadataRetryAt > 0 && Date.now() >= this.metadataRetryAt)) {
      this.metadataRetryAt = 0;
      this.metadata = this.session
        .send({ method: 'GET', path: '$metadata', headers: { accept: 'application/xml' } })
        .then((res) => (isOk(res.status) ? v2Metadata(res.text()) : null))
        .catch(() => null)
        .then((m) => {
          // Not readable (authorisation, outage): send values as mapped, try again in a minute.
          if (m === null) this.metadataRetryAt = Date.now() + 60_000;
          return m;
        });
    }
    return (await this.metadata)?.types.get(entity);
  }

  private async keyNames(entity: string): Promise<string[] | undefined> {
    await this.propertyTypes(entity);
    return (await this.metadata)?.keys.get(entity);
  }

  /** `(guid'…')`, `('A')` or `(K1='a',K2=2)`: the key predicate with literals typed by $metadata. */
  async predicate(entity: string, key: ErpRequest['key']): Promise<string> {
    const types = await this.propertyTypes(entity);
    const names = await this.keyNames(entity);
    if (key !== null && key !== undefined && typeof key !== 'object' && names?.length === 1) {
      const t = types?.get(names[0]!);
      if (t === 'Edm.Guid') return `(${typedLiteral(key, t)})`;
    }
    if (key && typeof key === 'object' && types) {
      const parts = Object.entries(key).map(([k, v]) => `${k}=${typedLiteral(v, types.get(k))}`);
      if (parts.length) return `(${parts.join(',')})`;
    }
    return keyPredicate(key, 2);
  }

  /** The document with the key's fields added (upsert creating a new document keeps the key it was given). */
  private async withKey(req: ErpRequest): Promise<Record<string, unknown>> {
    const key = req.key;
    if (key === undefined || key === null || key === '') return req.data;
    if (typeof key === 'object') return { ...key, ...req.data };
    const names = await this.keyNames(req.entity);
    if (names?.length !== 1) throw new ErpBusinessError(`upsert of a new ${req.entity}: give the key as an object ({"Name": "value"}) so it can be created with it${names ? `; ${req.entity} has the key ${names.join(', ')}` : ''}`, null, 'erp-bad-key');
    return { [names[0]!]: key, ...req.data };
  }

  /** Does the entity set's type carry an ETag ($metadata ConcurrencyMode="Fixed")? */
  private async hasEtag(entity: string): Promise<boolean> {
    await this.propertyTypes(entity);
    return (await this.metadata)?.etag.has(entity) ?? false;
  }

  async test(): Promise<string> {
    const res = await this.session.send({ method: 'GET', path: '$metadata', headers: { accept: 'application/xml' } });
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, 'reading $metadata', SYSTEM, res);
    const xml = res.text();
    const sets = [...xml.matchAll(/<EntitySet\s+Name="([^"]+)"/g)].map((m) => m[1]!);
    if (!/<edmx:Edmx/.test(xml)) throw new PlantwireError('erp-not-odata', `${this.session.root}$metadata is not an OData service description: check the service URL`, 'not an OData service');
    await this.session.token();
    const client = this.settings.sapClient ? `, sap-client ${this.settings.sapClient}` : '';
    const names = sets.length > 4 ? `${sets.slice(0, 4).join(', ')}, …` : sets.join(', ');
    // Only what was seen: a token the server issued, or that it issued none (writes are then sent without).
    const csrf = this.session.csrfIssued ? 'CSRF token issued' : 'no CSRF token issued (writes go without one)';
    return `SAP OData v2, $metadata read: ${sets.length} entity set${sets.length === 1 ? '' : 's'} (${names})${client}, ${csrf}`;
  }

  // ------------------------------------------------------------------ single operations

  async execute(req: ErpRequest): Promise<ErpResult> {
    checkRequest(req);
    if (req.operation === 'upsert') return this.upsert(req);
    const plan = await this.plan(req);
    const res = await this.session.send({ method: plan.method, path: plan.path, headers: plan.headers, body: plan.body, write: true });
    const out = this.readAnswer(plan, res.status, lowerHeaders(res.headers), res.body.toString('utf8'), res);
    if (out instanceof Error) throw out;
    return out;
  }

  private async upsert(req: ErpRequest): Promise<ErpResult> {
    if (req.key === undefined || req.key === null || req.key === '') return this.execute({ ...req, operation: 'create' });
    const current = await this.read(req.entity, req.key);
    if (current === null) {
      const r = await this.execute({ ...req, operation: 'create', data: await this.withKey(req) });
      return { ...r, key: r.key ?? req.key };
    }
    return this.execute({ ...req, operation: 'update', etag: req.etag ?? current.etag });
  }

  /** The entity and its ETag, or null when it does not exist. */
  async read(entity: string, key: ErpRequest['key']): Promise<{ entity: V2Entity; etag?: string } | null> {
    const path = `${entity}${await this.predicate(entity, key)}`;
    const res = await this.session.send({ method: 'GET', path });
    if (res.status === 404) return null;
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, `reading ${path}`, SYSTEM, res);
    const d = jsonBody<{ d?: V2Entity }>(res, `reading ${path}`, SYSTEM).d ?? {};
    return { entity: d, etag: d.__metadata?.etag ?? res.header('etag') };
  }

  private async plan(req: ErpRequest, etags?: Map<ErpRequest, string | null>): Promise<Planned> {
    const json = { 'content-type': 'application/json', accept: 'application/json' };
    switch (req.operation) {
      case 'create':
        return {
          req,
          method: 'POST',
          path: req.entity,
          headers: { ...json, 'repeatability-request-id': repeatabilityRequestId(req.idempotencyKey), 'repeatability-first-sent': httpDate(req.firstSentAt) },
          body: JSON.stringify(toV2Json(req.data, await this.propertyTypes(req.entity))),
          key: undefined,
        };
      case 'update':
      case 'delete': {
        const path = `${req.entity}${await this.predicate(req.entity, req.key)}`;
        let etag = req.etag;
        if (etag === undefined) {
          if (etags?.has(req)) etag = etags.get(req) ?? undefined;
          else {
            const cur = await this.read(req.entity, req.key);
            if (cur === null) {
              if (req.operation === 'delete') return { req, method: 'DELETE', path, headers: { accept: 'application/json', 'if-match': '*' }, key: req.key, notFoundOk: true };
              throw notFound(path);
            }
            etag = cur.etag;
          }
        }
        const ifMatch: Record<string, string> = etag ? { 'if-match': etag } : {};
        if (req.operation === 'delete') return { req, method: 'DELETE', path, headers: { accept: 'application/json', ...ifMatch }, key: req.key, notFoundOk: true };
        return { req, method: 'MERGE', path, headers: { ...json, ...ifMatch }, body: JSON.stringify(toV2Json(req.data, await this.propertyTypes(req.entity))), key: req.key };
      }
      case 'action': {
        if (!req.action) throw new PlantwireError('erp-no-action', 'operation "action" needs the function import name', 'no action name');
        // Function imports are not bound in v2: the key goes in as parameters (a scalar key under the
        // entity set's key property name from $metadata, when the request names the entity set).
        let keyParams: Record<string, unknown> = {};
        if (req.key && typeof req.key === 'object') keyParams = req.key;
        else if (req.key !== undefined && req.key !== null && req.key !== '') {
          const names = req.entity ? await this.keyNames(req.entity) : undefined;
          if (names?.length !== 1) throw new PlantwireError('erp-bad-key', `SAP function import ${req.action}: give the key as an object ({"Name": "value"})${req.entity ? `; ${req.entity} has ${names ? `the key ${names.join(', ')}` : 'no key in $metadata'}` : ' or name the entity set'}`, 'key needs names');
          keyParams = { [names[0]!]: req.key };
        }
        const params: Record<string, unknown> = { ...keyParams, ...req.data };
        const ptypes = new Map([...((req.entity ? await this.propertyTypes(req.entity) : undefined) ?? new Map<string, string>()), ...((await this.metadata)?.functions.get(req.action) ?? new Map<string, string>())]);
        const q = Object.entries(params)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(typedLiteral(v, ptypes.get(k))).replace(/%27/g, "'")}`)
          .join('&');
        // An action on an ETag-protected entity needs If-Match (CAP answers 428 without): the given ETag, else the current one.
        let etag = req.etag;
        if (etag === undefined && req.entity && Object.keys(keyParams).length && (await this.hasEtag(req.entity))) {
          const cur = etags?.has(req) ? { etag: etags.get(req) ?? undefined } : await this.read(req.entity, req.key);
          if (cur === null) throw notFound(`${req.entity}${await this.predicate(req.entity, req.key)}`);
          etag = cur.etag;
        }
        return {
          req,
          method: 'POST',
          path: `${req.action}${q ? `?${q}` : ''}`,
          headers: { accept: 'application/json', 'repeatability-request-id': repeatabilityRequestId(req.idempotencyKey), 'repeatability-first-sent': httpDate(req.firstSentAt), ...(etag ? { 'if-match': etag } : {}) },
          key: req.key,
        };
      }
      default:
        throw new PlantwireError('erp-bad-operation', `unknown operation "${String(req.operation)}"`, 'bad operation');
    }
  }

  /** An answer (top-level or one $batch part) → result or error. */
  private readAnswer(plan: Planned, status: number, headers: Record<string, string>, body: string, res?: HttpResponse): ErpResult | Error {
    const what = `${plan.req.operation} ${plan.req.operation === 'action' ? plan.req.action : plan.req.entity}`;
    if (status === 404 && plan.notFoundOk) return { key: plan.key, document: null, status };
    if (!isOk(status) && /^rejected$/i.test(headers['repeatability-result'] ?? '')) {
      const info = parseODataError(body);
      return new ErpBusinessError(
        `SAP refused the repeatable request (Repeatability-Result: rejected, HTTP ${status}): it was first sent ${httpDate(plan.req.firstSentAt)}; SAP cannot tell whether it was already posted. Check in SAP whether the document exists before sending it again as new. SAP says: ${info ? errorText(info) : body.trim() || 'nothing'}`,
        status,
        info?.code ?? 'repeatability-rejected',
        info ?? undefined,
      );
    }
    if (!isOk(status)) return odataFailure(status, headers, body, what, SYSTEM, res);
    const replayed = /replayed/i.test(headers['repeatability-result'] ?? '');
    let d: V2Entity | undefined;
    if (body.trim()) {
      try {
        d = (JSON.parse(body) as { d?: V2Entity }).d;
      } catch {
        d = undefined;
      }
    }
    const etag = d?.__metadata?.etag ?? headers.etag;
    if (plan.req.operation === 'create') {
      const key = keyFromUri(d?.__metadata?.uri ?? headers.location);
      return { key, document: d ? cleanV2(d) : null, status, ...(etag ? { etag } : {}), ...(replayed ? { replayed } : {}) };
    }
    if (plan.req.operation === 'action') {
      const doc = d && typeof d === 'object' && '__metadata' in d ? cleanV2(d) : d && typeof d === 'object' && Array.isArray((d as { results?: unknown }).results) ? ((d as unknown as { results: V2Entity[] }).results.map(cleanV2)) : (d ?? null);
      const key = plan.key ?? keyFromUri(d?.__metadata?.uri);
      return { key, document: doc, status, ...(etag ? { etag } : {}), ...(replayed ? { replayed } : {}) };
    }
    if (plan.req.operation === 'update') return { key: plan.key, document: d ? cleanV2(d) : plan.req.data, status, ...(etag ? { etag } : {}) };
    return { key: plan.key, document: null, status };
  }

  // ------------------------------------------------------------------ $batch

  async executeBatch(reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>> {
    if (reqs.length === 0) return [];
    const results: Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown | undefined> = [...batchProblems(reqs)];
    const hasKey = (r: ErpRequest): boolean => r.key !== undefined && r.key !== null && r.key !== '';
    // Upserts, updates/deletes without an ETag and actions on ETag-protected entities need the current entity: read them all in one $batch first.
    const needsRead = async (r: ErpRequest): Promise<boolean> =>
      (r.operation === 'upsert' && hasKey(r)) || ((r.operation === 'update' || r.operation === 'delete') && r.etag === undefined) || (r.operation === 'action' && r.etag === undefined && !!r.entity && hasKey(r) && (await this.hasEtag(r.entity)));
    const reads: ErpRequest[] = [];
    for (let i = 0; i < reqs.length; i++) if (!results[i] && (await needsRead(reqs[i]!))) reads.push(reqs[i]!);
    const etags = new Map<ErpRequest, string | null>();
    const exists = new Map<ErpRequest, boolean>();
    if (reads.length) {
      const parts = await Promise.all(reads.map(async (r, i) => httpPart({ line: `GET ${r.entity}${await this.predicate(r.entity, r.key)} HTTP/1.1`, headers: { accept: 'application/json' }, body: '' }, { 'content-id': `r${i + 1}` })));
      const answers = await this.sendBatch(parts);
      reads.forEach((r, i) => {
        // Reads are not changesets: matched by Content-ID, or by position only when every read was answered.
        const a = answers.byId.get(`r${i + 1}`) ?? (answers.all.length === reads.length && !answers.all[i]!.id ? answers.all[i]!.msg : undefined);
        const index = reqs.indexOf(r);
        if (!a) {
          results[index] = new ErpOutcomeUnknown(`SAP $batch answered ${answers.all.length} of ${reads.length} reads; ${r.entity} was not read: sent again later`);
          return;
        }
        const st = statusOf(a);
        if (st === 404) {
          exists.set(r, false);
          etags.set(r, null);
        } else if (isOk(st)) {
          let d: V2Entity | undefined;
          try {
            d = (JSON.parse(a.body) as { d?: V2Entity }).d;
          } catch {
            d = undefined;
          }
          exists.set(r, true);
          etags.set(r, d?.__metadata?.etag ?? a.headers.etag ?? null);
        } else {
          const err = odataFailure(st, a.headers, a.body, `reading ${r.entity}`, SYSTEM);
          results[index] = err instanceof ErpBusinessError ? err : new ErpOutcomeUnknown(`reading ${r.entity} before the change failed: ${err.message}`, st);
        }
      });
    }
    const plans: Array<{ index: number; plan: Planned }> = [];
    // A key created earlier in this batch exists when a later document of the batch reaches the server.
    const createdHere = new Set<string>();
    const keyId = (r: ErpRequest): string => `${r.entity}\u0000${JSON.stringify(r.key)}`;
    for (let i = 0; i < reqs.length; i++) {
      if (results[i]) continue;
      const orig = reqs[i]!;
      let r = orig;
      try {
        if (r.operation === 'upsert') {
          if (hasKey(r) && (exists.get(orig) || createdHere.has(keyId(r)))) r = { ...r, operation: 'update', etag: r.etag ?? (exists.get(orig) && !createdHere.has(keyId(r)) ? (etags.get(orig) ?? undefined) : '*') };
          else {
            r = { ...r, operation: 'create', data: await this.withKey(r) };
            if (hasKey(orig)) createdHere.add(keyId(orig));
          }
        } else if ((r.operation === 'update' || r.operation === 'delete') && exists.get(orig) === false) {
          if (r.operation === 'delete') {
            results[i] = { key: r.key, document: null, status: 404 };
            continue;
          }
          results[i] = notFound(`${r.entity}${await this.predicate(r.entity, r.key)}`);
          continue;
        }
        plans.push({ index: i, plan: await this.plan(r, etags.has(orig) ? new Map([[r, etags.get(orig) ?? null]]) : etags) });
      } catch (err) {
        if (err instanceof ErpBusinessError) results[i] = err;
        else throw err;
      }
    }
    if (plans.length) {
      const parts = plans.map(({ plan }, n) => {
        const cs = newBoundary('changeset');
        const msg: HttpMessage = { line: `${plan.method} ${plan.path} HTTP/1.1`, headers: { ...plan.headers, ...(plan.body !== undefined ? { 'content-length': String(Buffer.byteLength(plan.body)) } : {}) }, body: plan.body ?? '' };
        return { headers: { 'content-type': `multipart/mixed; boundary=${cs}` }, body: joinMultipart([httpPart(msg, { 'content-id': String(n + 1) })], cs) } as MimePart;
      });
      const answers = await this.sendBatch(parts);
      // Every changeset answered (in order): an answer without Content-ID (SAP Gateway's failed changeset) is that changeset's.
      const complete = answers.all.length === plans.length;
      plans.forEach(({ index, plan }, n) => {
        const a = answers.byId.get(String(n + 1)) ?? (complete && !answers.all[n]!.id ? answers.all[n]!.msg : undefined);
        if (!a) {
          results[index] = new ErpOutcomeUnknown(`SAP $batch answered ${answers.all.length} of ${plans.length} changesets and none for this document (Content-ID ${n + 1}): sent again later with the same Repeatability-Request-ID`);
          return;
        }
        const out = this.readAnswer(plan, statusOf(a), a.headers, a.body);
        if (out instanceof ErpBusinessError) results[index] = out;
        else if (out instanceof Error) results[index] = new ErpOutcomeUnknown(`SAP $batch: ${out.message}`, statusOf(a));
        else results[index] = out;
      });
    }
    return results.map((r, i) => r ?? new ErpOutcomeUnknown(`no answer for document ${i + 1} of the batch`));
  }

  /**
   * POSTs a $batch (asking the server to answer every changeset, `Prefer: odata.continue-on-error`) and
   * returns its answers: each top-level part's HTTP message (a changeset's first answer) with its Content-ID,
   * taken from the inner part, the MIME part or the HTTP message headers.
   */
  private async sendBatch(parts: MimePart[]): Promise<{ all: Array<{ id?: string; msg: HttpMessage }>; byId: Map<string, HttpMessage> }> {
    const boundary = newBoundary('batch');
    const body = joinMultipart(parts, boundary);
    const res = await this.session.send({ method: 'POST', path: '$batch', headers: { 'content-type': `multipart/mixed; boundary=${boundary}`, accept: 'multipart/mixed', prefer: 'odata.continue-on-error' }, body, write: true });
    if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, '$batch', SYSTEM, res);
    const rb = boundaryOf(res.header('content-type'));
    if (!rb) throw new PlantwireError('erp-batch', `SAP $batch answer is not multipart (content-type ${res.header('content-type') ?? 'none'})`, 'bad $batch answer');
    const all = splitMultipart(res.text(), rb).map((p) => {
      const ct = p.headers['content-type'] ?? '';
      let part: MimePart = p;
      if (/^multipart\/mixed/i.test(ct)) part = splitMultipart(p.body, boundaryOf(ct) ?? '')[0] ?? { headers: {}, body: '' };
      const msg = parseHttpMessage(part.body);
      const id = part.headers['content-id'] ?? p.headers['content-id'] ?? msg.headers['content-id'];
      return { ...(id ? { id: id.replace(/^<|>$/g, '') } : {}), msg };
    });
    const byId = new Map<string, HttpMessage>();
    for (const a of all) if (a.id && !byId.has(a.id)) byId.set(a.id, a.msg);
    return { all, byId };
  }

  // ------------------------------------------------------------------ query

  async query(q: ErpQuery): Promise<ErpQueryResult> {
    if (!q.entity) throw new PlantwireError('erp-no-entity', 'the query needs an entity set', 'no entity set');
    if (Array.isArray(q.filter)) throw new PlantwireError('erp-bad-filter', 'an OData $filter is a string (e.g. "OrderIsReleased eq true"), not an array', 'bad filter');
    const query: Record<string, string | undefined> = {
      $filter: q.filter || undefined,
      $select: q.select?.length ? q.select.join(',') : undefined,
      $expand: q.expand || undefined,
      $orderby: q.orderby || undefined,
      $top: q.top !== undefined ? String(q.top) : undefined,
      $format: 'json',
    };
    const rows: Array<Record<string, unknown>> = [];
    const maxPages = q.maxPages ?? 100;
    let url: string | undefined = this.session.url(q.entity, query);
    let pages = 0;
    while (url && pages < maxPages) {
      const res = await this.session.send({ method: 'GET', path: url });
      if (!isOk(res.status)) throw odataFailure(res.status, res.headers, res.body, `query ${q.entity}`, SYSTEM, res);
      pages += 1;
      const j = jsonBody<{ d?: { results?: V2Entity[]; __next?: string } | V2Entity[] }>(res, `query ${q.entity}`, SYSTEM);
      const d = j.d;
      const list = Array.isArray(d) ? d : (d?.results ?? []);
      for (const e of list) rows.push(cleanV2(e));
      if (q.top !== undefined && rows.length >= q.top) {
        rows.length = q.top;
        break;
      }
      const next = Array.isArray(d) ? undefined : d?.__next;
      url = next ? new URL(next, url).href : undefined;
    }
    return { rows, pages };
  }

  close(): void {
    this.session.reset();
    this.metadata = null;
  }
}


function notFound(path: string): ErpBusinessError {
  return new ErpBusinessError(`${path} does not exist`, 404, 'not-found');
}

function statusOf(m: HttpMessage): number {
  const s = /^HTTP\/\d\.\d\s+(\d{3})/.exec(m.line);
  return s ? Number(s[1]) : 0;
}

function lowerHeaders(h: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** Entity set → its key property names, from an EDMX v2 document. */
export function parseV2MetadataKeys(xml: string): Map<string, string[]> {
  const typeKeys = new Map<string, string[]>();
  for (const m of xml.matchAll(/<EntityType\s+Name="([^"]+)"[^>]*>([\s\S]*?)<\/EntityType>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[2]!)?.[1] ?? '';
    typeKeys.set(m[1]!, [...key.matchAll(/<PropertyRef\s+Name="([^"]+)"/g)].map((k) => k[1]!));
  }
  const sets = new Map<string, string[]>();
  for (const m of xml.matchAll(/<EntitySet\s([^>]*?)\/?>/g)) {
    const name = /\bName="([^"]+)"/.exec(m[1]!)?.[1];
    const type = /\bEntityType="([^"]+)"/.exec(m[1]!)?.[1];
    const keys = type ? typeKeys.get(type.replace(/^.*\./, '')) : undefined;
    if (name && keys) sets.set(name, keys);
  }
  return sets;
}

/** Entity set → property → Edm type, from an EDMX v2 document. */
export function parseV2Metadata(xml: string): Map<string, Map<string, string>> {
  const types = new Map<string, Map<string, string>>();
  for (const m of xml.matchAll(/<EntityType\s+Name="([^"]+)"[^>]*>([\s\S]*?)<\/EntityType>/g)) {
    const props = new Map<string, string>();
    for (const p of m[2]!.matchAll(/<Property\s([^>]*?)\/?>/g)) {
      const name = /\bName="([^"]+)"/.exec(p[1]!)?.[1];
      const type = /\bType="([^"]+)"/.exec(p[1]!)?.[1];
      if (name && type) props.set(name, type);
    }
    types.set(m[1]!, props);
  }
  const sets = new Map<string, Map<string, string>>();
  for (const m of xml.matchAll(/<EntitySet\s([^>]*?)\/?>/g)) {
    const name = /\bName="([^"]+)"/.exec(m[1]!)?.[1];
    const type = /\bEntityType="([^"]+)"/.exec(m[1]!)?.[1];
    const props = type ? types.get(type.replace(/^.*\./, '')) : undefined;
    if (name && props) sets.set(name, props);
  }
  return sets;
}

function toMillis(v: unknown): number | undefined {
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v !== 'string' || /^\/Date\(/.test(v)) return undefined;
  const s = v.trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) return Date.parse(`${s}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const t = Date.parse(/[zZ]$|[+-]\d\d:?\d\d$/.test(s) ? s : `${s}Z`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * JS values → SAP OData v2 JSON for the property types of the entity set (when known from
 * $metadata): Edm.Decimal and Edm.Int64 as strings, Edm.DateTime(Offset) as "/Date(ms)/"
 * (from a Date, epoch ms or an ISO string; a date alone is midnight UTC), Edm.Time "hh:mm:ss"
 * as "PThhHmmMssS", integer and boolean text as numbers and booleans, numbers for Edm.String as
 * text. Without metadata only Date objects are converted. Anything else is sent as mapped.
 */
export function toV2Json(data: Record<string, unknown>, types?: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    const t = types?.get(k);
    if (v === null || v === undefined || !t) {
      out[k] = v instanceof Date ? `/Date(${v.getTime()})/` : v;
      continue;
    }
    switch (t) {
      case 'Edm.Decimal':
      case 'Edm.Int64':
        out[k] = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
        break;
      case 'Edm.Int32':
      case 'Edm.Int16':
      case 'Edm.Byte':
      case 'Edm.SByte':
        out[k] = typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : v;
        break;
      case 'Edm.Boolean':
        out[k] = v === 'true' ? true : v === 'false' ? false : v;
        break;
      case 'Edm.String':
        out[k] = typeof v === 'number' || typeof v === 'boolean' ? String(v) : v;
        break;
      case 'Edm.DateTime':
      case 'Edm.DateTimeOffset': {
        const ms = toMillis(v);
        out[k] = ms === undefined ? v : t === 'Edm.DateTimeOffset' ? `/Date(${ms}+0000)/` : `/Date(${ms})/`;
        break;
      }
      case 'Edm.Time': {
        const m = typeof v === 'string' ? /^(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(v.trim()) : null;
        out[k] = m ? `PT${m[1]!.padStart(2, '0')}H${m[2]}M${m[3] ?? '00'}S` : v;
        break;
      }
      default:
        out[k] = v instanceof Date ? `/Date(${v.getTime()})/` : v;
    }
  }
  return out;
}

interface V2Metadata {
  types: Map<string, Map<string, string>>;
  keys: Map<string, string[]>;
  /** Entity sets whose type has a ConcurrencyMode="Fixed" property (an ETag). */
  etag: Set<string>;
  /** Function import → parameter → Edm type. */
  functions: Map<string, Map<string, string>>;
}

function v2Metadata(xml: string): V2Metadata {
  const etagTypes = new Set<string>();
  for (const m of xml.matchAll(/<EntityType\s+Name="([^"]+)"[^>]*>([\s\S]*?)<\/EntityType>/g)) if (/ConcurrencyMode="Fixed"/.test(m[2]!)) etagTypes.add(m[1]!);
  const etag = new Set<string>();
  for (const m of xml.matchAll(/<EntitySet\s([^>]*?)\/?>/g)) {
    const name = /\bName="([^"]+)"/.exec(m[1]!)?.[1];
    const type = /\bEntityType="([^"]+)"/.exec(m[1]!)?.[1];
    if (name && type && etagTypes.has(type.replace(/^.*\./, ''))) etag.add(name);
  }
  const functions = new Map<string, Map<string, string>>();
  for (const m of xml.matchAll(/<FunctionImport\s+Name="([^"]+)"[^>]*?(?:\/>|>([\s\S]*?)<\/FunctionImport>)/g)) {
    const params = new Map<string, string>();
    for (const p of (m[2] ?? '').matchAll(/<Parameter\s([^>]*?)\/?>/g)) {
      const name = /\bName="([^"]+)"/.exec(p[1]!)?.[1];
      const type = /\bType="([^"]+)"/.exec(p[1]!)?.[1];
      if (name && type) params.set(name, type);
    }
    functions.set(m[1]!, params);
  }
  return { types: parseV2Metadata(xml), keys: parseV2MetadataKeys(xml), etag, functions };
}

/** A v2 URI literal for a value of a known Edm type (guid'…', datetime'…'), else as uriLiteral guesses. */
function typedLiteral(v: unknown, type: string | undefined): string {
  if (type === 'Edm.Guid' && typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v)) return `guid'${v}'`;
  if ((type === 'Edm.DateTime' || type === 'Edm.DateTimeOffset') && typeof v === 'string') {
    const ms = toMillis(v);
    if (ms !== undefined) return type === 'Edm.DateTime' ? `datetime'${new Date(ms).toISOString().slice(0, 19)}'` : `datetimeoffset'${new Date(ms).toISOString()}'`;
  }
  if ((type === 'Edm.Int64' || type === 'Edm.Decimal') && (typeof v === 'number' || (typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v)))) return `${v}${type === 'Edm.Int64' ? 'L' : 'M'}`;
  if (type === 'Edm.String' && (typeof v === 'number' || typeof v === 'boolean')) return uriLiteral(String(v), 2);
  return uriLiteral(v, 2);
}
