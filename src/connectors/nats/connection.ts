/**
 * NATS JetStream for Plantwire: what the `plantwire-nats-connection` config
 * node owns and hands to its users (nats-out, nats-in): one client
 * connection, plugged into the connection kit as a Connector
 * (src/model/connector.ts) and supervised by `ConnectionUsers.of` (first
 * connect retried on the one backoff, one log line per outage, the typed
 * ConnectionState on every user's status), and the JetStream stream/consumer
 * set-up both users share. The client reconnects by itself for about a
 * minute (`reconnectAttempts`); a connection it gives up (or the server
 * closes for good) goes back to the supervisor (`ConnectionUsers.lost`),
 * which opens a new one on its backoff. The streams this link made sure of
 * are forgotten on every reconnect and when JetStream says a stream is gone,
 * so the next publish or consume creates it again as configured.
 *
 * Client: the NATS.js v3 modules `@nats-io/transport-node` +
 * `@nats-io/jetstream`, not the `nats` v2 package. The NATS maintainers moved
 * the JavaScript client to the nats.js mono-repo and the `@nats-io/*` v3
 * modules (migration.md there); v3 gets the new JetStream features (the
 * `consume()` pull consumer with heartbeats and recovery, batch publish,
 * priority groups), `nats` v2 only fixes. Both are pure JavaScript (a palette
 * install needs no compiler). No Node-RED import.
 */
import { connect, type ConnectionOptions, type NatsConnection } from '@nats-io/transport-node';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamClient, type JetStreamManager, type StreamInfo } from '@nats-io/jetstream';
import { PlantwireError, toError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import type { Connector } from '../../model/connector';
import type { RedNode } from '../../model/node-red-types';
import type { ConnectionState } from '../../model/status';
import type { NatsConnectionSettings, NatsInSettings, StreamSettings } from './settings';

/** Client options of the NATS.js connect() for these settings. */
export function clientOptions(s: NatsConnectionSettings): ConnectionOptions {
  const o: ConnectionOptions = {
    servers: s.servers,
    name: s.name,
    // The client reconnects on its own for a while once it was connected; the first connect, and a connection it gave
    // up, are retried by ConnectionUsers (NatsLink.closed).
    maxReconnectAttempts: s.reconnectAttempts,
    reconnectTimeWait: s.reconnectWaitMs,
    timeout: 10_000,
  };
  if (s.user) o.user = s.user;
  if (s.pass) o.pass = s.pass;
  if (s.token) o.token = s.token;
  if (s.tls) o.tls = { ...s.tls };
  return o;
}

/** Connects once, for the editor's "Test connection" and the CLI: answers with the server's id and version. */
export async function testNats(s: NatsConnectionSettings): Promise<string> {
  const nc = await connect({ ...clientOptions(s), maxReconnectAttempts: 0, reconnect: false });
  try {
    const info = nc.info;
    let js = 'JetStream not enabled';
    try {
      const jsm = await jetstreamManager(nc, { timeout: 5000 });
      const a = await jsm.getAccountInfo();
      js = `JetStream: ${a.streams} stream(s)`;
    } catch {
      /* JetStream off: said in the answer */
    }
    return `connected to NATS ${info?.version ?? ''} at ${nc.getServer()} (${js})`;
  } finally {
    await nc.close();
  }
}

export class NatsLink implements Connector {
  readonly users: ConnectionUsers;
  private nc: NatsConnection | null = null;
  private jsm: JetStreamManager | null = null;
  private js: JetStreamClient | null = null;
  private waiters: Array<(nc: NatsConnection) => void> = [];
  private current: ConnectionState = { phase: 'stopped', text: 'not connected' };
  private readonly listeners = new Set<(s: ConnectionState) => void>();
  /** Streams this link made sure of (name → promise), so N users do it once. */
  private readonly streams = new Map<string, Promise<StreamInfo>>();

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly settings: NatsConnectionSettings,
  ) {
    this.users = ConnectionUsers.of(owner, this, { what: `NATS ${settings.label}` });
  }

  get state(): ConnectionState {
    return this.current;
  }

  get connected(): boolean {
    return this.current.phase === 'connected';
  }

  onState(fn: (s: ConnectionState) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** The open connection, now or once it is open. */
  connection(): Promise<NatsConnection> {
    if (this.nc && !this.nc.isClosed()) return Promise.resolve(this.nc);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** True once the connection is open, false if it is not within `ms`. */
  async connectedWithin(ms: number): Promise<boolean> {
    if (this.connected) return true;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<false>((r) => (timer = setTimeout(() => r(false), ms)));
    try {
      return await Promise.race([this.connection().then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** The JetStream client and manager of the open connection. */
  async jetstream(): Promise<{ js: JetStreamClient; jsm: JetStreamManager; nc: NatsConnection }> {
    const nc = await this.connection();
    if (!this.jsm || !this.js) throw new PlantwireError('nats-offline', 'JetStream is not available on this connection', 'no JetStream');
    return { js: this.js, jsm: this.jsm, nc };
  }

  private set(phase: ConnectionState['phase'], text: string, detail?: string): void {
    this.current = detail ? { phase, text, detail } : { phase, text };
    for (const fn of this.listeners) fn(this.current);
  }

  /** Connector: resolves once connected with JetStream, rejects otherwise (the supervisor retries). */
  async start(): Promise<void> {
    try {
      await this.open();
    } catch (err) {
      // What nats-out names when a message finds no connection; the supervisor shows it on every user and retries.
      this.set('retrying', toError(err).message, `${this.settings.label}: ${toError(err).message}`);
      throw err;
    }
  }

  private async open(): Promise<void> {
    this.set('connecting', `connecting to ${this.settings.label}`);
    const nc = await connect(clientOptions(this.settings));
    let jsm: JetStreamManager;
    try {
      jsm = await jetstreamManager(nc, { timeout: 10_000 });
    } catch (err) {
      await nc.close().catch(() => undefined);
      throw new PlantwireError('nats-no-jetstream', `${this.settings.label}: JetStream is not enabled on this server or account (${toError(err).message}); start nats-server with -js`, 'JetStream not enabled');
    }
    this.nc = nc;
    this.jsm = jsm;
    this.js = jetstream(nc, { timeout: 10_000 });
    this.streams.clear();
    this.set('connected', `connected ${nc.getServer()}`);
    void this.watch(nc);
    void nc.closed().then((err) => this.closed(nc, err));
    const waiting = this.waiters;
    this.waiters = [];
    for (const w of waiting) w(nc);
  }

  private async watch(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') this.set('reconnecting', `disconnected from ${s.server}, reconnecting`);
      else if (s.type === 'reconnect') {
        // Maybe another server of the cluster, or one that lost its streams: make sure of them again.
        this.streams.clear();
        this.set('connected', `connected ${s.server}`);
      }
      else if (s.type === 'error') this.set(this.current.phase, toError(s.error).message, `${this.settings.label}: ${toError(s.error).message}`);
    }
  }

  /** The client closed the connection for good (gave up reconnecting, or the server closed it): the supervisor opens a new one. */
  private closed(nc: NatsConnection, err: void | Error): void {
    // stop() (ours) cleared this.nc first: nothing lost.
    if (this.nc !== nc) return;
    this.nc = null;
    this.jsm = null;
    this.js = null;
    this.streams.clear();
    const why = err ? toError(err).message : 'the client gave up reconnecting';
    const text = `connection to ${this.settings.label} closed (${why})`;
    this.set('retrying', `${text}, reconnecting`, `${this.settings.label}: ${why}`);
    this.users.lost(new PlantwireError('nats-closed', text, 'connection closed'));
  }

  /**
   * Whether `err` says stream `name` is not there (deleted since this link made sure of it): then it is
   * forgotten here, and the caller may try once more (ensureStream creates it again).
   */
  streamGone(name: string, err: unknown): boolean {
    // JetStream's "stream not found" (API error 10059); a publish to a subject no stream holds has no responder,
    // which the client reports as JetStream not enabled (the connection was opened with JetStream, so it is the stream).
    const missing = (err instanceof JetStreamApiError && err.code === 10059) || toError(err).name === 'JetStreamNotEnabled' || /stream not found|no responders/i.test(toError(err).message);
    if (!missing) return false;
    this.streams.delete(name);
    return true;
  }

  /** Connector: drains and closes the connection. */
  async stop(): Promise<void> {
    const nc = this.nc;
    this.nc = null;
    this.jsm = null;
    this.js = null;
    this.streams.clear();
    if (nc) await nc.drain().catch(() => nc.close());
    this.set('stopped', 'disconnected');
  }

  /** Config node close. */
  async close(): Promise<void> {
    await this.users.close();
    await this.stop();
  }

  /**
   * The stream, created with these settings when it does not exist. An
   * existing stream is used as it is (its settings belong to whoever made
   * it); a subject it does not hold is refused with a clear error.
   */
  ensureStream(s: StreamSettings, subject?: string): Promise<StreamInfo> {
    let p = this.streams.get(s.name);
    if (!p) {
      p = this.makeStream(s);
      this.streams.set(s.name, p);
      p.catch(() => this.streams.delete(s.name));
    }
    return p.then((info) => {
      if (subject && !info.config.subjects?.some((f) => subjectMatches(f, subject))) {
        throw new PlantwireError('nats-subject', `subject "${subject}" is not in stream ${s.name} (subjects ${(info.config.subjects ?? []).join(', ')}): refused without publishing; change the subject template or the stream's subjects`, 'subject not in stream');
      }
      return info;
    });
  }

  private async makeStream(s: StreamSettings): Promise<StreamInfo> {
    const { jsm } = await this.jetstream();
    try {
      return await jsm.streams.info(s.name);
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || !/not found/i.test(err.message)) throw err;
    }
    return await jsm.streams.add({
      name: s.name,
      subjects: s.subjects,
      retention: s.retention === 'workqueue' ? RetentionPolicy.Workqueue : s.retention === 'interest' ? RetentionPolicy.Interest : RetentionPolicy.Limits,
      storage: s.storage === 'memory' ? StorageType.Memory : StorageType.File,
      num_replicas: s.replicas,
      max_age: s.maxAgeMs * 1_000_000,
      duplicate_window: s.duplicateWindowMs * 1_000_000,
    });
  }

  /**
   * The durable pull consumer, created when absent; an existing one gets this
   * node's ack wait, max deliver and max ack pending (every instance of a
   * flow has the same settings, so they agree).
   */
  async ensureConsumer(s: NatsInSettings): Promise<void> {
    try {
      await this.makeConsumer(s);
    } catch (err) {
      // The stream was deleted since it was made sure of: create it (and the consumer) again.
      if (!this.streamGone(s.stream.name, err)) throw err;
      await this.makeConsumer(s);
    }
  }

  private async makeConsumer(s: NatsInSettings): Promise<void> {
    await this.ensureStream(s.stream);
    const { jsm } = await this.jetstream();
    const wanted = {
      ack_wait: s.ackWaitMs * 1_000_000,
      max_deliver: s.maxDeliver,
      max_ack_pending: s.maxAckPending,
    };
    try {
      const info = await jsm.consumers.info(s.stream.name, s.durable);
      if (s.filter && info.config.filter_subject && info.config.filter_subject !== s.filter) {
        throw new PlantwireError('bad-config', `durable consumer ${s.durable} on stream ${s.stream.name} filters "${info.config.filter_subject}", not "${s.filter}": give this node another durable name or the same filter`, 'consumer filter differs');
      }
      if (info.config.ack_wait !== wanted.ack_wait || info.config.max_deliver !== wanted.max_deliver || info.config.max_ack_pending !== wanted.max_ack_pending) {
        await jsm.consumers.update(s.stream.name, s.durable, wanted);
      }
      return;
    } catch (err) {
      if (!(err instanceof JetStreamApiError) || !/not found/i.test(err.message)) throw err;
    }
    try {
      await jsm.consumers.add(s.stream.name, {
        durable_name: s.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: s.deliverFrom === 'new' ? DeliverPolicy.New : DeliverPolicy.All,
        ...(s.filter ? { filter_subject: s.filter } : {}),
        ...wanted,
      });
    } catch (err) {
      // Another instance created it at the same moment: fine, it is the same consumer.
      if (!(err instanceof JetStreamApiError) || !/already (exists|in use)/i.test(err.message)) throw err;
    }
  }
}

/** Whether a subject matches a (wildcard) filter. */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '>') return s.length > i;
    if (i >= s.length) return false;
    if (f[i] !== '*' && f[i] !== s[i]) return false;
  }
  return f.length === s.length;
}
