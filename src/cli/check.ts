/** `plantwire check <dir|tgz>`: the conformance kit's command line (src/conformance/). */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlantwireError } from '../model/errors';
import { check, type RuntimeSpec } from '../conformance/check';
import { formatReport } from '../conformance/findings';

export const CHECK_HELP = `plantwire check <palette dir | palette.tgz> [--json | --json-file report.json] [--node-red <dir> [--node <node binary>]]…
                 [--config check.json] [--only <type>]… [--skip examples|partial-deploy]… [--large] [--close-timeout-ms 5000] [--answer-timeout-ms 3000]
      Conformance kit: loads the palette into a stock Node-RED (each --node-red given, on the
      matching --node; default: the node-red next to the palette) and checks behaviour:
      every type loads, help and locales, credentials editor = runtime, the malformed-message
      corpus (Catch once, done once, still works), close (in time, no timers/sockets left),
      partial deploy keeps connections, examples deploy cleanly, the Flow Library scorecard.
      Each finding has a "fix:" line; exit code 1 when any error is found.
`;

export async function checkCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      json: { type: 'boolean' },
      'json-file': { type: 'string' },
      'node-red': { type: 'string', multiple: true },
      node: { type: 'string', multiple: true },
      config: { type: 'string' },
      only: { type: 'string', multiple: true },
      skip: { type: 'string', multiple: true },
      large: { type: 'boolean' },
      'close-timeout-ms': { type: 'string' },
      'answer-timeout-ms': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    process.stdout.write(CHECK_HELP);
    return 0;
  }
  const target = positionals[0];
  if (!target || positionals.length > 1) throw new PlantwireError('bad-option', `usage: ${CHECK_HELP.split('\n')[0]}`);
  const dirs = values['node-red'] ?? [];
  const nodes = values.node ?? [];
  if (nodes.length > dirs.length) throw new PlantwireError('bad-option', 'each --node goes with a --node-red before it');
  const runtimes: RuntimeSpec[] = dirs.map((d, i) => ({ nodeRedDir: path.resolve(d), ...(nodes[i] ? { node: nodes[i] } : {}) }));
  const ms = (v: string | undefined, name: string, fallback: number): number => {
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 100 || n > 600_000) throw new PlantwireError('bad-option', `${name} must be a whole number of milliseconds from 100 to 600000, got "${v}"`);
    return n;
  };
  const report = await check({
    target,
    runtimes,
    configFile: values.config,
    only: values.only,
    skip: values.skip?.map((x) => { if (!['examples', 'partial-deploy'].includes(x)) throw new PlantwireError('bad-option', `--skip takes examples or partial-deploy, got "${x}"`); return x; }),
    large: values.large,
    closeTimeoutMs: ms(values['close-timeout-ms'], 'close-timeout-ms', 5000),
    answerTimeoutMs: ms(values['answer-timeout-ms'], 'answer-timeout-ms', 3000),
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  if (values['json-file']) fs.writeFileSync(values['json-file'], `${JSON.stringify(report, null, 2)}\n`);
  return report.ok ? 0 : 1;
}
