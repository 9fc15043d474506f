/**
 * Read, write and method call on a live session, type-aware: a write reads the
 * variable's DataType and ValueRank once per session and converts the JS value
 * to it (numbers, booleans, strings, dates, 64-bit integers, arrays, matrices
 * and structured ExtensionObjects); a call reads the method's InputArguments
 * and converts each argument to its declared type.
 */
import type { NodeId, VariantOptions } from 'node-opcua';
import { PlantwireError, describe, toError, type SampleValue, type TagSample } from '../../model';
import { BAD_NODE_ID_INVALID, BAD_NODE_ID_UNKNOWN, chunks, resolveAll, toNodeId } from './browse';

const BAD_ATTRIBUTE_ID_INVALID = 0x80350000;
import type { SessionContext } from './connection';
import { opcua } from './lib';
import type { TagSpec } from './tags';
import { BUILT_IN_NAMES, BuiltIn, coerceScalar, dataValueToSample, inferBuiltIn, statusText, structFromJson, toJsonValue } from './values';

/** What a value must be converted to. */
export interface TypeInfo {
  /** Built-in type (BuiltIn.*). */
  builtIn: number;
  dataTypeId: NodeId;
  /** -1 scalar, ≥ 1 array dimensions, 0 / -2 / -3 either. */
  valueRank: number;
  /** Readable type name for messages, e.g. `Double[]`, `BatchRecord`. */
  typeName: string;
}

const STRUCTURE_ID = 'ns=0;i=22';

async function typeName(ctx: SessionContext, dataTypeId: NodeId, builtIn: number): Promise<string> {
  if (dataTypeId.namespace === 0 && typeof dataTypeId.value === 'number' && BUILT_IN_NAMES[dataTypeId.value]) return BUILT_IN_NAMES[dataTypeId.value] ?? '';
  try {
    const dv = await ctx.session.read({ nodeId: dataTypeId, attributeId: opcua().AttributeIds.BrowseName });
    const qn = dv.value.value as { name?: string } | null;
    if (qn?.name) return qn.name;
  } catch {
    /* fall through */
  }
  return BUILT_IN_NAMES[builtIn] ?? dataTypeId.toString();
}

/** DataType and ValueRank of a variable, cached per session. */
export async function variableType(ctx: SessionContext, nodeId: NodeId): Promise<TypeInfo> {
  const key = `type:${nodeId.toString()}`;
  const cached = ctx.cache.get(key) as Promise<TypeInfo> | undefined;
  if (cached) return cached;
  const p = (async (): Promise<TypeInfo> => {
    const O = opcua();
    const [dt, rank] = await ctx.session.read([
      { nodeId, attributeId: O.AttributeIds.DataType },
      { nodeId, attributeId: O.AttributeIds.ValueRank },
    ]);
    if (!dt || dt.statusCode.isNotGood() || !dt.value.value) {
      throw new PlantwireError('not-a-variable', `${nodeId.toString()} is not a variable (DataType: ${dt?.statusCode.name ?? 'unreadable'})`, 'not a variable');
    }
    const dataTypeId = dt.value.value as NodeId;
    const builtIn = (await O.findBasicDataType(ctx.session, dataTypeId)) as number;
    const valueRank = typeof rank?.value.value === 'number' ? (rank.value.value as number) : -1;
    return { builtIn, dataTypeId, valueRank, typeName: await typeName(ctx, dataTypeId, builtIn) };
  })();
  p.catch(() => ctx.cache.delete(key));
  ctx.cache.set(key, p);
  return p;
}

/** The declared type of a method argument. */
async function argumentType(ctx: SessionContext, arg: { dataType: NodeId; valueRank: number }): Promise<TypeInfo> {
  const O = opcua();
  const builtIn = (await O.findBasicDataType(ctx.session, arg.dataType)) as number;
  return { builtIn, dataTypeId: arg.dataType, valueRank: arg.valueRank, typeName: await typeName(ctx, arg.dataType, builtIn) };
}

async function structSchema(ctx: SessionContext, dataTypeId: NodeId, where: string): Promise<{ name: string; fields: Array<{ name: string; originalName?: string }> }> {
  const key = `schema:${dataTypeId.toString()}`;
  let p = ctx.cache.get(key) as Promise<{ name: string; fields: Array<{ name: string; originalName?: string }> }> | undefined;
  if (!p) {
    p = ctx.session.constructExtensionObject(dataTypeId, {}).then((eo) => (eo as unknown as { schema: { name: string; fields: Array<{ name: string; originalName?: string }> } }).schema);
    p.catch(() => ctx.cache.delete(key));
    ctx.cache.set(key, p);
  }
  try {
    return await p;
  } catch (err) {
    throw new PlantwireError('unknown-structure', `${where}: cannot build the structure ${dataTypeId.toString()}: ${toError(err).message}`, 'unknown structure type');
  }
}

function flatten(value: unknown[], depth: number): { flat: unknown[]; dims: number[] } {
  const dims: number[] = [];
  let level: unknown = value;
  for (let d = 0; d < depth; d++) {
    if (!Array.isArray(level)) break;
    dims.push(level.length);
    level = level[0];
  }
  const flat = (value as unknown[]).flat(depth - 1);
  return { flat, dims };
}

/**
 * Converts a JS value to a Variant of the given type. Throws a PlantwireError
 * naming `where`, the type and the value when it does not fit.
 */
export async function toVariant(ctx: SessionContext, type: TypeInfo, value: unknown, where: string): Promise<VariantOptions> {
  const O = opcua();
  const isArray = Array.isArray(value) || (value instanceof Float64Array);
  const rank = type.valueRank;
  const arrayName = rank >= 1 ? `${type.typeName}${'[]'.repeat(rank)}` : type.typeName;
  if (value === undefined || value === null) {
    throw new PlantwireError('bad-value', `${where}: no value to write (payload is ${describe(value)}); ${arrayName} expected`, 'no value');
  }
  if (isArray && rank === -1) throw new PlantwireError('bad-value', `${where}: ${type.typeName} takes a single value, got ${describe(value)}`, `${type.typeName} is not an array`);
  if (!isArray && rank >= 1) throw new PlantwireError('bad-value', `${where}: ${arrayName} takes an array, got ${describe(value)}`, `${arrayName} needs an array`);

  let builtIn = type.builtIn;
  if (builtIn === BuiltIn.Variant || builtIn === BuiltIn.Null) {
    builtIn = inferBuiltIn(value);
    if (builtIn === BuiltIn.Null) throw new PlantwireError('bad-value', `${where}: the variable takes any type (BaseDataType), and ${describe(value)} has none that fits: send a number, boolean, string or array of them`, 'value type unknown');
  }

  const one = async (v: unknown, at: string): Promise<unknown> => {
    if (builtIn === BuiltIn.ExtensionObject) {
      if (type.dataTypeId.toString() === STRUCTURE_ID) throw new PlantwireError('bad-value', `${at}: the variable's DataType is the abstract Structure; write to a variable with a concrete structure type`, 'abstract structure');
      const schema = await structSchema(ctx, type.dataTypeId, at);
      return ctx.session.constructExtensionObject(type.dataTypeId, structFromJson(schema, v, at));
    }
    if (builtIn === BuiltIn.NodeId || builtIn === BuiltIn.ExpandedNodeId) {
      if (typeof v !== 'string') throw new PlantwireError('bad-value', `${at}: ${describe(v)} cannot be written as NodeId: expected a NodeId string`, 'value does not fit NodeId');
      return toNodeId(ctx, v);
    }
    return coerceScalar(builtIn, v, at);
  };

  if (!isArray) return { dataType: builtIn, arrayType: O.VariantArrayType.Scalar, value: await one(value, where) };
  const arr = Array.from(value as ArrayLike<unknown>);
  if (rank >= 2 || (rank <= 0 && arr.some((x) => Array.isArray(x)))) {
    const depth = rank >= 2 ? rank : 2;
    const { flat, dims } = flatten(arr, depth);
    const converted = await Promise.all(flat.map((x, i) => one(x, `${where}[${i}]`)));
    if (dims.reduce((a, b) => a * b, 1) !== converted.length) throw new PlantwireError('bad-value', `${where}: the nested arrays are not rectangular (${dims.join('×')})`, 'matrix not rectangular');
    return { dataType: builtIn, arrayType: O.VariantArrayType.Matrix, value: converted, dimensions: dims };
  }
  const converted = await Promise.all(arr.map((x, i) => one(x, `${where}[${i}]`)));
  return { dataType: builtIn, arrayType: O.VariantArrayType.Array, value: converted };
}

// ------------------------------------------------------------------------ read

/** Reads tags (batched by the server's MaxNodesPerRead) as tag samples. */
export async function readTags(ctx: SessionContext, specs: readonly TagSpec[], opts: { maxAge?: number } = {}): Promise<TagSample[]> {
  const O = opcua();
  const nodeIds = await resolveAll(ctx, specs);
  const out: TagSample[] = [];
  let k = 0;
  for (const part of chunks(nodeIds, ctx.limits.maxNodesPerRead)) {
    const dvs = await ctx.session.read(
      part.map((nodeId) => ({ nodeId, attributeId: O.AttributeIds.Value })),
      opts.maxAge ?? 0,
    );
    dvs.forEach((dv) => {
      const spec = specs[k++];
      if (!spec) return;
      const code = dv.statusCode.value;
      // A node that does not exist is a configuration error, not a data quality.
      if (code === BAD_NODE_ID_UNKNOWN || code === BAD_NODE_ID_INVALID || code === BAD_ATTRIBUTE_ID_INVALID) {
        throw new PlantwireError('unknown-tag', `tag ${spec.tag} (${spec.nodeId ?? spec.browsePath}) cannot be read: ${statusText(code, dv.statusCode.name)}`, `unknown tag ${spec.tag}`);
      }
      out.push(dataValueToSample(spec.tag, dv));
    });
  }
  return out;
}

// ----------------------------------------------------------------------- write

export interface WriteRequest {
  spec: TagSpec;
  value: unknown;
}

export interface WriteResult {
  tag: string;
  nodeId: string;
  statusCode: number;
  status: string;
  ok: boolean;
}

/**
 * Writes values (each converted to its variable's type first; a value that
 * does not fit fails before anything is written). Results per tag; a refusal
 * by the server is a result with ok false, not an exception.
 */
export async function writeTags(ctx: SessionContext, requests: readonly WriteRequest[]): Promise<WriteResult[]> {
  const O = opcua();
  const nodeIds = await resolveAll(
    ctx,
    requests.map((r) => r.spec),
  );
  const variants = await Promise.all(
    requests.map(async (r, i) => {
      const nodeId = nodeIds[i] as NodeId;
      const type = await variableType(ctx, nodeId);
      return toVariant(ctx, type, r.value, `write to ${r.spec.tag} (${type.typeName})`);
    }),
  );
  const results: WriteResult[] = [];
  let k = 0;
  for (const part of chunks(
    requests.map((r, i) => ({ r, nodeId: nodeIds[i] as NodeId, variant: variants[i] as VariantOptions })),
    ctx.limits.maxNodesPerWrite,
  )) {
    const codes = await ctx.session.write(part.map((p) => ({ nodeId: p.nodeId, attributeId: O.AttributeIds.Value, value: { value: p.variant } })));
    codes.forEach((code, j) => {
      const p = part[j];
      if (!p) return;
      results.push({ tag: p.r.spec.tag, nodeId: p.nodeId.toString(), statusCode: code.value, status: code.name, ok: code.isGood() });
      k++;
    });
  }
  void k;
  return results;
}

// ---------------------------------------------------------------------- method

export interface CallResult {
  statusCode: number;
  status: string;
  /** Output arguments by name. */
  outputs: Record<string, SampleValue>;
  /** Output arguments in order. */
  outputArguments: SampleValue[];
}

interface ArgumentLike {
  name?: string | null;
  dataType: NodeId;
  valueRank: number;
}

/** The method's declared input and output arguments, cached per session. */
export async function methodArguments(ctx: SessionContext, methodId: NodeId): Promise<{ inputs: ArgumentLike[]; outputs: ArgumentLike[] }> {
  const key = `args:${methodId.toString()}`;
  let p = ctx.cache.get(key) as Promise<{ inputs: ArgumentLike[]; outputs: ArgumentLike[] }> | undefined;
  if (!p) {
    p = ctx.session.getArgumentDefinition(methodId).then((d) => ({
      inputs: (d.inputArguments ?? []) as unknown as ArgumentLike[],
      outputs: (d.outputArguments ?? []) as unknown as ArgumentLike[],
    }));
    p.catch(() => ctx.cache.delete(key));
    ctx.cache.set(key, p);
  }
  return p;
}

/**
 * Calls a method with typed arguments: `args` is an array in declaration order
 * or an object keyed by argument name (a single-argument method also takes the
 * plain value). Throws on a bad argument or when the server refuses the call.
 */
export async function callMethod(ctx: SessionContext, object: TagSpec, method: TagSpec, args: unknown): Promise<CallResult> {
  const [objectId, methodId] = await resolveAll(ctx, [object, method]);
  if (!objectId || !methodId) throw new PlantwireError('unknown-tag', 'method or object not found', 'method not found');
  const { inputs, outputs } = await methodArguments(ctx, methodId);
  const label = `method ${method.tag}`;
  const names = inputs.map((a) => a.name ?? '');
  let values: unknown[];
  if (args === undefined || args === null || args === '') {
    values = [];
  } else if (Array.isArray(args)) {
    // One array argument and a flat array: that array is the argument.
    const single = inputs.length === 1 && (inputs[0]?.valueRank ?? -1) >= 1 && !args.some((x) => Array.isArray(x));
    values = single ? [args] : args;
  } else if (typeof args === 'object' && !(args instanceof Date) && !Buffer.isBuffer(args)) {
    const keys = Object.keys(args as Record<string, unknown>);
    if (keys.length > 0 && keys.every((k) => names.includes(k))) {
      values = names.map((n) => (args as Record<string, unknown>)[n]);
    } else if (inputs.length === 1) {
      values = [args]; // e.g. the fields of a single structure argument
    } else {
      const unknown = keys.filter((k) => !names.includes(k));
      throw new PlantwireError('bad-argument', `${label} has no argument ${unknown.map((u) => `"${u}"`).join(', ')}; its arguments are ${names.join(', ') || '(none)'}`, `unknown argument ${unknown[0] ?? ''}`);
    }
  } else {
    values = [args];
  }
  if (values.length !== inputs.length) {
    const sig = inputs.map((a) => a.name ?? '?').join(', ');
    throw new PlantwireError('bad-argument', `${label} takes ${inputs.length} argument${inputs.length === 1 ? '' : 's'} (${sig || 'none'}), got ${values.length}`, `needs ${inputs.length} argument${inputs.length === 1 ? '' : 's'}`);
  }
  const inputArguments = await Promise.all(
    inputs.map(async (a, i) => {
      const type = await argumentType(ctx, a);
      const v = values[i];
      if (v === undefined || v === null) throw new PlantwireError('bad-argument', `${label}: argument ${a.name ?? i} (${type.typeName}) is missing`, `argument ${a.name ?? i} missing`);
      return toVariant(ctx, type, v, `${label}, argument ${a.name ?? i} (${type.typeName})`);
    }),
  );
  const result = await ctx.session.call({ objectId, methodId, inputArguments });
  if (result.statusCode.isNotGood()) {
    const argErrors = (result.inputArgumentResults ?? [])
      .map((s, i) => (s.isNotGood() ? `${inputs[i]?.name ?? i}: ${s.name}` : ''))
      .filter(Boolean)
      .join(', ');
    throw new PlantwireError(
      'call-failed',
      `${label} was refused by the server: ${statusText(result.statusCode.value, result.statusCode.name)}${argErrors ? ` (${argErrors})` : ''}`,
      `call refused: ${result.statusCode.name}`,
    );
  }
  const outputArguments = (result.outputArguments ?? []).map((v) => toJsonValue(v));
  const named: Record<string, SampleValue> = {};
  outputs.forEach((a, i) => (named[a.name || `output${i}`] = outputArguments[i] ?? null));
  return { statusCode: result.statusCode.value, status: result.statusCode.name, outputs: named, outputArguments };
}
