/**
 * `plantwire check` (the conformance kit, src/conformance/) as a vendor runs
 * it: the built CLI (bin/plantwire.js) on the broken fixture palettes
 * (test/fixtures/broken-palettes/), each of which must be reported with its
 * fault, its fix line and a non-zero exit code, on the good fixture (passes),
 * and on a broken one under Node-RED 5 on Node 22. This palette's own packed
 * tarball is checked in tarball.test.ts (sharing its pack).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/conformance/findings';
import { ROOT, childEnv } from '../helpers/pack';
import { NODE22, NR5_DIR, nr5Installed } from '../helpers/nr5';

const FIXTURES = path.join(ROOT, 'test', 'fixtures', 'broken-palettes');
const BIN = path.join(ROOT, 'bin', 'plantwire.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

function cli(args: string[]): Promise<CliRun> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [BIN, ...args], { cwd: ROOT, env: childEnv(), maxBuffer: 32 * 1024 * 1024, timeout: 900_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : -1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr), ms: Date.now() - t0 });
    });
  });
}

const BROKEN = [
  { fixture: 'error-twice', check: 'corpus', message: /a Catch node received the error more than once for 20 of 23 malformed messages/, fix: /call done\(err\) only — not node\.error\(err, msg\) as well/ },
  { fixture: 'done-never', check: 'corpus', message: /20 of 23 malformed messages were never answered \(no done\(\), no error to a Catch node/, fix: /call done\(\) when a message is handled and done\(err\) when it fails/ },
  { fixture: 'help-missing', check: 'help', message: /no help for acme-double-nohelp/, fix: /write the help into nodes\/locales\/en-US\/acme-double-nohelp\.html/ },
  { fixture: 'credentials-mismatch', check: 'credentials', message: /credentials differ: the runtime declares \{"apiKey":"password"\}, the editor \{"password":"password"\}/, fix: /declare the same credentials, with the same types/ },
  { fixture: 'timer-after-close', check: 'close', message: /1 timer still alive after the node was closed and removed: timer created at nodes\/acme-double-timer\.js:5:\d+/, fix: /clear the timer in the close handler/ },
];

describe('plantwire check on broken palettes', () => {
  // One text run per fixture (the JSON report goes to a file in the same run), three at a time.
  const runs = new Map<string, { run: CliRun; report: Report }>();
  beforeAll(async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-check-test-'));
    const queue = [...BROKEN.map((b) => b.fixture), 'good'];
    const worker = async (): Promise<void> => {
      for (let fixture = queue.shift(); fixture; fixture = queue.shift()) {
        const file = path.join(tmp, `${fixture}.json`);
        const run = await cli(['check', path.join(FIXTURES, fixture), '--json-file', file]);
        runs.set(fixture, { run, report: JSON.parse(fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : 'null') as Report });
      }
    };
    await Promise.all([worker(), worker(), worker()]);
    fs.rmSync(tmp, { recursive: true, force: true });
    console.log(`check per fixture: ${[...runs].map(([f, r]) => `${f} ${r.run.ms} ms`).join(', ')}`);
  }, 600_000);

  it.each(BROKEN)('$fixture: reported with its fix line, exit code 1', ({ fixture, check, message, fix }) => {
    const { run, report } = runs.get(fixture)!;
    expect(run.code, `exit code of plantwire check ${fixture}\n${run.stderr}`).toBe(1);
    expect(report?.ok).toBe(false);
    const errors = report.findings.filter((f) => f.level === 'error');
    const hit = errors.find((f) => f.check === check && message.test(f.message));
    expect(hit, `no ${check} finding matching ${message} in:\n${JSON.stringify(report.findings, null, 2)}`).toBeDefined();
    expect(hit?.fix).toMatch(fix);
    // Only the planted fault (for missing help: seen in the files and in what the runtime serves).
    expect(errors.every((f) => f.check === check), `other errors besides the planted one:\n${JSON.stringify(errors, null, 2)}`).toBe(true);
    // The text report shows the finding and its "fix:" line under it.
    const lines = run.stdout.split('\n');
    const at = lines.findIndex((l) => l.startsWith(`ERROR [${check}]`) && message.test(l));
    expect(at, `text report:\n${run.stdout}`).toBeGreaterThanOrEqual(0);
    expect(lines[at + 1]).toMatch(/^ {2}fix: /);
    expect(lines[at + 1]).toMatch(fix);
    expect(run.stdout).toMatch(/^FAIL: \d+ error\(s\)/m);
  });

  it('the good fixture passes (exit code 0)', () => {
    const { run, report } = runs.get('good')!;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(report.ok).toBe(true);
    expect(run.stdout).toMatch(/^PASS: 0 error\(s\), 0 warning\(s\)/m);
    expect(run.stdout).toMatch(/checked corpus \+ close on Node-RED 4\.\d+\.\d+/);
  });

  it.skipIf(!nr5Installed())('on Node-RED 5 (Node 22) too: a node reporting errors twice fails', async () => {
    const nr5 = ['--node-red', path.join(NR5_DIR, 'node_modules', 'node-red'), '--node', NODE22];
    const bad = await cli(['check', path.join(FIXTURES, 'error-twice'), '--json', ...nr5]);
    expect(bad.code, bad.stderr).toBe(1);
    const report = JSON.parse(bad.stdout) as Report;
    expect(report.runtimes[0]).toMatch(/^Node-RED 5\./);
    expect(report.findings.some((f) => f.check === 'corpus' && /more than once/.test(f.message) && /^Node-RED 5\./.test(f.runtime ?? ''))).toBe(true);
  }, 240_000);
});
