/**
 * The disk buffer's SQLite (src/buffer/sqlite.ts): the built-in node:sqlite
 * (no native build), and a clear error — not a crash, not a failed install —
 * on a Node.js without it (a real one: this Node.js started with
 * --no-experimental-sqlite, loading the built dist/).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openQueue } from '../../src/buffer/queue';
import { openSqlite, sqliteBackend } from '../../src/buffer/sqlite';
import { PACKAGE_ROOT } from '../../src/host/index';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-buffer-sqlite-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('disk buffer SQLite', () => {
  it('uses the built-in node:sqlite, and a disk queue round-trips through it across a reopen', async () => {
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

  it('a throwing transaction rolls back', () => {
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

  it('on a Node.js without node:sqlite a disk queue fails to open with a PlantwireError that names the fix, and a memory queue still works', () => {
    const queueJs = path.join(PACKAGE_ROOT, 'dist', 'src', 'buffer', 'queue.js');
    expect(fs.existsSync(queueJs), 'dist/ is built (npm test builds it first)').toBe(true);
    const script = `
      const { openQueue } = require(${JSON.stringify(queueJs)});
      const out = {};
      try { openQueue({ dir: ${JSON.stringify(path.join(root, 'none'))}, name: 'x', mode: 'disk' }); out.opened = true; }
      catch (e) { out.error = { name: e.constructor.name, code: e.code, status: e.status, message: e.message }; }
      const mem = openQueue({ name: 'm', mode: 'memory' });
      mem.enqueue(1).then(() => { out.memory = mem.peek(1).map((e) => e.body); return mem.close(); }).then(() => console.log(JSON.stringify(out)));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--no-experimental-sqlite', '-e', script], { encoding: 'utf8' })) as { opened?: boolean; error?: { name: string; code: string; status: string; message: string }; memory?: number[] };
    expect(out.opened).toBeUndefined();
    expect(out.error).toMatchObject({ name: 'PlantwireError', code: 'buffer-backend', status: 'disk buffer needs Node.js ≥ 22.13' });
    expect(out.error!.message).toMatch(/use Node\.js 22\.13 or newer \(it has node:sqlite built in.*or set the buffer to memory\. node:sqlite is not available/);
    expect(out.error!.message).not.toMatch(/better-sqlite3/);
    expect(out.memory).toEqual([1]);
  });
});
