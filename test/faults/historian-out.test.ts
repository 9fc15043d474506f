/**
 * Fault injection for plantwire-historian-out with the durable buffer, into
 * the real PostgreSQL on :5432 (database test) through a TCP proxy the test
 * cuts (connection refused, open connections reset) and restores: every
 * accepted message stored, none twice, order per tag kept, the drop counter
 * exact at the size limit.
 *
 * The receiver is the table itself: rows in physical (ctid) order, which for
 * an append-only table with no deletes is the insertion order. The sink is
 * keyed — a unique (md5(tag), time) index with ON CONFLICT DO NOTHING — so a
 * batch written again after a lost acknowledgement cannot duplicate a sample.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, historianDb, historianOut, statusOf, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service, type ServiceCheck } from '../helpers/services';
import { check, dropOldestScenario, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received, type SinkAdapter } from './harness';

// Checked once per file (the test files are CommonJS: no top-level await); tests skip with the reason when it is down.
const pgCheck = service('postgres');
let pgService: ServiceCheck = { name: 'postgres', available: false, host: '127.0.0.1', port: 5432, reason: 'not checked yet' };
const RUN = crypto.randomBytes(4).toString('hex');

/** A TCP proxy to PostgreSQL on a fixed port: down() refuses and resets, up() listens again. */
class Proxy {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;
  up(): Promise<void> {
    return new Promise((resolve) => {
      const server = net.createServer((client) => {
        const upstream = net.connect(5432, '127.0.0.1');
        this.sockets.add(client).add(upstream);
        client.pipe(upstream).pipe(client);
        const end = (): void => {
          client.destroy();
          upstream.destroy();
        };
        client.on('error', end).on('close', end);
        upstream.on('error', end).on('close', end);
      });
      this.server = server;
      server.listen(this.port, '127.0.0.1', () => {
        this.port = (server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }
  async down(): Promise<void> {
    const s = this.server;
    this.server = null;
    for (const sock of this.sockets) sock.destroy();
    this.sockets.clear();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

describe('historian-out durable buffer under faults (PostgreSQL behind a proxy)', () => {
  let rt: TestRuntime;
  let admin: pg.Client;
  const proxy = new Proxy();
  let table = '';
  let got: Received[] = [];
  const tables: string[] = [];

  const refresh = async (): Promise<number> => {
    const exists = (await admin.query('SELECT to_regclass($1) AS r', [`public."${table}"`])).rows[0].r;
    if (!exists) return 0;
    const r = await admin.query(`SELECT tag, value, time FROM "${table}" ORDER BY ctid`);
    got = r.rows.map((row) => ({ tag: row.tag as string, seq: row.value as number, sourceTimestamp: (row.time as Date).toISOString() }));
    return new Set(got.map((g) => g.seq)).size;
  };

  const adapter: SinkAdapter = {
    kind: 'historian-out',
    nodes: (buffer) => [{ ...historianDb('hdb', { table, port: proxy.port }), credentials: { user: 'postgres' } }, historianOut('sink', 'hdb', { batchSize: 20, ...buffer })],
    down: () => proxy.down(),
    up: () => proxy.up(),
    received: () => got,
    reset: (name) => {
      table = `pw_faults_${name.replace(/\W/g, '_')}_${RUN}`;
      tables.push(table);
      got = [];
    },
  };

  beforeAll(async () => {
    pgService = await pgCheck;
    if (!pgService.available) return;
    await proxy.up();
    rt = await startTestRuntime();
    admin = new pg.Client({ host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' });
    await admin.connect();
  });
  afterAll(async () => {
    await rt?.stop();
    await proxy.down();
    for (const t of tables) await admin?.query(`DROP TABLE IF EXISTS "${t}"`);
    await admin?.end();
  });


  it('1. PostgreSQL unreachable for a while, then back: every accepted message stored once, in order per tag', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    adapter.reset('unreachable');
    await rt.deploy([TAB, ...adapter.nodes({ bufferMode: 'disk', bufferReplayRate: 2000 }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')]);
    await rt.admin('POST', '/inject/go', generate(0, 100));
    await until(async () => (await refresh()) >= 100, 'live messages stored', 30_000);
    await adapter.down();
    await rt.admin('POST', '/inject/go', generate(100, 300));
    await rt.waitFor('accepted', 400, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d/.test(c.msg.status?.text ?? '')), 'status says buffering');
    expect((await sinkMetrics(rt)).state).toBe('buffering');
    expect(await refresh()).toBeLessThan(400);
    await adapter.up();
    await rt.admin('POST', '/inject/go', generate(400, 100));
    await until(async () => (await refresh()) >= 500, 'all stored after recovery', 60_000);
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    expect(rt.captured('refused')).toEqual([]);
    const report = check({ scenario: 'PostgreSQL unreachable then back', kind: 'historian-out', sent: range(0, 500), accepted: seqs(rt.captured('accepted')), received: adapter.received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 500) });
    expect(report.duplicated).toBe(0);
  }, 120_000);

  it('3a. disk queue at its size limit, drop-oldest: the newest entries stored, the drop counter exact', async (ctx) => {
    if (!pgService.available) return ctx.skip(pgService.reason);
    adapter.reset('size_drop_oldest');
    const report = await dropOldestScenario(rt, adapter, 'historian-out', refresh);
    expect(report.duplicated).toBe(0);
  }, 120_000);
});
