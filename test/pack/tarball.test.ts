/**
 * The packed palette in a STOCK Node-RED: `npm pack` (runs the prepack build),
 * `npm install <tarball>` into a fresh user dir as a user would, then the
 * project's own Node-RED devDependency started on that user dir (no adminAuth,
 * no custom settings) and asked over its Admin API whether the palette loaded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NODE_RED_DIR,
  PACKAGE_NAME,
  childEnv,
  declaredNodes,
  editorIcons,
  editorScript,
  installPalette,
  packPalette,
  parseEditor,
  readJson,
  type Installed,
  type PackageJson,
  type Packed,
} from '../helpers/pack';
import { freePort } from '../helpers/node-red-instance';
import { NODE22, NR5_RED_JS, nr5Installed } from '../helpers/nr5';

interface NodeSet {
  id: string;
  name: string;
  types: string[];
  enabled: boolean;
  module: string;
  err?: unknown;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const RUNTIMES = [
  { label: 'Node-RED 4.1 on Node 20', node: process.execPath, redJs: path.join(NODE_RED_DIR, 'red.js'), available: true },
  { label: 'Node-RED 5 on Node 22', node: NODE22, redJs: NR5_RED_JS, available: nr5Installed() },
];

// One pack for both runtimes (the pack runs the whole build); each runtime gets its own user dir.
let packing: Promise<Packed> | undefined;
const packOnce = (): Promise<Packed> => (packing ??= packPalette('tarball'));
afterAll(async () => {
  if (packing) (await packing).cleanup();
}, 90_000);

describe.each(RUNTIMES)('packed tarball installs into a stock $label and loads', (runtime) => {
  if (!runtime.available) console.log(`skipped: no ${runtime.label} fixture (test/fixtures/nr5 not installed)`);
  let packed: Packed | undefined;
  let installed: Installed;
  let pkg: PackageJson;
  let nodeSets: Record<string, string>;
  let child: ChildProcess | undefined;
  let exited: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  let output = '';
  let base = '';

  const tail = (): string => output.split('\n').slice(-40).join('\n');
  const startedCount = (): number => output.split('Started flows').length - 1;
  const get = (route: string, accept: string): Promise<Response> => fetch(`${base}${route}`, { headers: { Accept: accept } });

  beforeAll(async () => {
    if (!runtime.available) return;
    packed = await packOnce();
    installed = await installPalette(packed.tarball, path.join(packed.tmp, `userdir-${runtime.node === process.execPath ? 'nr4' : 'nr5'}`));
    pkg = readJson<PackageJson>(path.join(installed.pkgDir, 'package.json'));
    nodeSets = declaredNodes(pkg);

    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(runtime.node, [runtime.redJs, '--userDir', installed.userDir, '--port', String(port)], {
      cwd: installed.userDir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    child.on('exit', (code, signal) => (exited = { code, signal }));

    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited) throw new Error(`Node-RED exited (code ${exited.code}, signal ${exited.signal}) before it was ready:\n${tail()}`);
      if (Date.now() > deadline) throw new Error(`Node-RED was not ready within 60 s (GET /nodes answering and "Started flows" logged):\n${tail()}`);
      const ok = await get('/nodes', 'application/json').then(
        (r) => r.ok,
        () => false,
      );
      if (ok && startedCount() > 0) break;
      await sleep(200);
    }
  }, 300_000);

  afterAll(async () => {
    const c = child;
    if (c && !exited) {
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGTERM');
      const timer = setTimeout(() => {
        if (!exited) c.kill('SIGKILL');
      }, 5_000);
      await gone;
      clearTimeout(timer);
    }
    const t0 = Date.now();
    if (installed) fs.rmSync(installed.userDir, { recursive: true, force: true });
    if (Date.now() - t0 > 5_000) console.log(`tarball test: removing the temp install took ${Date.now() - t0} ms`);
  }, 90_000);

  it.skipIf(!runtime.available)('declares at least one node set in "node-red".nodes of the installed package.json', () => {
    expect(pkg.name, 'installed package name').toBe(PACKAGE_NAME);
    expect(Object.keys(nodeSets).length, 'package.json "node-red".nodes must list the node sets').toBeGreaterThan(0);
  });

  it.skipIf(!runtime.available)('GET /nodes lists every declared node type, enabled and without an error', async () => {
    const res = await get('/nodes', 'application/json');
    expect(res.status, 'GET /nodes status').toBe(200);
    const sets = (await res.json()) as NodeSet[];
    const ours = sets.filter((s) => s.module === PACKAGE_NAME);
    expect(ours.map((s) => s.name).sort(), `node sets of ${PACKAGE_NAME} known to Node-RED`).toEqual(Object.keys(nodeSets).sort());
    for (const type of Object.keys(nodeSets)) {
      const set = ours.find((s) => s.name === type);
      expect(set, `GET /nodes has no set ${PACKAGE_NAME}/${type}`).toBeDefined();
      if (!set) continue;
      expect(set.err, `node set ${set.id} failed to load: ${JSON.stringify(set.err)}`).toBeUndefined();
      expect(set.enabled, `node set ${set.id} enabled`).toBe(true);
      expect(set.types, `node set ${set.id} registers type ${type}`).toContain(type);
    }
  });

  it.skipIf(!runtime.available)('GET /nodes/<module>/<type> serves the editor definition, template and help of every type', async () => {
    for (const type of Object.keys(nodeSets)) {
      const res = await get(`/nodes/${PACKAGE_NAME}/${type}`, 'text/html');
      expect(res.status, `GET /nodes/${PACKAGE_NAME}/${type} (text/html) status`).toBe(200);
      const html = await res.text();
      expect(html, `editor html of ${type} has its template`).toContain(`data-template-name="${type}"`);
      expect(html, `editor html of ${type} has its help (dist/nodes/locales/en-US/${type}.html)`).toContain(`data-help-name="${type}"`);
      expect(html, `editor html of ${type} registers the type`).toMatch(new RegExp(`RED\\.nodes\\.registerType\\(\\s*['"]${type}['"]`));
    }
  });

  it.skipIf(!runtime.available)('serves every icon the editor definitions reference, with the packed file content', async () => {
    const res = await get('/icons', 'application/json');
    expect(res.status, 'GET /icons status').toBe(200);
    const iconSets = (await res.json()) as Record<string, string[]>;
    const ourIcons = iconSets[PACKAGE_NAME] ?? [];
    const coreIcons = iconSets['node-red'] ?? [];
    const checked = new Set<string>();
    for (const type of Object.keys(nodeSets)) {
      const html = await (await get(`/nodes/${PACKAGE_NAME}/${type}`, 'text/html')).text();
      const script = editorScript(html.replace(/^<!--[^\n]*-->\s*/, ''));
      expect(script, `editor html of ${type} has a <script type="text/javascript">`).toBeDefined();
      const parsed = parseEditor(script ?? '', `${type}.html`);
      const call = parsed.calls.find((c) => c.type === type);
      expect(call?.literal, `editor html of ${type}: registerType('${type}', { ... }) literal`).toBeDefined();
      if (!call?.literal) continue;
      const icons = editorIcons(call.literal);
      expect(icons.length, `editor definition of ${type} names an icon`).toBeGreaterThan(0);
      for (const icon of icons) {
        if (icon.startsWith('font-awesome/')) continue;
        if (ourIcons.includes(icon)) {
          checked.add(icon);
        } else {
          // The editor falls back to a core icon of that name; anything else shows the default arrow.
          expect(coreIcons, `icon "${icon}" of ${type} is neither in ${PACKAGE_NAME}'s icons (GET /icons: [${ourIcons.join(', ')}]) nor a core icon`).toContain(icon);
        }
      }
    }
    // Every icon of the palette (referenced or not) is served with the packed bytes:
    // a missing file would also answer 200, with Node-RED's default arrow-in.svg.
    for (const icon of new Set([...checked, ...ourIcons])) {
      const r = await fetch(`${base}/icons/${PACKAGE_NAME}/${encodeURIComponent(icon)}`);
      expect(r.status, `GET /icons/${PACKAGE_NAME}/${icon} status`).toBe(200);
      const body = Buffer.from(await r.arrayBuffer());
      const packedFile = path.join(installed.pkgDir, 'dist', 'nodes', 'icons', icon);
      expect(fs.existsSync(packedFile), `icon file dist/nodes/icons/${icon} in the package`).toBe(true);
      expect(body.equals(fs.readFileSync(packedFile)), `GET /icons/${PACKAGE_NAME}/${icon} serves the packed file, not a fallback`).toBe(true);
    }
  });

  it.skipIf(!runtime.available)('lists the example flows in the library and every example deploys and starts', async () => {
    const exampleDir = path.join(installed.pkgDir, 'examples');
    const files = fs.existsSync(exampleDir) ? fs.readdirSync(exampleDir).filter((f) => f.endsWith('.json')) : [];
    expect(files.length, 'examples/*.json in the package').toBeGreaterThan(0);
    const lib = await get(`/library/examples/flows/${PACKAGE_NAME}`, 'application/json');
    expect(lib.status, `GET /library/examples/flows/${PACKAGE_NAME} status`).toBe(200);
    const listed = ((await lib.json()) as Array<string | { fn: string }>).map((e) => (typeof e === 'string' ? e : e.fn)).sort();
    expect(listed, 'example flows offered by the import menu').toEqual(files.map((f) => f.replace(/\.json$/, '')).sort());

    for (const file of files) {
      const flow = readJson<Array<Record<string, unknown>>>(path.join(exampleDir, file));
      // As the editor's import does: nodes without a tab go onto one.
      const tabId = `pack-test-tab-${file.replace(/\W/g, '')}`;
      const tabs = new Set(flow.filter((n) => n.type === 'tab' || n.type === 'subflow').map((n) => n.id));
      const nodes = flow.map((n) => (!tabs.has(n.z) && (n.wires !== undefined || n.x !== undefined) && n.type !== 'tab' && n.type !== 'subflow' ? { ...n, z: tabId } : n));
      const deployed = [{ id: tabId, type: 'tab', label: `example ${file}` }, ...nodes];
      const before = startedCount();
      const res = await fetch(`${base}/flows`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
        body: JSON.stringify(deployed),
      });
      expect([200, 204], `POST /flows of examples/${file}: HTTP ${res.status} ${await res.text()}`).toContain(res.status);
      const deadline = Date.now() + 15_000;
      while (startedCount() <= before && Date.now() < deadline) await sleep(100);
      expect(startedCount(), `examples/${file} deployed but the flows did not start:\n${tail()}`).toBeGreaterThan(before);
    }
    // Let the deployed example nodes run a little (the simulator ticks every second) before the log is checked.
    await sleep(1_500);
    // One deploy per example (30+ of them): more than the default 30 s on a loaded machine.
  }, 180_000);

  it.skipIf(!runtime.available)('Node-RED logged no error, no failed registration and no missing types', () => {
    expect(exited, `Node-RED must still be running:\n${tail()}`).toBeUndefined();
    const lines = output.split('\n');
    const bad = lines.filter((l) => /\[error\]|Failed to register|Waiting for missing types/i.test(l));
    expect(bad, `Node-RED output has error lines:\n${bad.join('\n')}\n--- full output\n${output}`).toEqual([]);
    const ours = [PACKAGE_NAME, ...Object.keys(nodeSets)];
    const warns = lines.filter((l) => /\[warn\]/.test(l) && ours.some((o) => l.includes(o)));
    expect(warns, `Node-RED warned about the palette:\n${warns.join('\n')}`).toEqual([]);
  });
});
