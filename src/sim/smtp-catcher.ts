/**
 * SMTP catcher: a small SMTP server (node:net, no dependencies) for demos and
 * tests. It accepts every mail, writes it as an `.eml` file into the outbox
 * directory (`.plantwire/outbox/` by default) and keeps a list; an optional
 * HTTP page lists the received mails. Speaks EHLO/HELO, AUTH PLAIN, LOGIN and
 * XOAUTH2 (any credentials are accepted and recorded as the user), MAIL FROM
 * (with SIZE=), RCPT TO, DATA with dot-unstuffing, RSET, NOOP, QUIT, and
 * refuses mails above the size limit with 552. No STARTTLS.
 */
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';

export interface CaughtMail {
  id: string;
  file: string;
  receivedAt: string;
  from: string;
  to: string[];
  subject: string;
  size: number;
  /** The user the client logged in as (AUTH), or ''. */
  user: string;
  authMethod: string;
}

export interface SmtpCatcherOptions {
  port?: number;
  host?: string;
  /** Directory the .eml files go into (created); default `<cwd>/.plantwire/outbox`. */
  outbox?: string;
  /** Largest mail accepted, in bytes (default 10 MiB). */
  maxSize?: number;
  /** Port of the listing page (http://host:httpPort/); undefined = no page. 0 = any free port. */
  httpPort?: number;
  /** Mails kept in the list (the files stay). Default 1000. */
  keep?: number;
  hostname?: string;
  log?: (line: string) => void;
}

export interface SmtpCatcher {
  readonly host: string;
  readonly port: number;
  readonly outbox: string;
  /** The listing page's URL, or '' without one. */
  readonly pageUrl: string;
  mails(): CaughtMail[];
  on(event: 'mail', listener: (mail: CaughtMail) => void): void;
  off(event: 'mail', listener: (mail: CaughtMail) => void): void;
  stop(): Promise<void>;
}

/** Decodes RFC 2047 encoded words (=?utf-8?B?…?= / ?Q?) in a header value. */
export function decodeHeader(value: string): string {
  return value.replace(/=\?([^?]+)\?([BbQq])\?([^?]*)\?=(\s+(?==\?))?/g, (_, charset: string, enc: string, text: string) => {
    const bytes = enc.toUpperCase() === 'B' ? Buffer.from(text, 'base64') : Buffer.from(text.replace(/_/g, ' ').replace(/=([0-9A-Fa-f]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1');
    try {
      return new TextDecoder(charset.toLowerCase()).decode(bytes);
    } catch {
      return bytes.toString('utf8');
    }
  });
}

/** A header of a raw message (first occurrence, unfolded and decoded), or ''. */
export function headerOf(raw: string, name: string): string {
  const end = raw.search(/\r?\n\r?\n/);
  const head = (end < 0 ? raw : raw.slice(0, end)).replace(/\r?\n[ \t]+/g, ' ');
  const re = new RegExp(`^${name}:[ \\t]*(.*)$`, 'im');
  const m = re.exec(head);
  return m ? decodeHeader(m[1]!.trim()) : '';
}

const addr = (s: string): string => {
  const m = /<([^>]*)>/.exec(s);
  return (m ? m[1]! : s.split(/\s/)[0] ?? '').trim();
};

export async function startSmtpCatcher(opts: SmtpCatcherOptions = {}): Promise<SmtpCatcher> {
  const outbox = path.resolve(opts.outbox ?? path.join(process.cwd(), '.plantwire', 'outbox'));
  fs.mkdirSync(outbox, { recursive: true, mode: 0o700 });
  const maxSize = opts.maxSize ?? 10 * 1024 * 1024;
  const keep = opts.keep ?? 1000;
  const hostname = opts.hostname ?? 'plantwire-smtp-catcher';
  const list: CaughtMail[] = [];
  const listeners = new Set<(m: CaughtMail) => void>();
  const sockets = new Set<net.Socket>();
  let seq = 0;

  // The mails of earlier runs still in the outbox come first in the list (the page shows them after a restart).
  const earlier = fs
    .readdirSync(outbox)
    .filter((f) => /^[A-Za-z0-9-]+\.eml$/.test(f))
    .sort()
    .slice(-keep);
  for (const f of earlier) {
    const file = path.join(outbox, f);
    try {
      const text = fs.readFileSync(file, 'utf8');
      const stat = fs.statSync(file);
      const to = headerOf(text, 'X-Plantwire-Envelope-To');
      list.push({
        id: f.slice(0, -4),
        file,
        receivedAt: stat.mtime.toISOString(),
        from: addr(headerOf(text, 'Return-Path')),
        to: to ? to.split(/,\s*/) : [],
        subject: headerOf(text, 'Subject'),
        size: stat.size,
        user: '',
        authMethod: '',
      });
    } catch {
      // A file that went away or cannot be read is not listed.
    }
  }

  const store = (raw: Buffer, env: { from: string; to: string[]; user: string; method: string }): CaughtMail => {
    seq += 1;
    const now = new Date();
    const id = `${now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 20)}-${process.pid}-${seq}`;
    const file = path.join(outbox, `${id}.eml`);
    // Envelope as Return-Path / X-Plantwire-Envelope-To so Bcc recipients are visible in the file.
    const head = `Return-Path: <${env.from}>\r\nX-Plantwire-Envelope-To: ${env.to.join(', ')}\r\n`;
    fs.writeFileSync(file, Buffer.concat([Buffer.from(head), raw]), { mode: 0o600 });
    const text = raw.toString('utf8');
    const mail: CaughtMail = { id, file, receivedAt: now.toISOString(), from: env.from, to: env.to, subject: headerOf(text, 'Subject'), size: raw.length, user: env.user, authMethod: env.method };
    list.push(mail);
    if (list.length > keep) list.splice(0, list.length - keep);
    opts.log?.(`mail from <${env.from}> to ${env.to.map((t) => `<${t}>`).join(', ')}: ${mail.subject} → ${file}`);
    for (const l of listeners) l(mail);
    return mail;
  };

  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setTimeout(5 * 60_000, () => socket.destroy());
    let buf: Buffer = Buffer.alloc(0);
    let from: string | null = null;
    let to: string[] = [];
    let user = '';
    let method = '';
    let inData = false;
    let data: Buffer[] = [];
    let dataSize = 0;
    let tooBig = false;
    let authStep: null | { method: 'LOGIN-user' | 'LOGIN-pass' | 'PLAIN' | 'XOAUTH2' } = null;
    const reply = (line: string): void => {
      if (!socket.destroyed) socket.write(`${line}\r\n`);
    };
    const reset = (): void => {
      from = null;
      to = [];
      data = [];
      dataSize = 0;
      tooBig = false;
    };
    const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8');
    const acceptAuth = (m: string, u: string): void => {
      user = u;
      method = m;
      authStep = null;
      reply('235 2.7.0 Authentication successful');
    };
    const plain = (arg: string): void => {
      const parts = b64(arg).split('\u0000');
      acceptAuth('PLAIN', parts[1] ?? '');
    };
    const xoauth = (arg: string): void => {
      const m = /user=([^\u0001]*)/.exec(b64(arg));
      acceptAuth('XOAUTH2', m ? m[1]! : '');
    };
    const command = (line: string): void => {
      if (authStep) {
        const step = authStep.method;
        if (line === '*') {
          authStep = null;
          reply('501 5.7.0 Authentication cancelled');
        } else if (step === 'PLAIN') plain(line);
        else if (step === 'XOAUTH2') xoauth(line);
        else if (step === 'LOGIN-user') {
          user = b64(line);
          authStep = { method: 'LOGIN-pass' };
          reply('334 UGFzc3dvcmQ6');
        } else acceptAuth('LOGIN', user);
        return;
      }
      const [verbRaw = '', ...restParts] = line.split(' ');
      const verb = verbRaw.toUpperCase();
      const rest = restParts.join(' ');
      switch (verb) {
        case 'EHLO':
          reset();
          reply(`250-${hostname} hello`);
          reply(`250-SIZE ${maxSize}`);
          reply('250-8BITMIME');
          reply('250-SMTPUTF8');
          reply('250-AUTH PLAIN LOGIN XOAUTH2');
          reply('250 ENHANCEDSTATUSCODES');
          return;
        case 'HELO':
          reset();
          reply(`250 ${hostname}`);
          return;
        case 'AUTH': {
          const [mech = '', arg] = rest.split(' ');
          const m = mech.toUpperCase();
          if (m === 'PLAIN') {
            if (arg) plain(arg);
            else {
              authStep = { method: 'PLAIN' };
              reply('334 ');
            }
          } else if (m === 'LOGIN') {
            if (arg) {
              user = b64(arg);
              authStep = { method: 'LOGIN-pass' };
              reply('334 UGFzc3dvcmQ6');
            } else {
              authStep = { method: 'LOGIN-user' };
              reply('334 VXNlcm5hbWU6');
            }
          } else if (m === 'XOAUTH2') {
            if (arg) xoauth(arg);
            else {
              authStep = { method: 'XOAUTH2' };
              reply('334 ');
            }
          } else reply('504 5.5.4 Unrecognized authentication type');
          return;
        }
        case 'MAIL': {
          const m = /^FROM:\s*<([^>]*)>(.*)$/i.exec(rest);
          if (!m) return reply('501 5.5.4 Syntax: MAIL FROM:<address>');
          const size = /SIZE=(\d+)/i.exec(m[2] ?? '');
          if (size && Number(size[1]) > maxSize) return reply(`552 5.3.4 Message size exceeds fixed limit of ${maxSize} bytes`);
          reset();
          from = m[1]!;
          return reply('250 2.1.0 Ok');
        }
        case 'RCPT': {
          if (from === null) return reply('503 5.5.1 Error: need MAIL command');
          const m = /^TO:\s*(<[^>]*>|\S+)/i.exec(rest);
          if (!m) return reply('501 5.5.4 Syntax: RCPT TO:<address>');
          to.push(addr(m[1]!));
          return reply('250 2.1.5 Ok');
        }
        case 'DATA':
          if (from === null) return reply('503 5.5.1 Error: need MAIL command');
          if (to.length === 0) return reply('503 5.5.1 Error: need RCPT command');
          inData = true;
          data = [];
          dataSize = 0;
          tooBig = false;
          return reply('354 End data with <CR><LF>.<CR><LF>');
        case 'RSET':
          reset();
          return reply('250 2.0.0 Ok');
        case 'NOOP':
          return reply('250 2.0.0 Ok');
        case 'QUIT':
          reply('221 2.0.0 Bye');
          socket.end();
          return;
        case 'STARTTLS':
          return reply('502 5.5.1 STARTTLS not supported by the catcher');
        default:
          return reply('502 5.5.2 Error: command not recognized');
      }
    };
    const dataLine = (line: Buffer): void => {
      // line includes its CRLF (or LF)
      const bare = line.toString('latin1').replace(/\r?\n$/, '');
      if (bare === '.') {
        inData = false;
        if (tooBig) reply(`552 5.3.4 Message size exceeds fixed limit of ${maxSize} bytes`);
        else {
          const mail = store(Buffer.concat(data), { from: from ?? '', to, user, method });
          reply(`250 2.0.0 Ok: queued as ${mail.id}`);
        }
        from = null;
        to = [];
        data = [];
        return;
      }
      const unstuffed = line[0] === 0x2e ? line.subarray(1) : line;
      dataSize += unstuffed.length;
      if (dataSize > maxSize) {
        tooBig = true;
        data = [];
      } else if (!tooBig) data.push(unstuffed);
    };
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      let nl: number;
      while ((nl = buf.indexOf(0x0a)) >= 0) {
        const line = buf.subarray(0, nl + 1);
        buf = buf.subarray(nl + 1);
        if (inData) dataLine(line);
        else command(line.toString('utf8').replace(/\r?\n$/, ''));
      }
      // A command line without an end is bounded; data is bounded by the size limit.
      if (!inData && buf.length > 4096) {
        reply('500 5.5.2 Line too long');
        socket.destroy();
      }
    });
    reply(`220 ${hostname} ESMTP Plantwire SMTP catcher`);
  });

  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 2525, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as net.AddressInfo).port;

  let page: http.Server | null = null;
  let pageUrl = '';
  if (opts.httpPort !== undefined) {
    page = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/mails.json') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(list.map(({ file, ...m }) => ({ ...m, file: path.basename(file) }))));
        return;
      }
      const eml = /^\/mails\/([A-Za-z0-9-]+)\.eml$/.exec(url.pathname);
      if (eml) {
        const mail = list.find((m) => m.id === eml[1]);
        if (!mail || !fs.existsSync(mail.file)) {
          res.writeHead(404).end('not found');
          return;
        }
        res.writeHead(200, { 'content-type': 'message/rfc822', 'content-disposition': `inline; filename="${mail.id}.eml"` });
        fs.createReadStream(mail.file).pipe(res);
        return;
      }
      if (url.pathname !== '/') {
        res.writeHead(404).end('not found');
        return;
      }
      const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
      const rows = [...list]
        .reverse()
        .map((m) => `<tr><td>${esc(m.receivedAt)}</td><td>${esc(m.from)}</td><td>${esc(m.to.join(', '))}</td><td><a href="/mails/${esc(m.id)}.eml">${esc(m.subject || '(no subject)')}</a></td><td align="right">${m.size}</td></tr>`)
        .join('\n');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="10"><title>Plantwire SMTP catcher</title></head><body style="font-family:sans-serif">` +
          `<h1>Plantwire SMTP catcher</h1><p>${list.length} mail(s) received on ${esc(host)}:${port}; files in ${esc(outbox)}</p>` +
          `<table border="1" cellpadding="4" cellspacing="0"><tr><th>Received</th><th>From</th><th>To</th><th>Subject</th><th>Bytes</th></tr>${rows}</table></body></html>`,
      );
    });
    try {
      await new Promise<void>((resolve, reject) => {
        page!.once('error', reject);
        page!.listen(opts.httpPort, host, () => resolve());
      });
    } catch (err) {
      // The page's port is taken: do not leave the SMTP side listening.
      await new Promise<void>((r) => server.close(() => r()));
      throw err;
    }
    pageUrl = `http://${host}:${(page.address() as net.AddressInfo).port}/`;
  }

  return {
    host,
    port,
    outbox,
    pageUrl,
    mails: () => [...list],
    on: (_e, l) => void listeners.add(l),
    off: (_e, l) => void listeners.delete(l),
    async stop() {
      for (const s of sockets) s.destroy();
      await Promise.all([new Promise<void>((r) => server.close(() => r())), page ? new Promise<void>((r) => page!.close(() => r())) : undefined]);
    },
  };
}
