/**
 * A "modified nodes" deploy keeps each connection (issue 15): the user node
 * is restarted (its name changed), Node-RED calls its close handler with
 * removed = false, and the config node's connection stays — the same OPC UA
 * session (sessions created, counted on the simulator), no new MQTT CONNECT
 * (counted on an embedded aedes broker), the same Modbus TCP connection
 * (accepted connections, counted on the simulator) and the same PostgreSQL
 * pool (no pooled connection closed, backend pids still there, through a
 * counting TCP proxy), the same ERP connection (no second connection check —
 * login, CSRF token, metadata — at a REST service). Removing the last user
 * closes the connection. Real Node-RED runtime, real servers on loopback.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModbusSim, type ModbusSim } from '../../src/sim/modbus';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { erpConnection, erpOut, startRestService } from '../helpers/erp';
import { brokerNode, capture, historianDb, historianOut, mqttIn, TAB } from '../helpers/flows';
import { endpoint, opcuaIn } from '../helpers/opcua';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service, type ServiceCheck } from '../helpers/services';

let rt: TestRuntime;
let tmp: string;

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** A "modified nodes" deploy (the editor's default): only changed nodes restart; removed ones get removed = true. */
async function deployModified(flows: unknown[]): Promise<void> {
  const before = rt.logs.length;
  const res = await rt.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'nodes', 'Node-RED-API-Version': 'v1' });
  if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: HTTP ${res.status} ${JSON.stringify(res.body)}`);
  await until('"Started modified nodes"', () => rt.logs.slice(before).some((l) => /Started modified nodes/.test(l.msg)));
}

const renamed = (n: Record<string, unknown>, name: string): Record<string, unknown> => ({ ...n, name });

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-partial-'));
  rt = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await rt?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

describe('a "modified nodes" deploy keeps the connection; removing the last user closes it', () => {
  it('OPC UA in: same session on the server', async () => {
    const plant: OpcUaPlant = await startOpcUaPlant({ port: 0, lines: 1, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
    try {
      const user = opcuaIn('ua-in', 'ua-ep', [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fills' }], { publishingInterval: 200 }, [['ua-cap']]);
      const base = [TAB, endpoint('ua-ep', plant.endpointUrl), capture('ua-cap')];
      await rt.deploy([...base, user]);
      await rt.waitFor('ua-cap', 2, 20_000);
      expect(plant.sessionsCreated()).toBe(1);

      await deployModified([...base, renamed(user, 'restarted')]);
      const seen = rt.captured('ua-cap').length;
      await rt.waitFor('ua-cap', seen + 2, 20_000);
      expect(plant.sessionsCreated(), 'no new session').toBe(1);
      expect(plant.sessionCount()).toBe(1);

      await deployModified(base);
      await until('the session closed', () => plant.sessionCount() === 0);
      expect(plant.sessionsCreated()).toBe(1);
    } finally {
      await plant.stop();
    }
  }, 90_000);

  it('MQTT in: no new CONNECT at the broker', async () => {
    const mod = (await import('aedes')) as unknown as { Aedes: { createBroker(): Promise<any> } };
    const aedes = await mod.Aedes.createBroker();
    let connects = 0;
    let connected = 0;
    aedes.on('client', () => {
      connects += 1;
      connected += 1;
    });
    aedes.on('clientDisconnect', () => (connected -= 1));
    const server = net.createServer((s) => aedes.handle(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const url = `mqtt://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const publish = (n: number): Promise<void> => new Promise((r) => aedes.publish({ cmd: 'publish', topic: 'pd/line1/temp', payload: Buffer.from(JSON.stringify({ value: n })), qos: 0, retain: false, dup: false }, () => r()));
    try {
      const user = mqttIn('mq-in', 'mq-b', ['mq-cap'], { topics: 'pd/#', qos: '0' });
      const base = [TAB, brokerNode('mq-b', url), capture('mq-cap')];
      await rt.deploy([...base, user]);
      await until('subscribed', async () => {
        await publish(1);
        return rt.captured('mq-cap').length > 0;
      });
      expect(connects).toBe(1);

      await deployModified([...base, renamed(user, 'restarted')]);
      const seen = rt.captured('mq-cap').length;
      await until('a message to the restarted node', async () => {
        await publish(2);
        return rt.captured('mq-cap').length > seen;
      });
      expect(connects, 'no new CONNECT').toBe(1);
      expect(connected).toBe(1);

      await deployModified(base);
      await until('the client disconnected', () => connected === 0);
      expect(connects).toBe(1);
    } finally {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    }
  }, 60_000);

  it('Modbus read: same TCP connection to the device', async () => {
    const sim: ModbusSim = await startModbusSim({ port: 0, updateMs: 100 });
    try {
      const device = { id: 'mb-dev', type: 'plantwire-modbus-device', name: 'sim', version: 1, host: '127.0.0.1', port: sim.port, unitId: 1, timeout: 500, resetAfter: 3, reconnectMax: 1000, maxQueue: 100, maxRegisters: 125, maxBits: 2000, maxGap: 0 };
      const user = {
        id: 'mb-read',
        type: 'plantwire-modbus-read',
        z: 'tab1',
        name: '',
        version: 1,
        device: 'mb-dev',
        mapSource: 'table',
        registers: [{ tag: 'Line1/Energy/Power', address: '9', function: 'input', dataType: 'uint16', scale: '0.1', unit: 'kW' }],
        csv: '',
        interval: 150,
        output: 'each',
        changesOnly: false,
        asset: '',
        x: 200,
        y: 100,
        wires: [['mb-cap']],
      };
      const base = [TAB, device, capture('mb-cap')];
      await rt.deploy([...base, user]);
      await rt.waitFor('mb-cap', 2);
      expect(sim.accepted).toBe(1);

      await deployModified([...base, renamed(user, 'restarted')]);
      const seen = rt.captured('mb-cap').length;
      await rt.waitFor('mb-cap', seen + 2);
      expect(sim.accepted, 'no new TCP connection').toBe(1);
      expect(sim.connections).toBe(1);

      await deployModified(base);
      await until('the connection closed', () => sim.connections === 0);
      expect(sim.accepted).toBe(1);
    } finally {
      await sim.stop();
    }
  }, 60_000);

  it('ERP out: same connection, no second connection check', async () => {
    const svc = await startRestService();
    try {
      const root = new URL(svc.url).pathname;
      // The connection check (driver.test(): login, CSRF token, metadata on the other kinds) is a GET of the service root.
      const checks = (): number => svc.requests.filter((r) => r.method === 'GET' && r.path === root).length;
      const docs = (): number => svc.requests.filter((r) => r.method === 'POST').length;
      const conn = erpConnection('erp-c', svc.url);
      const user = erpOut('erp-out', 'erp-c', [[], []], { mapping: '{"material": "FG-1", "quantity": 1}' });
      const feed = { id: 'erp-go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 40, wires: [['erp-out']] };
      await rt.deploy([TAB, conn, feed, user]);
      expect((await rt.admin('POST', '/inject/erp-go')).status).toBe(200);
      await until('a document delivered', () => docs() === 1);
      expect(checks()).toBe(1);

      await deployModified([TAB, conn, feed, renamed(user, 'restarted')]);
      expect((await rt.admin('POST', '/inject/erp-go')).status).toBe(200);
      await until('the restarted node delivers', () => docs() === 2);
      expect(checks(), 'no new connection check after a "modified nodes" deploy').toBe(1);
      console.log(`partial deploy, ERP: ${checks()} connection check(s) for ${docs()} documents across the restart`);

      // Removed, then added again: the connection was closed, the new user opens (and checks) it again.
      await deployModified([TAB, conn, feed]);
      await deployModified([TAB, conn, feed, user]);
      await until('a second connection check', () => checks() === 2);
    } finally {
      await svc.stop();
    }
  }, 60_000);

  let pgService: ServiceCheck | undefined;
  it('historian-out (PostgreSQL): same pool, same backend pids', async (ctx) => {
    pgService ??= await service('postgres');
    if (!pgService.available) return ctx.skip(pgService.reason);
    // A TCP proxy in front of PostgreSQL: counts the pool's connections and knows their ports (→ backend pids).
    const upstreamPorts = new Set<number>();
    let accepted = 0;
    let open = 0;
    let closed = 0;
    const proxy = net.createServer((client) => {
      accepted += 1;
      open += 1;
      const upstream = net.connect(pgService!.port, pgService!.host);
      upstream.on('connect', () => upstreamPorts.add(upstream.localPort!));
      client.pipe(upstream).pipe(client);
      let ended = false;
      const end = (): void => {
        if (!ended) {
          open -= 1;
          closed += 1;
        }
        ended = true;
        client.destroy();
        upstream.destroy();
      };
      client.on('error', end).on('close', end);
      upstream.on('error', end).on('close', end);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', () => r()));
    const admin = new pg.Client({ host: pgService.host, port: pgService.port, database: 'test', user: 'postgres' });
    await admin.connect();
    const table = `pw_partial_${process.pid}_${Date.now().toString(36)}`;
    const pids = async (): Promise<number[]> =>
      (await admin.query('SELECT pid FROM pg_stat_activity WHERE client_port = ANY($1::int[]) ORDER BY pid', [[...upstreamPorts]])).rows.map((r: { pid: number }) => r.pid);
    const rows = async (): Promise<number> => (await admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n;
    try {
      const dbNode = historianDb('hi-db', { table, port: (proxy.address() as net.AddressInfo).port });
      // Credentials go with the first deploy only: the editor sends them again only when they changed (and then the config node restarts).
      const db = { ...dbNode, credentials: { user: 'postgres' } };
      const user = historianOut('hi-out', 'hi-db', { batchSize: 10 });
      const feed = { id: 'hi-go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }, { p: 'topic', vt: 'str', v: 'Line1/Temp' }], payload: '21.5', payloadType: 'num', once: false, repeat: '', x: 50, y: 40, wires: [['hi-out']] };
      const base = [TAB, db, feed];
      await rt.deploy([...base, user]);
      await until('a row stored', async () => {
        await rt.admin('POST', '/inject/hi-go');
        return (await admin.query('SELECT to_regclass($1) AS r', [`public."${table}"`])).rows[0].r !== null && (await rows()) > 0;
      });
      const before = await pids();
      expect(before.length).toBeGreaterThan(0);
      const closedBefore = closed;

      await deployModified([TAB, dbNode, feed, renamed(user, 'restarted')]);
      const stored = await rows();
      expect((await rt.admin('POST', '/inject/hi-go')).status).toBe(200);
      await until('the restarted node stores a row', async () => (await rows()) > stored);
      // The pool may grow under concurrent writes (max 4), but none of its connections was closed: the same pool.
      expect(closed, 'no connection to PostgreSQL closed').toBe(closedBefore);
      expect(await pids(), 'the backends from before are all still there').toEqual(expect.arrayContaining(before));
      console.log(`partial deploy, historian: ${before.length} backend(s) before, ${(await pids()).length} after, ${accepted} connection(s) accepted in all, ${closed} closed`);

      await deployModified([TAB, dbNode, feed]);
      await until('the pool closed', () => open === 0);
      await until('the backends gone', async () => (await pids()).length === 0);
    } finally {
      await admin.query(`DROP TABLE IF EXISTS "${table}"`).catch(() => undefined);
      await admin.end();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  }, 60_000);
});
