/**
 * Endpoint settings of the OPC UA connector: what the `plantwire-opcua-endpoint`
 * config node (and the editor's browse route, and the CLI) hand to
 * `OpcUaConnection`. Pure: validates and normalises, names the field and the
 * fix in every error.
 */
import { PlantwireError, describe } from '../../model';
import { defineFields, parseFields } from '../../model/fields';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

/** Policies offered by default (OPC UA 1.04 / 1.05 current profiles). */
export const SECURITY_POLICIES = ['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'] as const;
/** Deprecated by the OPC Foundation (SHA-1, weak padding); refused unless `allowDeprecated`. */
export const DEPRECATED_POLICIES = ['Basic128Rsa15', 'Basic256'] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number] | (typeof DEPRECATED_POLICIES)[number];

export const AUTH_MODES = ['anonymous', 'username', 'certificate'] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export interface EndpointSettings {
  /** `opc.tcp://host:port[/path]` */
  url: string;
  securityMode: SecurityModeName;
  securityPolicy: SecurityPolicyName;
  auth: AuthMode;
  username?: string;
  password?: string;
  /** X.509 user identity: PEM/DER certificate and PEM private key file paths. */
  userCertificateFile?: string;
  userPrivateKeyFile?: string;
  /** Largest message accepted from or sent to the server (bytes). */
  maxMessageSize: number;
  /** Largest number of chunks of one message. */
  maxChunkCount: number;
  /** Reconnect backoff: first delay and cap (ms); every delay is jittered. */
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  /** Time allowed for connecting and for one request (ms). */
  requestTimeoutMs: number;
  /** Requested session timeout (ms). */
  sessionTimeoutMs: number;
  /** Monitored items per CreateMonitoredItems call (also capped by the server's MaxMonitoredItemsPerCall). */
  maxItemsPerCall: number;
  /** OPC UA application name of the client (its certificate carries it). */
  applicationName: string;
}

export const ENDPOINT_DEFAULTS = {
  securityMode: 'None' as SecurityModeName,
  securityPolicy: 'None' as SecurityPolicyName,
  auth: 'anonymous' as AuthMode,
  maxMessageSize: 16 * 1024 * 1024,
  reconnectInitialMs: 500,
  reconnectMaxMs: 5_000,
  requestTimeoutMs: 10_000,
  sessionTimeoutMs: 60_000,
  maxItemsPerCall: 200,
  applicationName: 'Plantwire',
};

/** Smallest chunk size OPC UA allows (Part 6 §7.1.2.3): enough chunks for a full-size message. */
const MIN_CHUNK_SIZE = 8192;

const URL_RE = /^opc\.tcp:\/\/(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::(\d{1,5}))?(\/[^\s]*)?$/;

/** Checks an endpoint URL; returns it trimmed. */
export function checkEndpointUrl(raw: unknown, field = 'endpoint URL'): string {
  const url = typeof raw === 'string' ? raw.trim() : '';
  const m = URL_RE.exec(url);
  if (!m) {
    throw new PlantwireError('bad-config', `${field} must look like opc.tcp://host:4840 (optionally with a path), got ${describe(raw)}`, `bad ${field}`);
  }
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65535)) {
    throw new PlantwireError('bad-config', `${field}: port ${m[2]} is not between 1 and 65535`, `bad ${field} port`);
  }
  return url;
}

function oneOf<T extends string>(raw: unknown, allowed: readonly T[], field: string, dflt: T): T {
  if (raw === undefined || raw === null || raw === '') return dflt;
  if (typeof raw === 'string' && (allowed as readonly string[]).includes(raw)) return raw as T;
  throw new PlantwireError('bad-config', `${field} must be one of ${allowed.join(', ')}, got ${describe(raw)}`, `bad ${field}`);
}

/** A whole `${ENV_VAR}`: Node-RED puts the environment variable's value in at deploy (checked then). */
const ENV_REF = /^\$\{\w+\}$/;

/**
 * The settings of plantwire-opcua-endpoint as a field spec (src/model/fields.ts), declared once: the
 * dialog's defaults and validators, the checks of `endpointSettings` below and the help's settings
 * table. A new endpoint signs and encrypts (the dialog's defaults); settings read without a mode at
 * all (the CLI, a version 1 flow before its migration) keep `ENDPOINT_DEFAULTS` (the parsers' defaults).
 * The rules between fields (policy and mode, deprecated policies, the identity's credentials) are
 * checked by `endpointSettings`.
 */
export const endpointFields = defineFields('plantwire-opcua-endpoint', 2, {
  url: { kind: 'string', default: 'opc.tcp://127.0.0.1:4840', required: true, label: 'endpoint URL', message: 'url', when: (c) => !ENV_REF.test(String(c.url ?? '').trim()), parse: (v) => checkEndpointUrl(v) },
  securityMode: { kind: 'enum', default: 'SignAndEncrypt', options: SECURITY_MODES, required: true, label: 'security mode', parse: (v) => oneOf(v, SECURITY_MODES, 'security mode', ENDPOINT_DEFAULTS.securityMode) },
  securityPolicy: { kind: 'enum', default: 'Basic256Sha256', options: [...SECURITY_POLICIES, ...DEPRECATED_POLICIES], label: 'security policy', parse: (v) => (v === undefined || v === null || v === '' ? undefined : oneOf<SecurityPolicyName>(v, [...SECURITY_POLICIES, ...DEPRECATED_POLICIES], 'security policy', 'None')) },
  allowDeprecated: { kind: 'boolean', default: false, label: 'allow deprecated policies' },
  auth: { kind: 'enum', default: 'anonymous', options: AUTH_MODES, required: true, label: 'user identity', parse: (v) => oneOf(v, AUTH_MODES, 'user identity', ENDPOINT_DEFAULTS.auth) },
  userCertificate: { kind: 'string', default: '', label: 'user certificate file', hidden: true },
  userPrivateKey: { kind: 'string', default: '', label: 'user private key file', hidden: true },
  maxMessageSizeMB: { kind: 'number', default: ENDPOINT_DEFAULTS.maxMessageSize / (1024 * 1024), min: 1, max: 512, unit: 'MB', label: 'max message size (MB)' },
  reconnectInitialMs: { kind: 'number', default: ENDPOINT_DEFAULTS.reconnectInitialMs, min: 100, max: 60_000, integer: true, unit: 'ms', label: 'first reconnect delay (ms)' },
  reconnectMaxMs: { kind: 'number', default: ENDPOINT_DEFAULTS.reconnectMaxMs, min: 500, max: 600_000, integer: true, unit: 'ms', label: 'max reconnect delay (ms)' },
  requestTimeoutMs: { kind: 'number', default: ENDPOINT_DEFAULTS.requestTimeoutMs, min: 1000, max: 600_000, integer: true, unit: 'ms', label: 'request timeout (ms)' },
  sessionTimeoutMs: { kind: 'number', default: ENDPOINT_DEFAULTS.sessionTimeoutMs, min: 10_000, max: 3_600_000, integer: true, unit: 'ms', label: 'session timeout (ms)' },
  maxItemsPerCall: { kind: 'number', default: ENDPOINT_DEFAULTS.maxItemsPerCall, min: 1, max: 100_000, integer: true, label: 'items per call' },
}, { username: 'text', password: 'password' });

export interface EndpointCredentials {
  username?: string;
  password?: string;
}

/**
 * Reads the endpoint config (the dialog's fields, numbers possibly as strings)
 * plus credentials into settings. Throws a PlantwireError naming the field.
 */
export function endpointSettings(config: Record<string, unknown>, credentials: EndpointCredentials = {}): EndpointSettings {
  const url = checkEndpointUrl(config.url);
  const f = parseFields(endpointFields, config);
  const securityMode = f.securityMode;
  let securityPolicy: SecurityPolicyName = f.securityPolicy ?? (securityMode === 'None' ? 'None' : 'Basic256Sha256');
  if (securityMode === 'None') {
    securityPolicy = 'None';
  } else if (securityPolicy === 'None') {
    throw new PlantwireError(
      'bad-config',
      `security mode ${securityMode} needs a security policy (Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss), got None`,
      'choose a security policy',
    );
  }
  if ((DEPRECATED_POLICIES as readonly string[]).includes(securityPolicy) && !f.allowDeprecated) {
    throw new PlantwireError(
      'deprecated-policy',
      `security policy ${securityPolicy} is deprecated (SHA-1, weak padding) and refused: use Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss, or tick "allow deprecated policies" if the server offers nothing else`,
      `${securityPolicy} is deprecated`,
    );
  }
  const auth = f.auth;
  const settings: EndpointSettings = {
    url,
    securityMode,
    securityPolicy,
    auth,
    maxMessageSize: Math.round(f.maxMessageSizeMB * 1024 * 1024),
    maxChunkCount: 0,
    reconnectInitialMs: f.reconnectInitialMs,
    reconnectMaxMs: f.reconnectMaxMs,
    requestTimeoutMs: f.requestTimeoutMs,
    sessionTimeoutMs: f.sessionTimeoutMs,
    maxItemsPerCall: f.maxItemsPerCall,
    applicationName: ENDPOINT_DEFAULTS.applicationName,
  };
  settings.maxChunkCount = Math.ceil(settings.maxMessageSize / MIN_CHUNK_SIZE);
  if (settings.reconnectMaxMs < settings.reconnectInitialMs) {
    throw new PlantwireError('bad-config', `max reconnect delay (${settings.reconnectMaxMs} ms) must not be below the first reconnect delay (${settings.reconnectInitialMs} ms)`, 'max reconnect delay too small');
  }
  if (auth === 'username') {
    const username = credentials.username?.trim() ?? '';
    if (!username) throw new PlantwireError('bad-config', 'user identity is "user name and password" but the user name is empty: enter it in the endpoint dialog', 'user name missing');
    settings.username = username;
    settings.password = credentials.password ?? '';
  }
  if (auth === 'certificate') {
    const cert = typeof config.userCertificate === 'string' ? config.userCertificate.trim() : '';
    const key = typeof config.userPrivateKey === 'string' ? config.userPrivateKey.trim() : '';
    if (!cert || !key) {
      throw new PlantwireError('bad-config', 'user identity is "X.509 certificate": enter the user certificate file (PEM or DER) and its private key file (PEM)', 'user certificate file missing');
    }
    settings.userCertificateFile = cert;
    settings.userPrivateKeyFile = key;
  }
  return settings;
}

/** One line describing the endpoint for logs and status, without secrets. */
export function describeEndpoint(s: Pick<EndpointSettings, 'url' | 'securityMode' | 'securityPolicy' | 'auth'>): string {
  const sec = s.securityMode === 'None' ? 'no security' : `${s.securityMode}/${s.securityPolicy}`;
  return `${s.url} (${sec}, ${s.auth})`;
}
