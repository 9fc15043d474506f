/**
 * How the Odoo driver classifies what comes back, for answers the simulator
 * does not produce: a scripted JSON-RPC server on loopback answers each call.
 * Business refusal (ErpBusinessError) → dead-letter; setup problem
 * (OdooSetupError/OdooLoginError) → keep and show; HttpError transient → retry.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpError } from '../../src/connectors/http';
import { OdooDriver, OdooLoginError, OdooSetupError } from '../../src/connectors/erp/odoo';
import { ErpBusinessError, type ErpRequest } from '../../src/connectors/erp/types';

interface Call {
  service: string;
  method: string;
  args: unknown[];
}
type Answer = { status?: number; headers?: Record<string, string>; body: unknown };
let script: (call: Call) => Answer;
const calls: Call[] = [];
let server: http.Server;
let base = '';
const client = new HttpClient({ timeoutMs: 2000 });

const ok = (result: unknown): Answer => ({ body: { jsonrpc: '2.0', id: 1, result } });
const fault = (name: string, message: string, code = 200): Answer => ({ body: { jsonrpc: '2.0', id: 1, error: { code, message: 'Odoo Server Error', data: { name, message, arguments: [message], debug: 'Traceback …' } } } });
/** Logs in as uid 7, then answers execute_kw with `rest`. */
const loggedIn =
  (rest: (call: Call) => Answer): ((call: Call) => Answer) =>
  (c) =>
    c.service === 'common' ? ok(c.method === 'version' ? { server_version: '16.0+e' } : 7) : rest(c);

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { params: Call };
      calls.push(body.params);
      const a = script(body.params);
      res.writeHead(a.status ?? 200, { 'content-type': typeof a.body === 'string' ? 'text/html' : 'application/json', ...a.headers });
      res.end(typeof a.body === 'string' ? a.body : JSON.stringify(a.body));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
beforeEach(() => {
  calls.length = 0;
});
afterAll(async () => {
  client.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const driver = (): OdooDriver => new OdooDriver({ kind: 'odoo', url: `${base}/`, database: 'prod', auth: 'none', user: 'plantwire@acme.example', password: 's3cret-key', timeoutMs: 2000 }, client);
const create: ErpRequest = { operation: 'create', entity: 'maintenance.request', data: { name: 'x' }, idempotencyKey: 'k1', firstSentAt: new Date(), externalKeyField: 'x_plantwire_key' };

describe('Odoo driver: the calls it makes', () => {
  it('logs in with authenticate(db, login, secret, {}) and sends execute_kw with the uid and the secret; test() reports version and uid', async () => {
    script = loggedIn((c) => ok(c.args[4] === 'search' ? [] : c.args[4] === 'create' ? 41 : [{ id: 41, display_name: 'x', name: 'x', x_plantwire_key: 'k1' }]));
    const d = driver();
    expect(await d.test()).toBe('Odoo 16.0+e, database "prod", user "plantwire@acme.example" (uid 7)');
    const r = await d.execute(create);
    expect(r).toMatchObject({ key: 41, status: 201 });
    expect(calls.map((c) => `${c.service}.${c.method}${c.service === 'object' ? `:${String(c.args[4])}` : ''}`)).toEqual([
      'common.version',
      'common.authenticate',
      'object.execute_kw:search',
      'object.execute_kw:create',
      'object.execute_kw:read',
    ]);
    expect(calls[1]!.args).toEqual(['prod', 'plantwire@acme.example', 's3cret-key', {}]);
    expect(calls[2]!.args).toEqual(['prod', 7, 's3cret-key', 'maintenance.request', 'search', [[['x_plantwire_key', '=', 'k1']]], { limit: 1, order: 'id' }]);
    expect(calls[3]!.args.slice(4)).toEqual(['create', [{ name: 'x', x_plantwire_key: 'k1' }], {}]);
    expect(calls[4]!.args.slice(4)).toEqual(['read', [[41]], { fields: ['display_name', 'name', 'x_plantwire_key'] }]);
  });

  it('query: search_read with domain, fields, order (id appended) and offset/limit pages', async () => {
    let served = 0;
    script = loggedIn((c) => {
      const kw = c.args[6] as { offset: number; limit: number };
      const n = Math.max(0, Math.min(kw.limit, 230 - kw.offset));
      served += n;
      return ok(Array.from({ length: n }, (_, i) => ({ id: kw.offset + i + 1 })));
    });
    const r = await driver().query({ entity: 'mrp.production', filter: '[["state", "=", "confirmed"]]', select: ['name', ' state '], orderby: 'date_start desc' });
    expect(r.rows).toHaveLength(230);
    expect(served).toBe(230);
    expect(r.pages).toBe(3);
    const objectCalls = calls.filter((c) => c.service === 'object');
    expect(objectCalls.map((c) => c.args.slice(4))).toEqual([0, 100, 200].map((offset) => ['search_read', [[['state', '=', 'confirmed']]], { offset, limit: 100, order: 'date_start desc, id', fields: ['name', 'state'] }]));
  });
});

describe('Odoo driver: classification of failures', () => {
  it('authenticate answering false is a login refusal, and the secret is not in the message', async () => {
    script = () => ok(false);
    const err = await driver().execute(create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooLoginError);
    expect(err).toBeInstanceOf(OdooSetupError);
    expect((err as Error).message).toBe('Odoo: login refused for user "plantwire@acme.example" on database "prod": check database, user and password/API key');
    expect((err as Error).message).not.toContain('s3cret');
  });

  it('AccessDenied on execute_kw (key revoked) is a login refusal and forgets the uid', async () => {
    script = loggedIn(() => fault('odoo.exceptions.AccessDenied', 'Access Denied'));
    const d = driver();
    await expect(d.execute(create)).rejects.toBeInstanceOf(OdooLoginError);
    await expect(d.execute(create)).rejects.toThrow('Odoo: login refused: check database, user and password/API key');
    expect(calls.filter((c) => c.method === 'authenticate')).toHaveLength(2);
  });

  it('business faults keep Odoo’s text and exception name; multi-line messages become one line', async () => {
    script = loggedIn(() => fault('odoo.exceptions.UserError', 'You cannot delete a confirmed order.\nCancel it first.'));
    const err = await driver().execute(create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect((err as ErpBusinessError).message).toBe('Odoo UserError: You cannot delete a confirmed order. Cancel it first.');
    expect((err as ErpBusinessError).erpCode).toBe('odoo.exceptions.UserError');
    expect((err as ErpBusinessError).httpStatus).toBe(200);
  });

  it('a concurrent-update error in Odoo’s database is transient', async () => {
    script = loggedIn(() => fault('psycopg2.errors.SerializationFailure', 'could not serialize access due to concurrent update'));
    const err = await driver().execute(create).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).transient).toBe(true);
  });

  it('503 with Retry-After is transient and carries the wait; 413 is the document’s problem (permanent HttpError)', async () => {
    script = () => ({ status: 503, headers: { 'retry-after': '7' }, body: '<h1>Maintenance</h1>' });
    const e1 = await driver().execute(create).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HttpError);
    expect(e1).toMatchObject({ transient: true, httpStatus: 503, retryAfterMs: 7000 });
    script = loggedIn(() => ({ status: 413, body: 'Request Entity Too Large' }));
    const e2 = await driver().execute(create).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(HttpError);
    expect(e2).toMatchObject({ transient: false, httpStatus: 413 });
  });

  it('a proxy refusing access (403) or JSON without result is a setup error', async () => {
    script = () => ({ status: 403, body: 'Forbidden by policy' });
    const e1 = await driver().test().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(OdooSetupError);
    expect((e1 as Error).message).toMatch(/refused access with HTTP 403 \(a proxy or firewall in front of Odoo\?\): Forbidden by policy$/);
    script = () => ({ body: { hello: 'world' } });
    await expect(driver().test()).rejects.toThrow(/answered JSON without "result" or "error": is this an Odoo server\?$/);
  });

  it('per-document problems are business errors without a call: bad model name, update without key, unknown external key', async () => {
    script = loggedIn((c) => ok(c.args[4] === 'search' ? [] : true));
    const d = driver();
    await expect(d.execute({ ...create, entity: 'Maintenance Request' })).rejects.toThrow('Odoo: "Maintenance Request" is not a model name (e.g. maintenance.request, mrp.production)');
    await expect(d.execute({ ...create, operation: 'update', externalKeyField: undefined })).rejects.toThrow(/no key: set a key/);
    const e = await d.execute({ ...create, operation: 'update', key: 'MO-77', externalKeyField: 'name' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ErpBusinessError);
    expect((e as Error).message).toBe('Odoo update on maintenance.request: no record with key "MO-77"');
    expect(calls.filter((c) => c.service === 'object').map((c) => c.args[4])).toEqual(['search']);
  });

  it('an ambiguous key (two records) is refused, not written', async () => {
    script = loggedIn((c) => ok(c.args[4] === 'search' ? [3, 9] : true));
    const e = await driver().execute({ ...create, operation: 'upsert', data: { name: 'x', origin: 'Line1' }, key: { origin: 'Line1' } }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ErpBusinessError);
    expect((e as Error).message).toMatch(/matches more than one record \(ids 3, 9, …\); an external key must be unique$/);
    expect(calls.filter((c) => c.service === 'object').map((c) => c.args[4])).toEqual(['search']);
  });
});
