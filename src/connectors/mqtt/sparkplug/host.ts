/**
 * The Sparkplug B host application logic (spec 3.0 §5, §7), without MQTT:
 * feed it each received message, it returns tag samples and tells when to
 * ask an edge node for a rebirth. It
 *
 * - tracks NBIRTH/DBIRTH per edge node and device: metric names, aliases
 *   (unique per edge node, shared by its devices), datatypes, units;
 * - resolves aliases in NDATA/DDATA, taking the datatype from the BIRTH when
 *   the DATA message leaves it out;
 * - checks the sequence number (0..255, wrapping; one counter per edge node
 *   over NBIRTH, DBIRTH, NDATA, DDATA, DDEATH);
 * - on NDEATH (with the bdSeq of the current session — a stale NDEATH of an
 *   earlier session is ignored) and DDEATH emits every tag of that edge
 *   node/device again with quality `bad`, its last value and the death time;
 * - asks for a rebirth (NCMD `Node Control/Rebirth` = true) when data comes
 *   from an edge node or device without a BIRTH, with an unknown alias or
 *   metric, or after a sequence gap — at most once per `rebirthHoldoffMs`
 *   per edge node;
 * - when the host loses its broker connection, marks every tag `bad`
 *   (`connectionLost`), and afterwards trusts an edge node again only after
 *   a new BIRTH or data that continues its sequence.
 */
import { IsoCache } from '../../../model/iso-cache';
import { makeSample, type Quality, type SampleValue, type TagSample } from '../../../model/sample';
import { PlantwireError } from '../../../model/errors';
import { countProtobufField, limitError, limits, type NetworkLimits } from '../../../model/limits';
import { decodeRaw, encodeSparkplug, metricInfo, metricValue, payloadHeader, type MetricInfo, type RawMetric } from './payload';
import { parseSparkplugTopic, sparkplugTopic, type MessageType, type SparkplugTopic } from './topic';

export type TagNaming = 'path' | 'metric';

export interface HostOptions {
  /** `path` (default): `group/edge node[/device]/metric`; `metric`: the metric name alone. */
  tagNames?: TagNaming;
  /** Least time between two rebirth requests to one edge node (default 5000 ms). */
  rebirthHoldoffMs?: number;
  /** Emit the values carried by NBIRTH/DBIRTH as samples (default true). */
  birthValues?: boolean;
  /** Caps on metrics per message, edge nodes and devices (default: settings.js plantwire.limits, see src/model/limits). */
  limits?: Partial<Pick<NetworkLimits, 'sparkplugMetrics' | 'sparkplugEdgeNodes' | 'sparkplugDevices'>>;
}

interface MetricDef {
  name: string;
  device?: string;
  alias?: number;
  datatype?: number;
  unit?: string;
  last: SampleValue;
  lastQuality: Quality;
  seen: boolean;
}

interface EdgeState {
  group: string;
  edgeNode: string;
  /** A BIRTH has been seen and no DEATH since. */
  online: boolean;
  /** The host lost its broker connection since the BIRTH. */
  stale: boolean;
  bdSeq?: number;
  seq?: number;
  byAlias: Map<number, MetricDef>;
  /** key: `${device ?? ''}\u0000${name}` */
  byName: Map<string, MetricDef>;
  devices: Map<string, { online: boolean }>;
  lastRebirthAt?: number;
  birthAt?: number;
}

export interface RebirthRequest {
  group: string;
  edgeNode: string;
  reason: string;
  /** Topic and payload of the NCMD to publish. */
  topic: string;
  payload: Buffer;
}

export interface HostResult {
  topic: SparkplugTopic;
  samples: TagSample[];
  /** Set when the host should publish a rebirth request now. */
  rebirth?: RebirthRequest;
  /** Things that went wrong (unknown alias, sequence gap, stale death …), one line each. */
  warnings: string[];
  seq?: number;
  /** The message's metrics are historical (store and forward). */
  historical: boolean;
}

const CONTROL = /^(Node Control|Device Control)\//;
/** The largest epoch ms a JavaScript Date holds (±100,000,000 days). */
const MAX_DATE_MS = 8.64e15;

function key(device: string | undefined, name: string): string {
  return `${device ?? ''}\u0000${name}`;
}

/**
 * A BIRTH declares an edge node's or device's metrics: it must be whole.
 * Refused (nothing of it kept, the previous birth stays in force): no
 * timestamp or seq, an NBIRTH without any metric, a metric without a
 * name or datatype — what a truncated or hand-made birth looks like.
 */
function checkBirth(topic: string, type: 'NBIRTH' | 'DBIRTH', raw: { metrics?: RawMetric[] | null }, header: { timestamp?: number; seq?: number }): void {
  const missing: string[] = [];
  if (header.timestamp === undefined) missing.push('no payload timestamp');
  if (header.seq === undefined) missing.push('no seq');
  const metrics = raw.metrics ?? [];
  // Sparkplug 3.0 requires bdSeq in every NBIRTH; older edge nodes leave it out, so only an empty NBIRTH (what a cut-off one decodes to) is refused.
  if (type === 'NBIRTH' && metrics.length === 0) missing.push('no metrics, not even bdSeq');
  const bad = metrics.findIndex((m) => typeof m.name !== 'string' || m.name === '' || typeof m.datatype !== 'number' || m.datatype === 0);
  if (bad >= 0) missing.push(`metric ${bad + 1} of ${metrics.length} has no ${typeof metrics[bad]!.name !== 'string' || metrics[bad]!.name === '' ? 'name' : 'datatype'}`);
  if (missing.length > 0) {
    throw new PlantwireError('bad-sparkplug', `${topic}: malformed or truncated ${type} refused (${missing.join(', ')}); the previous birth stays in force and the edge node should send a new one`, `malformed ${type} refused`);
  }
}

/** Quality of a Sparkplug metric: an `is_null` value or a Quality property (OPC-style 192 = good, Ignition codes). */
export function metricQuality(info: MetricInfo): { quality: Quality; statusCode?: number | string } {
  const q = info.properties?.Quality ?? info.properties?.quality;
  if (typeof q === 'number') {
    if (q === 192 || (q >= 192 && q <= 255)) return { quality: 'good', statusCode: q };
    if (q >= 64 && q < 128) return { quality: 'uncertain', statusCode: q };
    return { quality: 'bad', statusCode: q };
  }
  if (typeof q === 'string') {
    const lower = q.toLowerCase();
    if (lower.startsWith('good')) return { quality: 'good', statusCode: q };
    if (lower.startsWith('uncertain')) return { quality: 'uncertain', statusCode: q };
    return { quality: 'bad', statusCode: q };
  }
  if (info.isNull) return { quality: 'bad', statusCode: 'is_null' };
  return { quality: 'good' };
}

function unitOf(info: MetricInfo): string | undefined {
  const p = info.properties;
  if (!p) return undefined;
  for (const k of ['engUnit', 'EngUnit', 'engUnits', 'unit', 'Unit']) {
    const v = p[k];
    if (typeof v === 'string' && v !== '') return v;
  }
  return undefined;
}

/** Builds the NCMD `Node Control/Rebirth` = true request. */
export function rebirthRequest(group: string, edgeNode: string, reason: string, now = Date.now()): RebirthRequest {
  return {
    group,
    edgeNode,
    reason,
    topic: sparkplugTopic(group, 'NCMD', edgeNode),
    payload: encodeSparkplug({ timestamp: now, metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] }),
  };
}

export class SparkplugHost {
  private readonly edges = new Map<string, EdgeState>();
  private readonly tagNames: TagNaming;
  private readonly holdoff: number;
  private readonly birthValues: boolean;
  private readonly isoCache = new IsoCache();
  private readonly caps: Partial<Pick<NetworkLimits, 'sparkplugMetrics' | 'sparkplugEdgeNodes' | 'sparkplugDevices'>>;
  private deviceCount = 0;

  constructor(opts: HostOptions = {}) {
    this.caps = opts.limits ?? {};
    this.tagNames = opts.tagNames ?? 'path';
    this.holdoff = opts.rebirthHoldoffMs ?? 5000;
    this.birthValues = opts.birthValues ?? true;
  }

  /**
   * Handles one MQTT message. Returns undefined for topics outside the
   * Sparkplug namespace and for STATE/NCMD/DCMD; throws a PlantwireError for
   * a payload that is not Sparkplug B.
   */
  handle(topic: string, payload: Uint8Array, now = Date.now()): HostResult | undefined {
    const t = parseSparkplugTopic(topic);
    if (!t || t.type === 'STATE' || t.type === 'NCMD' || t.type === 'DCMD') return undefined;
    // Limits and framing before decoding: counting the metrics reads only the top-level fields.
    const maxMetrics = this.caps.sparkplugMetrics ?? limits().sparkplugMetrics;
    let count: number;
    try {
      count = countProtobufField(payload, 2, maxMetrics);
    } catch (err) {
      throw new PlantwireError('bad-sparkplug', `${topic}: not a Sparkplug B payload, or truncated: ${(err as Error).message} (${payload.length} bytes); the message was dropped`, `malformed ${t.type}`);
    }
    if (count > maxMetrics) throw limitError(`topic ${topic}`, `${t.type} with more than ${maxMetrics} metrics`, 'sparkplugMetrics', `${maxMetrics} metrics per message`);
    const edgeKey = `${t.group}/${t.edgeNode}`;
    const maxEdges = this.caps.sparkplugEdgeNodes ?? limits().sparkplugEdgeNodes;
    if (!this.edges.has(edgeKey) && this.edges.size >= maxEdges) {
      throw limitError(`topic ${topic}`, `edge node ${edgeKey} would be edge node number ${this.edges.size + 1} of this host`, 'sparkplugEdgeNodes', `${maxEdges} edge nodes`);
    }
    let raw;
    try {
      raw = decodeRaw(payload);
    } catch (err) {
      throw new PlantwireError('bad-sparkplug', `${topic}: ${(err as Error).message}`, (err as PlantwireError).status);
    }
    const header = payloadHeader(raw);
    if (t.type === 'NBIRTH' || t.type === 'DBIRTH') checkBirth(topic, t.type, raw, header);
    if (t.type === 'DBIRTH') {
      const known = this.edges.get(edgeKey)?.devices.has(t.device as string) ?? false;
      const maxDevices = this.caps.sparkplugDevices ?? limits().sparkplugDevices;
      if (!known && this.deviceCount >= maxDevices) {
        throw limitError(`topic ${topic}`, `device ${edgeKey}/${t.device} would be device number ${this.deviceCount + 1} of this host`, 'sparkplugDevices', `${maxDevices} devices`);
      }
    }
    const result: HostResult = { topic: t, samples: [], warnings: [], historical: false };
    if (header.seq !== undefined) result.seq = header.seq;
    let edge = this.edges.get(edgeKey);
    const metrics = raw.metrics ?? [];
    const sentAt = header.timestamp;

    const ask = (reason: string): void => {
      const e = edge ?? this.edgeState(t.group, t.edgeNode);
      edge = e;
      result.warnings.push(reason);
      if (e.lastRebirthAt !== undefined && now - e.lastRebirthAt < this.holdoff) return;
      e.lastRebirthAt = now;
      result.rebirth = rebirthRequest(t.group, t.edgeNode, reason, now);
    };

    if (t.type === 'NBIRTH') {
      edge = this.edgeState(t.group, t.edgeNode);
      edge.online = true;
      edge.stale = false;
      edge.byAlias.clear();
      edge.byName.clear();
      this.deviceCount -= edge.devices.size;
      edge.devices.clear();
      edge.birthAt = now;
      delete edge.seq;
      if (header.seq !== undefined) edge.seq = header.seq;
      delete edge.bdSeq;
      for (const m of metrics) {
        const info = metricInfo(m);
        if (info.name === 'bdSeq') {
          const v = metricValue(m, info.datatype);
          if (typeof v === 'number') edge.bdSeq = v;
          else if (typeof v === 'string') edge.bdSeq = Number(v);
          continue;
        }
        this.birthMetric(edge, undefined, m, info, sentAt, now, result);
      }
      return result;
    }

    if (t.type === 'NDEATH') {
      if (!edge || !edge.online) return result;
      const bd = metrics.map((m) => ({ info: metricInfo(m), m })).find((x) => x.info.name === 'bdSeq');
      const bdValue = bd ? metricValue(bd.m, bd.info.datatype) : undefined;
      const bdSeq = typeof bdValue === 'string' ? Number(bdValue) : bdValue;
      if (edge.bdSeq !== undefined && typeof bdSeq === 'number' && bdSeq !== edge.bdSeq) {
        result.warnings.push(`${edgeKey}: ignored an NDEATH with bdSeq ${bdSeq}: the current session was born with bdSeq ${edge.bdSeq} (a late death of an earlier session)`);
        return result;
      }
      edge.online = false;
      for (const d of edge.devices.values()) d.online = false;
      result.samples.push(...this.deadSamples(edge, undefined, true, sentAt ?? now, 'NDEATH'));
      return result;
    }

    // Every other message continues the edge node's sequence.
    if (!edge || !edge.online) {
      ask(`${edgeKey}: ${t.type} from an edge node whose NBIRTH this host has not seen: asked for a rebirth`);
      // Metrics that carry their name can still be delivered; alias-only ones cannot.
      if (t.type === 'NDATA' || t.type === 'DDATA') this.dataWithoutBirth(t, metrics, sentAt, now, result);
      return result;
    }
    if (header.seq !== undefined && edge.seq !== undefined) {
      const expected = (edge.seq + 1) % 256;
      if (header.seq !== expected) {
        if (edge.stale) {
          const before = edge.seq;
          edge.seq = header.seq;
          // Its aliases may have changed: trust nothing but names until the next NBIRTH.
          edge.online = false;
          ask(`${edgeKey}: seq ${header.seq} does not continue ${before} after this host reconnected (the edge node may have restarted): asked for a rebirth`);
          if (t.type === 'NDATA' || t.type === 'DDATA') this.dataWithoutBirth(t, metrics, sentAt, now, result);
          return result;
        }
        ask(`${edgeKey}: sequence gap: expected seq ${expected}, got ${header.seq} (messages lost or out of order): asked for a rebirth`);
      }
    }
    if (header.seq !== undefined) edge.seq = header.seq;
    edge.stale = false;

    if (t.type === 'DBIRTH') {
      const device = t.device as string;
      // A device rebirth replaces the device's metrics.
      for (const [k, def] of edge.byName) {
        if (def.device === device) {
          edge.byName.delete(k);
          if (def.alias !== undefined) edge.byAlias.delete(def.alias);
        }
      }
      if (!edge.devices.has(device)) this.deviceCount += 1;
      edge.devices.set(device, { online: true });
      for (const m of metrics) this.birthMetric(edge, device, m, metricInfo(m), sentAt, now, result);
      return result;
    }
    if (t.type === 'DDEATH') {
      const device = t.device as string;
      const d = edge.devices.get(device);
      if (d) d.online = false;
      result.samples.push(...this.deadSamples(edge, device, false, sentAt ?? now, 'DDEATH'));
      return result;
    }
    // NDATA / DDATA
    const device = t.device;
    if (device !== undefined && !edge.devices.get(device)?.online) {
      ask(`${edgeKey}/${device}: DDATA from a device whose DBIRTH this host has not seen: asked for a rebirth`);
      this.dataWithoutBirth(t, metrics, sentAt, now, result);
      return result;
    }
    const unknown: string[] = [];
    for (const m of metrics) {
      const info = metricInfo(m);
      if (info.isHistorical) result.historical = true;
      let def: MetricDef | undefined;
      if (info.alias !== undefined) def = edge.byAlias.get(info.alias);
      if (!def && info.name !== undefined) def = edge.byName.get(key(device, info.name));
      if (!def) {
        unknown.push(info.alias !== undefined && info.name === undefined ? `alias ${info.alias}` : `metric "${info.name ?? '?'}"${info.alias !== undefined ? ` (alias ${info.alias})` : ''}`);
        if (info.name !== undefined) result.samples.push(this.sample(t.group, t.edgeNode, device, info.name, info, metricValue(m, info.datatype), undefined, sentAt, now));
        continue;
      }
      if (def.device !== device) {
        unknown.push(`alias ${info.alias} (it belongs to ${def.device ? `device ${def.device}` : 'the edge node'})`);
        continue;
      }
      const value = metricValue(m, info.datatype ?? def.datatype);
      const s = this.sample(t.group, t.edgeNode, device, def.name, info, value, def.unit, sentAt, now);
      def.last = s.value;
      def.lastQuality = s.quality;
      def.seen = true;
      result.samples.push(s);
    }
    if (unknown.length) ask(`${edgeKey}${device ? `/${device}` : ''}: ${t.type} with ${unknown.join(', ')} not declared in its BIRTH: asked for a rebirth`);
    return result;
  }

  /**
   * The host lost its broker connection: every tag of every online edge node
   * becomes `bad` (last value kept). Edge nodes are trusted again after a
   * BIRTH or data continuing their sequence.
   */
  connectionLost(now = Date.now()): TagSample[] {
    const out: TagSample[] = [];
    for (const edge of this.edges.values()) {
      if (!edge.online || edge.stale) continue;
      edge.stale = true;
      out.push(...this.deadSamples(edge, undefined, true, now, 'host disconnected'));
    }
    return out;
  }

  /** Rebirth requests for every known edge node (after the host reconnected). */
  rebirthAll(reason: string, now = Date.now()): RebirthRequest[] {
    const out: RebirthRequest[] = [];
    for (const edge of this.edges.values()) {
      edge.lastRebirthAt = now;
      out.push(rebirthRequest(edge.group, edge.edgeNode, `${edge.group}/${edge.edgeNode}: ${reason}`, now));
    }
    return out;
  }

  /** Edge nodes, devices and metrics known, for the node status. */
  summary(): { edgeNodes: number; online: number; devices: number; metrics: number } {
    let online = 0;
    let devices = 0;
    let metrics = 0;
    for (const e of this.edges.values()) {
      if (e.online && !e.stale) online += 1;
      devices += [...e.devices.values()].filter((d) => d.online).length;
      for (const d of e.byName.values()) if (!CONTROL.test(d.name)) metrics += 1;
    }
    return { edgeNodes: this.edges.size, online, devices, metrics };
  }

  /** Known metrics of an edge node (tests, admin). */
  metricsOf(group: string, edgeNode: string): Array<{ name: string; device?: string; alias?: number; datatype?: number }> {
    const e = this.edges.get(`${group}/${edgeNode}`);
    if (!e) return [];
    return [...e.byName.values()].map((d) => {
      const o: { name: string; device?: string; alias?: number; datatype?: number } = { name: d.name };
      if (d.device !== undefined) o.device = d.device;
      if (d.alias !== undefined) o.alias = d.alias;
      if (d.datatype !== undefined) o.datatype = d.datatype;
      return o;
    });
  }

  isOnline(group: string, edgeNode: string): boolean {
    const e = this.edges.get(`${group}/${edgeNode}`);
    return Boolean(e?.online && !e.stale);
  }

  tagName(group: string, edgeNode: string, device: string | undefined, metric: string): string {
    if (this.tagNames === 'metric') return metric;
    return `${group}/${edgeNode}/${device !== undefined ? `${device}/` : ''}${metric}`;
  }

  private edgeState(group: string, edgeNode: string): EdgeState {
    const k = `${group}/${edgeNode}`;
    let e = this.edges.get(k);
    if (!e) {
      e = { group, edgeNode, online: false, stale: false, byAlias: new Map(), byName: new Map(), devices: new Map() };
      this.edges.set(k, e);
    }
    return e;
  }

  private birthMetric(edge: EdgeState, device: string | undefined, m: RawMetric, info: MetricInfo, sentAt: number | undefined, now: number, result: HostResult): void {
    if (info.name === undefined || info.name === '') {
      result.warnings.push(`${edge.group}/${edge.edgeNode}${device ? `/${device}` : ''}: a BIRTH metric without a name was skipped`);
      return;
    }
    const def: MetricDef = { name: info.name, last: null, lastQuality: 'bad', seen: false };
    if (device !== undefined) def.device = device;
    if (info.datatype !== undefined) def.datatype = info.datatype;
    const unit = unitOf(info);
    if (unit !== undefined) def.unit = unit;
    if (info.alias !== undefined) {
      const clash = edge.byAlias.get(info.alias);
      if (clash && clash !== def) {
        result.warnings.push(`${edge.group}/${edge.edgeNode}: alias ${info.alias} is declared for both "${clash.name}" and "${info.name}" (aliases must be unique per edge node); "${info.name}" wins`);
      }
      def.alias = info.alias;
      edge.byAlias.set(info.alias, def);
    }
    edge.byName.set(key(device, info.name), def);
    if (CONTROL.test(info.name)) return;
    const value = metricValue(m, info.datatype);
    const s = this.sample(edge.group, edge.edgeNode, device, info.name, info, value, def.unit, sentAt, now);
    def.last = s.value;
    def.lastQuality = s.quality;
    def.seen = true;
    if (this.birthValues) result.samples.push(s);
  }

  private dataWithoutBirth(t: SparkplugTopic, metrics: Array<RawMetric>, sentAt: number | undefined, now: number, result: HostResult): void {
    for (const m of metrics) {
      const info = metricInfo(m);
      if (info.name === undefined || info.name === '') continue;
      result.samples.push(this.sample(t.group, t.edgeNode, t.device, info.name, info, metricValue(m, info.datatype), unitOf(info), sentAt, now));
    }
  }

  /**
   * The tag sample of a metric — the shape `makeSample` builds (same fields,
   * same order, same rules for optional ones; a unit test holds them equal),
   * with timestamps converted through a cache: in a busy host this is the
   * hot path, and metrics of one message mostly share a timestamp.
   */
  private sample(group: string, edgeNode: string, device: string | undefined, name: string, info: MetricInfo, value: SampleValue, unit: string | undefined, sentAt: number | undefined, now: number): TagSample {
    const q = metricQuality(info);
    const ts = info.timestamp ?? sentAt ?? now;
    for (const [label, t] of [['timestamp', ts], ['payload timestamp', sentAt]] as const) {
      if (t !== undefined && !(Number.isFinite(t) && Math.abs(t) <= MAX_DATE_MS)) {
        throw new PlantwireError('bad-sparkplug', `${group}/${edgeNode}${device ? `/${device}` : ''}: metric "${name}" has a ${label} that is no date (${t} ms since 1970)`, 'Sparkplug timestamp out of range');
      }
    }
    const s: TagSample = { tag: this.tagName(group, edgeNode, device, name), value, quality: q.quality, sourceTimestamp: this.isoCache.iso(ts) };
    if (q.statusCode !== undefined) s.statusCode = q.statusCode;
    if (sentAt !== undefined) s.serverTimestamp = this.isoCache.iso(sentAt);
    const u = unitOf(info) ?? unit;
    if (u !== undefined && u !== '') s.unit = u;
    return s;
  }

  private deadSamples(edge: EdgeState, device: string | undefined, wholeNode: boolean, at: number, why: MessageType | string): TagSample[] {
    const out: TagSample[] = [];
    for (const def of edge.byName.values()) {
      if (!wholeNode && def.device !== device) continue;
      if (CONTROL.test(def.name)) continue;
      def.lastQuality = 'bad';
      const opts: Parameters<typeof makeSample>[2] = { quality: 'bad', sourceTimestamp: at, statusCode: why };
      if (def.unit !== undefined) opts.unit = def.unit;
      out.push(makeSample(this.tagName(edge.group, edge.edgeNode, def.device, def.name), def.last, opts));
    }
    return out;
  }
}
