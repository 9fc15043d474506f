/**
 * packages/sdk (@plantwire/sdk): the SDK as a package of its own, so that a
 * vendor's palette does not bring Plantwire's 35 nodes into the user's
 * Node-RED (Node-RED loads every package with a "node-red" section under
 * <userDir>/node_modules). The build writes it from src/sdk/index.ts
 * (scripts/build.mjs buildSdkPackage); here: the bundle exports exactly the
 * SDK entry's names, the package declares no nodes and no dependencies, packs
 * only its build, and a vendor's TypeScript file compiles against it as
 * installed (package exports, declarations) and runs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');
const SDK = path.join(ROOT, 'packages', 'sdk');
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, out: `${stdout}${stderr}` });
    });
  });
}

describe('@plantwire/sdk (packages/sdk)', () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-sdk-'));
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('exports exactly what @plantwire/node-red/sdk exports (one API, one source)', () => {
    const bundle = require(path.join(SDK, 'dist', 'index.js')) as Record<string, unknown>;
    const entry = require(path.join(ROOT, 'dist', 'src', 'sdk', 'index.js')) as Record<string, unknown>;
    expect(Object.keys(bundle).sort()).toEqual(Object.keys(entry).sort());
    expect(Object.keys(bundle)).toEqual(expect.arrayContaining(['defineNode', 'defineConfigNode', 'defineSink', 'defineFields', 'makeSample', 'buffer']));
  });

  it('declares no Node-RED nodes and no dependencies, and packs only its build', async () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(SDK, 'package.json'), 'utf8')) as Record<string, unknown>;
    const root = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(pkg['node-red']).toBeUndefined();
    expect(pkg.dependencies).toBeUndefined();
    expect(pkg.version).toBe(root.version);
    const packed = await run(NPM, ['pack', '--dry-run', '--json', '--ignore-scripts'], SDK);
    expect(packed.code, packed.out).toBe(0);
    const files = (JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ files: Array<{ path: string }> }>)[0]!.files.map((f) => f.path);
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/types/sdk/index.d.ts']));
    expect(files.filter((f) => !/^(package\.json|README\.md|dist\/index\.js|dist\/types\/.+\.d\.ts)$/.test(f)), 'files outside the build').toEqual([]);
  });

  it("a vendor's TypeScript node compiles against the installed package and runs", async () => {
    const nm = path.join(tmp, 'node_modules');
    fs.mkdirSync(path.join(nm, '@plantwire'), { recursive: true });
    fs.mkdirSync(path.join(nm, '@types'), { recursive: true });
    fs.symlinkSync(SDK, path.join(nm, '@plantwire', 'sdk'), 'dir');
    fs.symlinkSync(path.join(ROOT, 'node_modules', '@types', 'node'), path.join(nm, '@types', 'node'), 'dir');
    fs.writeFileSync(path.join(tmp, 'package.json'), JSON.stringify({ name: 'acme-vendor', version: '1.0.0', private: true }));
    fs.writeFileSync(
      path.join(tmp, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, outDir: 'out', types: ['node'], skipLibCheck: true } }),
    );
    fs.writeFileSync(
      path.join(tmp, 'vendor.ts'),
      [
        "import { defineNode, onInput, makeSample, QUALITIES, type RedApi, type NodeConfig, type TagSample, type Quality } from '@plantwire/sdk';",
        "const q: Quality = QUALITIES[0]!;",
        "export const first: TagSample = makeSample('Line1/Speed', 42, { quality: q });",
        'export function register(RED: RedApi): void {',
        "  defineNode<NodeConfig>(RED, { type: 'acme-double', version: { current: 1 }, setup(node) { onInput(node, (msg, send) => { send({ ...msg, payload: Number(msg.payload) * 2 }); }); } });",
        '}',
      ].join('\n'),
    );
    const tsc = await run(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', tmp, '--pretty', 'false'], tmp);
    expect(tsc.out.split('\n').filter((l) => l.trim()), 'tsc of the vendor file').toEqual([]);
    const ran = await run(process.execPath, ['-e', "const v=require('./out/vendor.js'); console.log(JSON.stringify(v.first))"], tmp);
    expect(ran.code, ran.out).toBe(0);
    expect(JSON.parse(ran.out)).toMatchObject({ tag: 'Line1/Speed', value: 42, quality: 'good' });
  }, 120_000);
});
