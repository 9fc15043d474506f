/**
 * Issue 16: a listener at another origin receives no stored secret from any
 * admin route (ERP "Test connection", OPC UA browse/trust with the dialog's
 * settings), while the deployed origin still gets the stored secret; and a
 * failed OPC UA browse ends its connection when the route answers.
 */
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { erpConnection } from '../helpers/erp';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const SECRET = 'stored-s3cret-do-not-leak';
const TAB = { id: 'tab1', type: 'tab', label: 'secrets' };

/** A TCP listener that records every byte it receives and every connection. */
async function listener(): Promise<{ port: number; bytes: () => string; connections: () => number; close: () => Promise<void> }> {
  let data = '';
  let conns = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    conns += 1;
    sockets.add(s);
    s.on('data', (d) => {
      data += d.toString('latin1');
      // Answer HTTP requests so that clients do not wait.
      if (/^(GET|POST|HEAD) /.test(data)) s.end('HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
    });
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    bytes: () => data,
    connections: () => conns,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

let rt: TestRuntime;
let home: http.Server;
let homeUrl = '';
let homeAuth: string[] = [];

beforeAll(async () => {
  rt = await startTestRuntime();
  home = http.createServer((req, res) => {
    homeAuth.push(String(req.headers.authorization ?? ''));
    res.end('{}');
  });
  await new Promise<void>((r) => home.listen(0, '127.0.0.1', r));
  homeUrl = `http://127.0.0.1:${(home.address() as AddressInfo).port}/api/`;
});

afterAll(async () => {
  await rt?.stop();
  home?.close();
});

const basic = Buffer.from(`plant:${SECRET}`).toString('base64');

describe('admin routes reuse stored secrets only for the deployed origin', () => {
  it('ERP test: the stored password goes to the deployed origin, never to another one', async () => {
    await rt.deploy([TAB, { ...erpConnection('erp1', homeUrl, { auth: 'basic' }), credentials: { user: 'plant', password: SECRET } }]);
    const other = await listener();
    try {
      homeAuth = [];
      const same = await rt.admin<{ ok: boolean }>('POST', '/plantwire/erp/test', { id: 'erp1', config: { kind: 'rest', url: homeUrl.replace('/api/', '/other/path'), auth: 'basic' }, credentials: { user: 'plant', password: '__PWRD__' } });
      expect(same.status).toBe(200);
      expect(homeAuth).toContain(`Basic ${basic}`);
      // Another port of the same host is another origin: refused, nothing sent.
      const otherUrl = `http://127.0.0.1:${other.port}/collect`;
      const refused = await rt.admin<{ error: string; code: string }>('POST', '/plantwire/erp/test', { id: 'erp1', config: { kind: 'rest', url: otherUrl, auth: 'basic' }, credentials: { user: 'plant', password: '__PWRD__' } });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('secret-origin');
      expect(refused.body.error).toMatch(/stored password of this ERP connection is only reused for its deployed address http:\/\/127\.0\.0\.1:\d+; enter it again/);
      // Without the placeholder, the request goes out with what it carries: no stored secret.
      const own = await rt.admin('POST', '/plantwire/erp/test', { id: 'erp1', config: { kind: 'rest', url: otherUrl, auth: 'basic' }, credentials: { user: 'plant', password: 'typed-here' } });
      expect(own.status).toBe(200);
      expect(other.bytes()).toContain(Buffer.from('plant:typed-here').toString('base64'));
      const noPw = await rt.admin('POST', '/plantwire/erp/test', { id: 'erp1', config: { kind: 'rest', url: otherUrl, auth: 'basic' }, credentials: { user: 'plant' } });
      expect(noPw.status).toBe(200);
      // https on the same host and port, or a user@host trick, is another origin too.
      const trick = await rt.admin('POST', '/plantwire/erp/test', { id: 'erp1', config: { kind: 'rest', url: `http://127.0.0.1:${new URL(homeUrl).port}@127.0.0.1:${other.port}/`, auth: 'basic' }, credentials: { user: 'plant', password: '__PWRD__' } });
      expect(trick.status).toBe(400);
      expect(other.bytes()).not.toContain(basic);
      expect(other.bytes()).not.toContain(SECRET);
    } finally {
      await other.close();
    }
    // Loads node-opcua and makes the client PKI (an RSA key) on first use: allow for a loaded CI machine.
  }, 90_000);

  it('OPC UA browse and trust with the dialog\'s settings: the stored password is not sent to another origin, and the connection ends with the answer', async () => {
    const other = await listener();
    try {
      await rt.deploy([
        TAB,
        // The deployed endpoint's own address does not need to answer for this test.
        { id: 'ep1', type: 'plantwire-opcua-endpoint', name: 'ep', version: 1, url: 'opc.tcp://127.0.0.1:1/never', securityMode: 'None', securityPolicy: 'None', auth: 'username', credentials: { username: 'op', password: SECRET } },
      ]);
      // requestTimeoutMs 2 s (default 10 s): the listener never answers, so the browse ends by that timeout.
      const endpoint = { url: `opc.tcp://127.0.0.1:${other.port}/evil`, securityMode: 'None', securityPolicy: 'None', auth: 'username', requestTimeoutMs: 2000 };
      const refused = await rt.admin<{ error: string; code: string }>('POST', '/plantwire/opcua/browse', { id: 'ep1', endpoint, credentials: { username: 'op', password: '__PWRD__' } });
      expect(refused.status).toBe(400);
      expect(refused.body.code).toBe('secret-origin');
      const trust = await rt.admin<{ code: string }>('POST', '/plantwire/opcua/trust', { id: 'ep1', endpoint, credentials: { username: 'op', password: '__PWRD__' } });
      expect(trust.body.code).toBe('secret-origin');
      expect(other.connections()).toBe(0);
      // Absent password: the browse dials the given host with no stored secret, fails, and stops dialling.
      const failed = await rt.admin<{ error: string }>('POST', '/plantwire/opcua/browse', { id: 'ep1', endpoint, credentials: { username: 'op' } });
      expect(failed.status).toBe(400);
      const afterAnswer = other.connections();
      expect(afterAnswer).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 3000));
      expect(other.connections()).toBe(afterAnswer);
      expect(other.bytes()).not.toContain(SECRET);
    } finally {
      await other.close();
    }
  });
});
