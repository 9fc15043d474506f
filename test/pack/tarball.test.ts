/**
 * The packed palette in a STOCK Node-RED: `npm pack` (runs the prepack build),
 * installed (once per test run, shared with node-red-dev.test.ts; each runtime
 * gets a copy of that user dir) into a fresh user dir with the palette manager's own command
 * (`npm install --save --save-prefix=~ --omit=dev --engine-strict`) and
 * `--ignore-scripts` (no install script runs, nothing is compiled), then the
 * project's Node-RED 4.1 devDependency and Node-RED 5, both on Node 22, started
 * on that user dir (no adminAuth, no custom settings) and asked over the Admin
 * API whether the palette loaded. Last, a disk-buffered historian-out is
 * killed with SIGKILL while PostgreSQL is unreachable and must deliver every
 * accepted message after the restart (the buffer runs on node:sqlite: no
 * native module was built).
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  NODE_RED_DIR,
  PACKAGE_NAME,
  ROOT,
  childEnv,
  declaredNodes,
  editorIcons,
  editorScript,
  installedCopy,
  parseEditor,
  readJson,
  sharedPack,
  type Installed,
  type PackageJson,
} from '../helpers/pack';
import { freePort } from '../helpers/node-red-instance';
import { NODE22, NR5_RED_JS, nr5Installed } from '../helpers/nr5';
import { service } from '../helpers/services';
import type { Report } from '../../src/conformance/findings';

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
  // Both on the fixture's Node 22 (whatever Node runs the tests): the oldest Node.js line the palette supports.
  { label: 'Node-RED 4.1 on Node 22', node: NODE22, redJs: path.join(NODE_RED_DIR, 'red.js'), available: nr5Installed(), dir: 'nr4' },
  { label: 'Node-RED 5 on Node 22', node: NODE22, redJs: NR5_RED_JS, available: nr5Installed(), dir: 'nr5' },
];

// One pack and one palette-manager install per test run, shared with test/pack/node-red-dev.test.ts
// (test/helpers/pack.ts sharedPack); each runtime and the CLI test get their own copy of the installed user dir.
const packOnce = sharedPack;

describe.each(RUNTIMES)('packed tarball installs into a stock $label and loads', (runtime) => {
  if (!runtime.available) console.log(`skipped: no ${runtime.label} fixture (test/fixtures/nr5 not installed)`);
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
    const shared = await packOnce();
    installed = installedCopy(shared, fs.mkdtempSync(path.join(shared.tmp, `userdir-${runtime.dir}-`)));
    pkg = readJson<PackageJson>(path.join(installed.pkgDir, 'package.json'));
    nodeSets = declaredNodes(pkg);

    await startNodeRed();
  }, 600_000);

  const exitState = (): { code: number | null; signal: NodeJS.Signals | null } | undefined => exited;

  /** Starts Node-RED on the user dir (a new port each time) and waits until it answers and started its flows. */
  async function startNodeRed(): Promise<void> {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const before = startedCount();
    exited = undefined;
    const c = spawn(runtime.node, [runtime.redJs, '--userDir', installed.userDir, '--port', String(port)], {
      cwd: installed.userDir,
      env: childEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = c;
    c.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    c.on('exit', (code, signal) => {
      if (child === c) exited = { code, signal };
    });

    const deadline = Date.now() + 60_000;
    for (;;) {
      const ex = exitState(); // set by the exit listener meanwhile
      if (ex) throw new Error(`Node-RED exited (code ${ex.code}, signal ${ex.signal}) before it was ready:\n${tail()}`);
      if (Date.now() > deadline) throw new Error(`Node-RED was not ready within 60 s (GET /nodes answering and "Started flows" logged):\n${tail()}`);
      const ok = await get('/nodes', 'application/json').then(
        (r) => r.ok,
        () => false,
      );
      if (ok && startedCount() > before) break;
      await sleep(200);
    }
  }

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
      // The demo starts the OPC UA plant simulator (node-opcua loads its information models): seconds
      // when idle, but over 15 s on a CI machine under load (a run at load average 15–20 timed out).
      const deadline = Date.now() + 60_000;
      while (startedCount() <= before && Date.now() < deadline) await sleep(100);
      expect(startedCount(), `examples/${file} deployed but the flows did not start:\n${tail()}`).toBeGreaterThan(before);
    }
    // Let the deployed example nodes run a little (the simulator ticks every second) before the log is checked.
    await sleep(1_500);
    // One deploy per example (30+ of them): more than the default 30 s on a loaded machine.
  }, 300_000);

  it.skipIf(!runtime.available)('Node-RED logged no error, no failed registration and no missing types', () => {
    expect(exited, `Node-RED must still be running:\n${tail()}`).toBeUndefined();
    const lines = output.split('\n');
    const bad = lines.filter((l) => /\[error\]|Failed to register|Waiting for missing types/i.test(l));
    expect(bad, `Node-RED output has error lines:\n${bad.join('\n')}\n--- full output\n${output}`).toEqual([]);
    const ours = [PACKAGE_NAME, ...Object.keys(nodeSets)];
    const warns = lines.filter((l) => /\[warn\]/.test(l) && ours.some((o) => l.includes(o)));
    expect(warns, `Node-RED warned about the palette:\n${warns.join('\n')}`).toEqual([]);
  });
  it.skipIf(!runtime.available)('a disk-buffered historian-out survives kill -9 with nothing lost (PostgreSQL unreachable, then back)', async (ctx) => {
    const pgService = await service('postgres');
    if (!pgService.available) ctx.skip();
    const table = `pw_pack_${runtime.dir}_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await admin.connect();
    try {
      // Nothing listens on this port: every delivery is refused and the messages stay in the disk buffer.
      const deadPort = await freePort();
      const flows = [
        { id: 'pk-tab', type: 'tab', label: 'kill -9', disabled: false, info: '' },
        { id: 'pk-in', type: 'http in', z: 'pk-tab', name: '', url: '/pw-pack-feed', method: 'post', upload: false, swaggerDoc: '', x: 120, y: 60, wires: [['pk-out', 'pk-res']] },
        { id: 'pk-res', type: 'http response', z: 'pk-tab', name: '', statusCode: '', headers: {}, x: 320, y: 120, wires: [] },
        { id: 'pk-out', type: 'plantwire-historian-out', z: 'pk-tab', name: '', version: 1, db: 'pk-db', batchSize: 7, bufferMode: 'disk', bufferMaxEntries: 100000, bufferMaxMB: 64, bufferOverflow: 'reject', bufferReplayRate: 0, x: 320, y: 60, wires: [] },
        { id: 'pk-db', type: 'plantwire-historian-db', name: '', version: 1, kind: 'postgres', host: '127.0.0.1', port: deadPort, database: 'test', schema: 'public', table, ssl: false, ca: '', rejectUnauthorized: true, skipDuplicates: true, url: 'http://127.0.0.1:8086', api: '2', db: '', retentionPolicy: '', org: '', bucket: '', measurement: 'plantwire', precision: 'ms', credentials: { user: 'postgres' } },
      ];
      const before = startedCount();
      const dep = await fetch(`${base}/flows`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' }, body: JSON.stringify(flows) });
      expect([200, 204], `POST /flows: HTTP ${dep.status}`).toContain(dep.status);
      for (const deadline = Date.now() + 15_000; startedCount() <= before && Date.now() < deadline; ) await sleep(100);

      const MESSAGES = 40;
      const PER = 5;
      const t0 = Date.parse('2026-01-01T00:00:00.000Z');
      for (let m = 0; m < MESSAGES; m++) {
        const samples = Array.from({ length: PER }, (_, i) => ({ tag: 'Pack/Counter', value: m * PER + i, quality: 'good', sourceTimestamp: new Date(t0 + (m * PER + i) * 1000).toISOString() }));
        const r = await fetch(`${base}/pw-pack-feed`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(samples) });
        expect(r.status, `POST /pw-pack-feed #${m}`).toBe(200);
      }
      // Every message committed to the disk buffer (depth counts committed entries only).
      const depth = async (): Promise<number> => {
        const r = await get('/plantwire/buffer/metrics', 'application/json');
        const rows = ((await r.json()) as { buffers: Array<{ id: string; depth: number; mode: string }> }).buffers;
        const row = rows.find((b) => b.id === 'pk-out');
        expect(row?.mode, 'historian-out buffer mode').toBe('disk');
        return row?.depth ?? -1;
      };
      for (const deadline = Date.now() + 15_000; (await depth()) < MESSAGES && Date.now() < deadline; ) await sleep(100);
      expect(await depth(), 'messages held in the disk buffer before the kill').toBe(MESSAGES);

      const c = child!;
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      c.kill('SIGKILL');
      await gone;
      expect(exited?.signal, 'Node-RED was killed with SIGKILL').toBe('SIGKILL');

      // PostgreSQL "comes back": the same flows, the connection now at the real port.
      const flowFile = path.join(installed.userDir, 'flows.json');
      const saved = JSON.parse(fs.readFileSync(flowFile, 'utf8')) as Array<Record<string, unknown>>;
      fs.writeFileSync(flowFile, JSON.stringify(saved.map((n) => (n.id === 'pk-db' ? { ...n, port: 5432 } : n))));
      await startNodeRed();

      let rows: Array<{ value: number }> = [];
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await sleep(250)) {
        const exists = (await admin.query('SELECT to_regclass($1) AS r', [`public."${table}"`])).rows[0].r;
        if (!exists) continue;
        rows = (await admin.query(`SELECT value FROM "${table}" ORDER BY time`)).rows as Array<{ value: number }>;
        if (rows.length >= MESSAGES * PER) break;
      }
      expect(rows.map((r) => Number(r.value)), `every accepted sample stored once after kill -9 (${runtime.label})\n${tail()}`).toEqual(Array.from({ length: MESSAGES * PER }, (_, i) => i));
      for (const deadline = Date.now() + 10_000; (await depth()) > 0 && Date.now() < deadline; ) await sleep(100);
      expect(await depth(), 'buffer empty after the replay').toBe(0);
      expect(output, 'the disk buffer found node:sqlite').not.toMatch(/disk buffer needs/);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await admin.end();
    }
  }, 180_000);
});

describe('the installed CLI: npx plantwire start in a fresh dir', () => {
  let dir = '';
  let output = '';
  let child: ChildProcess | undefined;

  afterAll(async () => {
    await stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  }, 90_000);

  /** Whether any process of the CLI's process group (npx, the plantwire bin, Node-RED) is still there. */
  const groupAlive = (pid: number): boolean => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  /**
   * Stops `npx plantwire start` and everything it started: SIGINT to the whole process group (as a
   * terminal's Ctrl+C does), SIGKILL to the group after 15 s. npx can exit before the plantwire
   * process it ran has finished writing its user dir; removing the dir then failed with ENOTEMPTY.
   */
  async function stop(): Promise<void> {
    const c = child;
    child = undefined;
    const pid = c?.pid;
    if (!c || pid === undefined) return;
    if (c.exitCode === null && c.signalCode === null) {
      const gone = new Promise<void>((r) => c.once('exit', () => r()));
      process.kill(-pid, 'SIGINT');
      await gone;
    }
    for (const deadline = Date.now() + 15_000; groupAlive(pid) && Date.now() < deadline; ) await sleep(100);
    if (groupAlive(pid)) process.kill(-pid, 'SIGKILL');
    for (const deadline = Date.now() + 5_000; groupAlive(pid) && Date.now() < deadline; ) await sleep(100);
  }

  /** `npx plantwire start …` with free ports; resolves with its output once it says it is running. */
  async function start(extra: string[]): Promise<string> {
    output = '';
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
    const [port, opcua, modbus, erp, smtp] = ports.map(String) as [string, string, string, string, string];
    // npx and the bin's `#!/usr/bin/env node` run on the Node.js that runs the tests.
    const env = { ...childEnv(), PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`, PLANTWIRE_ADMIN_PASSWORD: 'pack-test-Pa55word' };
    // detached: a process group of its own, so stop() reaches every process npx started.
    const c = spawn('npx', ['--no-install', 'plantwire', 'start', '--port', port, '--opcua-port', opcua, '--modbus-port', modbus, '--erp-port', erp, '--smtp-port', smtp, ...extra], { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    child = c;
    c.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
    c.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
    for (const deadline = Date.now() + 120_000; !/Plantwire is running/.test(output); await sleep(200)) {
      if (c.exitCode !== null) throw new Error(`npx plantwire start exited with ${c.exitCode}:\n${output}`);
      if (Date.now() > deadline) throw new Error(`npx plantwire start did not come up within 120 s:\n${output}`);
    }
    return output;
  }

  it('runs the demo from the installed package; --no-sim starts without simulators and without the demo', async () => {
    const packed = await packOnce();
    dir = fs.mkdtempSync(path.join(packed.tmp, 'cli-'));
    installedCopy(packed, dir);
    // `plantwire start` embeds the Node-RED installed next to the palette (here: the project's 4.1 devDependency).
    fs.symlinkSync(NODE_RED_DIR, path.join(dir, 'node_modules', 'node-red'), 'dir');

    const out = await start([]);
    expect(out, 'the demo is deployed from the package').toContain('(demo flow deployed)');
    expect(out).toMatch(/OPC UA plant simulator: opc\.tcp:\/\//);
    const flowFile = path.join(dir, '.plantwire', 'node-red', 'flows.json');
    const demo = readJson<Array<{ id: string }>>(path.join(dir, 'node_modules', ...PACKAGE_NAME.split('/'), 'examples', 'demo.json'));
    expect(readJson<Array<{ id: string }>>(flowFile).map((n) => n.id).sort()).toEqual(demo.map((n) => n.id).sort());
    await stop();

    const noSim = await start(['--no-sim']);
    expect(noSim).toContain('no simulators (--no-sim): no demo flow');
    expect(noSim).not.toMatch(/simulator: |SMTP catcher:/);
    expect(readJson(flowFile), 'the unchanged seeded demo was taken out').toEqual([]);
    await stop();
  }, 900_000);
});

describe("plantwire check (the conformance kit) on this palette's packed tarball", () => {
  it('passes on Node-RED 4: no error, no warning (examples: deployed and log-checked above on 4 and 5)', async () => {
    const packed = await packOnce();
    const t0 = Date.now();
    const report = await new Promise<Report>((resolve, reject) => {
      execFile(process.execPath, [path.join(ROOT, 'bin', 'plantwire.js'), 'check', packed.tarball, '--json', '--skip', 'examples'], { cwd: ROOT, env: childEnv(), maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        try {
          resolve(JSON.parse(String(stdout)) as Report);
        } catch {
          reject(new Error(`plantwire check printed no report (${err?.message ?? ''}):\n${String(stdout).slice(-3000)}\n${String(stderr).slice(-3000)}`));
        }
      });
    });
    const bad = report.findings.filter((f) => f.level !== 'note');
    expect(bad.map((f) => `${f.level} [${f.check}] ${f.type ?? ''} ${f.message}\n  fix: ${f.fix}`), 'findings on the packed palette').toEqual([]);
    expect(report.ok).toBe(true);
    const covered = report.checked.find((c) => c.check === 'corpus + close');
    expect(covered?.items, 'node types run through the corpus and close checks').toBeGreaterThanOrEqual(20);
    console.log(`plantwire check of the packed palette: ${Date.now() - t0} ms; ${report.checked.map((c) => `${c.check} ${c.items} in ${c.ms} ms`).join('; ')}`);
    for (const n of report.findings) console.log(`note [${n.check}] ${n.type ?? ''} ${n.message}`);
  }, 900_000);
});
