/**
 * plantwire-historian-out with plantwire-historian-db in a real Node-RED
 * runtime, writing into the real PostgreSQL on :5432 (database test):
 * 100,000 samples with no loss and the right types, bad input refused to a
 * Catch node, a tag that looks like SQL injection stored as text, and the
 * buffer holding messages while PostgreSQL is unreachable (a TCP proxy the
 * test closes and reopens) and delivering them when it is back.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../../src/host/index';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, historianDb, historianOut, statusOf, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service, type ServiceCheck } from '../helpers/services';
import { until } from '../faults/harness';

// Checked once per file (the test files are CommonJS: no top-level await); tests skip with the reason when it is down.
const pgCheck = service('postgres');
let pgService: ServiceCheck = { name: 'postgres', available: false, host: '127.0.0.1', port: 5432, reason: 'not checked yet' };
const RUN = crypto.randomBytes(4).toString('hex');
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

/** A TCP proxy to PostgreSQL that the test can take down (refusing connections, cutting open ones) and bring back on the same port. */
async function pgProxy(): Promise<{ port: number; down(): Promise<void>; up(): Promise<void>; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(5432, '127.0.0.1');
        sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  const down = async (): Promise<void> => {
    const s = server;
    server = null;
    for (const sock of sockets) sock.destroy();
    sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  };
  await listen();
  return { get port() { return port; }, down, up: listen, close: down };
}

describe('plantwire-historian-out → PostgreSQL (real runtime, real database)', () => {
  let rt: TestRuntime;
  let admin: pg.Client;
  const tables: string[] = [];
  const table = (name: string): string => {
    const t = `pw_${name}_${RUN}`;
    tables.push(t);
    return t;
  };
  const count = async (t: string): Promise<number> => (await admin.query(`SELECT count(*)::int AS n FROM "${t}"`)).rows[0].n;
  const exists = async (t: string): Promise<boolean> => (await admin.query('SELECT to_regclass($1) AS r', [`public."${t}"`])).rows[0].r !== null;

  beforeAll(async () => {
    pgService = await pgCheck;
    if (!pgService.available) return;
    rt = await startTestRuntime();
    admin = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
    await admin.connect();
  });
  afterAll(async () => {
    await rt?.stop();
    for (const t of tables) await admin?.query(`DROP TABLE IF EXISTS "${t}"`);
    await admin?.end();
  });

  it('stores 100,000 samples with no loss and the right types', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const t = table('bulk');
    // 1,000 messages of 100 samples each; tag names with quotes and spaces; values i + 0.25.
    const func = `
for (let m = 0; m < 1000; m++) {
  const batch = [];
  for (let k = 0; k < 100; k++) {
    const i = m * 100 + k;
    batch.push({ tag: "Line'1/\\"Filler\\" " + (i % 10), value: i + 0.25, quality: i % 3 === 0 ? 'uncertain' : 'good', sourceTimestamp: new Date(${T0} + i).toISOString(), unit: '°C', asset: 'acme/hh' });
  }
  node.send({ payload: batch });
}
return null;`;
    await rt.deploy([
      TAB,
      { ...historianDb('db1', { table: t }), credentials: { user: 'postgres' } },
      historianOut('out', 'db1', { batchSize: 50 }),
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 40, wires: [['gen']] },
      { id: 'gen', type: 'function', z: 'tab1', func, outputs: 1, x: 150, y: 40, wires: [['out']] },
      catcher('c', ['out'], 'errors'),
      capture('errors'),
      statusOf('st', ['out'], 'status'),
      capture('status'),
    ]);
    await until(async () => exists(t), 'table created', 20_000);
    expect((await rt.admin('POST', '/inject/go')).status).toBe(200);
    await until(async () => (await count(t)) >= 100_000, '100,000 rows', 60_000);
    await until(async () => (await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/out')).body.depth === 0, 'buffer drained');
    const agg = await admin.query(`SELECT count(*)::int AS n, count(DISTINCT time)::int AS times, sum(value)::float8 AS s, min(time) AS lo, max(time) AS hi, count(*) FILTER (WHERE quality = 'uncertain')::int AS unc FROM "${t}"`);
    expect(agg.rows[0]).toMatchObject({ n: 100_000, times: 100_000, s: 4_999_950_000 + 25_000, unc: 33_334 });
    expect(agg.rows[0].lo.getTime()).toBe(T0);
    expect(agg.rows[0].hi.getTime()).toBe(T0 + 99_999);
    const some = await admin.query(`SELECT tag, value, pg_typeof(value)::text AS vt, value_text, quality, unit, asset, time FROM "${t}" WHERE time IN ($1, $2, $3) ORDER BY time`, [new Date(T0), new Date(T0 + 12_345), new Date(T0 + 99_999)]);
    expect(some.rows.map((r) => ({ ...r, time: r.time.getTime() }))).toEqual([
      { tag: 'Line\'1/"Filler" 0', value: 0.25, vt: 'double precision', value_text: null, quality: 'uncertain', unit: '°C', asset: 'acme/hh', time: T0 },
      { tag: 'Line\'1/"Filler" 5', value: 12_345.25, vt: 'double precision', value_text: null, quality: 'uncertain', unit: '°C', asset: 'acme/hh', time: T0 + 12_345 },
      { tag: 'Line\'1/"Filler" 9', value: 99_999.25, vt: 'double precision', value_text: null, quality: 'uncertain', unit: '°C', asset: 'acme/hh', time: T0 + 99_999 },
    ]);
    expect(rt.captured('errors')).toEqual([]);
    await until(() => rt.captured('status').some((c) => /samples stored$/.test(c.msg.status?.text ?? '') && c.msg.status?.fill === 'green'), 'status "… samples stored"');
    expect(rt.logs.filter((l) => l.level === 'error')).toEqual([]);
  }, 120_000);

  it("refuses malformed input to a Catch node with a clear message; stores a tag named x'); drop table t;-- as text", async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const t = table('t');
    const send = (payload: unknown, topic?: string): Promise<unknown> => rt.admin('POST', '/inject/in', { __user_inject_props__: [{ p: 'payload', v: JSON.stringify(payload), vt: 'json' }, ...(topic ? [{ p: 'topic', v: topic, vt: 'str' }] : [])] });
    await rt.deploy([
      TAB,
      { ...historianDb('db1', { table: t }), credentials: { user: 'postgres' } },
      historianOut('out', 'db1', { bufferMode: 'off' }),
      { id: 'in', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 40, wires: [['out']] },
      catcher('c', ['out'], 'errors'),
      capture('errors'),
      statusOf('st', ['out'], 'status'),
      capture('status'),
    ]);
    await until(async () => exists(t), 'table created', 20_000);
    await send({ tag: 5, value: 1 });
    await rt.waitFor('errors', 1);
    expect(rt.captured('errors')[0]!.msg.error.message).toMatch(/payload\.tag must be a non-empty string, got 5/);
    await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red' && /tag/.test(c.msg.status?.text ?? '')), 'red status naming the tag');
    await send(42);
    await rt.waitFor('errors', 2);
    expect(rt.captured('errors')[1]!.msg.error.message).toMatch(/no tag name is known: set msg.topic/);
    await send('a\u0000b', 'Line1/Text');
    await rt.waitFor('errors', 3);
    expect(rt.captured('errors')[2]!.msg.error.message).toMatch(/NUL character/);
    expect(await count(t)).toBe(0);
    await send(7.5, "x'); drop table t;--");
    await send([{ tag: 'ok', value: true, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00Z' }, { tag: 'ok2', value: 'text with \'quotes\'', quality: 'bad', sourceTimestamp: '2026-01-05T08:00:00Z' }]);
    await until(async () => (await count(t)) === 3, 'three rows');
    const rows = await admin.query(`SELECT tag, value, value_text, quality FROM "${t}" ORDER BY tag`);
    expect(rows.rows).toEqual([
      { tag: 'ok', value: 1, value_text: 'true', quality: 'good' },
      { tag: 'ok2', value: null, value_text: "text with 'quotes'", quality: 'bad' },
      { tag: "x'); drop table t;--", value: 7.5, value_text: null, quality: 'good' },
    ]);
    expect(await exists(t)).toBe(true);
    expect(rt.captured('errors')).toHaveLength(3);
  }, 60_000);

  it('a connection with an unsafe table name is refused at deploy: the sink says so and fails each message to Catch', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    await rt.deploy([
      TAB,
      { ...historianDb('db1', { table: "t; drop table x" }), credentials: { user: 'postgres' } },
      historianOut('out', 'db1', { bufferMode: 'off' }),
      { id: 'in', type: 'inject', z: 'tab1', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 'a', payload: '1', payloadType: 'num', once: false, repeat: '', x: 50, y: 40, wires: [['out']] },
      catcher('c', null, 'errors'),
      capture('errors'),
    ]);
    // The sink's Catch gets why it is not running, naming the config node's problem; the config node (global, no flow of its own) logs it too.
    await rt.waitFor('errors', 1);
    expect(rt.captured('errors')[0]!.msg.error.message).toMatch(/database: the historian database \(db1\) is misconfigured: .*table "t; drop table x" is not a plain SQL name/);
    await until(() => rt.logs.some((l) => l.level === 'error' && /table "t; drop table x" is not a plain SQL name/.test(l.msg)), 'the config node logs the bad table name');
    await rt.admin('POST', '/inject/in');
    await rt.waitFor('errors', 2);
    expect(rt.captured('errors')[1]!.msg.error.message).toMatch(/this node is not running because of a configuration error/);
  }, 30_000);

  it('a batch PostgreSQL refuses for good is dead-lettered to Catch with its rows, not retried forever', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const t = table('wrong');
    // A table someone created by hand with another column type: every row is refused (SQLSTATE 22P02).
    await admin.query(`CREATE TABLE "${t}" (time timestamptz NOT NULL, tag text NOT NULL, value double precision, value_text text, quality smallint, unit text, asset text)`);
    await rt.deploy([
      TAB,
      { ...historianDb('db1', { table: t, skipDuplicates: false }), credentials: { user: 'postgres' } },
      historianOut('out', 'db1'),
      { id: 'in', type: 'inject', z: 'tab1', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 'Line1/Speed', payload: '3', payloadType: 'num', once: false, repeat: '', x: 50, y: 40, wires: [['out']] },
      catcher('c', ['out'], 'errors'),
      capture('errors'),
    ]);
    await rt.admin('POST', '/inject/in');
    const [dead] = await rt.waitFor('errors', 1);
    expect(dead!.msg.error.message).toMatch(/1 buffered message\(s\) refused permanently by the target and removed from the buffer: invalid input syntax for type smallint/);
    expect(dead!.msg.payload).toEqual([[[expect.any(String), 'Line1/Speed', 3, null, 'good', null, null]]]);
    await until(async () => (await rt.admin<{ depth: number; deadLettered?: number }>('GET', '/plantwire/buffer/out')).body.depth === 0, 'removed from the buffer');
  }, 30_000);

  it('buffers while PostgreSQL is unreachable, says so, and delivers everything once it is back', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const t = table('outage');
    const proxy = await pgProxy();
    try {
      await rt.deploy([
        TAB,
        { ...historianDb('db1', { table: t, port: proxy.port }), credentials: { user: 'postgres' } },
        historianOut('out', 'db1', { bufferMode: 'disk' }),
        { id: 'in', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 40, wires: [['gen']] },
        { id: 'gen', type: 'function', z: 'tab1', func: `const from = context.get('n') || 0; for (let i = from; i < from + 50; i++) node.send({ topic: 'Line1/Counter', payload: { tag: 'Line1/Counter', value: i, quality: 'good', sourceTimestamp: new Date(${T0} + i).toISOString() } }); context.set('n', from + 50); return null;`, outputs: 1, x: 150, y: 40, wires: [['out']] },
        catcher('c', ['out'], 'errors'),
        capture('errors'),
        statusOf('st', ['out'], 'status'),
        capture('status'),
      ]);
      await until(async () => exists(t), 'table created through the proxy', 20_000);
      await rt.admin('POST', '/inject/in');
      await until(async () => (await count(t)) === 50, 'first 50 stored');
      await proxy.down();
      rt.clear();
      await rt.admin('POST', '/inject/in');
      await until(() => rt.captured('status').some((c) => /^buffering \d+ — /.test(c.msg.status?.text ?? '') && c.msg.status?.fill === 'yellow'), 'status "buffering … — reason"', 30_000);
      await until(async () => {
        const m = (await rt.admin<{ depth: number; state: string }>('GET', '/plantwire/buffer/out')).body;
        return m.depth === 50 && m.state === 'buffering';
      }, 'the 50 messages held in the buffer');
      expect(await count(t)).toBe(50);
      await proxy.up();
      await rt.admin('POST', '/inject/in');
      await until(async () => (await count(t)) === 150, 'all 150 stored after the outage', 40_000);
      await until(async () => (await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/out')).body.depth === 0, 'buffer drained');
      const r = await admin.query(`SELECT count(DISTINCT value)::int AS d, min(value) AS lo, max(value) AS hi FROM "${t}"`);
      expect(r.rows[0]).toEqual({ d: 150, lo: 0, hi: 149 });
      expect(rt.captured('errors')).toEqual([]);
    } finally {
      await rt.deploy([TAB]);
      await proxy.close();
    }
  }, 90_000);

  it('the example flows deploy and run without an error or warning in the log (PostgreSQL stores, InfluxDB absent: status only)', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    const example = (f: string): Array<Record<string, unknown>> => (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', f), 'utf8')) as Array<Record<string, unknown>>).filter((n) => n.type !== 'tab').map((n) => (n.x !== undefined || n.z !== undefined ? { ...n, z: 'tab1' } : n));
    const flows = [TAB, ...example('historian-postgres.json'), ...example('historian-influx.json'), statusOf('st', ['pw-ex-hpg-out', 'pw-ex-hix-out'], 'status'), capture('status')];
    const logsBefore = rt.logs.length;
    await rt.deploy(flows);
    await until(() => rt.captured('status').some((c) => c.msg.status?.source?.id === 'pw-ex-hpg-out' && /samples stored$/.test(c.msg.status?.text ?? '')), 'the PostgreSQL example stores samples', 30_000);
    await until(() => rt.captured('status').some((c) => c.msg.status?.source?.id === 'pw-ex-hix-out' && c.msg.status?.fill === 'red'), 'the InfluxDB example shows that InfluxDB is not reachable', 30_000);
    const bad = rt.logs.slice(logsBefore).filter((l) => l.level === 'error' || l.level === 'warn');
    expect(bad).toEqual([]);
    await rt.deploy([TAB]);
  }, 60_000);
});
