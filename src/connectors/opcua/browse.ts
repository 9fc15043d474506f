/**
 * Address-space helpers on a live session: resolving tags (NodeIds with
 * `nsu=` namespace URIs, browse paths walked from the Root folder with a
 * per-session cache) and browsing one level of the tree for the editor and
 * the CLI (children with node class, data type, access and whether they have
 * children of their own).
 */
import type { BrowseDescriptionOptions, BrowseResult, DataValue, NodeId, ReferenceDescription } from 'node-opcua';
import { PlantwireError, toError } from '../../model';
import type { SessionContext } from './connection';
import { opcua } from './lib';
import { parseBrowsePath, type TagSpec } from './tags';
import { BUILT_IN_NAMES } from './values';

/** OPC UA Bad_NodeIdUnknown / Bad_NoMatch / Bad_NodeIdInvalid */
export const BAD_NODE_ID_UNKNOWN = 0x80340000;
export const BAD_NO_MATCH = 0x806f0000;
export const BAD_NODE_ID_INVALID = 0x80330000;

export interface ResolvedTag {
  spec: TagSpec;
  nodeId: NodeId | null;
  /** Why it could not be resolved (statusCode is an OPC UA Bad code). */
  error?: { statusCode: number; message: string };
}

interface Child {
  nodeId: NodeId;
  ns: number;
  name: string;
}

const ROOT = 'i=84';

/** Splits a batch into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const n = Math.max(1, Math.floor(size));
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += n) out.push(items.slice(i, i + n));
  return out;
}

/** A NodeId string to a NodeId of this session (`nsu=` mapped through the namespace array). */
export function toNodeId(ctx: Pick<SessionContext, 'namespaces'>, text: string): NodeId {
  const O = opcua();
  let s = text.trim();
  const m = /^nsu=([^;]+);(.*)$/s.exec(s);
  if (m) {
    const idx = ctx.namespaces.indexOf(m[1] ?? '');
    if (idx < 0) throw new PlantwireError('unknown-namespace', `namespace ${m[1]} is not on the server (NamespaceArray: ${ctx.namespaces.join(', ')})`, 'unknown namespace');
    s = `ns=${idx};${m[2] ?? ''}`;
  }
  try {
    return O.resolveNodeId(s);
  } catch (err) {
    throw new PlantwireError('bad-tag', `${text} is not a valid NodeId: ${toError(err).message}`, 'bad NodeId');
  }
}

/** All references of one browse, following continuation points. */
async function browseAll(ctx: SessionContext, desc: BrowseDescriptionOptions, max = Infinity): Promise<{ refs: ReferenceDescription[]; truncated: boolean }> {
  const refs: ReferenceDescription[] = [];
  let result: BrowseResult = await ctx.session.browse(desc);
  for (;;) {
    if (result.statusCode.isNotGood()) throw new PlantwireError('browse-failed', `browsing ${String(desc.nodeId)} failed: ${result.statusCode.name}`, `browse: ${result.statusCode.name}`);
    refs.push(...(result.references ?? []));
    const cp = result.continuationPoint;
    if (!cp || cp.length === 0) return { refs, truncated: false };
    if (refs.length >= max) {
      await ctx.session.browseNext(cp, true).catch(() => undefined);
      return { refs: refs.slice(0, max), truncated: true };
    }
    result = await ctx.session.browseNext(cp, false);
  }
}

function hierarchical(nodeId: NodeId | string): BrowseDescriptionOptions {
  const O = opcua();
  return {
    nodeId,
    browseDirection: O.BrowseDirection.Forward,
    referenceTypeId: O.ReferenceTypeIds.HierarchicalReferences,
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  };
}

function childrenOf(ctx: SessionContext, nodeId: NodeId): Promise<Child[]> {
  const key = `children:${nodeId.toString()}`;
  let p = ctx.cache.get(key) as Promise<Child[]> | undefined;
  if (!p) {
    p = browseAll(ctx, hierarchical(nodeId)).then(({ refs }) =>
      refs.map((r) => ({ nodeId: r.nodeId as unknown as NodeId, ns: r.browseName.namespaceIndex, name: r.browseName.name ?? '' })),
    );
    // A failed browse is not cached: the next resolution tries again.
    p.catch(() => ctx.cache.delete(key));
    ctx.cache.set(key, p);
  }
  return p;
}

/** Walks a browse path from the Root folder. */
export async function resolveBrowsePath(ctx: SessionContext, path: string): Promise<NodeId> {
  const O = opcua();
  const key = `path:${path}`;
  const cached = ctx.cache.get(key) as NodeId | undefined;
  if (cached) return cached;
  let current: NodeId = O.resolveNodeId(ROOT);
  let walked = '';
  for (const seg of parseBrowsePath(path)) {
    const children = await childrenOf(ctx, current);
    const match = children.find((c) => c.name === seg.name && (seg.ns === undefined || c.ns === seg.ns));
    walked += `/${seg.ns !== undefined ? `${seg.ns}:` : ''}${seg.name}`;
    if (!match) {
      const near = children
        .slice(0, 8)
        .map((c) => c.name)
        .join(', ');
      throw new PlantwireError('no-match', `browse path ${path}: ${walked} does not exist${near ? ` (there: ${near}${children.length > 8 ? ', …' : ''})` : ''}`, 'browse path not found');
    }
    current = match.nodeId;
  }
  ctx.cache.set(key, current);
  return current;
}

/** Resolves tags to NodeIds; a tag that cannot be resolved gets an error instead (the others go on). */
export async function resolveTags(ctx: SessionContext, specs: readonly TagSpec[]): Promise<ResolvedTag[]> {
  return Promise.all(
    specs.map(async (spec): Promise<ResolvedTag> => {
      try {
        if (spec.nodeId !== undefined) return { spec, nodeId: toNodeId(ctx, spec.nodeId) };
        return { spec, nodeId: await resolveBrowsePath(ctx, spec.browsePath ?? '') };
      } catch (err) {
        if (ctx.closed) throw err;
        const e = toError(err);
        const code = e instanceof PlantwireError && e.code === 'no-match' ? BAD_NO_MATCH : e instanceof PlantwireError && e.code === 'bad-tag' ? BAD_NODE_ID_INVALID : BAD_NODE_ID_UNKNOWN;
        return { spec, nodeId: null, error: { statusCode: code, message: e.message } };
      }
    }),
  );
}

/** Resolves tags and throws the first failure (reads, writes, calls: all or nothing). */
export async function resolveAll(ctx: SessionContext, specs: readonly TagSpec[]): Promise<NodeId[]> {
  const resolved = await resolveTags(ctx, specs);
  const bad = resolved.find((r) => r.error);
  if (bad?.error) throw new PlantwireError('unknown-tag', `tag ${bad.spec.tag}: ${bad.error.message}`, 'unknown tag');
  return resolved.map((r) => r.nodeId as NodeId);
}

// ------------------------------------------------------------------- browsing

export interface BrowseItem {
  nodeId: string;
  /** `ns:Name` (just `Name` in namespace 0). */
  browseName: string;
  displayName: string;
  nodeClass: string;
  /** Browse path from the Root folder, when the parent's path is known. */
  browsePath?: string;
  /** Variables: the data type's name, `[]` appended for arrays. */
  dataType?: string;
  /** Variables: the current user may write the value. */
  writable?: boolean;
  hasChildren: boolean;
}

export interface BrowseLevel {
  nodeId: string;
  browsePath?: string;
  items: BrowseItem[];
  truncated: boolean;
}

let standardTypeNames: Map<string, string> | undefined;
function standardTypeName(id: string): string | undefined {
  if (!standardTypeNames) {
    standardTypeNames = new Map();
    for (const [name, v] of Object.entries(opcua().DataTypeIds as unknown as Record<string, number>)) standardTypeNames.set(`ns=0;i=${v}`, name);
  }
  return standardTypeNames.get(id);
}

async function dataTypeNames(ctx: SessionContext, ids: NodeId[]): Promise<Map<string, string>> {
  const O = opcua();
  const out = new Map<string, string>();
  const unknown: NodeId[] = [];
  for (const id of ids) {
    const key = id.toString();
    if (out.has(key)) continue;
    const std = id.namespace === 0 ? (standardTypeName(key) ?? (typeof id.value === 'number' ? BUILT_IN_NAMES[id.value] : undefined)) : undefined;
    if (std) out.set(key, std);
    else if (!unknown.some((u) => u.toString() === key)) unknown.push(id);
  }
  for (const part of chunks(unknown, ctx.limits.maxNodesPerRead)) {
    const dvs = await ctx.session.read(part.map((nodeId) => ({ nodeId, attributeId: O.AttributeIds.BrowseName })));
    part.forEach((id, i) => {
      const qn = dvs[i]?.value.value as { name?: string } | null;
      out.set(id.toString(), qn?.name ?? id.toString());
    });
  }
  return out;
}

const NODE_CLASS: Record<number, string> = { 1: 'Object', 2: 'Variable', 4: 'Method', 8: 'ObjectType', 16: 'VariableType', 32: 'ReferenceType', 64: 'DataType', 128: 'View' };

/**
 * One level of the address space below `nodeId` (default: the Objects
 * folder): Objects, Variables and Methods, with what the editor's tree needs.
 */
export async function browseChildren(ctx: SessionContext, nodeIdText = 'i=85', opts: { browsePath?: string; max?: number } = {}): Promise<BrowseLevel> {
  const O = opcua();
  const parent = toNodeId(ctx, nodeIdText);
  const parentPath = opts.browsePath ?? (nodeIdText === 'i=85' || nodeIdText === 'ns=0;i=85' ? '/Objects' : undefined);
  const classDv = await ctx.session.read({ nodeId: parent, attributeId: O.AttributeIds.NodeClass });
  if (classDv.statusCode.isNotGood()) throw new PlantwireError('not-found', `node ${nodeIdText} does not exist on the server (${classDv.statusCode.name})`, 'node not found');
  const parentIsVariable = classDv.value.value === O.NodeClass.Variable;
  const desc = hierarchical(parent);
  if (parentIsVariable) desc.referenceTypeId = O.ReferenceTypeIds.HasComponent;
  desc.nodeClassMask = O.NodeClass.Object | O.NodeClass.Variable | O.NodeClass.Method;
  const { refs, truncated } = await browseAll(ctx, desc, opts.max ?? 5000);

  const items: BrowseItem[] = refs.map((r) => {
    const ns = r.browseName.namespaceIndex;
    const name = r.browseName.name ?? '';
    const item: BrowseItem = {
      nodeId: r.nodeId.toString(),
      browseName: ns ? `${ns}:${name}` : name,
      displayName: r.displayName?.text ?? name,
      nodeClass: NODE_CLASS[r.nodeClass] ?? String(r.nodeClass),
      hasChildren: false,
    };
    if (parentPath !== undefined) item.browsePath = `${parentPath}/${name}`;
    return item;
  });

  // Variables: data type, value rank and access level, in batched reads.
  const variables = refs.map((r, i) => ({ r, i })).filter(({ r }) => r.nodeClass === O.NodeClass.Variable);
  const attrs = [O.AttributeIds.DataType, O.AttributeIds.ValueRank, O.AttributeIds.UserAccessLevel];
  const reads = variables.flatMap(({ r }) => attrs.map((attributeId) => ({ nodeId: r.nodeId as unknown as NodeId, attributeId })));
  const values: DataValue[] = [];
  for (const part of chunks(reads, Math.floor(ctx.limits.maxNodesPerRead / attrs.length) * attrs.length)) values.push(...(await ctx.session.read(part)));
  const typeIds = variables.map((_v, k) => values[k * attrs.length]?.value.value as NodeId | null).filter((x): x is NodeId => !!x);
  const names = await dataTypeNames(ctx, typeIds);
  variables.forEach(({ i }, k) => {
    const item = items[i];
    if (!item) return;
    const typeId = values[k * attrs.length]?.value.value as NodeId | null;
    const rank = values[k * attrs.length + 1]?.value.value as number | null;
    const access = values[k * attrs.length + 2]?.value.value as number | null;
    if (typeId) item.dataType = `${names.get(typeId.toString()) ?? typeId.toString()}${typeof rank === 'number' && rank >= 1 ? '[]' : ''}`;
    item.writable = typeof access === 'number' && (access & 0x02) !== 0;
  });

  // hasChildren: one batched browse asking for at most one reference per node.
  const candidates = refs.map((r, i) => ({ r, i })).filter(({ r }) => r.nodeClass === O.NodeClass.Object || r.nodeClass === O.NodeClass.Variable);
  for (const part of chunks(candidates, ctx.limits.maxNodesPerBrowse)) {
    const descs = part.map(({ r }) => {
      const d = hierarchical(r.nodeId as unknown as NodeId);
      if (r.nodeClass === O.NodeClass.Variable) d.referenceTypeId = O.ReferenceTypeIds.HasComponent;
      d.nodeClassMask = O.NodeClass.Object | O.NodeClass.Variable | O.NodeClass.Method;
      d.resultMask = 0;
      return d;
    });
    // requestedMaxReferencesPerNode is a session property read when the request is built
    // (synchronously): set it to 1 for this one request only.
    const session = ctx.session as typeof ctx.session & { requestedMaxReferencesPerNode: number };
    const previous = session.requestedMaxReferencesPerNode;
    session.requestedMaxReferencesPerNode = 1;
    let pending: Promise<BrowseResult[]>;
    try {
      pending = session.browse(descs);
    } finally {
      session.requestedMaxReferencesPerNode = previous;
    }
    const list = await pending;
    const cps: Buffer[] = [];
    part.forEach(({ i }, k) => {
      const res = list[k];
      const item = items[i];
      if (item && res) item.hasChildren = (res.references?.length ?? 0) > 0;
      if (res?.continuationPoint && res.continuationPoint.length > 0) cps.push(res.continuationPoint);
    });
    if (cps.length) await ctx.session.browseNext(cps, true).catch(() => undefined);
  }

  const level: BrowseLevel = { nodeId: parent.toString(), items, truncated };
  if (parentPath !== undefined) level.browsePath = parentPath;
  return level;
}
