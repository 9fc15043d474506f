/**
 * Pure parts of the historian connectors: SQL identifiers and statements
 * (never a value in the SQL text), the TimescaleDB detection path with a fake
 * database, line-protocol escaping with tricky names (checked by a reference
 * parser written from the spec), precision, URLs, error classification and
 * the config node's settings.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encodeLines, escapeKey, escapeMeasurement, escapeStringField, influxError, influxTimestamp, toLine, writeUrl, type InfluxSettings } from '../../src/connectors/historian/influx';
import { encodePgRows, ensureSchema, identifierProblem, insertStatement, quoteIdent, schemaStatements, type Queryable } from '../../src/connectors/historian/postgres';
import { nodeRule } from '../../src/bundle/rules';
import { copyField, copyText } from '../../src/connectors/historian/pg-copy';
import { historianDbFields } from '../../src/connectors/historian/db-fields';
import { historianDbSettings } from '../../src/connectors/historian/settings';
import { fieldOk } from '../../src/model/fields';
import { HttpError, type HttpResponse } from '../../src/connectors/http/client';
import { makeSample } from '../../src/model/sample';
import { parseLine } from '../helpers/line-protocol';

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const EVIL = "x'); drop table t;--";

describe('PostgreSQL statements', () => {
  it('accepts plain SQL names and refuses anything else in schema and table', () => {
    for (const ok of ['samples', 'plantwire_samples', '_x', 'Tab$1', 'a'.repeat(63)]) expect(identifierProblem(ok, 'table')).toBeNull();
    for (const bad of ['', '1abc', 'a b', 'a;drop', 'a"b', "a'b", 'a.b', 'a'.repeat(64), EVIL, 'ümlaut']) expect(identifierProblem(bad, 'table'), bad).toMatch(/table/);
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });

  it('keeps values out of the SQL text: parameters only, whatever the tag or value', () => {
    const rows = encodePgRows([makeSample(EVIL, EVIL, { sourceTimestamp: T0, asset: EVIL, unit: EVIL })]);
    for (const max of [0, 100]) {
      const st = insertStatement('"public"."t"', rows, { skipDuplicates: true, valuesMaxRows: max });
      expect(st.text).not.toContain('drop');
      expect(st.text).not.toContain("'");
      expect(JSON.stringify(st.values)).toContain('drop table t');
      expect(st.name).toMatch(max === 0 ? /^pw_hu_/ : /^pw_hv1_/);
      expect(st.text).toMatch(/ON CONFLICT DO NOTHING$/);
    }
    // A VALUES statement per batch size (prepared once per connection and size); unnest: one for all sizes.
    const rows3 = encodePgRows([1, 2, 3].map((i) => makeSample('a', i, { sourceTimestamp: T0 + i })));
    const v3 = insertStatement('"public"."t"', rows3, { skipDuplicates: false, valuesMaxRows: 100 });
    expect(v3.values).toHaveLength(21);
    expect(v3.text).toContain('$21');
    const u3 = insertStatement('"public"."t"', rows3, { skipDuplicates: false, valuesMaxRows: 2 });
    expect(u3.values).toHaveLength(7);
    expect(u3.name).toBe(insertStatement('"public"."t"', rows, { skipDuplicates: false, valuesMaxRows: 0 }).name);
  });

  it('property: the SQL text never depends on the data (tags and values travel only as parameters)', () => {
    const fixed = insertStatement('"public"."t"', encodePgRows([makeSample('a', 1, { sourceTimestamp: T0 })]), { skipDuplicates: true, valuesMaxRows: 100 });
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !s.includes('\u0000')), fc.oneof(fc.string().filter((s) => !s.includes('\u0000')), fc.double(), fc.boolean()), (tag, value) => {
        const st = insertStatement('"public"."t"', encodePgRows([makeSample(tag, value, { sourceTimestamp: T0 })]), { skipDuplicates: true, valuesMaxRows: 100 });
        return st.text === fixed.text && st.name === fixed.name && st.values[1] === tag;
      }),
    );
  });

  it('maps values to (value, value_text): NaN/±Infinity as NULL + text, booleans as 1/0 + text', () => {
    const rows = encodePgRows([
      { ...makeSample('n', 0, { sourceTimestamp: T0 }), value: Number.NaN },
      { ...makeSample('i', 0, { sourceTimestamp: T0 }), value: -Infinity },
      makeSample('b', false, { sourceTimestamp: T0 }),
      makeSample('s', 'x', { sourceTimestamp: T0 }),
      makeSample('o', [1, 'a'], { sourceTimestamp: T0 }),
    ]);
    expect(rows.map((r) => [r[2], r[3]])).toEqual([[null, 'NaN'], [null, '-Infinity'], [0, 'false'], [null, 'x'], [null, '[1,"a"]']]);
    expect(rows[0]![0]).toBe('2026-01-05T08:00:00.000Z');
  });

  it('COPY text format: NULL as \\N, backslash, tab, newline and CR escaped; a literal \\N string stays distinguishable from NULL', () => {
    expect(copyField(null)).toBe('\\N');
    expect(copyField('\\N')).toBe('\\\\N');
    expect(copyField('a\tb\nc\rd\\e')).toBe('a\\tb\\nc\\rd\\\\e');
    expect(copyField(1.5)).toBe('1.5');
    expect(copyText([['2026-01-05T08:00:00.000Z', EVIL, null, 'x\ty', 'good', null, null]])).toBe(`2026-01-05T08:00:00.000Z\t${EVIL}\t\\N\tx\\ty\tgood\t\\N\t\\N\n`);
  });

  function fakeDb(timescale: boolean): Queryable & { log: string[] } {
    const log: string[] = [];
    return {
      log,
      async query(text: string, values?: unknown[]) {
        log.push(values ? `${text} ${JSON.stringify(values)}` : text);
        if (text.includes('pg_extension')) return { rows: timescale ? [{ extversion: '2.17.0' }] : [] };
        return { rows: [] };
      },
    };
  }

  it('TimescaleDB detection: create_hypertable after the table and before the indexes when the extension is there, not otherwise', async () => {
    const withTs = fakeDb(true);
    expect(await ensureSchema(withTs, { schema: 'plant', table: 'samples', skipDuplicates: true })).toBe('2.17.0');
    const at = (re: RegExp, log: string[]): number => log.findIndex((l) => re.test(l));
    expect(at(/^CREATE SCHEMA IF NOT EXISTS "plant"$/, withTs.log)).toBe(0);
    expect(at(/create_hypertable/, withTs.log)).toBeGreaterThan(at(/^CREATE TABLE IF NOT EXISTS "plant"\."samples"/, withTs.log));
    expect(at(/create_hypertable/, withTs.log)).toBeLessThan(at(/CREATE UNIQUE INDEX/, withTs.log));
    expect(withTs.log.find((l) => l.includes('create_hypertable'))).toContain('["\\"plant\\".\\"samples\\""]');
    const without = fakeDb(false);
    expect(await ensureSchema(without, { schema: 'public', table: 'samples', skipDuplicates: false })).toBeNull();
    expect(without.log.some((l) => l.includes('create_hypertable'))).toBe(false);
    expect(without.log.some((l) => l.includes('UNIQUE'))).toBe(false);
    expect(schemaStatements({ schema: 'public', table: 'samples', skipDuplicates: true }).every((s) => !/CREATE SCHEMA/.test(s))).toBe(true);
  });
});

describe('InfluxDB line protocol', () => {
  it('escapes measurement, tag keys/values and string fields per the spec', () => {
    expect(escapeMeasurement('my measurement,x=1')).toBe('my\\ measurement\\,x=1');
    expect(escapeKey('a b,c=d')).toBe('a\\ b\\,c\\=d');
    expect(escapeStringField('say "hi" \\ bye')).toBe('"say \\"hi\\" \\\\ bye"');
    expect(() => escapeKey('a\nb')).toThrow(/line break/);
    expect(() => escapeStringField('a\r\nb')).toThrow(/line break/);
    expect(() => escapeKey('ends\\')).toThrow(/ends with a backslash/);
  });

  it('tricky names survive a round trip through a reference parser', () => {
    const tricky = [EVIL, 'with space', 'comma,separated', 'a=b', 'quote"d', "single'q", 'back\\slash', 'Ünïcødé/温度', '#hash', 'trailing space ', ' leading'];
    for (const t of tricky) {
      const line = toLine(makeSample(t, t, { sourceTimestamp: T0, asset: t, unit: t }), t, 'ms');
      const p = parseLine(line);
      expect(p.measurement, line).toBe(t);
      expect(p.tags, line).toEqual({ asset: t, quality: 'good', tag: t, unit: t });
      expect(p.fields, line).toEqual({ value_text: t });
      expect(p.timestamp).toBe(String(T0));
    }
  });

  it('property: any tag and string value without line breaks round-trips', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }).filter((s) => !/[\r\n]/.test(s) && !s.endsWith('\\')), fc.string().filter((s) => !/[\r\n]/.test(s)), (tag, value) => {
        const p = parseLine(toLine(makeSample(tag, value, { sourceTimestamp: T0 }), 'm', 'ns'));
        return p.tags.tag === tag && p.fields.value_text === value;
      }),
    );
  });

  it('writes the field by type: float value, boolean, string, JSON, null, NaN as text; numbers never with the i suffix', () => {
    const lines = encodeLines(
      [makeSample('a', 3, { sourceTimestamp: T0 }), makeSample('b', 2.5, { sourceTimestamp: T0 }), makeSample('c', true, { sourceTimestamp: T0 }), makeSample('d', { x: 1 }, { sourceTimestamp: T0 }), makeSample('e', null, { sourceTimestamp: T0, quality: 'bad' }), { ...makeSample('f', 0, { sourceTimestamp: T0 }), value: Number.NaN }],
      'plantwire',
      'ms',
    );
    expect(lines).toEqual([
      `plantwire,quality=good,tag=a value=3 ${T0}`,
      `plantwire,quality=good,tag=b value=2.5 ${T0}`,
      `plantwire,quality=good,tag=c value_bool=true ${T0}`,
      `plantwire,quality=good,tag=d value_text="{\\"x\\":1}" ${T0}`,
      `plantwire,quality=bad,tag=e value_null=true ${T0}`,
      `plantwire,quality=good,tag=f value_text="NaN" ${T0}`,
    ]);
    expect(() => encodeLines([makeSample('ok', 1), makeSample('bad\nname', 1)], 'm', 'ms')).toThrow(/^payload\[1\]: tag name "bad\nname" contains a line break/);
  });

  it('timestamps in every precision are exact integers', () => {
    const iso = '2026-01-05T08:00:00.123Z';
    const ms = Date.parse(iso);
    expect(influxTimestamp(iso, 'ms')).toBe(String(ms));
    expect(influxTimestamp(iso, 'us')).toBe(`${ms}000`);
    expect(influxTimestamp(iso, 'ns')).toBe(`${ms}000000`);
    expect(influxTimestamp(iso, 's')).toBe(String(Math.floor(ms / 1000)));
  });

  it('builds v1 and v2 write URLs (a path prefix kept, parameters encoded)', () => {
    const v1: InfluxSettings = { url: 'http://h:8086/influx/', api: 1, database: 'plant db', retentionPolicy: 'one_week', measurement: 'm', precision: 'us' };
    expect(writeUrl(v1).href).toBe('http://h:8086/influx/write?db=plant+db&rp=one_week&precision=u');
    const v2: InfluxSettings = { url: 'https://h:8086', api: 2, org: 'acme & co', bucket: 'plant', measurement: 'm', precision: 'ns' };
    expect(writeUrl(v2).href).toBe('https://h:8086/api/v2/write?org=acme+%26+co&bucket=plant&precision=ns');
  });

  it('classifies refusals: 4xx (and partial write) permanent, 5xx/429/network transient', () => {
    const res = (status: number, body: string, headers: Record<string, string> = {}): HttpResponse => ({ status, headers, body: Buffer.from(body), url: 'http://h/api/v2/write', text: () => body, json: () => JSON.parse(body), header: (n) => headers[n.toLowerCase()] });
    const err = (status: number, body: string, headers: Record<string, string> = {}): HttpError => new HttpError('x', status, status >= 500 || status === 429, res(status, body, headers), headers['retry-after'] ? Number(headers['retry-after']) * 1000 : undefined);
    const partial = influxError(err(400, '{"code":"invalid","message":"partial write: field type conflict: input field \\"value\\" on measurement \\"m\\" is type string, already exists as type float dropped=1"}'), 'L');
    expect(partial.transient).toBe(false);
    expect(partial.code).toBe('influx-partial-write');
    expect(partial.message).toMatch(/partial write \(some points stored, these refused\).*field type conflict/);
    expect(influxError(err(401, '{"code":"unauthorized","message":"unauthorized access"}'), 'L')).toMatchObject({ transient: false, code: 'influx-auth' });
    expect(influxError(err(404, '{"error":"database not found: \\"x\\""}'), 'L').message).toMatch(/database not found/);
    const busy = influxError(err(503, 'overloaded', { 'retry-after': '7' }), 'L');
    expect(busy).toMatchObject({ transient: true, retryAfterMs: 7000 });
    expect(influxError(err(429, '{}'), 'L').transient).toBe(true);
    expect(influxError(new HttpError('POST http://h/api/v2/write: connection refused', null, true), 'L').transient).toBe(true);
  });
});

describe('plantwire-historian-db settings', () => {
  it('validates PostgreSQL and InfluxDB settings with messages that name the field', () => {
    const pgs = historianDbSettings({ kind: 'postgres', host: '127.0.0.1', port: '5432', database: 'test', schema: '', table: '' }, { user: 'u', password: 'p' });
    expect(pgs).toMatchObject({ kind: 'postgres', postgres: { host: '127.0.0.1', port: 5432, schema: 'public', table: 'plantwire_samples', skipDuplicates: true, user: 'u', password: 'p' } });
    expect(() => historianDbSettings({ kind: 'postgres', host: 'h', database: 'd', table: EVIL })).toThrow(/table .* is not a plain SQL name/);
    expect(() => historianDbSettings({ kind: 'postgres', host: 'h', database: 'd', port: 'x' })).toThrow(/port must be a number/);
    expect(() => historianDbSettings({ kind: 'postgres', host: '', database: 'd' })).toThrow(/host must not be empty/);
    const v2 = historianDbSettings({ kind: 'influx', url: 'http://h:8086', api: '2', org: 'o', bucket: 'b' }, { token: 'tok', user: 'ignored' });
    expect(v2).toMatchObject({ kind: 'influx', influx: { api: 2, org: 'o', bucket: 'b', token: 'tok', measurement: 'plantwire', precision: 'ms' } });
    expect(JSON.stringify(v2)).not.toContain('ignored');
    expect(() => historianDbSettings({ kind: 'influx', api: '3' })).toThrow(/API must be 1 or 2/);
    expect(() => historianDbSettings({ kind: 'mongo' })).toThrow(/postgres or influx/);
  });

  it('a node saved without a host or database is still refused at deploy (the dialog starts a new one at 127.0.0.1, database plantwire)', () => {
    const { fields } = historianDbFields;
    expect([fields.host.default, fields.database.default, fields.port.default, fields.table.default]).toEqual(['127.0.0.1', 'plantwire', 5432, 'plantwire_samples']);
    const err = (cfg: Record<string, unknown>): unknown => {
      try {
        historianDbSettings(cfg);
      } catch (e) {
        return e;
      }
      return null;
    };
    // Not saved at all (a flow written by hand, before the dialog defaults existed): the old deploy errors, not the dialog's values.
    expect(err({ kind: 'postgres', database: 'd' })).toMatchObject({ code: 'bad-config', message: 'host must not be empty: the PostgreSQL server, e.g. 127.0.0.1', status: 'host missing' });
    expect(err({ kind: 'postgres', host: 'h' })).toMatchObject({ code: 'bad-config', message: 'database must not be empty: the PostgreSQL database to write into', status: 'database missing' });
    expect(err({ host: 'h' }), 'no kind: PostgreSQL').toMatchObject({ status: 'database missing' });
    // The rest not saved (or empty) is what the dialog's defaults and placeholders say.
    expect(historianDbSettings({ host: ' h ', database: 'd' })).toEqual({ kind: 'postgres', postgres: { host: 'h', port: 5432, database: 'd', schema: 'public', table: 'plantwire_samples', ssl: false, rejectUnauthorized: true, skipDuplicates: true } });
    expect(historianDbSettings({ kind: 'influx', org: 'o', bucket: 'b' })).toEqual({ kind: 'influx', influx: { url: 'http://127.0.0.1:8086', api: 2, org: 'o', bucket: 'b', measurement: 'plantwire', precision: 'ms', rejectUnauthorized: true } });
    expect(historianDbSettings({ kind: 'influx', url: '', api: 1, db: 'plant', retentionPolicy: ' week ', measurement: '', precision: '' }, { user: 'u', password: 'p', token: 'ignored' })).toEqual({
      kind: 'influx',
      influx: { url: 'http://127.0.0.1:8086', api: 1, database: 'plant', retentionPolicy: 'week', user: 'u', password: 'p', measurement: 'plantwire', precision: 'ms', rejectUnauthorized: true },
    });
    // In the dialog the empty host and database are refused (a host also without spaces or slashes).
    for (const [key, v] of [['host', ''], ['host', 'a b'], ['database', ' ']] as const) expect(fieldOk(fields[key], v, { kind: 'postgres' }), `${key} = ${JSON.stringify(v)}`).toBe(false);
    expect(fieldOk(fields.host, '', { kind: 'influx' }), 'a PostgreSQL field does not count for InfluxDB').toBe(true);
  });

  it('the InfluxDB rules (and the kind): the same words in the dialog, at deploy and in the bundle check', () => {
    const { fields } = historianDbFields;
    const influx = (extra: Record<string, unknown>): Record<string, unknown> => ({ kind: 'influx', url: 'http://h:8086', api: '2', org: 'o', bucket: 'b', ...extra });
    const cases: Array<[Record<string, unknown>, keyof typeof fields, string]> = [
      [influx({ url: 'ftp://x' }), 'url', 'InfluxDB URL must start with http:// or https://, got "ftp://x"'],
      [influx({ url: 'http://a b' }), 'url', 'InfluxDB URL "http://a b" is not a URL: use e.g. http://127.0.0.1:8086'],
      [influx({ bucket: ' ' }), 'bucket', 'InfluxDB v2 needs a bucket'],
      [influx({ org: '' }), 'org', 'InfluxDB v2 needs an organisation (name or id)'],
      [influx({ api: '1', db: '' }), 'db', 'InfluxDB v1 needs a database'],
      [influx({ measurement: 'a\nb' }), 'measurement', 'measurement must not contain a line break'],
      [influx({ measurement: 'plant\\' }), 'measurement', 'measurement must not end with a backslash'],
      [influx({ precision: 'h' }), 'precision', 'precision must be ns, us, ms or s, got "h"'],
      [influx({ api: '3' }), 'api', 'InfluxDB API must be 1 or 2, got "3"'],
      [{ kind: 'mongo' }, 'kind', 'database kind must be postgres or influx, got "mongo"'],
    ];
    const ctx = { byId: new Map() };
    for (const [cfg, key, message] of cases) {
      expect(() => historianDbSettings(cfg), message).toThrow(message);
      expect(fieldOk(fields[key], cfg[key], cfg), `dialog: ${key} = ${JSON.stringify(cfg[key])}`).toBe(false);
      expect(nodeRule('plantwire-historian-db')!.check!({ id: 'd', type: 'plantwire-historian-db', ...cfg } as never, ctx)).toEqual([{ field: key, message }]);
    }
    // The v2 names do not count for v1, nor the InfluxDB ones for PostgreSQL.
    expect(() => historianDbSettings(influx({ api: '1', db: 'plant', org: '', bucket: '' }))).not.toThrow();
    expect(() => historianDbSettings({ kind: 'postgres', host: 'h', database: 'd', url: 'ftp://x', measurement: '' })).not.toThrow();
  });
});

describe('bundle rules for the historian nodes', () => {
  it('historian-out needs a historian-db; historian-db settings are checked without reading CA files', () => {
    const out = nodeRule('plantwire-historian-out')!;
    expect(out.refs?.db).toMatchObject({ types: ['plantwire-historian-db'], required: true });
    const ctx = { byId: new Map() };
    expect(out.check!({ id: 'o', type: 'plantwire-historian-out', batchSize: 0 } as never, ctx)).toEqual([{ field: 'batchSize', message: 'batch size must be at least 1, got 0' }]);
    const db = nodeRule('plantwire-historian-db')!;
    expect(db.check!({ id: 'd', type: 'plantwire-historian-db', kind: 'postgres', host: 'h', database: 'd', table: 'ok', ca: '/only/on/the/target/ca.pem' } as never, ctx)).toEqual([]);
    expect(db.check!({ id: 'd', type: 'plantwire-historian-db', kind: 'postgres', host: 'h', database: 'd', table: EVIL } as never, ctx)).toEqual([{ field: 'table', message: expect.stringMatching(/^table .* is not a plain SQL name/) }]);
    expect(db.check!({ id: 'd', type: 'plantwire-historian-db', kind: 'influx', url: 'ftp://x', api: '2', org: 'o', bucket: 'b' } as never, ctx)).toEqual([{ field: 'url', message: 'InfluxDB URL must start with http:// or https://, got "ftp://x"' }]);
    expect(db.check!({ id: 'd', type: 'plantwire-historian-db', kind: 'influx', url: 'http://x:8086', api: '2', org: 'o', bucket: '' } as never, ctx)).toEqual([{ field: 'bucket', message: 'InfluxDB v2 needs a bucket' }]);
    expect(db.check!({ id: 'd', type: 'plantwire-historian-db', kind: 'influx', url: 'http://x:8086', api: '2', org: 'o', bucket: 'b' } as never, ctx)).toEqual([]);
  });
});
