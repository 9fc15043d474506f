/**
 * OPC UA values ⇄ plain JSON. Reading: a node-opcua DataValue becomes a tag
 * sample (value as JSON, quality from the StatusCode, both timestamps);
 * structures (ExtensionObjects) become objects keyed by their OPC UA field
 * names. Writing: a JS value is converted to the variable's built-in DataType,
 * refusing what does not fit (a fraction for an Int32, 300 for a Byte, "abc"
 * for a Double) with a message naming the tag, the type and the value.
 *
 * Duck-typed on node-opcua's objects so the hot path (every notification) does
 * not go through node-opcua's getters, and the module loads without it.
 */
import { PlantwireError, describe, makeSample, qualityFromOpcUaStatus, type Quality, type SampleValue, type TagSample } from '../../model';

/** node-opcua's DataType enumeration (OPC UA Part 6 built-in type ids). */
export const BuiltIn = {
  Null: 0,
  Boolean: 1,
  SByte: 2,
  Byte: 3,
  Int16: 4,
  UInt16: 5,
  Int32: 6,
  UInt32: 7,
  Int64: 8,
  UInt64: 9,
  Float: 10,
  Double: 11,
  String: 12,
  DateTime: 13,
  Guid: 14,
  ByteString: 15,
  XmlElement: 16,
  NodeId: 17,
  ExpandedNodeId: 18,
  StatusCode: 19,
  QualifiedName: 20,
  LocalizedText: 21,
  ExtensionObject: 22,
  DataValue: 23,
  Variant: 24,
  DiagnosticInfo: 25,
} as const;
export const BUILT_IN_NAMES: Record<number, string> = Object.fromEntries(Object.entries(BuiltIn).map(([k, v]) => [v, k]));

/** VariantArrayType */
const SCALAR = 0;
const MATRIX = 2;

/** OPC UA Bad_NotConnected: what tags carry while the server is unreachable. */
export const BAD_NOT_CONNECTED = 0x808a0000;
/** OPC UA Bad_NoCommunication: the connection is gone, the last value is stale. */
export const BAD_NO_COMMUNICATION = 0x80310000;

interface VariantLike {
  dataType: number;
  arrayType: number;
  value: unknown;
  dimensions?: number[] | null;
}
interface DataValueLike {
  value: VariantLike | null;
  statusCode?: { value: number } | null;
  sourceTimestamp?: Date | null;
  serverTimestamp?: Date | null;
}
interface FieldLike {
  name: string;
  originalName?: string;
}
interface ExtensionObjectLike {
  schema: { name: string; fields: FieldLike[] };
}

const TWO_32 = 4294967296;

function int64ToJson(v: unknown, signed: boolean): number | string | null {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (Array.isArray(v) && v.length === 2) {
    const hi = Number(v[0]);
    const lo = Number(v[1]) >>> 0;
    let big = (BigInt(hi >>> 0) << 32n) | BigInt(lo);
    if (signed) big = BigInt.asIntN(64, big);
    const n = Number(big);
    return Number.isSafeInteger(n) ? n : big.toString();
  }
  return null;
}

function isExtensionObject(x: object): x is ExtensionObjectLike {
  const s = (x as { schema?: { fields?: unknown } }).schema;
  return s !== undefined && s !== null && Array.isArray(s.fields);
}

/** Any node-opcua value (or nested part of one) as JSON. */
export function toJsonValue(x: unknown): SampleValue {
  if (x === null || x === undefined) return null;
  switch (typeof x) {
    case 'number':
      return Number.isFinite(x) ? x : null;
    case 'string':
    case 'boolean':
      return x;
    case 'bigint':
      return Number.isSafeInteger(Number(x)) ? Number(x) : x.toString();
    case 'object':
      break;
    default:
      return null;
  }
  if (x instanceof Date) return Number.isFinite(x.getTime()) ? x.toISOString() : null;
  if (Buffer.isBuffer(x)) return x.toString('base64');
  if (ArrayBuffer.isView(x)) return Array.from(x as unknown as ArrayLike<number>, (n) => (Number.isFinite(n) ? n : null));
  if (Array.isArray(x)) return x.map(toJsonValue);
  const o = x as Record<string, unknown>;
  if (typeof o.dataType === 'number' && typeof o.arrayType === 'number' && 'value' in o) return variantToJson(o as unknown as VariantLike);
  const schemaName = (o.schema as { name?: unknown } | undefined)?.name;
  if (schemaName === 'LocalizedText') return (o.text as string | null | undefined) ?? null;
  if (schemaName === 'QualifiedName') return o.namespaceIndex ? `${String(o.namespaceIndex)}:${String(o.name)}` : ((o.name as string | null | undefined) ?? null);
  if (isExtensionObject(o)) return structToJson(o);
  if ('identifierType' in o && 'namespace' in o && typeof o.toString === 'function') return String(o.toString());
  if (typeof o.text === 'string' || ('text' in o && 'locale' in o)) return (o.text as string | null) ?? null; // LocalizedText
  if (typeof o.name === 'string' && typeof o.namespaceIndex === 'number') return o.namespaceIndex ? `${o.namespaceIndex}:${o.name}` : o.name; // QualifiedName
  if (typeof o.value === 'number' && typeof o.name === 'string' && typeof o.description === 'string') return o.value; // StatusCode
  if ('value' in o && 'statusCode' in o) return toJsonValue(o.value); // DataValue
  const out: Record<string, SampleValue> = {};
  for (const [k, v] of Object.entries(o)) if (typeof v !== 'function') out[k] = toJsonValue(v);
  return out;
}

/** A structure (ExtensionObject) as an object keyed by its OPC UA field names. */
export function structToJson(eo: ExtensionObjectLike): { [key: string]: SampleValue } {
  const out: Record<string, SampleValue> = {};
  const rec = eo as unknown as Record<string, unknown>;
  for (const f of eo.schema.fields) out[f.originalName ?? f.name] = toJsonValue(rec[f.name]);
  return out;
}

function scalarToJson(dataType: number, v: unknown): SampleValue {
  switch (dataType) {
    case BuiltIn.Double:
    case BuiltIn.Float:
      return typeof v === 'number' && Number.isFinite(v) ? v : null;
    case BuiltIn.Boolean:
    case BuiltIn.SByte:
    case BuiltIn.Byte:
    case BuiltIn.Int16:
    case BuiltIn.UInt16:
    case BuiltIn.Int32:
    case BuiltIn.UInt32:
    case BuiltIn.String:
      return (v as SampleValue) ?? null;
    case BuiltIn.Int64:
      return int64ToJson(v, true);
    case BuiltIn.UInt64:
      return int64ToJson(v, false);
    case BuiltIn.StatusCode:
      return v !== null && typeof v === 'object' && typeof (v as { value?: unknown }).value === 'number' ? (v as { value: number }).value : toJsonValue(v);
    default:
      return toJsonValue(v);
  }
}

function reshape(flat: SampleValue[], dims: number[]): SampleValue {
  if (dims.length <= 1) return flat;
  const [, ...rest] = dims;
  const size = rest.reduce((a, b) => a * b, 1);
  const out: SampleValue[] = [];
  for (let i = 0; i < flat.length; i += size) out.push(reshape(flat.slice(i, i + size), rest));
  return out;
}

/** A node-opcua Variant as JSON: scalars, arrays (matrices as nested arrays), structures as objects. */
export function variantToJson(v: VariantLike | null | undefined): SampleValue {
  if (!v || v.value === null || v.value === undefined) return null;
  if (v.arrayType === SCALAR) return scalarToJson(v.dataType, v.value);
  const items = v.value as ArrayLike<unknown>;
  const flat: SampleValue[] = new Array<SampleValue>(items.length);
  for (let i = 0; i < items.length; i++) flat[i] = scalarToJson(v.dataType, items[i]);
  return v.arrayType === MATRIX && v.dimensions && v.dimensions.length > 1 ? reshape(flat, v.dimensions) : flat;
}

/**
 * A DataValue as a tag sample: quality from the StatusCode (Part 4 §7.39
 * severity bits), statusCode numeric, source timestamp (server timestamp or
 * now when the server sends none) and server timestamp.
 */
export function dataValueToSample(tag: string, dv: DataValueLike, unit?: string): TagSample {
  const code = dv.statusCode?.value ?? 0;
  const server = validMs(dv.serverTimestamp);
  const source = validMs(dv.sourceTimestamp) ?? server ?? Date.now();
  return sampleOf(tag, variantToJson(dv.value), qualityFromOpcUaStatus(code), code, iso(source, 0), server === undefined ? undefined : iso(server, 1), unit);
}

function validMs(d: Date | null | undefined): number | undefined {
  if (!d) return undefined;
  const ms = d.getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/**
 * ISO 8601 of epoch ms, remembering recent results: the values of one publish
 * share a few timestamps (one PLC scan or sampling tick each, interleaved when
 * items queue several values), and formatting dates would otherwise be most
 * of the cost of a sample.
 */
const ISO_CACHE_SIZE = 256;
const isoCache = [new Map<number, string>(), new Map<number, string>()] as const;
function iso(ms: number, slot: 0 | 1): string {
  const cache = isoCache[slot];
  let text = cache.get(ms);
  if (text === undefined) {
    text = new Date(ms).toISOString();
    if (cache.size >= ISO_CACHE_SIZE) cache.clear();
    cache.set(ms, text);
  }
  return text;
}

/**
 * The hot-path twin of `makeSample` (src/model): the same object, with the
 * same keys in the same order, from already formatted timestamps (a unit test
 * checks it against makeSample).
 */
export function sampleOf(tag: string, value: SampleValue, quality: Quality, statusCode: number, sourceTimestamp: string, serverTimestamp: string | undefined, unit: string | undefined): TagSample {
  const sample: TagSample = { tag, value, quality, sourceTimestamp };
  sample.statusCode = statusCode;
  if (serverTimestamp !== undefined) sample.serverTimestamp = serverTimestamp;
  if (unit !== undefined && unit !== '') sample.unit = unit;
  return sample;
}

/** A sample telling that a tag's value is not known now (connection lost, item failed). */
export function badSample(tag: string, value: SampleValue, statusCode: number, unit?: string, at: number = Date.now()): TagSample {
  return makeSample(tag, value, { quality: qualityFromOpcUaStatus(statusCode), statusCode, sourceTimestamp: at, ...(unit ? { unit } : {}) });
}

// -------------------------------------------------------------------- writing

const INT_RANGES: Record<number, [number, number]> = {
  [BuiltIn.SByte]: [-128, 127],
  [BuiltIn.Byte]: [0, 255],
  [BuiltIn.Int16]: [-32768, 32767],
  [BuiltIn.UInt16]: [0, 65535],
  [BuiltIn.Int32]: [-2147483648, 2147483647],
  [BuiltIn.UInt32]: [0, 4294967295],
};

function fail(where: string, typeName: string, value: unknown, hint = ''): never {
  throw new PlantwireError('bad-value', `${where}: ${describe(value)} cannot be written as ${typeName}${hint ? `: ${hint}` : ''}`, `value does not fit ${typeName}`);
}

function toNumber(where: string, typeName: string, value: unknown): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(where, typeName, value, 'not a finite number');
    return value;
  }
  if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) return Number(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  return fail(where, typeName, value, 'expected a number');
}

function toInt64(where: string, typeName: string, value: unknown, signed: boolean): [number, number] {
  let big: bigint;
  try {
    if (typeof value === 'bigint') big = value;
    else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
    else if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) big = BigInt(value.trim());
    else return fail(where, typeName, value, 'expected a whole number (use a string for values beyond 2^53)');
  } catch {
    return fail(where, typeName, value, 'expected a whole number');
  }
  const min = signed ? -(2n ** 63n) : 0n;
  const max = signed ? 2n ** 63n - 1n : 2n ** 64n - 1n;
  if (big < min || big > max) fail(where, typeName, value, `out of range ${min}..${max}`);
  const u = BigInt.asUintN(64, big);
  return [Number(u >> 32n), Number(u & 0xffffffffn)];
}

/**
 * Converts one JS value to the built-in type `dataType` for a write or a method
 * argument. Throws a PlantwireError naming `where`, the type and the value.
 * Structures and NodeIds are handled by the caller (they need the session).
 */
export function coerceScalar(dataType: number, value: unknown, where: string): unknown {
  const typeName = BUILT_IN_NAMES[dataType] ?? `DataType ${dataType}`;
  switch (dataType) {
    case BuiltIn.Boolean:
      if (typeof value === 'boolean') return value;
      if (value === 0 || value === 1) return value === 1;
      if (typeof value === 'string' && /^(true|false|1|0)$/i.test(value.trim())) return /^(true|1)$/i.test(value.trim());
      return fail(where, typeName, value, 'expected true or false');
    case BuiltIn.SByte:
    case BuiltIn.Byte:
    case BuiltIn.Int16:
    case BuiltIn.UInt16:
    case BuiltIn.Int32:
    case BuiltIn.UInt32: {
      const n = toNumber(where, typeName, value);
      const [min, max] = INT_RANGES[dataType] as [number, number];
      if (!Number.isInteger(n)) fail(where, typeName, value, 'expected a whole number');
      if (n < min || n > max) fail(where, typeName, value, `out of range ${min}..${max}`);
      return n;
    }
    case BuiltIn.Int64:
      return toInt64(where, typeName, value, true);
    case BuiltIn.UInt64:
      return toInt64(where, typeName, value, false);
    case BuiltIn.Float: {
      const n = toNumber(where, typeName, value);
      if (Math.abs(n) > 3.4028234663852886e38) fail(where, typeName, value, 'out of the Float range');
      return n;
    }
    case BuiltIn.Double:
      return toNumber(where, typeName, value);
    case BuiltIn.String:
    case BuiltIn.XmlElement:
      if (typeof value === 'string') return value;
      if (typeof value === 'number' || typeof value === 'boolean') return String(value);
      return fail(where, typeName, value, 'expected text');
    case BuiltIn.DateTime: {
      const d = value instanceof Date ? value : typeof value === 'number' || typeof value === 'string' ? new Date(value) : null;
      if (!d || !Number.isFinite(d.getTime())) fail(where, typeName, value, 'expected an ISO 8601 date, epoch milliseconds or a Date');
      return d;
    }
    case BuiltIn.Guid:
      if (typeof value === 'string' && /^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$/.test(value)) return value;
      return fail(where, typeName, value, 'expected a GUID string');
    case BuiltIn.ByteString:
      if (Buffer.isBuffer(value)) return value;
      if (value instanceof Uint8Array) return Buffer.from(value);
      if (Array.isArray(value) && value.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)) return Buffer.from(value as number[]);
      if (typeof value === 'string') return Buffer.from(value, 'base64');
      return fail(where, typeName, value, 'expected a Buffer, an array of bytes or a base64 string');
    case BuiltIn.LocalizedText:
      if (typeof value === 'string') return { text: value };
      if (value && typeof value === 'object' && typeof (value as { text?: unknown }).text === 'string') return value;
      return fail(where, typeName, value, 'expected text or {text, locale}');
    case BuiltIn.QualifiedName: {
      if (typeof value !== 'string' || value === '') return fail(where, typeName, value, 'expected "name" or "ns:name"');
      const m = /^(\d+):(.+)$/.exec(value);
      return m ? { namespaceIndex: Number(m[1]), name: m[2] } : { namespaceIndex: 0, name: value };
    }
    case BuiltIn.Variant:
      return value;
    default:
      return fail(where, typeName, value, 'writing this type is not supported');
  }
}

/** The built-in type a JS value maps to when the target is BaseDataType (any). */
export function inferBuiltIn(value: unknown): number {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'boolean') return BuiltIn.Boolean;
  if (typeof first === 'number') return BuiltIn.Double;
  if (typeof first === 'string') return BuiltIn.String;
  if (first instanceof Date) return BuiltIn.DateTime;
  if (Buffer.isBuffer(first)) return BuiltIn.ByteString;
  return BuiltIn.Null;
}

/**
 * Checks the fields of a structure value against its schema and renames them
 * to node-opcua's property names (the OPC UA name `BatchId` or node-opcua's
 * `batchId` are both accepted). Unknown and missing fields are errors: a
 * structured write never zeroes a field the flow forgot.
 */
export function structFromJson(schema: ExtensionObjectLike['schema'], value: unknown, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new PlantwireError('bad-value', `${where}: ${schema.name} is a structure: send an object {${schema.fields.map((f) => f.originalName ?? f.name).join(', ')}}, got ${describe(value)}`, `${schema.name} needs an object`);
  }
  const byName = new Map<string, FieldLike>();
  for (const f of schema.fields) {
    byName.set(f.name, f);
    if (f.originalName) byName.set(f.originalName, f);
  }
  const out: Record<string, unknown> = {};
  const given = value as Record<string, unknown>;
  for (const [k, v] of Object.entries(given)) {
    const f = byName.get(k);
    if (!f) {
      throw new PlantwireError(
        'bad-value',
        `${where}: ${schema.name} has no field "${k}"; its fields are ${schema.fields.map((x) => x.originalName ?? x.name).join(', ')}`,
        `unknown field ${k}`,
      );
    }
    const nested = (f as { schema?: { fields?: unknown } }).schema;
    out[f.name] = v !== null && typeof v === 'object' && !Array.isArray(v) && nested && Array.isArray(nested.fields) ? structFromJson(nested as ExtensionObjectLike['schema'], v, `${where}.${k}`) : v;
  }
  const missing = schema.fields.filter((f) => !(f.name in out) && !(f as { isOptional?: boolean }).isOptional).map((f) => f.originalName ?? f.name);
  if (missing.length) {
    throw new PlantwireError('bad-value', `${where}: ${schema.name} is missing ${missing.join(', ')}: send every field (read the value first to change one field)`, `missing field ${missing[0]}`);
  }
  return out;
}

/** Name of a StatusCode for messages, e.g. `BadOutOfRange (0x803C0000)`. */
export function statusText(code: number, name?: string): string {
  const hex = `0x${(code >>> 0).toString(16).toUpperCase().padStart(8, '0')}`;
  return name ? `${name} (${hex})` : hex;
}
