/**
 * SmtpMailer (src/connectors/email/mailer.ts) without Node-RED, against an
 * smtp-server started here: the Microsoft 365 preset's scope is sent with the
 * refresh-token grant, and the mail is sent with the token over XOAUTH2.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpMailer } from '../../src/connectors/email/mailer';
import { smtpSettings } from '../../src/connectors/email/settings';

let tokens: http.Server;
let smtp: SMTPServer;
const grants: Array<Record<string, string>> = [];
const auths: Array<{ method: string; user: string; token: string }> = [];

beforeAll(async () => {
  tokens = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      grants.push(Object.fromEntries(new URLSearchParams(body)));
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'eyJ-m365', token_type: 'Bearer', expires_in: 3599 }));
    });
  });
  await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', () => r()));
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authMethods: ['XOAUTH2'],
    logger: false,
    closeTimeout: 100,
    onAuth(auth, _s, cb) {
      auths.push({ method: auth.method, user: auth.username ?? '', token: auth.accessToken ?? '' });
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
  await new Promise<void>((r) => tokens?.close(() => r()));
});

describe('SmtpMailer with the Microsoft 365 preset', () => {
  it('asks the token endpoint with the refresh token and the SMTP.Send scope, then logs in with XOAUTH2', async () => {
    const settings = smtpSettings(
      { host: '127.0.0.1', port: (smtp.server.address() as AddressInfo).port, security: 'none', authType: 'oauth2', oauthPreset: 'microsoft', tenant: 'contoso.onmicrosoft.com' },
      { user: 'alarms@contoso.com', clientId: 'app-id', clientSecret: 'secret', refreshToken: 'refresh-1' },
    );
    expect(settings.auth).toMatchObject({ accessUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token' });
    // The real Microsoft endpoint is not reachable from a test: same settings, local endpoint.
    if (settings.auth.type !== 'oauth2') throw new Error('expected oauth2');
    settings.auth.accessUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/contoso.onmicrosoft.com/oauth2/v2.0/token`;
    const mailer = new SmtpMailer(settings);
    try {
      const info = await mailer.send({ from: '', to: ['shift@contoso.com'], subject: 'x', html: '<p>x</p>', text: 'x' });
      expect(info.accepted).toEqual(['shift@contoso.com']);
    } finally {
      mailer.close();
    }
    expect(grants).toEqual([{ client_id: 'app-id', client_secret: 'secret', refresh_token: 'refresh-1', grant_type: 'refresh_token', scope: 'https://outlook.office.com/SMTP.Send offline_access' }]);
    expect(auths).toEqual([{ method: 'XOAUTH2', user: 'alarms@contoso.com', token: 'eyJ-m365' }]);
  });
});
