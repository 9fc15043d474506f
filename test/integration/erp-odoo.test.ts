import http_ from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HttpClient, HttpError } from '../../src/connectors/http';
import { OdooDriver, OdooLoginError, OdooSetupError } from '../../src/connectors/erp/odoo';
import { ErpBusinessError, type ErpRequest, type ErpSettings } from '../../src/connectors/erp/types';
import { startOdooSim, type OdooSim } from '../../src/sim/odoo';

let sim: OdooSim;
let http: HttpClient;
let driver: OdooDriver;

const settings = (over: Partial<ErpSettings> = {}): ErpSettings => ({ kind: 'odoo', url: sim.url, database: 'plantwire', auth: 'apikey', user: 'admin', apiKey: 'plantwire-odoo-demo-key', timeoutMs: 5000, ...over });
const req = (over: Partial<ErpRequest>): ErpRequest => ({ operation: 'create', entity: 'maintenance.request', data: {}, idempotencyKey: 'k-0', firstSentAt: new Date(), ...over });

beforeAll(async () => {
  sim = await startOdooSim({ port: 0 });
  http = new HttpClient({ timeoutMs: 5000 });
});
beforeEach(() => {
  sim.reset();
  sim.faults.dropRate = 0;
  driver = new OdooDriver(settings(), http);
});
afterAll(async () => {
  http?.close();
  await sim?.close();
});

describe('Odoo driver against the Odoo simulator', () => {
  it('test() reports the server version and the uid, logging in with the API key', async () => {
    expect(await driver.test()).toBe('Odoo 17.0, database "plantwire", user "admin" (uid 2)');
  });

  it('logs in once and reuses the uid for every call', async () => {
    for (let i = 0; i < 5; i++) await driver.execute(req({ data: { name: `r${i}` }, idempotencyKey: `k${i}`, externalKeyField: 'x_plantwire_key' }));
    expect(driver.logins).toBe(1);
    expect(sim.records('maintenance.request')).toHaveLength(5);
  });

  it('parallel first calls share one login', async () => {
    const d = new OdooDriver(settings(), http);
    await Promise.all(Array.from({ length: 20 }, (_, i) => d.execute(req({ data: { name: `p${i}` }, idempotencyKey: `p${i}`, externalKeyField: 'x_plantwire_key' }))));
    expect(d.logins).toBe(1);
    expect(sim.records('maintenance.request')).toHaveLength(20);
  });

  it('action without a key calls a model-level method (fields_get)', async () => {
    const r = await driver.execute(req({ operation: 'action', entity: 'maintenance.request', action: 'fields_get', data: {} }));
    expect(r.key).toBeNull();
    expect((r.document as Record<string, { type: string }>).x_plantwire_key).toMatchObject({ type: 'char' });
    expect((r.document as Record<string, { type: string; relation?: string }>).equipment_id).toMatchObject({ type: 'many2one', relation: 'maintenance.equipment' });
  });

  it('password login works as well as the API key', async () => {
    const d = new OdooDriver(settings({ auth: 'basic', apiKey: undefined, password: 'admin' }), http);
    expect(await d.test()).toContain('(uid 2)');
  });

  it('create: a maintenance.request with the external key; the repeat returns the same record with replayed: true', async () => {
    const doc = { name: 'Line1 reject rate high', description: 'Inspector rejects above 2 %', equipment_id: 3, priority: '3' };
    const first = await driver.execute(req({ data: doc, idempotencyKey: 'alarm-42', externalKeyField: 'x_plantwire_key' }));
    expect(first.status).toBe(201);
    expect(first.replayed).toBeUndefined();
    expect(typeof first.key).toBe('number');
    expect(first.document).toMatchObject({ id: first.key, display_name: 'Line1 reject rate high', x_plantwire_key: 'alarm-42', equipment_id: [3, 'Line1 Inspector'], priority: '3' });
    const again = await driver.execute(req({ data: doc, idempotencyKey: 'alarm-42', externalKeyField: 'x_plantwire_key' }));
    expect(again).toMatchObject({ key: first.key, replayed: true, status: 200 });
    const stored = sim.records('maintenance.request');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: 'Line1 reject rate high', stage_id: [1, 'New Request'], maintenance_type: 'corrective', x_plantwire_key: 'alarm-42' });
  });

  it("create: the document's own external key value wins over the idempotency key", async () => {
    const r = await driver.execute(req({ data: { name: 'x', x_plantwire_key: 'doc-key' }, idempotencyKey: 'buffer-key', externalKeyField: 'x_plantwire_key' }));
    expect(sim.records('maintenance.request')[0]!.x_plantwire_key).toBe('doc-key');
    expect(r.replayed).toBeUndefined();
  });

  it('update by id and by external key (write), reading the result back', async () => {
    const c = await driver.execute(req({ entity: 'mrp.production', data: { product_id: 1, product_qty: 500 }, idempotencyKey: 'mo-1', externalKeyField: 'x_plantwire_key' }));
    const name = (c.document as { display_name: string }).display_name;
    expect(name).toMatch(/^WH\/MO\/\d{5}$/);
    const byId = await driver.execute(req({ operation: 'update', entity: 'mrp.production', key: c.key as number, data: { qty_producing: 120 } }));
    expect(byId.document).toMatchObject({ id: c.key, qty_producing: 120 });
    // the hourly good count, addressed by the order's name
    const byName = await driver.execute(req({ operation: 'update', entity: 'mrp.production', key: name, externalKeyField: 'name', data: { qty_producing: 240 } }));
    expect(byName.key).toBe(c.key);
    expect(sim.records('mrp.production')[0]).toMatchObject({ name, qty_producing: 240, product_qty: 500 });
    // key from the document's external key value
    await driver.execute(req({ operation: 'update', entity: 'mrp.production', externalKeyField: 'x_plantwire_key', data: { x_plantwire_key: 'mo-1', origin: 'Line1' } }));
    expect(sim.records('mrp.production')[0]).toMatchObject({ origin: 'Line1', qty_producing: 240 });
  });

  it('update of a record that does not exist is a business error', async () => {
    const err = await driver.execute(req({ operation: 'update', key: 4711, data: { priority: '1' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect((err as Error).message).toBe('Odoo update on maintenance.request: no record with key 4711');
  });

  it('upsert: creates on the first call, writes on the next', async () => {
    const a = await driver.execute(req({ operation: 'upsert', data: { name: 'Capper torque', priority: '1' }, idempotencyKey: 'cap-1', externalKeyField: 'x_plantwire_key' }));
    expect(a.status).toBe(201);
    const b = await driver.execute(req({ operation: 'upsert', data: { name: 'Capper torque', priority: '2' }, idempotencyKey: 'cap-1', externalKeyField: 'x_plantwire_key' }));
    expect(b).toMatchObject({ key: a.key, status: 200 });
    const stored = sim.records('maintenance.request');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ priority: '2', x_plantwire_key: 'cap-1' });
  });

  it('upsert without a key or an external key field is refused', async () => {
    await expect(driver.execute(req({ operation: 'upsert', data: { name: 'x' } }))).rejects.toThrow(/set the external key field/);
  });

  it('delete (unlink) by external key; deleting again is a replayed success', async () => {
    await driver.execute(req({ data: { name: 'to go' }, idempotencyKey: 'gone-1', externalKeyField: 'x_plantwire_key' }));
    await driver.execute(req({ data: { name: 'stays' }, idempotencyKey: 'stays-1', externalKeyField: 'x_plantwire_key' }));
    const d = await driver.execute(req({ operation: 'delete', key: 'gone-1', externalKeyField: 'x_plantwire_key' }));
    expect(d.document).toEqual({ deleted: 1 });
    expect(sim.records('maintenance.request').map((r) => r.name)).toEqual(['stays']);
    const again = await driver.execute(req({ operation: 'delete', key: 'gone-1', externalKeyField: 'x_plantwire_key' }));
    expect(again).toMatchObject({ replayed: true, document: { deleted: 0 } });
  });

  it('action: action_confirm then button_mark_done on a production order', async () => {
    const c = await driver.execute(req({ entity: 'mrp.production', data: { product_id: 2, product_qty: 10 }, idempotencyKey: 'mo-a', externalKeyField: 'x_plantwire_key' }));
    const confirm = await driver.execute(req({ operation: 'action', entity: 'mrp.production', action: 'action_confirm', key: c.key as number }));
    expect(confirm).toMatchObject({ key: c.key, document: true });
    expect(sim.records('mrp.production')[0]!.state).toBe('confirmed');
    await driver.execute(req({ operation: 'update', entity: 'mrp.production', key: c.key as number, data: { qty_producing: 7 } }));
    expect(sim.records('mrp.production')[0]!.state).toBe('progress');
    await driver.execute(req({ operation: 'action', entity: 'mrp.production', action: 'button_mark_done', key: 'mo-a', externalKeyField: 'x_plantwire_key' }));
    expect(sim.records('mrp.production')[0]).toMatchObject({ state: 'done', qty_producing: 7 });
    // a done order refuses changes with Odoo's UserError text
    const err = await driver.execute(req({ operation: 'update', entity: 'mrp.production', key: c.key as number, data: { qty_producing: 8 } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect((err as ErpBusinessError).erpCode).toBe('odoo.exceptions.UserError');
    expect((err as Error).message).toMatch(/^Odoo UserError: Manufacturing order WH\/MO\/\d{5} is done: it cannot be changed any more\.$/);
  });

  it('an unknown method is a business error with Odoo text', async () => {
    const c = await driver.execute(req({ entity: 'mrp.production', data: { product_id: 1 }, idempotencyKey: 'mo-x', externalKeyField: 'x_plantwire_key' }));
    await expect(driver.execute(req({ operation: 'action', entity: 'mrp.production', action: 'action_explode', key: c.key as number }))).rejects.toThrow("Odoo AttributeError: The method 'mrp.production.action_explode' does not exist");
  });

  it('ValidationError: the readable message, the exception name, and nothing stored', async () => {
    const err = await driver.execute(req({ entity: 'mrp.production', data: { product_id: 1, product_qty: 0 }, idempotencyKey: 'bad-qty', externalKeyField: 'x_plantwire_key' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect((err as ErpBusinessError).message).toBe('Odoo ValidationError: The quantity to produce must be positive!');
    expect((err as ErpBusinessError).erpCode).toBe('odoo.exceptions.ValidationError');
    expect((err as ErpBusinessError).transient).toBe(false);
    expect(sim.records('mrp.production')).toHaveLength(0);
    const missing = await driver.execute(req({ data: { description: 'no subject' }, idempotencyKey: 'nos', externalKeyField: 'x_plantwire_key' })).catch((e: unknown) => e);
    expect((missing as Error).message).toMatch(/^Odoo ValidationError: The field "Subjects" \(name\) is required on Maintenance Request/);
    const badRef = await driver.execute(req({ data: { name: 'x', equipment_id: 99 }, idempotencyKey: 'ref', externalKeyField: 'x_plantwire_key' })).catch((e: unknown) => e);
    expect((badRef as Error).message).toContain("refers to maintenance.equipment(99,), which does not exist");
  });

  it('bad login: wrong API key, wrong user, unknown database — clear, and the documents are kept (transient for a sink)', async () => {
    for (const over of [{ apiKey: 'nope' }, { user: 'mallory' }]) {
      const d = new OdooDriver(settings(over), http);
      const err = await d.test().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OdooLoginError);
      expect((err as OdooLoginError).transient).toBe(true);
      expect((err as Error).message).toMatch(/login refused for user "(admin|mallory)" on database "plantwire": check database, user and password\/API key/);
      expect((err as Error).message).not.toContain('nope');
    }
    const d = new OdooDriver(settings({ database: 'prod' }), http);
    const err = await d.execute(req({ data: { name: 'x' } })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooLoginError);
    expect((err as Error).message).toMatch(/^Odoo: database "prod" does not exist on the server: check the database name/);
  });

  it('an external key field that Odoo does not have is a setup error naming the field (documents stay buffered)', async () => {
    const err = await driver.execute(req({ data: { name: 'x' }, idempotencyKey: 'k', externalKeyField: 'x_plant_key' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooSetupError);
    expect(err).not.toBeInstanceOf(ErpBusinessError);
    expect((err as Error).message).toMatch(/^Odoo: maintenance\.request has no field x_plant_key for the external key: add it in Odoo/);
    expect(sim.records('maintenance.request')).toHaveLength(0);
  });

  it('missing settings are named', async () => {
    await expect(new OdooDriver(settings({ database: '' }), http).test()).rejects.toThrow(/set the database name/);
    await expect(new OdooDriver(settings({ apiKey: '', password: '' }), http).test()).rejects.toThrow(/set the password or, better, an API key/);
  });

  it('transport failures are transient HttpErrors: nothing listening, and a dropped answer', async () => {
    const dead = new OdooDriver(settings({ url: 'http://127.0.0.1:9' }), http);
    const e1 = await dead.test().catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(HttpError);
    expect((e1 as HttpError).transient).toBe(true);
    expect((e1 as Error).message).toMatch(/^Odoo common\.version: .*connection refused/);
    await driver.test();
    sim.faults.dropRate = 1;
    const e2 = await driver.execute(req({ data: { name: 'x' } })).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(HttpError);
    expect((e2 as HttpError).transient).toBe(true);
  });

  it('a wrong URL (no /jsonrpc there) says so', async () => {
    const d = new OdooDriver(settings({ url: `${sim.url}/odoo/web` }), http);
    const err = await d.test().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OdooSetupError);
    expect(err).not.toBeInstanceOf(HttpError); // not the document's fault: a sink keeps it
    expect((err as OdooSetupError).transient).toBe(true);
    expect((err as Error).message).toBe(`Odoo: no Odoo JSON-RPC endpoint at ${sim.url}/odoo/web/jsonrpc (HTTP 404): check the URL`);
    // a web page (a captive portal, another application) instead of JSON-RPC
    const portal = http_.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome</body></html>'));
    await new Promise<void>((r) => portal.listen(0, '127.0.0.1', r));
    try {
      const page = new OdooDriver(settings({ url: `http://127.0.0.1:${(portal.address() as { port: number }).port}` }), http);
      const e2 = await page.test().catch((e: unknown) => e);
      expect(e2).toBeInstanceOf(OdooSetupError);
      expect((e2 as Error).message).toMatch(/did not answer JSON-RPC \("<html><body>Welcome<\/body><\/html>"\): check the URL$/);
    } finally {
      portal.closeAllConnections();
      await new Promise((r) => portal.close(r));
    }
  });

  it('executeBatch runs the documents in order; one bad document fails alone', async () => {
    const reqs = [
      req({ data: { name: 'a' }, idempotencyKey: 'b1', externalKeyField: 'x_plantwire_key' }),
      req({ data: { name: 'b', priority: '9' }, idempotencyKey: 'b2', externalKeyField: 'x_plantwire_key' }),
      req({ data: { name: 'c' }, idempotencyKey: 'b3', externalKeyField: 'x_plantwire_key' }),
    ];
    const out = await driver.executeBatch(reqs);
    expect(out).toHaveLength(3);
    expect(out[1]).toBeInstanceOf(ErpBusinessError);
    expect((out[1] as Error).message).toBe('Odoo ValueError: Wrong value for maintenance.request.priority: "9"');
    expect(sim.records('maintenance.request').map((r) => r.name)).toEqual(['a', 'c']);
  });
});

describe('Odoo search_read queries', () => {
  beforeEach(async () => {
    const reqs = Array.from({ length: 250 }, (_, i) =>
      req({ entity: 'mrp.production', data: { product_id: (i % 2) + 1, product_qty: i + 1, origin: i % 5 === 0 ? 'Line2' : 'Line1' }, idempotencyKey: `q${i}`, externalKeyField: 'x_plantwire_key' }),
    );
    for (const r of reqs) await driver.execute(r);
  });

  it('pages through 250 records in 100-row pages, in id order, none twice', async () => {
    const r = await driver.query({ entity: 'mrp.production', select: ['name', 'product_qty'] });
    expect(r.pages).toBe(3);
    expect(r.rows).toHaveLength(250);
    expect(new Set(r.rows.map((x) => x.id)).size).toBe(250);
    expect(r.rows.map((x) => x.product_qty)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(Object.keys(r.rows[0]!).sort()).toEqual(['id', 'name', 'product_qty']);
  });

  it('top stops early; maxPages caps the pages', async () => {
    const r = await driver.query({ entity: 'mrp.production', top: 130, orderby: 'product_qty desc' });
    expect(r.rows).toHaveLength(130);
    expect(r.pages).toBe(2);
    expect(r.rows[0]!.product_qty).toBe(250);
    expect(r.rows[129]!.product_qty).toBe(121);
    const capped = await driver.query({ entity: 'mrp.production', maxPages: 1 });
    expect(capped).toMatchObject({ pages: 1 });
    expect(capped.rows).toHaveLength(100);
  });

  it('domain with &, |, in, ilike, >, < and many2one by name', async () => {
    // (origin ilike line2 AND product_qty > 200) OR product_qty < 3
    const filter = JSON.stringify(['|', '&', ['origin', 'ilike', 'line2'], ['product_qty', '>', 200], ['product_qty', '<', 3]]);
    const r = await driver.query({ entity: 'mrp.production', filter, select: ['product_qty', 'origin'] });
    const expected = Array.from({ length: 250 }, (_, i) => i)
      .filter((i) => (i % 5 === 0 && i + 1 > 200) || i + 1 < 3)
      .map((i) => i + 1);
    expect(r.rows.map((x) => x.product_qty)).toEqual(expected);
    const inList = await driver.query({ entity: 'mrp.production', filter: [['product_qty', 'in', [5, 6, 7]], ['product_id', '=', 'Bottle 1.0 l sparkling']], select: ['product_qty', 'product_id'] });
    expect(inList.rows).toEqual([{ id: expect.any(Number), product_qty: 6, product_id: [2, 'Bottle 1.0 l sparkling'] }]);
    const notEq = await driver.query({ entity: 'mrp.production', filter: [['origin', '!=', 'Line1']] });
    expect(notEq.rows).toHaveLength(50);
  });

  it('a bad domain is refused before calling Odoo; an unknown field comes back as Odoo ValueError', async () => {
    await expect(driver.query({ entity: 'mrp.production', filter: 'state = done' })).rejects.toThrow(/the filter must be a domain in JSON/);
    await expect(driver.query({ entity: 'mrp.production', filter: [['state', '=']] })).rejects.toThrow(/neither \["field", "operator", value\]/);
    const err = await driver.query({ entity: 'mrp.production', filter: [['colour', '=', 'red']] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect((err as Error).message).toMatch(/^Odoo ValueError: Invalid field mrp.production.colour/);
    await expect(driver.query({ entity: 'mrp.production', expand: 'product_id' })).rejects.toThrow(/"expand" \(product_id\) is an OData option/);
  });
});
