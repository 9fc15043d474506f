/**
 * The settings of plantwire-smtp-server as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`smtpSettings` in ./settings.ts parses by it, with the same error texts)
 * and the help's settings table come from here. Pure: bundled into the dialog.
 */
import { PlantwireError } from '../../model/errors';
import { bufferFields } from '../../buffer/fields';
import { defineFields } from '../../model/fields';
import { numberSetting } from '../../model/settings';

const ADDRESS = /^[^\s@<>(),;:"]+@[^\s@<>(),;:"]+$/;

/** A mail address or "Name <address>"; the address part is checked. `where` names a per-message source ("from msg.to"): the error is then bad input. */
export function checkAddress(value: string, field: string, where = ''): string {
  const v = value.trim();
  const m = /<([^<>]+)>\s*$/.exec(v);
  const addr = m ? m[1]!.trim() : v;
  if (!ADDRESS.test(addr)) throw new PlantwireError(where ? 'bad-input' : 'bad-config', `${field}${where}: "${value}" is not a mail address (name@example.com or Name <name@example.com>)`, `${field}: not a mail address`);
  return v;
}

/** The SMTP host: a name or address without white space or a path. */
export function smtpHost(v: unknown): string {
  const host = String(v ?? '').trim();
  if (!host || /[\s/]/.test(host)) throw new PlantwireError('bad-config', `host: give the SMTP server's host name or IP address (e.g. smtp.office365.com), got ${JSON.stringify(v ?? '')}`, 'host: missing or invalid');
  return host;
}

/** The Microsoft 365 tenant (empty: "common"). */
export function smtpTenant(v: unknown): string {
  const tenant = String(v ?? '').trim() || 'common';
  if (!/^[A-Za-z0-9.-]+$/.test(tenant)) throw new PlantwireError('bad-config', `tenant: "${tenant}" is not a tenant id or domain (e.g. contoso.onmicrosoft.com or a GUID)`, 'OAuth2: bad tenant');
  return tenant;
}

/** The token endpoint of an OAuth2 provider of one's own. */
export function smtpAccessUrl(v: unknown): string {
  const url = String(v ?? '').trim();
  if (!/^https?:\/\/\S+$/.test(url)) throw new PlantwireError('bad-config', `token URL: give the OAuth2 token endpoint (https://…), got ${JSON.stringify(v ?? '')}`, 'OAuth2: token URL missing');
  return url;
}

const oauth = (c: Record<string, unknown>): boolean => c.authType === 'oauth2';

export const smtpServerFields = defineFields('plantwire-smtp-server', 1, {
  // The dialog also refuses a port in the host (host:port); the runtime refuses white space and paths.
  host: { kind: 'string', default: '127.0.0.1', required: true, pattern: /^[^\s/:]+$/, label: 'host', message: 'host', parse: smtpHost },
  // Not saved: the usual port of the security mode (465 for TLS, else 587).
  port: {
    kind: 'number',
    default: 2525,
    min: 1,
    max: 65535,
    integer: true,
    required: true,
    env: true,
    label: 'port',
    message: 'port',
    parse: (v: unknown, c: Record<string, unknown>) => numberSetting({ port: v }, 'port', { default: c.security === 'tls' ? 465 : 587, min: 1, max: 65535, integer: true, label: 'port' }),
  },
  // Not saved at all (a flow written by hand): smtpSettings takes starttls, the strict mode.
  security: { kind: 'enum', default: 'none', options: ['starttls', 'tls', 'none', 'off'], required: true, label: 'security', explain: 'must be starttls, tls, none (STARTTLS when offered) or off (no TLS at all)', status: 'bad security mode' },
  requireTLS: { kind: 'boolean', default: true, label: 'require STARTTLS', when: (c) => c.security === 'starttls' },
  rejectUnauthorized: { kind: 'boolean', default: true, label: 'verify certificate', when: (c) => c.security !== 'off' },
  ca: { kind: 'string', default: '', label: 'TLS CA certificate', when: (c) => c.security !== 'off' },
  authType: { kind: 'enum', default: 'none', options: ['none', 'password', 'oauth2'], required: true, label: 'authentication', explain: 'must be none, password or oauth2', status: 'bad authentication type' },
  oauthPreset: { kind: 'enum', default: 'microsoft', options: ['microsoft', 'google', 'custom'], label: 'OAuth2 provider', explain: 'must be microsoft, google or custom', status: 'OAuth2: bad provider' },
  tenant: { kind: 'string', default: '', pattern: /^[A-Za-z0-9.-]*$/, label: 'tenant', message: 'tenant', when: (c) => oauth(c) && c.oauthPreset === 'microsoft', parse: smtpTenant },
  accessUrl: { kind: 'string', default: '', label: 'token URL', message: 'accessUrl', when: (c) => oauth(c) && c.oauthPreset === 'custom', parse: smtpAccessUrl },
  // Empty: the user when it is an address (with a login).
  from: {
    kind: 'string',
    default: '',
    pattern: /^\s*(|[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)\s*$/,
    label: 'from',
    message: 'from',
    parse: (v: unknown) => {
      const from = String(v ?? '').trim();
      return from ? checkAddress(from, 'from') : '';
    },
  },
  maxConnections: { kind: 'number', default: 2, min: 1, max: 20, integer: true, label: 'connections', message: 'maxConnections' },
  timeout: { kind: 'number', default: 30, min: 1, max: 600, unit: 's', label: 'timeout (s)', message: 'timeout' },
}, { user: 'text', password: 'password', clientId: 'text', clientSecret: 'password', refreshToken: 'password' });

/** Addresses separated by commas or semicolons, each name@example.com or Name <name@example.com>, as the dialog checks them. */
const ADDRESS_ITEM = /^([^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/;
const addresses = (v: unknown): string[] =>
  String(v ?? '')
    .split(/[,;]/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
const fixedText = (c: Record<string, unknown>, key: string): boolean => !c[`${key}Type`] || c[`${key}Type`] === 'str';

/**
 * The settings of plantwire-email-out (version 2: to and subject are typed
 * inputs), with the sink kit's buffer fields: `emailOutSettings` ends with
 * them, after its own checks that name each address.
 */
export const emailOutFields = defineFields('plantwire-email-out', 2, {
  server: { kind: 'config', default: '', configType: 'plantwire-smtp-server', required: true, label: 'server' },
  // Fixed: at least one address; from msg/flow/global/env the addresses are checked per message.
  to: {
    kind: 'typed',
    default: '',
    required: true,
    label: 'to',
    message: 'to',
    check: (v, c) => !fixedText(c, 'to') || (addresses(v).length > 0 && addresses(v).every((a) => ADDRESS_ITEM.test(a))),
  },
  cc: { kind: 'string', default: '', label: 'cc', message: 'cc', check: (v) => addresses(v).every((a) => ADDRESS_ITEM.test(a)) },
  from: { kind: 'string', default: '', pattern: /^\s*(|[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)\s*$/, label: 'from', message: 'from' },
  // Not saved at all (a flow written by hand): emailOutSettings takes each.
  mode: { kind: 'enum', default: 'digest', options: ['each', 'digest'], required: true, label: 'mode', explain: 'must be "each" (a mail per message, rate-limited) or "digest"', status: 'bad mode' },
  digestSeconds: { kind: 'number', default: 300, min: 1, max: 86_400, unit: 's', label: 'digest interval (s)', message: 'digestSeconds' },
  rateCount: { kind: 'number', default: 10, min: 1, max: 100_000, integer: true, label: 'rate limit (mails)', labelKey: 'label.rate', message: 'rateCount' },
  ratePeriod: { kind: 'number', default: 3600, min: 1, max: 604_800, unit: 's', label: 'rate limit period (s)', labelKey: 'label.rate', message: 'ratePeriod' },
  // Fixed: one line, every {{ with its }}; from msg/flow/global/env checked per message.
  subject: {
    kind: 'typed',
    default: '',
    label: 'subject',
    message: 'subject',
    explain: 'must be one line with every {{ closed by }}',
    check: (v, c) => {
      const s = String(v ?? '');
      return fixedText(c, 'subject') ? s.split('{{').length === s.split('}}').length && !/[\r\n]/.test(s) : s.trim() !== '';
    },
  },
  html: { kind: 'string', default: '', label: 'HTML template' },
  text: { kind: 'string', default: '', label: 'text template' },
  csv: { kind: 'boolean', default: true, label: 'CSV attachment' },
  maxRows: { kind: 'number', default: 500, min: 1, max: 100_000, integer: true, label: 'rows per mail', message: 'maxRows' },
  ...bufferFields('memory', 10_000),
});
