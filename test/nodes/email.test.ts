/**
 * plantwire-smtp-server + plantwire-email-out in a real Node-RED runtime,
 * against an SMTP server started here (the smtp-server package); every mail
 * is parsed back with mailparser. Covers: subject, HTML table (escaped) and
 * CSV attachment; XOAUTH2 offered and used with an access token obtained
 * from a local token endpoint via the refresh token, and a refused refresh
 * token; a 200-alarm storm in digest mode; the rate limit folding the rest
 * into one mail; a server down then up (nothing lost, nothing twice); a 550
 * reaching Catch with the server's text; bad input.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, emailOut, fn, inject, smtpServerNode, statusOf, TAB, withProp } from '../helpers/flows';
import { makeCerts, type Certs } from '../helpers/mqtt';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

interface Received {
  mail: ParsedMail;
  user: string;
  method: string;
  token: string;
  rcpt: string[];
  secure: boolean;
}

interface TestSmtp {
  port: number;
  received: Received[];
  stop(): Promise<void>;
  start(): Promise<void>;
}

async function startSmtp(opts: Partial<SMTPServerOptions> = {}, port = 0): Promise<TestSmtp> {
  const received: Received[] = [];
  let server: SMTPServer;
  const make = (): SMTPServer =>
    new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      logger: false,
      // The pool keeps its connection open: do not wait for it when the test stops the server.
      closeTimeout: 100,
      onData(stream, session, cb) {
        simpleParser(stream).then(
          (mail) => {
            const user = session.user as unknown as { user?: string; method?: string; token?: string } | undefined;
            received.push({ mail, user: user?.user ?? '', method: user?.method ?? '', token: user?.token ?? '', rcpt: session.envelope.rcptTo.map((r) => r.address), secure: session.secure });
            cb();
          },
          (err: Error) => cb(err),
        );
      },
      ...opts,
    });
  const listen = async (): Promise<void> => {
    server = make();
    // Failed TLS handshakes (the rogue-CA test) are errors of the test's server, not of the node under test.
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    port = (server.server.address() as AddressInfo).port;
  };
  await listen();
  return {
    get port() {
      return port;
    },
    received,
    stop: () => new Promise<void>((r) => server.close(() => r())),
    start: listen,
  };
}

async function until(cond: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const csvRows = (m: ParsedMail): string[] => {
  const att = m.attachments.find((a) => a.contentType.startsWith('text/csv'));
  if (!att) return [];
  return att.content.toString('utf8').trim().split('\r\n').slice(1);
};

/** A function node that sends `n` alarm messages at once (an alarm storm). */
const storm = (id: string, n: number, target: string): Record<string, unknown> =>
  fn(id, `for (let i = 0; i < ${n}; i++) node.send({ topic: 'Line1/Alarms/A' + i, payload: { tag: 'Line1/Alarms/A' + i, value: true, quality: 'good', sourceTimestamp: new Date(Date.UTC(2026, 0, 5, 8, 0, 0, i)).toISOString(), asset: 'acme/hamburg/line1' } }); return null;`, target);

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('plantwire-email-out', () => {
  it('sends one alarm as a mail with the subject, an HTML table (values escaped), a text part and a CSV attachment', async () => {
    const smtp = await startSmtp();
    try {
      const sample = { tag: 'Line1/Filler/Temp<b>', value: 93.5, unit: '°C', quality: 'bad', sourceTimestamp: '2026-01-05T08:00:00.000Z', asset: 'acme/hamburg/line1' };
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { name: 'Line 1 alarms', to: 'shift@example.com, maint@example.com' }),
        inject('i1', 'e1', sample),
        catcher('c', ['e1'], 'errors'),
        capture('errors'),
      ]);
      expect((await rt.admin('POST', '/inject/i1')).status).toBe(200);
      await until(() => smtp.received.length === 1, 'one mail');
      const { mail, rcpt } = smtp.received[0]!;
      expect(rcpt.sort()).toEqual(['maint@example.com', 'shift@example.com']);
      expect(mail.subject).toBe('[Line 1 alarms] Line1/Filler/Temp<b> = 93.5°C');
      expect(mail.from?.text).toBe('plant@example.com');
      const html = String(mail.html);
      expect(html).toContain('<td>Line1/Filler/Temp&lt;b&gt;</td>');
      expect(html).not.toContain('Temp<b>');
      expect(html).toMatch(/<td align="right">93\.5<\/td><td>°C<\/td><td>bad<\/td><td>2026-01-05T08:00:00\.000Z<\/td><td>acme\/hamburg\/line1<\/td>/);
      expect(mail.text).toContain('- Line1/Filler/Temp<b> = 93.5 °C (bad) at 2026-01-05T08:00:00.000Z [acme/hamburg/line1]');
      expect(csvRows(mail)).toEqual(['Line1/Filler/Temp<b>,93.5,°C,bad,2026-01-05T08:00:00.000Z,acme/hamburg/line1']);
      expect(rt.captured('errors')).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  it('uses custom subject and body templates', async () => {
    const smtp = await startSmtp();
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { subject: 'ALARM {{first.tag}} on {{first.asset}} ({{count}})', html: '<p>{{#samples}}<i>{{tag}}={{value}}</i>{{/samples}}</p>', text: '{{#samples}}{{tag}};{{/samples}}', csv: false }),
        inject('i1', 'e1', [
          { tag: 'A', value: 1, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z', asset: 'x/y' },
          { tag: 'B', value: '<2>', quality: 'good', sourceTimestamp: '2026-01-05T08:00:01.000Z' },
        ]),
      ]);
      await rt.admin('POST', '/inject/i1');
      await until(() => smtp.received.length === 1, 'one mail');
      const { mail } = smtp.received[0]!;
      expect(mail.subject).toBe('ALARM A on x/y (2)');
      expect(String(mail.html)).toContain('<p><i>A=1</i><i>B=&lt;2&gt;</i></p>');
      expect(mail.text?.trim()).toBe('A;B;');
      expect(mail.attachments).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  it('offers and uses XOAUTH2 with an access token fetched from the token endpoint with the refresh token', async () => {
    const tokenRequests: Array<Record<string, string>> = [];
    const tokens = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const form = Object.fromEntries(new URLSearchParams(body));
        tokenRequests.push(form);
        res.setHeader('content-type', 'application/json');
        if (form.grant_type === 'refresh_token' && form.refresh_token === 'good-refresh' && form.client_id === 'app-1' && form.client_secret === 'secret-1') {
          res.end(JSON.stringify({ access_token: `at-${tokenRequests.length}`, token_type: 'Bearer', expires_in: 3600 }));
        } else {
          res.statusCode = 400;
          res.end(JSON.stringify({ error: 'invalid_grant', error_description: 'AADSTS70000: the refresh token has expired' }));
        }
      });
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', () => r()));
    const accessUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    const issued = (): string[] => tokenRequests.map((_, i) => `at-${i + 1}`);
    const smtp = await startSmtp({
      authMethods: ['XOAUTH2'],
      authOptional: false,
      onAuth(auth, _session, cb) {
        // Only a token the endpoint issued is accepted; anything else is the 535 a real server sends.
        if (auth.method === 'XOAUTH2' && auth.username === 'alarms@contoso.com' && issued().includes(auth.accessToken ?? '')) {
          cb(null, { user: { user: auth.username, method: auth.method, token: auth.accessToken } as unknown as string });
        } else cb(new Error('5.7.3 Authentication unsuccessful'));
      },
    });
    try {
      const creds = { user: 'alarms@contoso.com', clientId: 'app-1', clientSecret: 'secret-1', refreshToken: 'good-refresh' };
      await rt.deploy([
        TAB,
        { ...smtpServerNode('s1', smtp.port, { authType: 'oauth2', oauthPreset: 'custom', accessUrl, from: '' }), credentials: creds },
        emailOut('e1', 's1'),
        inject('i1', 'e1', 42, 'Line1/Speed'),
        catcher('c', ['e1'], 'errors'),
        capture('errors'),
      ]);
      await rt.admin('POST', '/inject/i1');
      await until(() => smtp.received.length === 1, 'one mail over XOAUTH2');
      const got = smtp.received[0]!;
      expect(got.method).toBe('XOAUTH2');
      expect(got.user).toBe('alarms@contoso.com');
      expect(tokenRequests.length).toBeGreaterThanOrEqual(1);
      expect(tokenRequests[0]).toMatchObject({ grant_type: 'refresh_token', refresh_token: 'good-refresh', client_id: 'app-1' });
      expect(issued()).toContain(got.token);
      expect(got.mail.from?.text).toBe('alarms@contoso.com');
      expect(rt.captured('errors')).toEqual([]);

      // A refused refresh token: a clear error with what to do, in the status and at Catch (the mail is not retried forever).
      await rt.deploy([
        TAB,
        { ...smtpServerNode('s2', smtp.port, { authType: 'oauth2', oauthPreset: 'custom', accessUrl, from: '' }), credentials: { ...creds, refreshToken: 'revoked' } },
        emailOut('e2', 's2'),
        inject('i2', 'e2', 43, 'Line1/Speed'),
        catcher('c', ['e2'], 'errors'),
        capture('errors'),
        statusOf('st', ['e2'], 'status'),
        capture('status'),
      ]);
      await rt.admin('POST', '/inject/i2');
      const [err] = await rt.waitFor('errors', 1);
      expect(err!.msg.error.message).toMatch(/OAuth2: refresh token refused — re-consent and paste a new refresh token.*invalid_grant: AADSTS70000/);
      await until(() => rt.captured('status').some((c) => c.msg.status?.text === 'OAuth2: refresh token refused'), 'status says the refresh token was refused');
      expect(smtp.received.length).toBe(1);
    } finally {
      await smtp.stop();
      await new Promise<void>((r) => tokens.close(() => r()));
    }
  });

  it('XOAUTH2: an expired access token is renewed from the refresh token on the next connection', async () => {
    let issued = 0;
    const tokens = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        issued += 1;
        res.setHeader('content-type', 'application/json');
        // Valid for one second only.
        res.end(JSON.stringify({ access_token: `short-${issued}`, token_type: 'Bearer', expires_in: 1 }));
      });
    });
    await new Promise<void>((r) => tokens.listen(0, '127.0.0.1', () => r()));
    const accessUrl = `http://127.0.0.1:${(tokens.address() as AddressInfo).port}/token`;
    const smtp = await startSmtp({
      authMethods: ['XOAUTH2'],
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.accessToken === `short-${issued}`) cb(null, { user: { user: auth.username, method: auth.method, token: auth.accessToken } as unknown as string });
        else cb(new Error('5.7.3 token expired or unknown'));
      },
    });
    try {
      await rt.deploy([
        TAB,
        { ...smtpServerNode('s1', smtp.port, { authType: 'oauth2', oauthPreset: 'custom', accessUrl, from: '' }), credentials: { user: 'alarms@contoso.com', clientId: 'app-1', clientSecret: 's', refreshToken: 'r' } },
        emailOut('e1', 's1'),
        inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam'),
        catcher('c', ['e1'], 'errors'),
        capture('errors'),
      ]);
      await rt.admin('POST', '/inject/i1');
      await until(() => smtp.received.length === 1, 'first mail');
      const first = smtp.received[0]!.token;
      // The server drops the pooled connection (restart); by now the token has expired.
      await smtp.stop();
      await new Promise((r) => setTimeout(r, 1200));
      await smtp.start();
      await rt.admin('POST', '/inject/i1');
      await until(() => smtp.received.length === 2, 'second mail');
      expect(smtp.received[1]!.token).not.toBe(first);
      expect(smtp.received[1]!.token).toBe(`short-${issued}`);
      expect(rt.captured('errors')).toEqual([]);
    } finally {
      await smtp.stop();
      await new Promise<void>((r) => tokens.close(() => r()));
    }
  });

  it('an unreachable SMTP server at deploy is a status, not an error or warning in the log (mails wait in the queue)', async () => {
    const smtp = await startSmtp();
    await smtp.stop();
    const before = rt.logs.length;
    await rt.deploy([TAB, smtpServerNode('s1', smtp.port), emailOut('e1', 's1'), statusOf('st', ['e1'], 'status'), capture('status')]);
    await until(() => rt.captured('status').some((c) => c.msg.status?.text === 'SMTP server refused connection' && c.msg.status?.fill === 'red'), 'status "SMTP server refused connection"');
    const noisy = rt.logs.slice(before).filter((l) => l.level === 'error' || l.level === 'warn');
    expect(noisy.map((l) => l.msg)).toEqual([]);
  });

  it('a 200-alarm storm in digest mode yields one mail (one table, all 200 rows in the CSV)', async () => {
    const smtp = await startSmtp();
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { mode: 'digest', digestSeconds: 1, maxRows: 50 }),
        storm('f1', 200, 'e1'),
        inject('i1', 'f1', ''),
        statusOf('st', ['e1'], 'status'),
        capture('status'),
      ]);
      await rt.admin('POST', '/inject/i1');
      await until(() => rt.captured('status').some((c) => /^200 pending, next mail \d\d:\d\d:\d\d UTC$/.test(c.msg.status?.text ?? '')), 'status "200 pending, next mail …"');
      await until(() => smtp.received.length >= 1, 'the digest');
      // A second window passes without alarms: no further mail.
      await new Promise((r) => setTimeout(r, 1500));
      expect(smtp.received.length).toBe(1);
      const { mail } = smtp.received[0]!;
      expect(mail.subject).toBe('[Plantwire] 200 alarm(s) 2026-01-05T08:00:00.000Z – 2026-01-05T08:00:00.199Z');
      expect((String(mail.html).match(/<tr><td>/g) ?? []).length).toBe(50);
      expect(String(mail.html)).toContain('… and 150 more row(s): see the CSV attachment.');
      const rows = csvRows(mail);
      expect(rows.length).toBe(200);
      expect(new Set(rows.map((r) => r.split(',')[0])).size).toBe(200);
    } finally {
      await smtp.stop();
    }
  });

  it('recipients and subject read per message (msg) or from env; a digest is one mail per recipient/subject; an empty recipient is refused once', async () => {
    const smtp = await startSmtp();
    process.env.PW_TEST_MAIL_TO = 'env-lead@example.com';
    const alarm = (id: string, tag: string, to: string, subject: string) =>
      withProp(withProp(inject(id, 'ed', { tag, value: true, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' }), 'to', to), 'subject', subject);
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('ed', 's1', { version: 2, mode: 'digest', digestSeconds: 1, to: 'to', toType: 'msg', subject: 'subject', subjectType: 'msg' }),
        emailOut('ee', 's1', { version: 2, to: 'PW_TEST_MAIL_TO', toType: 'env', subject: 'Env {{first.tag}}' }),
        alarm('a1', 'Line1/A', 'line1@example.com', 'Line 1: {{count}} alarm(s)'),
        alarm('a2', 'Line1/B', 'line1@example.com', 'Line 1: {{count}} alarm(s)'),
        alarm('a3', 'Line2/C', 'line2@example.com, boss@example.com', 'Line 2: {{first.tag}}'),
        alarm('bad', 'Line3/D', ' ', 'x'),
        inject('ie', 'ee', 1, 'Line9/E'),
        catcher('c', ['ed', 'ee'], 'errs'),
        statusOf('st', ['ed'], 'status'),
        capture('errs'),
        capture('status'),
      ]);
      for (const id of ['a1', 'a2', 'a3', 'bad', 'ie']) expect((await rt.admin('POST', `/inject/${id}`)).status).toBe(200);
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/to from msg.to: give at least one recipient address/);
      await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red'), 'a red status');
      await until(() => smtp.received.length >= 3, 'three mails');
      await new Promise((r) => setTimeout(r, 1500));
      expect(smtp.received.length, 'one digest per recipient list and subject, one mail from env').toBe(3);
      const by = (subject: string) => smtp.received.find((r) => r.mail.subject === subject);
      expect(by('Line 1: 2 alarm(s)')?.rcpt).toEqual(['line1@example.com']);
      expect(csvRows(by('Line 1: 2 alarm(s)')!.mail).map((r) => r.split(',')[0])).toEqual(['Line1/A', 'Line1/B']);
      expect(by('Line 2: Line2/C')?.rcpt.sort()).toEqual(['boss@example.com', 'line2@example.com']);
      expect(by('Env Line9/E')?.rcpt).toEqual(['env-lead@example.com']);
      expect(rt.captured('errs'), 'the refused alarm reaches Catch once').toHaveLength(1);
    } finally {
      delete process.env.PW_TEST_MAIL_TO;
      await smtp.stop();
    }
  });

  it('a digest for several recipient lists the buffer takes only in part: the mails handed over are not queued again (disk mode)', async () => {
    const smtp = await startSmtp();
    const alarm = (id: string, tag: string, to: string) => withProp(inject(id, 'ed', { tag, value: true, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' }), 'to', to);
    try {
      await smtp.stop();
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        // Room for two mails (and two waiting alarms); a full buffer refuses.
        emailOut('ed', 's1', { version: 2, mode: 'digest', digestSeconds: 1, to: 'to', toType: 'msg', bufferMode: 'disk', bufferMaxEntries: 2, bufferOverflow: 'reject' }),
        alarm('a0', 'Line0/A', 'line0@example.com'),
        alarm('a1', 'Line1/A', 'line1@example.com'),
        alarm('a2', 'Line2/A', 'line2@example.com'),
        statusOf('st', ['ed'], 'status'),
        capture('status'),
        catcher('c', ['ed'], 'errs'),
        capture('errs'),
      ]);
      // The SMTP server is down: the first digest (line 0) waits in the buffer, one place left.
      expect((await rt.admin('POST', '/inject/a0')).status).toBe(200);
      await until(() => rt.captured('status').some((c) => /^buffering 1/.test(c.msg.status?.text ?? '')), 'the first digest buffered');
      // The next window has two recipient lists: line 1's mail fills the buffer, line 2's is refused and waits.
      for (const id of ['a1', 'a2']) expect((await rt.admin('POST', `/inject/${id}`)).status).toBe(200);
      await until(() => rt.captured('errs').some((e) => /full/.test(e.msg.error.message)), 'the buffer refused a mail');
      // A few more windows while the buffer stays full.
      await new Promise((r) => setTimeout(r, 2500));
      await smtp.start();
      await until(() => smtp.received.length >= 3, 'the three digests', 30_000);
      await new Promise((r) => setTimeout(r, 2500));
      const rcpts = smtp.received.map((r) => r.rcpt.join(',')).sort();
      expect(rcpts, 'each recipient list mailed once').toEqual(['line0@example.com', 'line1@example.com', 'line2@example.com']);
    } finally {
      await smtp.stop();
    }
  });

  it('the rate limit sends at most N mails and folds the rest into the next mail, losing none', async () => {
    const smtp = await startSmtp();
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { mode: 'each', rateCount: 3, ratePeriod: 2 }),
        storm('f1', 200, 'e1'),
        inject('i1', 'f1', ''),
        statusOf('st', ['e1'], 'status'),
        capture('status'),
      ]);
      await rt.admin('POST', '/inject/i1');
      await until(() => rt.captured('status').some((c) => /^197 pending, next mail/.test(c.msg.status?.text ?? '')), 'status "197 pending, next mail …"');
      await until(() => smtp.received.length === 4, 'three single mails and one with the rest');
      await new Promise((r) => setTimeout(r, 1000));
      expect(smtp.received.length).toBe(4);
      const singles = smtp.received.slice(0, 3).map((r) => r.mail.subject);
      expect(singles.sort()).toEqual(['[Plantwire] Line1/Alarms/A0 = true', '[Plantwire] Line1/Alarms/A1 = true', '[Plantwire] Line1/Alarms/A2 = true']);
      expect(smtp.received[3]!.mail.subject).toMatch(/^\[Plantwire\] 197 alarm\(s\) /);
      const all = smtp.received.flatMap((r) => csvRows(r.mail).map((row) => row.split(',')[0]));
      expect(all.length).toBe(200);
      expect(new Set(all).size).toBe(200);
    } finally {
      await smtp.stop();
    }
  });

  it('keeps mails while the SMTP server is down and delivers each once when it is back (disk queue)', async () => {
    const smtp = await startSmtp();
    try {
      await smtp.stop();
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { bufferMode: 'disk' }),
        inject('i1', 'e1', 1, 'Line1/Alarms/EmergencyStop'),
        statusOf('st', ['e1'], 'status'),
        capture('status'),
        catcher('c', ['e1'], 'errors'),
        capture('errors'),
      ]);
      for (let i = 0; i < 3; i++) await rt.admin('POST', '/inject/i1');
      await until(() => rt.captured('status').some((c) => /^buffering 3 — SMTP server refused connection/.test(c.msg.status?.text ?? '')), 'status "buffering 3 — SMTP server refused connection (…"');
      await smtp.start();
      await until(() => smtp.received.length === 3, 'three mails after the server is back', 30_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(smtp.received.length).toBe(3);
      expect(new Set(smtp.received.map((r) => r.mail.messageId)).size).toBe(3);
      expect(rt.captured('errors')).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  it('a permanent refusal (550 mailbox unknown) reaches Catch with the server\'s text and is not retried', async () => {
    let attempts = 0;
    const smtp = await startSmtp({
      onRcptTo(address, _session, cb) {
        attempts += 1;
        if (address.address === 'nobody@example.com') {
          const err = new Error('5.1.1 <nobody@example.com>: Recipient address rejected: mailbox unknown') as Error & { responseCode: number };
          err.responseCode = 550;
          cb(err);
        } else cb();
      },
    });
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1', { to: 'nobody@example.com' }),
        inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam'),
        catcher('c', ['e1'], 'errors'),
        capture('errors'),
        statusOf('st', ['e1'], 'status'),
        capture('status'),
      ]);
      await rt.admin('POST', '/inject/i1');
      const [err] = await rt.waitFor('errors', 1);
      expect(err!.msg.error.message).toMatch(/refused permanently.*550 5\.1\.1 <nobody@example\.com>: Recipient address rejected: mailbox unknown/);
      expect(err!.msg.payload[0].subject).toBe('[Plantwire] Line1/Alarms/CapperJam = 1');
      await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red' && c.msg.status?.text === 'recipient or sender refused: 550'), 'red status "recipient or sender refused: 550"');
      await new Promise((r) => setTimeout(r, 1200));
      expect(attempts).toBe(1);
      expect(smtp.received).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  it('the SMTP server node\'s test route verifies connection and login (write permission needed)', async () => {
    const smtp = await startSmtp({
      authMethods: ['PLAIN', 'LOGIN'],
      authOptional: false,
      onAuth(auth, _session, cb) {
        if (auth.username === 'plant' && auth.password === 'right') cb(null, { user: 'plant' });
        else cb(new Error('5.7.8 Authentication credentials invalid'));
      },
    });
    try {
      await rt.deploy([
        TAB,
        { ...smtpServerNode('good', smtp.port, { authType: 'password' }), credentials: { user: 'plant', password: 'right' } },
        { ...smtpServerNode('bad', smtp.port, { authType: 'password' }), credentials: { user: 'plant', password: 'wrong' } },
      ]);
      const ok = await rt.admin<{ ok: boolean; text: string }>('POST', '/plantwire/smtp-server/good/verify');
      expect(ok.status).toBe(200);
      expect(ok.body.text).toBe(`connected and logged in to 127.0.0.1:${smtp.port}`);
      const bad = await rt.admin<{ error: string }>('POST', '/plantwire/smtp-server/bad/verify');
      expect(bad.status).toBe(400);
      expect(bad.body.error).toBe(`login refused permanently by 127.0.0.1:${smtp.port}: 535 5.7.8 Authentication credentials invalid`);
      const token = await rt.token(READER);
      // Node-RED answers 401 (not 403) when a valid token lacks the permission.
      expect((await fetch(`${rt.url}/plantwire/smtp-server/good/verify`, { method: 'POST', headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
      expect((await fetch(`${rt.url}/plantwire/smtp-server/good/verify`, { method: 'POST' })).status).toBe(401);
      expect((await rt.admin('POST', '/plantwire/smtp-server/nope/verify')).status).toBe(400);
    } finally {
      await smtp.stop();
    }
  });

  it('refuses bad input and bad configuration with clear errors', async () => {
    const smtp = await startSmtp();
    try {
      await rt.deploy([
        TAB,
        smtpServerNode('s1', smtp.port),
        emailOut('e1', 's1'),
        emailOut('e2', 's1', { to: 'not-an-address', y: 200 }),
        emailOut('e3', 's1', { subject: 'Alarm {{#samples}}', y: 300 }),
        inject('i1', 'e1', { foo: 1 }),
        catcher('c', null, 'errors'),
        capture('errors'),
      ]);
      await rt.admin('POST', '/inject/i1');
      const errs = await rt.waitFor('errors', 3);
      const texts = errs.map((e) => String(e.msg.error.message));
      expect(texts.some((t) => /payload\.tag must be a non-empty string/.test(t))).toBe(true);
      expect(texts.some((t) => /to: "not-an-address" is not a mail address/.test(t))).toBe(true);
      expect(texts.some((t) => /subject: section \{\{#samples\}\} is never closed/.test(t))).toBe(true);
      expect(smtp.received).toEqual([]);
    } finally {
      await smtp.stop();
    }
  });

  describe('TLS', () => {
    let certs: Certs;
    beforeAll(() => {
      certs = makeCerts();
    });
    afterAll(() => {
      if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
    });
    const tlsOpts = (): Partial<SMTPServerOptions> => ({ key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert), disabledCommands: [] });

    it('STARTTLS with a private CA: the mail goes over an encrypted connection', async () => {
      const smtp = await startSmtp(tlsOpts());
      try {
        await rt.deploy([TAB, smtpServerNode('s1', smtp.port, { security: 'starttls', requireTLS: true, ca: certs.ca }), emailOut('e1', 's1'), inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam')]);
        await rt.admin('POST', '/inject/i1');
        await until(() => smtp.received.length === 1, 'one mail over STARTTLS');
        expect(smtp.received[0]!.secure).toBe(true);
      } finally {
        await smtp.stop();
      }
    });

    it('TLS from the start (port 465 style) with a private CA', async () => {
      const smtp = await startSmtp({ ...tlsOpts(), secure: true });
      try {
        await rt.deploy([TAB, smtpServerNode('s1', smtp.port, { security: 'tls', ca: certs.ca }), emailOut('e1', 's1'), inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam')]);
        await rt.admin('POST', '/inject/i1');
        await until(() => smtp.received.length === 1, 'one mail over TLS');
        expect(smtp.received[0]!.secure).toBe(true);
      } finally {
        await smtp.stop();
      }
    });

    it('a certificate from an unknown CA is refused with a clear status and the mail is kept', async () => {
      const smtp = await startSmtp({ ...tlsOpts(), secure: true });
      try {
        await rt.deploy([
          TAB,
          smtpServerNode('s1', smtp.port, { security: 'tls', ca: path.join(certs.dir, 'rogue-ca.pem') }),
          emailOut('e1', 's1'),
          inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam'),
          statusOf('st', ['e1'], 'status'),
          capture('status'),
        ]);
        await rt.admin('POST', '/inject/i1');
        await until(() => rt.captured('status').some((c) => /^buffering 1 — .*TLS failed/.test(c.msg.status?.text ?? '')), 'status "buffering 1 — … TLS failed"');
        expect(smtp.received).toEqual([]);
      } finally {
        await smtp.stop();
      }
    });

    it('STARTTLS required but not offered: nothing is sent in plain text', async () => {
      const smtp = await startSmtp();
      try {
        await rt.deploy([TAB, smtpServerNode('s1', smtp.port, { security: 'starttls', requireTLS: true }), emailOut('e1', 's1'), inject('i1', 'e1', 1, 'Line1/Alarms/CapperJam'), statusOf('st', ['e1'], 'status'), capture('status')]);
        await rt.admin('POST', '/inject/i1');
        await until(() => rt.captured('status').some((c) => /^buffering 1 — TLS: server refused STARTTLS/.test(c.msg.status?.text ?? '')), 'status "buffering 1 — … refused STARTTLS"');
        expect(smtp.received).toEqual([]);
      } finally {
        await smtp.stop();
      }
    });
  });
});
