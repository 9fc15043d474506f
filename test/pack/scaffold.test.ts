/**
 * The vendor's path, as issue 19 asks to show it: in a temporary folder
 * `plantwire new palette acme-demo` (plus one node of each other kind with
 * `plantwire new node`) → `npm install` (@plantwire/sdk from a tarball of
 * packages/sdk as the palette's one runtime dependency, @plantwire/node-red
 * from this package's tarball as its devDependency, as a vendor's package
 * depends on them) → the palette's own tests pass (unit test + the
 * conformance kit on Node-RED 4) → its packed tarball passes `plantwire check`
 * on a stock Node-RED 4 and Node-RED 5 (Node 22), where none of Plantwire's
 * own node types is loaded beside the vendor's; installed as the palette
 * manager installs it (--omit=dev), it brings no @plantwire/node-red.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/conformance/findings';
import { installTarball } from '../../src/conformance/install';
import { NODE_RED_DIR, ROOT, run, sharedPack } from '../helpers/pack';
import { NODE22, NR5_DIR, nr5Installed } from '../helpers/nr5';

const BIN = path.join(ROOT, 'bin', 'plantwire.js');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

describe('plantwire new palette → npm install → npm test → plantwire check on Node-RED 4 and 5', () => {
  let tmp: string | undefined;
  afterAll(() => {
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('a new palette with a node of each kind installs, passes its tests and the kit, and its tarball loads in Node-RED 4 and 5', async () => {
    const t: Record<string, number> = {};
    let t0 = Date.now();
    // @plantwire/node-red (the plantwire CLI and the kit, a devDependency): the run's one shared pack of this package (test/helpers/pack.ts).
    const packed = await sharedPack();
    t.packPlantwire = Date.now() - t0;
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-scaffold-'));
    // @plantwire/sdk (the one runtime dependency): npm pack of packages/sdk as the shared pack's build made it (its prepack
    // ran scripts/build.mjs in the project copy), so both tarballs come from one build.
    t0 = Date.now();
    const sdkOut = path.join(tmp, 'sdk-out');
    fs.mkdirSync(sdkOut);
    const sdkDir = path.join(packed.tmp, 'project', 'packages', 'sdk');
    expect(fs.existsSync(path.join(sdkDir, 'dist', 'index.js')), `the shared pack's build made ${sdkDir}/dist`).toBe(true);
    await run(NPM, ['pack', '--pack-destination', sdkOut], { cwd: sdkDir });
    const sdkTgz = path.join(sdkOut, fs.readdirSync(sdkOut).find((f) => f.endsWith('.tgz'))!);
    expect(path.basename(sdkTgz)).toMatch(/^plantwire-sdk-\d+\.\d+\.\d+\.tgz$/);
    t.packSdk = Date.now() - t0;
    const work = path.join(tmp, 'vendor');
    fs.mkdirSync(work);

    const created = await run(process.execPath, [BIN, 'new', 'palette', 'acme-demo', '--sdk', sdkTgz, '--plantwire', packed.tarball], { cwd: work });
    expect(created.stdout).toMatch(/created .*acme-demo/);
    const dir = path.join(work, 'acme-demo');
    for (const [type, kind] of [['acme-demo-counter', 'source'], ['acme-demo-file', 'sink'], ['acme-demo-server', 'config']]) {
      await run(process.execPath, [BIN, 'new', 'node', type!, '--kind', kind!], { cwd: dir });
    }
    for (const f of ['package.json', 'tsconfig.json', 'scripts/build.mjs', '.ci/run', 'README.md', 'LICENSE', 'nodes/acme-demo-scale/runtime.ts', 'nodes/acme-demo-scale/editor.html', 'nodes/acme-demo-scale/help.md', 'nodes/acme-demo-scale/help.de.md', 'nodes/acme-demo-scale/locales/en-US.json', 'nodes/acme-demo-scale/locales/de.json', 'nodes/icons/acme-demo-scale.svg', 'flows/acme-demo-scale.json', 'test/conformance.test.mjs']) {
      expect(fs.existsSync(path.join(dir, f)), `scaffold wrote ${f}`).toBe(true);
    }
    // The sink kind is built on the SDK's sink kit (check at input, store-and-forward buffer, deliver), not hand-written delivery.
    const sink = fs.readFileSync(path.join(dir, 'nodes', 'acme-demo-file', 'runtime.ts'), 'utf8');
    expect(sink).toMatch(/import \{[^}]*\bdefineSink\b[^}]*\} from '@plantwire\/sdk'/);
    expect(sink).not.toMatch(/onInput/);
    expect(fs.readFileSync(path.join(dir, 'nodes', 'acme-demo-file', 'editor.html'), 'utf8')).toMatch(/bufferMode: \{ value: 'memory' \}/);
    // Every generated runtime imports the SDK package, nothing of @plantwire/node-red.
    for (const type of ['acme-demo-scale', 'acme-demo-counter', 'acme-demo-file', 'acme-demo-server']) {
      const specs = [...fs.readFileSync(path.join(dir, 'nodes', type, 'runtime.ts'), 'utf8').matchAll(/from '([^']+)'/g)].map((m) => m[1]);
      expect(specs.filter((s) => !s!.startsWith('node:')), `${type}/runtime.ts imports`).toEqual(['@plantwire/sdk']);
    }
    const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string>; 'node-red': { nodes: Record<string, string> } };
    // The SDK alone at runtime; @plantwire/node-red only for development (its nodes must not reach the user's editor).
    expect(pkg.dependencies).toEqual({ '@plantwire/sdk': `file:${sdkTgz}` });
    expect(pkg.devDependencies['@plantwire/node-red']).toBe(`file:${packed.tarball}`);
    expect(Object.keys(pkg['node-red'].nodes).sort()).toEqual(['acme-demo-counter', 'acme-demo-file', 'acme-demo-scale', 'acme-demo-server']);

    t0 = Date.now();
    await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline'], { cwd: dir });
    t.install = Date.now() - t0;
    t0 = Date.now();
    const tested = await run(NPM, ['test'], { cwd: dir }).catch((err: Error) => ({ stdout: err.message, stderr: '', failed: true }));
    t.npmTest = Date.now() - t0;
    expect('failed' in tested ? tested.stdout : '', 'npm test of the new palette').toBe('');
    expect(tested.stdout).toMatch(/(#|ℹ) pass 3\b/);
    expect(tested.stdout).toMatch(/(#|ℹ) fail 0\b/);

    t0 = Date.now();
    const out = path.join(tmp, 'acme-out');
    fs.mkdirSync(out);
    await run(NPM, ['pack', '--pack-destination', out], { cwd: dir });
    const tgz = path.join(out, fs.readdirSync(out).find((f) => f.endsWith('.tgz'))!);
    t.pack = Date.now() - t0;
    const runtimes = ['--node-red', NODE_RED_DIR, ...(nr5Installed() ? ['--node-red', path.join(NR5_DIR, 'node_modules', 'node-red'), '--node', process.execPath, '--node', NODE22] : [])];
    // --node goes with the --node-red before it: Node-RED 4 on this Node, Node-RED 5 on Node 22.
    const args = nr5Installed() ? ['check', tgz, '--json', '--node-red', NODE_RED_DIR, '--node', process.execPath, '--node-red', path.join(NR5_DIR, 'node_modules', 'node-red'), '--node', NODE22] : ['check', tgz, '--json', ...runtimes];
    t0 = Date.now();
    const checked = await run(process.execPath, [BIN, ...args], { cwd: dir }).catch((err: Error) => ({ stdout: err.message, stderr: '' }));
    t.checkTgz = Date.now() - t0;
    const report = JSON.parse(checked.stdout.slice(checked.stdout.indexOf('{'))) as Report;
    const bad = report.findings.filter((f) => f.level !== 'note');
    expect(bad.map((f) => `${f.level} [${f.check}] ${f.type ?? ''} ${f.runtime ?? ''} ${f.message}\n  fix: ${f.fix}`)).toEqual([]);
    expect(report.runtimes.some((r) => /^Node-RED 4\./.test(r))).toBe(true);
    if (nr5Installed()) expect(report.runtimes.some((r) => /^Node-RED 5\./.test(r))).toBe(true);
    else console.log('skipped: Node-RED 5 (test/fixtures/nr5 not installed)');
    const loads = report.checked.filter((c) => c.check === 'loads');
    expect(loads.every((c) => c.items === 4), `every node set loaded: ${JSON.stringify(loads)}`).toBe(true);
    // Loaded beside the palette (GET /nodes of each checked Node-RED, every module but the palette, the core and the kit's
    // probe): nothing — in particular none of Plantwire's own node types, which the old dependency on @plantwire/node-red brought.
    expect(loads.length).toBe(report.runtimes.length);
    for (const c of loads) {
      expect(c.alongside, `${c.runtime}: node modules loaded beside acme-demo`).toEqual({});
      expect(Object.values(c.alongside ?? {}).flat().filter((type) => type.startsWith('plantwire-'))).toEqual([]);
    }
    expect(report.findings.filter((f) => /loaded beside the palette/.test(f.message))).toEqual([]);

    // The tarball installed as the palette manager installs it (--omit=dev): the SDK, and no @plantwire/node-red, nor any
    // other package with a "node-red" section (Node-RED would load each one under <userDir>/node_modules).
    t0 = Date.now();
    const userDir = path.join(tmp, 'palette-manager');
    const installed = await installTarball(tgz, userDir);
    t.installTgz = Date.now() - t0;
    expect(installed).toBe(path.join(userDir, 'node_modules', 'acme-demo'));
    expect(fs.existsSync(path.join(userDir, 'node_modules', '@plantwire', 'sdk', 'dist', 'index.js'))).toBe(true);
    expect(fs.existsSync(path.join(userDir, 'node_modules', '@plantwire', 'node-red'))).toBe(false);
    const redModules = fs
      .readdirSync(path.join(userDir, 'node_modules'), { recursive: true, encoding: 'utf8' })
      .filter((f) => path.basename(f) === 'package.json' && !f.includes(`${path.sep}dist${path.sep}`))
      .filter((f) => 'node-red' in (JSON.parse(fs.readFileSync(path.join(userDir, 'node_modules', f), 'utf8')) as object))
      .map((f) => path.dirname(f));
    expect(redModules).toEqual(['acme-demo']);
    console.log(`scaffold must-show timings (ms): ${JSON.stringify(t)}; runtimes: ${report.runtimes.join(', ')}`);
  }, 1_200_000);
});
