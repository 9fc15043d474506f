/**
 * The fields of plantwire-erp-out and plantwire-erp-query, validated without
 * Node-RED, and the per-message pieces that do not need the runtime (the
 * entity path template, the dead-letter and result messages).
 */
import { type TypedSetting, type TypedSource } from '../../model/settings';
import { PlantwireError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { checkEntityPath } from './entity';
import { bad, CONNECTION_KIND, erpOutFields, text } from './out-fields';
import type { ErpKind, ErpOperation, ErpQuery } from './types';
import { excerpt } from '../../model/limits';
import { setOwn } from '../../model/safe-object';

export { ERP_OPERATIONS } from './out-fields';
export { checkEntity, checkEntityPath, templateFields } from './entity';

export interface ErpOutConfig {
  operation?: unknown;
  entity?: unknown;
  entityType?: unknown;
  key?: unknown;
  keyType?: unknown;
  action?: unknown;
  mapping?: unknown;
  externalKeyField?: unknown;
  batchSize?: unknown;
  batchMs?: unknown;
}

export interface ErpOutSettings {
  operation: ErpOperation;
  /** The entity when fixed ('' when it is read per message: see `entitySource`, `checkEntity`). */
  entity: string;
  /** Where the entity comes from: fixed, or read per message from msg/flow/global/env. */
  entitySource: TypedSetting;
  /** JSONata for the document key ('' = none), or the property/variable it is read from (`keyType`). */
  key: string;
  /** `jsonata` (an expression over the message, as before version 2), or a typed source (str/msg/flow/global/env). */
  keyType: 'jsonata' | TypedSource;
  action: string;
  /** JSONata producing the document. */
  mapping: string;
  externalKeyField: string;
  /** Documents per call (1 = one request per document; more = executeBatch, e.g. one OData $batch). */
  batchSize: number;
  /** Wait up to this long for a batch to fill (0 = send what is there). */
  batchMs: number;
}


/**
 * The node's settings, read by its field spec (./out-fields.ts: the dialog's
 * rules) with the connection's system at hand for the rules that depend on it.
 */
export function erpOutSettings(config: ErpOutConfig, kind?: ErpKind): ErpOutSettings {
  const p = parseFields(erpOutFields, { ...(config as Record<string, unknown>), [CONNECTION_KIND]: kind });
  const entitySource = p.entity;
  return {
    operation: p.operation as ErpOperation,
    entity: entitySource.type === 'str' ? text(entitySource.value) : '',
    entitySource,
    key: p.key,
    keyType: p.keyType as ErpOutSettings['keyType'],
    action: text(p.action),
    mapping: p.mapping || 'payload',
    externalKeyField: p.externalKeyField,
    batchSize: p.batchSize,
    batchMs: p.batchMs,
  };
}

function lookup(obj: unknown, path: string): unknown {
  let cur: unknown = obj;
  for (const part of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/**
 * Fills an entity path template: {key} is the evaluated key, any other {name}
 * a field of the document, else of the message ({payload.order}, {topic}).
 * Values are URL-encoded; a missing one is an error naming the placeholder.
 */
export function fillEntity(template: string, vars: { key?: unknown; document: unknown; msg: unknown }): string {
  return template.replace(/\{([^{}]*)\}/g, (_all, raw: string) => {
    const name = raw.trim();
    let v = name === 'key' ? vars.key : lookup(vars.document, name);
    if (v === undefined || v === null) v = lookup(vars.msg, name);
    if (v === undefined || v === null || v === '') throw new PlantwireError('bad-input', `entity path "${template}": no value for {${name}} in the document or the message`, `no value for {${name}}`);
    if (typeof v === 'object') throw new PlantwireError('bad-input', `entity path "${template}": {${name}} is an object, not a single value`, `{${name}} is not a value`);
    // encodeURIComponent keeps "." and "..", which a URL reads as this or the parent path segment.
    if (/^\.{1,2}$/.test(String(v))) throw new PlantwireError('bad-input', `entity path "${template}": {${name}} is "${String(v)}", which would change the path instead of naming a document`, `{${name}} is "${String(v)}"`);
    return encodeURIComponent(String(v));
  });
}

/** A document key from the key expression: a scalar or a compound key object of scalars. */
export function documentKey(value: unknown): string | number | Record<string, string | number | boolean> | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string' || typeof value === 'number') return value;
  if (typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new PlantwireError('bad-input', `key field ${k} must be a string, number or boolean, got ${excerpt(v)}`, `key field ${k} not a value`);
      out[k] = v;
    }
    return out;
  }
  throw new PlantwireError('bad-input', `the key expression must give a string, a number or an object of key fields, got ${excerpt(value)}`, 'key is not a value');
}

/** Cross-realm checks: objects built in a function node come from another V8 context (their own Object and Date). */
const isDate = (v: unknown): v is Date => Object.prototype.toString.call(v) === '[object Date]';
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as object | null;
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/** What a value is, in words, for an error message. */
function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (isDate(v)) return 'a Date';
  if (Buffer.isBuffer(v)) return 'a Buffer';
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return 'binary data';
  if (typeof v === 'bigint') return 'a BigInt';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'symbol') return 'a symbol';
  if (typeof v === 'object') {
    const name = (Object.getPrototypeOf(v) as { constructor?: { name?: string } } | null)?.constructor?.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  return excerpt(v);
}

const refuse = (path: string, v: unknown, hint: string): PlantwireError =>
  new PlantwireError('bad-input', `the document field ${path} is ${kindOf(v)}: ${hint}`, `${path}: ${kindOf(v)} not allowed`);

/**
 * A document as it will be stored and sent: plain JSON only, checked before anything is stored so
 * that what the ERP receives is what the mapping built. A Date becomes ISO 8601 text (the drivers
 * convert it to the field's Edm type); a Buffer or typed array, a BigInt, a function, a symbol, a
 * non-finite number, a Map/Set/class instance or a cycle is refused with the field's path (JSON
 * would turn them into something else or drop them). Undefined fields are left out.
 */
function plainValue(v: unknown, path: string, seen: Set<object>): unknown {
  if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw refuse(path, v, 'JSON has no NaN or Infinity; map it to null or a number');
    return v;
  }
  if (isDate(v)) {
    if (Number.isNaN(v.getTime())) throw refuse(path, v, 'an invalid Date; map a valid one or ISO text');
    return new Date(v.getTime()).toISOString();
  }
  if (typeof v === 'bigint') throw refuse(path, v, 'JSON cannot hold it; map it to a string ($string()) or a number');
  if (typeof v === 'function' || typeof v === 'symbol') throw refuse(path, v, 'only JSON values can be sent');
  if (Buffer.isBuffer(v) || ArrayBuffer.isView(v) || v instanceof ArrayBuffer) throw refuse(path, v, 'binary data is not a JSON value; encode it (e.g. base64) in the mapping');
  if (typeof v === 'object') {
    if (seen.has(v)) throw new PlantwireError('bad-input', `the document field ${path} refers back to itself (a cycle)`, `${path}: cycle`);
    seen.add(v);
    try {
      if (Array.isArray(v)) return v.map((x, i) => plainValue(x === undefined ? null : x, `${path}[${i}]`, seen));
      if (!isPlainObject(v)) throw refuse(path, v, 'only plain objects, arrays, text, numbers, booleans and null can be sent');
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (x === undefined) continue;
        setOwn(out, k, plainValue(x, `${path}.${k}`, seen));
      }
      return out;
    } finally {
      seen.delete(v);
    }
  }
  throw refuse(path, v, 'only JSON values can be sent');
}

/** The mapping's result must be a document: a plain JSON object (checked deeply; Dates become ISO text). */
export function documentOf(value: unknown): Record<string, unknown> {
  if (value === undefined) throw new PlantwireError('bad-input', 'the mapping returned nothing for this message (no match): check the paths it reads, e.g. payload.order', 'mapping returned nothing');
  if (!isPlainObject(value)) {
    const what = kindOf(value);
    throw new PlantwireError('bad-input', `the mapping must build a JSON object (the document), got ${what}${isDate(value) ? ': map it into a field, e.g. {"ReportedAt": payload}' : ''}`, `mapping: ${what}, not an object`);
  }
  return plainValue(value, 'document', new Set()) as Record<string, unknown>;
}

/**
 * The idempotency key of a buffered document: the entry key (`<node id>:<entry id>`) plus the
 * time it was queued. Both are stored with the entry, so the key is the same on every retry and
 * after a restart; the time keeps it unique when entry ids start again at 1 (a memory buffer
 * after a redeploy, a node deleted and imported again), where the bare entry key would make the
 * ERP answer a new document with an old one's result.
 */
export function idempotencyKey(e: { key: string; ts: number }): string {
  return `${e.key}-${e.ts.toString(36)}`;
}

export interface ErpQueryConfig {
  entity?: unknown;
  filter?: unknown;
  select?: unknown;
  expand?: unknown;
  orderby?: unknown;
  top?: unknown;
}

/** The query node's fields, optionally overridden by the same names in msg.payload; `perMessage` names where config.entity was read from when it came from the message. */
export function erpQuerySettings(config: ErpQueryConfig, override: unknown = undefined, perMessage?: string): ErpQuery {
  const o = override && typeof override === 'object' && !Array.isArray(override) ? (override as Record<string, unknown>) : {};
  const pick = (k: keyof ErpQueryConfig): unknown => (o[k] !== undefined ? o[k] : config[k]);
  const entity = text(pick('entity'));
  if (entity === '') throw bad('entity is empty: enter the entity set (e.g. A_ProductionOrder_2), the Odoo model (e.g. mrp.production) or the REST path', 'entity is empty');
  // An entity read per message (a typed input, or msg.payload.entity) stays a path below the connection's URL.
  const from = o.entity !== undefined ? 'entity from msg.payload.entity' : perMessage;
  if (from) checkEntityPath(entity, from, (m, st) => new PlantwireError('bad-input', m, st));
  const q: ErpQuery = { entity };
  const filter = pick('filter');
  if (Array.isArray(filter)) q.filter = filter;
  else if (text(filter) !== '') {
    const f = text(filter);
    // An Odoo domain may be written as JSON text in the dialog.
    if (f.startsWith('[')) {
      try {
        q.filter = JSON.parse(f) as unknown[];
      } catch (err) {
        throw bad(`filter looks like an Odoo domain but is not valid JSON: ${(err as Error).message}`, 'filter: bad JSON');
      }
    } else q.filter = f;
  }
  const select = pick('select');
  const fields = Array.isArray(select) ? select.map(String) : text(select).split(',').map((s) => s.trim()).filter(Boolean);
  if (fields.length) q.select = fields;
  const expand = text(pick('expand'));
  if (expand) q.expand = expand;
  const orderby = text(pick('orderby'));
  if (orderby) q.orderby = orderby;
  const topRaw = pick('top');
  if (topRaw !== undefined && topRaw !== '' && topRaw !== null && topRaw !== 0 && topRaw !== '0') {
    const top = Number(topRaw);
    if (!Number.isInteger(top) || top < 1 || top > 1_000_000) throw bad(`top must be a whole number from 1 to 1000000 (empty = all rows), got ${JSON.stringify(topRaw)}`, 'top: 1–1000000');
    q.top = top;
  }
  return q;
}
