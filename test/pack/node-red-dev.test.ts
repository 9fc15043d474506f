/**
 * The offline checks of `node-red-dev validate` (node-red/node-red-dev-cli,
 * docs/P01–P07, N01, N02, D01, D02), run on the PACKED tarball, plus the
 * editor-definition, tarball-contents and credentials checks of this palette.
 * The catalogue-dependent checks (P02 against the repository's own
 * package.json, P08 similar names, N01 against the catalogue, D03 outdated
 * dependencies) need the network and are approximated or left out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  SENTINELS,
  categoryOf,
  coreNodeTypes,
  declaredNodes,
  editorCredentials,
  editorScript,
  extractTarball,
  installedCopy,
  loadSemver,
  parseEditor,
  props,
  readJson,
  sharedPack,
  valueOf,
  type Installed,
  type PackageJson,
  type Packed,
} from '../helpers/pack';

/** An editor definition found in a packed dist/nodes/*.html. */
interface EditorDef {
  type: string;
  /** dist/nodes/<file>.html, relative to the package root. */
  file: string;
  literal?: ts.ObjectLiteralExpression;
  argKind: string;
  category?: string;
}

/** Node-RED releases the palette must accept (P06): the devDependency and the next major. */
const NODE_RED_VERSIONS = ['4.1.15', '5.0.0'];
/**
 * Node.js lines the palette must accept (P07): the maintained LTS lines from
 * the first release node-opcua ≥ 2.186 and the built-in node:sqlite need
 * (22.13) — Node 20 reached end of life on 2026-04-30.
 */
const NODE_LINES = ['>=22.13.0 <23.0.0', '24.x'];
/**
 * node-red-dev warns above 6 (a hint, "can be noted in the README"); this
 * palette's budget is 10, each one a field-standard library used at run time:
 * ajv, modbus-serial, mqtt, mustache, node-opcua, nodemailer, pg,
 * pg-copy-streams, protobufjs, semver (mathjs's Unit type is bundled into
 * dist/vendor by the build: scripts/vendor/mathjs-units.mjs).
 */
const MAX_DEPENDENCIES = 10;
/** node-red-dev-cli badpackages.json (D02). */
const BAD_PACKAGES: Record<string, string> = { 'agent-base': '<6.0.0' };

const semver = loadSemver();

describe('node-red-dev validate checks on the packed tarball', () => {
  let packed: Packed | undefined;
  let work = '';
  let pkgDir = '';
  let installed: Installed;
  let pkg: PackageJson;
  let nodeSets: Record<string, string>;
  const editors: EditorDef[] = [];
  const parseErrors: string[] = [];

  const has = (rel: string): boolean => packed?.files.includes(rel) ?? false;
  const typeList = (): string[] => editors.map((e) => e.type);

  beforeAll(async () => {
    // The run's one pack and install, shared with test/pack/tarball.test.ts (test/helpers/pack.ts).
    const shared = await sharedPack();
    packed = shared;
    work = fs.mkdtempSync(path.join(shared.tmp, 'node-red-dev-'));
    pkgDir = await extractTarball(packed.tarball, path.join(work, 'extract'));
    pkg = readJson<PackageJson>(path.join(pkgDir, 'package.json'));
    nodeSets = declaredNodes(pkg);
    const htmlFiles = packed.files.filter((f) => /^dist\/nodes\/[^/]+\.html$/.test(f));
    for (const file of htmlFiles) {
      const html = fs.readFileSync(path.join(pkgDir, file), 'utf8');
      const script = editorScript(html);
      if (script === undefined) {
        parseErrors.push(`${file}: no <script type="text/javascript"> block`);
        continue;
      }
      const parsed = parseEditor(script, file);
      for (const d of parsed.diagnostics) parseErrors.push(`${file}: syntax error in the editor script: ${d}`);
      if (parsed.calls.length === 0) parseErrors.push(`${file}: no RED.nodes.registerType('<type>', ...) call`);
      for (const call of parsed.calls) {
        editors.push({ type: call.type, file, literal: call.literal, argKind: call.argKind, category: call.literal && categoryOf(call.literal) });
      }
    }
    // Installed as a user would (production dependencies only), for loading the runtime and D02.
    installed = installedCopy(shared, path.join(work, 'userdir'));
  }, 900_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  // ------------------------------------------------------------- package.json

  it('P01 package.json declares a licence (SPDX expression or a licence file in the package)', () => {
    const license = pkg.license;
    expect(typeof license === 'string' && license.trim() !== '', `P01 package.json "license" must be a non-empty string, got ${JSON.stringify(license)}`).toBe(true);
    const text = String(license);
    const seeFile = /^SEE LICEN[CS]E IN (.+)$/.exec(text);
    if (seeFile?.[1]) {
      expect(has(seeFile[1].trim()), `P01 "license": "${text}" names a file that is not in the tarball`).toBe(true);
    } else {
      const id = String.raw`[A-Za-z0-9][A-Za-z0-9.-]*\+?`;
      const expr = new RegExp(String.raw`^\(?\s*${id}(\s+WITH\s+${id})?\s*\)?(\s+(AND|OR)\s+\(?\s*${id}(\s+WITH\s+${id})?\s*\)?)*$`);
      expect(text === 'UNLICENSED' || expr.test(text), `P01 "license": "${text}" is not an SPDX expression, "UNLICENSED" or "SEE LICENSE IN <file>"`).toBe(true);
    }
  });

  it('P02 repository.url is present and a git URL (the name match against the hosted package.json needs the network)', () => {
    const repo = pkg.repository;
    const url = typeof repo === 'string' ? repo : repo?.url;
    expect(url, 'P02 package.json "repository" (with a url) is missing').toBeTruthy();
    const u = String(url);
    const gitUrl =
      /^(git\+)?(https?|ssh|git):\/\/[^\s/]+\/\S+?(\.git)?$/.test(u) ||
      /^[\w.-]+@[\w.-]+:\S+?\.git$/.test(u) ||
      /^(github|gitlab|bitbucket):[\w.-]+\/[\w.-]+$/.test(u) ||
      /^[\w.-]+\/[\w.-]+$/.test(u);
    expect(gitUrl, `P02 repository url "${u}" is not a git URL`).toBe(true);
    if (typeof repo === 'object' && repo.type !== undefined) expect(repo.type, 'P02 repository.type').toBe('git');
  });

  it('P03 package.json has a repository or a bugs URL/email', () => {
    const repo = pkg.repository;
    const repoUrl = typeof repo === 'string' ? repo : repo?.url;
    const bugs = pkg.bugs;
    const bugsOk = typeof bugs === 'string' ? bugs.trim() !== '' : Boolean(bugs?.url || bugs?.email);
    expect(Boolean(repoUrl) || bugsOk, 'P03 package.json needs "repository" or "bugs" (url or email) so users can report problems').toBe(true);
  });

  it('P04 package name follows the Node-RED naming rules', () => {
    const name = String(pkg.name ?? '');
    expect(name.length > 0 && name.length <= 214, `P04 package name "${name}" must be 1–214 characters`).toBe(true);
    expect(name, `P04 package name "${name}" must be lowercase and URL-safe`).toMatch(/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/);
    const scoped = name.startsWith('@');
    if (!scoped) {
      // Unscoped names (packages from before December 2021) starting with node-red/nodered must use the -contrib- prefix.
      if (/^node-?red/.test(name)) {
        expect(name, `P04 unscoped name "${name}" starts with node-red/nodered and so must start with node-red-contrib- or nodered-contrib-`).toMatch(/^node-?red-contrib-/);
      }
    }
  });

  it('P05 keywords include "node-red"', () => {
    expect(pkg.keywords ?? [], 'P05 package.json "keywords" must include "node-red" (else the Flow Library does not list it)').toContain('node-red');
  });

  it(`P06 "node-red".version is a valid semver range accepting Node-RED ${NODE_RED_VERSIONS.join(' and ')}`, () => {
    const range = pkg['node-red']?.version;
    expect(range, 'P06 package.json "node-red".version (minimum Node-RED version) is missing').toBeTruthy();
    expect(semver.validRange(String(range)), `P06 "node-red".version "${range}" is not a valid semver range`).not.toBeNull();
    for (const v of NODE_RED_VERSIONS) {
      expect(semver.satisfies(v, String(range)), `P06 "node-red".version "${range}" does not accept Node-RED ${v}`).toBe(true);
    }
  });

  it(`P07 engines.node is a valid semver range accepting Node ${NODE_LINES.join(' and ')}`, () => {
    const range = pkg.engines?.node;
    expect(range, 'P07 package.json "engines".node (minimum Node.js version) is missing').toBeTruthy();
    expect(semver.validRange(String(range)), `P07 engines.node "${range}" is not a valid semver range`).not.toBeNull();
    for (const line of NODE_LINES) expect(semver.subset(line, String(range)), `P07 engines.node "${range}" does not accept every Node ${line}`).toBe(true);
    expect(semver.satisfies('20.19.0', String(range)), `P07 engines.node "${range}" must refuse Node 20 (end of life; node-opcua needs 22.13)`).toBe(false);
    expect(semver.satisfies(process.version, String(range)), `P07 engines.node "${range}" does not accept the Node running the tests (${process.version})`).toBe(true);
  });

  // ------------------------------------------------------------------- nodes

  it('every dist/nodes/*.html registers its types with an inline literal holding the required properties', () => {
    const problems = [...parseErrors];
    expect(editors.length, 'editor: no registerType call in any dist/nodes/*.html of the tarball').toBeGreaterThan(0);
    for (const e of editors) {
      const where = `${e.file} registerType('${e.type}')`;
      if (!e.literal) {
        problems.push(`${where}: 2nd argument must be an inline object literal, got ${e.argKind}`);
        continue;
      }
      const p = props(e.literal);
      const isConfig = e.category === 'config';
      const defaults = valueOf(p.get('defaults'));
      if (!defaults || !ts.isObjectLiteralExpression(defaults)) {
        problems.push(`${where}: "defaults" must be an object literal`);
      } else {
        const version = valueOf(props(defaults).get('version'));
        const value = version && ts.isObjectLiteralExpression(version) ? valueOf(props(version).get('value')) : undefined;
        if (!value || !ts.isNumericLiteral(value)) problems.push(`${where}: defaults.version must be { value: <number> } (config migrations need it)`);
      }
      if (!p.has('category')) problems.push(`${where}: "category" is missing`);
      else if (e.category === undefined) problems.push(`${where}: "category" must be a string literal`);
      for (const key of ['color', 'icon']) if (!p.has(key)) problems.push(`${where}: "${key}" is missing`);
      if (!isConfig) for (const key of ['inputs', 'outputs']) if (!p.has(key)) problems.push(`${where}: "${key}" is missing (required unless category is 'config')`);
      if (!p.has('paletteLabel') && !p.has('label')) problems.push(`${where}: "paletteLabel" or "label" is missing`);
    }
    expect(problems, `editor definition problems:\n${problems.join('\n')}`).toEqual([]);
  });

  it('every declared node set ships its editor html, with a definition of the type', () => {
    const problems: string[] = [];
    for (const [set, file] of Object.entries(nodeSets)) {
      if (!has(file)) problems.push(`"node-red".nodes.${set} = "${file}" is not in the tarball`);
      const html = file.replace(/\.js$/, '.html');
      if (!has(html)) problems.push(`${html} (editor of node set ${set}) is not in the tarball`);
      if (!editors.some((e) => e.file === html && e.type === set)) problems.push(`${html} does not register the type "${set}"`);
    }
    expect(problems, problems.join('\n')).toEqual([]);
  });

  it('N01 node type names are unique and do not clash with Node-RED core node types', () => {
    const types = typeList();
    const dupes = types.filter((t, i) => types.indexOf(t) !== i);
    expect(dupes, `N01 node types registered more than once in the editor files: ${dupes.join(', ')}`).toEqual([]);
    const core = coreNodeTypes();
    expect(core.size, 'N01 could not read the core node types from @node-red/nodes').toBeGreaterThan(30);
    const clashes = types.filter((t) => core.has(t));
    expect(clashes, `N01 node types clashing with Node-RED core types: ${clashes.join(', ')}`).toEqual([]);
  });

  it('N02 examples/ has a flow using every non-config node type', () => {
    const exampleFiles = packed?.files.filter((f) => f.startsWith('examples/') && f.endsWith('.json')) ?? [];
    expect(exampleFiles.length, 'N02 the tarball has no examples/**/*.json flow file').toBeGreaterThan(0);
    const used = new Set<string>();
    const bad: string[] = [];
    for (const f of exampleFiles) {
      let flow: unknown;
      try {
        flow = JSON.parse(fs.readFileSync(path.join(pkgDir, f), 'utf8'));
      } catch (err) {
        bad.push(`${f}: not valid JSON (${(err as Error).message})`);
        continue;
      }
      if (!Array.isArray(flow)) {
        bad.push(`${f}: not an array of nodes`);
        continue;
      }
      for (const n of flow as Array<{ type?: unknown }>) if (typeof n?.type === 'string') used.add(n.type);
    }
    expect(bad, `N02 unreadable example flows:\n${bad.join('\n')}`).toEqual([]);
    const missing = editors.filter((e) => e.category !== 'config' && !used.has(e.type)).map((e) => e.type);
    expect(missing, `N02 node types used in no examples/*.json flow: ${missing.join(', ')}`).toEqual([]);
  });

  // ------------------------------------------------------------ dependencies

  it(`D01 at most ${MAX_DEPENDENCIES} direct dependencies, and not node-red itself`, () => {
    const deps = Object.keys(pkg.dependencies ?? {});
    console.info(`D01 ${pkg.name} has ${deps.length} direct dependencies: ${deps.join(', ') || '(none)'}`);
    expect(deps.length, `D01 ${deps.length} direct dependencies (${deps.join(', ')}) is more than ${MAX_DEPENDENCIES}`).toBeLessThanOrEqual(MAX_DEPENDENCIES);
    expect(deps, 'D01 node-red must not be a dependency of a palette (the runtime provides it)').not.toContain('node-red');
  });

  it('D02 the installed dependency tree has no package known to break Node-RED', () => {
    const found: string[] = [];
    const walk = (dir: string, depth: number): void => {
      if (depth > 30 || !fs.existsSync(dir)) return;
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!e.isDirectory() || e.name.startsWith('.')) continue;
        const p = path.join(dir, e.name);
        if (e.name.startsWith('@')) {
          walk(p, depth);
          continue;
        }
        const pj = path.join(p, 'package.json');
        if (fs.existsSync(pj)) {
          const { name, version } = readJson<{ name?: string; version?: string }>(pj);
          const bad = name ? BAD_PACKAGES[name] : undefined;
          if (bad && version && semver.satisfies(version, bad)) found.push(`${name}@${version} (${path.relative(installed.userDir, p)})`);
        }
        walk(path.join(p, 'node_modules'), depth + 1);
      }
    };
    walk(path.join(installed.userDir, 'node_modules'), 0);
    expect(found, `D02 known-bad packages in the installed tree: ${found.join(', ')}`).toEqual([]);
  });

  it('the installed palette converts units with its bundled mathjs Unit type, without the mathjs package', () => {
    const req = createRequire(path.join(installed.pkgDir, 'package.json'));
    expect(() => req.resolve('mathjs'), 'mathjs is a devDependency: the user dir must not get the 17.6 MB package').toThrow();
    expect(has('dist/vendor/mathjs-units.js') && has('dist/vendor/mathjs-units.LICENSES.txt'), 'dist/vendor/mathjs-units.js and its licences are packed').toBe(true);
    const units = req(path.join(installed.pkgDir, 'dist', 'src', 'transforms', 'units.js')) as {
      UNITS_BUNDLE: string;
      compileUnitConversion(from: string, to: string): { a: number; b: number };
    };
    expect(units.UNITS_BUNDLE).toBe(path.join(installed.pkgDir, 'dist', 'vendor', 'mathjs-units.js'));
    const flow = units.compileUnitConversion('m³/h', 'l/min');
    expect(flow.a).toBeCloseTo(1000 / 60, 9);
    expect(flow.b).toBe(0);
    const temp = units.compileUnitConversion('°F', '°C');
    expect(temp.a * 212 + temp.b).toBeCloseTo(100, 9);
    expect(() => units.compileUnitConversion('bar', '°C')).toThrow(/different quantities/);
  });

  // ------------------------------------------------------------------ files

  it('the tarball holds the built palette, examples, README.md, LICENSE and package.json', () => {
    const missing: string[] = [];
    for (const f of ['package.json', 'README.md', 'LICENSE']) if (!has(f)) missing.push(f);
    if (!packed?.files.some((f) => f.startsWith('examples/'))) missing.push('examples/');
    for (const type of Object.keys(nodeSets)) {
      for (const f of [`dist/nodes/${type}.js`, `dist/nodes/${type}.html`, `dist/nodes/locales/en-US/${type}.html`]) if (!has(f)) missing.push(f);
    }
    for (const type of typeList()) if (!has(`dist/nodes/locales/en-US/${type}.html`)) missing.push(`dist/nodes/locales/en-US/${type}.html`);
    const bins = typeof pkg.bin === 'string' ? [pkg.bin] : Object.values((pkg.bin as Record<string, string> | undefined) ?? {});
    for (const b of bins) if (!has(path.posix.normalize(b))) missing.push(`${b} (package.json "bin")`);
    expect([...new Set(missing)], `files: missing from the tarball: ${[...new Set(missing)].join(', ')}\ntarball: ${packed?.files.join(', ')}`).toEqual([]);
  });

  it('the tarball holds no sources, tests, workspace state or tarballs', () => {
    const files = packed?.files ?? [];
    const forbidden = files.filter(
      (f) =>
        /^src\//.test(f) ||
        /^test\//.test(f) ||
        /^nodes\/.*\.ts$/.test(f) ||
        (/\.ts$/.test(f) && !/\.d\.ts$/.test(f)) ||
        /(^|\/)\.plantwire\//.test(f) ||
        /\.tgz$/.test(f),
    );
    expect(forbidden, `files: the tarball must not contain ${forbidden.join(', ')}`).toEqual([]);
    // The packed copy of the project had these planted; they must have been left out.
    for (const s of SENTINELS) expect(has(s), `files: ${s} was packed`).toBe(false);
  });

  // ------------------------------------------------------------ credentials

  it('credentials declared by the runtime (registerType opts) match the editor definition exactly', async () => {
    const registered = new Map<string, { credentials?: Record<string, { type?: unknown }> } | undefined>();
    const noop = (): void => undefined;
    const log = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, audit: noop, metric: () => false, log: noop };
    const routes = { get: noop, post: noop, put: noop, delete: noop, use: noop };
    const RED = {
      nodes: {
        createNode: noop,
        registerType(type: string, _ctor: unknown, opts?: { credentials?: Record<string, { type?: unknown }> }) {
          if (registered.has(type)) throw new Error(`N01 type ${type} registered twice at runtime`);
          registered.set(type, opts);
        },
        getNode: () => null,
        getCredentials: () => undefined,
      },
      httpAdmin: routes,
      httpNode: routes,
      auth: { needsPermission: () => (_req: unknown, _res: unknown, next: () => void) => next() },
      settings: { userDir: installed.userDir, available: () => false },
      log,
      events: { on: noop, once: noop, off: noop, removeListener: noop, emit: noop },
      util: {},
      version: () => '4.1.8',
      _: (key: string) => key,
    };
    const req = createRequire(path.join(installed.pkgDir, 'package.json'));
    for (const [set, file] of Object.entries(nodeSets)) {
      const mod = req(path.join(installed.pkgDir, file)) as unknown;
      const register = (typeof mod === 'function' ? mod : (mod as { default?: unknown })?.default) as ((red: unknown) => unknown) | undefined;
      expect(typeof register, `credentials: ${file} (node set ${set}) must export a function (RED) => void`).toBe('function');
      await register?.(RED);
    }

    const problems: string[] = [];
    const fromEditor = new Set(typeList());
    for (const t of registered.keys()) if (!fromEditor.has(t)) problems.push(`type ${t} is registered at runtime but has no editor definition`);
    for (const e of editors) {
      if (!registered.has(e.type)) {
        problems.push(`type ${e.type} (${e.file}) is not registered by any node set's runtime`);
        continue;
      }
      const runtimeCreds = registered.get(e.type)?.credentials;
      const runtime = runtimeCreds ? Object.fromEntries(Object.entries(runtimeCreds).map(([k, v]) => [k, String(v?.type)])) : undefined;
      const editor = e.literal ? editorCredentials(e.literal) : undefined;
      const norm = (c: Record<string, string> | undefined): string => JSON.stringify(Object.entries(c ?? {}).sort(([a], [b]) => a.localeCompare(b)));
      if (norm(runtime) !== norm(editor)) {
        problems.push(`type ${e.type}: runtime credentials ${JSON.stringify(runtime ?? null)} ≠ editor credentials ${JSON.stringify(editor ?? null)}`);
      }
    }
    expect(problems, `credentials:\n${problems.join('\n')}`).toEqual([]);
  });
});
