/**
 * Settings of the NATS nodes as the editor stores them, validated: the
 * connection (`plantwire-nats-connection`), the stream both nats-out and
 * nats-in create when it is absent, the publisher (`plantwire-nats-out`) and
 * the shared durable consumer (`plantwire-nats-in`). No Node-RED needed.
 */
import { PlantwireError } from '../../model/errors';
import { numberSetting } from '../../model/settings';
import { pemOrFile } from '../mqtt/options';
import { templateProblems, UNS_PAYLOADS, type UnsPayload } from '../mqtt/uns';

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

const SERVER = /^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/i;

function bool(v: unknown, fallback: boolean): boolean {
  if (v === undefined || v === '' || v === null) return fallback;
  return v === true || v === 'true';
}

export function natsConnectionSettings(config: NatsConnectionConfig, creds: NatsCredentials = {}): NatsConnectionSettings {
  const raw = String(config.servers ?? '').trim() || 'nats://127.0.0.1:4222';
  const servers = raw.split(/[\s,]+/).filter(Boolean).map((s) => (/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`));
  for (const s of servers) {
    if (!SERVER.test(s)) throw new PlantwireError('bad-config', `servers: "${s}" is not a NATS server URL; write nats://host:4222 (several separated by commas)`, 'bad server URL');
  }
  const user = creds.user?.trim() || undefined;
  const token = creds.token || undefined;
  if (token && user) throw new PlantwireError('bad-config', 'credentials: give either a user (with password) or a token, not both', 'user and token both set');
  if (creds.password && !user) throw new PlantwireError('bad-config', 'credentials: a password needs a user name', 'password without user');
  const settings: NatsConnectionSettings = {
    servers,
    label: servers.join(', '),
    name: String(config.clientName ?? '').trim() || 'plantwire',
    reconnectWaitMs: numberSetting(config as Record<string, unknown>, 'reconnectWait', { min: 100, max: 600_000, default: 2000, label: 'reconnect wait' }),
    reconnectAttempts: 0,
  };
  settings.reconnectAttempts = Math.max(3, Math.ceil(60_000 / settings.reconnectWaitMs));
  if (user) settings.user = user;
  if (user && creds.password) settings.pass = creds.password;
  if (token) settings.token = token;
  const tls = bool(config.tls, false) || servers.some((s) => s.startsWith('tls://') || s.startsWith('wss://'));
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

export type Retention = 'limits' | 'interest' | 'workqueue';
export const RETENTIONS: readonly Retention[] = ['limits', 'interest', 'workqueue'];
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

const NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Problems of a subject (or subject filter, when wildcards are allowed). */
export function subjectProblems(subject: string, wildcards: boolean): string[] {
  if (subject === '') return ['subject is empty'];
  if (/\s/.test(subject)) return [`subject "${subject}" contains white space`];
  const tokens = subject.split('.');
  if (tokens.some((t) => t === '')) return [`subject "${subject}" has an empty token (".." or a leading/trailing ".")`];
  const problems: string[] = [];
  tokens.forEach((t, i) => {
    if (t.includes('*') || t.includes('>')) {
      if (!wildcards) problems.push(`subject "${subject}" must not contain the wildcards * or >`);
      else if (t.length > 1 || (t === '>' && i !== tokens.length - 1)) problems.push(`subject "${subject}": * and > must be whole tokens, > only the last`);
    }
  });
  return problems;
}

export function streamSettings(config: StreamConfig): StreamSettings {
  const c = config as Record<string, unknown>;
  const name = String(config.stream ?? '').trim() || 'PLANTWIRE';
  if (!NAME.test(name)) throw new PlantwireError('bad-config', `stream: "${name}" is not a stream name; use letters, digits, _ and - (at most 64)`, 'bad stream name');
  const subjects = String(config.subjects ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  if (subjects.length === 0) subjects.push('uns.>');
  for (const s of subjects) {
    const p = subjectProblems(s, true);
    if (p.length) throw new PlantwireError('bad-config', `stream subjects: ${p[0]}`, 'bad stream subject');
  }
  const retention = (String(config.retention ?? '').trim() || 'limits') as Retention;
  if (!RETENTIONS.includes(retention)) throw new PlantwireError('bad-config', `retention must be one of ${RETENTIONS.join(', ')}, got "${retention}"`, 'bad retention');
  const storage = (String(config.storage ?? '').trim() || 'file') as Storage;
  if (storage !== 'file' && storage !== 'memory') throw new PlantwireError('bad-config', `storage must be file or memory, got "${storage}"`, 'bad storage');
  return {
    name,
    subjects,
    retention,
    storage,
    replicas: numberSetting(c, 'replicas', { min: 1, max: 5, integer: true, default: 1, label: 'replicas' }),
    maxAgeMs: numberSetting(c, 'maxAgeHours', { min: 0, max: 24 * 3650, default: 24 * 7, label: 'max age (hours)' }) * 3_600_000,
    duplicateWindowMs: numberSetting(c, 'duplicateWindow', { min: 1, max: 86_400, default: 120, label: 'duplicate window (s)' }) * 1000,
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

export function natsOutSettings(config: NatsOutConfig): NatsOutSettings {
  const template = String(config.subject ?? '').trim() || 'uns.{asset}.{tag}';
  const problems = templateProblems(template.replace(/[*>]/g, '+'));
  if (problems.length) throw new PlantwireError('bad-config', `subject ${problems[0]!.replace('topic template', 'template').replace('+ or #', '* or >')}`, 'bad subject template');
  const literal = subjectProblems(template.replace(/\{[a-zA-Z]+\}/g, 'x'), false);
  if (literal.length) throw new PlantwireError('bad-config', `subject template: ${literal[0]}`, 'bad subject template');
  const payload = (String(config.payload ?? '').trim() || 'sample') as UnsPayload;
  if (!UNS_PAYLOADS.includes(payload)) throw new PlantwireError('bad-config', `payload must be one of ${UNS_PAYLOADS.join(', ')}, got "${payload}"`, 'bad payload shape');
  const dedup = String(config.dedup ?? '').trim() || 'sample';
  if (dedup !== 'sample' && dedup !== 'none') throw new PlantwireError('bad-config', `de-duplication must be "sample" or "none", got "${dedup}"`, 'bad de-duplication');
  return {
    template,
    payload,
    dedup: dedup === 'sample',
    ackTimeoutMs: numberSetting(config as Record<string, unknown>, 'ackTimeout', { min: 0.1, max: 600, default: 5, label: 'ack timeout (s)' }) * 1000,
    asset: String(config.asset ?? '').trim(),
    stream: streamSettings(config),
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

export function natsInSettings(config: NatsInConfig): NatsInSettings {
  const c = config as Record<string, unknown>;
  const durable = String(config.durable ?? '').trim() || 'plantwire';
  if (!NAME.test(durable)) throw new PlantwireError('bad-config', `durable name: "${durable}" is not a consumer name; use letters, digits, _ and - (at most 64)`, 'bad durable name');
  const filter = String(config.filter ?? '').trim();
  if (filter) {
    const p = subjectProblems(filter, true);
    if (p.length) throw new PlantwireError('bad-config', `subject filter: ${p[0]}`, 'bad subject filter');
  }
  const ackMode = (String(config.ackMode ?? '').trim() || 'node') as AckMode;
  if (ackMode !== 'node' && ackMode !== 'receive') throw new PlantwireError('bad-config', `acknowledge must be "node" (by a plantwire-nats-ack node) or "receive", got "${ackMode}"`, 'bad acknowledge mode');
  const deliverFrom = (String(config.deliverFrom ?? '').trim() || 'all') as DeliverFrom;
  if (deliverFrom !== 'all' && deliverFrom !== 'new') throw new PlantwireError('bad-config', `deliver must be "all" or "new", got "${deliverFrom}"`, 'bad deliver policy');
  const maxAckPending = numberSetting(c, 'maxAckPending', { min: 1, max: 1_000_000, integer: true, default: 10_000, label: 'max ack pending' });
  return {
    durable,
    filter,
    ackMode,
    deliverFrom,
    ackWaitMs: numberSetting(c, 'ackWait', { min: 1, max: 86_400, default: 30, label: 'ack wait (s)' }) * 1000,
    maxDeliver: numberSetting(c, 'maxDeliver', { min: -1, max: 1_000_000, integer: true, default: 5, label: 'max deliver' }),
    maxAckPending,
    inFlight: numberSetting(c, 'inFlight', { min: 1, max: 100_000, integer: true, default: 1000, label: 'in flight' }),
    nakDelayMs: numberSetting(c, 'nakDelay', { min: 0, max: 3600, default: 1, label: 'nak delay (s)' }) * 1000,
    json: bool(config.json, true),
    stream: streamSettings(config),
  };
}
