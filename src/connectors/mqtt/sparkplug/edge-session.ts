/**
 * A Sparkplug B edge node on its own MQTT connection: SparkplugEdge's
 * messages published through MqttConnection, used by `plantwire-mqtt-out`
 * (Sparkplug mode) and the Sparkplug edge simulator.
 *
 * - One connection per edge node, clean session, NDEATH as the will; the
 *   bdSeq (and the will) move on after every lost connection.
 * - NBIRTH (+ DBIRTH) after each connect, on NCMD `Node Control/Rebirth`, and
 *   when a new tag appears; NDATA/DDATA by exception in between.
 * - Store and forward: while the broker is unreachable — or, with a primary
 *   host id, while that host's STATE is offline — values are buffered (up to
 *   `maxBuffered`, oldest dropped first and counted) and published after the
 *   next BIRTH as historical metrics with their original timestamps.
 * - Primary host: the BIRTH waits for its STATE online *in this MQTT
 *   connection* — after a lost connection the host may be reconnecting too,
 *   so what its STATE said before counts no more; the STATE retained at the
 *   broker (delivered again with the resubscription) or the host's next one
 *   decides. A STATE older than the last one (Sparkplug 3.0 timestamps: an
 *   online older than the last STATE, an offline older than the last
 *   online — e.g. the will of an earlier host session delivered late) is
 *   ignored.
 * - A clean stop publishes the NDEATH before disconnecting.
 */
import { EventEmitter } from 'node:events';
import { toError } from '../../../model/errors';
import type { TagSample } from '../../../model/sample';
import { MqttConnection, type StateEvent } from '../connection';
import type { BrokerSettings } from '../options';
import { SparkplugEdge, type EdgeOptions, type HistoricalValue, type OutMessage } from './edge';
import { NAMESPACE, stateTopic } from './topic';

export interface EdgeSessionOptions extends EdgeOptions {
  /** Host application id whose STATE must be online before publishing (Sparkplug primary host). */
  primaryHost?: string;
  /** Values kept while offline (default 10,000). */
  maxBuffered?: number;
}

export type EdgeSessionState = 'connecting' | 'live' | 'waiting for host' | 'offline' | 'error' | 'stopped';


export class EdgeSession extends EventEmitter {
  readonly edge: SparkplugEdge;
  readonly conn: MqttConnection;
  private readonly primaryHost: string | undefined;
  private readonly maxBuffered: number;
  /** The primary host's STATE said online since this connection was made. */
  private hostOnline: boolean;
  /** Timestamps of the newest STATE and the newest online STATE accepted (kept across reconnects). */
  private stateStamp: number | undefined;
  private onlineStamp: number | undefined;
  private buffer: HistoricalValue[] = [];
  private dropped = 0;
  private bornThisConnection = false;
  private stopped = false;
  /** Serialises publishing so BIRTH, DATA and historical data keep their order. */
  private chain: Promise<void> = Promise.resolve();
  private lastState: { state: EdgeSessionState; text: string } = { state: 'connecting', text: 'connecting' };

  constructor(settings: BrokerSettings, opts: EdgeSessionOptions) {
    super();
    this.on('error', () => undefined);
    this.edge = new SparkplugEdge(opts);
    this.primaryHost = opts.primaryHost || undefined;
    this.hostOnline = this.primaryHost === undefined;
    this.maxBuffered = opts.maxBuffered ?? 10_000;
    const baseId = String(settings.options.clientId ?? '');
    const extra: Record<string, unknown> = {
      // Sparkplug: an edge node always starts a clean session, its will is the NDEATH.
      clean: true,
      clientId: `${baseId}_${opts.edgeNode}`.slice(0, 64),
      will: this.willOf(this.edge.death()),
    };
    if (settings.options.protocolVersion === 5) extra.properties = { ...(settings.options.properties ?? {}), sessionExpiryInterval: 0 };
    this.conn = new MqttConnection(settings, extra);
    this.conn.on('state', (s: StateEvent) => this.onConnState(s));
    this.conn.on('connect', () => {
      this.bornThisConnection = false;
      this.enqueue(() => this.goLive('connected'));
    });
    this.conn.on('disconnect', () => {
      if (this.bornThisConnection) {
        // The broker publishes this session's NDEATH; the next session needs a new bdSeq (and will).
        this.edge.newSession();
        this.conn.setWill(this.willOf(this.edge.death()));
      }
      this.bornThisConnection = false;
      // The host may have lost the broker as well and not be subscribed again yet: a BIRTH (and the
      // buffered values) published on the strength of its STATE from before would go to no one. The
      // next connection waits for a STATE online again (the retained one comes with the resubscription).
      if (this.primaryHost) this.hostOnline = false;
    });
  }

  get state(): { state: EdgeSessionState; text: string } {
    return this.lastState;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get droppedCount(): number {
    return this.dropped;
  }

  async start(): Promise<void> {
    for (const t of this.edge.commandTopics()) {
      this.conn.subscribe(t, (topic, payload) => this.onCommand(topic, payload), { qos: 0 });
    }
    if (this.primaryHost) {
      const onState = (_topic: string, payload: Buffer): void => this.onHostState(payload);
      this.conn.subscribe(stateTopic(this.primaryHost), onState, { qos: 1 });
      this.conn.subscribe(`STATE/${this.primaryHost}`, onState, { qos: 1 });
    }
    await this.conn.open();
  }

  /**
   * Takes samples. Resolves when they are published (or buffered while
   * offline); rejects with a PlantwireError when a value does not fit its
   * metric's datatype.
   */
  publish(samples: TagSample[], device?: string): Promise<void> {
    // Built when its turn comes, so every message's seq follows the order of publishing.
    return this.enqueue(async () => {
      const live = this.isLive();
      const dev = device ?? this.edge.device;
      const result = this.edge.update(samples, Date.now(), dev);
      if (!live) {
        this.keep(samples, dev);
        this.report();
        return;
      }
      await this.send(result.messages);
      if (result.birth) this.report();
    });
  }

  /** Publishes a raw message (the simulator's fault injection). */
  publishRaw(msg: OutMessage): Promise<void> {
    return this.enqueue(() => this.send([msg]));
  }

  /** Publishes a new BIRTH now. */
  rebirth(): Promise<void> {
    return this.enqueue(async () => {
      if (this.isLive()) await this.send(this.edge.birth());
    });
  }

  /** Clean stop: NDEATH (when born), then DISCONNECT. Bounded in time. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await Promise.race([this.chain, new Promise((r) => setTimeout(r, 2000).unref?.())]);
    if (this.conn.connected && this.bornThisConnection) {
      try {
        const d = this.edge.death();
        await Promise.race([this.conn.publish(d.topic, d.payload, { qos: 1 }), new Promise((r) => setTimeout(r, 2000).unref?.())]);
      } catch {
        // the broker publishes the will anyway
      }
    }
    await this.conn.end(false);
    this.setState('stopped', 'stopped');
  }

  /** Drops the connection without NDEATH, as a crash would (the broker sends the will). */
  async kill(): Promise<void> {
    this.stopped = true;
    await this.conn.end(true);
  }

  private isLive(): boolean {
    return !this.stopped && this.conn.connected && this.hostOnline && this.bornThisConnection;
  }

  private keep(samples: TagSample[], device: string | undefined): void {
    for (const s of samples) {
      const b: HistoricalValue = { tag: s.tag, value: s.value, quality: s.quality, timestamp: Date.parse(s.sourceTimestamp) };
      if (device !== undefined) b.device = device;
      this.buffer.push(b);
    }
    const over = this.buffer.length - this.maxBuffered;
    if (over > 0) {
      this.buffer.splice(0, over);
      this.dropped += over;
      this.emit('warning', `store and forward buffer full (${this.maxBuffered} values): dropped the ${over} oldest (${this.dropped} so far)`);
    }
  }

  private async goLive(why: string): Promise<void> {
    if (this.stopped || !this.conn.connected) return;
    if (!this.hostOnline) {
      this.setState('waiting for host', `waiting for host ${this.primaryHost} (STATE not online)`);
      return;
    }
    await this.send(this.edge.birth());
    this.bornThisConnection = true;
    this.emit('birth', why);
    if (this.buffer.length) {
      const values = this.buffer;
      this.buffer = [];
      await this.send(this.edge.historical(values));
      this.emit('flushed', values.length);
    }
    this.report();
  }

  private onHostState(payload: Buffer): void {
    const text = payload.toString('utf8').trim();
    let online: boolean;
    let stamp: number | undefined;
    if (text === 'ONLINE' || text === 'OFFLINE') online = text === 'ONLINE';
    else {
      try {
        const state = JSON.parse(text) as { online?: unknown; timestamp?: unknown };
        online = state.online === true;
        if (typeof state.timestamp === 'number' && Number.isFinite(state.timestamp)) stamp = state.timestamp;
      } catch {
        this.emit('warning', `STATE of host ${this.primaryHost} is neither JSON nor ONLINE/OFFLINE: ignored`);
        return;
      }
    }
    if (stamp !== undefined) {
      // Sparkplug 3.0: an online STATE counts when not older than the last STATE, an offline one when
      // not older than the last online STATE; older ones belong to an earlier session of the host.
      const newest = online ? this.stateStamp : this.onlineStamp;
      if (newest !== undefined && stamp < newest) return;
      this.stateStamp = Math.max(this.stateStamp ?? stamp, stamp);
      if (online) this.onlineStamp = stamp;
    }
    const was = this.hostOnline;
    this.hostOnline = online;
    if (online && !was) this.enqueue(() => this.goLive(`host ${this.primaryHost} online`));
    if (!online && was) {
      // Data now goes to the buffer; a new BIRTH follows when the host is back.
      this.bornThisConnection = false;
      this.setState('waiting for host', `waiting for host ${this.primaryHost} (STATE offline)`);
    }
  }

  private onCommand(topic: string, payload: Buffer): void {
    let res;
    try {
      res = this.edge.command(topic, payload);
    } catch (err) {
      this.emit('warning', `ignored a command on ${topic}: ${toError(err).message}`);
      return;
    }
    if (!res) return;
    if (res.ignored.length) this.emit('warning', `${topic}: commands for ${res.ignored.join(', ')} are not supported and were ignored`);
    if (res.rebirth || res.deviceRebirth) {
      const device = res.deviceRebirth;
      const full = res.rebirth;
      this.enqueue(async () => {
        if (!this.isLive()) return;
        await this.send(full ? this.edge.birth() : [this.edge.deviceBirth(device as string)]);
        this.emit('birth', full ? 'rebirth requested' : `rebirth of device ${device} requested`);
      });
    }
  }

  private onConnState(s: StateEvent): void {
    if (s.state === 'connected') return; // goLive sets the state
    const map: Record<StateEvent['state'], EdgeSessionState> = { connecting: 'connecting', connected: 'live', reconnecting: 'offline', offline: 'offline', error: 'error', closed: 'stopped' };
    // While reconnecting (failed attempts too, e.g. "connection refused") the status keeps saying how
    // much is buffered — first, so a node status cut to its first 48 characters still shows it.
    const withBuffer = s.state === 'offline' || s.state === 'reconnecting' || s.state === 'error';
    this.setState(map[s.state], withBuffer && this.buffer.length ? `${this.buffer.length} buffered · ${s.text}` : s.text);
  }

  private report(): void {
    if (this.isLive()) this.setState('live', `${this.edge.group}/${this.edge.edgeNode}: ${this.edge.metricCount} metrics, bdSeq ${this.edge.bdSeq}`);
    else if (this.conn.connected && !this.hostOnline) this.setState('waiting for host', `waiting for host ${this.primaryHost} (${this.buffer.length} buffered)`);
    else this.setState(this.lastState.state === 'error' ? 'error' : 'offline', `offline: ${this.buffer.length} buffered`);
  }

  private setState(state: EdgeSessionState, text: string): void {
    this.lastState = { state, text };
    this.emit('state', this.lastState);
  }

  private willOf(m: OutMessage): { topic: string; payload: Buffer; qos: 0 | 1; retain: boolean } {
    return { topic: m.topic, payload: m.payload, qos: 1, retain: false };
  }

  private async send(messages: OutMessage[]): Promise<void> {
    for (const m of messages) await this.conn.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain });
  }

  private enqueue(task: () => Promise<void>): Promise<void> {
    const run = this.chain.then(task);
    // The caller gets the error (a bad value, a failed publish); the chain goes on.
    this.chain = run.catch(() => undefined);
    return run;
  }
}

export { NAMESPACE };
