/**
 * `plantwire check <dir|tgz>`: the conformance kit. Static checks (the
 * scorecard rules, editor definitions, help, locales, credentials declared
 * alike in editor and runtime) here; behaviour checks (loads, malformed-message
 * corpus, close, partial deploy, examples) in runner.ts, one child process per
 * stock Node-RED under test.
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { editorDefinitions } from './editor';
import type { Finding, Report } from './findings';
import { installTarball, NPM, run } from './install';
import type { CheckConfig, Checked, RunnerJob, RunnerResult, TypeInfo } from './runner';
import { readEditors, readJson, scorecard, type EditorDef, type PackageJson } from './scorecard';

export interface RuntimeSpec {
  /** The node-red package directory. */
  nodeRedDir: string;
  /** The Node.js binary to run it on (default: this one). */
  node?: string;
}

export interface CheckOptions {
  /** A palette directory or a .tgz. */
  target: string;
  runtimes?: RuntimeSpec[];
  /** A JSON file with per-node settings (merged over package.json "plantwireCheck"). */
  configFile?: string;
  closeTimeoutMs?: number;
  answerTimeoutMs?: number;
  /** Adds the large corpus cases (5 MB string, 100,000 samples). */
  large?: boolean;
  /** Only these node types in the behaviour checks (default: all). */
  only?: string[];
  /** Behaviour checks to leave out: 'examples', 'partial-deploy' (reported as notes). */
  skip?: string[];
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

/** The stock Node-RED to check on when none is given: the one next to the palette, the current directory or this package. */
export function defaultNodeRed(pkgDir?: string): string {
  for (const base of [pkgDir, process.cwd(), __dirname].filter(Boolean) as string[]) {
    try {
      return path.dirname(createRequire(path.join(base, 'noop.js')).resolve('node-red/package.json'));
    } catch {
      /* next */
    }
  }
  throw new Error('no node-red found: run `npm install --save-dev node-red@4` in the palette or pass --node-red <dir>');
}

/** The compiled runner (dist/src/conformance/runner.js), also when this module runs from its TypeScript source (tests). */
function runnerScript(): string {
  const here = path.join(__dirname, 'runner.js');
  if (fs.existsSync(here)) return here;
  const built = path.join(__dirname, '..', '..', 'dist', 'src', 'conformance', 'runner.js');
  if (fs.existsSync(built)) return built;
  throw new Error(`the conformance runner is not built (${built}): run npm run build`);
}

function forkRunner(job: RunnerJob, node: string | undefined, timeoutMs: number): Promise<RunnerResult> {
  return new Promise((resolve) => {
    const child = fork(runnerScript(), [], { execPath: node ?? process.execPath, stdio: ['ignore', 'pipe', 'pipe', 'ipc'], serialization: 'advanced' });
    let stderr = '';
    let result: RunnerResult | undefined;
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8000)));
    child.stdout?.resume();
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('message', (m) => (result = m as RunnerResult));
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve(result ?? { runtime: job.nodeRedDir, findings: [], checked: [], error: `the check process ended (code ${code}, signal ${signal}) without a result${signal === 'SIGKILL' ? ` after ${timeoutMs} ms` : ''}:\n${stderr}` });
    });
    child.send(job);
  });
}

export async function check(opts: CheckOptions): Promise<Report> {
  const progress = opts.progress ?? (() => undefined);
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-check-'));
  try {
    const target = path.resolve(opts.target);
    const isTgz = /\.(tgz|tar\.gz)$/.test(target);
    let pkgDir: string;
    let files: string[];
    const userDir = path.join(tmp, 'user');
    fs.mkdirSync(userDir, { recursive: true });
    let nodesDir: string[];
    if (isTgz) {
      progress(`installing ${path.basename(target)} as the palette manager does…`);
      pkgDir = fs.realpathSync(await installTarball(target, userDir));
      files = (await run('tar', ['-tzf', target], { cwd: tmp })).stdout
        .split('\n')
        .filter((l) => l && !l.endsWith('/'))
        .map((l) => l.replace(/^package\//, ''));
      nodesDir = [];
    } else {
      if (!fs.existsSync(path.join(target, 'package.json'))) throw new Error(`${opts.target} is neither a palette directory (no package.json) nor a .tgz`);
      pkgDir = fs.realpathSync(target);
      const { stdout } = await run(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: pkgDir });
      const start = stdout.search(/^\[/m);
      files = (JSON.parse(stdout.slice(start)) as Array<{ files: Array<{ path: string }> }>)[0]?.files.map((x) => x.path) ?? [];
      nodesDir = [pkgDir];
    }
    const pkg = readJson<PackageJson>(path.join(pkgDir, 'package.json'));
    const config: CheckConfig = { ...((pkg.plantwireCheck as CheckConfig | undefined) ?? {}) };
    if (opts.configFile) {
      const extra = readJson<CheckConfig>(opts.configFile);
      config.nodes = { ...config.nodes, ...extra.nodes };
      config.configNodes = { ...config.configNodes, ...extra.configNodes };
    }
    const runtimes = opts.runtimes?.length ? opts.runtimes : [{ nodeRedDir: defaultNodeRed(isTgz ? undefined : pkgDir) }];
    const versions = runtimes.map((r) => readJson<{ version: string }>(path.join(r.nodeRedDir, 'package.json')).version);
    const nodeSets = pkg['node-red']?.nodes ?? {};
    const findings: Finding[] = [];
    const checked: Checked[] = [];

    // Static: editors, scorecard, help, locales.
    const ts0 = Date.now();
    const { editors, findings: editorFindings } = readEditors(pkgDir, pkg);
    findings.push(...editorFindings);
    findings.push(...scorecard({ pkgDir, pkg, files, nodeRedVersions: versions, nodeRedDir: runtimes[0]!.nodeRedDir, installedTrees: isTgz ? [path.join(userDir, 'node_modules')] : [] }, editors));
    checked.push({ check: 'scorecard, editor, help, locales', items: editors.length, ms: Date.now() - ts0 });

    // Editor definitions as the editor sees them.
    const htmls = Object.values(nodeSets).map((js) => path.join(pkgDir, js.replace(/\.js$/, '.html'))).filter((f) => fs.existsSync(f));
    const { defs, errors } = editorDefinitions(htmls);
    for (const e of errors) findings.push({ check: 'editor', level: 'error', message: `the editor script throws: ${e}`, fix: 'fix the editor script: the node would not appear in the palette' });
    const types: Record<string, TypeInfo> = {};
    for (const [t, d] of defs) {
      if (opts.only && d.category !== 'config' && !opts.only.includes(t)) continue;
      types[t] = { category: d.category, inputs: Number(d.inputs ?? 0), outputs: Number(d.outputs ?? 0), defaults: Object.fromEntries(Object.entries(d.defaults ?? {}).map(([k, v]) => [k, { value: v?.value, ...(v?.type ? { type: v.type } : {}) }])) };
    }

    const examplesDir = path.join(pkgDir, 'examples');
    const examples = fs.existsSync(examplesDir)
      ? fs
          .readdirSync(examplesDir)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .flatMap((file) => {
            try {
              const flow = readJson<unknown>(path.join(examplesDir, file));
              return Array.isArray(flow) ? [{ file, flow: flow as Array<Record<string, unknown>> }] : [];
            } catch {
              return [];
            }
          })
      : [];
    const job = (nodeRedDir: string, mode: RunnerJob['mode']): RunnerJob => ({
      mode,
      nodeRedDir,
      userDir,
      nodesDir,
      pkgDir,
      module: String(pkg.name),
      roots: [pkgDir],
      nodeSets,
      types,
      config,
      examples: opts.only ? [] : examples,
      closeTimeoutMs: opts.closeTimeoutMs ?? 5000,
      answerTimeoutMs: opts.answerTimeoutMs ?? 3000,
      large: Boolean(opts.large),
      skip: opts.skip ?? [],
    });

    // Credentials: runtime (registerType options, loaded with a stub RED) against the editor literal.
    const tc = Date.now();
    findings.push(...(await credentialFindings(job(runtimes[0]!.nodeRedDir, 'credentials'), editors, runtimes[0]!.node)));
    checked.push({ check: 'credentials', items: editors.length, ms: Date.now() - tc });

    for (const sk of opts.skip ?? []) findings.push({ check: sk, level: 'note', message: `not checked (--skip ${sk})`, fix: `run without --skip ${sk} before publishing` });
    // Behaviour, per Node-RED.
    const runtimeNames: string[] = [];
    for (const [i, rt] of runtimes.entries()) {
      progress(`checking behaviour on Node-RED ${versions[i]}${rt.node ? ` (${rt.node})` : ''}…`);
      const res = await forkRunner(job(rt.nodeRedDir, 'behaviour'), rt.node, 20 * 60_000);
      runtimeNames.push(res.runtime || `Node-RED ${versions[i]}`);
      findings.push(...res.findings);
      checked.push(...res.checked);
      if (res.error) findings.push({ check: 'runtime', level: 'error', runtime: res.runtime || `Node-RED ${versions[i]}`, message: res.error.slice(0, 2000), fix: 'the palette must let a stock Node-RED start and deploy its nodes' });
    }
    return { palette: String(pkg.name), version: String(pkg.version), source: opts.target, runtimes: runtimeNames, checked, findings, ok: !findings.some((f) => f.level === 'error') };
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Credentials the runtime declares (each node set loaded in a child process with a stub RED) against the editor literals. */
export async function credentialFindings(job: RunnerJob, editors: EditorDef[], node?: string): Promise<Finding[]> {
  const findings: Finding[] = [];
  const creds = await forkRunner({ ...job, mode: 'credentials' }, node, 120_000);
  if (creds.error) findings.push({ check: 'credentials', level: 'error', message: `could not load the runtime to read its credentials: ${creds.error.slice(0, 500)}`, fix: 'make every node set loadable with require()' });
  const registered = creds.registered ?? {};
  const norm = (c: Record<string, string> | null | undefined): string => JSON.stringify(Object.entries(c ?? {}).sort(([a], [b]) => a.localeCompare(b)));
  for (const e of editors) {
    if (!(e.type in registered)) continue; // the loads check reports types the runtime does not register
    const runtime = registered[e.type];
    if (norm(runtime) === norm(e.credentials)) continue;
    const rk = Object.keys(runtime ?? {});
    const ek = Object.keys(e.credentials ?? {});
    const onlyRuntime = rk.filter((k) => !ek.includes(k));
    const onlyEditor = ek.filter((k) => !rk.includes(k));
    findings.push({
      check: 'credentials',
      level: 'error',
      type: e.type,
      message: `credentials differ: the runtime declares ${JSON.stringify(runtime ?? {})}, the editor ${JSON.stringify(e.credentials ?? {})}${onlyRuntime.length ? ` (only in the runtime: ${onlyRuntime.join(', ')})` : ''}${onlyEditor.length ? ` (only in the editor: ${onlyEditor.join(', ')})` : ''}`,
      fix: `declare the same credentials, with the same types, in RED.nodes.registerType('${e.type}', Ctor, { credentials: {…} }) and in the editor's registerType('${e.type}', { credentials: {…} }) — a field only in one is lost or shown in clear`,
    });
  }
  return findings;
}

/** A runner job for the credentials check alone (pack tests). */
export function credentialsJob(pkgDir: string, userDir: string, nodeRedDir: string): RunnerJob {
  const pkg = readJson<PackageJson>(path.join(pkgDir, 'package.json'));
  return { mode: 'credentials', nodeRedDir, userDir, nodesDir: [], pkgDir, module: String(pkg.name), roots: [pkgDir], nodeSets: pkg['node-red']?.nodes ?? {}, types: {}, config: {}, examples: [], closeTimeoutMs: 5000, answerTimeoutMs: 3000, large: false };
}
