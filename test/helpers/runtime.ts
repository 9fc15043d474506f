/**
 * A real Node-RED runtime for node tests: the embedded host (the same code as
 * `npm start`) with the palette and a test-only `test-capture` node, in the
 * test file's own process. Flows are deployed through the Admin API.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PACKAGE_ROOT, startHost, type Host, type HostUser } from '../../src/host/index';

const here = path.join(PACKAGE_ROOT, 'test', 'helpers');

export const ADMIN: HostUser = { username: 'admin', password: 'admin-password-for-tests', permissions: '*' };
export const READER: HostUser = { username: 'reader', password: 'reader-password-for-tests', permissions: 'read' };

export interface Captured {
  at: number;
  msg: Record<string, any>;
}

export interface TestRuntime extends Host {
  /** Replaces all flows (full deploy) and waits until they started. */
  deploy(flows: unknown[]): Promise<void>;
  /** Messages received so far by the `test-capture` node of that name. */
  captured(name: string): Captured[];
  /** Waits until `count` messages reached the capture node `name`. */
  waitFor(name: string, count?: number, timeoutMs?: number): Promise<Captured[]>;
  clear(): void;
}

function store(): Map<string, Captured[]> {
  const g = globalThis as unknown as { __plantwireCapture?: Map<string, Captured[]> };
  g.__plantwireCapture ??= new Map();
  return g.__plantwireCapture;
}

export async function startTestRuntime(opts: { flows?: unknown[]; settings?: Record<string, unknown> } = {}): Promise<TestRuntime> {
  if (!fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'nodes'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-nodes-'));
  const host = await startHost({
    userDir,
    port: 0,
    users: [ADMIN, READER],
    credentialSecret: 'test-secret',
    flows: opts.flows ?? [],
    logLevel: process.env.PLANTWIRE_TEST_LOG === '1' ? 'info' : 'off',
    settings: { nodesDir: [PACKAGE_ROOT, path.join(here, 'nodes')], ...opts.settings },
  });
  // The runtime starts its initial flows asynchronously: wait for them, so a first deploy() cannot count that start as its own.
  for (const deadline = Date.now() + 30_000; !host.logs.some((l) => l.msg === 'Started flows'); ) {
    if (Date.now() > deadline) throw new Error('the test runtime did not start its flows within 30 s');
    await new Promise((r) => setTimeout(r, 10));
  }
  const waitFor = async (name: string, count = 1, timeoutMs = 10_000): Promise<Captured[]> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const got = store().get(name) ?? [];
      if (got.length >= count) return got;
      if (Date.now() > deadline) throw new Error(`capture "${name}" got ${got.length} of ${count} messages within ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  return {
    ...host,
    async deploy(flows) {
      store().clear();
      const startedBefore = host.logs.filter((l) => l.msg === 'Started flows').length;
      const res = await host.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' });
      if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
      // The Admin API answers before the new flows have started: wait for the runtime to say so.
      const deadline = Date.now() + 10_000;
      while (host.logs.filter((l) => l.msg === 'Started flows').length <= startedBefore) {
        if (Date.now() > deadline) throw new Error('deployed flows did not start within 10 s');
        await new Promise((r) => setTimeout(r, 10));
      }
      // Messages the old flows sent while they were stopping belong to the previous test: drop them.
      const stopped = host.logs.filter((l) => l.msg === 'Stopped flows').at(-1)?.timestamp ?? 0;
      for (const [name, list] of store()) store().set(name, list.filter((c) => c.at >= stopped));
    },
    captured: (name) => store().get(name) ?? [],
    waitFor,
    clear: () => store().clear(),
    async stop() {
      await host.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
    },
  };
}

let seq = 0;
/** A fresh node id for test flows. */
export function nid(prefix = 'n'): string {
  seq += 1;
  return `${prefix}${seq.toString(16).padStart(6, '0')}`;
}
