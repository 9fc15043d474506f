import { EventEmitter } from 'node:events';
import mqtt, { type IClientOptions, type IClientPublishOptions, type IPublishPacket, type MqttClient } from 'mqtt';
import { Backoff } from '../../model/backoff';
import { PlantwireError, toError } from '../../model/errors';
import { OutageLog, type OutageLogger } from '../../model/outage-log';
import type { ConnectionPhase } from '../../model/status';
import type { BrokerSettings } from './options';
import { levelsMatch, parseFilter, type ParsedFilter } from './topic';

/**
 * One MQTT connection (mqtt.js v5) shared by several users: each user
 * registers the topic filters it wants with a handler, the connection keeps
 * one broker subscription per filter (highest QoS wins) and hands every
 * incoming message to the handlers whose filters match it. mqtt.js
 * reconnects, with its delays drawn from the one backoff (src/model/backoff.ts):
 * the reconnect period is the first delay, doubled per failed attempt up to
 * `MQTT_RECONNECT_MAX_MS` (or the period, if larger), jittered, reset once the
 * broker accepts us — so a fleet of clients that lost the same broker does not
 * come back in lockstep. Subscriptions are restored after a reconnect unless
 * the broker kept the session. State changes are events, never thrown errors;
 * with `logOutagesTo` an outage is logged once (down, still down, back).
 */

export type MessageHandler = (topic: string, payload: Buffer, packet: IPublishPacket) => void;

/** The phases of an MQTT connection: a subset of the one connection vocabulary (src/model/status.ts). */
export type MqttPhase = Extract<ConnectionPhase, 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'error' | 'closed'>;

export interface StateEvent {
  state: MqttPhase;
  /** Short human text, e.g. "connected to mqtt://127.0.0.1:1883". */
  text: string;
  error?: Error;
}

export interface ConnectEvent {
  /** The broker resumed a persistent session (MQTT sessionPresent). */
  sessionPresent: boolean;
  /** First connect of this connection object (not a reconnect). */
  first: boolean;
}

export interface SubscribeOptions {
  qos?: 0 | 1 | 2;
  /** Called when the broker refuses the subscription (e.g. not authorised). */
  onError?: (err: Error) => void;
  /** Called once the broker acknowledged the subscription (at once if it already had). */
  onSubscribed?: () => void;
}

export interface Subscription {
  readonly filter: string;
  /**
   * Removes the handler; the broker subscription ends with its last handler —
   * unless `keepAtBroker` (a persistent session whose flow is only being
   * restarted: the broker must keep queueing for it).
   */
  close(opts?: { keepAtBroker?: boolean }): Promise<void>;
}

interface FilterEntry {
  parsed: ParsedFilter;
  qos: 0 | 1 | 2;
  handlers: Set<HandlerEntry>;
  /** The broker acknowledged the subscription at this QoS. */
  acked: boolean;
  waiters: Array<() => void>;
}
interface HandlerEntry {
  handler: MessageHandler;
  onError?: (err: Error) => void;
}

export interface PublishOptions {
  qos?: 0 | 1 | 2;
  retain?: boolean;
  properties?: IClientPublishOptions['properties'];
}

/** Readable text for CONNACK refusals (3.1.1 return codes and MQTT 5 reason codes). */
const CONNACK_TEXT: Record<number, string> = {
  1: 'unacceptable protocol version: try the other MQTT version',
  2: 'client id rejected by the broker',
  3: 'broker unavailable',
  4: 'bad user name or password',
  5: 'not authorised: check user name and password',
  128: 'unspecified error',
  129: 'malformed packet',
  130: 'protocol error',
  132: 'unsupported protocol version: try MQTT 3.1.1',
  133: 'client id not valid',
  134: 'bad user name or password',
  135: 'not authorised: check user name and password',
  136: 'server unavailable',
  137: 'server busy',
  138: 'banned',
  140: 'bad authentication method',
};

const TLS_TEXT: Record<string, string> = {
  SELF_SIGNED_CERT_IN_CHAIN: "cannot verify the broker's certificate (self-signed certificate in the chain): set the CA certificate",
  DEPTH_ZERO_SELF_SIGNED_CERT: "the broker's certificate is self-signed: set it as CA certificate",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "cannot verify the broker's certificate: set the CA certificate that signed it",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "cannot verify the broker's certificate: set the CA certificate that signed it",
  CERT_HAS_EXPIRED: "the broker's certificate has expired",
  ERR_TLS_CERT_ALTNAME_INVALID: "the broker's certificate is not made out for this host name: use the name in the certificate or set Server name",
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the broker requires a client certificate: set Client certificate and Client key',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the broker refused the client certificate',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the broker does not trust the CA of the client certificate',
  ERR_OSSL_BAD_DECRYPT: 'cannot decrypt the client key: check the key passphrase',
};

/** The longest delay between two reconnect attempts (unless the reconnect period itself is longer). */
export const MQTT_RECONNECT_MAX_MS = 30_000;

/** Node's and OpenSSL's error codes of a TLS failure (certificate, trust, key). */
const TLS_CODE = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS|ERR_SSL|ERR_OSSL/;

/** A refusal only the user can fix (CONNACK refusal, TLS trust): logged as a warning, not as an info line. */
function isRefusal(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'number' || (typeof code === 'string' && TLS_CODE.test(code));
}

export function describeMqttError(err: unknown): string {
  const e = toError(err) as Error & { code?: unknown };
  if (typeof e.code === 'number' && CONNACK_TEXT[e.code]) return `connection refused: ${CONNACK_TEXT[e.code]}`;
  if (e.code === 'ECONNREFUSED') return 'connection refused: is the broker running?';
  if (e.code === 'ENOTFOUND') return 'broker host not found';
  if (e.code === 'ETIMEDOUT') return 'connection timed out';
  if (typeof e.code === 'string') {
    const tls = TLS_TEXT[e.code];
    if (tls) return `TLS: ${tls}`;
    if (TLS_CODE.test(e.code)) {
      // OpenSSL messages carry a long prefix ("8090…:error:0A00045C:SSL routines:…:tlsv13 alert …:…"): keep the words.
      const words = /:([a-z0-9 ._-]+):[^:]*$/i.exec(e.message)?.[1] ?? e.message;
      return `TLS: ${words}`;
    }
  }
  if (e.code === 'ECONNRESET') return 'connection reset by the broker (a TLS client certificate it does not trust?)';
  return e.message;
}

export class MqttConnection extends EventEmitter {
  readonly settings: BrokerSettings;
  private client: MqttClient | null = null;
  private readonly filters = new Map<string, FilterEntry>();
  private lastState: StateEvent = { state: 'closed', text: 'not connected' };
  private everConnected = false;
  private ending: Promise<void> | null = null;
  private outage: OutageLog | null = null;

  constructor(settings: BrokerSettings, extra: Partial<IClientOptions> = {}) {
    super();
    this.settings = { ...settings, options: { ...settings.options, ...extra } };
    // 'error' without a listener would throw; errors are reported as state events.
    this.on('error', () => undefined);
  }

  get state(): StateEvent {
    return this.lastState;
  }

  /**
   * Logs this connection's outages through the one outage log (one line when it
   * goes down, a "still down" warning, one when it is back), as every other
   * connection does; call before `open()`.
   */
  logOutagesTo(logger: OutageLogger, what: string): void {
    this.outage = new OutageLog(logger, what);
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  get clientId(): string {
    return String(this.settings.options.clientId ?? '');
  }

  /** The underlying mqtt.js client (benchmarks and tests only). */
  get raw(): MqttClient | null {
    return this.client;
  }

  /**
   * Starts the client; resolves at once (the client keeps connecting and
   * reconnecting on its own; follow `state` events). Use `whenConnected` to
   * wait for the broker.
   */
  async open(): Promise<void> {
    if (this.client) return;
    let client: MqttClient;
    try {
      client = mqtt.connect(this.settings.url, this.settings.options);
    } catch (err) {
      const e = toError(err);
      this.setState({ state: 'error', text: describeMqttError(e), error: e });
      throw new PlantwireError('mqtt-connect', `cannot start the MQTT client for ${this.settings.label}: ${e.message}`, describeMqttError(e));
    }
    this.client = client;
    this.setState({ state: 'connecting', text: `connecting to ${this.settings.label}` });
    // The delay before mqtt.js's next attempt, from the one backoff. mqtt.js reads
    // options.reconnectPeriod whenever it schedules a reconnect — on a close, but also
    // before the close event (keepalive or connect timeout, a refused CONNACK) — so the
    // option always holds the delay the next failure gets: advanced when an attempt
    // starts, back to the first delay once the broker accepted us. 0 keeps "no reconnects".
    const period = Number(client.options.reconnectPeriod ?? 0);
    const backoff = period > 0 ? new Backoff({ initialMs: period, maxMs: Math.max(period, MQTT_RECONNECT_MAX_MS) }) : null;
    if (backoff) {
      client.options.reconnectPeriod = backoff.peek();
      client.on('reconnect', () => {
        backoff.next();
        client.options.reconnectPeriod = backoff.peek();
      });
    }
    // Did this attempt end in a refusal only the user can fix? (for the outage log's level)
    let refused = false;
    client.on('connect', (packet) => {
      if (backoff) {
        backoff.reset();
        client.options.reconnectPeriod = backoff.peek();
      }
      refused = false;
      this.outage?.succeeded();
      const first = !this.everConnected;
      this.everConnected = true;
      this.setState({ state: 'connected', text: `connected to ${this.settings.label}` });
      this.emit('connect', { sessionPresent: packet.sessionPresent === true, first } satisfies ConnectEvent);
    });
    client.on('reconnect', () => {
      if (this.lastState.state !== 'error') this.setState({ state: 'reconnecting', text: `reconnecting to ${this.settings.label}` });
    });
    client.on('offline', () => {
      if (this.lastState.state !== 'error') this.setState({ state: 'offline', text: `broker ${this.settings.label} unreachable` });
      this.emit('offline');
    });
    // Per connection attempt: did the broker accept (CONNACK) or say why not?
    let accepted = false;
    let failed = false;
    client.on('reconnect', () => {
      accepted = false;
      failed = false;
    });
    client.on('connect', () => {
      accepted = true;
    });
    client.on('close', () => {
      if (!accepted && !failed && this.client === client && !this.ending) {
        // Closed before CONNACK without an error: e.g. a TLS broker that does not trust the client certificate.
        this.setState({ state: 'error', text: 'the broker closed the connection before accepting it: check the TLS client certificate, client id and credentials' });
        // Over TLS that is the broker refusing us (a warning); on plain TCP a proxy or load balancer in front of a
        // broker that is down does the same, which is an outage like any other.
        refused = /^(mqtts|wss|ssl|tls)$/.test(String(client.options.protocol ?? ''));
      }
      // A failed attempt or a lost connection (not our own end): one line per outage.
      if (this.client === client && !this.ending) this.outage?.failed(this.lastState.text, refused);
      this.emit('disconnect');
    });
    client.on('error', (err) => {
      failed = true;
      refused = isRefusal(err);
      this.setState({ state: 'error', text: describeMqttError(err), error: toError(err) });
    });
    client.on('message', (topic, payload, packet) => this.dispatch(topic, payload, packet));
    // Filters registered before open(): mqtt.js queues these until the broker answers.
    for (const [filter, f] of this.filters) this.brokerSubscribe(filter, f.qos);
  }

  /** Resolves when connected (at once if already), rejects after `timeoutMs`. */
  whenConnected(timeoutMs = 10_000): Promise<void> {
    if (this.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('connect', onConnect);
        reject(new PlantwireError('mqtt-timeout', `no connection to ${this.settings.label} within ${timeoutMs} ms: ${this.lastState.text}`, this.lastState.text));
      }, timeoutMs);
      const onConnect = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.once('connect', onConnect);
    });
  }

  /**
   * Ends the connection: a clean DISCONNECT (the broker then drops the last
   * will) unless `force`, which just drops the socket (the broker publishes
   * the will). Bounded in time.
   */
  end(force = false, timeoutMs = 5000): Promise<void> {
    if (this.ending) return this.ending;
    const client = this.client;
    if (!client) return Promise.resolve();
    this.ending = new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        client.end(true);
        resolve();
      }, timeoutMs);
      timer.unref?.();
      client.end(force, () => {
        clearTimeout(timer);
        resolve();
      });
    }).then(() => {
      client.removeAllListeners();
      client.on('error', () => undefined);
      this.client = null;
      this.ending = null;
      // Ended on purpose: an outage in progress is over without a "back" line.
      this.outage?.clear();
      this.setState({ state: 'closed', text: 'disconnected' });
    });
    return this.ending;
  }

  /** Changes the last will for the next (re)connect (Sparkplug: NDEATH with the new bdSeq). */
  setWill(will: IClientOptions['will']): void {
    this.settings.options.will = will;
    if (this.client) this.client.options.will = will;
  }

  /**
   * Registers `handler` for messages matching `filter`. Subscribes at the
   * broker when this filter is new (or when a higher QoS is asked for).
   */
  subscribe(filter: string, handler: MessageHandler, opts: SubscribeOptions = {}): Subscription {
    const parsed = parseFilter(filter);
    const qos = opts.qos ?? 0;
    const entry: HandlerEntry = opts.onError ? { handler, onError: opts.onError } : { handler };
    let f = this.filters.get(filter);
    const needSubscribe = !f || f.qos < qos;
    if (!f) {
      f = { parsed, qos, handlers: new Set(), acked: false, waiters: [] };
      this.filters.set(filter, f);
    }
    f.qos = Math.max(f.qos, qos) as 0 | 1 | 2;
    f.handlers.add(entry);
    if (needSubscribe) f.acked = false;
    if (opts.onSubscribed) {
      const done = opts.onSubscribed;
      if (f.acked) queueMicrotask(done);
      else f.waiters.push(done);
    }
    if (needSubscribe) this.brokerSubscribe(filter, f.qos);
    let closed = false;
    return {
      filter,
      close: async (o = {}) => {
        if (closed) return;
        closed = true;
        const cur = this.filters.get(filter);
        if (!cur) return;
        cur.handlers.delete(entry);
        if (cur.handlers.size === 0) {
          this.filters.delete(filter);
          if (!o.keepAtBroker) await this.brokerUnsubscribe(filter);
        }
      },
    };
  }

  /** Publishes; resolves when handed to the network (QoS 0) or acknowledged (QoS 1/2). */
  publish(topic: string, payload: string | Buffer | Uint8Array, opts: PublishOptions = {}): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new PlantwireError('mqtt-closed', `not connected to ${this.settings.label}: the connection is closed`, 'not connected'));
    const options: IClientPublishOptions = { qos: opts.qos ?? 0, retain: opts.retain ?? false };
    if (opts.properties && this.settings.options.protocolVersion === 5) options.properties = opts.properties;
    const body = Buffer.isBuffer(payload) || typeof payload === 'string' ? payload : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
    return new Promise((resolve, reject) => {
      client.publish(topic, body, options, (err) => {
        if (err) reject(publishError(topic, err));
        else resolve();
      });
    });
  }

  /**
   * Subscribes every registered filter again and resolves when the broker
   * acknowledged them all (or rejects after `timeoutMs`): a Sparkplug host
   * announces itself online only once it surely receives.
   */
  resubscribeAll(timeoutMs = 10_000): Promise<void> {
    const client = this.client;
    if (!client) return Promise.reject(new PlantwireError('mqtt-closed', 'not connected', 'not connected'));
    const list = Object.fromEntries([...this.filters].map(([filter, f]) => [filter, { qos: f.qos }]));
    if (Object.keys(list).length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new PlantwireError('mqtt-timeout', `no SUBACK within ${timeoutMs} ms`, 'subscribe timed out')), timeoutMs);
      client.subscribe(list, (err) => {
        clearTimeout(timer);
        if (err) reject(new PlantwireError('mqtt-subscribe', `subscribing failed: ${describeMqttError(err)}`, 'subscription refused'));
        else resolve();
      });
    });
  }

  /** Filters currently subscribed (for status and tests). */
  get subscriptions(): string[] {
    return [...this.filters.keys()];
  }

  private brokerSubscribe(filter: string, qos: 0 | 1 | 2): void {
    const client = this.client;
    if (!client) return; // subscribed on open()
    client.subscribe(filter, { qos }, (err, granted) => {
      const refused = granted?.find((g) => g.qos === 128 || (typeof g.qos === 'number' && g.qos > 2));
      const f = this.filters.get(filter);
      if (err || refused) {
        const e = new PlantwireError('mqtt-subscribe', `the broker refused the subscription to "${filter}"${err ? `: ${describeMqttError(err)}` : ' (not authorised or not supported)'}`, 'subscription refused');
        for (const h of f?.handlers ?? []) h.onError?.(e);
        return;
      }
      if (f && f.qos === qos) {
        f.acked = true;
        const waiters = f.waiters.splice(0);
        for (const w of waiters) w();
      }
    });
  }

  private brokerUnsubscribe(filter: string): Promise<void> {
    const client = this.client;
    if (!client || !client.connected) {
      // Forget it for reconnects too.
      if (client) delete (client as unknown as { _resubscribeTopics: Record<string, unknown> })._resubscribeTopics[filter];
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, 3000);
      timer.unref?.();
      client.unsubscribe(filter, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private dispatch(topic: string, payload: Buffer, packet: IPublishPacket): void {
    // A handler registered under several matching filters gets the message once.
    const called = this.filters.size > 1 ? new Set<MessageHandler>() : null;
    const levels = topic.split('/');
    for (const f of this.filters.values()) {
      if (!levelsMatch(f.parsed.levels, levels)) continue;
      for (const h of f.handlers) {
        if (called) {
          if (called.has(h.handler)) continue;
          called.add(h.handler);
        }
        try {
          h.handler(topic, payload, packet);
        } catch (err) {
          // A handler must not break delivery to the others; handlers report their own errors.
          this.emit('handler-error', toError(err));
        }
      }
    }
  }

  private setState(s: StateEvent): void {
    // The same failure on every retry is one state, not a stream of events.
    if (s.state === this.lastState.state && s.text === this.lastState.text && s.state !== 'connected') return;
    this.lastState = s;
    this.emit('state', s);
  }
}

/** MQTT 5 PUBACK/PUBREC reason codes that refuse the message itself: sent again, it is refused the same way. */
const REFUSED: Record<number, string> = { 0x87: 'not authorized', 0x90: 'topic name invalid', 0x95: 'packet too large', 0x99: 'payload format invalid' };

/** A failed publish in the delivery contract (src/model/delivery.ts): a broker's refusal of the message is permanent, anything else transient. */
export function publishError(topic: string, err: unknown): PlantwireError & { transient: boolean } {
  const code = (err as { code?: unknown }).code;
  const refused = typeof code === 'number' ? REFUSED[code] : undefined;
  if (!refused) return Object.assign(new PlantwireError('mqtt-publish', `publish to "${topic}" failed: ${describeMqttError(err)}`, 'publish failed'), { transient: true });
  return Object.assign(new PlantwireError('mqtt-refused', `the broker refused the publish to "${topic}": ${refused} (reason code 0x${(code as number).toString(16)})`, `broker refused: ${refused}`), { transient: false });
}
