#!/usr/bin/env node
// Alarm mail benchmark: mails/s from Plantwire's SmtpMailer (pooled nodemailer
// transport + error classification) into the SMTP catcher, beside a bare
// nodemailer pooled sendMail loop into the same catcher in the same run (the
// floor), and the cost of composing a digest (template rendering, HTML
// escaping, CSV) per mail for 1, 200 and 5,000 rows.
//
//   npm run bench:email                       (builds dist/ if needed)
//   node bench/email.mjs --mails 500 --rounds 3
//
// Prints one JSON object (median of the rounds).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const nodemailer = require('nodemailer');
const { startSmtpCatcher } = require(path.join(root, 'dist/src/sim/smtp-catcher.js'));
const { SmtpMailer } = require(path.join(root, 'dist/src/connectors/email/mailer.js'));
const { smtpSettings } = require(path.join(root, 'dist/src/connectors/email/settings.js'));
const { composeMail } = require(path.join(root, 'dist/src/connectors/email/template.js'));

const { values: args } = parseArgs({ options: { mails: { type: 'string' }, rounds: { type: 'string' } } });
const MAILS = Number(args.mails ?? 500);
const ROUNDS = Number(args.rounds ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n * 1000) / ms);

const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-email-'));
const catcher = await startSmtpCatcher({ port: 0, outbox, keep: 10 });
const samples = (n) => Array.from({ length: n }, (_, i) => ({ tag: `Line1/Alarms/A${i}`, value: i % 2 === 0, unit: '', quality: 'good', sourceTimestamp: new Date(1767600000000 + i).toISOString(), asset: 'acme/hamburg/line1' }));
const templates = { subject: '', html: '', text: '', maxRows: 500, csv: true };
const oneMail = composeMail([{ samples: samples(1) }], templates);

async function loop(send) {
  const t0 = performance.now();
  // Two in flight, like the pool's two connections.
  let next = 0;
  await Promise.all([0, 1].map(async () => {
    while (next < MAILS) {
      next += 1;
      await send();
    }
  }));
  return rate(MAILS, performance.now() - t0);
}

const bare = [];
const plantwire = [];
for (let r = 0; r < ROUNDS; r++) {
  const t = nodemailer.createTransport({ pool: true, maxConnections: 2, host: '127.0.0.1', port: catcher.port, ignoreTLS: true });
  bare.push(await loop(() => t.sendMail({ from: 'plant@example.com', to: ['shift@example.com'], subject: oneMail.subject, html: oneMail.html, text: oneMail.text, attachments: oneMail.attachments })));
  t.close();
  const m = new SmtpMailer(smtpSettings({ host: '127.0.0.1', port: catcher.port, security: 'none', from: 'plant@example.com', maxConnections: 2 }, {}));
  plantwire.push(await loop(() => m.send({ from: '', to: ['shift@example.com'], ...oneMail })));
  m.close();
}

const compose = {};
for (const rows of [1, 200, 5000]) {
  const batch = [{ samples: samples(rows) }];
  const n = rows >= 5000 ? 20 : 200;
  const times = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) composeMail(batch, templates);
    times.push((performance.now() - t0) / n);
  }
  compose[`${rows} rows`] = `${median(times).toFixed(3)} ms/mail`;
}

await catcher.stop();
fs.rmSync(outbox, { recursive: true, force: true });
console.log(JSON.stringify({
  mails: MAILS,
  rounds: ROUNDS,
  'bare nodemailer pool → catcher (mails/s)': median(bare),
  'SmtpMailer → catcher (mails/s)': median(plantwire),
  'SmtpMailer / bare': Number((median(plantwire) / median(bare)).toFixed(2)),
  compose,
}, null, 2));
