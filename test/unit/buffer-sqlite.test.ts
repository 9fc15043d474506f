/**
 * The disk buffer's SQLite backend (src/buffer/sqlite.ts): built-in
 * node:sqlite by default (no native build), better-sqlite3 only when the user
 * installed it, and a clear error — not a crash, not a failed install — when
 * neither exists.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/buffer/queue';
import { openSqlite, resetSqliteBackend, sqliteBackend } from '../../src/buffer/sqlite';
import { PlantwireError } from '../../src/model/errors';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-buffer-sqlite-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const saved = process.env.PLANTWIRE_SQLITE;
afterEach(() => {
  if (saved === undefined) delete process.env.PLANTWIRE_SQLITE;
  else process.env.PLANTWIRE_SQLITE = saved;
  resetSqliteBackend();
});

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
const hasNodeSqlite = major > 22 || (major === 22 && minor >= 13);
const hasBetterSqlite = ((): boolean => {
  try {
    createRequire(__filename)('better-sqlite3');
    return true;
  } catch {
    return false;
  }
})();

describe('disk buffer SQLite backend', () => {
  it.skipIf(!hasNodeSqlite)('uses the built-in node:sqlite on Node.js ≥ 22.13, and a disk queue round-trips through it across a reopen', async () => {
    delete process.env.PLANTWIRE_SQLITE;
    resetSqliteBackend();
    expect(sqliteBackend()).toEqual({ name: 'node:sqlite' });
    const dir = path.join(root, 'node');
    let q = openQueue<{ v: number }>({ dir, name: 'n1', mode: 'disk' });
    await Promise.all([1, 2, 3].map((v) => q.enqueue({ v })));
    await q.close();
    q = openQueue<{ v: number }>({ dir, name: 'n1', mode: 'disk' });
    expect(q.peek(10).map((e) => e.body.v)).toEqual([1, 2, 3]);
    expect(q.ack([q.peek(1)[0]!.id])).toBe(1);
    expect(q.metrics()).toMatchObject({ depth: 2, delivered: 1 });
    await q.close();
  });

  it.skipIf(!hasNodeSqlite)('a throwing transaction rolls back on node:sqlite', () => {
    process.env.PLANTWIRE_SQLITE = 'node';
    resetSqliteBackend();
    const db = openSqlite(path.join(root, 'tx.sqlite'));
    db.exec('CREATE TABLE t (v INTEGER)');
    const insert = db.prepare<[number]>('INSERT INTO t (v) VALUES (?)');
    const tx = db.transaction((vs: number[]) => {
      for (const v of vs) insert.run(v);
      if (vs.includes(-1)) throw new Error('boom');
    });
    tx([1, 2]);
    expect(() => tx([3, -1])).toThrow('boom');
    expect(db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM t').get()?.n).toBe(2);
    db.close();
  });

  it.skipIf(hasBetterSqlite)('without a backend a disk queue fails to open with a PlantwireError that names the fix, and a memory queue still works', async () => {
    process.env.PLANTWIRE_SQLITE = 'better-sqlite3'; // not installed here: as on a Node.js without node:sqlite
    resetSqliteBackend();
    let err: unknown;
    try {
      openQueue({ dir: path.join(root, 'none'), name: 'x', mode: 'disk' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PlantwireError);
    expect((err as PlantwireError).code).toBe('buffer-backend');
    expect((err as PlantwireError).status).toBe('disk buffer needs Node.js ≥ 22.13');
    expect((err as PlantwireError).message).toMatch(/npm install better-sqlite3/);
    const mem = openQueue<number>({ name: 'm', mode: 'memory' });
    await mem.enqueue(1);
    expect(mem.peek(1).map((e) => e.body)).toEqual([1]);
    await mem.close();
  });

  it.skipIf(!hasBetterSqlite)('uses better-sqlite3 when forced and installed; the file is the same format node:sqlite reads', async () => {
    process.env.PLANTWIRE_SQLITE = 'better-sqlite3';
    resetSqliteBackend();
    expect(sqliteBackend()).toEqual({ name: 'better-sqlite3' });
    const dir = path.join(root, 'better');
    const q = openQueue<number>({ dir, name: 'b1', mode: 'disk' });
    await Promise.all([7, 8].map((v) => q.enqueue(v)));
    await q.close();
    if (hasNodeSqlite) {
      process.env.PLANTWIRE_SQLITE = 'node';
      resetSqliteBackend();
      const again = openQueue<number>({ dir, name: 'b1', mode: 'disk' });
      expect(again.peek(10).map((e) => e.body)).toEqual([7, 8]);
      await again.close();
    }
  });

  it('refuses an unknown PLANTWIRE_SQLITE value with a clear error', () => {
    process.env.PLANTWIRE_SQLITE = 'mysql';
    resetSqliteBackend();
    const b = sqliteBackend();
    expect('error' in b && b.error.message).toMatch(/PLANTWIRE_SQLITE must be "node" or "better-sqlite3"/);
  });
});
