/**
 * The SMTP catcher (src/sim/smtp-catcher.ts) receiving mails from nodemailer:
 * .eml files in the outbox, the list and the listing page, AUTH PLAIN/LOGIN/
 * XOAUTH2, dot-unstuffing, RSET and the size limit. And the email-out node
 * sending to it in a real Node-RED runtime.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import nodemailer from 'nodemailer';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startSmtpCatcher, type SmtpCatcher } from '../../src/sim/smtp-catcher';
import { emailOut, inject, smtpServerNode, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let catcher: SmtpCatcher;
let outbox: string;

beforeAll(async () => {
  outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-outbox-'));
  catcher = await startSmtpCatcher({ port: 0, outbox, httpPort: 0, maxSize: 64 * 1024 });
});
afterAll(async () => {
  await catcher?.stop();
  fs.rmSync(outbox, { recursive: true, force: true });
});

/** Talks SMTP line by line: sends each command and collects the replies. */
async function converse(port: number, lines: string[]): Promise<string[]> {
  const sock = net.connect(port, '127.0.0.1');
  const replies: string[] = [];
  let buf = '';
  let waiting: (() => void) | null = null;
  sock.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\r\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 2);
      if (/^\d{3} /.test(line)) {
        replies.push(line);
        waiting?.();
      }
    }
  });
  const next = (): Promise<void> => new Promise((r) => (waiting = r));
  await next();
  for (const l of lines) {
    const p = next();
    sock.write(`${l.replace(/^\u0000/, '')}\r\n`);
    // DATA content lines get no reply until the final dot.
    if (l.startsWith('\u0000')) continue;
    await p;
  }
  sock.destroy();
  return replies;
}

describe('SMTP catcher', () => {
  it('receives a mail from nodemailer with AUTH PLAIN and writes it as .eml (dot-unstuffed)', async () => {
    const t = nodemailer.createTransport({ host: '127.0.0.1', port: catcher.port, secure: false, ignoreTLS: true, auth: { user: 'plant', pass: 'pw' }, authMethod: 'PLAIN' });
    const got = new Promise<unknown>((r) => catcher.on('mail', r));
    await t.sendMail({ from: 'plant@example.com', to: ['a@example.com', 'b@example.com'], subject: 'Füllstand <hoch>', text: 'line one\n.starts with a dot\n..two dots\n' });
    await got;
    const mail = catcher.mails().at(-1)!;
    expect(mail).toMatchObject({ from: 'plant@example.com', to: ['a@example.com', 'b@example.com'], subject: 'Füllstand <hoch>', user: 'plant', authMethod: 'PLAIN' });
    expect(path.dirname(mail.file)).toBe(outbox);
    const parsed = await simpleParser(fs.readFileSync(mail.file));
    expect(parsed.subject).toBe('Füllstand <hoch>');
    expect(parsed.text).toBe('line one\n.starts with a dot\n..two dots\n');
    t.close();
  });

  it('accepts AUTH LOGIN and XOAUTH2 and records the user', async () => {
    const login = nodemailer.createTransport({ host: '127.0.0.1', port: catcher.port, ignoreTLS: true, auth: { user: 'login-user', pass: 'pw' }, authMethod: 'LOGIN' });
    await login.sendMail({ from: 'x@example.com', to: 'y@example.com', subject: 'login', text: 'x' });
    expect(catcher.mails().at(-1)).toMatchObject({ user: 'login-user', authMethod: 'LOGIN' });
    const oauth = nodemailer.createTransport({ host: '127.0.0.1', port: catcher.port, ignoreTLS: true, auth: { type: 'OAuth2', user: 'alarms@contoso.com', accessToken: 'tok', expires: Date.now() + 3_600_000 } });
    await oauth.sendMail({ from: 'alarms@contoso.com', to: 'y@example.com', subject: 'oauth', text: 'x' });
    expect(catcher.mails().at(-1)).toMatchObject({ user: 'alarms@contoso.com', authMethod: 'XOAUTH2', subject: 'oauth' });
  });

  it('speaks the protocol: sequence errors, RSET, NOOP, unknown commands, the size limit', async () => {
    const big = 'x'.repeat(1000);
    const replies = await converse(catcher.port, [
      'HELO test',
      'RCPT TO:<a@example.com>',
      'MAIL FROM:<me@example.com> SIZE=99999999',
      'MAIL FROM:<me@example.com>',
      'RSET',
      'DATA',
      'NOOP',
      'FOO',
      'MAIL FROM:<me@example.com>',
      'RCPT TO:<a@example.com>',
      'DATA',
      ...Array.from({ length: 70 }, () => `\u0000${big}`),
      '.',
      'QUIT',
    ]);
    const codes = replies.map((r) => r.slice(0, 3));
    expect(codes).toEqual(['220', '250', '503', '552', '250', '250', '503', '250', '502', '250', '250', '354', '552', '221']);
    expect(catcher.mails().some((m) => m.from === 'me@example.com')).toBe(false);
  });

  it('lists received mails on its page and as JSON, and serves the .eml', async () => {
    const list = (await (await fetch(`${catcher.pageUrl}mails.json`)).json()) as Array<{ id: string; subject: string }>;
    expect(list.map((m) => m.subject)).toContain('oauth');
    const page = await (await fetch(catcher.pageUrl)).text();
    expect(page).toContain('Füllstand &#60;hoch&#62;');
    const eml = await fetch(`${catcher.pageUrl}mails/${list[0]!.id}.eml`);
    expect(eml.status).toBe(200);
    expect(eml.headers.get('content-type')).toBe('message/rfc822');
    expect((await fetch(`${catcher.pageUrl}mails/nope.eml`)).status).toBe(404);
  });

  it('after a restart on the same outbox, the page lists the earlier mails', async () => {
    const before = catcher.mails();
    expect(before.length).toBeGreaterThan(0);
    const again = await startSmtpCatcher({ port: 0, outbox, httpPort: 0 });
    try {
      expect(again.mails().map((m) => [m.id, m.subject, m.from, m.to])).toEqual(before.map((m) => [m.id, m.subject, m.from, m.to]));
      const page = await (await fetch(again.pageUrl)).text();
      expect(page).toContain(`${before.length} mail(s) received`);
      expect(page).toContain('Füllstand &#60;hoch&#62;');
      expect((await fetch(`${again.pageUrl}mails/${before[0]!.id}.eml`)).status).toBe(200);
    } finally {
      await again.stop();
    }
  });
});

describe('email-out to the catcher', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('a digest from a Node-RED flow lands as .eml in the outbox', async () => {
    const before = catcher.mails().length;
    await rt.deploy([
      TAB,
      smtpServerNode('s1', catcher.port),
      emailOut('e1', 's1', { mode: 'digest', digestSeconds: 1 }),
      inject('i1', 'e1', { tag: 'Line1/Alarms/CapperJam', value: true, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z' }),
    ]);
    await rt.admin('POST', '/inject/i1');
    await rt.admin('POST', '/inject/i1');
    const deadline = Date.now() + 10_000;
    while (catcher.mails().length === before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const mail = catcher.mails().at(-1)!;
    expect(mail.subject).toBe('[Plantwire] 2 alarm(s) 2026-01-05T08:00:00.000Z – 2026-01-05T08:00:00.000Z');
    const parsed = await simpleParser(fs.readFileSync(mail.file));
    expect(String(parsed.html)).toContain('<td>Line1/Alarms/CapperJam</td>');
    expect(parsed.attachments[0]!.filename).toMatch(/^alarms-.*\.csv$/);
  });
});

describe('plantwire sim smtp', () => {
  it('runs the catcher from the CLI, writes a received mail into --outbox and stops cleanly on SIGTERM', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-sim-smtp-'));
    const child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'sim', 'smtp', '--port', '0', '--http-port', '0', '--outbox', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    try {
      const deadline = Date.now() + 20_000;
      let m: RegExpExecArray | null = null;
      while (!(m = /SMTP catcher listening on 127\.0\.0\.1:(\d+); mails go to (.+) and are listed on (http:\S+)\./.exec(out))) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the catcher did not start:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(m[2]).toBe(dir);
      const t = nodemailer.createTransport({ host: '127.0.0.1', port: Number(m[1]), ignoreTLS: true });
      await t.sendMail({ from: 'cli@example.com', to: 'x@example.com', subject: 'from the CLI test', text: 'hello' });
      t.close();
      const files = fs.readdirSync(dir).filter((f) => f.endsWith('.eml'));
      expect(files.length).toBe(1);
      expect(fs.readFileSync(path.join(dir, files[0]!), 'utf8')).toContain('Subject: from the CLI test');
      const list = (await (await fetch(`${m[3]}mails.json`)).json()) as Array<{ subject: string }>;
      expect(list.map((x) => x.subject)).toEqual(['from the CLI test']);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
