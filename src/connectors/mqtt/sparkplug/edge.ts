/**
 * The Sparkplug B edge node logic (spec 3.0 §5.2–§5.11), without MQTT: it
 * builds the messages an edge node publishes from tag samples.
 *
 * - NBIRTH (seq 0) with `bdSeq`, `Node Control/Rebirth` and — without a
 *   device — every metric with its current value; with a device id the
 *   metrics go into a DBIRTH and data into DDATA.
 * - NDATA/DDATA report by exception: only metrics whose value or quality
 *   changed, by alias (names only in the BIRTH) unless aliases are off.
 * - NDEATH with the bdSeq of the session, used as the MQTT will; `newSession`
 *   increments bdSeq (0..255) for the next connection.
 * - seq 0..255, wrapping, over every message but NDEATH.
 * - A tag seen for the first time after the BIRTH needs a new BIRTH (a DATA
 *   message may only carry metrics declared in the BIRTH): `update` says so,
 *   and `birth()` then publishes it with the new metric.
 * - `command` answers NCMD `Node Control/Rebirth` (and DCMD
 *   `Device Control/Rebirth`) with the BIRTH messages.
 */
import { PlantwireError } from '../../../model/errors';
import type { Quality, SampleValue, TagSample } from '../../../model/sample';
import { decodeRaw, encodeSparkplug, inferType, metricInfo, metricValue, toMetricValue, type DataTypeName, type OutMetric } from './payload';
import { parseSparkplugTopic, sparkplugIdProblems, sparkplugTopic } from './topic';

export interface EdgeOptions {
  group: string;
  edgeNode: string;
  /** Publish the metrics as this device (DBIRTH/DDATA) instead of the edge node itself. */
  device?: string;
  /** NDATA/DDATA by alias (default true). */
  useAliases?: boolean;
  /** Metrics declared up front (name → datatype); others get their type from the first value. */
  metrics?: Array<{ name: string; type: DataTypeName }>;
  /** First bdSeq (default 0). */
  bdSeq?: number;
}

export interface OutMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1;
  retain: false;
}

interface EdgeMetric {
  name: string;
  alias: number;
  type: DataTypeName;
  value: number | boolean | string | null;
  quality: Quality;
  timestamp: number;
  /** Value has been set by a sample (otherwise the BIRTH sends it as null). */
  known: boolean;
  /** Last value sent in a BIRTH or DATA (for report by exception). */
  sentKey: string | undefined;
}

export interface UpdateResult {
  /** NDATA/DDATA to publish now (empty when nothing changed). */
  messages: OutMessage[];
  /** New metrics appeared: publish `birth()` instead of `messages`. */
  rebirth: boolean;
  /** Metric values that changed (for store and forward when offline). */
  changed: number;
}

const QUALITY_CODE: Record<Quality, number> = { good: 192, uncertain: 64, bad: 0 };

function sampleKey(value: unknown, quality: Quality): string {
  return `${quality}\u0000${typeof value === 'object' ? JSON.stringify(value) : `${typeof value}:${String(value)}`}`;
}

export function edgeOptionProblems(o: Partial<EdgeOptions>): string[] {
  return [
    ...sparkplugIdProblems(o.group, 'Sparkplug group id'),
    ...sparkplugIdProblems(o.edgeNode, 'Sparkplug edge node id'),
    ...sparkplugIdProblems(o.device, 'Sparkplug device id', true),
  ];
}

export class SparkplugEdge {
  readonly group: string;
  readonly edgeNode: string;
  readonly device: string | undefined;
  private readonly useAliases: boolean;
  private readonly metrics = new Map<string, EdgeMetric>();
  private nextAlias = 1;
  private seqNo = 0;
  private bd: number;
  private born = false;

  constructor(opts: EdgeOptions) {
    const problems = edgeOptionProblems(opts);
    if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
    this.group = opts.group;
    this.edgeNode = opts.edgeNode;
    this.device = opts.device || undefined;
    this.useAliases = opts.useAliases !== false;
    this.bd = ((opts.bdSeq ?? 0) % 256 + 256) % 256;
    for (const m of opts.metrics ?? []) this.declare(m.name, m.type);
  }

  get bdSeq(): number {
    return this.bd;
  }

  /** seq of the last message built. */
  get seq(): number {
    return (this.seqNo + 255) % 256;
  }

  get metricCount(): number {
    return this.metrics.size;
  }

  /** Whether a BIRTH has been built in this session. */
  get hasBirth(): boolean {
    return this.born;
  }

  /** The NCMD/DCMD topics this edge node must listen to. */
  commandTopics(): string[] {
    const t = [sparkplugTopic(this.group, 'NCMD', this.edgeNode)];
    if (this.device) t.push(sparkplugTopic(this.group, 'DCMD', this.edgeNode, this.device));
    return t;
  }

  /** The NDEATH for the current bdSeq: the MQTT will, and what a clean stop publishes. */
  death(now = Date.now()): OutMessage {
    return {
      topic: sparkplugTopic(this.group, 'NDEATH', this.edgeNode),
      payload: encodeSparkplug({ timestamp: now, metrics: [{ name: 'bdSeq', type: 'Int64', value: this.bd }] }),
      qos: 1,
      retain: false,
    };
  }

  /** A new MQTT session: the next bdSeq (call when the connection was lost, before reconnecting). */
  newSession(): void {
    this.bd = (this.bd + 1) % 256;
    this.born = false;
  }

  /** Declares a metric (from the dialog, or a tag's first sample). */
  declare(name: string, type: DataTypeName): void {
    if (typeof name !== 'string' || name === '') throw new PlantwireError('bad-config', 'a Sparkplug metric needs a name', 'metric without a name');
    if (this.metrics.has(name)) return;
    this.metrics.set(name, { name, alias: this.nextAlias++, type, value: null, quality: 'bad', timestamp: Date.now(), known: false, sentKey: undefined });
  }

  /** NBIRTH (and DBIRTH with a device) with every metric's current value; resets seq to 0. */
  birth(now = Date.now()): OutMessage[] {
    this.seqNo = 0;
    this.born = true;
    const nodeMetrics: OutMetric[] = [
      { name: 'bdSeq', type: 'Int64', value: this.bd, timestamp: now },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: now },
    ];
    const metrics = [...this.metrics.values()].map((m) => {
      m.sentKey = m.known ? sampleKey(m.value, m.quality) : undefined;
      return this.outMetric(m, true);
    });
    const out: OutMessage[] = [];
    if (!this.device) {
      out.push(this.message('NBIRTH', [...nodeMetrics, ...metrics], now));
    } else {
      out.push(this.message('NBIRTH', nodeMetrics, now));
      out.push(this.message('DBIRTH', [{ name: 'Device Control/Rebirth', type: 'Boolean', value: false, timestamp: now }, ...metrics], now));
    }
    return out;
  }

  /**
   * Takes tag samples: records them and returns the DATA message with the
   * changed metrics, or `rebirth: true` when a tag is new. A value that does
   * not fit its metric's datatype is a PlantwireError naming the tag.
   */
  update(samples: TagSample[], now = Date.now()): UpdateResult {
    let rebirth = false;
    // Check every sample first: a bad one rejects the batch, nothing half-applied.
    const staged: Array<{ m: EdgeMetric | undefined; s: TagSample; v: number | boolean | string | null; type: DataTypeName }> = [];
    for (const s of samples) {
      const m = this.metrics.get(s.tag);
      const type = m?.type ?? inferType(s.value);
      staged.push({ m, s, v: toMetricValue(s.tag, s.value as SampleValue, type), type });
    }
    const changed: EdgeMetric[] = [];
    for (const { m: existing, s, v, type } of staged) {
      let m = existing;
      if (!m) {
        this.declare(s.tag, type);
        m = this.metrics.get(s.tag) as EdgeMetric;
        rebirth = true;
      }
      m.value = v;
      m.quality = s.quality;
      m.timestamp = Date.parse(s.sourceTimestamp);
      m.known = true;
      const k = sampleKey(v, s.quality);
      if (k !== m.sentKey && !changed.includes(m)) changed.push(m);
    }
    if (rebirth || !this.born) return { messages: [], rebirth: true, changed: changed.length };
    if (changed.length === 0) return { messages: [], rebirth: false, changed: 0 };
    for (const m of changed) m.sentKey = sampleKey(m.value, m.quality);
    const type = this.device ? 'DDATA' : 'NDATA';
    return { messages: [this.message(type, changed.map((m) => this.outMetric(m, false)), now)], rebirth: false, changed: changed.length };
  }

  /**
   * DATA messages for buffered (store and forward) values, flagged historical,
   * with their original timestamps. Call after `birth()`.
   */
  historical(values: Array<{ tag: string; value: SampleValue; quality: Quality; timestamp: number }>, now = Date.now(), perMessage = 500): OutMessage[] {
    const out: OutMessage[] = [];
    const type = this.device ? 'DDATA' : 'NDATA';
    for (let i = 0; i < values.length; i += perMessage) {
      const metrics: OutMetric[] = [];
      for (const h of values.slice(i, i + perMessage)) {
        const m = this.metrics.get(h.tag);
        if (!m) continue;
        const om = this.outMetric({ ...m, value: toMetricValue(h.tag, h.value, m.type), quality: h.quality, timestamp: h.timestamp }, false);
        om.isHistorical = true;
        metrics.push(om);
      }
      if (metrics.length) out.push(this.message(type, metrics, now));
    }
    return out;
  }

  /**
   * Reads an NCMD/DCMD: `rebirth` when it asks for a rebirth (publish
   * `birth()` then), other commands listed in `ignored`; undefined when the
   * topic is not a command to this edge node.
   */
  command(topic: string, payload: Uint8Array): { rebirth: boolean; ignored: string[] } | undefined {
    const t = parseSparkplugTopic(topic);
    if (!t || t.type === 'STATE' || t.group !== this.group || t.edgeNode !== this.edgeNode) return undefined;
    if (t.type !== 'NCMD' && t.type !== 'DCMD') return undefined;
    if (t.type === 'DCMD' && t.device !== this.device) return undefined;
    const raw = decodeRaw(payload);
    const ignored: string[] = [];
    let rebirth = false;
    for (const m of raw.metrics ?? []) {
      const info = metricInfo(m);
      const value = metricValue(m, info.datatype);
      if ((info.name === 'Node Control/Rebirth' || info.name === 'Device Control/Rebirth') && value === true) rebirth = true;
      else ignored.push(info.name ?? `alias ${info.alias}`);
    }
    return { rebirth, ignored };
  }

  /** Skips sequence numbers (simulating lost messages; tests and the simulator). */
  skipSeq(n = 1): void {
    this.seqNo = (this.seqNo + n) % 256;
  }

  /** A DATA message with an alias the BIRTH did not declare (tests and the simulator). */
  unknownAliasMessage(alias = 60_000, now = Date.now()): OutMessage {
    return this.message(this.device ? 'DDATA' : 'NDATA', [{ alias, type: 'Double', value: 1, timestamp: now }], now);
  }

  private outMetric(m: EdgeMetric, birth: boolean): OutMetric {
    const om: OutMetric = { type: m.type, value: m.known ? m.value : null, timestamp: m.timestamp };
    if (birth || !this.useAliases) om.name = m.name;
    if (this.useAliases) om.alias = m.alias;
    if (m.known && m.quality !== 'good') om.properties = { Quality: { type: 'Int32', value: QUALITY_CODE[m.quality] } };
    return om;
  }

  private message(type: 'NBIRTH' | 'DBIRTH' | 'NDATA' | 'DDATA', metrics: OutMetric[], now: number): OutMessage {
    const seq = this.seqNo;
    this.seqNo = (this.seqNo + 1) % 256;
    const isDevice = type === 'DBIRTH' || type === 'DDATA';
    return {
      topic: sparkplugTopic(this.group, type, this.edgeNode, isDevice ? this.device : undefined),
      payload: encodeSparkplug({ timestamp: now, seq, metrics }),
      qos: 0,
      retain: false,
    };
  }
}
