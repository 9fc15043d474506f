/**
 * Helpers for the packaging tests (test/pack): pack the palette with
 * `npm pack` (which runs the `prepack` build), install the tarball into a
 * fresh Node-RED user dir, extract it, and parse the editor definitions.
 *
 * `packPalette()` packs an isolated copy of the project, never the working
 * tree itself: `prepack` runs scripts/build.mjs, which deletes and rebuilds
 * dist/ and examples/. Doing that in the project root would pull dist/ from
 * under the node tests that run in the other vitest worker (they load the
 * palette from the project's dist/). The copy holds every project file except
 * node_modules (a symlink to the project's), .git and the build outputs, so
 * the tarball is what `npm pack` in the root would produce.
 */
import { execFile, type ExecFileOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { inject } from 'vitest';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = '@plantwire/node-red';
/** The stock Node-RED of the project's devDependencies. */
export const NODE_RED_DIR = path.join(ROOT, 'node_modules', 'node-red');

/** Top-level entries of the project not copied for packing (rebuilt, or irrelevant to the tarball). */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'examples', '.plantwire', 'coverage', 'test-results']);
/** Files planted in the copy that the tarball must NOT contain (the exclusion checks stay meaningful on a clean checkout). */
export const SENTINELS = ['.plantwire/sentinel.json', 'stale-sentinel-0.0.0.tgz'];

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Environment for child npm / node processes, without the variables of an outer `npm test` / `npx` run. */
export function childEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^npm_(lifecycle_|package_|command$|config_call$|config_local_prefix$)/.test(k)) continue;
    env[k] = v;
  }
  return env;
}

/** Runs a program (no shell) and resolves with its output; rejects with the output in the message. */
export function run(file: string, args: string[], opts: ExecFileOptions & { cwd: string }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env: childEnv(), maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...opts }, (err, stdout, stderr) => {
      const out = { stdout: String(stdout), stderr: String(stderr) };
      if (err) {
        reject(new Error(`${path.basename(file)} ${args.join(' ')} (in ${opts.cwd}) failed: ${err.message}\n--- stdout\n${out.stdout.slice(-4000)}\n--- stderr\n${out.stderr.slice(-4000)}`));
      } else {
        resolve(out);
      }
    });
  });
}

const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

export interface PackedFile {
  path: string;
  size: number;
}

export interface Packed {
  /** Temp dir holding the project copy and the tarball; remove it with cleanup(). */
  tmp: string;
  /** Absolute path of the .tgz. */
  tarball: string;
  /** The tarball's files (paths relative to the package root), from `tar -tzf`. */
  files: string[];
  /** npm's own report of the packed files (`npm pack --json`). */
  npmFiles: PackedFile[];
  cleanup(): void;
}

/** Copies the project to a temp dir and runs `npm pack --json` there (which runs `prepack`, the build). */
export async function packPalette(label: string, parent = os.tmpdir()): Promise<Packed> {
  const tmp = fs.mkdtempSync(path.join(parent, `plantwire-${label}-`));
  const cleanup = (): void => fs.rmSync(tmp, { recursive: true, force: true });
  try {
    const copy = path.join(tmp, 'project');
    fs.mkdirSync(copy);
    for (const entry of fs.readdirSync(ROOT)) {
      if (NOT_COPIED.has(entry) || entry.endsWith('.tgz')) continue;
      fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true, dereference: false });
    }
    fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
    for (const rel of SENTINELS) {
      fs.mkdirSync(path.dirname(path.join(copy, rel)), { recursive: true });
      fs.writeFileSync(path.join(copy, rel), '{"sentinel":"must not be packed"}\n');
    }
    const dest = path.join(tmp, 'out');
    fs.mkdirSync(dest);
    const { stdout } = await run(NPM, ['pack', '--json', '--pack-destination', dest], { cwd: copy });
    // The prepack build prints to stdout before npm's JSON report.
    const start = stdout.search(/^\[/m);
    if (start < 0) throw new Error(`npm pack --json printed no JSON report:\n${stdout}`);
    const report = JSON.parse(stdout.slice(start)) as Array<{ filename: string; files: PackedFile[] }>;
    const entry = report[0];
    if (!entry) throw new Error(`npm pack --json reported no package:\n${stdout}`);
    const tarball = path.join(dest, entry.filename);
    if (!fs.existsSync(tarball)) throw new Error(`npm pack reported ${entry.filename} but ${tarball} does not exist`);
    const list = await run('tar', ['-tzf', tarball], { cwd: tmp });
    const files = list.stdout
      .split('\n')
      .filter((l) => l && !l.endsWith('/'))
      .map((l) => l.replace(/^package\//, ''))
      .sort();
    return { tmp, tarball, files, npmFiles: entry.files, cleanup };
  } catch (err) {
    cleanup();
    throw err;
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** An empty temp dir for the one shared pack of a test run (test/helpers/global-setup.ts creates and removes it). */
    plantwirePackDir: string;
  }
}

/** The shared pack: the tarball, plus a stock user dir it was installed into (the template for copies). */
export interface SharedPack extends Packed {
  /** A user dir with the tarball installed as the palette manager does (--ignore-scripts). Copy it, never change it. */
  template: string;
}

let shared: Promise<SharedPack> | undefined;

/**
 * One `npm pack` and one palette-manager install per test run, shared by every
 * test/pack file: packing runs the whole build and installing fetches and
 * extracts about 230 packages — together 2–5 minutes on the 2-core CI
 * machine, which each file used to spend again. The first file to ask packs
 * and installs (a lock dir in the run's temp dir, made atomically with mkdir);
 * the others wait for its result (or its error). Every file then takes its own
 * copy of the installed user dir (installedCopy), so what one file's
 * Node-RED writes never reaches another. cleanup() is a no-op: the global
 * teardown removes the whole dir after the run.
 */
export function sharedPack(): Promise<SharedPack> {
  shared ??= (async (): Promise<SharedPack> => {
    const dir = inject('plantwirePackDir');
    if (!dir || !fs.existsSync(dir)) throw new Error(`no shared pack dir (${dir}): test/helpers/global-setup.ts must provide plantwirePackDir`);
    const result = path.join(dir, 'result.json');
    const failure = path.join(dir, 'error.txt');
    let mine = false;
    try {
      fs.mkdirSync(path.join(dir, 'lock'));
      mine = true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (mine) {
      try {
        const packed = await packPalette('shared', dir);
        const template = path.join(dir, 'template');
        await installPalette(packed.tarball, template);
        const out: Omit<SharedPack, 'cleanup'> = { tmp: packed.tmp, tarball: packed.tarball, files: packed.files, npmFiles: packed.npmFiles, template };
        fs.writeFileSync(`${result}.part`, JSON.stringify(out));
        fs.renameSync(`${result}.part`, result);
      } catch (err) {
        fs.writeFileSync(failure, (err as Error).stack ?? String(err));
        throw err;
      }
    } else {
      // The other file packs and installs (2–5 minutes on a loaded machine); wait for it.
      for (const deadline = Date.now() + 900_000; !fs.existsSync(result); await new Promise((r) => setTimeout(r, 500))) {
        if (fs.existsSync(failure)) throw new Error(`the shared pack failed in another test file:\n${fs.readFileSync(failure, 'utf8')}`);
        if (Date.now() > deadline) throw new Error(`the shared pack in ${dir} did not finish within 15 minutes`);
      }
    }
    return { ...(readJson<Omit<SharedPack, 'cleanup'>>(result)), cleanup: () => undefined };
  })();
  return shared;
}

/**
 * A copy of the shared installed user dir at `userDir`: byte for byte what the
 * palette manager's `npm install` of the tarball produced (symlinks kept as
 * they are), in seconds instead of another install.
 */
export function installedCopy(pack: SharedPack, userDir: string): Installed {
  fs.cpSync(pack.template, userDir, { recursive: true, verbatimSymlinks: true });
  const pkgDir = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) throw new Error(`the copy of ${pack.template} has no ${pkgDir}`);
  return { userDir, pkgDir };
}

/** Extracts the tarball into `<dir>/package` and returns that path. */
export async function extractTarball(tarball: string, dir: string): Promise<string> {
  fs.mkdirSync(dir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', dir], { cwd: dir });
  return path.join(dir, 'package');
}

export interface Installed {
  userDir: string;
  /** The installed package: `<userDir>/node_modules/@plantwire/node-red`. */
  pkgDir: string;
}

/** What the Node-RED palette manager runs to install a module (@node-red/registry installer). */
export const PALETTE_MANAGER_ARGS = ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

/** Installs the tarball as the palette manager does, with --ignore-scripts, into a new, stock Node-RED user dir. */
export async function installPalette(tarball: string, userDir: string): Promise<Installed> {
  fs.mkdirSync(userDir, { recursive: true });
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2));
  // --ignore-scripts: no install script runs (as when npm's allowScripts blocks them). The palette
  // needs none: the disk buffer runs on Node's built-in node:sqlite, nothing is compiled.
  await run(NPM, [...PALETTE_MANAGER_ARGS, '--prefer-offline', '--ignore-scripts', tarball], { cwd: userDir });
  const pkgDir = path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'));
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) throw new Error(`npm install did not create ${pkgDir}`);
  return { userDir, pkgDir };
}

export interface PackageJson {
  name?: string;
  version?: string;
  license?: string;
  repository?: string | { type?: string; url?: string; directory?: string };
  bugs?: string | { url?: string; email?: string };
  keywords?: string[];
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  files?: string[];
  'node-red'?: { version?: string; nodes?: Record<string, string> };
  [key: string]: unknown;
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The node sets of `"node-red".nodes`: set name → file (in this palette the set name is the node type). */
export function declaredNodes(pkg: PackageJson): Record<string, string> {
  return pkg['node-red']?.nodes ?? {};
}

/** semver, resolved from the stock Node-RED (a dependency of it), with the few functions used here. */
export interface Semver {
  validRange(range: string): string | null;
  satisfies(version: string, range: string, opts?: { includePrerelease?: boolean }): boolean;
  subset(sub: string, dom: string): boolean;
}
export function loadSemver(): Semver {
  return createRequire(path.join(NODE_RED_DIR, 'package.json'))('semver') as Semver;
}

// ---------------------------------------------------------------- editor html

/** The first `<script type="text/javascript">` block of an editor html file. */
export function editorScript(html: string): string | undefined {
  const m = /<script\s+type=["']text\/javascript["'][^>]*>([\s\S]*?)<\/script>/i.exec(html);
  return m?.[1];
}

export function propName(p: ts.ObjectLiteralElementLike): string | undefined {
  const name = p.name;
  if (!name) return undefined;
  if (ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) || ts.isPrivateIdentifier(name)) return name.text;
  return undefined;
}

/** The properties of an object literal by name (later duplicates win, as in JavaScript). */
export function props(obj: ts.ObjectLiteralExpression): Map<string, ts.ObjectLiteralElementLike> {
  const out = new Map<string, ts.ObjectLiteralElementLike>();
  for (const p of obj.properties) {
    const n = propName(p);
    if (n !== undefined) out.set(n, p);
  }
  return out;
}

/** The value expression of a `key: value` property, if it is one. */
export function valueOf(p: ts.ObjectLiteralElementLike | undefined): ts.Expression | undefined {
  return p && ts.isPropertyAssignment(p) ? p.initializer : undefined;
}

export interface RegisterCall {
  type: string;
  /** The 2nd argument when it is an inline object literal. */
  literal?: ts.ObjectLiteralExpression;
  /** Syntax kind of the 2nd argument (for messages). */
  argKind: string;
}

export interface ParsedEditor {
  source: ts.SourceFile;
  /** Syntax errors the parser reported. */
  diagnostics: string[];
  calls: RegisterCall[];
}

/** Parses an editor script and finds every `RED.nodes.registerType('<type>', ...)` call. */
export function parseEditor(script: string, fileName: string): ParsedEditor {
  const source = ts.createSourceFile(fileName, script, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
  const diags = (source as unknown as { parseDiagnostics?: ts.Diagnostic[] }).parseDiagnostics ?? [];
  const calls: RegisterCall[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && node.expression.getText(source).replace(/\s+/g, '') === 'RED.nodes.registerType') {
      const [first, second] = node.arguments;
      if (first && (ts.isStringLiteral(first) || ts.isNoSubstitutionTemplateLiteral(first))) {
        calls.push({
          type: first.text,
          literal: second && ts.isObjectLiteralExpression(second) ? second : undefined,
          argKind: second ? ts.SyntaxKind[second.kind] : 'missing',
        });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return { source, diagnostics: diags.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n')), calls };
}

/** `category` of an editor literal when it is a string literal. */
export function categoryOf(literal: ts.ObjectLiteralExpression): string | undefined {
  const v = valueOf(props(literal).get('category'));
  return v && (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v)) ? v.text : undefined;
}

/**
 * `credentials` of an editor literal as key → `type` (undefined when the literal
 * has no credentials property). A value the parser cannot read statically is
 * reported as `<not a literal>` so that a comparison fails loudly.
 */
export function editorCredentials(literal: ts.ObjectLiteralExpression): Record<string, string> | undefined {
  const p = props(literal).get('credentials');
  if (!p) return undefined;
  const v = valueOf(p);
  if (!v || !ts.isObjectLiteralExpression(v)) return { '<credentials>': '<not a literal>' };
  const out: Record<string, string> = {};
  for (const c of v.properties) {
    const key = propName(c) ?? '<computed>';
    const cv = valueOf(c);
    const t = cv && ts.isObjectLiteralExpression(cv) ? valueOf(props(cv).get('type')) : undefined;
    out[key] = t && (ts.isStringLiteral(t) || ts.isNoSubstitutionTemplateLiteral(t)) ? t.text : '<not a literal>';
  }
  return out;
}

/**
 * Icon file names an editor literal may use: the `icon` string, or every
 * string literal ending in an image extension inside an `icon` function.
 */
export function editorIcons(literal: ts.ObjectLiteralExpression): string[] {
  const p = props(literal).get('icon');
  if (!p) return [];
  const found = new Set<string>();
  const visit = (n: ts.Node): void => {
    if ((ts.isStringLiteral(n) || ts.isNoSubstitutionTemplateLiteral(n)) && /\.(svg|png|gif|jpe?g)$/i.test(n.text)) found.add(n.text);
    ts.forEachChild(n, visit);
  };
  const v = valueOf(p);
  if (v && (ts.isStringLiteral(v) || ts.isNoSubstitutionTemplateLiteral(v))) found.add(v.text);
  else visit(p);
  return [...found];
}

// ------------------------------------------------------------- core node types

/** Node types of the stock Node-RED core nodes (data-template-name of @node-red/nodes/core/**.html) plus the editor's built-in types. */
export function coreNodeTypes(): Set<string> {
  const nodesPkg = createRequire(path.join(NODE_RED_DIR, 'package.json')).resolve('@node-red/nodes/package.json');
  const coreDir = path.join(path.dirname(nodesPkg), 'core');
  const out = new Set<string>(['tab', 'subflow', 'group', 'junction', 'unknown']);
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.html')) {
        for (const m of fs.readFileSync(p, 'utf8').matchAll(/data-template-name=["']([^"']+)["']/g)) if (m[1]) out.add(m[1]);
      }
    }
  };
  walk(coreDir);
  return out;
}
