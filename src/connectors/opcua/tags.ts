/**
 * How Plantwire names OPC UA variables: a tag is addressed by a NodeId
 * (`ns=2;s=Line1/Speed`, `i=2258`, `nsu=urn:…;s=…`) or by a browse path from
 * the Root folder (`/Objects/Plant/Line1/Speed`, segments optionally qualified
 * with a namespace index, `/Objects/2:Plant/…`), and carries a tag name for the
 * samples it produces. Pure functions; resolution against a server is in
 * browse.ts.
 */
import { PlantwireError, describe } from '../../model';

/** One row of a tag list (editor, msg.payload, admin route). */
export interface TagRow {
  nodeId?: string;
  browsePath?: string;
  /** Tag name of the samples; derived from the browse path or NodeId when empty. */
  tag?: string;
  /** Informational (filled by the browser), e.g. `Double`. */
  dataType?: string;
  /** ISA-95 asset path of the samples (`enterprise/site/area/line/cell`); the browser fills it from the path. */
  asset?: string;
}

/** A checked tag: exactly how to address it and what to call it. */
export interface TagSpec {
  /** NodeId string when given (takes precedence over the browse path). */
  nodeId?: string;
  browsePath?: string;
  tag: string;
  dataType?: string;
  /** Asset path given to the tag's samples. */
  asset?: string;
}

const GUID = '[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}';
const NODE_ID_RE = new RegExp(`^(?:ns=\\d{1,5};|nsu=[^;]+;)?(?:i=\\d{1,10}|s=[\\s\\S]+|g=${GUID}|b=[A-Za-z0-9+/=]+)$`);

/** True when `s` is a NodeId in the OPC UA string notation (Part 6 §5.3.1.10). */
export function isNodeIdString(s: string): boolean {
  return NODE_ID_RE.test(s);
}

/** True when `s` is a browse path (starts with `/`). */
export function isBrowsePath(s: string): boolean {
  return /^\/[^/]/.test(s);
}

export interface BrowsePathSegment {
  /** Namespace index when the segment is qualified (`2:Plant`). */
  ns?: number;
  name: string;
}

/** Splits `/Objects/2:Plant/Line1` into segments; throws when malformed. */
export function parseBrowsePath(path: string, where = 'browse path'): BrowsePathSegment[] {
  if (!isBrowsePath(path)) throw new PlantwireError('bad-tag', `${where} must start with "/" (from the Root folder, e.g. /Objects/Plant/Line1/Speed), got ${describe(path)}`, 'bad browse path');
  const parts = path.slice(1).split('/');
  if (parts.some((p) => p === '')) throw new PlantwireError('bad-tag', `${where} ${describe(path)} has an empty segment ("//" or a trailing "/")`, 'bad browse path');
  return parts.map((p) => {
    const m = /^(\d{1,5}):(.+)$/.exec(p);
    return m ? { ns: Number(m[1]), name: m[2] ?? '' } : { name: p };
  });
}

/**
 * The tag name derived from a browse path: namespace prefixes dropped and the
 * leading `Objects/` removed (`/Objects/2:Plant/Line1/Speed` → `Plant/Line1/Speed`).
 */
export function tagFromBrowsePath(path: string): string {
  const names = parseBrowsePath(path).map((s) => s.name);
  if (names[0] === 'Objects' && names.length > 1) names.shift();
  return names.join('/');
}

function str(x: unknown): string | undefined {
  return typeof x === 'string' && x.trim() !== '' ? x.trim() : undefined;
}

/**
 * Reads one tag: a string (NodeId or browse path) or an object
 * `{nodeId?, browsePath?, tag?, dataType?}`.
 */
export function tagSpec(input: unknown, where = 'tag'): TagSpec {
  let row: TagRow;
  if (typeof input === 'string') {
    const s = input.trim();
    if (isNodeIdString(s)) row = { nodeId: s };
    else if (isBrowsePath(s)) row = { browsePath: s };
    else {
      throw new PlantwireError(
        'bad-tag',
        `${where} ${describe(input)} is neither a NodeId (ns=2;s=Line1/Speed, i=2258, nsu=<uri>;s=…) nor a browse path (/Objects/Plant/Line1/Speed)`,
        'not a NodeId or browse path',
      );
    }
  } else if (input !== null && typeof input === 'object' && !Array.isArray(input)) {
    const o = input as Record<string, unknown>;
    row = {};
    const nodeId = str(o.nodeId);
    const browsePath = str(o.browsePath);
    const tag = str(o.tag) ?? str(o.name);
    const dataType = str(o.dataType);
    const asset = str(o.asset);
    if (asset !== undefined) {
      if (/[+#]|\/\/|^\/|\/$/.test(asset)) throw new PlantwireError('bad-tag', `${where}.asset ${describe(asset)} must be a path like acme/hamburg/bottling/line1 (no +, #, empty levels or leading/trailing /)`, 'bad asset path');
      row.asset = asset;
    }
    if (nodeId !== undefined) row.nodeId = nodeId;
    if (browsePath !== undefined) row.browsePath = browsePath;
    if (tag !== undefined) row.tag = tag;
    if (dataType !== undefined) row.dataType = dataType;
  } else {
    throw new PlantwireError('bad-tag', `${where} must be a NodeId or browse path string or an object {nodeId, browsePath, tag}, got ${describe(input)}`, 'bad tag');
  }
  if (row.nodeId === undefined && row.browsePath === undefined) {
    throw new PlantwireError('bad-tag', `${where} needs a nodeId (ns=2;s=…) or a browsePath (/Objects/…)`, 'tag needs nodeId or browse path');
  }
  if (row.nodeId !== undefined && !isNodeIdString(row.nodeId)) {
    throw new PlantwireError('bad-tag', `${where}.nodeId ${describe(row.nodeId)} is not a NodeId: write ns=2;s=Name, ns=2;i=1234, i=2258 or nsu=<namespace uri>;s=Name`, 'bad NodeId');
  }
  if (row.browsePath !== undefined) parseBrowsePath(row.browsePath, `${where}.browsePath`);
  const spec: TagSpec = { tag: row.tag ?? (row.browsePath !== undefined ? tagFromBrowsePath(row.browsePath) : (row.nodeId as string)) };
  if (row.nodeId !== undefined) spec.nodeId = row.nodeId;
  if (row.browsePath !== undefined) spec.browsePath = row.browsePath;
  if (row.dataType !== undefined) spec.dataType = row.dataType;
  if (row.asset !== undefined) spec.asset = row.asset;
  return spec;
}

/** Gives each sample without an asset the asset of its tag's spec (samples are changed in place and returned). */
export function withAssets<S extends { tag: string; asset?: string }>(samples: S[], specs: readonly TagSpec[]): S[] {
  if (!specs.some((t) => t.asset)) return samples;
  const byTag = new Map(specs.filter((t) => t.asset).map((t) => [t.tag, t.asset as string]));
  for (const s of samples) {
    const a = s.asset === undefined ? byTag.get(s.tag) : undefined;
    if (a !== undefined) s.asset = a;
  }
  return samples;
}

/** Reads a list of tags; refuses an empty list (unless allowed) and duplicate tag names. */
export function tagSpecs(input: unknown, where = 'tags', opts: { allowEmpty?: boolean } = {}): TagSpec[] {
  const list = Array.isArray(input) ? input : [input];
  if (input === undefined || input === null || input === '') {
    if (opts.allowEmpty) return [];
    throw new PlantwireError('bad-tag', `${where} is empty: add at least one NodeId or browse path`, 'no tags');
  }
  if (list.length === 0 && !opts.allowEmpty) throw new PlantwireError('bad-tag', `${where} is empty: add at least one NodeId or browse path`, 'no tags');
  const specs = list.map((x, i) => tagSpec(x, Array.isArray(input) ? `${where}[${i}]` : where));
  const seen = new Map<string, number>();
  specs.forEach((s, i) => {
    const prev = seen.get(s.tag);
    if (prev !== undefined) {
      throw new PlantwireError('bad-tag', `${where}[${i}] has the same tag name "${s.tag}" as ${where}[${prev}]: give one of them another tag name`, 'duplicate tag name');
    }
    seen.set(s.tag, i);
  });
  return specs;
}

/** How a tag is addressed (its NodeId or browse path), for messages. */
export function tagAddress(spec: Pick<TagSpec, 'nodeId' | 'browsePath'>): string {
  return spec.nodeId ?? spec.browsePath ?? '?';
}

/**
 * Finds the tag a name refers to: a row of the configured list (by tag name,
 * NodeId or browse path), else the name itself when it is a NodeId or a
 * browse path. Throws a PlantwireError naming the unknown tag.
 */
export function targetOf(name: string, configured: readonly TagSpec[], where = 'tag'): TagSpec {
  const n = name.trim();
  const row = configured.find((t) => t.tag === n || t.nodeId === n || t.browsePath === n);
  if (row) return row;
  if (isNodeIdString(n) || isBrowsePath(n)) return tagSpec(n, where);
  throw new PlantwireError(
    'unknown-tag',
    `${where} "${n}" is not in the node's tag list and is neither a NodeId (ns=2;s=…) nor a browse path (/Objects/…)${configured.length ? `; known tags: ${configured.slice(0, 5).map((t) => t.tag).join(', ')}${configured.length > 5 ? ', …' : ''}` : ''}`,
    `unknown tag ${n}`,
  );
}
