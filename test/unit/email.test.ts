import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { classifySmtpError } from '../../src/connectors/email/mailer';
import { alarmMail, mailGroups, type Alarm } from '../../src/connectors/email/alarm-mail';
import { MailScheduler, PartlyEmitted, RateLimiter } from '../../src/connectors/email/scheduler';
import { emailOutFields, smtpServerFields } from '../../src/connectors/email/fields';
import { emailOutSettings, smtpSettings, type EmailOutConfig } from '../../src/connectors/email/settings';
import { fieldOk } from '../../src/model/fields';
import { composeMail, escapeHtml, renderTemplate, samplesCsv, sampleRow } from '../../src/connectors/email/template';
import { CORE_NODE_TYPES } from '../../src/bundle/core-types';
import { plantwireModule } from '../../src/bundle/manifest';
import { validateFlows } from '../../src/bundle/validate';
import { localizeDemo } from '../../src/host/workspace';
import { decodeHeader, headerOf } from '../../src/sim/smtp-catcher';
import { makeSample } from '../../src/model/sample';

describe('mail templates', () => {
  it('renders variables, sections over lists, inverted sections, raw values and comments', () => {
    const ctx = { a: { b: 'x<y' }, list: [{ n: 1 }, { n: 2 }], none: [], flag: true };
    expect(renderTemplate('{{a.b}}|{{{a.b}}}|{{&a.b}}', ctx, { html: true })).toBe('x&lt;y|x<y|x<y');
    expect(renderTemplate('{{a.b}}', ctx)).toBe('x<y');
    expect(renderTemplate('{{#list}}[{{n}}]{{/list}}{{^none}}empty{{/none}}{{#flag}}!{{/flag}}{{! hidden }}', ctx)).toBe('[1][2]empty!');
    expect(renderTemplate('{{#list}}{{a.b}}{{/list}}', ctx), 'lookup walks outwards').toBe('x<yx<y');
    expect(renderTemplate('{{missing.deep}}-{{a.b.c}}', ctx)).toBe('-');
    expect(renderTemplate('{{#list}}{{.}}{{/list}}', { list: ['p', 'q'] })).toBe('pq');
  });

  it('renders as Mustache does: standalone section lines leave no blank lines, 0 and "" hide a section, objects show as JSON', () => {
    expect(renderTemplate('a\n{{#list}}\n- {{n}}\n{{/list}}\nb\n', { list: [{ n: 1 }, { n: 2 }] })).toBe('a\n- 1\n- 2\nb\n');
    expect(renderTemplate('{{#more}}more: {{more}}{{/more}}{{^more}}none{{/more}}', { more: 0 })).toBe('none');
    expect(renderTemplate('{{#more}}more: {{more}}{{/more}}', { more: 3 })).toBe('more: 3');
    expect(renderTemplate('{{#s}}x{{/s}}', { s: '' })).toBe('');
    expect(renderTemplate('{{p}}', { p: { a: 1 } })).toBe('{"a":1}');
    expect(() => renderTemplate('{{> other}}', {}, { field: 'subject' })).toThrow('subject: partials ({{> other}}) are not supported');
  });

  it('refuses broken templates naming the field', () => {
    expect(() => renderTemplate('{{#a}}x', {}, { field: 'subject' })).toThrow('subject: section {{#a}} is never closed with {{/a}}');
    expect(() => renderTemplate('{{a}', {}, { field: 'subject' })).toThrow(/never closed/);
    expect(() => renderTemplate('{{#a}}{{/b}}', {}, { field: 'HTML body' })).toThrow('HTML body: {{/b}} closes {{#a}}');
    expect(() => renderTemplate('{{a b}}', {}, { field: 'text body' })).toThrow(/is not a property path/);
    expect(() => renderTemplate('{{__proto__.x}}', {})).not.toThrow();
    expect(renderTemplate('{{constructor.name}}', {}), 'no prototype lookups').toBe('');
  });

  it('escapes every HTML-special character (property)', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const out = renderTemplate('<td>{{v}}</td>', { v: s }, { html: true });
        const inner = out.slice(4, -5);
        expect(inner).not.toMatch(/[<>"']/);
        expect(inner.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')).toBe(s);
        expect(escapeHtml(s)).toBe(inner);
      }),
    );
  });

  it('CSV: header, quoting, formula guard; one line per sample (property)', () => {
    const rows = [sampleRow(makeSample('a,b', 'say "hi"', { sourceTimestamp: 0 })), sampleRow(makeSample('=cmd', -3, { sourceTimestamp: 0, unit: 'bar' }))];
    expect(samplesCsv(rows)).toBe('tag,value,unit,quality,source_time,asset\r\n"a,b","say ""hi""",,good,1970-01-01T00:00:00.000Z,\r\n\'=cmd,-3,bar,good,1970-01-01T00:00:00.000Z,\r\n');
    fc.assert(
      fc.property(fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', 'x') }), { maxLength: 20 }), (tags) => {
        const csv = samplesCsv(tags.map((t) => sampleRow(makeSample(t || 't', 1, { sourceTimestamp: 0 }))));
        // Quoted newlines do not count: count records by a parser-free check of quote parity per CRLF split.
        let records = 0;
        let open = false;
        for (const part of csv.split('\r\n').slice(0, -1)) {
          if (!open) records += 1;
          if ((part.match(/"/g) ?? []).length % 2 === 1) open = !open;
        }
        expect(records).toBe(tags.length + 1);
      }),
    );
  });

  it('composes subject (one line), body and attachment for single alarms and digests', () => {
    const s1 = makeSample('Line1/Alarms/Jam', true, { sourceTimestamp: '2026-01-05T08:00:00.000Z' });
    const s2 = makeSample('Line2/Alarms/Jam', true, { sourceTimestamp: '2026-01-05T08:05:00.000Z' });
    const t = { subject: '', html: '', text: '', maxRows: 1, csv: true };
    const one = composeMail([{ samples: [s1] }], t, 'Hamburg');
    expect(one.subject).toBe('[Hamburg] Line1/Alarms/Jam = true');
    const two = composeMail([{ samples: [s1] }, { samples: [s2] }], t, 'Hamburg');
    expect(two.subject).toBe('[Hamburg] 2 alarm(s) 2026-01-05T08:00:00.000Z – 2026-01-05T08:05:00.000Z');
    expect(two.html).toContain('… and 1 more row(s)');
    expect(two.attachments[0]!.content.split('\r\n').length).toBe(4);
    const evil = composeMail([{ samples: [makeSample('a\r\nBcc: x@evil.com', 1)] }], t);
    expect(evil.subject).not.toMatch(/[\r\n]/);
  });
});

describe('rate limiter and scheduler', () => {
  it('the rate limiter allows a burst of N and never more than N in any window of one period (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 100, max: 10_000 }), fc.array(fc.integer({ min: 0, max: 2000 }), { minLength: 1, maxLength: 200 }), (n, period, gaps) => {
        const b = new RateLimiter(n, period);
        let t = 0;
        const taken: number[] = [];
        const refused: number[] = [];
        for (const g of gaps) {
          t += g;
          if (b.take(t)) taken.push(t);
          else refused.push(t);
        }
        for (let i = 0; i < taken.length; i++) {
          const inWindow = taken.filter((x) => x >= taken[i]! && x < taken[i]! + period).length;
          expect(inWindow).toBeLessThanOrEqual(n);
        }
        // And it is not stingier than that: a take is refused only when N were taken in the last period.
        for (const r of refused) expect(taken.filter((x) => x > r - period && x <= r).length).toBe(n);
      }),
    );
  });

  it('each mode: sends while the rate allows, folds the rest into one mail when a token is back; nothing lost', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const mails: number[][] = [];
      const s = new MailScheduler<number>({ mode: 'each', digestMs: 0, rateCount: 2, ratePeriodMs: 1000, now: () => now, emit: async (b) => void mails.push(b) });
      for (let i = 0; i < 10; i++) await s.add(i);
      expect(mails).toEqual([[0], [1]]);
      expect(s.pendingCount).toBe(8);
      expect(s.nextAt).toBe(1000);
      now = 999;
      await vi.advanceTimersByTimeAsync(999);
      expect(mails.length).toBe(2);
      now = 1000;
      await vi.advanceTimersByTimeAsync(1);
      expect(mails).toEqual([[0], [1], [2, 3, 4, 5, 6, 7, 8, 9]]);
      expect(s.pendingCount).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('digest mode: one mail per window; a failed hand-over keeps the items for the next mail', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const mails: number[][] = [];
      let fail = true;
      const s = new MailScheduler<number>({
        mode: 'digest',
        digestMs: 60_000,
        rateCount: 10,
        ratePeriodMs: 60_000,
        now: () => now,
        emit: async (b) => {
          if (fail) throw new Error('buffer full');
          mails.push(b);
        },
        onEmitError: () => undefined,
      });
      for (let i = 0; i < 200; i++) await s.add(i);
      expect(mails).toEqual([]);
      now = 60_000;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(s.pendingCount).toBe(200);
      fail = false;
      await s.add(200);
      now = 120_000;
      await vi.advanceTimersByTimeAsync(60_000);
      expect(mails.length).toBe(1);
      expect(mails[0]).toEqual(Array.from({ length: 201 }, (_, i) => i));
      expect(s.drain()).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('scheduler: a batch handed over in part', () => {
  it('only the items not handed over go back to pending (the others are not mailed again); "each" mode reports the refusal itself', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const handed: number[][] = [];
      const errors: unknown[] = [];
      let room = 1;
      // One "mail" per group of ten (the recipient groups); the queue takes `room` of them.
      const s = new MailScheduler<number>({
        mode: 'digest',
        digestMs: 1000,
        rateCount: 10,
        ratePeriodMs: 1000,
        now: () => now,
        emit: async (b) => {
          const groups = [...new Set(b.map((i) => Math.floor(i / 10)))].map((g) => b.filter((i) => Math.floor(i / 10) === g));
          for (let k = 0; k < groups.length; k++) {
            if (room === 0) throw new PartlyEmitted(groups.slice(k).flat(), new Error('buffer full'));
            room -= 1;
            handed.push(groups[k]!);
          }
        },
        onEmitError: (err) => errors.push(err),
      });
      for (const i of [0, 1, 10, 11, 20]) await s.add(i);
      now = 1000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(handed).toEqual([[0, 1]]);
      expect(s.pendingCount, 'the groups not handed over wait').toBe(3);
      expect((errors[0] as Error).message, 'the reason is reported, not the wrapper').toBe('buffer full');
      room = 10;
      await s.add(21);
      now = 2000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(handed, 'group 0 is not handed over again').toEqual([[0, 1], [10, 11], [20, 21]]);
      expect(s.drain()).toEqual([]);
      // "each": the item sent at once is refused to the caller with the reason itself.
      const reason = Object.assign(new Error('the buffer is full'), { code: 'buffer-full' });
      const each = new MailScheduler<number>({ mode: 'each', digestMs: 0, rateCount: 5, ratePeriodMs: 1000, now: () => now, emit: async (b) => Promise.reject(new PartlyEmitted(b, reason)) });
      await expect(each.add(1)).rejects.toBe(reason);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('scheduler restore', () => {
  it('alarms left from before a restart go out with the next free slot, ahead of new ones', async () => {
    vi.useFakeTimers();
    try {
      let now = 0;
      const mails: number[][] = [];
      const s = new MailScheduler<number>({ mode: 'digest', digestMs: 3_600_000, rateCount: 1, ratePeriodMs: 1000, now: () => now, emit: async (b) => void mails.push(b) });
      s.restore([1, 2, 3]);
      await s.add(4);
      expect(s.nextAt).toBe(0);
      await vi.advanceTimersByTimeAsync(0);
      expect(mails).toEqual([[1, 2, 3, 4]]);
      s.restore([5]);
      expect(s.nextAt, 'the rate limit still holds').toBe(1000);
      now = 1000;
      await vi.advanceTimersByTimeAsync(1000);
      expect(mails).toEqual([[1, 2, 3, 4], [5]]);
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('settings', () => {
  it('SMTP: defaults, presets and what is missing', () => {
    expect(smtpSettings({ host: 'smtp.office365.com' }, {})).toMatchObject({ port: 587, security: 'starttls', requireTLS: true, auth: { type: 'none' } });
    expect(smtpSettings({ host: 'h', security: 'tls' }, {}).port).toBe(465);
    const ms = smtpSettings({ host: 'smtp.office365.com', authType: 'oauth2', oauthPreset: 'microsoft', tenant: 'contoso.onmicrosoft.com' }, { user: 'alarms@contoso.com', clientId: 'c', refreshToken: 'r' });
    expect(ms.auth).toMatchObject({ type: 'oauth2', accessUrl: 'https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token', scope: 'https://outlook.office.com/SMTP.Send offline_access' });
    expect(ms.from).toBe('alarms@contoso.com');
    const g = smtpSettings({ host: 'smtp.gmail.com', authType: 'oauth2', oauthPreset: 'google' }, { user: 'a@gmail.com', clientId: 'c', refreshToken: 'r' });
    expect(g.auth).toMatchObject({ accessUrl: 'https://oauth2.googleapis.com/token' });
    expect(() => smtpSettings({ host: '' }, {})).toThrow(/host: give the SMTP server's host name/);
    expect(() => smtpSettings({ host: 'h', authType: 'password' }, { user: 'u' })).toThrow(/password authentication needs a password/);
    expect(() => smtpSettings({ host: 'h', authType: 'oauth2', oauthPreset: 'google' }, { user: 'u@x.y', clientId: 'c' })).toThrow(/needs a refresh token/);
    expect(() => smtpSettings({ host: 'h', port: 70000 }, {})).toThrow(/port must be at most 65535/);
  });

  it('SMTP field spec: the dialog refuses what the deploy refuses, with the same texts at deploy', () => {
    const f = smtpServerFields.fields;
    const saved = { host: '127.0.0.1', port: 2525, security: 'none', authType: 'oauth2', oauthPreset: 'custom' };
    expect(fieldOk(f.host, 'smtp.example.com', saved)).toBe(true);
    expect(fieldOk(f.host, 'smtp.example.com:25', saved)).toBe(false);
    expect(fieldOk(f.port, '70000', saved)).toBe(false);
    expect(fieldOk(f.accessUrl, 'ftp://x', saved)).toBe(false);
    expect(fieldOk(f.accessUrl, 'ftp://x', { ...saved, oauthPreset: 'google' })).toBe(true);
    expect(fieldOk(f.from, ' Plant <plant@example.com> ', saved)).toBe(true);
    expect(fieldOk(f.from, 'plant', saved)).toBe(false);
    expect(fieldOk(f.tenant, 'contoso onmicrosoft', { ...saved, oauthPreset: 'microsoft' })).toBe(false);
    // The dialog takes an environment variable for the port (test/unit/fields.test.ts); Node-RED puts its value in at deploy, where the rule applies.
    expect(() => smtpSettings({ host: 'h', port: '${SMTP_PORT}' }, {})).toThrow(/port must be a number/);
    expect(() => smtpSettings({ host: 'h', security: 'maybe' }, {})).toThrow('security must be starttls, tls, none (STARTTLS when offered) or off (no TLS at all), got "maybe"');
    expect(() => smtpSettings({ host: 'h', authType: 'kerberos' }, {})).toThrow('authentication must be none, password or oauth2, got "kerberos"');
    expect(() => smtpSettings({ host: 'h', authType: 'oauth2', oauthPreset: 'yahoo' }, {})).toThrow('OAuth2 provider must be microsoft, google or custom, got "yahoo"');
    expect(() => smtpSettings({ host: 'h', authType: 'oauth2', oauthPreset: 'custom', accessUrl: 'x' }, { user: 'a@b.c', clientId: 'c', refreshToken: 'r' })).toThrow(/^token URL: give the OAuth2 token endpoint/);
    expect(() => smtpSettings({ host: 'h', authType: 'oauth2', oauthPreset: 'microsoft', tenant: 'a b' }, { user: 'a@b.c', clientId: 'c', refreshToken: 'r' })).toThrow(/tenant: "a b" is not a tenant id/);
    expect(() => smtpSettings({ host: 'h', from: 'plant' }, {})).toThrow(/from: "plant" is not a mail address/);
    expect(() => smtpSettings({ host: 'h', maxConnections: 21 }, {})).toThrow(/connections must be at most 20/);
    expect(smtpSettings({ host: 'h', timeout: '' }, {}).timeoutMs).toBe(30_000);
  });

  it('email-out field spec: the dialog refuses what the deploy refuses (fixed recipients, cc, subject braces, numbers)', () => {
    const f = emailOutFields.fields;
    expect(fieldOk(f.to, 'shift lead', { toType: 'str' }, 'str')).toBe(false);
    expect(fieldOk(f.to, 'shift-lead@example.com, Maintenance <maint@example.com>', { toType: 'str' }, 'str')).toBe(true);
    expect(fieldOk(f.to, 'recipients', { toType: 'msg' }, 'msg')).toBe(true);
    expect(fieldOk(f.to, '', { toType: 'msg' }, 'msg')).toBe(false);
    expect(fieldOk(f.cc, 'shift lead', {})).toBe(false);
    expect(fieldOk(f.subject, 'Alarm {{topic', { subjectType: 'str' }, 'str')).toBe(false);
    expect(fieldOk(f.rateCount, '1.5', {})).toBe(false);
    expect(fieldOk(f.bufferMaxEntries, '0', {})).toBe(false);
    expect(() => emailOutSettings({ to: 'a@example.com', subject: 'Alarm\nsecond line' })).toThrow('subject must be one line with every {{ closed by }}, got "Alarm\\nsecond line"');
    expect(() => emailOutSettings({ to: 'a@example.com', bufferOverflow: 'spill' } as EmailOutConfig)).toThrow(/buffer overflow policy must be one of drop-oldest, drop-newest, reject/);
  });

  it('email-out: recipients, mode and numbers', () => {
    expect(emailOutSettings({ to: 'a@example.com; Shift <b@example.com>' })).toMatchObject({ to: ['a@example.com', 'Shift <b@example.com>'], mode: 'each', digestMs: 300_000, rateCount: 10, ratePeriodMs: 3_600_000 });
    expect(() => emailOutSettings({ to: '' })).toThrow(/to: give at least one recipient/);
    expect(() => emailOutSettings({ to: 'a@b.c', mode: 'flood' })).toThrow(/mode must be "each"/);
    expect(() => emailOutSettings({ to: 'a@b.c', rateCount: 0 })).toThrow(/rate limit \(mails\) must be at least 1/);
  });
});

describe('SMTP error classification', () => {
  const err = (props: Record<string, unknown>, message = 'x'): Error => Object.assign(new Error(message), props);
  it('5xx and refused logins are permanent, 4xx and network errors transient, refresh-token refusals say to re-consent', () => {
    expect(classifySmtpError(err({ code: 'EENVELOPE', responseCode: 550, response: '550 5.1.1 mailbox unknown' }), 'h:25')).toMatchObject({ permanent: true, status: 'recipient or sender refused: 550' });
    expect(classifySmtpError(err({ code: 'EAUTH', responseCode: 535, response: '535 5.7.8 bad credentials' }), 'h:25').message).toBe('login refused permanently by h:25: 535 5.7.8 bad credentials');
    expect(classifySmtpError(err({ code: 'EENVELOPE', responseCode: 451, response: '451 try later' }), 'h').permanent).toBe(false);
    expect(classifySmtpError(err({ code: 'ESOCKET' }, 'connect ECONNREFUSED 127.0.0.1:25'), 'h')).toMatchObject({ permanent: false, status: 'SMTP server refused connection' });
    const oauth = classifySmtpError(err({ code: 'EAUTH', command: 'AUTH XOAUTH2' }, 'invalid_grant: AADSTS700082: The refresh token has expired'), 'h');
    expect(oauth).toMatchObject({ permanent: true, status: 'OAuth2: refresh token refused' });
    expect(oauth.message).toMatch(/^OAuth2: refresh token refused — re-consent/);
    expect(classifySmtpError(err({ code: 'EOAUTH2' }, 'connect ECONNREFUSED 127.0.0.1:443'), 'h').permanent).toBe(false);
  });
});

describe('demo localisation', () => {
  it('points the demo\'s SMTP server node at the catcher\'s real port, and leaves other SMTP servers alone', () => {
    const demo = JSON.stringify([
      { id: 'a', type: 'plantwire-smtp-server', host: '127.0.0.1', port: 2525 },
      { id: 'b', type: 'plantwire-smtp-server', host: 'smtp.office365.com', port: 587 },
    ]);
    const out = JSON.parse(localizeDemo(demo, { smtpPort: 40123 })) as Array<{ id: string; port: number }>;
    expect(out.map((n) => n.port)).toEqual([40123, 587]);
    expect(localizeDemo(demo, { smtpPort: 2525 })).toBe(demo);
  });
});

describe('SMTP catcher header parsing', () => {
  it('unfolds headers and decodes RFC 2047 B and Q words (adjacent words joined)', () => {
    const raw = 'From: a@example.com\r\nSubject: =?UTF-8?B?RsO8bGxzdGFuZA==?=\r\n =?UTF-8?Q?_hoch_=E2=80=93_Linie_1?=\r\nX: y\r\n\r\nSubject: body';
    expect(headerOf(raw, 'Subject')).toBe('Füllstand hoch – Linie 1');
    expect(headerOf(raw, 'x')).toBe('y');
    expect(headerOf(raw, 'Missing')).toBe('');
    expect(decodeHeader('plain text')).toBe('plain text');
    expect(decodeHeader('=?ISO-8859-1?Q?K=E4se?=')).toBe('Käse');
  });
});

describe('bundle validation rules', () => {
  const validate = (flows: unknown[]) => validateFlows({ flows, flowsFile: 'flows.json', env: { prod: { ALARM_TO: 'shift@example.com' } }, known: { core: CORE_NODE_TYPES, modules: [plantwireModule()] } }).filter((p) => p.severity === 'error');
  const tab = { id: 'tab1', type: 'tab', label: 'x' };
  const smtp = { id: 's1', type: 'plantwire-smtp-server', host: 'smtp.office365.com', port: 587 };
  const out = (extra: Record<string, unknown> = {}) => ({ id: 'e1', type: 'plantwire-email-out', z: 'tab1', server: 's1', to: 'a@example.com', x: 1, y: 1, wires: [], ...extra });
  it('accepts a good email-out, refuses a missing server, a bad address and a bad SMTP host', () => {
    expect(validate([tab, smtp, out()])).toEqual([]);
    expect(validate([tab, smtp, out({ to: '${ALARM_TO}' })]), 'environment variables are resolved at deploy time').toEqual([]);
    expect(validate([tab, out({ server: '' })]).map((p) => p.field)).toContain('server');
    const bad = validate([tab, smtp, out({ to: 'nobody' })]);
    expect(bad.map((p) => [p.field, p.message])).toEqual([['to', 'to: "nobody" is not a mail address (name@example.com or Name <name@example.com>)']]);
    expect(validate([tab, { ...smtp, host: '' }, out()]).map((p) => p.field)).toEqual(['host']);
  });
});

describe('alarm mails: one per recipient list and subject', () => {
  const settings = emailOutSettings({ to: 'ops@plant.example', from: 'plant@plant.example', mode: 'digest' } as never);
  const alarm = (tag: string, to?: string[], subject?: string): Alarm => ({ samples: [{ tag, value: 1, quality: 'good', ts: '2026-12-05T10:00:00.000Z' } as never], payload: 1, ...(to ? { to } : {}), ...(subject ? { subject } : {}) });

  it('groups alarms by what was read from the message, in order of first appearance', () => {
    const batch = [alarm('a'), alarm('b', ['x@plant.example']), alarm('c'), alarm('d', ['x@plant.example'], 'S {{first.tag}}'), alarm('e', ['x@plant.example'])];
    const groups = mailGroups(batch, (a) => a);
    expect(groups.map((g) => g.map((a) => a.samples[0]!.tag))).toEqual([['a', 'c'], ['b', 'e'], ['d']]);
  });

  it("one group's mail goes to its recipients with its subject; the node's settings fill the rest", () => {
    const own = alarmMail([alarm('a'), alarm('c')], settings, 'Line 1');
    expect(own.to).toEqual(['ops@plant.example']);
    expect(own.from).toBe('plant@plant.example');
    expect(own.messageId).toMatch(/^<[0-9a-f-]{36}@plantwire>$/);
    const theirs = alarmMail([alarm('d', ['x@plant.example'], 'S {{first.tag}}')], settings, 'Line 1');
    expect(theirs.to).toEqual(['x@plant.example']);
    expect(theirs.subject).toBe('S d');
    expect(alarmMail([alarm('a')], settings, 'Line 1').messageId, 'a new Message-ID per mail').not.toBe(own.messageId);
  });
});
