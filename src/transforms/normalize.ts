/**
 * plantwire-normalize: turns what arrives in a flow into tag samples. Pure;
 * `now` is a parameter.
 *
 * Recognised inputs (msg.payload, with msg.topic as the base tag):
 * - tag samples and batches — complete, or partial (`{tag, value}`): the
 *   missing quality and timestamp are filled in;
 * - plain values: numbers, booleans, strings (numeric / boolean text is
 *   parsed unless turned off; JSON text is parsed), null, Buffers (UTF-8);
 * - OPC UA DataValues `{value, statusCode, sourceTimestamp, serverTimestamp}`
 *   (node-opcua; a Variant `{dataType, value}` is unwrapped; the status code
 *   gives the quality) and the message fields of OPC UA client nodes
 *   (`msg.statusCode`, `msg.sourceTimestamp`, `msg.serverTimestamp`);
 * - Sparkplug B payloads `{timestamp, metrics: [{name, value, timestamp, isNull}]}`:
 *   one sample per metric, tag `group/edge[/device]/metric` from an
 *   `spBv1.0/…` topic, else `<base>/metric`;
 * - Modbus reads: `{data: [...], buffer}` (modbus-serial) or an array of
 *   registers with `msg.modbusRequest {address}` (node-red-contrib-modbus):
 *   one sample per register, tag `<base>/<address>`;
 * - plain objects (MQTT JSON): one sample per property, nested properties
 *   joined with `/` (`{"temp": 21.5}` with topic `Tank1` → `Tank1/temp`), or
 *   the whole object as one value; `timestamp`/`ts`/`time` properties are
 *   used as the timestamp, not as tags.
 */
import { PlantwireError } from '../model/errors';
import { setOwn } from '../model/safe-object';
import { qualityFromOpcUaStatus } from '../model/quality';
import { assertTagSample, describe, QUALITIES, toIsoTimestamp, type Quality, type SampleValue, type TagSample } from '../model/sample';

export interface NormalizeConfig {
  /** Base tag name (blank: msg.topic). */
  tag?: string;
  timestamp?: 'auto' | 'now' | 'field' | string;
  /** For timestamp "field": a payload property (`ts`) or a message property (`msg.time`). */
  timestampField?: string;
  /** Quality of values that do not bring one. */
  quality?: Quality | string;
  /** Plain objects: one sample per property ("split") or the object as one value ("value"). */
  objects?: 'split' | 'value' | string;
  /** Arrays of plain values: one sample holding the array ("value") or one per element ("split"). */
  arrays?: 'value' | 'split' | string;
  /** Parse numeric and true/false strings (default on). */
  parseStrings?: boolean;
  /** Unit and asset for samples that do not bring their own. */
  unit?: string;
  asset?: string;
}

export interface NormalizeSettings {
  tag: string;
  timestamp: 'auto' | 'now' | 'field';
  timestampField: string;
  quality: Quality;
  objects: 'split' | 'value';
  arrays: 'value' | 'split';
  parseStrings: boolean;
  unit: string;
  asset: string;
}

export function normalizeSettings(config: NormalizeConfig): NormalizeSettings {
  const timestamp = (config.timestamp || 'auto') as NormalizeSettings['timestamp'];
  if (!['auto', 'now', 'field'].includes(timestamp)) throw new PlantwireError('bad-config', `timestamp must be "auto", "now" or "field", got ${JSON.stringify(config.timestamp)}`, 'bad timestamp source');
  const timestampField = (config.timestampField ?? '').trim();
  if (timestamp === 'field' && timestampField === '') throw new PlantwireError('bad-config', 'timestamp source is "field" but no field is named: enter e.g. ts or msg.time', 'timestamp field missing');
  const quality = (config.quality || 'good') as Quality;
  if (!QUALITIES.includes(quality)) throw new PlantwireError('bad-config', `quality must be "good", "uncertain" or "bad", got ${JSON.stringify(config.quality)}`, 'bad default quality');
  const objects = (config.objects || 'split') as NormalizeSettings['objects'];
  if (objects !== 'split' && objects !== 'value') throw new PlantwireError('bad-config', `objects must be "split" or "value", got ${JSON.stringify(config.objects)}`, 'bad object mode');
  const arrays = (config.arrays || 'value') as NormalizeSettings['arrays'];
  if (arrays !== 'split' && arrays !== 'value') throw new PlantwireError('bad-config', `arrays must be "value" or "split", got ${JSON.stringify(config.arrays)}`, 'bad array mode');
  return {
    tag: (config.tag ?? '').trim(),
    timestamp,
    timestampField,
    quality,
    objects,
    arrays,
    parseStrings: config.parseStrings !== false,
    unit: (config.unit ?? '').trim(),
    asset: (config.asset ?? '').trim().replace(/^\/+|\/+$/g, ''),
  };
}

const TIME_KEYS = ['sourceTimestamp', 'timestamp', 'ts', 'time'];
const MAX_DEPTH = 8;

/** Epoch numbers below 10^11 are seconds (10^11 ms is 1973; 10^11 s is the year 5138). */
export function epochToMs(x: number): number {
  return Math.abs(x) < 1e11 ? x * 1000 : x;
}

/** A timestamp from a number (epoch s/ms), numeric string, Date, ISO string or protobuf Long. */
export function readTimestamp(x: unknown, field: string): string {
  if (typeof x === 'number') return toIsoTimestamp(epochToMs(x), field);
  if (typeof x === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(x)) return toIsoTimestamp(epochToMs(Number(x)), field);
  const long = longToNumber(x);
  if (long !== undefined) return toIsoTimestamp(epochToMs(long), field);
  return toIsoTimestamp(x, field);
}

/** protobuf.js Long `{low, high, unsigned}` → number. */
function longToNumber(x: unknown): number | undefined {
  if (x === null || typeof x !== 'object') return undefined;
  const l = x as { low?: unknown; high?: unknown; unsigned?: unknown; toNumber?: () => number };
  if (typeof l.low !== 'number' || typeof l.high !== 'number') return undefined;
  if (typeof l.toNumber === 'function') return l.toNumber();
  return l.high * 4294967296 + (l.unsigned ? l.low >>> 0 : l.low >>> 0);
}

function isBuffer(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array;
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !isBuffer(x) && !(x instanceof Date);
}

function join(base: string, key: string): string {
  return base ? `${base}/${key}` : key;
}

interface Ctx {
  set: NormalizeSettings;
  msg: Record<string, unknown>;
  now: number;
  /** Timestamp from the message (auto mode) or the configured field, when known. */
  msgTime?: string;
  out: TagSample[];
}

/** Reads `msg` as samples; throws a PlantwireError naming what is wrong. */
export function normalize(msg: Record<string, unknown>, set: NormalizeSettings, now: number = Date.now()): TagSample[] {
  const ctx: Ctx = { set, msg, now, out: [] };
  const payload = msg.payload;
  if (payload === undefined) throw new PlantwireError('no-payload', 'msg.payload is missing: send the value to normalize in msg.payload', 'payload missing');
  if (set.timestamp === 'field') {
    ctx.msgTime = fieldTimestamp(set.timestampField, msg, payload);
  } else if (set.timestamp === 'auto') {
    for (const key of ['sourceTimestamp', 'timestamp']) {
      if (msg[key] !== undefined && msg[key] !== null && msg[key] !== '') {
        ctx.msgTime = readTimestamp(msg[key], `msg.${key}`);
        break;
      }
    }
  }
  const topic = typeof msg.topic === 'string' ? msg.topic.trim() : '';
  const base = set.tag || topic;
  const sp = /^spBv1\.0\/([^/]+)\/[ND](?:DATA|BIRTH|DEATH)\/([^/]+)(?:\/([^/]+))?$/.exec(topic);
  if (isPlainObject(payload) && Array.isArray(payload.metrics)) {
    const spBase = set.tag || (sp ? [sp[1], sp[2], sp[3]].filter(Boolean).join('/') : base);
    sparkplug(ctx, payload, spBase);
  } else {
    value(ctx, payload, base, 'payload', 0, true);
  }
  if (ctx.out.length === 0) throw new PlantwireError('empty', 'msg.payload holds nothing to normalize (an empty object or array)', 'nothing to normalize');
  return ctx.out;
}

function fieldTimestamp(field: string, msg: Record<string, unknown>, payload: unknown): string {
  let holder: unknown;
  let path: string;
  let where: string;
  if (field.startsWith('msg.')) {
    holder = msg;
    path = field.slice(4);
    where = 'msg';
  } else {
    holder = payload;
    path = field.replace(/^payload\./, '');
    where = 'msg.payload';
  }
  let v: unknown = holder;
  for (const key of path.split('.')) v = isPlainObject(v) ? v[key] : undefined;
  if (v === undefined || v === null || v === '') {
    throw new PlantwireError('missing-timestamp', `timestamp field "${field}" is missing from ${where}: send it, or set the timestamp source to "auto" or "now"`, 'missing timestamp');
  }
  return readTimestamp(v, field);
}

function timeOf(ctx: Ctx, own: unknown, field: string): string {
  if (ctx.set.timestamp === 'now') return new Date(ctx.now).toISOString();
  if (ctx.set.timestamp === 'field') return ctx.msgTime!;
  if (own !== undefined && own !== null && own !== '') return readTimestamp(own, field);
  return ctx.msgTime ?? new Date(ctx.now).toISOString();
}

function push(ctx: Ctx, tag: string, v: SampleValue, where: string, extra: { quality?: Quality; statusCode?: number | string; sourceTimestamp?: unknown; serverTimestamp?: unknown; unit?: unknown; asset?: unknown } = {}): void {
  if (!tag) {
    throw new PlantwireError('missing-tag', `${where} is a plain value (${describe(v)}) but no tag name is known: set msg.topic, the node's tag name, or send a tag sample`, 'missing tag (msg.topic)');
  }
  if (typeof v === 'number' && !Number.isFinite(v)) throw new PlantwireError('bad-value', `${where} must be a finite number, got ${String(v)} (tag ${tag})`, 'value is not a number');
  const s: TagSample = { tag, value: v, quality: extra.quality ?? ctx.set.quality, sourceTimestamp: timeOf(ctx, extra.sourceTimestamp, `${where}.sourceTimestamp`) };
  if (extra.statusCode !== undefined) s.statusCode = extra.statusCode;
  if (extra.serverTimestamp !== undefined && extra.serverTimestamp !== null) s.serverTimestamp = readTimestamp(extra.serverTimestamp, `${where}.serverTimestamp`);
  const unit = typeof extra.unit === 'string' && extra.unit !== '' ? extra.unit : ctx.set.unit;
  if (unit) s.unit = unit;
  const asset = typeof extra.asset === 'string' && extra.asset !== '' ? extra.asset : ctx.set.asset;
  if (asset) s.asset = asset;
  ctx.out.push(assertTagSample(s, where));
}

function parseString(ctx: Ctx, text: string): { parsed: boolean; value: unknown } {
  if (!ctx.set.parseStrings) return { parsed: false, value: text };
  const t = text.trim();
  if (t !== '' && /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return { parsed: true, value: Number(t) };
  if (t === 'true' || t === 'false') return { parsed: true, value: t === 'true' };
  if ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']'))) {
    try {
      return { parsed: true, value: JSON.parse(t) };
    } catch {
      return { parsed: false, value: text };
    }
  }
  return { parsed: false, value: text };
}

function value(ctx: Ctx, x: unknown, tag: string, where: string, depth: number, top: boolean): void {
  if (depth > MAX_DEPTH) throw new PlantwireError('too-deep', `${where} is nested more than ${MAX_DEPTH} levels deep: flatten it first or use objects "as one value"`, 'payload nested too deeply');
  if (isBuffer(x)) x = Buffer.from(x.buffer, x.byteOffset, x.byteLength).toString('utf8');
  if (typeof x === 'string') {
    const p = parseString(ctx, x);
    if (p.parsed && typeof p.value === 'object' && p.value !== null) {
      value(ctx, p.value, tag, where, depth + 1, top);
      return;
    }
    push(ctx, tag, p.value as SampleValue, where, top ? msgExtras(ctx) : {});
    return;
  }
  if (typeof x === 'number' || typeof x === 'boolean' || x === null) {
    push(ctx, tag, x, where, top ? msgExtras(ctx) : {});
    return;
  }
  if (x === undefined) throw new PlantwireError('bad-value', `${where} is undefined`, 'value missing');
  if (typeof x !== 'object') throw new PlantwireError('bad-value', `${where} is a ${typeof x}, which cannot be a tag value`, `unsupported ${typeof x}`);
  if (Array.isArray(x)) {
    array(ctx, x, tag, where, depth, top);
    return;
  }
  if (x instanceof Date) {
    push(ctx, tag, x.toISOString(), where);
    return;
  }
  const o = x as Record<string, unknown>;
  if (typeof o.tag === 'string' && 'value' in o) {
    partialSample(ctx, o, where);
    return;
  }
  if (Array.isArray(o.data) && isBuffer(o.buffer)) {
    registers(ctx, o.data, tag, where);
    return;
  }
  if ('value' in o && ('statusCode' in o || 'sourceTimestamp' in o || 'serverTimestamp' in o || 'timestamp' in o || 'quality' in o || 'unit' in o)) {
    dataValue(ctx, o, tag, where);
    return;
  }
  if (ctx.set.objects === 'value') {
    push(ctx, tag, plainJson(o, where), where, top ? msgExtras(ctx) : {});
    return;
  }
  // One sample per property; timestamp properties stamp the others.
  let own: unknown;
  if (ctx.set.timestamp === 'auto') {
    for (const k of TIME_KEYS) if (o[k] !== undefined) {
      own = o[k];
      break;
    }
  }
  const keys = Object.keys(o);
  const sub = { ...ctx, msgTime: own !== undefined ? readTimestamp(own, `${where}.timestamp`) : ctx.msgTime };
  for (const k of keys) {
    if (ctx.set.timestamp === 'auto' && TIME_KEYS.includes(k)) continue;
    if (ctx.set.timestamp === 'field' && top && (k === ctx.set.timestampField || `payload.${k}` === ctx.set.timestampField)) continue;
    value(sub, o[k], join(tag, k), `${where}.${k}`, depth + 1, false);
  }
}

function msgExtras(ctx: Ctx): { quality?: Quality; statusCode?: number; serverTimestamp?: unknown } {
  const sc = ctx.msg.statusCode;
  const code = typeof sc === 'number' ? sc : statusNumber(sc);
  const out: { quality?: Quality; statusCode?: number; serverTimestamp?: unknown } = {};
  if (code !== undefined) {
    out.quality = qualityFromOpcUaStatus(code);
    out.statusCode = code;
  }
  if (ctx.msg.serverTimestamp !== undefined) out.serverTimestamp = ctx.msg.serverTimestamp;
  return out;
}

/** node-opcua StatusCode objects carry the number in `value` (or `_value`). */
function statusNumber(x: unknown): number | undefined {
  if (typeof x === 'number') return x;
  if (x !== null && typeof x === 'object') {
    const o = x as { value?: unknown; _value?: unknown };
    if (typeof o.value === 'number') return o.value;
    if (typeof o._value === 'number') return o._value;
  }
  return undefined;
}

function array(ctx: Ctx, arr: unknown[], tag: string, where: string, depth: number, top: boolean): void {
  if (arr.length === 0) return;
  const plain = arr.every((e) => e === null || typeof e === 'number' || typeof e === 'boolean' || typeof e === 'string');
  const modbus = top && plain && isPlainObject(ctx.msg.modbusRequest);
  if (modbus) {
    registers(ctx, arr, tag, where);
    return;
  }
  if (plain && ctx.set.arrays === 'value') {
    push(ctx, tag, arr as SampleValue, where, top ? msgExtras(ctx) : {});
    return;
  }
  for (let i = 0; i < arr.length; i++) {
    const e = arr[i];
    const isSample = isPlainObject(e) && typeof e.tag === 'string';
    value(ctx, e, isSample || (isPlainObject(e) && top) ? tag : join(tag, String(i)), `${where}[${i}]`, depth + 1, false);
  }
}

function registers(ctx: Ctx, data: unknown[], tag: string, where: string): void {
  const req = ctx.msg.modbusRequest as { address?: unknown } | undefined;
  const start = req && typeof req.address === 'number' ? req.address : 0;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if (typeof v !== 'number' && typeof v !== 'boolean') throw new PlantwireError('bad-value', `${where}[${i}] must be a register value (number or boolean), got ${describe(v)}`, 'bad register value');
    push(ctx, join(tag, String(start + i)), v, `${where}[${i}]`);
  }
}

function partialSample(ctx: Ctx, o: Record<string, unknown>, where: string): void {
  const quality = o.quality === undefined ? undefined : (o.quality as Quality);
  if (quality !== undefined && !QUALITIES.includes(quality)) {
    throw new PlantwireError('bad-sample', `${where}.quality must be "good", "uncertain" or "bad", got ${describe(o.quality)}`, 'bad quality');
  }
  push(ctx, o.tag as string, unwrap(o.value, `${where}.value`), where, {
    quality,
    statusCode: typeof o.statusCode === 'number' || typeof o.statusCode === 'string' ? o.statusCode : undefined,
    sourceTimestamp: o.sourceTimestamp,
    serverTimestamp: o.serverTimestamp,
    unit: o.unit,
    asset: o.asset,
  });
}

function dataValue(ctx: Ctx, o: Record<string, unknown>, tag: string, where: string): void {
  const code = statusNumber(o.statusCode);
  let quality: Quality | undefined;
  if (typeof o.quality === 'string') {
    if (!QUALITIES.includes(o.quality as Quality)) throw new PlantwireError('bad-sample', `${where}.quality must be "good", "uncertain" or "bad", got ${describe(o.quality)}`, 'bad quality');
    quality = o.quality as Quality;
  } else if (code !== undefined) quality = qualityFromOpcUaStatus(code);
  push(ctx, tag, unwrap(o.value, `${where}.value`), where, {
    quality,
    statusCode: code ?? (typeof o.statusCode === 'string' ? o.statusCode : undefined),
    sourceTimestamp: o.sourceTimestamp ?? o.timestamp,
    serverTimestamp: o.serverTimestamp,
    unit: o.unit,
    asset: o.asset,
  });
}

/** OPC UA Variant `{dataType, value}` → value; Long → number; Buffer → base64; Date → ISO. */
function unwrap(v: unknown, where: string): SampleValue {
  if (isPlainObject(v) && 'dataType' in v && 'value' in v) return unwrap(v.value, where);
  const long = longToNumber(v);
  if (long !== undefined) return long;
  if (isBuffer(v)) return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
  if (v instanceof Date) return v.toISOString();
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>);
  if (v === undefined) throw new PlantwireError('bad-value', `${where} is missing`, 'value missing');
  return plainJson(v, where);
}

/** Checks a value is plain JSON (no functions, no NaN) and returns it. */
function plainJson(v: unknown, where: string): SampleValue {
  if (typeof v === 'number' && !Number.isFinite(v)) throw new PlantwireError('bad-value', `${where} must be a finite number, got ${String(v)}`, 'value is not a number');
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'function' || typeof v === 'symbol' || typeof v === 'bigint') throw new PlantwireError('bad-value', `${where} is a ${typeof v}, which cannot be a tag value`, `unsupported ${typeof v}`);
    return v as SampleValue;
  }
  if (Array.isArray(v)) return v.map((e, i) => plainJson(e, `${where}[${i}]`));
  if (v instanceof Date) return v.toISOString();
  const out: Record<string, SampleValue> = {};
  // setOwn: a `__proto__` key stays a field (plain data), never the object's prototype.
  for (const [k, e] of Object.entries(v)) if (e !== undefined) setOwn(out, k, plainJson(e, `${where}.${k}`));
  return out;
}

function sparkplug(ctx: Ctx, p: Record<string, unknown>, base: string): void {
  const metrics = p.metrics as unknown[];
  const payloadTime = p.timestamp;
  metrics.forEach((m, i) => {
    const where = `payload.metrics[${i}]`;
    if (!isPlainObject(m)) throw new PlantwireError('bad-metric', `${where} must be a Sparkplug metric object, got ${describe(m)}`, 'bad Sparkplug metric');
    const name = typeof m.name === 'string' && m.name !== '' ? m.name : m.alias !== undefined ? `alias/${String(longToNumber(m.alias) ?? m.alias)}` : '';
    if (!name) throw new PlantwireError('bad-metric', `${where} has neither a name nor an alias`, 'metric without name');
    const isNull = m.isNull === true || m.is_null === true;
    if (!isNull && m.value === undefined) throw new PlantwireError('bad-metric', `${where} (${name}) has no value`, 'metric without value');
    push(ctx, join(base, name), isNull ? null : unwrap(m.value, `${where}.value`), where, {
      quality: isNull ? 'bad' : undefined,
      sourceTimestamp: m.timestamp ?? payloadTime,
    });
  });
}
