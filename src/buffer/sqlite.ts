/**
 * The SQLite of the disk buffer: `node:sqlite`, built into every Node.js the
 * palette supports (engines: ≥ 22.13, where it needs no flag and no native
 * build). On a Node.js without it (older, or started with
 * --no-experimental-sqlite) `openSqlite` throws a PlantwireError whose status
 * tells the user what to do; nodes with a memory buffer or none are
 * unaffected. Wrapped into the few calls the queue uses (exec, prepare,
 * run/get/all, transaction, close) — hand-written because it is a dozen lines
 * over one public API, not a library's job.
 */
import { PlantwireError } from '../model/errors';

export type SqliteBackendName = 'node:sqlite';

export interface SqlRunResult {
  changes: number | bigint;
  lastInsertRowid: number | bigint;
}

export interface SqlStatement<P extends unknown[] = unknown[], R = unknown> {
  run(...params: P): SqlRunResult;
  get(...params: P): R | undefined;
  all(...params: P): R[];
}

export interface SqlDatabase {
  readonly backend: SqliteBackendName;
  exec(sql: string): void;
  prepare<P extends unknown[] = unknown[], R = unknown>(sql: string): SqlStatement<P, R>;
  /** Wraps `fn` into BEGIN IMMEDIATE … COMMIT (ROLLBACK when it throws). */
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
  close(): void;
}

interface Backend {
  name: SqliteBackendName;
  open(file: string): SqlDatabase;
}

/** The structural part of node:sqlite's DatabaseSync (typed here so that @types/node 20 would do too). */
interface NodeSqliteDb {
  exec(sql: string): void;
  prepare(sql: string): { run(...p: unknown[]): SqlRunResult; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  close(): void;
}
interface NodeSqliteModule {
  DatabaseSync: new (file: string) => NodeSqliteDb;
}

function nodeSqlite(): Backend | string {
  let mod: NodeSqliteModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    mod = require('node:sqlite') as NodeSqliteModule;
  } catch (err) {
    return `node:sqlite is not available in Node.js ${process.version} (${(err as Error).message.split('\n')[0]})`;
  }
  return {
    name: 'node:sqlite',
    open(file) {
      const db = new mod.DatabaseSync(file);
      let depth = 0;
      return {
        backend: 'node:sqlite',
        exec: (sql) => db.exec(sql),
        prepare: <P extends unknown[], R>(sql: string) => db.prepare(sql) as unknown as SqlStatement<P, R>,
        transaction:
          <A extends unknown[], R>(fn: (...args: A) => R) =>
          (...args: A): R => {
            // Nested calls join the outer transaction.
            if (depth > 0) return fn(...args);
            db.exec('BEGIN IMMEDIATE');
            depth += 1;
            try {
              const r = fn(...args);
              db.exec('COMMIT');
              return r;
            } catch (err) {
              try {
                db.exec('ROLLBACK');
              } catch {
                /* the transaction is already gone */
              }
              throw err;
            } finally {
              depth -= 1;
            }
          },
        close: () => db.close(),
      };
    },
  };
}

let chosen: Backend | PlantwireError | undefined;

function choose(): Backend | PlantwireError {
  const b = nodeSqlite();
  if (typeof b !== 'string') return b;
  return new PlantwireError(
    'buffer-backend',
    `the disk buffer needs SQLite: use Node.js 22.13 or newer (it has node:sqlite built in, without a flag), or set the buffer to memory. ${b}`,
    'disk buffer needs Node.js ≥ 22.13',
  );
}

/** The backend the disk buffer uses in this process, or why there is none. */
export function sqliteBackend(): { name: SqliteBackendName } | { error: PlantwireError } {
  chosen ??= choose();
  return chosen instanceof PlantwireError ? { error: chosen } : { name: chosen.name };
}

/** Opens a database file with the chosen backend; throws a PlantwireError (code `buffer-backend`) when there is none. */
export function openSqlite(file: string): SqlDatabase {
  chosen ??= choose();
  if (chosen instanceof PlantwireError) throw chosen;
  return chosen.open(file);
}
