import { PlantwireError } from '../../model/errors';

/**
 * MQTT topic names and filters (MQTT 3.1.1 §4.7, MQTT 5 §4.7/§4.8.2):
 * `+` matches one level, `#` the rest (including the parent level), topics
 * starting with `$` are not matched by a leading wildcard, and
 * `$share/<group>/<filter>` is a shared subscription whose messages arrive
 * with their real topic (so matching uses the filter after the group).
 */

/**
 * Longer than MQTT's 65535 bytes in UTF-8. No Node.js Buffer: the filter and
 * topic rules run in the dialog too (./in-fields.ts, ./out-fields.ts).
 */
function tooLong(s: string): boolean {
  // A UTF-16 code unit is at most 3 bytes in UTF-8: a short string needs no encoding.
  return s.length > 21_845 && new TextEncoder().encode(s).length > 65_535;
}

export interface ParsedFilter {
  /** The filter as given (what is sent to the broker). */
  raw: string;
  /** The filter messages are matched against (without `$share/group/`). */
  match: string;
  /** Share group of a shared subscription. */
  shareGroup?: string;
  levels: string[];
}

/** Lists what is wrong with a subscription filter (empty when valid). */
export function filterProblems(filter: unknown): string[] {
  if (typeof filter !== 'string' || filter === '') return [`topic filter must be a non-empty string, got ${JSON.stringify(filter)}`];
  if (tooLong(filter)) return ['topic filter is longer than 65535 bytes'];
  if (filter.includes('\u0000')) return ['topic filter must not contain the NUL character'];
  let match = filter;
  if (filter.startsWith('$share/')) {
    const rest = filter.slice('$share/'.length);
    const slash = rest.indexOf('/');
    const group = slash < 0 ? rest : rest.slice(0, slash);
    if (slash < 0 || group === '' || rest.slice(slash + 1) === '') {
      return [`shared subscription "${filter}" must look like $share/<group>/<topic filter>`];
    }
    if (/[+#]/.test(group)) return [`share group "${group}" must not contain + or #`];
    match = rest.slice(slash + 1);
  }
  const levels = match.split('/');
  const problems: string[] = [];
  levels.forEach((level, i) => {
    if (level.includes('#') && (level !== '#' || i !== levels.length - 1)) problems.push(`"#" must be the last level on its own in "${filter}"`);
    if (level.includes('+') && level !== '+') problems.push(`"+" must fill a whole level in "${filter}"`);
  });
  return [...new Set(problems)];
}

export function parseFilter(filter: string): ParsedFilter {
  const problems = filterProblems(filter);
  if (problems.length) throw new PlantwireError('bad-topic', problems.join('; '), 'bad topic filter');
  let match = filter;
  let shareGroup: string | undefined;
  if (filter.startsWith('$share/')) {
    const rest = filter.slice('$share/'.length);
    const slash = rest.indexOf('/');
    shareGroup = rest.slice(0, slash);
    match = rest.slice(slash + 1);
  }
  const parsed: ParsedFilter = { raw: filter, match, levels: match.split('/') };
  if (shareGroup !== undefined) parsed.shareGroup = shareGroup;
  return parsed;
}

/** True when the topic name matches the filter (`$share/group/` prefix allowed). */
export function topicMatches(filter: string | ParsedFilter, topic: string): boolean {
  const f = typeof filter === 'string' ? parseFilter(filter) : filter;
  return levelsMatch(f.levels, topic.split('/'));
}

/** `topicMatches` on pre-split levels (a dispatcher splits each topic once for all filters). */
export function levelsMatch(fl: readonly string[], t: readonly string[]): boolean {
  // A filter starting with a wildcard does not match topics starting with '$' (§4.7.2).
  if ((t[0] ?? '').startsWith('$') && (fl[0] === '+' || fl[0] === '#')) return false;
  for (let i = 0; i < fl.length; i++) {
    const level = fl[i];
    if (level === '#') return true;
    if (i >= t.length) return false;
    if (level !== '+' && level !== t[i]) return false;
  }
  return t.length === fl.length;
}

/** Lists what is wrong with a topic name to publish to (empty when valid). */
export function topicNameProblems(topic: unknown): string[] {
  if (typeof topic !== 'string' || topic === '') return [`topic must be a non-empty string, got ${JSON.stringify(topic)}`];
  const problems: string[] = [];
  if (/[+#]/.test(topic)) problems.push(`topic "${topic}" must not contain the wildcards + or # (they are only for subscriptions)`);
  if (topic.includes('\u0000')) problems.push(`topic "${topic}" must not contain the NUL character`);
  if (tooLong(topic)) problems.push('topic is longer than 65535 bytes');
  return problems;
}

export function assertTopicName(topic: unknown, where = 'topic'): string {
  const problems = topicNameProblems(topic);
  if (problems.length) throw new PlantwireError('bad-topic', `${where}: ${problems.join('; ')}`, `bad ${where}`);
  return topic as string;
}

/** Splits a comma/newline separated list of filters from the dialog. */
export function splitFilters(text: unknown): string[] {
  if (Array.isArray(text)) return text.map((t) => String(t).trim()).filter((t) => t !== '');
  if (typeof text !== 'string') return [];
  return text
    .split(/[\n,]/)
    .map((t) => t.trim())
    .filter((t) => t !== '');
}

/**
 * The subscription filters of mqtt-in's Topics field (one per line or comma
 * separated): at least one, each valid; else a `bad-config` error naming the field.
 */
export function readFilters(text: unknown): string[] {
  const filters = splitFilters(text);
  if (filters.length === 0) throw new PlantwireError('bad-config', 'topics: add at least one topic or filter, e.g. plant/+/temperature or acme/#', 'no topic');
  for (const f of filters) {
    const problems = filterProblems(f);
    if (problems.length) throw new PlantwireError('bad-config', `topics: ${problems.join('; ')}`, `bad topic "${f}"`);
  }
  return filters;
}
