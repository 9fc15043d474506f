/** What a conformance check reports: a finding per fault, each with the way to fix it. */

export type Level = 'error' | 'warning' | 'note';

export interface Finding {
  /** The check: a scorecard rule (P01…D02) or a behaviour check (loads, help, locales, credentials, corpus, close, partial-deploy, examples, editor). */
  check: string;
  level: Level;
  /** The node type concerned, if one. */
  type?: string;
  /** The Node-RED the finding was made on (behaviour checks). */
  runtime?: string;
  message: string;
  /** How to fix it (one line). */
  fix: string;
}

export interface Report {
  palette: string;
  version: string;
  source: string;
  runtimes: string[];
  /**
   * Checks that ran, with how many node types each covered. The loads check of each runtime also lists the node
   * modules installed with the palette that the runtime loaded beside it (module → node types; {} when none), e.g.
   * a dependency with a "node-red" section.
   */
  checked: Array<{ check: string; runtime?: string; items: number; ms: number; alongside?: Record<string, string[]> }>;
  findings: Finding[];
  ok: boolean;
}

/** The report as text: findings grouped by level, each with its fix line, then the summary. */
export function formatReport(r: Report): string {
  const out: string[] = [];
  out.push(`plantwire check ${r.palette}@${r.version} (${r.source})`);
  out.push(`on ${r.runtimes.join(', ') || 'no runtime'}`);
  out.push('');
  const order: Level[] = ['error', 'warning', 'note'];
  for (const level of order) {
    const list = r.findings.filter((f) => f.level === level);
    for (const f of list) {
      const where = [f.type, f.runtime].filter(Boolean).join(', ');
      out.push(`${level.toUpperCase()} [${f.check}]${where ? ` (${where})` : ''} ${f.message}`);
      out.push(`  fix: ${f.fix}`);
    }
  }
  if (r.findings.length > 0) out.push('');
  for (const c of r.checked) out.push(`  checked ${c.check}${c.runtime ? ` on ${c.runtime}` : ''}: ${c.items} item(s), ${c.ms} ms`);
  const count = (l: Level): number => r.findings.filter((f) => f.level === l).length;
  out.push('');
  out.push(`${r.ok ? 'PASS' : 'FAIL'}: ${count('error')} error(s), ${count('warning')} warning(s), ${count('note')} note(s)`);
  return `${out.join('\n')}\n`;
}
