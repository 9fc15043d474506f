/**
 * Mail templates rendered by `mustache` (the field's Mustache
 * implementation: standalone section lines leave no blank lines, falsy values
 * such as 0 hide a section), and the default alarm mail (an HTML table of the
 * tag samples, a plain-text alternative and an optional CSV attachment of the
 * batch, written by the shared CSV writer of src/model/csv).
 *
 * Template syntax (Mustache, no partials, no lambdas — the view is data only):
 *   {{path}}          value at a dotted path, e.g. {{first.tag}}, {{samples.0.value}};
 *                     HTML-escaped in HTML templates, as-is in subject and text
 *   {{{path}}} / {{&path}}  never escaped
 *   {{#path}}…{{/path}}  a list: repeated per element; any other truthy value: rendered once with it as context
 *   {{^path}}…{{/path}}  rendered when path is missing, false, 0, "" or an empty list
 *   {{.}}             the current element
 *   {{! comment }}    left out
 * What this module adds: template errors as PlantwireErrors naming the field,
 * property paths checked at deploy, and a view copied into prototype-free
 * objects so `{{constructor.name}}` finds nothing.
 */
import Mustache from 'mustache';
import { PlantwireError } from '../../model/errors';
import { csvDocument } from '../../model/csv';
import type { TagSample } from '../../model/sample';

type Token = [string, string, number, number, ...unknown[]];

const checked = new Set<string>();

/** Parses (and caches, in mustache) a template; throws a PlantwireError naming the problem (unclosed section, bad tag). */
export function parseTemplate(src: string, field = 'template'): unknown[] {
  let tokens: Token[];
  try {
    tokens = Mustache.parse(src) as unknown as Token[];
  } catch (err) {
    throw templateError(src, field, (err as Error).message);
  }
  const key = `${field}\u0000${src}`;
  if (!checked.has(key)) {
    checkTokens(tokens, field);
    if (checked.size > 200) checked.clear();
    checked.add(key);
  }
  return tokens;
}

function checkTokens(tokens: Token[], field: string): void {
  for (const t of tokens) {
    const [type, value] = t;
    if (type === '>') throw new PlantwireError('bad-template', `${field}: partials ({{> ${value}}}) are not supported`, `${field}: no partials`);
    if (type === 'name' || type === '&' || type === '#' || type === '^') checkPath(value, field);
    const children = t[4];
    if ((type === '#' || type === '^') && Array.isArray(children)) checkTokens(children as Token[], field);
  }
}

function templateError(src: string, field: string, message: string): PlantwireError {
  let m = /^Unclosed tag at (\d+)/.exec(message);
  if (m) return new PlantwireError('bad-template', `${field}: "{{" before position ${m[1]} is never closed with "}}"`, `${field}: unclosed {{`);
  m = /^Unclosed section "(.*)" at (\d+)/.exec(message);
  if (m) {
    const at = Number(m[2]);
    const closing = /^\{\{\s*\/\s*(.*?)\s*\}\}/.exec(src.slice(at));
    if (at < src.length && closing) return new PlantwireError('bad-template', `${field}: {{/${closing[1]}}} closes {{#${m[1]}}}`, `${field}: section mismatch`);
    return new PlantwireError('bad-template', `${field}: section {{#${m[1]}}} is never closed with {{/${m[1]}}}`, `${field}: unclosed section`);
  }
  m = /^Unopened section "(.*)" at/.exec(message);
  if (m) return new PlantwireError('bad-template', `${field}: {{/${m[1]}}} closes no open section`, `${field}: section mismatch`);
  return new PlantwireError('bad-template', `${field}: ${message}`, `${field}: bad template`);
}

function checkPath(p: string, field: string): string {
  if (p === '.' || /^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/.test(p)) return p;
  throw new PlantwireError('bad-template', `${field}: "{{${p}}}" is not a property path (letters, digits, _ and dots, e.g. {{first.tag}})`, `${field}: bad {{${p.slice(0, 12)}}}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

/** The view as data only: objects without a prototype (no `constructor`, no functions), dates as ISO text. */
function dataView(v: unknown, depth = 0): unknown {
  if (depth > 32 || v === null || typeof v !== 'object') return typeof v === 'function' ? undefined : v;
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => dataView(x, depth + 1));
  if (Buffer.isBuffer(v)) return v.toString('base64');
  const out = Object.create(null) as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) out[k] = dataView(x, depth + 1);
  // A whole object shown with {{obj}} renders as JSON, not "[object Object]".
  Object.defineProperty(out, 'toString', { value: () => JSON.stringify(v), enumerable: false });
  return out;
}

/** Renders `template` with `context`; `html` escapes {{…}} values for HTML. */
export function renderTemplate(template: string, context: unknown, opts: { html?: boolean; field?: string } = {}): string {
  parseTemplate(template, opts.field);
  const escape = opts.html ? (v: unknown): string => escapeHtml(show(v)) : (v: unknown): string => show(v);
  return Mustache.render(template, dataView(context), {}, { escape });
}

/** One alarm row of a mail: a tag sample plus where it came from. */
export interface MailRow {
  tag: string;
  value: string;
  unit: string;
  quality: string;
  time: string;
  asset: string;
}

export function sampleRow(s: TagSample): MailRow {
  return { tag: s.tag, value: show(s.value), unit: s.unit ?? '', quality: s.quality, time: s.sourceTimestamp, asset: s.asset ?? '' };
}

/** What a template sees. */
export interface MailContext {
  /** The alarm rows of this mail (at most `maxRows` of them in the default HTML/text bodies). */
  samples: MailRow[];
  count: number;
  first: MailRow | undefined;
  /** The first input message's payload and topic (for single-message mails). */
  payload: unknown;
  topic: string;
  /** True when the mail folds several input messages (digest or rate-limit backlog). */
  digest: boolean;
  messages: number;
  /** The node's name, or "Plantwire". */
  source: string;
  from: string;
  to: string;
  /** Rows beyond `maxRows` left out of the table (all are in the CSV attachment). */
  more: number;
  shown: MailRow[];
}

export const DEFAULT_SUBJECT = '[{{source}}] {{#digest}}{{count}} alarm(s) {{from}} – {{to}}{{/digest}}{{^digest}}{{first.tag}} = {{first.value}}{{first.unit}}{{/digest}}';

export const DEFAULT_HTML = `<!doctype html>
<html><body style="font-family:Arial,Helvetica,sans-serif;font-size:14px">
<p>{{#digest}}{{count}} alarm(s) between {{from}} and {{to}}{{/digest}}{{^digest}}Alarm {{first.tag}}{{/digest}} (sent by {{source}}).</p>
<table cellpadding="4" cellspacing="0" border="1" style="border-collapse:collapse;border-color:#ccc">
<thead><tr style="background:#eee"><th align="left">Tag</th><th align="right">Value</th><th align="left">Unit</th><th align="left">Quality</th><th align="left">Source time (UTC)</th><th align="left">Asset</th></tr></thead>
<tbody>
{{#shown}}<tr><td>{{tag}}</td><td align="right">{{value}}</td><td>{{unit}}</td><td>{{quality}}</td><td>{{time}}</td><td>{{asset}}</td></tr>
{{/shown}}</tbody>
</table>
{{#more}}<p>… and {{more}} more row(s): see the CSV attachment.</p>{{/more}}
</body></html>
`;

export const DEFAULT_TEXT = `{{#digest}}{{count}} alarm(s) between {{from}} and {{to}}{{/digest}}{{^digest}}Alarm {{first.tag}}{{/digest}} (sent by {{source}}).

{{#shown}}- {{tag}} = {{value}}{{#unit}} {{unit}}{{/unit}} ({{quality}}) at {{time}}{{#asset}} [{{asset}}]{{/asset}}
{{/shown}}{{#more}}… and {{more}} more row(s): see the CSV attachment.
{{/more}}`;

/** The batch as CSV (RFC 4180, header row, CRLF, formula-injection guard): the shared writer. */
export function samplesCsv(rows: MailRow[]): string {
  return csvDocument(
    ['tag', 'value', 'unit', 'quality', 'source_time', 'asset'],
    rows.map((r) => [r.tag, r.value, r.unit, r.quality, r.time, r.asset]),
  );
}

export interface MailTemplates {
  subject: string;
  html: string;
  text: string;
  /** Rows shown in the body tables (all rows go into the CSV). */
  maxRows: number;
  csv: boolean;
}

export interface ComposedMail {
  subject: string;
  html: string;
  text: string;
  attachments: Array<{ filename: string; content: string; contentType: string }>;
}

/** Builds the mail for a batch of input messages (each with its samples). */
export function composeMail(batch: Array<{ samples: TagSample[]; payload?: unknown; topic?: string }>, t: MailTemplates, source = 'Plantwire'): ComposedMail {
  const rows = batch.flatMap((b) => b.samples.map(sampleRow));
  const times = rows.map((r) => r.time).sort();
  const shown = rows.slice(0, t.maxRows);
  const ctx: MailContext = {
    samples: rows,
    count: rows.length,
    first: rows[0],
    payload: batch[0]?.payload,
    topic: batch[0]?.topic ?? '',
    digest: rows.length > 1,
    messages: batch.length,
    source,
    from: times[0] ?? '',
    to: times.at(-1) ?? '',
    more: rows.length - shown.length,
    shown,
  };
  // Subjects are one line: a line break from a value would start a new header.
  const subject = renderTemplate(t.subject || DEFAULT_SUBJECT, ctx, { field: 'subject' }).replace(/[\r\n]+/g, ' ').trim();
  const mail: ComposedMail = {
    subject: subject || `[${source}] alarm`,
    html: renderTemplate(t.html || DEFAULT_HTML, ctx, { html: true, field: 'HTML body' }),
    text: renderTemplate(t.text || DEFAULT_TEXT, ctx, { field: 'text body' }),
    attachments: [],
  };
  if (t.csv) {
    const stamp = (times[0] ?? new Date().toISOString()).replace(/[:.]/g, '-');
    mail.attachments.push({ filename: `alarms-${stamp}.csv`, content: samplesCsv(rows), contentType: 'text/csv; charset=utf-8' });
  }
  return mail;
}
