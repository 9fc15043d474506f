/**
 * The `plantwire-historian-db` configuration, validated without Node-RED and
 * turned into a backend (PostgreSQL/TimescaleDB or InfluxDB).
 */
import fs from 'node:fs';
import { PlantwireError, toError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { historianDbFields } from './db-fields';
import { InfluxHistorian, type InfluxPrecision, type InfluxSettings } from './influx';
import { PostgresHistorian, type PostgresSettings } from './postgres';
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

/**
 * `readFiles: false` (bundle validation on another machine) keeps a CA path as it is instead of reading it.
 * The fields are read by the node's field spec (./db-fields.ts, the dialog's rules); the credentials and
 * the CA file are read here.
 */
export function historianDbSettings(config: HistorianDbConfig, creds: HistorianDbCredentials = {}, opts: { readFiles?: boolean } = {}): HistorianDbSettings {
  const f = parseFields(historianDbFields, config);
  const caText = typeof config.ca === 'string' ? config.ca : '';
  const ca = caText.trim() === '' ? undefined : opts.readFiles === false ? caText : pemOrFile(caText, 'CA certificate');
  if (f.kind === 'postgres') {
    const pgs: PostgresSettings = {
      host: f.host,
      port: f.port,
      database: f.database,
      schema: f.schema,
      table: f.table,
      ssl: f.ssl,
      rejectUnauthorized: f.rejectUnauthorized,
      skipDuplicates: f.skipDuplicates,
    };
    if (ca !== undefined) pgs.ca = ca;
    if (creds.user) pgs.user = creds.user;
    if (creds.password) pgs.password = creds.password;
    return { kind: 'postgres', postgres: pgs };
  }
  const s: InfluxSettings = { url: f.url, api: f.api === '1' ? 1 : 2, measurement: f.measurement, precision: f.precision as InfluxPrecision, rejectUnauthorized: f.rejectUnauthorized };
  if (s.api === 1) {
    s.database = f.db;
    if (f.retentionPolicy.trim()) s.retentionPolicy = f.retentionPolicy.trim();
    if (creds.user) s.user = creds.user;
    if (creds.password) s.password = creds.password;
  } else {
    s.org = f.org;
    s.bucket = f.bucket;
    if (creds.token) s.token = creds.token;
  }
  if (ca !== undefined) s.ca = ca;
  return { kind: 'influx', influx: s };
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
