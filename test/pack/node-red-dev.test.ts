/**
 * The offline checks of `node-red-dev validate` (node-red/node-red-dev-cli,
 * docs/P01–P07, N01, N02, D01, D02), run on the PACKED tarball through the
 * conformance kit's scorecard (src/conformance/scorecard.ts — the same code
 * `plantwire check` runs), plus this palette's stricter rules: the Node.js
 * lines it supports, its dependency budget, the tarball contents, and the
 * credentials check (editor = runtime) of the kit.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { credentialFindings, credentialsJob } from '../../src/conformance/check';
import type { Finding } from '../../src/conformance/findings';
import { readEditors, scorecard, type EditorDef } from '../../src/conformance/scorecard';
import { NODE_RED_DIR, SENTINELS, declaredNodes, extractTarball, installedCopy, loadSemver, readJson, sharedPack, type Installed, type PackageJson, type Packed } from '../helpers/pack';

/** Node-RED releases the palette must accept (P06): the devDependency and the next major. */
const NODE_RED_VERSIONS = ['4.1.15', '5.0.0'];
/**
 * Node.js lines the palette must accept (P07): the maintained LTS lines from
 * the first release node-opcua ≥ 2.186 and the built-in node:sqlite need
 * (22.13) — Node 20 reached end of life on 2026-04-30.
 */
const NODE_LINES = ['>=22.13.0 <23.0.0', '24.x'];
/**
 * node-red-dev notes above 6 (a hint, "can be noted in the README"); this
 * palette's budget is 12, each one a field-standard library used at run time:
 * @nats-io/jetstream, @nats-io/transport-node, ajv, modbus-serial, mqtt,
 * mustache, node-opcua, nodemailer, pg, pg-copy-streams, protobufjs, semver
 * (mathjs's Unit type is bundled into dist/vendor by the build:
 * scripts/vendor/mathjs-units.mjs).
 */
const MAX_DEPENDENCIES = 12;
/** The scorecard's rules and the kit's file rules, each must report nothing (D01's "more than 6" note aside). */
const RULES = ['P01', 'P02', 'P03', 'P04', 'P05', 'P06', 'P07', 'editor', 'files', 'N01', 'N02', 'D01', 'D02', 'help', 'locales'];

const semver = loadSemver();

describe('node-red-dev validate checks on the packed tarball', () => {
  let packed: Packed | undefined;
  let work = '';
  let pkgDir = '';
  let installed: Installed;
  let pkg: PackageJson;
  let nodeSets: Record<string, string>;
  let editors: EditorDef[] = [];
  const findings: Finding[] = [];

  const has = (rel: string): boolean => packed?.files.includes(rel) ?? false;

  beforeAll(async () => {
    // The run's one pack and install, shared with test/pack/tarball.test.ts (test/helpers/pack.ts).
    const shared = await sharedPack();
    packed = shared;
    work = fs.mkdtempSync(path.join(shared.tmp, 'node-red-dev-'));
    pkgDir = await extractTarball(packed.tarball, path.join(work, 'extract'));
    pkg = readJson<PackageJson>(path.join(pkgDir, 'package.json'));
    nodeSets = declaredNodes(pkg);
    // Installed as a user would (production dependencies only), for loading the runtime and D02.
    installed = installedCopy(shared, path.join(work, 'userdir'));
    const read = readEditors(pkgDir, pkg);
    editors = read.editors;
    findings.push(...read.findings);
    findings.push(...scorecard({ pkgDir, pkg, files: packed.files, nodeRedVersions: NODE_RED_VERSIONS, nodeRedDir: NODE_RED_DIR, installedTrees: [path.join(installed.userDir, 'node_modules')] }, editors));
  }, 900_000);

  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it.each(RULES)('%s: the kit reports nothing', (rule) => {
    const got = findings.filter((f) => f.check === rule && !(rule === 'D01' && f.level === 'note'));
    expect(got.map((f) => `${f.level} ${f.type ?? ''} ${f.message}\n  fix: ${f.fix}`), `${rule} findings`).toEqual([]);
  });

  it('editor definitions were read for every node set', () => {
    expect(editors.length).toBeGreaterThan(0);
    for (const set of Object.keys(nodeSets)) expect(editors.map((e) => e.type), `editor of ${set}`).toContain(set);
  });

  it(`P07 engines.node accepts every Node ${NODE_LINES.join(' and ')} and refuses Node 20`, () => {
    const range = String(pkg.engines?.node);
    for (const line of NODE_LINES) expect(semver.subset(line, range), `P07 engines.node "${range}" does not accept every Node ${line}`).toBe(true);
    expect(semver.satisfies('20.19.0', range), `P07 engines.node "${range}" must refuse Node 20 (end of life; node-opcua needs 22.13)`).toBe(false);
  });

  it(`D01 at most ${MAX_DEPENDENCIES} direct dependencies`, () => {
    const deps = Object.keys(pkg.dependencies ?? {});
    console.info(`D01 ${pkg.name} has ${deps.length} direct dependencies: ${deps.join(', ') || '(none)'}`);
    expect(deps.length, `D01 ${deps.length} direct dependencies (${deps.join(', ')}) is more than ${MAX_DEPENDENCIES}`).toBeLessThanOrEqual(MAX_DEPENDENCIES);
  });

  // ------------------------------------------------------------------ files

  it('the tarball holds the built palette, examples, README.md, LICENSE and package.json', () => {
    const missing: string[] = [];
    for (const f of ['package.json', 'README.md', 'LICENSE']) if (!has(f)) missing.push(f);
    if (!packed?.files.some((f) => f.startsWith('examples/'))) missing.push('examples/');
    for (const type of Object.keys(nodeSets)) {
      for (const f of [`dist/nodes/${type}.js`, `dist/nodes/${type}.html`, `dist/nodes/locales/en-US/${type}.html`]) if (!has(f)) missing.push(f);
    }
    for (const type of editors.map((e) => e.type)) if (!has(`dist/nodes/locales/en-US/${type}.html`)) missing.push(`dist/nodes/locales/en-US/${type}.html`);
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
        // The second palette (palettes/mtconnect) is its own package, never part of ours.
        /^palettes\//.test(f) ||
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
    const got = await credentialFindings(credentialsJob(installed.pkgDir, installed.userDir, NODE_RED_DIR), editors);
    expect(got.map((f) => `${f.type}: ${f.message}`), 'credentials').toEqual([]);
  });
});
