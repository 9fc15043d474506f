/**
 * The Sparkplug B edge node logic (spec 3.0 §5.2–§5.11), without MQTT: it
 * builds the messages an edge node publishes from tag samples.
 *
 * - NBIRTH (seq 0) with `bdSeq`, `Node Control/Rebirth` and the edge node's
 *   own metrics, then one DBIRTH per device with `Device Control/Rebirth`
 *   and the device's metrics — all with their current values.
 * - NDATA/DDATA report by exception: only metrics whose value or quality
 *   changed, by alias (names only in the BIRTH) unless aliases are off.
 *   Aliases are unique across the edge node and its devices.
 * - NDEATH with the bdSeq of the session, used as the MQTT will; `newSession`
 *   moves bdSeq on (0..255) for the next connection.
 * - seq 0..255, wrapping, over every message but NDEATH.
 * - A metric seen for the first time after the BIRTH needs a BIRTH first (a
 *   DATA message may only carry declared metrics): a new edge-node metric
 *   means a new NBIRTH (and DBIRTHs), a new device or device metric a new
 *   DBIRTH of that device.
 * - `command` reads NCMD `Node Control/Rebirth` and DCMD
 *   `Device Control/Rebirth`.
 */
import { PlantwireError } from '../../../model/errors';
import type { Quality, SampleValue, TagSample } from '../../../model/sample';
import { decodeRaw, encodeSparkplug, inferType, metricInfo, metricValue, toMetricValue, type DataTypeName, type OutMetric } from './payload';
import { parseSparkplugTopic, sparkplugIdProblems, sparkplugTopic } from './topic';

export interface EdgeOptions {
  group: string;
  edgeNode: string;
  /** Default device of `update` (mqtt-out with a device id): its metrics go to DBIRTH/DDATA. */
  device?: string;
  /** Devices to announce from the start (the default device is added). */
  devices?: string[];
  /** NDATA/DDATA by alias (default true). */
  useAliases?: boolean;
  /** Metrics declared up front (name → datatype, optional device); others get their type from the first value. */
  metrics?: Array<{ name: string; type: DataTypeName; device?: string }>;
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
  device: string | undefined;
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
  /** Messages to publish now: DATA, or the BIRTH(s) new metrics need. */
  messages: OutMessage[];
  /** Metric values that changed. */
  changed: number;
  /** A BIRTH is among the messages. */
  birth: boolean;
}

export interface HistoricalValue {
  tag: string;
  device?: string;
  value: SampleValue;
  quality: Quality;
  timestamp: number;
}

const QUALITY_CODE: Record<Quality, number> = { good: 192, uncertain: 64, bad: 0 };

function sampleKey(value: unknown, quality: Quality): string {
  return `${quality}\u0000${typeof value === 'object' ? JSON.stringify(value) : `${typeof value}:${String(value)}`}`;
}

function mkey(device: string | undefined, name: string): string {
  return `${device ?? ''}\u0000${name}`;
}

export function edgeOptionProblems(o: Partial<EdgeOptions>): string[] {
  return [
    ...sparkplugIdProblems(o.group, 'Sparkplug group id'),
    ...sparkplugIdProblems(o.edgeNode, 'Sparkplug edge node id'),
    ...sparkplugIdProblems(o.device, 'Sparkplug device id', true),
    ...(o.devices ?? []).flatMap((d) => sparkplugIdProblems(d, 'Sparkplug device id')),
  ];
}

export class SparkplugEdge {
  readonly group: string;
  readonly edgeNode: string;
  readonly device: string | undefined;
  private readonly useAliases: boolean;
  private readonly metrics = new Map<string, EdgeMetric>();
  private readonly devices: string[] = [];
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
    this.bd = (((opts.bdSeq ?? 0) % 256) + 256) % 256;
    for (const d of opts.devices ?? []) this.addDevice(d);
    if (this.device) this.addDevice(this.device);
    for (const m of opts.metrics ?? []) this.declare(m.name, m.type, m.device ?? this.device);
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

  get deviceIds(): string[] {
    return [...this.devices];
  }

  /** Whether a BIRTH has been built in this session. */
  get hasBirth(): boolean {
    return this.born;
  }

  /** The NCMD/DCMD topics this edge node listens to. */
  commandTopics(): string[] {
    return [sparkplugTopic(this.group, 'NCMD', this.edgeNode), `spBv1.0/${this.group}/DCMD/${this.edgeNode}/+`];
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

  /** Declares a metric (from the dialog, or a tag's first sample). Returns whether it is new. */
  declare(name: string, type: DataTypeName, device?: string): boolean {
    if (typeof name !== 'string' || name === '') throw new PlantwireError('bad-config', 'a Sparkplug metric needs a name', 'metric without a name');
    const k = mkey(device, name);
    if (this.metrics.has(k)) return false;
    if (device !== undefined) this.addDevice(device);
    this.metrics.set(k, { name, device, alias: this.nextAlias++, type, value: null, quality: 'bad', timestamp: Date.now(), known: false, sentKey: undefined });
    return true;
  }

  /** NBIRTH and one DBIRTH per device, with every metric's current value; seq starts at 0. */
  birth(now = Date.now()): OutMessage[] {
    this.seqNo = 0;
    this.born = true;
    const nodeMetrics: OutMetric[] = [
      { name: 'bdSeq', type: 'Int64', value: this.bd, timestamp: now },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: now },
      ...this.birthMetrics(undefined),
    ];
    const out: OutMessage[] = [this.message('NBIRTH', undefined, nodeMetrics, now)];
    for (const d of this.devices) out.push(this.deviceBirth(d, now));
    return out;
  }

  /**
   * Takes tag samples (of `device`, default the edge's device): records them
   * and returns what to publish — DATA with the changed metrics, or the
   * BIRTH new metrics need. Before the first BIRTH of a session it only
   * records (returns no messages). A value that does not fit its metric's
   * datatype is a PlantwireError naming the tag, and nothing is recorded.
   */
  update(samples: TagSample[], now = Date.now(), device: string | undefined = this.device): UpdateResult {
    if (device !== undefined) {
      const p = sparkplugIdProblems(device, 'Sparkplug device id');
      if (p.length) throw new PlantwireError('bad-value', p.join('; '), p[0]);
    }
    // Check every sample first: a bad one rejects the batch, nothing half-applied.
    const staged = samples.map((s) => {
      const m = this.metrics.get(mkey(device, s.tag));
      const type = m?.type ?? inferType(s.value);
      return { s, type, v: toMetricValue(s.tag, s.value as SampleValue, type) };
    });
    const newDevice = device !== undefined && !this.devices.includes(device);
    let newMetric = false;
    const changed: EdgeMetric[] = [];
    for (const { s, v, type } of staged) {
      if (this.declare(s.tag, type, device)) newMetric = true;
      const m = this.metrics.get(mkey(device, s.tag)) as EdgeMetric;
      m.value = v;
      m.quality = s.quality;
      m.timestamp = Date.parse(s.sourceTimestamp);
      m.known = true;
      if (sampleKey(v, s.quality) !== m.sentKey && !changed.includes(m)) changed.push(m);
    }
    if (!this.born) return { messages: [], changed: changed.length, birth: false };
    if (newMetric || newDevice) {
      // Undeclared metrics may not appear in DATA: the edge node (or just this device) is born again.
      const messages = device === undefined ? this.birth(now) : [this.deviceBirth(device, now)];
      return { messages, changed: changed.length, birth: true };
    }
    if (changed.length === 0) return { messages: [], changed: 0, birth: false };
    for (const m of changed) m.sentKey = sampleKey(m.value, m.quality);
    return { messages: [this.message(device ? 'DDATA' : 'NDATA', device, changed.map((m) => this.outMetric(m, false)), now)], changed: changed.length, birth: false };
  }

  /**
   * DATA messages for buffered (store and forward) values, flagged
   * historical, with their original timestamps. Call after `birth()`.
   */
  historical(values: HistoricalValue[], now = Date.now(), perMessage = 500): OutMessage[] {
    const out: OutMessage[] = [];
    const byDevice = new Map<string | undefined, HistoricalValue[]>();
    for (const h of values) {
      const list = byDevice.get(h.device) ?? [];
      list.push(h);
      byDevice.set(h.device, list);
    }
    for (const [device, list] of byDevice) {
      for (let i = 0; i < list.length; i += perMessage) {
        const metrics: OutMetric[] = [];
        for (const h of list.slice(i, i + perMessage)) {
          const m = this.metrics.get(mkey(device, h.tag));
          if (!m) continue;
          const om = this.outMetric({ ...m, value: toMetricValue(h.tag, h.value, m.type), quality: h.quality, timestamp: h.timestamp, known: true }, false);
          om.isHistorical = true;
          metrics.push(om);
        }
        if (metrics.length) out.push(this.message(device ? 'DDATA' : 'NDATA', device, metrics, now));
      }
    }
    return out;
  }

  /**
   * Reads an NCMD/DCMD: `rebirth` (publish `birth()`) for NCMD
   * `Node Control/Rebirth`, `deviceRebirth` (publish `deviceBirth(d)`) for
   * DCMD `Device Control/Rebirth`, other commands listed in `ignored`;
   * undefined when the topic is not a command to this edge node.
   */
  command(topic: string, payload: Uint8Array): { rebirth: boolean; deviceRebirth?: string; ignored: string[] } | undefined {
    const t = parseSparkplugTopic(topic);
    if (!t || t.type === 'STATE' || t.group !== this.group || t.edgeNode !== this.edgeNode) return undefined;
    if (t.type !== 'NCMD' && t.type !== 'DCMD') return undefined;
    if (t.type === 'DCMD' && !this.devices.includes(t.device as string)) return undefined;
    const raw = decodeRaw(payload);
    const ignored: string[] = [];
    const res: { rebirth: boolean; deviceRebirth?: string; ignored: string[] } = { rebirth: false, ignored };
    for (const m of raw.metrics ?? []) {
      const info = metricInfo(m);
      const value = metricValue(m, info.datatype);
      if (t.type === 'NCMD' && info.name === 'Node Control/Rebirth' && value === true) res.rebirth = true;
      else if (t.type === 'DCMD' && info.name === 'Device Control/Rebirth' && value === true) res.deviceRebirth = t.device as string;
      else ignored.push(info.name ?? `alias ${info.alias}`);
    }
    return res;
  }

  /** The DBIRTH of one device (after the NBIRTH). */
  deviceBirth(device: string, now = Date.now()): OutMessage {
    this.addDevice(device);
    return this.message('DBIRTH', device, [{ name: 'Device Control/Rebirth', type: 'Boolean', value: false, timestamp: now }, ...this.birthMetrics(device)], now);
  }

  /** Skips sequence numbers (simulating lost messages; tests and the simulator). */
  skipSeq(n = 1): void {
    this.seqNo = (this.seqNo + n) % 256;
  }

  /** A DATA message with an alias no BIRTH declared (tests and the simulator). */
  unknownAliasMessage(alias = 60_000, now = Date.now(), device: string | undefined = this.device): OutMessage {
    return this.message(device ? 'DDATA' : 'NDATA', device, [{ alias, type: 'Double', value: 1, timestamp: now }], now);
  }

  private addDevice(device: string): void {
    if (!this.devices.includes(device)) this.devices.push(device);
  }

  private birthMetrics(device: string | undefined): OutMetric[] {
    const out: OutMetric[] = [];
    for (const m of this.metrics.values()) {
      if (m.device !== device) continue;
      m.sentKey = m.known ? sampleKey(m.value, m.quality) : undefined;
      out.push(this.outMetric(m, true));
    }
    return out;
  }

  private outMetric(m: EdgeMetric, birth: boolean): OutMetric {
    const om: OutMetric = { type: m.type, value: m.known ? m.value : null, timestamp: m.timestamp };
    if (birth || !this.useAliases) om.name = m.name;
    if (this.useAliases) om.alias = m.alias;
    if (m.known && m.quality !== 'good') om.properties = { Quality: { type: 'Int32', value: QUALITY_CODE[m.quality] } };
    return om;
  }

  private message(type: 'NBIRTH' | 'DBIRTH' | 'NDATA' | 'DDATA', device: string | undefined, metrics: OutMetric[], now: number): OutMessage {
    const seq = this.seqNo;
    this.seqNo = (this.seqNo + 1) % 256;
    return {
      topic: sparkplugTopic(this.group, type, this.edgeNode, type === 'DBIRTH' || type === 'DDATA' ? device : undefined),
      payload: encodeSparkplug({ timestamp: now, seq, metrics }),
      qos: 0,
      retain: false,
    };
  }
}
