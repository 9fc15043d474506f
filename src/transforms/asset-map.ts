/**
 * plantwire-asset-map: maps tags to an ISA-95 asset hierarchy
 * (enterprise/site/area/line/cell) from a table, sets the sample's `asset`
 * and a UNS topic `enterprise/site/area/line/cell/<name>`. Pure.
 *
 * Matching: a rule's `match` is an exact tag (`Line1/Filler/Speed`) or a
 * glob where `*` matches within one path segment and `**` matches any number
 * of segments (`Line1/Filler/**`; `Line*` matches `Line1` and `Line2`). Exact rules win; otherwise
 * the FIRST matching pattern in table order wins.
 *
 * Name (the last topic level): the rule's `name` when set; else, for a
 * pattern ending in `/**`, the part of the tag matched by `**`
 * (`Line1/Filler/**` maps `Line1/Filler/Temp/PV` to `…/Temp/PV`); else the
 * tag's last segment.
 */
import { PlantwireError } from '../model/errors';
import type { TagSample } from '../model/sample';
import { withValue } from './samples';

export const LEVELS = ['enterprise', 'site', 'area', 'line', 'cell'] as const;
export type Level = (typeof LEVELS)[number];
export const COLUMNS = ['match', ...LEVELS, 'name'] as const;

export interface AssetRule {
  match: string;
  enterprise: string;
  site?: string;
  area?: string;
  line?: string;
  cell?: string;
  name?: string;
}

/** Limit of rules in one node (a table, not a database). */
export const MAX_RULES = 50_000;

function segmentProblem(value: string): string | undefined {
  if (value.includes('/')) return 'must not contain "/"';
  if (/[#+]/.test(value)) return 'must not contain MQTT wildcards "#" or "+"';
  if (value !== value.trim()) return 'must not start or end with spaces';
  return undefined;
}

/** Lists what is wrong with a table (one line per problem; empty = valid). */
export function assetRuleProblems(rules: unknown): string[] {
  if (!Array.isArray(rules)) return ['the asset table must be a list of rows'];
  if (rules.length > MAX_RULES) return [`the asset table has ${rules.length} rows; at most ${MAX_RULES} are supported`];
  const problems: string[] = [];
  const seen = new Map<string, number>();
  rules.forEach((r: unknown, i) => {
    const row = `row ${i + 1}`;
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      problems.push(`${row} must be an object with match, enterprise, site, area, line, cell, name`);
      return;
    }
    const o = r as Record<string, unknown>;
    for (const key of Object.keys(o)) if (!(COLUMNS as readonly string[]).includes(key)) problems.push(`${row}: unknown column "${key}" (columns: ${COLUMNS.join(', ')})`);
    for (const key of COLUMNS) if (o[key] !== undefined && typeof o[key] !== 'string') problems.push(`${row}: ${key} must be text, got ${typeof o[key]}`);
    const match = typeof o.match === 'string' ? o.match.trim() : '';
    if (!match) problems.push(`${row}: match is empty: enter a tag or a pattern such as Line1/Filler/**`);
    else if (/\*\*[^/]|[^/]\*\*/.test(match)) problems.push(`${row}: match "${match}": "**" must be a whole path segment (Line1/**/Speed)`);
    if (match) {
      const before = seen.get(match);
      if (before !== undefined) problems.push(`${row}: match "${match}" is already in row ${before}`);
      else seen.set(match, i + 1);
    }
    let gap: Level | undefined;
    for (const level of LEVELS) {
      const v = typeof o[level] === 'string' ? (o[level] as string) : '';
      if (v === '') {
        if (level === 'enterprise') problems.push(`${row}: enterprise is empty: every row needs at least the enterprise`);
        gap ??= level;
        continue;
      }
      if (gap) problems.push(`${row}: ${level} is set but ${gap} is empty: fill the ISA-95 levels from the enterprise down`);
      const p = segmentProblem(v);
      if (p) problems.push(`${row}: ${level} "${v}" ${p}`);
    }
    if (typeof o.name === 'string' && o.name !== '') {
      if (/[#+]/.test(o.name)) problems.push(`${row}: name "${o.name}" must not contain MQTT wildcards "#" or "+"`);
      if (/^\/|\/$|\/\//.test(o.name)) problems.push(`${row}: name "${o.name}" must not start or end with "/" or contain "//"`);
    }
  });
  return problems;
}

/** Throws one PlantwireError listing the table's problems. */
export function assertAssetRules(rules: unknown): AssetRule[] {
  const problems = assetRuleProblems(rules);
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new PlantwireError('bad-config', `asset table: ${problems.slice(0, 5).join('; ')}${more}`, problems[0]!);
  }
  return (rules as AssetRule[]).map((r) => {
    const out: AssetRule = { match: r.match.trim(), enterprise: r.enterprise };
    for (const k of ['site', 'area', 'line', 'cell', 'name'] as const) if (r[k]) out[k] = r[k];
    return out;
  });
}

// ------------------------------------------------------------------ import

/** Splits one CSV line (quotes with "" escapes) by `sep`. */
function csvCells(line: string, sep: string, lineNo: number): string[] {
  const cells: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quoted) {
      if (c === '"') {
        if (line[i + 1] === '"') {
          cur += '"';
          i++;
        } else quoted = false;
      } else cur += c;
    } else if (c === '"' && cur.trim() === '') {
      quoted = true;
      cur = '';
    } else if (c === sep) {
      cells.push(cur.trim());
      cur = '';
    } else cur += c;
  }
  if (quoted) throw new PlantwireError('bad-csv', `CSV line ${lineNo}: a quoted cell is not closed`, `CSV line ${lineNo}: open quote`);
  cells.push(cur.trim());
  return cells;
}

/**
 * Parses an asset table from CSV (`match,enterprise,site,area,line,cell,name`;
 * a header row in any column order, `,` or `;` separated; without a header
 * that order is assumed; `#` comment lines and blank lines are skipped) or
 * JSON (an array of rows, or `{ "rules": [...] }`). Validates the result.
 */
export function parseAssetTable(text: string, format: 'csv' | 'json' | 'auto' = 'auto'): AssetRule[] {
  const trimmed = text.replace(/^\uFEFF/, '').trim();
  if (trimmed === '') throw new PlantwireError('bad-import', 'the import is empty: paste CSV or JSON rows', 'empty import');
  const fmt = format === 'auto' ? (/^[[{]/.test(trimmed) ? 'json' : 'csv') : format;
  if (fmt === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(trimmed);
    } catch (err) {
      throw new PlantwireError('bad-json', `the JSON import is not valid JSON: ${(err as Error).message}`, 'invalid JSON');
    }
    const rows = Array.isArray(data) ? data : data !== null && typeof data === 'object' && Array.isArray((data as { rules?: unknown }).rules) ? (data as { rules: unknown[] }).rules : null;
    if (!rows) throw new PlantwireError('bad-json', 'the JSON import must be an array of rows or {"rules": [...]}', 'JSON must be an array');
    return assertAssetRules(rows);
  }
  const lines = trimmed.split(/\r?\n/);
  const first = lines.find((l) => l.trim() !== '' && !l.trim().startsWith('#')) ?? '';
  const sep = (first.match(/;/g)?.length ?? 0) > (first.match(/,/g)?.length ?? 0) ? ';' : ',';
  let columns: string[] = [...COLUMNS];
  const rows: AssetRule[] = [];
  let headerSeen = false;
  lines.forEach((line, idx) => {
    const lineNo = idx + 1;
    if (line.trim() === '' || line.trim().startsWith('#')) return;
    const cells = csvCells(line, sep, lineNo);
    if (!headerSeen) {
      headerSeen = true;
      const lower = cells.map((c) => c.toLowerCase());
      if (lower.includes('match')) {
        const unknown = lower.filter((c) => c !== '' && !(COLUMNS as readonly string[]).includes(c));
        if (unknown.length) throw new PlantwireError('bad-csv', `CSV header: unknown column(s) ${unknown.map((u) => `"${u}"`).join(', ')} (columns: ${COLUMNS.join(', ')})`, 'unknown CSV column');
        columns = lower;
        return;
      }
    }
    if (cells.length > columns.length) throw new PlantwireError('bad-csv', `CSV line ${lineNo} has ${cells.length} cells but there are ${columns.length} columns (${columns.join(', ')})`, `CSV line ${lineNo}: too many cells`);
    const row: Record<string, string> = {};
    columns.forEach((c, i) => {
      const v = cells[i] ?? '';
      if (c && v !== '') row[c] = v;
    });
    rows.push(row as unknown as AssetRule);
  });
  if (rows.length === 0) throw new PlantwireError('bad-import', 'the CSV import has a header but no rows', 'no rows');
  return assertAssetRules(rows);
}

// ----------------------------------------------------------------- matching

interface Compiled {
  rule: AssetRule;
  asset: string;
  re: RegExp | null;
  /** For patterns ending in `/**`: the `**` capture names the tag. */
  tailName: boolean;
}

function globToRegExp(glob: string): { re: RegExp; tail: boolean } {
  const segs = glob.split('/');
  const tail = segs.length > 1 && segs[segs.length - 1] === '**';
  let src = '';
  segs.forEach((seg, i) => {
    const last = i === segs.length - 1;
    if (seg === '**') {
      if (last) src += i === 0 ? '(.+)' : '(.+)';
      else src += '(?:[^/]+/)*';
      return;
    }
    src += seg.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*');
    if (!last) src += '/';
  });
  return { re: new RegExp(`^${src}$`), tail };
}

export interface AssetMatch {
  sample: TagSample;
  /** UNS topic: `enterprise/site/area/line/cell/<name>`. */
  topic: string;
}

export class AssetMapper {
  private readonly exact = new Map<string, Compiled>();
  private readonly patterns: Compiled[] = [];
  /** Per-tag cache of pattern results (bounded). */
  private readonly cache = new Map<string, Compiled | null>();

  constructor(rules: AssetRule[]) {
    for (const rule of assertAssetRules(rules)) {
      const asset = LEVELS.map((l) => rule[l] ?? '').filter(Boolean).join('/');
      if (rule.match.includes('*')) {
        const { re, tail } = globToRegExp(rule.match);
        this.patterns.push({ rule, asset, re, tailName: tail });
      } else {
        this.exact.set(rule.match, { rule, asset, re: null, tailName: false });
      }
    }
  }

  get size(): number {
    return this.exact.size + this.patterns.length;
  }

  private find(tag: string): { c: Compiled; name: string } | null {
    const hit = this.exact.get(tag);
    if (hit) return { c: hit, name: hit.rule.name ?? lastSegment(tag) };
    let c = this.cache.get(tag);
    if (c === undefined) {
      c = this.patterns.find((p) => p.re!.test(tag)) ?? null;
      if (this.cache.size >= 100_000) this.cache.clear();
      this.cache.set(tag, c);
    }
    if (!c) return null;
    if (c.rule.name) return { c, name: c.rule.name };
    if (c.tailName) {
      const m = c.re!.exec(tag);
      const captured = m?.[m.length - 1];
      if (captured) return { c, name: captured };
    }
    return { c, name: lastSegment(tag) };
  }

  /** Maps one sample, or null when no rule matches its tag. */
  map(s: TagSample): AssetMatch | null {
    const f = this.find(s.tag);
    if (!f) return null;
    const sample = withValue(s, s.value);
    sample.asset = f.c.asset;
    // "+" and "#" are wildcards in MQTT and may not appear in a topic that is published to.
    return { sample, topic: `${f.c.asset}/${f.name.replace(/[#+]/g, '_')}` };
  }
}

function lastSegment(tag: string): string {
  const i = tag.lastIndexOf('/');
  return i >= 0 ? tag.slice(i + 1) : tag;
}
