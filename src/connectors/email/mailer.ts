/**
 * The SMTP side: one pooled nodemailer transport per plantwire-smtp-server
 * config node, verify() for status and the test button, and the
 * classification of failures into permanent (5xx, refused login, refused
 * OAuth2 refresh token: retrying does not help) and transient (4xx,
 * connection, timeout: retry). nodemailer refreshes OAuth2 access tokens
 * itself (XOAUTH2) from the refresh token.
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import { PlantwireError, toError } from '../../model/errors';
import type { SmtpSettings } from './settings';

export interface OutgoingMail {
  from: string;
  to: string[];
  cc?: string[];
  subject: string;
  html: string;
  text: string;
  attachments?: Array<{ filename: string; content: string; contentType: string }>;
  /** Message-ID, stable per buffered entry so a retried mail can be recognised as the same one. */
  messageId?: string;
}

export interface SendResult {
  messageId: string;
  accepted: string[];
  rejected: string[];
  response: string;
}

/** A failure classified for retry: `permanent` ones go to Catch, transient ones are retried. */
export class MailError extends PlantwireError {
  constructor(
    message: string,
    status: string,
    readonly permanent: boolean,
    readonly responseCode?: number,
  ) {
    super(permanent ? 'smtp-permanent' : 'smtp-transient', message, status);
  }

  /** The delivery contract's word for it (src/model/delivery.ts): a permanent refusal is not transient. */
  get transient(): boolean {
    return !this.permanent;
  }
}

interface NodemailerError extends Error {
  code?: string;
  responseCode?: number;
  response?: string;
  command?: string;
}

/** Turns a nodemailer error into a MailError with the server's own text. */
export function classifySmtpError(err: unknown, label: string): MailError {
  const e = toError(err) as NodemailerError;
  const code = e.code ?? '';
  const rc = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const server = (e.response ?? '').trim();
  if (code === 'EOAUTH2' || /access token/i.test(e.message) || (code === 'EAUTH' && e.command === 'AUTH XOAUTH2' && rc === undefined)) {
    // The token endpoint refused the refresh token (invalid_grant: revoked, expired, consent withdrawn) or answered nonsense.
    const network = /ECONNREFUSED|ENOTFOUND|ETIMEDOUT|EAI_AGAIN|socket hang up/i.test(e.message);
    if (network) return new MailError(`OAuth2: the token endpoint is unreachable (${e.message}); retrying`, 'OAuth2: token endpoint unreachable', false);
    return new MailError(`OAuth2: refresh token refused — re-consent and paste a new refresh token in the SMTP server node (${e.message})`, 'OAuth2: refresh token refused', true);
  }
  // TLS problems are settings problems, not the mail's: kept and retried (the status says what to fix).
  if (code === 'ETLS' && e.command === 'STARTTLS' && rc !== undefined) {
    return new MailError(`TLS: server refused STARTTLS (${label}: ${server || e.message}); use security "TLS from the start" (port 465), or "no TLS at all" only for a local relay`, 'TLS: server refused STARTTLS', false, rc);
  }
  if (code === 'ETLS' || /certificate|self[- ]signed|wrong version number/i.test(e.message)) {
    return new MailError(`TLS failed (${label}: ${e.message}); check security (TLS/STARTTLS), the CA certificate or "verify server certificate"; a local relay whose STARTTLS is broken needs "no TLS at all"`, 'TLS failed: check security settings', false);
  }
  if (rc !== undefined && rc >= 500 && rc < 600) {
    const what = code === 'EAUTH' ? 'login refused' : code === 'EENVELOPE' ? 'recipient or sender refused' : 'mail refused';
    const text = server || e.message;
    return new MailError(`${what} permanently by ${label}: ${text}`, `${what}: ${rc}`, true, rc);
  }
  if (rc !== undefined && rc >= 400 && rc < 500) return new MailError(`temporarily refused by ${label}, retrying: ${server || e.message}`, `server busy: ${rc}, retrying`, false, rc);
  if (code === 'EENVELOPE' || code === 'EMESSAGE') return new MailError(`the mail cannot be sent to ${label}: ${e.message}`, 'mail refused', true);
  if (code === 'EAUTH') return new MailError(`login to ${label} failed: ${e.message}`, 'login failed', true);
  const status = shortNet(e.message);
  return new MailError(`${status} (${label}: ${e.message})`, status, false);
}

function shortNet(message: string): string {
  if (/ECONNREFUSED/.test(message)) return 'SMTP server refused connection';
  if (/ETIMEDOUT|timeout/i.test(message)) return 'SMTP server timed out';
  if (/ENOTFOUND|EAI_AGAIN/.test(message)) return 'SMTP host not found';
  return 'SMTP server unreachable';
}

export class SmtpMailer {
  private readonly transport: Transporter<SMTPPool.SentMessageInfo>;

  constructor(readonly settings: SmtpSettings) {
    const tls: Record<string, unknown> = { rejectUnauthorized: settings.rejectUnauthorized, servername: settings.host };
    if (settings.ca) tls.ca = settings.ca;
    const options: SMTPPool.Options = {
      pool: true,
      host: settings.host,
      port: settings.port,
      secure: settings.security === 'tls',
      requireTLS: settings.requireTLS,
      // Only "no TLS at all" ignores a STARTTLS the server offers; "none" upgrades whenever it can (opportunistic).
      ignoreTLS: settings.security === 'off',
      maxConnections: settings.maxConnections,
      maxMessages: 100,
      connectionTimeout: settings.timeoutMs,
      greetingTimeout: settings.timeoutMs,
      socketTimeout: settings.timeoutMs * 2,
      tls,
    };
    const a = settings.auth;
    if (a.type === 'password') options.auth = { user: a.user, pass: a.pass };
    else if (a.type === 'oauth2') {
      const oauth: Record<string, unknown> = { type: 'OAuth2', user: a.user, clientId: a.clientId, clientSecret: a.clientSecret, refreshToken: a.refreshToken, accessUrl: a.accessUrl };
      if (a.scope) oauth.customParams = { scope: a.scope };
      options.auth = oauth as unknown as SMTPPool.Options['auth'];
    }
    this.transport = nodemailer.createTransport(options);
    // A pool error with no send waiting for it must not crash the runtime.
    this.transport.on('error', () => undefined);
  }

  /** Connects, logs in and disconnects again: throws a MailError saying what is wrong. */
  async verify(): Promise<void> {
    try {
      await this.transport.verify();
    } catch (err) {
      throw classifySmtpError(err, this.settings.label);
    }
  }

  async send(mail: OutgoingMail): Promise<SendResult> {
    const from = mail.from || this.settings.from;
    if (!from) throw new MailError('no sender address: set "from" in the email-out node or the SMTP server node', 'from: missing', true);
    const message: Record<string, unknown> = { from, to: mail.to, subject: mail.subject, html: mail.html, text: mail.text };
    if (mail.cc?.length) message.cc = mail.cc;
    if (mail.attachments?.length) message.attachments = mail.attachments;
    if (mail.messageId) message.messageId = mail.messageId;
    try {
      const info = await this.transport.sendMail(message);
      return {
        messageId: String(info.messageId ?? ''),
        accepted: (info.accepted ?? []).map(String),
        rejected: (info.rejected ?? []).map(String),
        response: String(info.response ?? ''),
      };
    } catch (err) {
      throw classifySmtpError(err, this.settings.label);
    }
  }

  close(): void {
    this.transport.close();
  }
}
