/**
 * ERP connectors: the driver factory and the validation of the
 * plantwire-erp-connection fields. No Node-RED import: a script can do
 *   const s = erpSettings(config, credentials); const c = openErp(s); await c.driver.execute(…)
 */
import { HttpClient } from '../http';
import { PlantwireError } from '../../model/errors';
import { SapODataV2Driver } from './odata-v2';
import { ODataV4Driver } from './odata-v4';
import { OdooDriver } from './odoo';
import { RestDriver } from './rest';
import type { ErpAuth, ErpDriver, ErpKind, ErpSettings } from './types';

export * from './types';
export { RestDriver, ErpAuthorizer, REST_METHODS } from './rest';

export const ERP_KINDS: readonly ErpKind[] = ['sap-odata-v2', 'odata-v4', 'odoo', 'rest'];
export const ERP_AUTHS: readonly ErpAuth[] = ['none', 'basic', 'oauth2', 'apikey'];
export const ERP_KIND_LABEL: Record<ErpKind, string> = { 'sap-odata-v2': 'SAP OData v2', 'odata-v4': 'OData v4', odoo: 'Odoo', rest: 'REST' };

/** The erp-connection dialog's fields (strings as the editor saves them). */
export interface ErpConnectionConfig {
  kind?: unknown;
  url?: unknown;
  sapClient?: unknown;
  database?: unknown;
  auth?: unknown;
  tokenUrl?: unknown;
  scope?: unknown;
  apiKeyHeader?: unknown;
  headers?: unknown;
  /** seconds */
  timeout?: unknown;
  ca?: unknown;
  rejectUnauthorized?: unknown;
}

export interface ErpCredentials {
  user?: string | undefined;
  password?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  apiKey?: string | undefined;
}

const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);
const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');

function httpUrl(raw: unknown, label: string): string {
  const s = text(raw);
  if (s === '') throw bad(`${label} is empty: enter the service URL, e.g. https://erp.example.com/sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV/`, `${label} is empty`);
  let u: URL;
  try {
    u = new URL(s);
  } catch {
    throw bad(`${label} "${s}" is not a URL: enter http(s)://host[:port]/path`, `${label} is not a URL`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad(`${label} "${s}" must start with http:// or https://`, `${label}: use http(s)`);
  return u.href;
}

/** Validates the config node's fields and credentials into driver settings; every problem names its field. */
export function erpSettings(config: ErpConnectionConfig, credentials: ErpCredentials = {}): ErpSettings {
  const kind = text(config.kind) as ErpKind;
  if (!ERP_KINDS.includes(kind)) throw bad(`system must be one of ${ERP_KINDS.join(', ')}, got ${JSON.stringify(config.kind)}`, 'bad system kind');
  const url = httpUrl(config.url, 'URL');
  const auth = (text(config.auth) || 'none') as ErpAuth;
  if (!ERP_AUTHS.includes(auth)) throw bad(`authentication must be one of ${ERP_AUTHS.join(', ')}, got ${JSON.stringify(config.auth)}`, 'bad authentication');
  const timeoutRaw = config.timeout === undefined || config.timeout === '' || config.timeout === null ? 30 : Number(config.timeout);
  if (!Number.isFinite(timeoutRaw) || timeoutRaw < 0.1 || timeoutRaw > 600) throw bad(`timeout must be between 0.1 and 600 seconds, got ${JSON.stringify(config.timeout)}`, 'timeout: 0.1–600 s');
  const s: ErpSettings = { kind, url, auth, timeoutMs: Math.round(timeoutRaw * 1000) };
  const cred = (v: string | undefined): string => (typeof v === 'string' ? v : '');

  if (kind === 'sap-odata-v2') {
    const client = text(config.sapClient);
    if (client !== '' && !/^\d{3}$/.test(client)) throw bad(`SAP client must be three digits (e.g. 100), got "${client}"`, 'SAP client: 3 digits');
    if (client) s.sapClient = client;
  }
  if (kind === 'odoo') {
    const db = text(config.database);
    if (db === '') throw bad('database is empty: Odoo needs the database name (see /web/database/selector)', 'database is empty');
    s.database = db;
    if (cred(credentials.user) === '' || (cred(credentials.password) === '' && cred(credentials.apiKey) === '')) throw bad('Odoo needs a user and a password or API key (credentials)', 'Odoo: user/password missing');
    s.user = cred(credentials.user);
    if (cred(credentials.password)) s.password = cred(credentials.password);
    if (cred(credentials.apiKey)) s.apiKey = cred(credentials.apiKey);
  }
  switch (kind === 'odoo' ? 'none' : auth) {
    case 'basic':
      if (cred(credentials.user) === '') throw bad('basic authentication needs a user name', 'user is empty');
      s.user = cred(credentials.user);
      s.password = cred(credentials.password);
      break;
    case 'oauth2': {
      s.tokenUrl = httpUrl(config.tokenUrl, 'token URL');
      if (cred(credentials.clientId) === '' || cred(credentials.clientSecret) === '') throw bad('OAuth2 needs a client ID and a client secret', 'OAuth2: client ID/secret missing');
      s.clientId = cred(credentials.clientId);
      s.clientSecret = cred(credentials.clientSecret);
      const scope = text(config.scope);
      if (scope) s.scope = scope;
      break;
    }
    case 'apikey': {
      if (cred(credentials.apiKey) === '') throw bad('API key authentication needs the API key', 'API key is empty');
      s.apiKey = cred(credentials.apiKey);
      const header = text(config.apiKeyHeader) || 'x-api-key';
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(header)) throw bad(`API key header "${header}" is not a valid header name`, 'bad API key header');
      s.apiKeyHeader = header;
      break;
    }
    default:
      break;
  }
  const headersText = text(config.headers);
  if (headersText) {
    let h: unknown;
    try {
      h = JSON.parse(headersText);
    } catch (err) {
      throw bad(`headers must be a JSON object such as {"x-tenant": "acme"}: ${(err as Error).message}`, 'headers: not JSON');
    }
    if (!h || typeof h !== 'object' || Array.isArray(h)) throw bad('headers must be a JSON object such as {"x-tenant": "acme"}', 'headers: not an object');
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h as Record<string, unknown>)) {
      if (!/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(k)) throw bad(`header name "${k}" is not valid`, 'headers: bad name');
      if (typeof v !== 'string' && typeof v !== 'number') throw bad(`header "${k}" must be a string, got ${JSON.stringify(v)}`, 'headers: value not text');
      out[k.toLowerCase()] = String(v);
    }
    s.headers = out;
  }
  const ca = text(config.ca);
  if (ca && !/-----BEGIN CERTIFICATE-----/.test(ca)) throw bad('CA certificate must be PEM text (-----BEGIN CERTIFICATE----- …)', 'CA: not PEM');
  const rejectUnauthorized = !(config.rejectUnauthorized === false || config.rejectUnauthorized === 'false');
  if (ca || !rejectUnauthorized) s.tls = { ...(ca ? { ca } : {}), rejectUnauthorized };
  return s;
}

/** A driver for the settings' kind on the given HTTP client. */
export function createErpDriver(settings: ErpSettings, http: HttpClient): ErpDriver {
  switch (settings.kind) {
    case 'sap-odata-v2':
      return new SapODataV2Driver(settings, http);
    case 'odata-v4':
      return new ODataV4Driver(settings, http);
    case 'odoo':
      return new OdooDriver(settings, http);
    case 'rest':
      return new RestDriver(settings, http);
    default:
      throw bad(`unknown ERP system kind ${JSON.stringify((settings as { kind: unknown }).kind)}`, 'bad system kind');
  }
}

export interface ErpConnection {
  settings: ErpSettings;
  http: HttpClient;
  driver: ErpDriver;
  /** "SAP OData v2 erp.example.com" */
  label: string;
  close(): void;
}

/** One HTTP client (keep-alive, CA, timeout) and the driver on it: what an erp-connection config node owns. */
export function openErp(settings: ErpSettings): ErpConnection {
  const http = new HttpClient({ timeoutMs: settings.timeoutMs, ...(settings.tls ? { tls: settings.tls } : {}), headers: { 'user-agent': 'plantwire-erp' } });
  const driver = createErpDriver(settings, http);
  return {
    settings,
    http,
    driver,
    label: `${ERP_KIND_LABEL[settings.kind]} ${new URL(settings.url).host}`,
    close() {
      try {
        driver.close();
      } finally {
        http.close();
      }
    },
  };
}
