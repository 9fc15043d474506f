/**
 * The settings of plantwire-erp-connection as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`erpSettings` in ./index.ts parses by it, with the same error texts) and the
 * help's settings table come from here. Pure: bundled into the dialog.
 */
import { PlantwireError } from '../../model/errors';
import { defineFields } from '../../model/fields';
import type { ErpAuth, ErpKind } from './types';

export const ERP_KINDS: readonly ErpKind[] = ['sap-odata-v2', 'odata-v4', 'odoo', 'rest'];
export const ERP_AUTHS: readonly ErpAuth[] = ['none', 'basic', 'oauth2', 'apikey'];

const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);
const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const HEADER_NAME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

/** An http(s) URL (the service, the token endpoint), normalised. */
export function httpUrl(raw: unknown, label: string): string {
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

/** Extra headers: a JSON object of names to texts (names lower-cased); empty: none. */
export function extraHeaders(v: unknown): Record<string, string> | undefined {
  const headersText = text(v);
  if (!headersText) return undefined;
  let h: unknown;
  try {
    h = JSON.parse(headersText);
  } catch (err) {
    throw bad(`headers must be a JSON object such as {"x-tenant": "acme"}: ${(err as Error).message}`, 'headers: not JSON');
  }
  if (!h || typeof h !== 'object' || Array.isArray(h)) throw bad('headers must be a JSON object such as {"x-tenant": "acme"}', 'headers: not an object');
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(h as Record<string, unknown>)) {
    if (!HEADER_NAME.test(k)) throw bad(`header name "${k}" is not valid`, 'headers: bad name');
    if (typeof val !== 'string' && typeof val !== 'number') throw bad(`header "${k}" must be a string, got ${JSON.stringify(val)}`, 'headers: value not text');
    out[k.toLowerCase()] = String(val);
  }
  return out;
}

/** Whether the kind logs in by the authentication setting (Odoo logs in with user and password or API key). */
const authed = (c: Record<string, unknown>, auth: string): boolean => c.kind !== 'odoo' && c.auth === auth;

export const erpConnectionFields = defineFields('plantwire-erp-connection', 1, {
  // Not saved at all (a flow written by hand): refused by erpSettings, there is no usual system.
  kind: { kind: 'enum', default: 'sap-odata-v2', options: ERP_KINDS, required: true, label: 'system', explain: `must be one of ${ERP_KINDS.join(', ')}`, status: 'bad system kind' },
  url: { kind: 'string', default: '', required: true, env: true, pattern: /^\s*https?:\/\/[^\s/]+/, label: 'URL', message: 'url', parse: (v: unknown) => httpUrl(v, 'URL') },
  // Empty: the system's default client.
  sapClient: {
    kind: 'string',
    default: '',
    label: 'SAP client',
    message: 'sapClient',
    when: (c) => c.kind === 'sap-odata-v2',
    parse: (v: unknown) => {
      const client = text(v);
      if (client !== '' && !/^\d{3}$/.test(client)) throw bad(`SAP client must be three digits (e.g. 100), got "${client}"`, 'SAP client: 3 digits');
      return client;
    },
  },
  database: {
    kind: 'string',
    default: '',
    label: 'database',
    message: 'database',
    when: (c) => c.kind === 'odoo',
    parse: (v: unknown) => {
      const db = text(v);
      if (db === '') throw bad('database is empty: Odoo needs the database name (see /web/database/selector)', 'database is empty');
      return db;
    },
  },
  // Not saved at all (a flow written by hand): erpSettings takes none.
  auth: { kind: 'enum', default: 'basic', options: ERP_AUTHS, label: 'authentication', explain: `must be one of ${ERP_AUTHS.join(', ')}`, status: 'bad authentication' },
  tokenUrl: { kind: 'string', default: '', label: 'token URL', message: 'tokenUrl', when: (c) => authed(c, 'oauth2'), parse: (v: unknown) => httpUrl(v, 'token URL') },
  scope: { kind: 'string', default: '', label: 'scope', when: (c) => authed(c, 'oauth2') },
  apiKeyHeader: {
    kind: 'string',
    default: 'x-api-key',
    label: 'API key header',
    message: 'apiKeyHeader',
    when: (c) => authed(c, 'apikey'),
    parse: (v: unknown) => {
      const header = text(v) || 'x-api-key';
      if (!HEADER_NAME.test(header)) throw bad(`API key header "${header}" is not a valid header name`, 'bad API key header');
      return header;
    },
  },
  headers: { kind: 'string', default: '', label: 'headers', message: 'headers', parse: extraHeaders },
  // Empty: 30 s.
  timeout: {
    kind: 'number',
    default: 30,
    min: 0.1,
    max: 600,
    unit: 's',
    label: 'timeout',
    message: 'timeout',
    parse: (v: unknown) => {
      const n = v === undefined || v === '' || v === null ? 30 : Number(v);
      if (!Number.isFinite(n) || n < 0.1 || n > 600) throw bad(`timeout must be between 0.1 and 600 seconds, got ${JSON.stringify(v)}`, 'timeout: 0.1–600 s');
      return n;
    },
  },
  ca: {
    kind: 'string',
    default: '',
    label: 'CA certificate',
    message: 'ca',
    parse: (v: unknown) => {
      const ca = text(v);
      if (ca && !/-----BEGIN CERTIFICATE-----/.test(ca)) throw bad('CA certificate must be PEM text (-----BEGIN CERTIFICATE----- …)', 'CA: not PEM');
      return ca;
    },
  },
  rejectUnauthorized: { kind: 'boolean', default: true, label: "verify the server's certificate" },
}, { user: 'text', password: 'password', clientId: 'text', clientSecret: 'password', apiKey: 'password' });
