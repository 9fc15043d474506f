/**
 * MTConnect documents (MTConnectDevices from /probe, MTConnectStreams from
 * /current and /sample, MTConnectError) read into plain objects, and the
 * sequence cursor that turns /current + /sample?from=<nextSequence> into a
 * gap-free stream: it notices an agent restart (instanceId changed) and a
 * client that fell behind the agent's buffer (OUT_OF_RANGE, or a
 * firstSequence past our cursor), and says when to resync with /current.
 *
 * XML is parsed with fast-xml-parser (well kept, no native code); no
 * Node-RED import here, so the unit tests run it directly. A document with a
 * DOCTYPE is refused (MTConnect never sends one; it is how entity-expansion
 * attacks arrive); the parser's own nesting limit stays on. Sizes are limited
 * where the bytes arrive (client.ts).
 */
import { XMLParser } from 'fast-xml-parser';

export type Category = 'SAMPLE' | 'EVENT' | 'CONDITION';

/** A data item as /probe declares it. */
export interface DataItemInfo {
  id: string;
  name?: string;
  category: Category;
  type: string;
  subType?: string;
  units?: string;
  /** Device name / component path, e.g. `Mill1/Axes/X`. */
  path: string;
  device: string;
}

export interface DeviceModel {
  instanceId: string;
  devices: Array<{ name: string; uuid?: string; id: string }>;
  dataItems: Map<string, DataItemInfo>;
}

export interface StreamsHeader {
  instanceId: string;
  creationTime: string;
  bufferSize: number;
  nextSequence: number;
  firstSequence: number;
  lastSequence: number;
}

/** One observation of a data item (a sample, event or condition). */
export interface Observation {
  device: string;
  component: string;
  componentId: string;
  category: Category;
  /** The element name, e.g. `Position`, `Execution`; for a condition its type attribute (`SYSTEM`). */
  type: string;
  dataItemId: string;
  name?: string;
  subType?: string;
  sequence: number;
  timestamp: string;
  /** The text; null when the agent reports UNAVAILABLE (or a condition `Unavailable`). */
  value: string | null;
  unavailable: boolean;
  /** Conditions: NORMAL, WARNING or FAULT (UNAVAILABLE when unavailable). */
  level?: string;
}

export interface StreamsDocument {
  header: StreamsHeader;
  observations: Observation[];
}

/** An MTConnectError document (or an HTTP error carrying one): `code` is the first error's errorCode, e.g. OUT_OF_RANGE. */
export class MTConnectError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'MTConnectError';
  }
}

/** The document is not MTConnect (or not the kind asked for). */
export class DocumentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DocumentError';
  }
}

const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '',
  textNodeName: '#text',
  parseAttributeValue: false,
  parseTagValue: false,
  trimValues: true,
  removeNSPrefix: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Every element as an array: one or many children read alike.
  isArray: (_name, _path, _leaf, isAttribute) => !isAttribute,
});

type XNode = Record<string, unknown>;

const arr = (v: unknown): XNode[] => (Array.isArray(v) ? (v as XNode[]) : v && typeof v === 'object' ? [v as XNode] : []);
const first = (v: unknown): XNode | undefined => arr(v)[0];
const attr = (n: XNode | undefined, k: string): string | undefined => (typeof n?.[k] === 'string' ? (n[k] as string) : undefined);
const text = (n: XNode): string => (typeof n['#text'] === 'string' ? n['#text'] : typeof n['#text'] === 'number' ? String(n['#text']) : '');

function int(n: XNode | undefined, k: string, what: string): number {
  const s = attr(n, k);
  const v = s === undefined ? NaN : Number(s);
  if (!Number.isSafeInteger(v) || v < 0) throw new DocumentError(`${what}: header attribute ${k} must be a whole number, got ${s === undefined ? 'nothing' : JSON.stringify(s.slice(0, 40))}`);
  return v;
}

/** Parses an MTConnect document; an MTConnectError document is thrown as MTConnectError. */
export function parseDocument(xml: string): { root: string; doc: XNode } {
  if (/<!DOCTYPE/i.test(xml.slice(0, 4096))) throw new DocumentError('the agent sent a document with a DOCTYPE; MTConnect documents have none (refused)');
  let parsed: XNode;
  try {
    parsed = parser.parse(xml, true) as XNode;
  } catch (err) {
    throw new DocumentError(`not well-formed XML: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = Object.keys(parsed).find((k) => k.startsWith('MTConnect'));
  if (!root) throw new DocumentError(`not an MTConnect document (root element ${Object.keys(parsed)[0] ?? 'missing'})`);
  const doc = first(parsed[root])!;
  if (root === 'MTConnectError') {
    const errors = arr(first(doc.Errors)?.Error).concat(arr(doc.Error));
    const e = errors[0];
    const code = attr(e, 'errorCode') ?? 'UNKNOWN';
    throw new MTConnectError(code, `agent error ${code}${e && text(e) ? `: ${text(e).slice(0, 200)}` : ''}`);
  }
  return { root, doc };
}

function header(doc: XNode): StreamsHeader {
  const h = first(doc.Header);
  if (!h) throw new DocumentError('MTConnectStreams without a Header');
  const instanceId = attr(h, 'instanceId');
  if (!instanceId) throw new DocumentError('Header without instanceId');
  // The document's time stamps every sample (serverTimestamp, and sourceTimestamp when an observation's own does not parse):
  // a missing, empty or unparsable creationTime is replaced by the time it was read, never a reason to refuse the observations.
  const created = attr(h, 'creationTime');
  return {
    instanceId,
    creationTime: created !== undefined && !Number.isNaN(Date.parse(created)) ? created : new Date().toISOString(),
    bufferSize: int(h, 'bufferSize', 'Header'),
    nextSequence: int(h, 'nextSequence', 'Header'),
    firstSequence: int(h, 'firstSequence', 'Header'),
    lastSequence: int(h, 'lastSequence', 'Header'),
  };
}

const CONDITION_LEVELS = new Set(['Normal', 'Warning', 'Fault', 'Unavailable']);

/** The observations of an MTConnectStreams document (from /current or /sample), in sequence order. */
export function parseStreams(xml: string): StreamsDocument {
  const { root, doc } = parseDocument(xml);
  if (root !== 'MTConnectStreams') throw new DocumentError(`expected MTConnectStreams, got ${root}`);
  const out: Observation[] = [];
  for (const streams of arr(doc.Streams)) {
    for (const ds of arr(streams.DeviceStream)) {
      const device = attr(ds, 'name') ?? attr(ds, 'uuid') ?? 'device';
      for (const cs of arr(ds.ComponentStream)) {
        const component = attr(cs, 'name') ?? attr(cs, 'componentId') ?? attr(cs, 'component') ?? '';
        const componentId = attr(cs, 'componentId') ?? component;
        for (const [group, category] of [['Samples', 'SAMPLE'], ['Events', 'EVENT'], ['Condition', 'CONDITION']] as const) {
          for (const g of arr(cs[group])) {
            for (const [element, list] of Object.entries(g)) {
              if (!Array.isArray(list)) continue; // attributes of the group element
              for (const o of list as XNode[]) {
                const dataItemId = attr(o, 'dataItemId');
                const sequence = Number(attr(o, 'sequence'));
                if (!dataItemId || !Number.isSafeInteger(sequence)) continue; // not an observation
                const body = text(o);
                const isCondition = category === 'CONDITION' && CONDITION_LEVELS.has(element);
                const unavailable = isCondition ? element === 'Unavailable' : body === 'UNAVAILABLE';
                out.push({
                  device,
                  component,
                  componentId,
                  category,
                  type: isCondition ? (attr(o, 'type') ?? element) : element,
                  dataItemId,
                  ...(attr(o, 'name') ? { name: attr(o, 'name') } : {}),
                  ...(attr(o, 'subType') ? { subType: attr(o, 'subType') } : {}),
                  sequence,
                  timestamp: attr(o, 'timestamp') ?? '',
                  value: unavailable ? null : isCondition ? element.toUpperCase() : body,
                  unavailable,
                  ...(isCondition ? { level: element.toUpperCase() } : {}),
                });
              }
            }
          }
        }
      }
    }
  }
  out.sort((a, b) => a.sequence - b.sequence);
  return { header: header(doc), observations: out };
}

const CONTAINERS = new Set(['Components', 'DataItems', 'Compositions', 'References', 'Configuration', 'Description']);

/** The device model of an MTConnectDevices document (/probe): every data item with its category, units and component path. */
export function parseProbe(xml: string): DeviceModel {
  const { root, doc } = parseDocument(xml);
  if (root !== 'MTConnectDevices') throw new DocumentError(`expected MTConnectDevices, got ${root}`);
  const h = first(doc.Header);
  const instanceId = attr(h, 'instanceId');
  if (!instanceId) throw new DocumentError('Header without instanceId');
  const model: DeviceModel = { instanceId, devices: [], dataItems: new Map() };
  const walk = (node: XNode, pathParts: string[], device: string, depth: number): void => {
    if (depth > 30) throw new DocumentError('component tree nested deeper than 30 levels');
    for (const di of arr(first(node.DataItems)?.DataItem)) {
      const id = attr(di, 'id');
      const category = attr(di, 'category') as Category | undefined;
      if (!id || !category) continue;
      model.dataItems.set(id, {
        id,
        ...(attr(di, 'name') ? { name: attr(di, 'name') } : {}),
        category,
        type: attr(di, 'type') ?? '',
        ...(attr(di, 'subType') ? { subType: attr(di, 'subType') } : {}),
        ...(attr(di, 'units') ? { units: attr(di, 'units') } : {}),
        path: pathParts.join('/'),
        device,
      });
    }
    for (const comps of arr(node.Components)) {
      for (const [element, list] of Object.entries(comps)) {
        if (!Array.isArray(list) || CONTAINERS.has(element)) continue;
        for (const c of list as XNode[]) walk(c, [...pathParts, attr(c, 'name') ?? attr(c, 'id') ?? element], device, depth + 1);
      }
    }
  };
  for (const devices of arr(doc.Devices)) {
    for (const [element, list] of Object.entries(devices)) {
      if (!Array.isArray(list) || (element !== 'Device' && element !== 'Agent')) continue;
      for (const d of list as XNode[]) {
        const name = attr(d, 'name') ?? attr(d, 'uuid') ?? attr(d, 'id') ?? 'device';
        model.devices.push({ name, id: attr(d, 'id') ?? name, ...(attr(d, 'uuid') ? { uuid: attr(d, 'uuid') } : {}) });
        walk(d, [name], name, 0);
      }
    }
  }
  return model;
}

// ------------------------------------------------------------------ the sequence cursor

export type CursorStep =
  /** Emit these observations; `more`: the agent holds more right now (ask again without waiting); `lost`: sequences skipped (0 when none). */
  | { action: 'emit'; observations: Observation[]; more: boolean; lost: number }
  /** Read /current again (and emit it) before sampling on: the agent restarted. */
  | { action: 'resync'; reason: string };

/**
 * Where the stream stands: the agent instance and the next sequence to ask
 * for. `start` takes a /current answer; `step` a /sample answer; `fellBehind`
 * an OUT_OF_RANGE error. Pure: the node and the tests drive it alike.
 */
export class SequenceCursor {
  instanceId: string | undefined;
  next: number | undefined;

  get started(): boolean {
    return this.next !== undefined;
  }

  /** After /current: sample from its nextSequence on. */
  start(doc: StreamsDocument): void {
    this.instanceId = doc.header.instanceId;
    this.next = doc.header.nextSequence;
  }

  /**
   * A copy to move instead of this one: the caller steps the copy, builds its samples and only then
   * takes its position (`adopt`), so a failure in between leaves the position where it was and the
   * same observations are asked for again.
   */
  copy(): SequenceCursor {
    const c = new SequenceCursor();
    c.adopt(this);
    return c;
  }

  /** Takes the position of `other` (a copy that was moved). */
  adopt(other: SequenceCursor): void {
    this.instanceId = other.instanceId;
    this.next = other.next;
  }

  /** Forget the position: the next poll reads /current. */
  reset(): void {
    this.instanceId = undefined;
    this.next = undefined;
  }

  /** A /sample?from=<next> answer. */
  step(doc: StreamsDocument): CursorStep {
    if (this.next === undefined) throw new Error('SequenceCursor.step before start');
    if (doc.header.instanceId !== this.instanceId) {
      const reason = `agent restarted (instanceId ${this.instanceId} → ${doc.header.instanceId})`;
      this.reset();
      return { action: 'resync', reason };
    }
    const from = this.next;
    // An agent that answers from its oldest sequence instead of OUT_OF_RANGE: what lay between is lost.
    const lost = doc.header.firstSequence > from ? doc.header.firstSequence - from : 0;
    const observations = doc.observations.filter((o) => o.sequence >= from);
    // nextSequence never goes backwards within one instance.
    this.next = Math.max(from, doc.header.nextSequence);
    return { action: 'emit', observations, more: doc.header.nextSequence <= doc.header.lastSequence && observations.length > 0, lost };
  }

  /** The agent answered OUT_OF_RANGE: our position left its buffer. Returns what to say; the next poll resyncs. */
  fellBehind(): string {
    const at = this.next;
    this.reset();
    return `sequence ${at} is no longer in the agent's buffer (OUT_OF_RANGE): values in between are lost; reading /current again`;
  }
}
