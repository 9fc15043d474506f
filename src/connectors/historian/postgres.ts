/**
 * PostgreSQL / TimescaleDB historian backend (node-postgres `pg`, one pool per
 * config node). Stores tag samples in one narrow table:
 *
 *   time timestamptz, tag text, value double precision, value_text text,
 *   quality text, unit text, asset text
 *
 * created if absent, with a hash index on tag and a B-tree index on time (a
 * B-tree on (tag, time) would refuse tag names longer than ~2,700 bytes), a
 * unique index on (md5(tag), time) when duplicates are skipped (the buffer
 * delivers at least once), and `create_hypertable` when the timescaledb
 * extension is installed in the database.
 *
 * Values travel only as bind parameters of prepared (named) statements, never
 * inside the SQL text: small batches as a multi-row VALUES list, large ones as
 * `INSERT … SELECT FROM unnest($1::timestamptz[], …)` (seven array parameters,
 * whatever the batch size). Identifiers (schema, table) come from the config
 * node, are validated (letters, digits, _ and $) and double-quoted.
 */
import crypto from 'node:crypto';
import os from 'node:os';
import type { ConnectionOptions } from 'node:tls';
import pg from 'pg';
import { PlantwireError, toError } from '../../model/errors';
import { describe, type TagSample } from '../../model/sample';
import { identifierProblem } from './db-fields';
import { copyFrom } from './pg-copy';
import { HistorianError, type HistorianBackend } from './types';

/** Checks a schema or table name (./db-fields.ts: the config node's field spec uses it too). */
export { identifierProblem };

/** One stored row: [time (ISO), tag, value, value_text, quality, unit, asset]. Plain JSON, so the durable buffer can keep it. */
export type PgRow = [string, string, number | null, string | null, string, string | null, string | null];

export const PG_COLUMNS = ['time', 'tag', 'value', 'value_text', 'quality', 'unit', 'asset'] as const;

export interface PostgresSettings {
  host: string;
  port: number;
  database: string;
  user?: string;
  password?: string;
  /** Schema ('' or 'public' = public). */
  schema: string;
  table: string;
  ssl: boolean;
  /** PEM CA certificate(s) to trust (with ssl). */
  ca?: string;
  /** Check the server certificate (default true). */
  rejectUnauthorized?: boolean;
  /** Unique index on (md5(tag), time) + ON CONFLICT DO NOTHING: a sample delivered twice is stored once. */
  skipDuplicates: boolean;
  /** Pool size (default 4). */
  poolSize?: number;
  /** Rows up to which a multi-row VALUES statement is used; above, unnest arrays (default 100). 0 = always unnest. */
  valuesMaxRows?: number;
  /** Batches of at least this many rows go through COPY FROM STDIN when duplicates are not skipped (default 1,000; 0 = never). COPY has no ON CONFLICT, so with skipDuplicates it is never used. */
  copyMinRows?: number;
  connectTimeoutMs?: number;
  statementTimeoutMs?: number;
}

/** Double-quotes an identifier (doubling any quote inside; validated names have none). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** `"schema"."table"`. */
export function qualifiedTable(schema: string, table: string): string {
  return schema && schema !== 'public' ? `${quoteIdent(schema)}.${quoteIdent(table)}` : `${quoteIdent('public')}.${quoteIdent(table)}`;
}

const NUL = /\u0000/;

/**
 * Turns samples into rows. Numbers go to `value`; NaN and ±Infinity (which
 * JSON cannot carry, but src/ callers can) are stored as NULL `value` with
 * `value_text` 'NaN' / 'Infinity' / '-Infinity', so that avg() and Grafana
 * panels are not poisoned by NaN. Booleans: value 1/0 and value_text
 * 'true'/'false'. Strings: value_text. Objects and arrays: value_text as JSON.
 * null: both NULL. PostgreSQL text cannot hold the NUL character: refused.
 */
export function encodePgRows(samples: TagSample[]): PgRow[] {
  return samples.map((s, i) => {
    const where = samples.length > 1 ? `payload[${i}]` : 'payload';
    if (typeof s.tag !== 'string' || s.tag === '') throw new PlantwireError('bad-sample', `${where}.tag must be a non-empty string`, 'missing tag');
    if (NUL.test(s.tag)) throw new PlantwireError('bad-sample', `${where}.tag contains the NUL character (\\u0000), which PostgreSQL text cannot store: remove it`, 'NUL character in tag');
    const time = new Date(s.sourceTimestamp);
    if (Number.isNaN(time.getTime())) throw new PlantwireError('bad-sample', `${where}.sourceTimestamp is not a date: ${describe(s.sourceTimestamp)}`, 'bad sourceTimestamp');
    let value: number | null = null;
    let text: string | null = null;
    const v = s.value as unknown;
    if (typeof v === 'number') {
      if (Number.isFinite(v)) value = v;
      else text = Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
    } else if (typeof v === 'boolean') {
      value = v ? 1 : 0;
      text = v ? 'true' : 'false';
    } else if (typeof v === 'string') {
      text = v;
    } else if (v !== null && v !== undefined) {
      text = JSON.stringify(v);
    }
    if (text !== null && NUL.test(text)) throw new PlantwireError('bad-sample', `${where}.value of tag ${describe(s.tag)} contains the NUL character (\\u0000), which PostgreSQL text cannot store: remove it`, 'NUL character in value');
    for (const key of ['unit', 'asset'] as const) {
      const x = s[key];
      if (x !== undefined && (typeof x !== 'string' || NUL.test(x))) throw new PlantwireError('bad-sample', `${where}.${key} must be a string without NUL characters`, `bad ${key}`);
    }
    return [time.toISOString(), s.tag, value, text, s.quality, s.unit ?? null, s.asset ?? null];
  });
}

/** The SQL statements that create the table and its indexes (identifiers validated and quoted; no values). */
export function schemaStatements(settings: Pick<PostgresSettings, 'schema' | 'table' | 'skipDuplicates'>): string[] {
  const t = qualifiedTable(settings.schema, settings.table);
  const base = settings.table.slice(0, 40);
  const idx = (suffix: string): string => quoteIdent(`${base}_${suffix}`);
  const out: string[] = [];
  if (settings.schema && settings.schema !== 'public') out.push(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(settings.schema)}`);
  out.push(
    `CREATE TABLE IF NOT EXISTS ${t} (time timestamptz NOT NULL, tag text NOT NULL, value double precision, value_text text, quality text NOT NULL, unit text, asset text)`,
  );
  return out.concat(indexStatements(t, idx, settings.skipDuplicates));
}

function indexStatements(t: string, idx: (s: string) => string, unique: boolean): string[] {
  const out = [`CREATE INDEX IF NOT EXISTS ${idx('tag_hash')} ON ${t} USING hash (tag)`, `CREATE INDEX IF NOT EXISTS ${idx('time')} ON ${t} (time DESC)`];
  if (unique) out.push(`CREATE UNIQUE INDEX IF NOT EXISTS ${idx('tag_time_key')} ON ${t} (md5(tag), time)`);
  return out;
}

export interface Queryable {
  query(text: string, values?: unknown[]): Promise<{ rows: Array<Record<string, unknown>> }>;
}

/** True when the timescaledb extension is installed in the connected database. */
export async function timescaleVersion(db: Queryable): Promise<string | null> {
  const r = await db.query("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'");
  const v = r.rows[0]?.extversion;
  return typeof v === 'string' ? v : null;
}

/**
 * Creates the schema, the table, the hypertable (when TimescaleDB is there) and
 * the indexes, each IF NOT EXISTS. Returns the TimescaleDB version or null.
 */
export async function ensureSchema(db: Queryable, settings: Pick<PostgresSettings, 'schema' | 'table' | 'skipDuplicates'>): Promise<string | null> {
  const [maybeSchema, ...rest] = schemaStatements(settings);
  const statements = [maybeSchema!, ...rest];
  const createTableAt = statements.findIndex((s) => s.startsWith('CREATE TABLE'));
  for (const s of statements.slice(0, createTableAt + 1)) await tolerateRace(db, s);
  const ts = await timescaleVersion(db);
  if (ts) {
    // Before the indexes: a hypertable's unique indexes must contain the time column (ours do).
    await db.query("SELECT create_hypertable($1::regclass, 'time', if_not_exists => TRUE, migrate_data => TRUE)", [qualifiedTable(settings.schema, settings.table)]);
  }
  for (const s of statements.slice(createTableAt + 1)) await tolerateRace(db, s);
  return ts;
}

/** Two config nodes creating the same table at once: IF NOT EXISTS can still collide in the catalogue (23505 / 42P07); the other one won. */
async function tolerateRace(db: Queryable, sql: string): Promise<void> {
  try {
    await db.query(sql);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === '23505' || code === '42P07' || code === '42P06') return;
    throw err;
  }
}

const hash = (s: string): string => crypto.createHash('sha1').update(s).digest('hex').slice(0, 10);

/** INSERT … VALUES ($1,…,$7), ($8,…) for `n` rows. */
export function valuesInsert(table: string, n: number, skipDuplicates: boolean): string {
  const rows: string[] = [];
  for (let r = 0; r < n; r++) {
    const b = r * 7;
    rows.push(`($${b + 1}::timestamptz,$${b + 2},$${b + 3}::double precision,$${b + 4},$${b + 5},$${b + 6},$${b + 7})`);
  }
  return `INSERT INTO ${table} (${PG_COLUMNS.join(', ')}) VALUES ${rows.join(',')}${skipDuplicates ? ' ON CONFLICT DO NOTHING' : ''}`;
}

/** INSERT … SELECT FROM unnest(seven arrays): one statement text for any number of rows. */
export function unnestInsert(table: string, skipDuplicates: boolean): string {
  return `INSERT INTO ${table} (${PG_COLUMNS.join(', ')}) SELECT * FROM unnest($1::timestamptz[], $2::text[], $3::double precision[], $4::text[], $5::text[], $6::text[], $7::text[])${skipDuplicates ? ' ON CONFLICT DO NOTHING' : ''}`;
}

/** The statement (name, text, values) for a batch of rows: VALUES up to `valuesMaxRows`, unnest above. */
export function insertStatement(table: string, rows: PgRow[], opts: { skipDuplicates: boolean; valuesMaxRows: number }): { name: string; text: string; values: unknown[] } {
  if (rows.length <= opts.valuesMaxRows) {
    const text = valuesInsert(table, rows.length, opts.skipDuplicates);
    return { name: `pw_hv${rows.length}_${hash(text)}`, text, values: rows.flat() };
  }
  const text = unnestInsert(table, opts.skipDuplicates);
  const cols: unknown[][] = [[], [], [], [], [], [], []];
  for (const row of rows) for (let c = 0; c < 7; c++) cols[c]!.push(row[c]);
  return { name: `pw_hu_${hash(text)}`, text, values: cols };
}

/** `COPY "schema"."table" (columns) FROM STDIN` (identifiers only). */
export function copyStatement(table: string): string {
  return `COPY ${table} (${PG_COLUMNS.join(', ')}) FROM STDIN`;
}

/** SQLSTATE classes that mean "these rows will never be accepted": 22 data exception, 23 integrity constraint violation. */
export function isPermanentPgError(err: unknown): boolean {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23)/.test(code);
}

const NET_WORDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused: is PostgreSQL running on that host and port?',
  ENOTFOUND: 'host not found',
  ETIMEDOUT: 'connection timed out',
  ECONNRESET: 'connection reset by the server',
  EHOSTUNREACH: 'host unreachable',
  '28P01': 'password authentication failed: check user and password',
  '28000': 'the server refused the login (pg_hba.conf): check user, database and SSL',
  '3D000': 'the database does not exist: create it or fix the database name',
  '42501': 'permission denied: the user may not create or write the table',
};

/** A pg/network error in words a user can act on. */
export function describePgError(err: unknown): string {
  const e = toError(err) as Error & { code?: string };
  const words = e.code ? NET_WORDS[e.code] : undefined;
  if (words) return `${words} (${e.message})`;
  if (/does not support SSL/i.test(e.message)) return 'the server does not accept SSL: untick "Use SSL/TLS" or enable ssl in postgresql.conf';
  if (/self[- ]signed certificate|unable to verify|unable to get local issuer/i.test(e.message)) return `cannot verify the server's certificate: set the CA certificate that signed it (${e.message})`;
  if (/timeout expired|Connection terminated due to connection timeout/i.test(e.message)) return 'connection timed out: is the host reachable and PostgreSQL listening?';
  return e.message;
}

export class PostgresHistorian implements HistorianBackend<PgRow> {
  readonly label: string;
  readonly table: string;
  private poolConfig: pg.PoolConfig;
  private currentPool: pg.Pool | null = null;
  private ready: Promise<void> | null = null;
  private readonly valuesMaxRows: number;
  /** The TimescaleDB version found at open(), or null. */
  timescale: string | null = null;
  private closed = false;

  constructor(readonly settings: PostgresSettings) {
    const s = settings;
    const p1 = identifierProblem(s.table, 'table');
    if (p1) throw new PlantwireError('bad-config', p1, 'bad table name');
    if (s.schema && s.schema !== 'public') {
      const p2 = identifierProblem(s.schema, 'schema');
      if (p2) throw new PlantwireError('bad-config', p2, 'bad schema name');
    }
    this.table = qualifiedTable(s.schema, s.table);
    this.label = `PostgreSQL ${s.host}:${s.port}/${s.database} ${s.schema && s.schema !== 'public' ? `${s.schema}.` : ''}${s.table}`;
    this.valuesMaxRows = s.valuesMaxRows ?? 100;
    let ssl: boolean | ConnectionOptions = false;
    if (s.ssl) ssl = { rejectUnauthorized: s.rejectUnauthorized !== false, ...(s.ca ? { ca: s.ca } : {}) };
    const config: pg.PoolConfig = {
      host: s.host,
      port: s.port,
      database: s.database,
      ssl,
      max: s.poolSize ?? 4,
      idleTimeoutMillis: 30_000,
      connectionTimeoutMillis: s.connectTimeoutMs ?? 5000,
      statement_timeout: s.statementTimeoutMs ?? 30_000,
      application_name: 'plantwire-historian',
    };
    // No user configured: like psql, PGUSER or the operating-system user (node-postgres would send none when USER is unset).
    config.user = s.user || process.env.PGUSER || osUser();
    if (s.password !== undefined && s.password !== '') config.password = s.password;
    this.poolConfig = config;
  }

  /** The pool, created on first use (and again after release()). */
  private get pool(): pg.Pool {
    if (!this.currentPool) {
      const pool = new pg.Pool(this.poolConfig);
      // An idle client losing its connection (server restart) must not crash the process: the next query reconnects.
      pool.on('error', () => undefined);
      this.currentPool = pool;
    }
    return this.currentPool;
  }

  /** The last user left: close the pool's connections (a later user opens a new pool). */
  async release(): Promise<void> {
    const pool = this.currentPool;
    this.currentPool = null;
    if (pool) await pool.end().catch(() => undefined);
  }

  encode(samples: TagSample[]): PgRow[] {
    return encodePgRows(samples);
  }

  /** Connects and creates table/indexes/hypertable once (again after a failure). */
  open(): Promise<void> {
    if (this.closed) return Promise.reject(new HistorianError('closed', `${this.label}: closed`, false, 'closed'));
    if (!this.ready) {
      this.ready = ensureSchema(this.pool, this.settings)
        .then((ts) => {
          this.timescale = ts;
        })
        .catch((err: unknown) => {
          this.ready = null;
          throw this.wrap(err, 'cannot prepare the table');
        });
    }
    return this.ready;
  }

  async write(rows: PgRow[]): Promise<void> {
    if (rows.length === 0) return;
    await this.open();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (err) {
      throw this.wrap(err, 'cannot connect');
    }
    let broken = false;
    try {
      const copyMin = this.settings.copyMinRows ?? 1000;
      if (copyMin > 0 && !this.settings.skipDuplicates && rows.length >= copyMin) {
        await copyFrom(client, copyStatement(this.table), rows);
        return;
      }
      // VALUES statements bind 7 parameters per row: chunks stay far below PostgreSQL's 65,535 parameters.
      const chunk = rows.length <= this.valuesMaxRows ? rows.length : 50_000;
      if (rows.length <= chunk) {
        await client.query(insertStatement(this.table, rows, { skipDuplicates: this.settings.skipDuplicates, valuesMaxRows: this.valuesMaxRows }));
      } else {
        await client.query('BEGIN');
        try {
          for (let i = 0; i < rows.length; i += chunk) {
            await client.query(insertStatement(this.table, rows.slice(i, i + chunk), { skipDuplicates: this.settings.skipDuplicates, valuesMaxRows: this.valuesMaxRows }));
          }
          await client.query('COMMIT');
        } catch (err) {
          await client.query('ROLLBACK').catch(() => undefined);
          throw err;
        }
      }
    } catch (err) {
      broken = !isPermanentPgError(err);
      throw this.wrap(err, `insert of ${rows.length} row(s) failed`);
    } finally {
      // A client whose connection failed is discarded, not returned to the pool.
      client.release(broken ? true : undefined);
    }
  }

  /** Runs a query on the pool (tests, the bench, read-back). */
  query(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    return this.pool.query(text, values);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.release();
  }

  private wrap(err: unknown, what: string): HistorianError {
    if (err instanceof HistorianError) return err;
    const permanent = isPermanentPgError(err);
    const words = describePgError(err);
    const code = (err as { code?: string }).code;
    return new HistorianError(permanent ? 'pg-refused' : 'pg-unavailable', `${words}${code && !words.includes(code) ? ` [SQLSTATE ${code}]` : ''} (${this.label}: ${what})`, !permanent, shortWords(words));
  }
}

function osUser(): string | undefined {
  try {
    return os.userInfo().username;
  } catch {
    return undefined;
  }
}

function shortWords(words: string): string {
  return words.replace(/\s*\(.*$/, '');
}
