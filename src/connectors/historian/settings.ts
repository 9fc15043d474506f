/**
 * The `plantwire-historian-db` configuration, validated without Node-RED and
 * turned into a backend (PostgreSQL/TimescaleDB or InfluxDB).
 */
import fs from 'node:fs';
import { PlantwireError, toError } from '../../model/errors';
import { describe } from '../../model/sample';
import { numberSetting } from '../../model/settings';
import { InfluxHistorian, type InfluxPrecision, type InfluxSettings } from './influx';
import { identifierProblem, PostgresHistorian, type PostgresSettings } from './postgres';
import type { HistorianBackend } from './types';

export interface HistorianDbConfig {
  kind?: string;
  // PostgreSQL
  host?: string;
  port?: number | string;
  database?: string;
  schema?: string;
  table?: string;
  ssl?: boolean | string;
  ca?: string;
  rejectUnauthorized?: boolean | string;
  skipDuplicates?: boolean | string;
  // InfluxDB
  url?: string;
  api?: string | number;
  db?: string;
  retentionPolicy?: string;
  org?: string;
  bucket?: string;
  measurement?: string;
  precision?: string;
  [key: string]: unknown;
}

export interface HistorianDbCredentials {
  user?: string;
  password?: string;
  token?: string;
}

export type HistorianDbSettings = { kind: 'postgres'; postgres: PostgresSettings } | { kind: 'influx'; influx: InfluxSettings };

/** A CA certificate given as PEM text or as a file path (read once, at deploy). */
export function pemOrFile(value: string, label: string): string {
  const v = value.trim();
  if (v.startsWith('-----BEGIN')) return v;
  try {
    return fs.readFileSync(v, 'utf8');
  } catch (err) {
    throw new PlantwireError('bad-config', `${label}: not PEM text and not a readable file (${toError(err).message}); paste the certificate (-----BEGIN CERTIFICATE-----…) or give its path`, `${label} unreadable`);
  }
}

const bool = (v: unknown, dflt: boolean): boolean => (v === undefined || v === '' ? dflt : v === true || v === 'true');
const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');

/** `readFiles: false` (bundle validation on another machine) keeps a CA path as it is instead of reading it. */
export function historianDbSettings(config: HistorianDbConfig, creds: HistorianDbCredentials = {}, opts: { readFiles?: boolean } = {}): HistorianDbSettings {
  const ca = (v: unknown): string => (opts.readFiles === false ? String(v) : pemOrFile(String(v), 'CA certificate'));
  const kind = config.kind || 'postgres';
  if (kind === 'postgres') {
    const host = str(config.host);
    if (!host) throw new PlantwireError('bad-config', 'host must not be empty: the PostgreSQL server, e.g. 127.0.0.1', 'host missing');
    const database = str(config.database);
    if (!database) throw new PlantwireError('bad-config', 'database must not be empty: the PostgreSQL database to write into', 'database missing');
    const schema = str(config.schema) || 'public';
    const table = str(config.table) || 'plantwire_samples';
    const p = identifierProblem(schema, 'schema') ?? identifierProblem(table, 'table');
    if (p) throw new PlantwireError('bad-config', p, p.startsWith('schema') ? 'bad schema name' : 'bad table name');
    const pgs: PostgresSettings = {
      host,
      port: numberSetting(config, 'port', { default: 5432, min: 1, max: 65535, integer: true, label: 'port' }),
      database,
      schema,
      table,
      ssl: bool(config.ssl, false),
      rejectUnauthorized: bool(config.rejectUnauthorized, true),
      skipDuplicates: bool(config.skipDuplicates, true),
    };
    if (str(config.ca)) pgs.ca = ca(config.ca);
    if (creds.user) pgs.user = creds.user;
    if (creds.password) pgs.password = creds.password;
    return { kind: 'postgres', postgres: pgs };
  }
  if (kind === 'influx') {
    const api = String(config.api ?? '2');
    if (api !== '1' && api !== '2') throw new PlantwireError('bad-config', `InfluxDB API must be 1 or 2, got ${describe(config.api)}`, 'bad InfluxDB API');
    const precision = (str(config.precision) || 'ms') as InfluxPrecision;
    if (!['ns', 'us', 'ms', 's'].includes(precision)) throw new PlantwireError('bad-config', `precision must be ns, us, ms or s, got ${describe(config.precision)}`, 'bad precision');
    const s: InfluxSettings = { url: str(config.url) || 'http://127.0.0.1:8086', api: api === '1' ? 1 : 2, measurement: str(config.measurement) || 'plantwire', precision, rejectUnauthorized: bool(config.rejectUnauthorized, true) };
    if (s.api === 1) {
      s.database = str(config.db);
      if (str(config.retentionPolicy)) s.retentionPolicy = str(config.retentionPolicy);
      if (creds.user) s.user = creds.user;
      if (creds.password) s.password = creds.password;
    } else {
      s.org = str(config.org);
      s.bucket = str(config.bucket);
      if (creds.token) s.token = creds.token;
    }
    if (str(config.ca)) s.ca = ca(config.ca);
    return { kind: 'influx', influx: s };
  }
  throw new PlantwireError('bad-config', `database kind must be postgres or influx, got ${describe(config.kind)}`, 'bad database kind');
}

/** The backend for validated settings (throws PlantwireError on a bad table name, URL, …). */
export function createHistorian(s: HistorianDbSettings): HistorianBackend {
  return s.kind === 'postgres' ? (new PostgresHistorian(s.postgres) as HistorianBackend) : (new InfluxHistorian(s.influx) as HistorianBackend);
}

/**
 * "Test connection": opens the store as a deploy would (PostgreSQL: connects
 * and makes sure the table exists; InfluxDB: a ping with the credentials) and
 * closes it again. Resolves with what was reached.
 */
export async function testHistorian(settings: HistorianDbSettings): Promise<string> {
  const backend = createHistorian(settings);
  try {
    await backend.open();
    const ts = (backend as { timescale?: string | null }).timescale;
    return `connected to ${backend.label}${ts ? ` (TimescaleDB ${ts})` : ''}${settings.kind === 'postgres' ? '; the table is ready' : ''}`;
  } finally {
    await backend.close().catch(() => undefined);
  }
}
