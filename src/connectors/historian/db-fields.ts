/**
 * The settings of plantwire-historian-db as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`historianDbSettings` in ./settings.ts parses by it) and the help's
 * settings table come from here. A field counts only for the backend that
 * uses it (`when`). The rules the backends apply to their own settings
 * (identifiers, the InfluxDB URL and names) live here too, so the dialog,
 * the deploy and the backends refuse with the same words. Pure: bundled into
 * the dialog (no Node.js module, no pg, no HTTP client). The user, password
 * and token are Node-RED credentials, not fields.
 */
import { PlantwireError } from '../../model/errors';
import { defineFields } from '../../model/fields';
import { describe } from '../../model/sample';

export const DEFAULT_INFLUX_URL = 'http://127.0.0.1:8086';
export const DEFAULT_TABLE = 'plantwire_samples';
export const DEFAULT_MEASUREMENT = 'plantwire';

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/** Checks a schema or table name from the configuration: letters, digits, `_` and `$`, starting with a letter or `_`, at most 63 characters. */
export function identifierProblem(name: string, what: string): string | null {
  if (typeof name !== 'string' || name === '') return `${what} must not be empty`;
  if (!IDENT.test(name)) return `${what} ${describe(name)} is not a plain SQL name: use letters, digits, _ and $ (starting with a letter or _), at most 63 characters`;
  return null;
}

/** What an InfluxDB setup lacks (the backend refuses the same). */
export const INFLUX_NEEDS = {
  db: 'InfluxDB v1 needs a database',
  bucket: 'InfluxDB v2 needs a bucket',
  org: 'InfluxDB v2 needs an organisation (name or id)',
} as const;

/** The InfluxDB base URL's problem, or null: an http:// or https:// URL. */
export function influxUrlProblem(url: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return `InfluxDB URL ${describe(url)} is not a URL: use e.g. ${DEFAULT_INFLUX_URL}`;
  }
  return u.protocol === 'http:' || u.protocol === 'https:' ? null : `InfluxDB URL must start with http:// or https://, got ${describe(url)}`;
}

/** The measurement's problem, or null: line protocol cannot carry a line break, and reads a backslash at the end as an escape. */
export function measurementProblem(m: string): string | null {
  if (!m) return 'measurement must not be empty';
  if (/[\r\n]/.test(m)) return 'measurement must not contain a line break';
  if (m.endsWith('\\')) return 'measurement must not end with a backslash';
  return null;
}

/** A problem of the InfluxDB settings as the error the config node and the backend throw. */
export function influxSettingsError(problem: string): PlantwireError {
  return new PlantwireError('bad-config', problem, problem.length > 48 ? 'InfluxDB settings incomplete' : problem);
}

const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
const postgres = (c: Record<string, unknown>): boolean => (c.kind || 'postgres') === 'postgres';
const influx = (c: Record<string, unknown>): boolean => c.kind === 'influx';
const apiOf = (c: Record<string, unknown>): string => String(c.api || '2');

/** A text that must not be empty (the backend's own words when it is). */
function needed(error: () => Error) {
  return (v: unknown): string => {
    const t = text(v);
    if (!t) throw error();
    return t;
  };
}

/** A schema or table name; empty (or not saved) is the default. */
function identifier(what: 'schema' | 'table', dflt: string, status: string) {
  return (v: unknown): string => {
    const name = text(v) || dflt;
    const p = identifierProblem(name, what);
    if (p) throw new PlantwireError('bad-config', p, status);
    return name;
  };
}

/** An InfluxDB setting checked by the backend's rule; empty (or not saved) is the default. */
function influxText(dflt: string, problem: (v: string) => string | null) {
  return (v: unknown): string => {
    const t = text(v) || dflt;
    const p = problem(t);
    if (p) throw influxSettingsError(p);
    return t;
  };
}

/** An InfluxDB name the chosen API needs. */
const influxNeeds = (key: keyof typeof INFLUX_NEEDS): ((v: unknown) => string) => needed(() => influxSettingsError(INFLUX_NEEDS[key]));

export const PRECISIONS = ['ms', 'us', 'ns', 's'] as const;

export const historianDbFields = defineFields('plantwire-historian-db', 1, {
  kind: { kind: 'enum', default: 'postgres', options: ['postgres', 'influx'], required: true, label: 'database kind', explain: 'must be postgres or influx', status: 'bad database kind' },
  // PostgreSQL / TimescaleDB. A new node starts at 127.0.0.1, database plantwire; one saved without
  // a host or database (a flow written by hand) is refused at deploy, as before, not sent to the dialog's.
  // The dialog also refuses spaces and slashes in the host; at deploy any non-empty host goes to pg.
  host: { kind: 'string', default: '127.0.0.1', pattern: /^[^\s/]+$/, label: 'host', message: 'host', when: postgres, parse: needed(() => new PlantwireError('bad-config', 'host must not be empty: the PostgreSQL server, e.g. 127.0.0.1', 'host missing')) },
  port: { kind: 'number', default: 5432, min: 1, max: 65535, integer: true, label: 'port', when: postgres },
  database: { kind: 'string', default: 'plantwire', label: 'database', message: 'database', when: postgres, parse: needed(() => new PlantwireError('bad-config', 'database must not be empty: the PostgreSQL database to write into', 'database missing')) },
  // Empty: public, plantwire_samples (the dialog's placeholders).
  schema: { kind: 'string', default: 'public', label: 'schema', message: 'identifier', when: postgres, parse: identifier('schema', 'public', 'bad schema name') },
  table: { kind: 'string', default: DEFAULT_TABLE, label: 'table', message: 'identifier', when: postgres, parse: identifier('table', DEFAULT_TABLE, 'bad table name') },
  skipDuplicates: { kind: 'boolean', default: true, label: 'skip duplicates', when: postgres },
  // InfluxDB. Empty URL or measurement: the default (the dialog's placeholders).
  url: { kind: 'string', default: DEFAULT_INFLUX_URL, label: 'InfluxDB URL', message: 'url', when: influx, parse: influxText(DEFAULT_INFLUX_URL, influxUrlProblem) },
  api: { kind: 'enum', default: '2', options: ['2', '1'], label: 'InfluxDB API', explain: 'must be 1 or 2', status: 'bad InfluxDB API' },
  db: { kind: 'string', default: '', label: 'InfluxDB database', message: 'db', when: (c) => influx(c) && apiOf(c) === '1', parse: influxNeeds('db') },
  retentionPolicy: { kind: 'string', default: '', label: 'retention policy', when: (c) => influx(c) && apiOf(c) === '1' },
  org: { kind: 'string', default: '', label: 'organisation', message: 'org', when: (c) => influx(c) && apiOf(c) === '2', parse: influxNeeds('org') },
  bucket: { kind: 'string', default: '', label: 'bucket', message: 'bucket', when: (c) => influx(c) && apiOf(c) === '2', parse: influxNeeds('bucket') },
  measurement: { kind: 'string', default: DEFAULT_MEASUREMENT, label: 'measurement', message: 'measurement', when: influx, parse: influxText(DEFAULT_MEASUREMENT, measurementProblem) },
  precision: { kind: 'enum', default: 'ms', options: PRECISIONS, label: 'precision', explain: 'must be ns, us, ms or s', status: 'bad precision' },
  // TLS: PostgreSQL with "use SSL/TLS", InfluxDB with an https:// URL. The CA (PEM text or a file path) is read at deploy.
  ssl: { kind: 'boolean', default: false, label: 'use SSL/TLS', when: postgres },
  ca: { kind: 'string', default: '', label: 'CA certificate' },
  rejectUnauthorized: { kind: 'boolean', default: true, label: "verify the server's certificate" },
}, { user: 'text', password: 'password', token: 'password' });
