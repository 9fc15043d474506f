/**
 * Issue 16: SMTP security "none" is opportunistic STARTTLS — a server that
 * offers STARTTLS gets the login only after the upgrade; only "no TLS at all"
 * (off) keeps the connection in plain text. Real smtp-server on loopback.
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../src/connectors/email/mailer';
import { smtpSettings } from '../../src/connectors/email/settings';

let smtp: SMTPServer;
const logins: Array<{ user: string; secure: boolean }> = [];

beforeAll(async () => {
  // smtp-server offers STARTTLS with its built-in self-signed certificate.
  smtp = new SMTPServer({
    authMethods: ['PLAIN', 'LOGIN'],
    allowInsecureAuth: true,
    logger: false,
    closeTimeout: 100,
    onAuth(auth, session, cb) {
      logins.push({ user: auth.username ?? '', secure: session.secure });
      cb(null, { user: auth.username });
    },
    onData(stream, _s, cb) {
      stream.resume();
      stream.on('end', () => cb());
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
});
afterAll(async () => {
  await new Promise<void>((r) => smtp?.close(() => r()));
});

async function send(security: string, user: string): Promise<void> {
  const settings = smtpSettings(
    { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, security, requireTLS: false, rejectUnauthorized: false, authType: 'password', from: 'plant@example.com' },
    { user, password: 'pw' },
  );
  const mailer = new SmtpMailer(settings);
  try {
    await mailer.verify();
  } finally {
    mailer.close();
  }
}

describe('SMTP STARTTLS', () => {
  it('"none" upgrades with STARTTLS when the server offers it before logging in', async () => {
    await send('none', 'opportunistic');
    expect(logins.find((l) => l.user === 'opportunistic')).toEqual({ user: 'opportunistic', secure: true });
  });
  it('"off" (no TLS at all) stays in plain text even when offered', async () => {
    await send('off', 'plain');
    expect(logins.find((l) => l.user === 'plain')).toEqual({ user: 'plain', secure: false });
  });
  it('an unknown security value is refused naming the choices', () => {
    expect(() => smtpSettings({ host: 'h', security: 'maybe' }, {})).toThrow(/security must be starttls, tls, none \(STARTTLS when offered\) or off \(no TLS at all\)/);
  });
});
