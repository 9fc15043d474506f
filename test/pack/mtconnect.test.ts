/**
 * The second palette (palettes/mtconnect: an MTConnect agent client made with
 * `plantwire new palette` / `new node` and built only on @plantwire/sdk,
 * with @plantwire/node-red — the plantwire CLI and conformance kit — as a
 * devDependency), as issue 19 asks to show it: built with its own
 * build, it passes `plantwire check` on the stock Node-RED 4 with no error
 * and no warning (corpus, close, partial deploy on its connection, its example
 * against its simulator), and its example flow, deployed as shipped into a
 * Node-RED, streams tag samples from its simulated mill. Its unit tests are
 * palettes/mtconnect/test/*.test.ts (also in this suite).
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Report } from '../../src/conformance/findings';
import { sampleProblems } from '../../src/model/sample';
import { ROOT, childEnv } from '../helpers/pack';
import { MTCONNECT_DIR, buildPalette } from '../helpers/palettes';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { MTConnectSimulator } from '../../palettes/mtconnect/src/simulator';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const BIN = path.join(ROOT, 'bin', 'plantwire.js');

describe('palettes/mtconnect: the second palette, built only with the SDK and the scaffold', () => {
  beforeAll(() => {
    buildPalette(MTCONNECT_DIR);
  }, 120_000);

  it('its package depends on the SDK as a vendor package does, and imports nothing else of ours', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(MTCONNECT_DIR, 'package.json'), 'utf8')) as { name: string; dependencies: Record<string, string>; devDependencies: Record<string, string> };
    expect(pkg.name).toBe('@plantwire/node-red-mtconnect');
    // At runtime the SDK package alone (no Node-RED nodes of its own); @plantwire/node-red only for development.
    expect(pkg.dependencies).toEqual({ '@plantwire/sdk': 'file:../../packages/sdk', 'fast-xml-parser': expect.any(String) });
    expect(pkg.devDependencies['@plantwire/node-red']).toBe('file:../..');
    // As npm install links them (test/helpers/palettes.ts linkSdk): the SDK resolves to packages/sdk's build.
    expect(createRequire(path.join(MTCONNECT_DIR, 'package.json')).resolve('@plantwire/sdk')).toBe(path.join(fs.realpathSync(path.join(ROOT, 'packages', 'sdk')), 'dist', 'index.js'));
    const sources = ['nodes', 'src'].flatMap((d) => fs.readdirSync(path.join(MTCONNECT_DIR, d), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts')).map((f) => path.join(MTCONNECT_DIR, d, f)));
    expect(sources.length).toBeGreaterThanOrEqual(7);
    for (const file of sources) {
      for (const [, spec] of fs.readFileSync(file, 'utf8').matchAll(/from '([^']+)'/g)) {
        const ok = spec === '@plantwire/sdk' || spec === 'fast-xml-parser' || spec!.startsWith('node:') || (spec!.startsWith('.') && path.resolve(path.dirname(file), spec!).startsWith(MTCONNECT_DIR + path.sep));
        expect(ok, `${path.relative(ROOT, file)} imports ${spec}`).toBe(true);
      }
    }
  });

  it('plantwire check passes on Node-RED 4: no error, no warning', async () => {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-mtconnect-check-'));
    const file = path.join(tmp, 'report.json');
    try {
      const run = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        execFile(process.execPath, [BIN, 'check', MTCONNECT_DIR, '--json-file', file], { cwd: ROOT, env: childEnv(), timeout: 300_000, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) =>
          resolve({ code: err ? ((err as { code?: number }).code ?? -1) : 0, stdout: String(stdout), stderr: String(stderr) }),
        );
      });
      const report = JSON.parse(fs.readFileSync(file, 'utf8')) as Report;
      const bad = report.findings.filter((f) => f.level !== 'note').map((f) => `${f.level} [${f.check}] ${f.type ?? ''} ${f.message}\n  fix: ${f.fix}`);
      expect(bad, run.stdout).toEqual([]);
      expect(run.code, run.stderr).toBe(0);
      expect(report.ok).toBe(true);
      expect(report.runtimes[0]).toMatch(/^Node-RED 4\./);
      // Every behaviour check ran on something: both types loaded, the source through the corpus, the agent's partial deploy, the example.
      const items = Object.fromEntries(report.checked.map((c) => [c.check, c.items]));
      expect(items).toMatchObject({ loads: 2, 'corpus + close': 1, 'partial deploy': 1, examples: 1 });
      expect(report.findings.filter((f) => f.check === 'partial-deploy')).toEqual([]);
      expect(run.stdout).toMatch(/^PASS: 0 error\(s\), 0 warning\(s\)/m);
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  }, 300_000);

  describe('its example flow, deployed as shipped, against its simulator', () => {
    let rt: TestRuntime;
    beforeAll(async () => {
      rt = await startTestRuntime({ settings: { nodesDir: [MTCONNECT_DIR, path.join(ROOT, 'test', 'helpers', 'nodes')] } });
    }, 60_000);
    afterAll(async () => rt?.stop());

    it('streams the mill as tag samples (/current, then /sample) and answers an inject with a /current snapshot', async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(MTCONNECT_DIR, 'examples', 'mtconnect-in.json'), 'utf8')) as Array<Record<string, unknown>>;
      // The debug nodes become capture nodes (same ids and wires); everything else as shipped.
      const captured = flow.map((n) => (n.type === 'debug' ? { id: n.id, type: 'test-capture', z: n.z, name: n.name, x: n.x, y: n.y, wires: [] } : n));
      expect(captured.filter((n) => n.type === 'test-capture').length).toBe(2);
      await rt.deploy(captured);

      // /current: every data item once; then the machining cycle's changes from /sample.
      const first = await rt.waitFor('tag samples', 11, 15_000);
      const samples = first.map((c) => c.msg.payload as Record<string, unknown>);
      for (const s of samples) expect(sampleProblems(s)).toEqual([]);
      const tags = new Set(samples.slice(0, 11).map((s) => s.tag));
      expect([...tags].sort()).toEqual(['ControllerMode', 'Execution', 'PartCount', 'Sload', 'SpindleSpeed', 'Xact', 'Yact', 'Zact', 'availability', 'program', 'system']);
      const x = samples.find((s) => s.tag === 'Xact')!;
      expect(x).toMatchObject({ quality: 'good', unit: 'MILLIMETER', asset: 'acme/hamburg/machining/Mill1/Axes/X', value: expect.any(Number) });
      expect(first[0]!.msg.topic).toBe(samples[0]!.tag);
      // The stream goes on past the snapshot: the simulator ticks every 500 ms.
      const later = await rt.waitFor('tag samples', 25, 15_000);
      const stamps = later.slice(11).map((c) => Date.parse(String((c.msg.payload as { sourceTimestamp: string }).sourceTimestamp)));
      expect(stamps.length).toBeGreaterThanOrEqual(14);
      expect(Math.min(...stamps)).toBeGreaterThanOrEqual(Date.parse(String(samples[0]!.sourceTimestamp)));
      expect(rt.logs.filter((l) => (l.level === 'error' || l.level === 'warn') && /mtconnect/.test(l.type ?? ''))).toEqual([]);

      // The inject asks the second node for a /current snapshot of Mill1: one array of every data item.
      const res = await rt.admin('POST', '/inject/mtconnect-in-example-inject');
      expect(res.status).toBe(200);
      const [snap] = await rt.waitFor('snapshot', 1, 10_000);
      const batch = snap!.msg.payload as Array<Record<string, unknown>>;
      expect(snap!.msg.topic).toBe('Mill1');
      expect(batch.map((s) => s.tag).sort()).toEqual([...tags].sort());
      expect(batch.every((s) => s.quality === 'good')).toBe(true);
    }, 60_000);

    it('an agent whose documents carry an empty creationTime: the samples still flow, stamped with the time they were read', async () => {
      // The simulated mill behind a proxy that blanks every creationTime (an agent with a broken clock or a bad build).
      const sim = new MTConnectSimulator({ intervalMs: 200 });
      const target = await sim.start();
      const proxy = http.createServer((req, res) => {
        http.get(new URL(req.url ?? '/', target), (up) => {
          const chunks: Buffer[] = [];
          up.on('data', (c: Buffer) => chunks.push(c));
          up.on('end', () => {
            res.writeHead(up.statusCode ?? 500, { 'content-type': up.headers['content-type'] ?? 'application/xml' });
            res.end(Buffer.concat(chunks).toString('utf8').replace(/creationTime="[^"]*"/g, 'creationTime=""'));
          });
        }).on('error', () => res.destroy());
      });
      await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
      try {
        const flow = [
          { id: 'ct-tab', type: 'tab', label: 'creationTime' },
          { id: 'ct-agent', type: 'mtconnect-agent', name: 'blank clock', version: 1, url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}/`, simulate: false, timeout: '10', maxSize: '16' },
          { id: 'ct-in', type: 'mtconnect-in', z: 'ct-tab', name: '', version: 1, agent: 'ct-agent', device: '', interval: '0.2', count: '1000', output: 'each', assetPrefix: '', wires: [['ct-out']] },
          { id: 'ct-out', type: 'test-capture', z: 'ct-tab', name: 'ct', wires: [] },
          { id: 'ct-status', type: 'status', z: 'ct-tab', scope: ['ct-in'], wires: [['ct-st']] },
          { id: 'ct-st', type: 'test-capture', z: 'ct-tab', name: 'ct status', wires: [] },
        ];
        const before = Date.now();
        await rt.deploy(flow);
        // The /current snapshot (11 data items) and the changes after it from /sample.
        const got = await rt.waitFor('ct', 20, 15_000);
        const samples = got.map((c) => c.msg.payload as Record<string, unknown>);
        for (const s of samples) {
          expect(sampleProblems(s)).toEqual([]);
          expect(Date.parse(String(s.serverTimestamp))).toBeGreaterThanOrEqual(before - 1000);
        }
        // Each observation once: no sequence sent twice (the position moved once per page).
        expect(new Set(samples.map((s) => `${s.tag} ${s.sourceTimestamp} ${s.value}`)).size).toBe(samples.length);
        expect(rt.captured('ct status').some((c) => c.msg.status?.fill === 'red'), 'no red status').toBe(false);
      } finally {
        await rt.deploy([]);
        await new Promise<void>((r) => proxy.close(() => r()));
        await sim.stop();
      }
    }, 40_000);

    it('a count the agent refuses (OUT_OF_RANGE right after /current) is a red status and one warning, not a resync loop', async () => {
      const flow = [
        { id: 'mt-tab', type: 'tab', label: 'count' },
        { id: 'mt-agent', type: 'mtconnect-agent', name: 'sim', version: 1, url: '', simulate: true, timeout: '10', maxSize: '16' },
        { id: 'mt-in', type: 'mtconnect-in', z: 'mt-tab', name: 'too many', version: 1, agent: 'mt-agent', device: '', interval: '0.2', count: '20000', output: 'batch', assetPrefix: '', wires: [['mt-out']] },
        { id: 'mt-out', type: 'test-capture', z: 'mt-tab', name: 'out', wires: [] },
        { id: 'mt-status', type: 'status', z: 'mt-tab', scope: ['mt-in'], wires: [['mt-st']] },
        { id: 'mt-st', type: 'test-capture', z: 'mt-tab', name: 'status', wires: [] },
      ];
      const from = rt.logs.length;
      await rt.deploy(flow);
      // The /current snapshot arrives; every /sample after it is refused for its count.
      await rt.waitFor('out', 1, 10_000);
      await new Promise((r) => setTimeout(r, 3000));
      const texts = rt.captured('status').map((c) => String(c.msg.status?.text ?? ''));
      expect(texts.some((t) => /agent refuses count 20000/.test(t)), texts.join(' | ')).toBe(true);
      const warns = rt.logs.slice(from).filter((l) => l.level === 'warn' && l.type === 'mtconnect-in');
      expect(warns.length, warns.map((w) => w.msg).join('\n')).toBe(1);
      expect(warns[0]!.msg).toMatch(/the agent refuses \/sample\?count=20000 .*lower "count"/);
      expect(rt.captured('out').length).toBe(1);
    }, 30_000);
  });
});
