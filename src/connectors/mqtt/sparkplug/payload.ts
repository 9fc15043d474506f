/**
 * Sparkplug B payloads (protobuf) through protobufjs and the Sparkplug B
 * schema (./proto.ts). Values are converted here, with the metric's datatype
 * from the BIRTH when a DATA message leaves it out (as Sparkplug 3.0
 * recommends), so alias-only, datatype-less NDATA decodes correctly. Also
 * covers what the Eclipse Tahu JavaScript library gets wrong or lacks: UInt32
 * above 2^31, 64-bit values beyond 2^53 (kept exact as decimal strings), the
 * Sparkplug 3.0 array types, DateTime. Encoding follows Tahu's
 * `encodePayload` field for field (the tests decode it with Tahu's library).
 */
import { PlantwireError, toError } from '../../../model/errors';
import type { SampleValue } from '../../../model/sample';
import { PayloadType } from './proto';

/** protobufjs 64-bit values (the `long` package), structurally. */
interface Long {
  low: number;
  high: number;
  unsigned: boolean;
  toNumber(): number;
  toString(radix?: number): string;
  toSigned(): Long;
  toUnsigned(): Long;
}

/** The scalar members of a `value` oneof. */
interface ScalarHolder {
  intValue?: number | null;
  longValue?: number | Long | null;
  floatValue?: number | null;
  doubleValue?: number | null;
  booleanValue?: boolean | null;
  stringValue?: string | null;
}
export interface RawPropertySet {
  keys?: string[] | null;
  values?: RawPropertyValue[] | null;
}
export interface RawPropertyValue extends ScalarHolder {
  type?: number | null;
  isNull?: boolean | null;
  propertysetValue?: RawPropertySet | null;
  propertysetsValue?: { propertyset?: RawPropertySet[] | null } | null;
}
export interface RawDataSet {
  numOfColumns?: number | Long | null;
  columns?: string[] | null;
  types?: number[] | null;
  rows?: Array<{ elements?: ScalarHolder[] | null }> | null;
}
export interface RawTemplate {
  version?: string | null;
  metrics?: RawMetric[] | null;
  parameters?: Array<ScalarHolder & { name?: string | null; type?: number | null }> | null;
  templateRef?: string | null;
  isDefinition?: boolean | null;
}
export interface RawMetric extends ScalarHolder {
  name?: string | null;
  alias?: number | Long | null;
  timestamp?: number | Long | null;
  datatype?: number | null;
  isHistorical?: boolean | null;
  isTransient?: boolean | null;
  isNull?: boolean | null;
  properties?: RawPropertySet | null;
  bytesValue?: Uint8Array | null;
  datasetValue?: RawDataSet | null;
  templateValue?: RawTemplate | null;
}
export interface RawPayload {
  timestamp?: number | Long | null;
  metrics?: RawMetric[] | null;
  seq?: number | Long | null;
  uuid?: string | null;
  body?: Uint8Array | null;
}

/** Sparkplug B datatypes (spec 3.0 §6.4.16). */
export const DataType = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;
export type DataTypeName = keyof typeof DataType;
const TYPE_NAMES = Object.fromEntries(Object.entries(DataType).map(([k, v]) => [v, k])) as Record<number, DataTypeName>;

export function dataTypeName(code: number | undefined): DataTypeName | undefined {
  return code === undefined ? undefined : TYPE_NAMES[code];
}

/** Types the edge (mqtt-out) can publish from a tag sample. */
export const PUBLISHABLE_TYPES = ['Boolean', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'Float', 'Double', 'String', 'DateTime', 'Text'] as const;
export type PublishableType = (typeof PUBLISHABLE_TYPES)[number];

function isLong(v: unknown): v is Long {
  return typeof v === 'object' && v !== null && typeof (v as Long).toNumber === 'function' && 'low' in (v as object);
}

/** uint64/int64 (number or Long) to a number when exact, else a decimal string. */
export function longToValue(v: unknown, signed: boolean): number | string {
  if (typeof v === 'number') return v;
  if (!isLong(v)) return Number(v);
  const l = signed ? v.toSigned() : v.toUnsigned();
  const n = l.toNumber();
  return Number.isSafeInteger(n) ? n : l.toString();
}

/** uint64 (timestamp, seq, alias) to a number. */
export function toNumber(v: unknown): number {
  if (typeof v === 'number') return v;
  if (isLong(v)) return v.toNumber();
  return Number(v);
}

function has(o: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(o, key);
}

function floatValue(f: number): number {
  // A float32 carries about 7 significant digits; drop the binary noise (0.1f → 0.1, not 0.10000000149).
  return Number.isFinite(f) ? Number(f.toPrecision(7)) : f;
}

function intFromRaw(raw: number, datatype: number): number {
  switch (datatype) {
    case DataType.Int8:
      return (raw << 24) >> 24;
    case DataType.Int16:
      return (raw << 16) >> 16;
    case DataType.Int32:
      return raw | 0;
    default:
      return raw >>> 0;
  }
}

/** Holder of a oneof value: Metric, PropertyValue, DataSetValue, Parameter. */
interface ValueHolder {
  intValue?: number | null;
  longValue?: number | Long | null;
  floatValue?: number | null;
  doubleValue?: number | null;
  booleanValue?: boolean | null;
  stringValue?: string | null;
  bytesValue?: Uint8Array | null;
  datasetValue?: RawDataSet | null;
  templateValue?: RawTemplate | null;
  propertysetValue?: RawPropertySet | null;
  propertysetsValue?: { propertyset?: RawPropertySet[] | null } | null;
}

/** Which oneof field carries the value (set fields are own properties of decoded messages). */
function setField(h: ValueHolder): keyof ValueHolder | undefined {
  for (const k of ['intValue', 'longValue', 'floatValue', 'doubleValue', 'booleanValue', 'stringValue', 'bytesValue', 'datasetValue', 'templateValue', 'propertysetValue', 'propertysetsValue'] as const) {
    if (has(h, k) && h[k] !== null && h[k] !== undefined) return k;
  }
  return undefined;
}

/**
 * The JSON value of a metric, property or dataset cell. `datatype` comes from
 * the message itself or, for DATA messages without it, from the BIRTH.
 * Returns undefined when no value field is set.
 */
export function holderValue(h: ValueHolder, datatype: number | undefined): SampleValue | undefined {
  const field = setField(h);
  if (field === undefined) return undefined;
  const dt = datatype ?? 0;
  switch (field) {
    case 'intValue': {
      const raw = h.intValue as number;
      if (dt === DataType.Boolean) return raw !== 0;
      return intFromRaw(raw, dt);
    }
    case 'longValue': {
      const raw = h.longValue;
      if (dt === DataType.DateTime) return new Date(toNumber(raw)).toISOString();
      if (dt === DataType.UInt32) return toNumber(raw) >>> 0;
      if (dt >= DataType.Int8 && dt <= DataType.Int32) return intFromRaw(toNumber(raw) >>> 0, dt);
      return longToValue(raw, dt === DataType.Int64);
    }
    case 'floatValue':
      return floatValue(h.floatValue as number);
    case 'doubleValue':
      return h.doubleValue as number;
    case 'booleanValue':
      return h.booleanValue as boolean;
    case 'stringValue':
      return h.stringValue as string;
    case 'bytesValue':
      return bytesValue(h.bytesValue as Uint8Array, dt);
    case 'datasetValue':
      return dataSetValue(h.datasetValue as RawDataSet);
    case 'templateValue':
      return templateValue(h.templateValue as RawTemplate);
    case 'propertysetValue':
      return propertySetValue(h.propertysetValue as RawPropertySet);
    case 'propertysetsValue':
      return (h.propertysetsValue?.propertyset ?? []).map((ps) => propertySetValue(ps));
  }
  return undefined;
}

/** Bytes, File and the Sparkplug 3.0 array types (little-endian in bytes_value). */
function bytesValue(b: Uint8Array, dt: number): SampleValue {
  const buf = Buffer.from(b.buffer, b.byteOffset, b.byteLength);
  const each = (size: number, read: (o: number) => number | string | boolean): SampleValue[] => {
    const out: SampleValue[] = [];
    for (let o = 0; o + size <= buf.length; o += size) out.push(read(o));
    return out;
  };
  const big = (v: bigint): number | string => (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());
  switch (dt) {
    case DataType.Int8Array:
      return each(1, (o) => buf.readInt8(o));
    case DataType.Int16Array:
      return each(2, (o) => buf.readInt16LE(o));
    case DataType.Int32Array:
      return each(4, (o) => buf.readInt32LE(o));
    case DataType.Int64Array:
      return each(8, (o) => big(buf.readBigInt64LE(o)));
    case DataType.UInt8Array:
      return each(1, (o) => buf.readUInt8(o));
    case DataType.UInt16Array:
      return each(2, (o) => buf.readUInt16LE(o));
    case DataType.UInt32Array:
      return each(4, (o) => buf.readUInt32LE(o));
    case DataType.UInt64Array:
      return each(8, (o) => big(buf.readBigUInt64LE(o)));
    case DataType.FloatArray:
      return each(4, (o) => floatValue(buf.readFloatLE(o)));
    case DataType.DoubleArray:
      return each(8, (o) => buf.readDoubleLE(o));
    case DataType.DateTimeArray:
      return each(8, (o) => new Date(Number(buf.readBigInt64LE(o))).toISOString());
    case DataType.BooleanArray: {
      if (buf.length < 4) return [];
      const count = buf.readUInt32LE(0);
      const out: boolean[] = [];
      for (let i = 0; i < count && 4 + (i >> 3) < buf.length; i++) out.push((buf[4 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0);
      return out;
    }
    case DataType.StringArray: {
      const out: string[] = [];
      let start = 0;
      for (let i = 0; i < buf.length; i++) {
        if (buf[i] === 0) {
          out.push(buf.toString('utf8', start, i));
          start = i + 1;
        }
      }
      if (start < buf.length) out.push(buf.toString('utf8', start));
      return out;
    }
    default:
      // Bytes and File: base64 text (a tag sample's value must be JSON).
      return buf.toString('base64');
  }
}

function propertyValue(pv: RawPropertyValue): SampleValue {
  if (pv.isNull) return null;
  return holderValue(pv as ValueHolder, pv.type ?? undefined) ?? null;
}

export function propertySetValue(ps: RawPropertySet | null | undefined): { [key: string]: SampleValue } {
  const out: { [key: string]: SampleValue } = {};
  const keys = ps?.keys ?? [];
  const values = ps?.values ?? [];
  keys.forEach((k, i) => {
    const v = values[i];
    out[k] = v ? propertyValue(v) : null;
  });
  return out;
}

function dataSetValue(ds: RawDataSet): SampleValue {
  const types = ds.types ?? [];
  const columns = ds.columns ?? [];
  const rows = (ds.rows ?? []).map((r) => (r.elements ?? []).map((e, i) => holderValue(e as ValueHolder, types[i]) ?? null));
  return { columns: [...columns], types: types.map((t) => dataTypeName(t) ?? String(t)), rows };
}

function templateValue(t: RawTemplate): SampleValue {
  const out: { [key: string]: SampleValue } = {};
  if (has(t, 'templateRef')) out.templateRef = t.templateRef ?? '';
  if (has(t, 'version')) out.version = t.version ?? '';
  if (t.isDefinition) out.isDefinition = true;
  const params: { [key: string]: SampleValue } = {};
  for (const p of t.parameters ?? []) params[p.name ?? ''] = holderValue(p as ValueHolder, p.type ?? undefined) ?? null;
  if (Object.keys(params).length) out.parameters = params;
  const metrics: { [key: string]: SampleValue } = {};
  for (const m of t.metrics ?? []) metrics[m.name ?? ''] = m.isNull ? null : holderValue(m as ValueHolder, m.datatype ?? undefined) ?? null;
  out.metrics = metrics;
  return out;
}

/** Decodes the protobuf; a malformed payload is a PlantwireError. */
export function decodeRaw(payload: Uint8Array): RawPayload {
  try {
    return PayloadType.decode(payload) as unknown as RawPayload;
  } catch (err) {
    throw new PlantwireError('bad-sparkplug', `not a Sparkplug B payload (protobuf decoding failed: ${toError(err).message})`, 'not a Sparkplug B payload');
  }
}

/** A decoded metric, datatype resolved by the caller (alias/BIRTH). */
export interface MetricInfo {
  name?: string;
  alias?: number;
  timestamp?: number;
  datatype?: number;
  isNull: boolean;
  isHistorical: boolean;
  isTransient: boolean;
  properties?: { [key: string]: SampleValue };
}

export function metricInfo(m: RawMetric): MetricInfo {
  const info: MetricInfo = { isNull: m.isNull === true, isHistorical: m.isHistorical === true, isTransient: m.isTransient === true };
  if (has(m, 'name') && typeof m.name === 'string') info.name = m.name;
  if (has(m, 'alias') && m.alias !== null && m.alias !== undefined) info.alias = toNumber(m.alias);
  if (has(m, 'timestamp') && m.timestamp !== null && m.timestamp !== undefined) info.timestamp = toNumber(m.timestamp);
  if (has(m, 'datatype') && typeof m.datatype === 'number' && m.datatype !== 0) info.datatype = m.datatype;
  if (has(m, 'properties') && m.properties) info.properties = propertySetValue(m.properties);
  return info;
}

export function metricValue(m: RawMetric, datatype: number | undefined): SampleValue {
  if (m.isNull) return null;
  return holderValue(m as ValueHolder, datatype) ?? null;
}

export function payloadHeader(p: RawPayload): { timestamp?: number; seq?: number; uuid?: string } {
  const out: { timestamp?: number; seq?: number; uuid?: string } = {};
  if (has(p, 'timestamp')) out.timestamp = toNumber(p.timestamp);
  if (has(p, 'seq')) out.seq = toNumber(p.seq);
  if (has(p, 'uuid') && p.uuid) out.uuid = p.uuid;
  return out;
}

// ------------------------------------------------------------------ encode

export interface OutMetric {
  name?: string;
  alias?: number;
  type: DataTypeName;
  value: number | boolean | string | null;
  timestamp?: number;
  isHistorical?: boolean;
  isTransient?: boolean;
  properties?: Record<string, { type: DataTypeName; value: number | boolean | string | null }>;
}

export interface OutPayload {
  timestamp: number;
  seq?: number;
  metrics: OutMetric[];
}

/** The value field a datatype travels in (Sparkplug 3.0 §6.4.16; as Tahu's `setValue`). */
function valueField(type: number): keyof ScalarHolder | 'bytesValue' | undefined {
  switch (type) {
    case DataType.Int8:
    case DataType.Int16:
    case DataType.Int32:
    case DataType.UInt8:
    case DataType.UInt16:
      return 'intValue';
    case DataType.Int64:
    case DataType.UInt32:
    case DataType.UInt64:
    case DataType.DateTime:
      return 'longValue';
    case DataType.Float:
      return 'floatValue';
    case DataType.Double:
      return 'doubleValue';
    case DataType.Boolean:
      return 'booleanValue';
    case DataType.String:
    case DataType.Text:
    case DataType.UUID:
      return 'stringValue';
    case DataType.Bytes:
    case DataType.File:
      return 'bytesValue';
    default:
      return undefined;
  }
}

function typeCode(name: DataTypeName): number {
  const code = DataType[name];
  if (code === undefined) throw new PlantwireError('bad-value', `unknown Sparkplug datatype ${JSON.stringify(name)}`, `unknown datatype ${String(name).slice(0, 20)}`);
  return code;
}

function withValue(target: Record<string, unknown>, type: number, value: unknown): void {
  if (value === null || value === undefined) return;
  const field = valueField(type);
  if (field) target[field] = value;
}

/** Encodes a payload (timestamp, seq, metrics with name/alias/datatype/value, flags and properties). */
export function encodeSparkplug(p: OutPayload): Buffer {
  const metrics = p.metrics.map((m) => {
    const datatype = typeCode(m.type);
    const out: Record<string, unknown> = { datatype };
    if (m.name !== undefined) out.name = m.name;
    withValue(out, datatype, m.value);
    if (m.timestamp !== undefined && m.timestamp !== null) out.timestamp = m.timestamp;
    if (m.alias !== undefined && m.alias !== null) out.alias = m.alias;
    if (m.isHistorical !== undefined && m.isHistorical !== null) out.isHistorical = m.isHistorical;
    if (m.isTransient !== undefined && m.isTransient !== null) out.isTransient = m.isTransient;
    if (m.value === null) out.isNull = true;
    if (m.properties) {
      const keys: string[] = [];
      const values: Array<Record<string, unknown>> = [];
      for (const [key, pv] of Object.entries(m.properties)) {
        const type = typeCode(pv.type);
        const v: Record<string, unknown> = { type };
        if (pv.value === null) v.isNull = true;
        withValue(v, type, pv.value);
        keys.push(key);
        values.push(v);
      }
      out.properties = { keys, values };
    }
    return out;
  });
  const msg: Record<string, unknown> = { timestamp: p.timestamp, metrics };
  if (p.seq !== undefined && p.seq !== null) msg.seq = p.seq;
  const bytes = PayloadType.encode(PayloadType.fromObject(msg)).finish();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Converts a sample value to a value of `type` for publishing, or throws a
 * PlantwireError naming the tag when it does not fit.
 */
export function toMetricValue(tag: string, value: SampleValue, type: DataTypeName): number | boolean | string | null {
  if (value === null) return null;
  const bad = (why: string): never => {
    throw new PlantwireError('bad-value', `tag "${tag}": ${why}`, `${tag}: value does not fit ${type}`);
  };
  const ranges: Partial<Record<DataTypeName, [number, number]>> = {
    Int8: [-128, 127],
    Int16: [-32768, 32767],
    Int32: [-2147483648, 2147483647],
    Int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    UInt8: [0, 255],
    UInt16: [0, 65535],
    UInt32: [0, 4294967295],
    UInt64: [0, Number.MAX_SAFE_INTEGER],
  };
  switch (type) {
    case 'Boolean':
      if (typeof value === 'boolean') return value;
      if (typeof value === 'number') return value !== 0;
      return bad(`a Boolean metric needs true/false, got ${JSON.stringify(value)}`);
    case 'Float':
    case 'Double':
      if (typeof value === 'number') return value;
      if (typeof value === 'boolean') return value ? 1 : 0;
      return bad(`a ${type} metric needs a number, got ${JSON.stringify(value)}`);
    case 'String':
    case 'Text':
      return typeof value === 'string' ? value : JSON.stringify(value);
    case 'DateTime': {
      const ms = typeof value === 'number' ? value : typeof value === 'string' ? Date.parse(value) : NaN;
      if (!Number.isFinite(ms)) bad(`a DateTime metric needs an ISO date or epoch ms, got ${JSON.stringify(value)}`);
      return ms;
    }
    default: {
      const range = ranges[type];
      if (!range) return bad(`datatype ${type} cannot be published from a tag sample`);
      const n = typeof value === 'boolean' ? (value ? 1 : 0) : value;
      if (typeof n !== 'number' || !Number.isFinite(n)) return bad(`an ${type} metric needs a number, got ${JSON.stringify(value)}`);
      const r = Math.round(n);
      if (r < range[0] || r > range[1]) bad(`${n} is outside the ${type} range ${range[0]}..${range[1]}`);
      return r;
    }
  }
}

/** The datatype a sample value is published as when none is configured. */
export function inferType(value: SampleValue): DataTypeName {
  if (typeof value === 'boolean') return 'Boolean';
  if (typeof value === 'number') return 'Double';
  return 'String';
}
