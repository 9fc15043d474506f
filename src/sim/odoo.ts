import http from 'node:http';
import type net from 'node:net';

/**
 * An Odoo JSON-RPC server (the `/jsonrpc` endpoint of Odoo 17) that keeps its
 * records in memory, for the ERP demo and tests. It speaks the real protocol:
 * `common.version`, `common.authenticate`, `common.login` and
 * `object.execute_kw(db, uid, password|api key, model, method, args, kwargs)`
 * with `search`, `search_read`, `search_count`, `read`, `create`, `write`,
 * `unlink`, `fields_get` and the model methods `mrp.production.action_confirm`
 * and `button_mark_done`. Domains are Odoo's prefix notation (`&`, `|`, `!`,
 * implicit and) with the operators `=`, `!=`, `in`, `not in`, `like`, `ilike`,
 * `not ilike`, `=like`, `=ilike`, `>`, `>=`, `<`, `<=`. Faults come in Odoo's
 * JSON shape (`error.data.name` = `odoo.exceptions.ValidationError` …).
 *
 * Fault switch: `faults.dropRate` (0…1) drops that fraction of responses AFTER
 * the call has been carried out (committed), by resetting the connection
 * (`dropMode: 'reset'`) or by never answering (`'hang'`: the client times out).
 * A client that retries such a call must not create a second record.
 *
 * Pure node:http; no Node-RED. Documented in docs/simulators.md ("Odoo").
 */

export interface OdooSimUser {
  login: string;
  password: string;
  /** API keys (Odoo 14+: Preferences → Account Security → New API Key) accepted instead of the password. */
  apiKeys?: string[];
  /** Default: 2 for the first user (Odoo's admin), then 6, 7, … */
  uid?: number;
}

export interface OdooSimOptions {
  /** TCP port; 0 picks a free one. Default 8069 (Odoo's port). */
  port?: number;
  /** Interface; loopback by default. */
  host?: string;
  /** The one database served. Default "plantwire". */
  database?: string;
  /** Default: admin / admin with API key "plantwire-odoo-demo-key". */
  users?: OdooSimUser[];
  /** Fraction of responses dropped after committing (0…1). Default 0. */
  dropRate?: number;
  dropMode?: 'reset' | 'hang';
  /** Seed of the drop decisions (same seed, same sequence). Default 1. */
  seed?: number;
  /** One line per mutating call and per dropped response. */
  log?: (line: string) => void;
  /**
   * Start with the demo's production orders: WH/MO/00001 (Line1, 20,000 × Bottle 0.5 l still)
   * and WH/MO/00002 (Line2, 12,000 × Bottle 1.0 l sparkling), both confirmed. Default false
   * (empty store); `plantwire sim odoo` turns it on.
   */
  demoData?: boolean;
}

export type OdooValue = string | number | boolean | null | [number, string] | number[];
export type OdooRecord = Record<string, OdooValue> & { id: number };

export interface OdooSim {
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly database: string;
  /** Change at run time: the next calls follow the new setting. */
  readonly faults: { dropRate: number; dropMode: 'reset' | 'hang' };
  readonly stats: { calls: number; dropped: number; faults: number; methods: Record<string, number> };
  /** The stored records of a model in id order (copies; many2one as [id, name]). */
  records(model: string): OdooRecord[];
  /** Forget every document (mrp.production, maintenance.request); the master data (and the demo orders, with demoData) stay. */
  reset(): void;
  close(): Promise<void>;
}

export const ODOO_SIM_VERSION = '17.0';
export const ODOO_SIM_DEFAULT_USER: Readonly<OdooSimUser> = { login: 'admin', password: 'admin', apiKeys: ['plantwire-odoo-demo-key'], uid: 2 };

type FieldType = 'char' | 'text' | 'integer' | 'float' | 'selection' | 'many2one' | 'datetime' | 'date';
interface FieldDef {
  type: FieldType;
  string: string;
  required?: boolean;
  readonly?: boolean;
  relation?: string;
  selection?: Array<[string, string]>;
  default?: (store: Store, model: string) => OdooValue;
}
interface ModelDef {
  description: string;
  fields: Record<string, FieldDef>;
  /** Default order (Odoo's _order). */
  order: string;
  /** The field shown as display_name. */
  recName: string;
  /** Master data: read-only over RPC in this simulator. */
  master?: boolean;
  methods?: Record<string, (ctx: CallCtx, ids: number[], args: unknown[], kwargs: Record<string, unknown>) => unknown>;
  constraints?: (ctx: CallCtx, rec: OdooRecord) => void;
}

/** An Odoo exception: becomes a JSON-RPC error with data.name = `name`. */
export class OdooFault extends Error {
  constructor(readonly exception: string, message: string, readonly code = 200) {
    super(message);
    this.name = 'OdooFault';
  }
}
const ValidationError = (m: string): OdooFault => new OdooFault('odoo.exceptions.ValidationError', m);
const UserError = (m: string): OdooFault => new OdooFault('odoo.exceptions.UserError', m);
const MissingError = (m: string): OdooFault => new OdooFault('odoo.exceptions.MissingError', m);
const AccessDenied = (): OdooFault => new OdooFault('odoo.exceptions.AccessDenied', 'Access Denied');
const AccessError = (m: string): OdooFault => new OdooFault('odoo.exceptions.AccessError', m);
const ValueErr = (m: string): OdooFault => new OdooFault('builtins.ValueError', m);

interface CallCtx {
  store: Store;
  uid: number;
  now: Date;
}

const nowText = (d: Date): string => d.toISOString().slice(0, 19).replace('T', ' ');

const PRODUCTION_STATES: Array<[string, string]> = [
  ['draft', 'Draft'],
  ['confirmed', 'Confirmed'],
  ['progress', 'In Progress'],
  ['to_close', 'To Close'],
  ['done', 'Done'],
  ['cancel', 'Cancelled'],
];

const MODELS: Record<string, ModelDef> = {
  'product.product': {
    description: 'Product Variant',
    order: 'default_code, name, id',
    recName: 'name',
    master: true,
    fields: { name: { type: 'char', string: 'Name', required: true }, default_code: { type: 'char', string: 'Internal Reference' } },
  },
  'maintenance.equipment': {
    description: 'Maintenance Equipment',
    order: 'name, id',
    recName: 'name',
    master: true,
    fields: { name: { type: 'char', string: 'Equipment Name', required: true }, serial_no: { type: 'char', string: 'Serial Number' } },
  },
  'maintenance.stage': {
    description: 'Maintenance Stage',
    order: 'sequence, id',
    recName: 'name',
    master: true,
    fields: { name: { type: 'char', string: 'Name', required: true }, sequence: { type: 'integer', string: 'Sequence' }, done: { type: 'integer', string: 'Request Done' } },
  },
  'mrp.production': {
    description: 'Production Order',
    order: 'id',
    recName: 'name',
    fields: {
      name: { type: 'char', string: 'Reference', default: (s) => `WH/MO/${String(s.nextId('mrp.production')).padStart(5, '0')}` },
      product_id: { type: 'many2one', string: 'Product', relation: 'product.product', required: true },
      product_qty: { type: 'float', string: 'Quantity To Produce', required: true, default: () => 1 },
      qty_producing: { type: 'float', string: 'Quantity Producing', default: () => 0 },
      state: { type: 'selection', string: 'State', selection: PRODUCTION_STATES, default: () => 'draft' },
      origin: { type: 'char', string: 'Source' },
      date_start: { type: 'datetime', string: 'Start', default: () => nowText(new Date()) },
      x_plantwire_key: { type: 'char', string: 'Plantwire key' },
    },
    constraints: (_ctx, rec) => {
      if (typeof rec.product_qty === 'number' && rec.product_qty <= 0) throw ValidationError('The quantity to produce must be positive!');
      if (typeof rec.qty_producing === 'number' && rec.qty_producing < 0) throw ValidationError('The quantity producing cannot be negative.');
    },
    methods: {
      action_confirm: (ctx, ids) => {
        for (const id of ids) {
          const rec = ctx.store.get('mrp.production', id);
          if (rec.state === 'draft') rec.state = 'confirmed';
          rec.write_date = nowText(ctx.now);
        }
        return true;
      },
      button_mark_done: (ctx, ids) => {
        for (const id of ids) {
          const rec = ctx.store.get('mrp.production', id);
          if (rec.state === 'draft') throw UserError(`Manufacturing order ${String(rec.name)} is not confirmed: confirm it before marking it as done.`);
          if (rec.state === 'cancel' || rec.state === 'done') throw UserError(`Manufacturing order ${String(rec.name)} is already ${String(rec.state)}.`);
          if (!rec.qty_producing) rec.qty_producing = rec.product_qty as number;
          rec.state = 'done';
          rec.write_date = nowText(ctx.now);
        }
        return true;
      },
    },
  },
  'maintenance.request': {
    description: 'Maintenance Request',
    order: 'id desc',
    recName: 'name',
    fields: {
      name: { type: 'char', string: 'Subjects', required: true },
      description: { type: 'text', string: 'Description' },
      equipment_id: { type: 'many2one', string: 'Equipment', relation: 'maintenance.equipment' },
      priority: {
        type: 'selection',
        string: 'Priority',
        selection: [
          ['0', 'Very Low'],
          ['1', 'Low'],
          ['2', 'Normal'],
          ['3', 'High'],
        ],
        default: () => '0',
      },
      maintenance_type: {
        type: 'selection',
        string: 'Maintenance Type',
        selection: [
          ['corrective', 'Corrective'],
          ['preventive', 'Preventive'],
        ],
        default: () => 'corrective',
      },
      stage_id: { type: 'many2one', string: 'Stage', relation: 'maintenance.stage', default: () => 1 },
      request_date: { type: 'date', string: 'Request Date', default: () => new Date().toISOString().slice(0, 10) },
      x_plantwire_key: { type: 'char', string: 'Plantwire key' },
    },
  },
};

const MASTER: Record<string, Array<Record<string, OdooValue>>> = {
  'product.product': [
    { name: 'Bottle 0.5 l still', default_code: 'BOT-050' },
    { name: 'Bottle 1.0 l sparkling', default_code: 'BOT-100' },
  ],
  'maintenance.equipment': [
    { name: 'Line1 Filler', serial_no: 'FIL-1001' },
    { name: 'Line1 Capper', serial_no: 'CAP-1002' },
    { name: 'Line1 Inspector', serial_no: 'INS-1003' },
    { name: 'Line2 Filler', serial_no: 'FIL-2001' },
    { name: 'Line2 Capper', serial_no: 'CAP-2002' },
    { name: 'Line2 Inspector', serial_no: 'INS-2003' },
  ],
  'maintenance.stage': [
    { name: 'New Request', sequence: 1, done: 0 },
    { name: 'In Progress', sequence: 2, done: 0 },
    { name: 'Repaired', sequence: 3, done: 1 },
    { name: 'Scrap', sequence: 4, done: 1 },
  ],
};

class Store {
  private tables = new Map<string, Map<number, OdooRecord>>();
  private next = new Map<string, number>();

  constructor() {
    for (const model of Object.keys(MODELS)) this.tables.set(model, new Map());
    for (const [model, rows] of Object.entries(MASTER)) for (const row of rows) this.insert(model, { ...row });
  }

  nextId(model: string): number {
    return this.next.get(model) ?? 1;
  }

  insert(model: string, vals: Record<string, OdooValue>): number {
    const id = this.nextId(model);
    this.next.set(model, id + 1);
    this.tables.get(model)!.set(id, { ...vals, id });
    return id;
  }

  table(model: string): Map<number, OdooRecord> {
    return this.tables.get(model)!;
  }

  has(model: string, id: number): boolean {
    return this.tables.get(model)?.has(id) ?? false;
  }

  get(model: string, id: number): OdooRecord {
    const rec = this.tables.get(model)?.get(id);
    if (!rec) throw MissingError(`Record does not exist or has been deleted.\n(Record: ${model}(${id},), User: 2)`);
    return rec;
  }

  clearDocuments(): void {
    for (const [model, def] of Object.entries(MODELS)) {
      if (def.master) continue;
      this.tables.get(model)!.clear();
      this.next.delete(model);
    }
  }
}

/** Deterministic [0,1) generator (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0 || 1;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function modelDef(model: unknown): ModelDef {
  if (typeof model !== 'string' || !Object.prototype.hasOwnProperty.call(MODELS, model)) throw UserError(`Object ${String(model)} doesn't exist`);
  return MODELS[model]!;
}

function fieldDef(model: string, def: ModelDef, name: string): FieldDef | undefined {
  if (name === 'id') return { type: 'integer', string: 'ID', readonly: true };
  if (name === 'display_name') return { type: 'char', string: 'Display Name', readonly: true };
  if (name === 'create_date' || name === 'write_date') return { type: 'datetime', string: name === 'create_date' ? 'Created on' : 'Last Updated on', readonly: true };
  void model;
  return def.fields[name];
}

function idList(v: unknown, what: string): number[] {
  const list = typeof v === 'number' ? [v] : v;
  if (!Array.isArray(list) || !list.every((x) => Number.isInteger(x))) throw ValueErr(`${what}: expected a list of record ids, got ${JSON.stringify(v)}`);
  return list as number[];
}

/** Converts an incoming value for a field (type checks as Odoo's convert_to_cache would). */
function coerce(store: Store, model: string, name: string, f: FieldDef, v: unknown): OdooValue {
  if (v === false || v === null) {
    if (f.required) throw ValidationError(`The field "${f.string}" (${name}) is required on ${MODELS[model]!.description}.`);
    return false;
  }
  switch (f.type) {
    case 'char':
    case 'text':
    case 'date':
    case 'datetime':
      if (typeof v === 'string') return v;
      if (typeof v === 'number') return String(v);
      throw ValueErr(`Wrong value for ${model}.${name}: ${JSON.stringify(v)}`);
    case 'integer':
    case 'float': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || !Number.isFinite(n)) throw ValueErr(`Wrong value for ${model}.${name}: ${JSON.stringify(v)}`);
      return f.type === 'integer' ? Math.trunc(n) : n;
    }
    case 'selection': {
      const s = typeof v === 'number' ? String(v) : v;
      if (typeof s !== 'string' || !f.selection!.some(([k]) => k === s)) throw ValueErr(`Wrong value for ${model}.${name}: ${JSON.stringify(v)}`);
      return s;
    }
    case 'many2one': {
      const id = Array.isArray(v) ? v[0] : v;
      if (!Number.isInteger(id)) throw ValueErr(`Wrong value for ${model}.${name}: ${JSON.stringify(v)} (a many2one takes a record id)`);
      if (!store.has(f.relation!, id as number)) {
        throw ValidationError(`The value for the field '${name}' (${f.string}) refers to ${f.relation}(${String(id)},), which does not exist.`);
      }
      return id as number;
    }
  }
}

function applyVals(ctx: CallCtx, model: string, def: ModelDef, rec: Record<string, OdooValue>, vals: unknown): void {
  if (vals === null || typeof vals !== 'object' || Array.isArray(vals)) throw ValueErr(`${model}: expected a dictionary of field values, got ${JSON.stringify(vals)}`);
  for (const [name, v] of Object.entries(vals as Record<string, unknown>)) {
    const f = def.fields[name];
    if (!f) {
      if (fieldDef(model, def, name)) continue; // id, display_name, create/write date: ignored as Odoo does
      throw ValueErr(`Invalid field '${name}' on model '${model}'`);
    }
    rec[name] = coerce(ctx.store, model, name, f, v);
  }
}

function displayName(store: Store, model: string, id: number): string {
  const rec = store.table(model).get(id);
  const def = MODELS[model]!;
  return rec ? String(rec[def.recName] ?? `${model},${id}`) : `${model},${id}`;
}

/** A record as Odoo's read() returns it: many2one as [id, display name], unset as false. */
function readRecord(store: Store, model: string, rec: OdooRecord, fields?: string[]): OdooRecord {
  const def = MODELS[model]!;
  const names = fields && fields.length ? fields : [...Object.keys(def.fields), 'display_name', 'create_date', 'write_date'];
  const out: OdooRecord = { id: rec.id };
  for (const name of names) {
    if (name === 'id') continue;
    const f = fieldDef(model, def, name);
    if (!f) throw ValueErr(`Invalid field '${name}' on model '${model}'`);
    if (name === 'display_name') {
      out.display_name = displayName(store, model, rec.id);
      continue;
    }
    const v = rec[name];
    if (v === undefined || v === null || v === false) out[name] = false;
    else if (f.type === 'many2one') out[name] = [v as number, displayName(store, f.relation!, v as number)];
    else out[name] = v;
  }
  return out;
}

// ---- domains -------------------------------------------------------------

type Leaf = [string, string, unknown];

function fieldValue(store: Store, model: string, rec: OdooRecord, field: string): { raw: OdooValue; text: string | null } {
  if (field === 'id') return { raw: rec.id, text: String(rec.id) };
  const def = MODELS[model]!;
  if (field === 'display_name') return { raw: displayName(store, model, rec.id), text: displayName(store, model, rec.id) };
  const f = fieldDef(model, def, field);
  if (!f) throw ValueErr(`Invalid field ${model}.${field} in leaf ${JSON.stringify([field])}`);
  const raw = rec[field] ?? false;
  if (raw === false) return { raw: false, text: null };
  if (f.type === 'many2one') return { raw, text: displayName(store, f.relation!, raw as number) };
  return { raw, text: String(raw) };
}

function likeRegex(pattern: string, caseless: boolean, anchored: boolean): RegExp {
  let src = '';
  for (const ch of pattern) {
    if (ch === '%') src += '.*';
    else if (ch === '_') src += '.';
    else src += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(anchored ? `^${src}$` : src, caseless ? 'is' : 's');
}

function compare(a: OdooValue, b: unknown): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
}

function matchLeaf(store: Store, model: string, rec: OdooRecord, leaf: Leaf): boolean {
  const [field, op, value] = leaf;
  const { raw, text } = fieldValue(store, model, rec, field);
  const eq = (v: unknown): boolean => {
    if (v === false || v === null) return raw === false;
    if (raw === false) return false;
    if (typeof v === 'string' && typeof raw === 'number' && text !== null && !/^-?\d+(\.\d+)?$/.test(v)) return text === v; // many2one by name
    return typeof raw === 'number' ? raw === Number(v) : raw === v || text === String(v);
  };
  switch (op) {
    case '=':
    case '==':
      return eq(value);
    case '!=':
    case '<>':
      return !eq(value);
    case 'in':
    case 'not in': {
      const list = Array.isArray(value) ? value : [value];
      const hit = list.some(eq);
      return op === 'in' ? hit : !hit;
    }
    case 'like':
    case 'ilike':
    case 'not like':
    case 'not ilike': {
      const positive = !op.startsWith('not');
      if (value === false || value === '' || value === null) return positive; // ilike '' matches everything
      const hit = text !== null && likeRegex(`%${String(value)}%`, op.endsWith('ilike'), true).test(text);
      return positive ? hit : !hit;
    }
    case '=like':
    case '=ilike':
      return text !== null && likeRegex(String(value), op === '=ilike', true).test(text);
    case '>':
      return raw !== false && compare(raw, value) > 0;
    case '>=':
      return raw !== false && compare(raw, value) >= 0;
    case '<':
      return raw !== false && compare(raw, value) < 0;
    case '<=':
      return raw !== false && compare(raw, value) <= 0;
    default:
      throw ValueErr(`Invalid leaf ${JSON.stringify(leaf)}: unknown operator ${JSON.stringify(op)}`);
  }
}

/** Evaluates an Odoo domain (prefix notation, implicit '&') against one record. */
function matchDomain(store: Store, model: string, rec: OdooRecord, domain: unknown[]): boolean {
  const stack: boolean[] = [];
  for (let i = domain.length - 1; i >= 0; i--) {
    const item = domain[i];
    if (item === '&' || item === '|') {
      if (stack.length < 2) throw ValueErr(`Invalid domain ${JSON.stringify(domain)}: "${item}" needs two operands`);
      const a = stack.pop()!;
      const b = stack.pop()!;
      stack.push(item === '&' ? a && b : a || b);
    } else if (item === '!') {
      if (stack.length < 1) throw ValueErr(`Invalid domain ${JSON.stringify(domain)}: "!" needs an operand`);
      stack.push(!stack.pop()!);
    } else if (Array.isArray(item) && item.length === 3 && typeof item[0] === 'string' && typeof item[1] === 'string') {
      stack.push(matchLeaf(store, model, rec, item as Leaf));
    } else if (Array.isArray(item) && item.length === 3 && (item[0] === 1 || item[0] === 0) && item[1] === '=') {
      stack.push(item[0] === item[2]); // TRUE_LEAF / FALSE_LEAF
    } else {
      throw ValueErr(`Invalid domain term ${JSON.stringify(item)}`);
    }
  }
  return stack.every(Boolean);
}

function sortRecords(store: Store, model: string, recs: OdooRecord[], order: string): OdooRecord[] {
  const keys = order
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((part) => {
      const m = /^([a-z_][a-z0-9_]*)(?:\s+(asc|desc))?$/i.exec(part);
      if (!m) throw ValueErr(`Invalid "order" specified (${order}). A valid "order" specification is a comma-separated list of valid field names (optionally followed by asc/desc for the direction)`);
      fieldValue(store, model, recs[0] ?? ({ id: 0 } as OdooRecord), m[1]!); // validates the field
      return { field: m[1]!, desc: (m[2] ?? 'asc').toLowerCase() === 'desc' };
    });
  if (!keys.some((k) => k.field === 'id')) keys.push({ field: 'id', desc: false });
  return [...recs].sort((a, b) => {
    for (const k of keys) {
      const va = fieldValue(store, model, a, k.field);
      const vb = fieldValue(store, model, b, k.field);
      const x = va.raw === false ? (vb.raw === false ? 0 : -1) : vb.raw === false ? 1 : typeof va.raw === 'number' && typeof vb.raw === 'number' ? va.raw - vb.raw : String(va.text).localeCompare(String(vb.text));
      if (x !== 0) return k.desc ? -x : x;
    }
    return 0;
  });
}

function kw<T>(kwargs: Record<string, unknown>, args: unknown[], pos: number, name: string): T | undefined {
  return (kwargs[name] ?? args[pos]) as T | undefined;
}

function search(ctx: CallCtx, model: string, def: ModelDef, args: unknown[], kwargs: Record<string, unknown>): OdooRecord[] {
  const domain = kw<unknown>(kwargs, args, 0, 'domain') ?? [];
  if (!Array.isArray(domain)) throw ValueErr(`Invalid domain ${JSON.stringify(domain)}: a domain is a list`);
  const offset = Number(kw<number>(kwargs, args, 1, 'offset') ?? 0) || 0;
  const limitRaw = kw<number | false | null>(kwargs, args, 2, 'limit');
  const order = kw<string | false>(kwargs, args, 3, 'order') || def.order;
  // fields are checked when the query is built, as Odoo does, not only when a record is compared
  for (const term of domain) {
    if (Array.isArray(term) && typeof term[0] === 'string' && !fieldDef(model, def, term[0])) {
      throw ValueErr(`Invalid field ${model}.${term[0]} in leaf ${JSON.stringify(term)}`);
    }
  }
  const hits = [...ctx.store.table(model).values()].filter((r) => matchDomain(ctx.store, model, r, domain));
  const sorted = sortRecords(ctx.store, model, hits, order);
  const limit = limitRaw === undefined || limitRaw === null || limitRaw === false ? undefined : Number(limitRaw);
  return sorted.slice(offset, limit === undefined ? undefined : offset + limit);
}

function fieldsArg(v: unknown): string[] | undefined {
  if (v === undefined || v === null || v === false) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) throw ValueErr(`fields: expected a list of field names, got ${JSON.stringify(v)}`);
  return v as string[];
}

function executeKw(ctx: CallCtx, modelName: unknown, method: unknown, args: unknown[], kwargs: Record<string, unknown>): unknown {
  const def = modelDef(modelName);
  const model = modelName as string;
  if (typeof method !== 'string') throw ValueErr(`method: expected a method name, got ${JSON.stringify(method)}`);
  if (method.startsWith('_')) throw AccessError(`Private methods (such as ${model}.${method}) cannot be called remotely.`);
  const store = ctx.store;
  const writable = (): void => {
    if (def.master) throw AccessError(`You are not allowed to modify '${def.description}' (${model}) records in the Plantwire simulator.`);
  };
  switch (method) {
    case 'search':
      return search(ctx, model, def, args, kwargs).map((r) => r.id);
    case 'search_count':
      return search(ctx, model, def, [args[0] ?? kwargs.domain ?? []], {}).length;
    case 'search_read': {
      const fields = fieldsArg(kw(kwargs, args, 1, 'fields'));
      const rest = [args[0] ?? kwargs.domain ?? [], kwargs.offset ?? args[2], kwargs.limit ?? args[3], kwargs.order ?? args[4]];
      return search(ctx, model, def, rest, {}).map((r) => readRecord(store, model, r, fields));
    }
    case 'read': {
      const ids = idList(args[0], 'read');
      const fields = fieldsArg(kw(kwargs, args, 1, 'fields'));
      return ids.map((id) => readRecord(store, model, store.get(model, id), fields));
    }
    case 'fields_get': {
      const out: Record<string, unknown> = {};
      for (const [name, f] of Object.entries(def.fields)) out[name] = { type: f.type, string: f.string, required: Boolean(f.required), readonly: Boolean(f.readonly), ...(f.relation ? { relation: f.relation } : {}), ...(f.selection ? { selection: f.selection } : {}) };
      return out;
    }
    case 'create': {
      writable();
      const input = kw<unknown>(kwargs, args, 0, 'vals_list');
      const list = Array.isArray(input) ? input : [input];
      // validate everything first: one bad record creates nothing (one transaction)
      const prepared = list.map((vals) => {
        const rec: Record<string, OdooValue> = {};
        applyVals(ctx, model, def, rec, vals);
        for (const [name, f] of Object.entries(def.fields)) {
          if (rec[name] === undefined && f.default && name !== 'name') rec[name] = f.default(store, model); // name: a sequence, set at insert
          if (f.required && (rec[name] === undefined || rec[name] === false || rec[name] === '')) {
            throw ValidationError(`The field "${f.string}" (${name}) is required on ${def.description}: it is missing in ${JSON.stringify(vals)}.`);
          }
        }
        def.constraints?.(ctx, { ...rec, id: 0 } as OdooRecord);
        return rec;
      });
      const ids = prepared.map((rec) => {
        rec.create_date = nowText(ctx.now);
        rec.write_date = nowText(ctx.now);
        if (def.fields.name?.default && !rec.name) rec.name = def.fields.name.default(store, model);
        return store.insert(model, rec);
      });
      return Array.isArray(input) ? ids : ids[0];
    }
    case 'write': {
      writable();
      const ids = idList(args[0], 'write');
      const vals = kw<unknown>(kwargs, args, 1, 'vals');
      const recs = ids.map((id) => store.get(model, id));
      const next = recs.map((rec) => {
        if (model === 'mrp.production' && (rec.state === 'done' || rec.state === 'cancel')) {
          throw UserError(`Manufacturing order ${String(rec.name)} is ${rec.state === 'done' ? 'done' : 'cancelled'}: it cannot be changed any more.`);
        }
        const copy: OdooRecord = { ...rec };
        applyVals(ctx, model, def, copy, vals);
        for (const [name, f] of Object.entries(def.fields)) {
          if (f.required && (copy[name] === false || copy[name] === '')) throw ValidationError(`The field "${f.string}" (${name}) is required on ${def.description}.`);
        }
        def.constraints?.(ctx, copy);
        if (model === 'mrp.production' && copy.state === 'confirmed' && typeof copy.qty_producing === 'number' && copy.qty_producing > 0) copy.state = 'progress';
        copy.write_date = nowText(ctx.now);
        return copy;
      });
      next.forEach((rec) => store.table(model).set(rec.id, rec));
      return true;
    }
    case 'unlink': {
      writable();
      const ids = idList(args[0], 'unlink');
      ids.forEach((id) => store.get(model, id));
      if (model === 'mrp.production') {
        for (const id of ids) {
          const rec = store.get(model, id);
          if (rec.state !== 'draft' && rec.state !== 'cancel') throw UserError(`Manufacturing order ${String(rec.name)} is ${String(rec.state)}: only draft or cancelled orders can be deleted.`);
        }
      }
      ids.forEach((id) => store.table(model).delete(id));
      return true;
    }
    default: {
      const fn = def.methods?.[method];
      if (!fn) throw new OdooFault('builtins.AttributeError', `The method '${model}.${method}' does not exist`);
      const ids = idList(args[0], method);
      ids.forEach((id) => store.get(model, id));
      return fn(ctx, ids, args.slice(1), kwargs);
    }
  }
}

const MUTATING = new Set(['create', 'write', 'unlink', 'action_confirm', 'button_mark_done']);

export async function startOdooSim(options: OdooSimOptions | number = {}): Promise<OdooSim> {
  const opts: OdooSimOptions = typeof options === 'number' ? { port: options } : options;
  const host = opts.host ?? '127.0.0.1';
  const database = opts.database ?? 'plantwire';
  const users = (opts.users ?? [ODOO_SIM_DEFAULT_USER]).map((u, i) => ({ ...u, uid: u.uid ?? (i === 0 ? 2 : 5 + i) }));
  const store = new Store();
  const random = prng(opts.seed ?? 1);
  const faults = { dropRate: opts.dropRate ?? 0, dropMode: opts.dropMode ?? ('reset' as 'reset' | 'hang') };
  const stats = { calls: 0, dropped: 0, faults: 0, methods: {} as Record<string, number> };
  const hanging = new Set<http.ServerResponse>();
  const sockets = new Set<net.Socket>();
  const log = opts.log;
  const seedDemo = (): void => {
    if (!opts.demoData) return;
    const at = nowText(new Date());
    store.insert('mrp.production', { name: 'WH/MO/00001', product_id: 1, product_qty: 20000, qty_producing: 0, state: 'confirmed', origin: 'Line1', date_start: at, x_plantwire_key: false, create_date: at, write_date: at });
    store.insert('mrp.production', { name: 'WH/MO/00002', product_id: 2, product_qty: 12000, qty_producing: 0, state: 'confirmed', origin: 'Line2', date_start: at, x_plantwire_key: false, create_date: at, write_date: at });
  };
  seedDemo();

  const checkDb = (db: unknown): void => {
    if (db !== database) {
      throw new OdooFault('psycopg2.OperationalError', `connection to server at "localhost" (127.0.0.1), port 5432 failed: FATAL:  database "${String(db)}" does not exist`);
    }
  };
  const userFor = (login: unknown, secret: unknown): (typeof users)[number] | undefined =>
    users.find((u) => u.login === login && typeof secret === 'string' && (u.password === secret || (u.apiKeys ?? []).includes(secret)));

  const dispatch = (service: unknown, method: unknown, args: unknown[]): unknown => {
    if (service === 'common') {
      if (method === 'version') return { server_version: ODOO_SIM_VERSION, server_version_info: [17, 0, 0, 'final', 0, ''], server_serie: ODOO_SIM_VERSION, protocol_version: 1 };
      if (method === 'authenticate' || method === 'login') {
        checkDb(args[0]);
        const u = userFor(args[1], args[2]);
        return u ? u.uid : false;
      }
      if (method === 'about') return `See http://openerp.com`;
      throw new OdooFault('builtins.NameError', `Method not available ${String(method)}`);
    }
    if (service === 'object') {
      if (method !== 'execute_kw' && method !== 'execute') throw new OdooFault('builtins.NameError', `Method not available ${String(method)}`);
      const [db, uid, secret, model, m, a, k] = args;
      checkDb(db);
      const u = users.find((x) => x.uid === uid);
      if (!u || !userFor(u.login, secret)) throw AccessDenied();
      const callArgs = method === 'execute' ? args.slice(5) : Array.isArray(a) ? a : a === undefined ? [] : [a];
      const kwargs = method === 'execute' ? {} : k && typeof k === 'object' && !Array.isArray(k) ? (k as Record<string, unknown>) : {};
      const key = `${String(model)}.${String(m)}`;
      stats.methods[key] = (stats.methods[key] ?? 0) + 1;
      const result = executeKw({ store, uid: u.uid, now: new Date() }, model, m, callArgs, kwargs);
      if (log && typeof m === 'string' && MUTATING.has(m)) log(`${key} ${JSON.stringify(callArgs).slice(0, 200)} → ${JSON.stringify(result)}`);
      return result;
    }
    if (service === 'db' && method === 'list') return [database];
    throw new OdooFault('builtins.Exception', `No such service ${String(service)}`);
  };

  const send = (res: http.ServerResponse, status: number, body: unknown, type = 'application/json'): void => {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && (url.pathname === '/plantwire/records' || url.pathname.startsWith('/plantwire/records/'))) {
      const one = decodeURIComponent(url.pathname.slice('/plantwire/records/'.length));
      if (one && !MODELS[one]) return send(res, 404, { error: `unknown model ${one}`, models: Object.keys(MODELS) });
      const models = one ? [one] : Object.keys(MODELS).filter((m) => !MODELS[m]!.master);
      const out: Record<string, OdooRecord[]> = {};
      for (const m of models) out[m] = sortRecords(store, m, [...store.table(m).values()], 'id').map((r) => readRecord(store, m, r));
      return send(res, 200, one ? out[one] : { database, server_version: ODOO_SIM_VERSION, stats, records: out });
    }
    if (req.method === 'POST' && url.pathname === '/plantwire/reset') {
      store.clearDocuments();
      seedDemo();
      return send(res, 200, { reset: true });
    }
    if (req.method === 'GET' && url.pathname === '/web/webclient/version_info') return send(res, 200, { server_version: ODOO_SIM_VERSION });
    if (req.method === 'GET' && url.pathname === '/') {
      return send(res, 200, `Plantwire Odoo simulator (Odoo ${ODOO_SIM_VERSION} JSON-RPC). POST /jsonrpc; stored records as JSON: GET /plantwire/records\n`, 'text/plain');
    }
    if (url.pathname !== '/jsonrpc') return send(res, 404, '<!DOCTYPE html><title>404: Not Found</title><p>Not Found</p>', 'text/html');
    if (req.method !== 'POST') return send(res, 405, '<!DOCTYPE html><title>405: Method Not Allowed</title>', 'text/html');
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let id: unknown = null;
      let body: { id?: unknown; params?: { service?: unknown; method?: unknown; args?: unknown } };
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as typeof body;
        if (!body || typeof body !== 'object') throw new Error('not an object');
      } catch {
        return send(res, 400, '<!DOCTYPE html><title>400: Bad Request</title><p>Invalid JSON data</p>', 'text/html');
      }
      id = body.id ?? null;
      stats.calls += 1;
      let reply: unknown;
      try {
        const p = body.params ?? {};
        const result = dispatch(p.service, p.method, Array.isArray(p.args) ? p.args : []);
        reply = { jsonrpc: '2.0', id, result };
      } catch (err) {
        stats.faults += 1;
        const f = err instanceof OdooFault ? err : new OdooFault('builtins.Exception', (err as Error).message ?? String(err));
        const message = f.message;
        reply = {
          jsonrpc: '2.0',
          id,
          error: {
            code: f.code,
            message: 'Odoo Server Error',
            data: { name: f.exception, debug: `Traceback (most recent call last):\n  (Plantwire simulator)\n${f.exception}: ${message}\n`, message, arguments: [message], context: {} },
          },
        };
      }
      // the call is done (committed); now maybe lose the answer
      if (faults.dropRate > 0 && random() < faults.dropRate) {
        stats.dropped += 1;
        log?.(`dropped the response to call ${JSON.stringify(id)} (${faults.dropMode})`);
        if (faults.dropMode === 'hang') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
        } else {
          req.socket.destroy();
        }
        return;
      }
      send(res, 200, reply);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8069, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  return {
    url,
    host,
    port,
    database,
    faults,
    stats,
    records: (model: string) => {
      modelDef(model);
      return sortRecords(store, model, [...store.table(model).values()], 'id').map((r) => readRecord(store, model, r));
    },
    reset: () => {
      store.clearDocuments();
      seedDemo();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        hanging.clear();
        server.close(() => resolve());
      }),
  };
}
