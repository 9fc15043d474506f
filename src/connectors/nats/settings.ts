/**
 * Settings of the NATS nodes as the editor stores them, validated: the
 * connection (`plantwire-nats-connection`), the stream both nats-out and
 * nats-in create when it is absent, the publisher (`plantwire-nats-out`) and
 * the shared durable consumer (`plantwire-nats-in`). No Node-RED needed.
 */
import { PlantwireError } from '../../model/errors';
import { parseFields, type Parsed } from '../../model/fields';
import { pemOrFile } from '../mqtt/options';
import type { UnsPayload } from '../mqtt/uns';
import { natsConnectionFields, natsInFields, natsOutFields, streamOnlyFields, type Retention } from './fields';

export { RETENTIONS, subjectProblems, type Retention } from './fields';

export interface NatsConnectionConfig {
  /** Comma- or space-separated server URLs: `nats://host:4222, tls://host2:4222`. */
  servers?: string;
  /** Client name shown by the server (`nats server report connections`). */
  clientName?: string;
  tls?: boolean | string;
  /** CA certificate(s), client certificate and key: a file path or PEM text. */
  ca?: string;
  cert?: string;
  key?: string;
  /** ms between reconnect attempts of the client itself once it was connected. */
  reconnectWait?: number | string;
}

export interface NatsCredentials {
  user?: string;
  password?: string;
  token?: string;
}

export interface NatsConnectionSettings {
  servers: string[];
  label: string;
  name: string;
  user?: string;
  pass?: string;
  token?: string;
  tls?: { ca?: string; cert?: string; key?: string };
  reconnectWaitMs: number;
  /**
   * Reconnect attempts of the client itself before it gives the connection up for good (then the
   * connection kit's supervisor takes over: its one backoff, one log line per outage). Not in the editor:
   * about a minute at the default reconnect wait.
   */
  reconnectAttempts: number;
}

export function natsConnectionSettings(config: NatsConnectionConfig, creds: NatsCredentials = {}): NatsConnectionSettings {
  const p = parseFields(natsConnectionFields, config as Record<string, unknown>);
  const servers = p.servers;
  const user = creds.user?.trim() || undefined;
  const token = creds.token || undefined;
  if (token && user) throw new PlantwireError('bad-config', 'credentials: give either a user (with password) or a token, not both', 'user and token both set');
  if (creds.password && !user) throw new PlantwireError('bad-config', 'credentials: a password needs a user name', 'password without user');
  const settings: NatsConnectionSettings = {
    servers,
    label: servers.join(', '),
    name: p.clientName.trim() || 'plantwire',
    reconnectWaitMs: p.reconnectWait,
    reconnectAttempts: 0,
  };
  settings.reconnectAttempts = Math.max(3, Math.ceil(60_000 / settings.reconnectWaitMs));
  if (user) settings.user = user;
  if (user && creds.password) settings.pass = creds.password;
  if (token) settings.token = token;
  const tls = p.tls || servers.some((s) => s.startsWith('tls://') || s.startsWith('wss://'));
  if (tls) {
    const t: { ca?: string; cert?: string; key?: string } = {};
    const ca = pemOrFile(config.ca, 'CA certificate');
    const cert = pemOrFile(config.cert, 'client certificate');
    const key = pemOrFile(config.key, 'client key');
    if (!!cert !== !!key) throw new PlantwireError('bad-config', 'TLS: a client certificate needs its key and the key its certificate', 'certificate without key');
    if (ca) t.ca = ca.toString('utf8');
    if (cert) t.cert = cert.toString('utf8');
    if (key) t.key = key.toString('utf8');
    settings.tls = t;
  }
  return settings;
}

// ---------------------------------------------------------------- stream

export type Storage = 'file' | 'memory';

export interface StreamConfig {
  stream?: string;
  /** Comma-separated subjects of the stream (used only when it is created): `uns.>` */
  subjects?: string;
  retention?: string;
  replicas?: number | string;
  storage?: string;
  /** Hours a message is kept (0 = no limit). */
  maxAgeHours?: number | string;
  /** Seconds within which a repeated Nats-Msg-Id is dropped as a duplicate. */
  duplicateWindow?: number | string;
}

export interface StreamSettings {
  name: string;
  subjects: string[];
  retention: Retention;
  replicas: number;
  storage: Storage;
  maxAgeMs: number;
  duplicateWindowMs: number;
}

/** Checks the stream settings once, by the field spec (./fields.ts). */
export function streamSettings(config: StreamConfig): StreamSettings {
  return streamOf(parseFields(streamOnlyFields, config as Record<string, unknown>));
}

function streamOf(p: Parsed<typeof streamOnlyFields>): StreamSettings {
  return {
    name: p.stream,
    subjects: p.subjects,
    retention: p.retention as Retention,
    storage: p.storage as Storage,
    replicas: p.replicas,
    maxAgeMs: p.maxAgeHours * 3_600_000,
    duplicateWindowMs: p.duplicateWindow * 1000,
  };
}

// ---------------------------------------------------------------- publisher

export interface NatsOutConfig extends StreamConfig {
  connection?: string;
  /** Subject template: `uns.{asset}.{tag}`; placeholders as mqtt-out's topic template. */
  subject?: string;
  payload?: string;
  /** `sample` (default): Nats-Msg-Id from the sample key; `none`: no de-duplication id. */
  dedup?: string;
  /** Seconds to wait for the stream's acknowledgement of a publish. */
  ackTimeout?: number | string;
  asset?: string;
}

export interface NatsOutSettings {
  template: string;
  payload: UnsPayload;
  dedup: boolean;
  ackTimeoutMs: number;
  asset: string;
  stream: StreamSettings;
}

/** Checks nats-out's settings once, by the field spec (./fields.ts). */
export function natsOutSettings(config: NatsOutConfig): NatsOutSettings {
  const p = parseFields(natsOutFields, config as Record<string, unknown>);
  return {
    template: p.subject,
    payload: p.payload as UnsPayload,
    dedup: p.dedup === 'sample',
    ackTimeoutMs: p.ackTimeout * 1000,
    asset: p.asset.trim(),
    stream: streamOf(p),
  };
}

// ---------------------------------------------------------------- consumer

export type AckMode = 'node' | 'receive';
export type DeliverFrom = 'all' | 'new';

export interface NatsInConfig extends StreamConfig {
  connection?: string;
  durable?: string;
  /** Subject filter of the consumer (empty: the whole stream). */
  filter?: string;
  /** `node`: a plantwire-nats-ack node acknowledges; `receive`: acknowledged when passed on. */
  ackMode?: string;
  ackWait?: number | string;
  maxDeliver?: number | string;
  maxAckPending?: number | string;
  /** Messages this instance holds unacknowledged at most. */
  inFlight?: number | string;
  /** Seconds before a message refused by a nats-ack node (nak) is delivered again. */
  nakDelay?: number | string;
  deliverFrom?: string;
  /** Parse JSON payloads (default true). */
  json?: boolean | string;
}

export interface NatsInSettings {
  durable: string;
  filter: string;
  ackMode: AckMode;
  ackWaitMs: number;
  maxDeliver: number;
  maxAckPending: number;
  inFlight: number;
  nakDelayMs: number;
  deliverFrom: DeliverFrom;
  json: boolean;
  stream: StreamSettings;
}

/** Checks nats-in's settings once, by the field spec (./fields.ts). */
export function natsInSettings(config: NatsInConfig): NatsInSettings {
  const p = parseFields(natsInFields, config as Record<string, unknown>);
  return {
    durable: p.durable,
    filter: p.filter,
    ackMode: p.ackMode as AckMode,
    deliverFrom: p.deliverFrom as DeliverFrom,
    ackWaitMs: p.ackWait * 1000,
    maxDeliver: p.maxDeliver,
    maxAckPending: p.maxAckPending,
    inFlight: p.inFlight,
    nakDelayMs: p.nakDelay * 1000,
    json: p.json,
    stream: streamOf(p),
  };
}
