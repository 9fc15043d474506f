/**
 * The ERP drivers send their requests, and the credentials on them, only to the connection's own
 * server: an entity naming another host (an absolute URL, `//host`) or a next link pointing
 * elsewhere is refused before anything is sent (two local servers count what reaches them); and an
 * entity read per message is held to a path below the connection's URL.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient } from '../../src/connectors/http';
import { ODataSession } from '../../src/connectors/erp/odata-common';
import { ODataV4Driver } from '../../src/connectors/erp/odata-v4';
import { RestDriver } from '../../src/connectors/erp/rest';
import { checkErpOrigin, type ErpRequest, type ErpSettings } from '../../src/connectors/erp/types';
import { checkEntity, erpQuerySettings, fillEntity } from '../../src/connectors/erp/node-settings';

interface Counted {
  url: string;
  seen: Array<{ method: string; path: string; authorization?: string }>;
  close(): Promise<void>;
}

/** A server that answers every request with `answer(path)` and records it. */
async function server(answer: (path: string, self: string) => unknown): Promise<Counted> {
  const seen: Counted['seen'] = [];
  let self = '';
  const s = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: req.url ?? '', ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(answer(req.url ?? '', self)));
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  self = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;
  return { url: `${self}/api/`, seen, close: () => new Promise<void>((r) => s.close(() => r())) };
}

let erp: Counted;
let foreign: Counted;
let client: HttpClient;
let nextTo = '';

beforeAll(async () => {
  foreign = await server(() => ({ value: [{ id: 'stolen' }] }));
  // The ERP: one page of orders whose next link points to the foreign server.
  erp = await server((path) => (path.startsWith('/api/orders') ? { value: [{ id: 'O-1' }], next: nextTo } : { id: 'X' }));
  client = new HttpClient({ timeoutMs: 2000 });
});
afterAll(async () => {
  client?.close();
  await erp?.close();
  await foreign?.close();
});

const settings = (kind: ErpSettings['kind']): ErpSettings => ({ kind, url: erp.url, auth: 'basic', user: 'plant', password: 's3cret', timeoutMs: 2000 });
const req = (entity: string): ErpRequest => ({ operation: 'create', entity, data: { a: 1 }, idempotencyKey: 'k-1', firstSentAt: new Date() });

describe('the ERP origin guard', () => {
  it('checkErpOrigin accepts the connection\'s own server only (scheme, host and port)', () => {
    expect(() => checkErpOrigin('http://erp.local:8080/api/', 'http://erp.local:8080/other/x')).not.toThrow();
    expect(() => checkErpOrigin('http://erp.local:8080/api/', new URL('HTTP://ERP.local:8080/api/orders'))).not.toThrow();
    for (const other of ['https://erp.local:8080/api/', 'http://erp.local:8081/api/', 'http://attacker.example/api/', 'http://erp.local:8080@attacker.example/api/']) {
      expect(() => checkErpOrigin('http://erp.local:8080/api/', other), other).toThrow(expect.objectContaining({ code: 'erp-bad-request', message: expect.stringMatching(/refused to send a request to .*only to http:\/\/erp\.local:8080/) }));
    }
  });

  it('REST: an entity that is another server\'s URL is refused, nothing (and no password) reaches that server', async () => {
    const driver = new RestDriver(settings('rest'), client);
    const before = erp.seen.length;
    for (const entity of [`${foreign.url}orders`, foreign.url.replace('http:', 'HTTPS:')]) {
      await expect(driver.execute(req(entity)), entity).rejects.toMatchObject({ code: 'erp-bad-request' });
      await expect(driver.query({ entity }), entity).rejects.toMatchObject({ code: 'erp-bad-request' });
    }
    expect(foreign.seen).toHaveLength(0);
    expect(erp.seen).toHaveLength(before);
    // The guard lets the connection's own requests through (with their credentials).
    await expect(driver.execute(req('orders/1'))).resolves.toMatchObject({ status: 200 });
    expect(erp.seen.at(-1)).toMatchObject({ method: 'POST', path: '/api/orders/1', authorization: `Basic ${Buffer.from('plant:s3cret').toString('base64')}` });
  });

  it('REST: a next link to another server ends the query with an error instead of following it', async () => {
    nextTo = `${foreign.url}orders?page=2`;
    try {
      const driver = new RestDriver(settings('rest'), client);
      await expect(driver.query({ entity: 'orders' })).rejects.toMatchObject({ code: 'erp-bad-request' });
      expect(foreign.seen).toHaveLength(0);
    } finally {
      nextTo = '';
    }
  });

  it('OData: an entity set or path naming another server is refused before the request', async () => {
    const session = new ODataSession(settings('odata-v4'), client, { csrf: 'auto', system: 'OData v4' });
    const host = foreign.url.replace(/^http:/, '');
    for (const path of [`${foreign.url}Orders`, `${host}Orders`]) {
      await expect(session.send({ method: 'GET', path }), path).rejects.toMatchObject({ code: 'erp-bad-request' });
    }
    const driver = new ODataV4Driver(settings('odata-v4'), client);
    await expect(driver.execute(req(`${foreign.url}Orders`))).rejects.toMatchObject({ code: 'erp-bad-request' });
    await expect(driver.execute(req(`${host}Orders`))).rejects.toMatchObject({ code: 'erp-bad-request' });
    expect(foreign.seen).toHaveLength(0);
  });
});

describe('an entity read per message stays a path below the connection\'s URL', () => {
  const src = { value: 'entity', type: 'msg' as const };
  it('checkEntity refuses URLs, ".." segments, ?, #, \\ and control characters', () => {
    const refused: Array<[string, RegExp]> = [
      ['https://attacker.example/x', /entity from msg\.entity "https:\/\/attacker\.example\/x" is a URL/],
      ['HTTP://attacker.example/x', /is a URL/],
      ['//attacker.example/x', /is a URL/],
      ['\\\\attacker.example\\x', /is a URL/],
      ['mailto:x@y', /is a URL/],
      ['../admin/users', /contains a "\.\." segment/],
      ['orders/../../admin', /contains a "\.\." segment/],
      ['orders/%2e%2E/admin', /contains a "\.\." segment/],
      ['orders?role=admin', /contains "\?"/],
      ['orders#frag', /contains "#"/],
      ['orders\\..\\admin', /contains a backslash/],
      ['orders\r\nX-Evil: 1', /contains control characters/],
      ['orders\u0000', /contains control characters/],
    ];
    for (const [entity, msg] of refused) {
      for (const kind of ['rest', 'odata-v4', 'sap-odata-v2', 'odoo'] as const) {
        expect(() => checkEntity(entity, kind, 'bad-input', src), `${kind} ${JSON.stringify(entity)}`).toThrow(expect.objectContaining({ code: 'bad-input', message: expect.stringMatching(msg) }));
      }
    }
    // Paths, entity sets and models stay allowed; a fixed entity (the dialog's own setting) is not held to these rules.
    expect(checkEntity('orders/{key}/release', 'rest', 'bad-input', src)).toBe('orders/{key}/release');
    expect(checkEntity('v1/orders.json', 'rest', 'bad-input', src)).toBe('v1/orders.json');
    expect(checkEntity('A_ProductionOrder_2', 'sap-odata-v2', 'bad-input', src)).toBe('A_ProductionOrder_2');
    expect(checkEntity('maintenance.request', 'odoo', 'bad-input', src)).toBe('maintenance.request');
    expect(checkEntity('https://erp.example/api/orders', 'rest', 'bad-config')).toBe('https://erp.example/api/orders');
  });

  it('fillEntity refuses "." and ".." as a placeholder value (encodeURIComponent keeps them)', () => {
    expect(() => fillEntity('orders/{key}', { key: '..', document: {}, msg: {} })).toThrow(/\{key\} is "\.\."/);
    expect(() => fillEntity('a/{x}/b', { document: { x: '.' }, msg: {} })).toThrow(/\{x\} is "\."/);
    expect(fillEntity('orders/{key}', { key: '../admin', document: {}, msg: {} })).toBe('orders/..%2Fadmin');
    expect(fillEntity('orders/{key}', { key: '...', document: {}, msg: {} })).toBe('orders/...');
  });

  it('erpQuerySettings holds msg.payload.entity and a per-message entity to the same rules', () => {
    expect(() => erpQuerySettings({ entity: 'orders' }, { entity: 'http://attacker.example/x' })).toThrow(expect.objectContaining({ code: 'bad-input', message: expect.stringMatching(/entity from msg\.payload\.entity "http:\/\/attacker\.example\/x" is a URL/) }));
    expect(() => erpQuerySettings({ entity: '../admin' }, {}, 'entity from msg.path')).toThrow(/entity from msg\.path "\.\.\/admin" contains a "\.\." segment/);
    expect(erpQuerySettings({ entity: 'orders' }, { entity: 'invoices' }).entity).toBe('invoices');
    expect(erpQuerySettings({ entity: 'orders/released' }, {}, 'entity from msg.path').entity).toBe('orders/released');
  });
});
