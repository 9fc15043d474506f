/**
 * ERP connectors: the driver factory and the validation of the
 * plantwire-erp-connection fields. No Node-RED import: a script can do
 *   const s = erpSettings(config, credentials); const c = openErp(s); await c.driver.execute(…)
 */
import { HttpClient } from '../http';
import { PlantwireError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { ERP_AUTHS, ERP_KINDS, erpConnectionFields } from './fields';
import { SapODataV2Driver } from './odata-v2';
import { ODataV4Driver } from './odata-v4';
import { OdooDriver } from './odoo';
import { RestDriver } from './rest';
import type { ErpAuth, ErpDriver, ErpKind, ErpSettings } from './types';

export * from './types';
export { RestDriver, ErpAuthorizer, REST_METHODS } from './rest';

export { ERP_AUTHS, ERP_KINDS };
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

/** Validates the config node's fields and credentials into driver settings; every problem names its field. */
export function erpSettings(config: ErpConnectionConfig, credentials: ErpCredentials = {}): ErpSettings {
  // The dialog's fields, by the spec (./fields.ts): each problem names its field.
  const f = parseFields(erpConnectionFields, config as Record<string, unknown>);
  const kind = text(config.kind) as ErpKind;
  if (!ERP_KINDS.includes(kind)) throw bad(`system must be one of ${ERP_KINDS.join(', ')}, got ${JSON.stringify(config.kind)}`, 'bad system kind');
  const url = f.url;
  const auth = (text(config.auth) || 'none') as ErpAuth;
  const s: ErpSettings = { kind, url, auth, timeoutMs: Math.round(f.timeout * 1000) };
  const cred = (v: string | undefined): string => (typeof v === 'string' ? v : '');

  if (kind === 'sap-odata-v2' && f.sapClient) s.sapClient = f.sapClient;
  if (kind === 'odoo') {
    s.database = f.database;
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
      s.tokenUrl = f.tokenUrl;
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
      s.apiKeyHeader = f.apiKeyHeader;
      break;
    }
    default:
      break;
  }
  if (f.headers) s.headers = f.headers;
  const ca = f.ca;
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
