import fs from 'node:fs';
import crypto from 'node:crypto';
import type { IClientOptions } from 'mqtt';
import { PlantwireError, toError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { brokerFields, isOff } from './broker-fields';
import { topicNameProblems } from './topic';

/**
 * Settings of an MQTT broker connection, as the `plantwire-mqtt-broker`
 * config node (or a test, the bench, the simulator) gives them, validated
 * and turned into mqtt.js v5 client options. No Node-RED needed.
 */
export interface BrokerConfig {
  /** `mqtt://host:1883`, `mqtts://host:8883`, `ws://…`, `wss://…` */
  url?: string;
  /** 4 = MQTT 3.1.1, 5 = MQTT 5. */
  protocolVersion?: number | string;
  /** Empty = a random id (`plantwire_` + 8 hex digits). A persistent session needs a fixed one. */
  clientId?: string;
  /** true (default): a clean session; false: a persistent session the broker keeps while disconnected. */
  clean?: boolean | string;
  /** MQTT 5 persistent session: seconds the broker keeps it after a disconnect. */
  sessionExpiry?: number | string;
  keepalive?: number | string;
  /** ms between reconnect attempts. */
  reconnectPeriod?: number | string;
  /** ms to wait for CONNACK. */
  connectTimeout?: number | string;
  /** Use TLS (also implied by mqtts:// and wss://). */
  tls?: boolean | string;
  /** CA certificate(s), client certificate and key: a file path or PEM text. */
  ca?: string;
  cert?: string;
  key?: string;
  /** Check the broker's certificate against the CA (default true). */
  rejectUnauthorized?: boolean | string;
  /** TLS server name (SNI) when it differs from the URL's host. */
  servername?: string;
  /** Last will. Empty topic = none. */
  willTopic?: string;
  willPayload?: string;
  willQos?: number | string;
  willRetain?: boolean | string;
}

export interface BrokerCredentials {
  username?: string;
  password?: string;
  /** Passphrase of an encrypted TLS key. */
  passphrase?: string;
}

export interface BrokerSettings {
  url: string;
  /** The URL without credentials, for status and logs. */
  label: string;
  options: IClientOptions;
  persistent: boolean;
}

const PROTOCOLS = ['mqtt:', 'mqtts:', 'tcp:', 'ssl:', 'ws:', 'wss:'];


/** A PEM value given as text or as the path of a file holding it. */
export function pemOrFile(value: string | undefined, field: string): Buffer | undefined {
  const v = (value ?? '').trim();
  if (v === '') return undefined;
  if (v.includes('-----BEGIN')) return Buffer.from((value as string).replace(/\\n/g, '\n'), 'utf8');
  try {
    return fs.readFileSync(v);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new PlantwireError(
      'bad-config',
      `${field}: cannot read "${v}" (${code ?? toError(err).message}); give a readable file path or paste the PEM text`,
      `${field}: file not readable`,
    );
  }
}

/** A random client id: MQTT 3.1.1 brokers must accept 1–23 characters of [0-9a-zA-Z]. */
export function randomClientId(prefix = 'plantwire_'): string {
  return `${prefix}${crypto.randomBytes(4).toString('hex')}`;
}

/** Validates the settings (the URL's shape first, then the field spec once); throws a PlantwireError naming the field. */
export function brokerSettings(config: BrokerConfig, creds: BrokerCredentials = {}): BrokerSettings {
  const url = (config.url ?? '').trim() || 'mqtt://127.0.0.1:1883';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new PlantwireError('bad-config', `broker URL "${url}" is not a URL: write it like mqtt://127.0.0.1:1883 or mqtts://broker:8883`, 'broker URL is not a URL');
  }
  if (!PROTOCOLS.includes(parsed.protocol)) {
    throw new PlantwireError('bad-config', `broker URL "${url}" must start with mqtt://, mqtts://, ws:// or wss://`, 'broker URL: unknown protocol');
  }
  if (parsed.username || parsed.password) {
    throw new PlantwireError('bad-config', 'broker URL must not contain a user name or password: put them into the Security tab (they are kept as credentials)', 'no credentials in the URL');
  }
  const p = parseFields(brokerFields, { ...(config as Record<string, unknown>), url });
  const protocolVersion = Number(p.protocolVersion) as 4 | 5;
  const clean = p.clean;
  const clientId = p.clientId.trim();
  const { keepalive, reconnectPeriod, connectTimeout, sessionExpiry } = p;

  const options: IClientOptions = {
    protocolVersion,
    clientId: clientId || randomClientId(),
    clean,
    keepalive,
    reconnectPeriod,
    connectTimeout,
    // A QoS 0 message published while offline is dropped (as MQTT intends), not queued in memory without bound.
    queueQoSZero: false,
    resubscribe: true,
    // A refused login (CONNACK) is retried too, on the same backoff: a password or ACL fixed at the broker
    // is picked up without a redeploy. mqtt.js would otherwise stop for good after the first refusal.
    reconnectOnConnackError: true,
  };
  if (protocolVersion === 5 && !clean) {
    // MQTT 5: clean start off alone is not enough; without an expiry interval the session ends with the connection.
    options.properties = { sessionExpiryInterval: sessionExpiry };
  }

  const secure = p.tls || parsed.protocol === 'mqtts:' || parsed.protocol === 'wss:' || parsed.protocol === 'ssl:';
  if (secure) {
    const ca = pemOrFile(config.ca, 'TLS CA certificate');
    const cert = pemOrFile(config.cert, 'TLS client certificate');
    const key = pemOrFile(config.key, 'TLS client key');
    if (Boolean(cert) !== Boolean(key)) {
      throw new PlantwireError('bad-config', 'TLS: a client certificate needs its private key and the other way round: set both or neither', 'TLS: certificate and key go together');
    }
    if (ca) options.ca = ca;
    if (cert) options.cert = cert;
    if (key) options.key = key;
    if (creds.passphrase) (options as IClientOptions & { passphrase?: string }).passphrase = creds.passphrase;
    options.rejectUnauthorized = p.rejectUnauthorized;
    const servername = p.servername.trim();
    if (servername) options.servername = servername;
    if (parsed.protocol === 'mqtt:' || parsed.protocol === 'tcp:') options.protocol = 'mqtts';
    if (parsed.protocol === 'ws:') options.protocol = 'wss';
  }
  if (creds.username) options.username = creds.username;
  if (creds.password) {
    if (!creds.username && protocolVersion === 4) {
      throw new PlantwireError('bad-config', 'MQTT 3.1.1 does not allow a password without a user name: set the user name too', 'password needs a user name');
    }
    options.password = creds.password;
  }

  const willTopic = p.willTopic.trim();
  if (willTopic) {
    // Beyond the spec's wildcard rule: the rest of MQTT's topic name rules (empty levels are fine, length, NUL).
    const problems = topicNameProblems(willTopic);
    if (problems.length) throw new PlantwireError('bad-config', `last will topic: ${problems.join('; ')}`, 'bad last will topic');
    options.will = { topic: willTopic, payload: Buffer.from(p.willPayload, 'utf8'), qos: Number(p.willQos) as 0 | 1 | 2, retain: p.willRetain };
  }

  let target = url;
  if (secure && (parsed.protocol === 'mqtt:' || parsed.protocol === 'tcp:')) target = url.replace(/^(mqtt|tcp):/, 'mqtts:');
  if (secure && parsed.protocol === 'ws:') target = url.replace(/^ws:/, 'wss:');
  return { url: target, label: target.replace(/\/+$/, ''), options, persistent: !clean };
}

/**
 * "Test connection": connects once with these settings under a client id of
 * its own (the deployed client keeps its session), without reconnecting, and
 * disconnects. Resolves with what was seen; rejects with the broker's answer.
 */
export async function testBroker(settings: BrokerSettings, timeoutMs = 10_000): Promise<string> {
  const mqtt = await import('mqtt');
  const client = mqtt.connect(settings.url, { ...settings.options, clientId: randomClientId('plantwire_test_'), clean: true, reconnectPeriod: 0, connectTimeout: timeoutMs, will: undefined });
  try {
    const version = await new Promise<number>((resolve, reject) => {
      client.once('connect', () => resolve(client.options.protocolVersion ?? 4));
      client.once('error', reject);
      client.once('close', () => reject(new Error('the broker closed the connection')));
    });
    return `connected to ${settings.label} (MQTT ${version === 5 ? '5' : '3.1.1'})`;
  } finally {
    client.end(true);
  }
}
