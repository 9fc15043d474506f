/**
 * `plantwire check` (the conformance kit, src/conformance/) as a vendor runs
 * it: the built CLI (bin/plantwire.js) on the broken fixture palettes
 * (test/fixtures/broken-palettes/), each of which must be reported with its
 * fault, its fix line and a non-zero exit code, on the good fixture (passes),
 * and on a broken one under Node-RED 5 on Node 22; and a packed palette whose
 * dependency is itself a palette: the report lists the dependency's node
 * types as loaded beside it. This palette's own packed tarball is checked in
 * tarball.test.ts (sharing its pack).
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

/** A copy of the good fixture as package `name`, its node type acme-double renamed to `type` (file names and contents). */
function goodCopy(dest: string, name: string, type: string, dependencies?: Record<string, string>): void {
  const src = path.join(FIXTURES, 'good');
  for (const rel of fs.readdirSync(src, { recursive: true, encoding: 'utf8' })) {
    const from = path.join(src, rel);
    if (fs.statSync(from).isDirectory()) continue;
    const to = path.join(dest, rel.replaceAll('acme-double', type));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.writeFileSync(to, fs.readFileSync(from, 'utf8').replaceAll('acme-double', type));
  }
  const pkg = JSON.parse(fs.readFileSync(path.join(dest, 'package.json'), 'utf8')) as Record<string, unknown>;
  fs.writeFileSync(path.join(dest, 'package.json'), JSON.stringify({ ...pkg, name, ...(dependencies ? { dependencies } : {}) }, null, 2));
}

/** npm pack of `dir` into `out`; the tarball's path. */
async function pack(dir: string, out: string): Promise<string> {
  fs.mkdirSync(out, { recursive: true });
  const before = new Set(fs.readdirSync(out));
  await new Promise<void>((resolve, reject) => execFile('npm', ['pack', '--pack-destination', out], { cwd: dir, env: childEnv() }, (err) => (err ? reject(err) : resolve())));
  return path.join(out, fs.readdirSync(out).find((f) => f.endsWith('.tgz') && !before.has(f))!);
}

describe('plantwire check on broken palettes', () => {
  // One text run per fixture (the JSON report goes to a file in the same run), three at a time.
  const runs = new Map<string, { run: CliRun; report: Report }>();
  beforeAll(async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-check-test-'));
    // A palette depending on another palette (as a vendor palette depending on @plantwire/node-red did): both packed,
    // the host's dependency on the other's tarball; checked as a tarball, installed as the palette manager does.
    const dep = path.join(tmp, 'dep');
    goodCopy(dep, '@acme-fixture/dep-palette', 'acme-dep-double');
    const depTgz = await pack(dep, path.join(tmp, 'out'));
    const host = path.join(tmp, 'host');
    goodCopy(host, '@acme-fixture/with-palette-dependency', 'acme-double', { '@acme-fixture/dep-palette': `file:${depTgz}` });
    const hostTgz = await pack(host, path.join(tmp, 'out'));
    const targets: Record<string, string> = { 'with-palette-dependency': hostTgz };
    const queue = [...BROKEN.map((b) => b.fixture), 'good', 'with-palette-dependency'];
    const worker = async (): Promise<void> => {
      for (let fixture = queue.shift(); fixture; fixture = queue.shift()) {
        const file = path.join(tmp, `${fixture}.json`);
        const run = await cli(['check', targets[fixture] ?? path.join(FIXTURES, fixture), '--json-file', file]);
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
    // Nothing installed with it loaded beside it (the modules next to the checker's own Node-RED — this project's
    // node_modules holds @flowfuse/node-red-dashboard — are not the palette's).
    expect(report.checked.filter((c) => c.check === 'loads').map((c) => c.alongside)).toEqual([{}]);
  });

  it('a palette whose dependency is a palette: the node types of that dependency are listed as loaded beside it, with a note saying how to avoid it', () => {
    const { run, report } = runs.get('with-palette-dependency')!;
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(report.findings.filter((f) => f.level !== 'note')).toEqual([]);
    expect(report.checked.filter((c) => c.check === 'loads').map((c) => [c.items, c.alongside])).toEqual([[1, { '@acme-fixture/dep-palette': ['acme-dep-double'] }]]);
    const note = report.findings.find((f) => f.check === 'loads' && f.level === 'note');
    expect(note?.message).toMatch(/^@acme-fixture\/dep-palette, installed with the palette, loaded beside it: its 1 node type\(s\) \(acme-dep-double\) appear in the user's editor too/);
    expect(note?.fix).toMatch(/without a "node-red" section \(for Plantwire's kits: @plantwire\/sdk, not @plantwire\/node-red\)/);
    expect(run.stdout).toMatch(/^NOTE \[loads\] .*@acme-fixture\/dep-palette, installed with the palette/m);
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
