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
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { inject } from 'vitest';

export const ROOT = path.resolve(__dirname, '..', '..');
export const PACKAGE_NAME = '@plantwire/node-red';
/** The stock Node-RED of the project's devDependencies. */
export const NODE_RED_DIR = path.join(ROOT, 'node_modules', 'node-red');

/** Top-level entries of the project not copied for packing (rebuilt, or irrelevant to the tarball). */
const NOT_COPIED = new Set(['node_modules', '.git', 'dist', 'examples', '.plantwire', 'coverage', 'test-results']);
/**
 * Build outputs of the palettes in palettes/ (not copied: test/pack/mtconnect.test.ts may be rebuilding them in the
 * other worker, and they are not ours to pack; their sources are copied, and node-red-dev.test.ts checks none is packed).
 */
const PALETTE_BUILDS = /^palettes[\\/][^\\/]+[\\/](dist|node_modules|examples)([\\/]|$)/;
/** Files planted in the copy that the tarball must NOT contain (the exclusion checks stay meaningful on a clean checkout). */
export const SENTINELS = ['.plantwire/sentinel.json', 'stale-sentinel-0.0.0.tgz'];

export { childEnv, run, PALETTE_MANAGER_ARGS, type RunResult } from '../../src/conformance/install';
import { installTarball, run } from '../../src/conformance/install';

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
      fs.cpSync(path.join(ROOT, entry), path.join(copy, entry), { recursive: true, dereference: false, filter: (src) => !PALETTE_BUILDS.test(path.relative(ROOT, src)) });
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

/** Installs the tarball as the palette manager does, with --ignore-scripts, into a new, stock Node-RED user dir. */
export async function installPalette(tarball: string, userDir: string): Promise<Installed> {
  // --ignore-scripts: no install script runs (as when npm's allowScripts blocks them). The palette
  // needs none: the disk buffer runs on Node's built-in node:sqlite, nothing is compiled.
  const pkgDir = await installTarball(tarball, userDir);
  if (pkgDir !== path.join(userDir, 'node_modules', ...PACKAGE_NAME.split('/'))) throw new Error(`installed ${pkgDir}, expected ${PACKAGE_NAME}`);
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

// The editor-file readers moved to src/conformance/editor.ts (the `plantwire check` kit shares them).
export { categoryOf, editorCredentials, editorIcons, editorScript, parseEditor, propName, props, valueOf, type ParsedEditor, type RegisterCall } from '../../src/conformance/editor';
import { coreNodeTypes as coreTypesOf } from '../../src/conformance/editor';

/** Node types of the stock Node-RED core nodes of the project's devDependency. */
export function coreNodeTypes(): Set<string> {
  return coreTypesOf(NODE_RED_DIR);
}
