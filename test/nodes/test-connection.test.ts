/**
 * "Test connection" of every connection config node, through the Admin API
 * routes the dialogs call (POST /plantwire/test/<type>), against real
 * services on loopback: the answer is {ok, message} when the service answers
 * and {error} (HTTP 400) with the reason when it does not — the format of the
 * ERP and SMTP tests. A stored secret is reused only for the deployed address.
 */
import http from 'node:http';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startModbusSim, type ModbusSim } from '../../src/sim/modbus';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service } from '../helpers/services';

// The test files are CommonJS (no top-level await): checked once, tests skip with the reason.
const pgCheck = service('postgres');
const mqttCheck = service('mosquitto');

/** A port nothing listens on (bound, then closed). */
async function closedPort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const port = (srv.address() as net.AddressInfo).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

describe('Test connection routes', () => {
  let rt: TestRuntime;
  let modbus: ModbusSim;
  let plant: OpcUaPlant;
  let web: http.Server;
  let webPort: number;
  let tmp: string;
  let dead: number;

  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-testconn-'));
    modbus = await startModbusSim({ port: 0 });
    plant = await startOpcUaPlant({ port: 0, lines: 1, pkiDir: path.join(tmp, 'pki') });
    web = http.createServer((_req, res) => res.writeHead(204).end());
    await new Promise<void>((r) => web.listen(0, '127.0.0.1', r));
    webPort = (web.address() as net.AddressInfo).port;
    dead = await closedPort();
    rt = await startTestRuntime();
    await rt.deploy([
      { id: 'tab', type: 'tab', label: 't' },
      { id: 'db1', type: 'plantwire-historian-db', kind: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', schema: 'public', table: 'plantwire_testconn', version: 1, credentials: { password: 'stored-secret' } },
    ]);
  }, 120_000);

  afterAll(async () => {
    await rt?.stop();
    await modbus?.stop();
    await plant?.stop();
    await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  }, 30_000);

  const test = (type: string, config: Record<string, unknown>, credentials: Record<string, unknown> = {}, id?: string) =>
    rt.admin<{ ok?: boolean; message?: string; error?: string }>('POST', `/plantwire/test/${type}`, { id, config, credentials });

  it('historian-db: PostgreSQL answers; a closed port says why', async (ctx) => {
    const pg = await pgCheck;
    if (!pg.available) return ctx.skip(pg.reason);
    const ok = await test('plantwire-historian-db', { kind: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', table: 'plantwire_testconn' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.message).toMatch(/^connected to PostgreSQL 127\.0\.0\.1:5432\/test plantwire_testconn/);
    const bad = await test('plantwire-historian-db', { kind: 'postgres', host: '127.0.0.1', port: dead, database: 'test' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/ECONNREFUSED|refused|connect/i);
  });

  it('historian-db: the stored password is reused only for the deployed address', async () => {
    const other = await test('plantwire-historian-db', { kind: 'postgres', host: '127.0.0.2', port: 5432, database: 'test' }, { password: '__PWRD__' }, 'db1');
    expect(other.status).toBe(400);
    expect(other.body.error).toMatch(/only reused for .*postgres:\/\/127\.0\.0\.1:5432.*enter it again/);
    // The same address may use it (the server here trusts every login, so the test passes either way: the point is no refusal).
    const same = await test('plantwire-historian-db', { kind: 'postgres', host: '127.0.0.1', port: 5432, database: 'test', table: 'plantwire_testconn' }, { password: '__PWRD__' }, 'db1');
    expect(same.body.error ?? '').not.toMatch(/only reused/);
  });

  it('mqtt-broker: Mosquitto answers; a closed port says why', async (ctx) => {
    const mq = await mqttCheck;
    if (!mq.available) return ctx.skip(mq.reason);
    const ok = await test('plantwire-mqtt-broker', { url: 'mqtt://127.0.0.1:1883', protocolVersion: '5' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.message).toMatch(/^connected to mqtt:\/\/127\.0\.0\.1:1883/);
    const bad = await test('plantwire-mqtt-broker', { url: `mqtt://127.0.0.1:${dead}` });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/ECONNREFUSED|refused/i);
  });

  it('modbus-device: the simulator answers; a closed port says why', async () => {
    const ok = await test('plantwire-modbus-device', { host: '127.0.0.1', port: modbus.port, unitId: 1, timeout: 1000 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.message).toMatch(new RegExp(`^connected to 127\\.0\\.0\\.1:${modbus.port}; unit 1 answered`));
    const bad = await test('plantwire-modbus-device', { host: '127.0.0.1', port: dead, unitId: 1 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/ECONNREFUSED|refused/i);
  });

  it('opcua-endpoint: the plant simulator answers with its Objects folder', async () => {
    const ok = await test('plantwire-opcua-endpoint', { url: plant.endpointUrl, securityMode: 'None', securityPolicy: 'None', auth: 'anonymous' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.message).toMatch(/^connected to opc\.tcp:\/\/.*security None\); Objects holds [1-9]\d* node/);
    const bad = await test('plantwire-opcua-endpoint', { url: `opc.tcp://127.0.0.1:${dead}`, securityMode: 'None', securityPolicy: 'None', auth: 'anonymous', requestTimeoutMs: 3000 });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBeTruthy();
  }, 60_000);

  it('cloud-connection (webhook): the endpoint answers; a closed port says why', async () => {
    const ok = await test('plantwire-cloud-connection', { target: 'webhook', url: `http://127.0.0.1:${webPort}/in`, method: 'POST', webhookFormat: 'json' });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.message).toMatch(/answers \(HTTP 204/);
    const bad = await test('plantwire-cloud-connection', { target: 'webhook', url: `http://127.0.0.1:${dead}/in`, method: 'POST', webhookFormat: 'json' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatch(/cannot be reached/);
  });

  it('a reader (no write permission) cannot test', async () => {
    const token = await rt.token(READER);
    const res = await fetch(`${rt.url}/plantwire/test/plantwire-modbus-device`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ config: { host: '127.0.0.1', port: modbus.port } }),
    });
    expect([401, 403]).toContain(res.status);
  });
});
