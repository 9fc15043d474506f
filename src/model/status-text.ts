/**
 * The status vocabulary: every status text the runtime composes is English,
 * built from pieces joined by " · " ("avg per 1 min · 3 tags · 12 sent"). Each
 * piece is an entry of the `status` section of the locale files
 * (nodes/locales/<lang>.json: the catalogs of the palette's plantwire-status
 * plugin, written by scripts/build.mjs), written with Node-RED's `__name__` placeholders:
 * `"sent": "__count__ sent"`. The editor reads a status text back into key and
 * parameters with the English entries and shows it in the browser's language
 * (`RED._('<plugin namespace>:status.sent', {count: '12'})` → "12 gesendet"); flows (Status nodes)
 * keep the stable English text. Hand-written: Node-RED's editor translates a
 * status text only when the whole text is a message key, without parameters.
 *
 * No imports: scripts/build.mjs also compiles this file into the editor page.
 */

/** Key → English template, e.g. `{ sent: '__count__ sent' }`. */
export type StatusTemplates = Record<string, string>;

export interface CompiledStatusTemplate {
  key: string;
  template: string;
  re: RegExp;
  names: string[];
}

/** What separates the pieces of one status text. */
export const STATUS_SEPARATOR = ' · ';

const PARAM = /__([A-Za-z][A-Za-z0-9]*)__/g;

/**
 * Parameters that are always a number (en-US digits, "1,234" or "2.5"): they
 * match only digits, so "connection failed" is not read as "__count__ failed",
 * and the editor writes them in the reader's locale.
 */
export const NUMERIC_STATUS_PARAMS: ReadonlySet<string> = new Set(['count', 'failed', 'bad', 'dropped', 'online', 'passed', 'limit', 'pages', 'refused', 'rate', 'seconds', 'delay', 'seq', 'objects']);
const NUMBER = '(-?\\d[\\d,]*(?:\\.\\d+)?)';

/** Parameters that hold another status text (a reason: "refused: __why__"), translated in turn. */
export const NESTED_STATUS_PARAMS: ReadonlySet<string> = new Set(['why', 'detail', 'reason', 'what']);

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The `__name__` placeholders of a template, in order. */
export function templateParams(template: string): string[] {
  return [...template.matchAll(PARAM)].map((m) => m[1]!);
}

/**
 * One anchored pattern per template; the most specific (most literal text)
 * first, so "wrote __count__ tags" wins over "__count__ tags".
 */
export function compileStatusTemplates(templates: StatusTemplates): CompiledStatusTemplate[] {
  const out = Object.entries(templates).map(([key, template]) => {
    const names: string[] = [];
    let source = '';
    let last = 0;
    for (const m of template.matchAll(PARAM)) {
      source += escapeRegExp(template.slice(last, m.index));
      source += NUMERIC_STATUS_PARAMS.has(m[1]!) ? NUMBER : '(.+?)';
      names.push(m[1]!);
      last = m.index! + m[0].length;
    }
    source += escapeRegExp(template.slice(last));
    const literal = template.replace(PARAM, '').length;
    return { key, template, re: new RegExp(`^${source}$`), names, literal };
  });
  out.sort((a, b) => b.literal - a.literal || a.key.localeCompare(b.key));
  return out.map(({ key, template, re, names }) => ({ key, template, re, names }));
}

export interface StatusPiece {
  key: string;
  params: Record<string, string>;
}

/** The entry one piece of a status text matches, or null (a label, a server's own error text). */
export function matchStatusPiece(piece: string, compiled: CompiledStatusTemplate[]): StatusPiece | null {
  for (const c of compiled) {
    const m = c.re.exec(piece);
    if (!m) continue;
    const params: Record<string, string> = {};
    c.names.forEach((n, i) => {
      params[n] = m[i + 1]!;
    });
    return { key: c.key, params };
  }
  // A long text the runtime cut to 48 characters ("the broker closed the connection before accepti…").
  if (piece.endsWith('…') && piece.length > 12) {
    const head = piece.slice(0, -1);
    const whole = compiled.find((c) => c.names.length === 0 && c.template.startsWith(head));
    if (whole) return { key: whole.key, params: {} };
  }
  return null;
}

/** An en-US number ("1,234.5") in another locale ("1.234,5"); anything else unchanged. */
export function localizeNumber(text: string, locale: string): string {
  if (!/^-?\d{1,3}(,\d{3})*(\.\d+)?$|^-?\d+(\.\d+)?$/.test(text)) return text;
  const value = Number(text.replace(/,/g, ''));
  const decimals = /\.(\d+)$/.exec(text)?.[1]?.length ?? 0;
  return Number.isFinite(value) ? value.toLocaleString(locale, { minimumFractionDigits: decimals, maximumFractionDigits: decimals }) : text;
}

/**
 * A status text in another language: each piece that is an entry of the
 * vocabulary goes through `translate(key, params)` (null: keep the piece);
 * other pieces stay as they are.
 */
export function translateStatusText(
  text: string,
  compiled: CompiledStatusTemplate[],
  translate: (key: string, params: Record<string, string>) => string | null,
  locale?: string,
): string {
  const piece = (p: string, depth: number): string => {
    const hit = matchStatusPiece(p, compiled);
    if (!hit) return p;
    for (const n of Object.keys(hit.params)) {
      if (locale && NUMERIC_STATUS_PARAMS.has(n)) hit.params[n] = localizeNumber(hit.params[n]!, locale);
      // A reason is itself a status text ("refused: buffer full: message rejected"): translated the same way.
      else if (NESTED_STATUS_PARAMS.has(n) && depth < 2) hit.params[n] = piece(hit.params[n]!, depth + 1);
    }
    return translate(hit.key, hit.params) ?? p;
  };
  return text
    .split(STATUS_SEPARATOR)
    .map((p) => piece(p, 0))
    .join(STATUS_SEPARATOR);
}
