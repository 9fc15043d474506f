/**
 * The PostgreSQL historian connector against the real PostgreSQL on :5432
 * (database `test`): table creation, value types, NaN/±Infinity, quotes,
 * unicode, a 10,000-character tag name, a tag that looks like SQL injection,
 * duplicates skipped, both insert paths (VALUES and unnest), and the error
 * classification (unreachable = transient, refused data = permanent).
 * Each test run uses its own schema, dropped afterwards.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import tls from 'node:tls';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresHistorian, type PostgresSettings } from '../../src/connectors/historian/postgres';
import { historianDbSettings } from '../../src/connectors/historian/settings';
import { HistorianError } from '../../src/connectors/historian/types';
import { makeSample, type TagSample } from '../../src/model/sample';
import { makeCerts, type Certs } from '../helpers/mqtt';
import { service, type ServiceCheck } from '../helpers/services';

// Checked once per file (the test files are CommonJS: no top-level await); tests skip with the reason when it is down.
const pgCheck = service('postgres');
let pgService: ServiceCheck = { name: 'postgres', available: false, host: '127.0.0.1', port: 5432, reason: 'not checked yet' };
const SCHEMA = `pw_hist_${crypto.randomBytes(4).toString('hex')}`;
const base = (table: string, extra: Partial<PostgresSettings> = {}): PostgresSettings => ({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres', schema: SCHEMA, table, ssl: false, skipDuplicates: true, ...extra });
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const EVIL_TAG = "x'); drop table t;--";

describe('PostgreSQL historian connector (real PostgreSQL on :5432, database test)', () => {
  let admin: pg.Client;
  const opened: PostgresHistorian[] = [];
  const open = (table: string, extra: Partial<PostgresSettings> = {}): PostgresHistorian => {
    const h = new PostgresHistorian(base(table, extra));
    opened.push(h);
    return h;
  };

  beforeAll(async () => {
    pgService = await pgCheck;
    if (!pgService.available) return;
    admin = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
    await admin.connect();
  });
  afterAll(async () => {
    for (const h of opened) await h.close();
    await admin?.query(`DROP SCHEMA IF EXISTS "${SCHEMA}" CASCADE`);
    await admin?.end();
  });

  it('creates the narrow table with its indexes, and no hypertable without TimescaleDB', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const h = open('layout');
    await h.open();
    const cols = await admin.query("SELECT column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'layout' ORDER BY ordinal_position", [SCHEMA]);
    expect(cols.rows.map((r) => `${r.column_name} ${r.data_type}`)).toEqual(['time timestamp with time zone', 'tag text', 'value double precision', 'value_text text', 'quality text', 'unit text', 'asset text']);
    const idx = await admin.query('SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 ORDER BY indexname', [SCHEMA, 'layout']);
    expect(idx.rows.map((r) => r.indexname)).toEqual(['layout_tag_hash', 'layout_tag_time_key', 'layout_time']);
    expect(idx.rows.find((r) => r.indexname === 'layout_tag_time_key')!.indexdef).toMatch(/UNIQUE INDEX .* \(md5\(tag\), "?time"?\)/);
    const ext = await admin.query("SELECT 1 FROM pg_extension WHERE extname = 'timescaledb'");
    // Detection path: this machine has no TimescaleDB, so the connector reports none (with it, see the unit test of ensureSchema).
    expect(h.timescale).toEqual(ext.rowCount ? expect.any(String) : null);
    // Opening again (a second config node, a redeploy) is harmless.
    const again = open('layout');
    await again.open();
    // The last user leaving releases the pool's connections; the next write opens a new pool.
    await again.write(again.encode([makeSample('a', 1, { sourceTimestamp: T0 })]));
    const pid = (await again.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number;
    const alive = async (): Promise<boolean> => (await admin.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [pid])).rowCount === 1;
    expect(await alive()).toBe(true);
    await again.release();
    await expect.poll(alive, { timeout: 5000 }).toBe(false);
    await again.write(again.encode([makeSample('a', 2, { sourceTimestamp: T0 + 1 })]));
    expect((await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".layout`)).rows[0].n).toBe(2);
  });

  it('stores numbers, booleans, strings, objects, null, NaN and ±Infinity with the documented types; quotes, unicode and a 10,000-character tag name as text', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const h = open('types');
    const longTag = crypto.randomBytes(5000).toString('hex');
    expect(longTag.length).toBe(10_000);
    const samples: TagSample[] = [
      makeSample('num', 71.5, { sourceTimestamp: T0, unit: '°C', asset: 'acme/hh/line1' }),
      makeSample('int', -3, { sourceTimestamp: T0 }),
      makeSample('bool', true, { sourceTimestamp: T0 }),
      makeSample('str', 'it\'s "quoted" \\ and ; -- not SQL', { sourceTimestamp: T0 }),
      makeSample('obj', { a: [1, 2], b: 'x' }, { sourceTimestamp: T0 }),
      makeSample('null', null, { sourceTimestamp: T0, quality: 'bad' }),
      { ...makeSample('nan', 0, { sourceTimestamp: T0 }), value: Number.NaN },
      { ...makeSample('pinf', 0, { sourceTimestamp: T0 }), value: Number.POSITIVE_INFINITY },
      { ...makeSample('ninf', 0, { sourceTimestamp: T0 }), value: Number.NEGATIVE_INFINITY },
      makeSample('Ünïcødé/温度/🌡', 1, { sourceTimestamp: T0 }),
      makeSample(longTag, 2, { sourceTimestamp: T0 }),
    ];
    await h.write(h.encode(samples));
    const r = await admin.query(`SELECT tag, value, value_text, quality, unit, asset, time FROM "${SCHEMA}".types`);
    const by = new Map(r.rows.map((row) => [row.tag as string, row]));
    expect(by.size).toBe(samples.length);
    expect(by.get('num')).toMatchObject({ value: 71.5, value_text: null, quality: 'good', unit: '°C', asset: 'acme/hh/line1' });
    expect(by.get('num')!.time.getTime()).toBe(T0);
    expect(by.get('int')).toMatchObject({ value: -3, value_text: null });
    expect(by.get('bool')).toMatchObject({ value: 1, value_text: 'true' });
    expect(by.get('str')).toMatchObject({ value: null, value_text: 'it\'s "quoted" \\ and ; -- not SQL' });
    expect(JSON.parse(by.get('obj')!.value_text)).toEqual({ a: [1, 2], b: 'x' });
    expect(by.get('null')).toMatchObject({ value: null, value_text: null, quality: 'bad' });
    expect(by.get('nan')).toMatchObject({ value: null, value_text: 'NaN' });
    expect(by.get('pinf')).toMatchObject({ value: null, value_text: 'Infinity' });
    expect(by.get('ninf')).toMatchObject({ value: null, value_text: '-Infinity' });
    expect(by.get('Ünïcødé/温度/🌡')).toMatchObject({ value: 1 });
    expect(by.get(longTag)).toMatchObject({ value: 2 });
    // The column types as PostgreSQL reports them per value.
    const types = await admin.query(`SELECT pg_typeof(value)::text AS v, pg_typeof(time)::text AS t, pg_typeof(tag)::text AS g FROM "${SCHEMA}".types LIMIT 1`);
    expect(types.rows[0]).toEqual({ v: 'double precision', t: 'timestamp with time zone', g: 'text' });
    // avg() is not poisoned by NaN: NaN is NULL in value.
    const avg = await admin.query(`SELECT avg(value)::float8 AS a FROM "${SCHEMA}".types WHERE tag IN ('nan', 'num')`);
    expect(avg.rows[0].a).toBe(71.5);
  });

  it("a tag named x'); drop table t;-- is stored as text and the table named t still exists", async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const h = open('t');
    const evil = "x'); drop table t;--";
    const evil2 = 'x"); drop table "t";--';
    await h.write(h.encode([makeSample(evil, 1, { sourceTimestamp: T0 }), makeSample(evil2, "'); DELETE FROM t; --", { sourceTimestamp: T0, asset: "a'b" })]));
    // Also through the unnest path (large batches).
    const h2 = open('t', { valuesMaxRows: 0 });
    await h2.write(h2.encode([makeSample(evil, 2, { sourceTimestamp: T0 + 1 })]));
    const exists = await admin.query('SELECT to_regclass($1) AS r', [`"${SCHEMA}".t`]);
    expect(exists.rows[0].r).not.toBeNull();
    const rows = await admin.query(`SELECT tag, value, value_text, asset FROM "${SCHEMA}".t ORDER BY time, tag`);
    expect(rows.rows).toEqual([
      { tag: evil2, value: null, value_text: "'); DELETE FROM t; --", asset: "a'b" },
      { tag: evil, value: 1, value_text: null, asset: null },
      { tag: evil, value: 2, value_text: null, asset: null },
    ]);
  });

  it('both insert paths (multi-row VALUES and unnest arrays) store the same rows; a batch written twice is stored once', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const mk = (n: number, tag: string): TagSample[] => Array.from({ length: n }, (_, i) => makeSample(`${tag}/${i % 7}`, i * 0.5, { sourceTimestamp: T0 + i }));
    const values = open('paths_values', { valuesMaxRows: 1000 });
    const unnest = open('paths_unnest', { valuesMaxRows: 0 });
    const batch = mk(500, 'L1');
    await values.write(values.encode(batch));
    await unnest.write(unnest.encode(batch));
    const a = await admin.query(`SELECT tag, value, time FROM "${SCHEMA}".paths_values ORDER BY time, tag`);
    const b = await admin.query(`SELECT tag, value, time FROM "${SCHEMA}".paths_unnest ORDER BY time, tag`);
    expect(a.rowCount).toBe(500);
    expect(b.rows).toEqual(a.rows);
    // At-least-once delivery: the same batch again (lost acknowledgement) adds nothing.
    await values.write(values.encode(batch));
    await unnest.write(unnest.encode(batch.slice(0, 3)));
    expect((await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".paths_values`)).rows[0].n).toBe(500);
    expect((await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".paths_unnest`)).rows[0].n).toBe(500);
    // Without skipDuplicates the second write is stored again.
    const dup = open('paths_dup', { skipDuplicates: false });
    await dup.write(dup.encode(batch.slice(0, 10)));
    await dup.write(dup.encode(batch.slice(0, 10)));
    expect((await admin.query(`SELECT count(*)::int AS n FROM "${SCHEMA}".paths_dup`)).rows[0].n).toBe(20);
  });

  it('COPY FROM STDIN (no duplicate skipping, large batches) stores exactly what the VALUES path stores, tabs, newlines and backslashes included', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const tricky = ['tab\there', 'new\nline', 'cr\rreturn', 'back\\slash\\N', '\\N', "quote'd \"x\"", 'Ünïcødé 温度 🌡', EVIL_TAG];
    const batch: TagSample[] = [];
    for (let i = 0; i < 300; i++) batch.push(makeSample(tricky[i % tricky.length]! + '/' + i, i % 5 === 0 ? tricky[i % tricky.length]! : i % 7 === 0 ? i % 2 === 0 : i * 0.1, { sourceTimestamp: T0 + i, unit: i % 3 ? 'm\ts' : undefined }));
    batch.push({ ...makeSample('nan', 0, { sourceTimestamp: T0 }), value: Number.NaN }, makeSample('null', null, { sourceTimestamp: T0 }), makeSample('big', 1.7976931348623157e308, { sourceTimestamp: T0 }), makeSample('tiny', 5e-324, { sourceTimestamp: T0 }));
    const copy = open('copy_path', { skipDuplicates: false, copyMinRows: 100 });
    const values = open('copy_ref', { skipDuplicates: false, valuesMaxRows: 10_000, copyMinRows: 0 });
    await copy.write(copy.encode(batch));
    await values.write(values.encode(batch));
    const q = (t: string): Promise<pg.QueryResult> => admin.query(`SELECT time, tag, value, value_text, quality, unit, asset FROM "${SCHEMA}".${t} ORDER BY tag, time`);
    const [a, b] = [await q('copy_path'), await q('copy_ref')];
    expect(a.rowCount).toBe(batch.length);
    expect(a.rows).toEqual(b.rows);
    expect(a.rows.find((r) => r.tag === 'tab\there/0')).toMatchObject({ value_text: 'tab\there' });
    // A refused value through COPY is permanent too.
    await admin.query(`CREATE TABLE "${SCHEMA}".copy_wrong (time timestamptz NOT NULL, tag text NOT NULL, value double precision, value_text text, quality smallint, unit text, asset text)`);
    const wrong = open('copy_wrong', { skipDuplicates: false, copyMinRows: 1 });
    const err = await wrong.write(wrong.encode([makeSample('a', 1)])).then(() => null, (e: unknown) => e as HistorianError);
    expect(err).toMatchObject({ transient: false });
    expect(err!.message).toMatch(/invalid input syntax for type smallint/);
    // The pooled connection is usable afterwards (the failed COPY did not leave it in copy mode).
    expect((await wrong.query('SELECT 1 AS one')).rows[0].one).toBe(1);
  });

  it('refuses a NUL character before anything is written, with a clear message', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const h = open('nul');
    expect(() => h.encode([makeSample('a\u0000b', 1)])).toThrow(/NUL character .* PostgreSQL text cannot store/);
    expect(() => h.encode([makeSample('ok', 'x\u0000')])).toThrow(/value of tag "ok" contains the NUL character/);
  });

  it('an unreachable server is a transient error (buffer and retry), a refused value a permanent one (dead letter)', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer();
      s.listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const down = open('unreachable', { port: closed });
    const err = await down.write(down.encode([makeSample('a', 1)])).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(HistorianError);
    expect((err as HistorianError).transient).toBe(true);
    expect((err as HistorianError).message).toMatch(/connection refused: is PostgreSQL running/);
    // A table someone created with another column type: PostgreSQL refuses the value (SQLSTATE 22P02) — retrying will not help.
    await admin.query(`CREATE SCHEMA IF NOT EXISTS "${SCHEMA}"`);
    await admin.query(`CREATE TABLE "${SCHEMA}".wrong (time timestamptz NOT NULL, tag text NOT NULL, value double precision, value_text text, quality smallint, unit text, asset text)`);
    const wrong = open('wrong');
    const refused = await wrong.write(wrong.encode([makeSample('a', 1)])).then(() => null, (e: unknown) => e);
    expect((refused as HistorianError).transient).toBe(false);
    expect((refused as HistorianError).message).toMatch(/invalid input syntax for type smallint/);
  });
});

/**
 * SSL: the PostgreSQL on :5432 has no SSL, so the test puts a TLS terminator in
 * front of it that answers PostgreSQL's SSLRequest with 'S' and forwards the
 * decrypted stream (certificates from the openssl CLI, test/helpers/mqtt.ts).
 */
describe('PostgreSQL historian connector over SSL', () => {
  let certs: Certs;
  let server: net.Server;
  let port = 0;
  const opened: PostgresHistorian[] = [];
  beforeAll(async () => {
    pgService = await pgCheck;
    if (!pgService.available) return;
    certs = makeCerts();
    const key = fs.readFileSync(certs.serverKey);
    const cert = fs.readFileSync(certs.serverCert);
    server = net.createServer((raw) => {
      raw.once('data', (first: Buffer) => {
        // SSLRequest: length 8, code 80877103.
        if (first.length !== 8 || first.readInt32BE(4) !== 80877103) return void raw.destroy();
        raw.write('S');
        const secure = new tls.TLSSocket(raw, { isServer: true, key, cert });
        const upstream = net.connect(5432, '127.0.0.1');
        secure.pipe(upstream).pipe(secure);
        const end = (): void => {
          secure.destroy();
          upstream.destroy();
        };
        secure.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      raw.on('error', () => undefined);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    for (const h of opened) await h.close();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
  });

  it('connects with the CA (as a file path or PEM text), refuses an unverifiable server without it, and says why', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const withCa = new PostgresHistorian(historianDbSettingsPg({ port, ssl: true, ca: certs.ca }));
    opened.push(withCa);
    await withCa.write(withCa.encode([makeSample('ssl/a', 1, { sourceTimestamp: T0 })]));
    const ssl = await withCa.query('SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    // The hop from the terminator to PostgreSQL is plain; what matters is that the client spoke TLS and verified the server.
    expect(ssl.rows[0].ssl).toBe(false);
    const pem = new PostgresHistorian(historianDbSettingsPg({ port, ssl: true, ca: fs.readFileSync(certs.ca, 'utf8') }));
    opened.push(pem);
    await pem.write(pem.encode([makeSample('ssl/b', 2, { sourceTimestamp: T0 })]));
    const noCa = new PostgresHistorian(historianDbSettingsPg({ port, ssl: true }));
    opened.push(noCa);
    const err = await noCa.write(noCa.encode([makeSample('ssl/c', 3)])).then(() => null, (e: unknown) => e as HistorianError);
    expect(err?.message).toMatch(/cannot verify the server's certificate: set the CA certificate/);
    const plainServer = new PostgresHistorian(historianDbSettingsPg({ port: 5432, ssl: true }));
    opened.push(plainServer);
    const err2 = await plainServer.write(plainServer.encode([makeSample('ssl/d', 4)])).then(() => null, (e: unknown) => e as HistorianError);
    expect(err2?.message).toMatch(/the server does not accept SSL: untick "Use SSL\/TLS"/);
  });

  function historianDbSettingsPg(extra: Record<string, unknown>): PostgresSettings {
    const s = historianDbSettings({ kind: 'postgres', host: '127.0.0.1', database: 'test', schema: SCHEMA, table: 'ssl', ...extra }, { user: 'postgres' });
    if (s.kind !== 'postgres') throw new Error('expected postgres');
    return s.postgres;
  }
});
