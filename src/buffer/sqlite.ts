/**
 * The SQLite backend of the disk buffer, chosen once per process:
 *
 * 1. `node:sqlite` (built into Node.js ≥ 22.13, no flag, no native build) —
 *    the default, so installing the palette never compiles anything;
 * 2. `better-sqlite3`, only if the user installed it next to Node-RED (an
 *    optional peer dependency: npm never installs it for the palette), for a
 *    Node.js without `node:sqlite`;
 * 3. neither: `openSqlite` throws a PlantwireError whose status tells the user
 *    what to do; nodes with a memory buffer or none are unaffected.
 *
 * `PLANTWIRE_SQLITE=node|better-sqlite3` forces one backend (tests, support).
 * Both backends are wrapped into the few calls the queue uses (exec, prepare,
 * run/get/all, transaction, close) — the adapter is hand-written because it is
 * a dozen lines over two public APIs, not a library's job.
 */
import { PlantwireError } from '../model/errors';

export type SqliteBackendName = 'node:sqlite' | 'better-sqlite3';

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

interface BetterSqliteDb {
  exec(sql: string): void;
  prepare(sql: string): { run(...p: unknown[]): SqlRunResult; get(...p: unknown[]): unknown; all(...p: unknown[]): unknown[] };
  transaction<F extends (...a: never[]) => unknown>(fn: F): F;
  close(): void;
}
type BetterSqliteCtor = new (file: string) => BetterSqliteDb;

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
            // Nested calls join the outer transaction (as better-sqlite3 does with savepoints, simplified).
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

function betterSqlite(): Backend | string {
  let Ctor: BetterSqliteCtor;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    Ctor = require('better-sqlite3') as BetterSqliteCtor;
  } catch (err) {
    return `better-sqlite3 is not installed (${(err as Error).message.split('\n')[0]})`;
  }
  return {
    name: 'better-sqlite3',
    open(file) {
      let db: BetterSqliteDb;
      try {
        db = new Ctor(file);
      } catch (err) {
        const msg = (err as Error).message;
        if (/NODE_MODULE_VERSION|compiled against a different Node\.js version|invalid ELF header|better_sqlite3\.node|Could not locate the bindings/.test(msg)) {
          throw new PlantwireError(
            'buffer-backend',
            `the disk buffer's better-sqlite3 is not built for this Node.js ${process.version}: run "npm rebuild better-sqlite3" in the Node-RED user dir, or uninstall it and use Node.js 22.13 or newer (built-in node:sqlite), or use the memory buffer (${msg.split('\n')[0]})`,
            'disk buffer: rebuild better-sqlite3',
          );
        }
        throw err;
      }
      return {
        backend: 'better-sqlite3',
        exec: (sql) => db.exec(sql),
        prepare: <P extends unknown[], R>(sql: string) => db.prepare(sql) as unknown as SqlStatement<P, R>,
        transaction: <A extends unknown[], R>(fn: (...args: A) => R) => db.transaction(fn as (...a: never[]) => unknown) as unknown as (...args: A) => R,
        close: () => db.close(),
      };
    },
  };
}

let chosen: Backend | PlantwireError | undefined;

function choose(): Backend | PlantwireError {
  const forced = process.env.PLANTWIRE_SQLITE;
  if (forced && forced !== 'node' && forced !== 'node:sqlite' && forced !== 'better-sqlite3') {
    return new PlantwireError('bad-config', `PLANTWIRE_SQLITE must be "node" or "better-sqlite3", got ${JSON.stringify(forced)}`, 'disk buffer: bad PLANTWIRE_SQLITE');
  }
  const order = forced === 'better-sqlite3' ? [betterSqlite] : forced ? [nodeSqlite] : [nodeSqlite, betterSqlite];
  const reasons: string[] = [];
  for (const candidate of order) {
    const b = candidate();
    if (typeof b !== 'string') return b;
    reasons.push(b);
  }
  return new PlantwireError(
    'buffer-backend',
    `the disk buffer needs SQLite: use Node.js 22.13 or newer (it has node:sqlite built in), or install better-sqlite3 in the Node-RED user dir ("npm install better-sqlite3"), or set the buffer to memory. ${reasons.join('; ')}`,
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

/** Forgets the choice (tests that change PLANTWIRE_SQLITE). */
export function resetSqliteBackend(): void {
  chosen = undefined;
}
