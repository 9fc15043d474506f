/**
 * Mail templates: a small, dependency-free subset of Mustache, and the
 * default alarm mail (an HTML table of the tag samples, a plain-text
 * alternative and an optional CSV attachment of the batch).
 *
 * Template syntax (Mustache semantics, no partials, no lambdas):
 *   {{path}}          value at a dotted path, e.g. {{first.tag}}, {{samples.0.value}};
 *                     HTML-escaped in HTML templates, as-is in subject and text
 *   {{{path}}}        never escaped
 *   {{#path}}…{{/path}}  a list: repeated per element (the element becomes the context);
 *                     any other truthy value: rendered once with it pushed as context
 *   {{^path}}…{{/path}}  rendered when path is missing, false or an empty list
 *   {{.}}             the current element
 *   {{! comment }}    left out
 * Lookup walks the context stack outwards, like Mustache.
 */
import { PlantwireError } from '../../model/errors';
import type { TagSample } from '../../model/sample';

type Node =
  | { t: 'text'; v: string }
  | { t: 'var'; path: string; raw: boolean }
  | { t: 'section'; path: string; inverted: boolean; children: Node[] };

const cache = new Map<string, Node[]>();

/** Parses a template; throws a PlantwireError naming the problem (unclosed section, bad tag). */
export function parseTemplate(src: string, field = 'template'): Node[] {
  const hit = cache.get(src);
  if (hit) return hit;
  const root: Node[] = [];
  const stack: Array<{ path: string; children: Node[] }> = [{ path: '', children: root }];
  let i = 0;
  while (i < src.length) {
    const open = src.indexOf('{{', i);
    if (open < 0) {
      stack.at(-1)!.children.push({ t: 'text', v: src.slice(i) });
      break;
    }
    if (open > i) stack.at(-1)!.children.push({ t: 'text', v: src.slice(i, open) });
    const triple = src.startsWith('{{{', open);
    const close = src.indexOf(triple ? '}}}' : '}}', open + (triple ? 3 : 2));
    if (close < 0) throw new PlantwireError('bad-template', `${field}: "{{" at position ${open} is never closed with "}}"`, `${field}: unclosed {{`);
    const body = src.slice(open + (triple ? 3 : 2), close).trim();
    i = close + (triple ? 3 : 2);
    if (triple) {
      stack.at(-1)!.children.push({ t: 'var', path: checkPath(body, field), raw: true });
      continue;
    }
    const sigil = body[0];
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const node: Node = { t: 'section', path: checkPath(body.slice(1).trim(), field), inverted: sigil === '^', children: [] };
      stack.at(-1)!.children.push(node);
      stack.push({ path: node.path, children: node.children });
      continue;
    }
    if (sigil === '/') {
      const name = body.slice(1).trim();
      const top = stack.at(-1)!;
      if (stack.length === 1 || top.path !== name) {
        throw new PlantwireError('bad-template', `${field}: {{/${name}}} closes ${stack.length === 1 ? 'no open section' : `{{#${top.path}}}`}`, `${field}: section mismatch`);
      }
      stack.pop();
      continue;
    }
    if (sigil === '&') {
      stack.at(-1)!.children.push({ t: 'var', path: checkPath(body.slice(1).trim(), field), raw: true });
      continue;
    }
    stack.at(-1)!.children.push({ t: 'var', path: checkPath(body, field), raw: false });
  }
  if (stack.length > 1) throw new PlantwireError('bad-template', `${field}: section {{#${stack.at(-1)!.path}}} is never closed with {{/${stack.at(-1)!.path}}}`, `${field}: unclosed section`);
  if (cache.size > 200) cache.clear();
  cache.set(src, root);
  return root;
}

function checkPath(p: string, field: string): string {
  if (p === '.' || /^[A-Za-z_$][\w$-]*(\.[\w$-]+)*$/.test(p)) return p;
  throw new PlantwireError('bad-template', `${field}: "{{${p}}}" is not a property path (letters, digits, _ and dots, e.g. {{first.tag}})`, `${field}: bad {{${p.slice(0, 12)}}}`);
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function lookup(stack: unknown[], path: string): unknown {
  if (path === '.') return stack.at(-1);
  const [head, ...rest] = path.split('.');
  for (let i = stack.length - 1; i >= 0; i--) {
    const ctx = stack[i];
    if (ctx !== null && typeof ctx === 'object' && Object.prototype.hasOwnProperty.call(ctx, head!)) {
      let v: unknown = (ctx as Record<string, unknown>)[head!];
      for (const k of rest) {
        if (v === null || v === undefined || typeof v !== 'object') return undefined;
        if (!Object.prototype.hasOwnProperty.call(v, k)) return undefined;
        v = (v as Record<string, unknown>)[k];
      }
      return v;
    }
  }
  return undefined;
}

function show(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v);
  if (v instanceof Date) return v.toISOString();
  return JSON.stringify(v);
}

function renderNodes(nodes: Node[], stack: unknown[], html: boolean, out: string[]): void {
  for (const n of nodes) {
    if (n.t === 'text') out.push(n.v);
    else if (n.t === 'var') {
      const s = show(lookup(stack, n.path));
      out.push(html && !n.raw ? escapeHtml(s) : s);
    } else {
      const v = lookup(stack, n.path);
      const empty = v === undefined || v === null || v === false || v === '' || (Array.isArray(v) && v.length === 0);
      if (n.inverted) {
        if (empty) renderNodes(n.children, stack, html, out);
      } else if (!empty) {
        if (Array.isArray(v)) for (const item of v) renderNodes(n.children, [...stack, item], html, out);
        else renderNodes(n.children, typeof v === 'object' ? [...stack, v] : stack, html, out);
      }
    }
  }
}

/** Renders `template` with `context`; `html` escapes {{…}} values for HTML. */
export function renderTemplate(template: string, context: unknown, opts: { html?: boolean; field?: string } = {}): string {
  const out: string[] = [];
  renderNodes(parseTemplate(template, opts.field), [context], Boolean(opts.html), out);
  return out.join('');
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

function csvCell(s: string): string {
  // Formula injection guard: a cell starting with = + - @ is prefixed with ' (spreadsheet programs would run it).
  const safe = /^[=+\-@\t\r]/.test(s) && !/^-?\d/.test(s) ? `'${s}` : s;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The batch as CSV (RFC 4180, header row, CRLF). */
export function samplesCsv(rows: MailRow[]): string {
  const lines = ['tag,value,unit,quality,source_time,asset'];
  for (const r of rows) lines.push([r.tag, r.value, r.unit, r.quality, r.time, r.asset].map(csvCell).join(','));
  return `${lines.join('\r\n')}\r\n`;
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
