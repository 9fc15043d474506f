/**
 * A sink whose buffer is set to disk on a Node.js without an SQLite backend
 * (no node:sqlite, no better-sqlite3 — forced here with PLANTWIRE_SQLITE):
 * that node shows a red status naming the fix; the deploy and every other
 * node are unaffected.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { brokerNode, capture, mqttOut, statusOf, TAB } from '../helpers/flows';
import { startAedes, type EmbeddedBroker } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const req = createRequire(__filename);
const hasBetterSqlite = ((): boolean => {
  try {
    req('better-sqlite3');
    return true;
  } catch {
    return false;
  }
})();

let rt: TestRuntime;
let broker: EmbeddedBroker;
// The palette the runtime loads is dist/: reset the backend choice of that module instance.
let backend: { resetSqliteBackend(): void } | undefined;
const saved = process.env.PLANTWIRE_SQLITE;

beforeAll(async () => {
  broker = await startAedes();
  rt = await startTestRuntime();
  backend = req(path.join(PACKAGE_ROOT, 'dist', 'src', 'buffer', 'sqlite.js')) as { resetSqliteBackend(): void };
});
afterAll(async () => {
  if (saved === undefined) delete process.env.PLANTWIRE_SQLITE;
  else process.env.PLANTWIRE_SQLITE = saved;
  backend?.resetSqliteBackend();
  await rt?.stop();
  await broker?.stop();
});

describe('disk buffer without an SQLite backend', () => {
  it.skipIf(hasBetterSqlite)('is a red status on the disk-buffered node only; a memory-buffered sink beside it works', async () => {
    process.env.PLANTWIRE_SQLITE = 'better-sqlite3'; // not installed: as on a Node.js without node:sqlite
    backend!.resetSqliteBackend();
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-disk', 'b1', { asset: 'backend/disk', bufferMode: 'disk' }),
      mqttOut('out-mem', 'b1', { asset: 'backend/mem', bufferMode: 'memory' }),
      statusOf('st', ['out-disk', 'out-mem'], 'status'),
      capture('status'),
    ]);
    const statuses = (id: string): Array<{ fill?: string; text?: string }> =>
      rt
        .captured('status')
        .filter((c) => (c.msg.status as { source?: { id?: string } } | undefined)?.source?.id === id)
        .map((c) => c.msg.status as { fill?: string; text?: string });
    for (const deadline = Date.now() + 20_000; !statuses('out-disk').some((s) => s.fill === 'red') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    expect(statuses('out-disk').at(-1)).toMatchObject({ fill: 'red', text: 'disk buffer needs Node.js ≥ 22.13' });
    for (const deadline = Date.now() + 20_000; !statuses('out-mem').some((s) => s.fill === 'green') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    expect(statuses('out-mem').map((s) => s.fill)).toContain('green');
    expect(statuses('out-mem').map((s) => s.fill)).not.toContain('red');
  });
});
