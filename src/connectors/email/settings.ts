/** Settings of the SMTP server (config node) and of email-out, validated without Node-RED. */
import { PlantwireError } from '../../model/errors';
import { describeTyped, numberSetting, typedSetting, type TypedSetting } from '../../model/settings';
import { parseFields } from '../../model/fields';
import { pemOrFile } from '../mqtt/options';
import { checkAddress, emailOutFields, smtpAccessUrl, smtpServerFields, smtpTenant } from './fields';

/**
 * `starttls`: STARTTLS required (unless requireTLS is off); `tls`: TLS from the start;
 * `none`: opportunistic — STARTTLS whenever the server offers it, plain text only when it does not;
 * `off`: no TLS at all, even when offered (a local relay whose STARTTLS is broken).
 */
export type SmtpSecurity = 'starttls' | 'tls' | 'none' | 'off';
export type SmtpAuth = 'none' | 'password' | 'oauth2';
export type OAuthPreset = 'microsoft' | 'google' | 'custom';

export const OAUTH_PRESETS: Record<Exclude<OAuthPreset, 'custom'>, { accessUrl: string; scope: string }> = {
  microsoft: { accessUrl: 'https://login.microsoftonline.com/{tenant}/oauth2/v2.0/token', scope: 'https://outlook.office.com/SMTP.Send offline_access' },
  google: { accessUrl: 'https://oauth2.googleapis.com/token', scope: 'https://mail.google.com/' },
};

export interface SmtpServerConfig {
  host?: string;
  port?: number | string;
  security?: string;
  requireTLS?: boolean;
  rejectUnauthorized?: boolean;
  ca?: string;
  authType?: string;
  oauthPreset?: string;
  tenant?: string;
  accessUrl?: string;
  from?: string;
  maxConnections?: number | string;
  timeout?: number | string;
}

export interface SmtpCredentials {
  user?: string | undefined;
  password?: string | undefined;
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  refreshToken?: string | undefined;
}

export interface SmtpSettings {
  host: string;
  port: number;
  security: SmtpSecurity;
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  ca?: Buffer;
  auth:
    | { type: 'none' }
    | { type: 'password'; user: string; pass: string }
    | { type: 'oauth2'; user: string; clientId: string; clientSecret: string; refreshToken: string; accessUrl: string; scope?: string };
  /** Default sender address. */
  from: string;
  maxConnections: number;
  timeoutMs: number;
  label: string;
}

export { checkAddress };

/** A comma/semicolon separated list of addresses (or an array of them); at least one when required. */
export function addressList(value: unknown, field: string, required = true, where = ''): string[] {
  const list = (Array.isArray(value) ? value.map(String).join(',') : String(value ?? ''))
    .split(/[,;\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (required && list.length === 0) throw new PlantwireError(where ? 'bad-input' : 'bad-config', `${field}${where}: give at least one recipient address (comma-separated)`, `${field}: no recipient`);
  return list.map((a) => checkAddress(a, field, where));
}

/**
 * The recipients read for one message from a typed `to` (msg/flow/global/env):
 * addresses separated by commas, or an array of addresses; at least one.
 */
export function typedRecipients(value: unknown, source: TypedSetting): string[] {
  const where = ` from ${describeTyped(source)}`;
  const ok = value === undefined || value === null || typeof value === 'string' || (Array.isArray(value) && value.every((v) => typeof v === 'string'));
  if (!ok) throw new PlantwireError('bad-input', `to${where} must be addresses separated by commas or an array of addresses, got ${Array.isArray(value) ? 'an array of other values' : typeof value}`, 'to: not addresses');
  return addressList(value, 'to', true, where);
}

/** The SMTP server's settings, parsed by its field spec (./fields.ts) plus the credentials the login needs. */
export function smtpSettings(config: SmtpServerConfig, creds: SmtpCredentials): SmtpSettings {
  const f = parseFields(smtpServerFields, config as Record<string, unknown>);
  const host = f.host;
  // A flow written by hand without a security mode gets the strict one (the dialog saves its choice).
  const security = (config.security || 'starttls') as SmtpSecurity;
  const port = f.port;
  const maxConnections = f.maxConnections;
  const timeoutMs = f.timeout * 1000;
  const authType = f.authType as SmtpAuth;
  const user = (creds.user ?? '').trim();
  let auth: SmtpSettings['auth'];
  if (authType === 'none') auth = { type: 'none' };
  else if (authType === 'password') {
    if (!user) throw new PlantwireError('bad-config', 'user: password authentication needs a user name', 'user name missing');
    if (!creds.password) throw new PlantwireError('bad-config', 'password: password authentication needs a password', 'password missing');
    auth = { type: 'password', user, pass: creds.password };
  } else {
    if (!user) throw new PlantwireError('bad-config', 'user: OAuth2 needs the mailbox address to send as (e.g. alarms@contoso.com)', 'user (mailbox) missing');
    const clientId = (creds.clientId ?? '').trim();
    const refreshToken = (creds.refreshToken ?? '').trim();
    if (!clientId) throw new PlantwireError('bad-config', 'client id: OAuth2 needs the application (client) id of your app registration', 'OAuth2: client id missing');
    if (!refreshToken) throw new PlantwireError('bad-config', 'refresh token: OAuth2 needs a refresh token (see docs/email.md for how to get one)', 'OAuth2: refresh token missing');
    // A provider not saved (a flow written by hand): a token URL of one's own.
    const preset = (config.oauthPreset || 'custom') as OAuthPreset;
    let accessUrl: string;
    let scope: string | undefined;
    if (preset === 'microsoft') {
      accessUrl = OAUTH_PRESETS.microsoft.accessUrl.replace('{tenant}', smtpTenant(config.tenant));
      scope = OAUTH_PRESETS.microsoft.scope;
    } else if (preset === 'google') {
      accessUrl = OAUTH_PRESETS.google.accessUrl;
    } else accessUrl = smtpAccessUrl(config.accessUrl);
    auth = { type: 'oauth2', user, clientId, clientSecret: creds.clientSecret ?? '', refreshToken, accessUrl };
    if (scope) auth.scope = scope;
  }
  const from = f.from || (auth.type !== 'none' && user.includes('@') ? user : '');
  if (from) checkAddress(from, 'from');
  const settings: SmtpSettings = {
    host,
    port,
    security,
    requireTLS: security === 'starttls' && config.requireTLS !== false,
    rejectUnauthorized: config.rejectUnauthorized !== false,
    auth,
    from,
    maxConnections,
    timeoutMs,
    label: `${host}:${port}`,
  };
  const ca = pemOrFile(config.ca, 'TLS CA certificate');
  if (ca) settings.ca = ca;
  return settings;
}

export type DigestMode = 'each' | 'digest';

export interface EmailOutConfig {
  to?: string;
  toType?: string;
  subjectType?: string;
  cc?: string;
  from?: string;
  subject?: string;
  html?: string;
  text?: string;
  csv?: boolean;
  mode?: string;
  digestSeconds?: number | string;
  rateCount?: number | string;
  ratePeriod?: number | string;
  maxRows?: number | string;
}

export interface EmailOutSettings {
  /** Fixed recipients ([] when they are read per message: `toSource`). */
  to: string[];
  toSource: TypedSetting;
  cc: string[];
  from: string;
  /** The subject template when fixed ('' when read per message: `subjectSource`). */
  subject: string;
  subjectSource: TypedSetting;
  html: string;
  text: string;
  csv: boolean;
  mode: DigestMode;
  digestMs: number;
  rateCount: number;
  ratePeriodMs: number;
  maxRows: number;
}

export function emailOutSettings(config: EmailOutConfig): EmailOutSettings {
  const c = config as Record<string, unknown>;
  const mode = (config.mode || 'each') as DigestMode;
  if (mode !== 'each' && mode !== 'digest') throw new PlantwireError('bad-config', `mode must be "each" (a mail per message, rate-limited) or "digest", got ${JSON.stringify(config.mode)}`, 'bad mode');
  const from = String(config.from ?? '').trim();
  if (from) checkAddress(from, 'from');
  // Version 2: recipients and subject are fixed, or read per message from msg/flow/global/env (typedRecipients, the subject checked as a template).
  const toSource = typedSetting(config.to, config.toType, 'to');
  const subjectSource = typedSetting(config.subject, config.subjectType, 'subject');
  const settings: EmailOutSettings = {
    to: toSource.type === 'str' ? addressList(config.to, 'to') : [],
    toSource,
    cc: addressList(config.cc, 'cc', false),
    from,
    subject: subjectSource.type === 'str' ? String(config.subject ?? '') : '',
    subjectSource,
    html: String(config.html ?? ''),
    text: String(config.text ?? ''),
    csv: config.csv === true || (config.csv as unknown) === 'true',
    mode,
    digestMs: numberSetting(c, 'digestSeconds', { default: 300, min: 1, max: 86_400, label: 'digest interval (s)' }) * 1000,
    rateCount: numberSetting(c, 'rateCount', { default: 10, min: 1, max: 100_000, integer: true, label: 'rate limit (mails)' }),
    ratePeriodMs: numberSetting(c, 'ratePeriod', { default: 3600, min: 1, max: 604_800, label: 'rate limit period (s)' }) * 1000,
    maxRows: numberSetting(c, 'maxRows', { default: 500, min: 1, max: 100_000, integer: true, label: 'rows per mail' }),
  };
  // The rest of the dialog's rules (./fields.ts), after the checks above that name each address.
  parseFields(emailOutFields, c);
  return settings;
}
