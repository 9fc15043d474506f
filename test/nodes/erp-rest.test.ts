/**
 * The ERP nodes in a real Node-RED runtime against a REST/JSON order service
 * started by the test: round trips (create, update, upsert, delete, action,
 * query with paging), the dead-letter output, a malformed mapping refused at
 * deploy, idempotent delivery when responses are lost, a redeploy that keeps
 * buffered documents, and the dialog's admin routes.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { capture, catcher, inject, statusOf, TAB, withProp } from '../helpers/flows';
import { burst, erpConnection, erpOut, erpQuery, startRestService, type RestService } from '../helpers/erp';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let svc: RestService;

beforeAll(async () => {
  svc = await startRestService();
  // Short retry backoff so lost responses are retried quickly (the policy is the same).
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 5, retryMaxMs: 50 } } });
});
afterAll(async () => {
  await rt?.stop();
  await svc?.stop();
});
beforeEach(() => {
  svc.orders.clear();
  svc.requests.length = 0;
  svc.down = false;
  svc.dropAfterCommit = 0;
});

async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fire = async (id: string): Promise<void> => {
  expect((await rt.admin('POST', `/inject/${id}`)).status).toBe(200);
};

describe('plantwire-erp-out and -query against a REST service', () => {
  it('creates a document with an Idempotency-Key from the buffer and reports the new key on output 1', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpOut('out', 'c1', [['ok'], ['dead']], { mapping: '{"material": payload.material, "quantity": payload.qty, "plant": "1000"}' }),
      inject('i1', 'out', { material: 'FG-100', qty: 120 }, 'shift-1'),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('i1');
    const [m] = await rt.waitFor('ok', 1);
    expect(m!.msg).toMatchObject({ status: 201, replayed: false, topic: 'shift-1', payload: { material: 'FG-100', quantity: 120, plant: '1000', status: 'created' } });
    expect(m!.msg.key).toBe(m!.msg.payload.id);
    expect(svc.orders.get(m!.msg.key)).toMatchObject({ material: 'FG-100', quantity: 120 });
    const post = svc.requests.find((r) => r.method === 'POST')!;
    expect(post.headers['idempotency-key']).toMatch(/^out:\d+-[0-9a-z]+$/);
    expect(m!.msg.erp.idempotencyKey).toBe(post.headers['idempotency-key']);
    expect(rt.captured('dead')).toHaveLength(0);
  });

  it('updates (PATCH), upserts (PUT), calls an action and deletes through path templates and the key expression', async () => {
    svc.orders.set('O-7', { id: 'O-7', status: 'released', quantity: 10 });
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpOut('upd', 'c1', [['ok'], ['dead']], { operation: 'update', entity: 'orders/{key}', key: 'payload.order', mapping: '{"quantity": payload.qty}', bufferMode: 'off' }),
      erpOut('ups', 'c1', [['ok'], ['dead']], { operation: 'upsert', entity: 'orders/{key}', key: 'payload.order', mapping: '{"quantity": payload.qty, "status": "planned"}', bufferMode: 'off' }),
      erpOut('act', 'c1', [['ok'], ['dead']], { operation: 'action', entity: 'orders/{key}', action: 'confirm', key: 'payload.order', mapping: '{"quantity": payload.qty}', bufferMode: 'off' }),
      erpOut('del', 'c1', [['ok'], ['dead']], { operation: 'delete', entity: 'orders/{key}', key: 'payload.order', mapping: '{}', bufferMode: 'off' }),
      inject('iu', 'upd', { order: 'O-7', qty: 15 }),
      inject('ip', 'ups', { order: 'O-8', qty: 5 }),
      inject('ia', 'act', { order: 'O-8', qty: 5 }),
      inject('id', 'del', { order: 'O-7' }),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('iu');
    await rt.waitFor('ok', 1);
    expect(svc.orders.get('O-7')).toMatchObject({ quantity: 15, status: 'released' });
    await fire('ip');
    await rt.waitFor('ok', 2);
    expect(svc.orders.get('O-8')).toMatchObject({ quantity: 5, status: 'planned' });
    await fire('ia');
    await rt.waitFor('ok', 3);
    expect(svc.orders.get('O-8')).toMatchObject({ status: 'confirmed', confirmed: 5 });
    await fire('id');
    const ok = await rt.waitFor('ok', 4);
    expect(svc.orders.has('O-7')).toBe(false);
    expect(ok.map((c) => c.msg.status)).toEqual([200, 201, 200, 204]);
    expect(svc.requests.map((r) => `${r.method} ${r.path}`)).toEqual(expect.arrayContaining(['PATCH /api/orders/O-7', 'PUT /api/orders/O-8', 'POST /api/orders/O-8/confirm', 'DELETE /api/orders/O-7']));
    expect(rt.captured('dead')).toHaveLength(0);
  });

  it('entity and key read per message (msg) or from env (typed inputs); an empty entity from the message is refused once, before anything is sent', async () => {
    svc.orders.set('O-9', { id: 'O-9', status: 'released', quantity: 1 });
    process.env.PW_TEST_ERP_OUT_ENTITY = 'orders';
    try {
      await rt.deploy([
        TAB,
        erpConnection('c1', svc.url),
        erpOut('upd', 'c1', [['ok'], ['dead']], { version: 2, operation: 'update', entity: 'path', entityType: 'msg', key: 'order', keyType: 'msg', mapping: '{"quantity": payload.qty}', bufferMode: 'off' }),
        erpOut('cre', 'c1', [['ok'], ['dead']], { version: 2, entity: 'PW_TEST_ERP_OUT_ENTITY', entityType: 'env', mapping: '{"material": payload.material}' }),
        withProp(withProp(inject('iu', 'upd', { qty: 33 }), 'path', 'orders/{key}'), 'order', 'O-9'),
        withProp(withProp(inject('ibad', 'upd', { qty: 34 }), 'path', ' '), 'order', 'O-9'),
        inject('ic', 'cre', { material: 'FG-9' }),
        catcher('c', ['upd', 'cre'], 'errs'),
        statusOf('st', ['upd'], 'status'),
        capture('ok'),
        capture('dead'),
        capture('errs'),
        capture('status'),
      ]);
      await fire('iu');
      await rt.waitFor('ok', 1);
      expect(svc.orders.get('O-9')).toMatchObject({ quantity: 33 });
      await fire('ic');
      const ok = await rt.waitFor('ok', 2);
      expect(ok[1]!.msg.erp).toMatchObject({ operation: 'create', entity: 'orders' });
      const sent = svc.requests.length;
      await fire('ibad');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/entity from msg.path is empty/);
      await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red'), 'a red status');
      await new Promise((r) => setTimeout(r, 300));
      expect(rt.captured('errs'), 'refused once').toHaveLength(1);
      expect(svc.requests.length, 'nothing sent for the refused message').toBe(sent);
      expect(rt.captured('dead')).toHaveLength(0);
    } finally {
      delete process.env.PW_TEST_ERP_OUT_ENTITY;
    }
  });

  it('refuses an entity from the message that names another server or leaves the base path: nothing sent, the credentials stay home', async () => {
    // The ERP (Basic auth) and a second server that must never see a request (nor the password).
    const erpSvc = await startRestService({ user: 'plant', password: 's3cret' });
    const foreign = await startRestService();
    try {
      const bad = [`${foreign.url}orders`, foreign.url.replace(/^http:/, 'HTTP:'), foreign.url.replace(/^http:/, ''), '../admin/users', 'orders/%2E%2E/%2e%2e/admin', 'orders?role=admin', 'orders#x', 'orders\\..\\admin', 'orders\nX-Injected: 1'];
      await rt.deploy([
        TAB,
        { ...erpConnection('cs', erpSvc.url, { auth: 'basic' }), credentials: { user: 'plant', password: 's3cret' } },
        erpOut('out', 'cs', [['ok'], ['dead']], { version: 2, entity: 'path', entityType: 'msg', mapping: '{"material": payload.material}' }),
        erpQuery('q', 'cs', ['rows'], { version: 2, entity: 'path', entityType: 'msg', filter: '', filterType: 'str' }),
        erpQuery('qp', 'cs', ['rows'], { entity: 'orders' }),
        { id: 'f', type: 'function', z: 'tab1', func: `const bad = ${JSON.stringify(bad)};\nfor (const path of bad) node.send([{ payload: { material: 'FG-1' }, path }, { payload: {}, path }, { payload: { entity: path } }]);\nnode.send([{ payload: { material: 'FG-2' }, path: 'orders' }, { payload: {}, path: 'orders' }, null]);\nreturn null;`, outputs: 3, x: 100, y: 100, wires: [['out'], ['q'], ['qp']] },
        inject('go', 'f', ''),
        catcher('c', ['out', 'q', 'qp'], 'errs'),
        statusOf('st', ['out'], 'status'),
        capture('ok'),
        capture('dead'),
        capture('rows'),
        capture('errs'),
        capture('status'),
      ]);
      await fire('go');
      // The good document and the good query after the refused ones still go through (to the ERP).
      await rt.waitFor('ok', 1);
      await rt.waitFor('rows', 1);
      const errs = await rt.waitFor('errs', bad.length * 3);
      await new Promise((r) => setTimeout(r, 300));
      expect(rt.captured('errs'), 'each refused message reaches Catch once').toHaveLength(bad.length * 3);
      for (const e of errs) expect(e.msg.error.message).toMatch(/entity from msg\.(path|payload\.entity) .*(is a URL|contains)/);
      expect(errs.filter((e) => /is a URL/.test(e.msg.error.message))).toHaveLength(9);
      expect(errs.filter((e) => /"\.\." segment/.test(e.msg.error.message))).toHaveLength(6);
      expect(rt.captured('status').some((c) => c.msg.status?.fill === 'red' && /entity: URL not allowed/.test(c.msg.status?.text ?? '')), 'a red status').toBe(true);
      expect(foreign.requests, 'nothing reached the other server').toHaveLength(0);
      // (GET /api/: the connection's own check of its URL.)
      expect(erpSvc.requests.filter((r) => r.path !== '/api/').map((r) => `${r.method} ${r.path}`).sort(), 'only the good document and query reached the ERP').toEqual(['GET /api/orders', 'POST /api/orders']);
      expect(rt.captured('dead')).toHaveLength(0);
    } finally {
      await erpSvc.stop();
      await foreign.stop();
    }
  });

  it('sends a document the ERP refuses (4xx) to output 2 with the ERP\'s own message, once, and keeps going', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpOut('out', 'c1', [['ok'], ['dead']], { operation: 'action', entity: 'orders/{key}', action: 'confirm', key: 'payload.order', mapping: '{"quantity": payload.qty}' }),
      inject('bad', 'out', { order: '999', qty: 1 }),
      erpOut('out2', 'c1', [['ok'], ['dead']], { mapping: 'payload' }),
      inject('good', 'out2', { material: 'FG-1' }),
      statusOf('st', ['out'], 'status'),
      capture('ok'),
      capture('dead'),
      capture('status'),
    ]);
    await fire('bad');
    const [d] = await rt.waitFor('dead', 1);
    expect(d!.msg.error).toMatchObject({ message: 'Order 999 does not exist', code: 'ORDER_UNKNOWN', httpStatus: 422 });
    expect(d!.msg.payload).toEqual({ quantity: 1 });
    expect(d!.msg.erp).toMatchObject({ operation: 'action', entity: 'orders/999', key: '999' });
    await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red' && /refused/.test(c.msg.status?.text ?? '')), 'a red "refused" status');
    await fire('good');
    await rt.waitFor('ok', 1);
    // Not retried: one request for the refused document.
    expect(svc.requests.filter((r) => r.path === '/api/orders/999/confirm')).toHaveLength(1);
  });

  it('refuses a malformed mapping at deploy with a red status and an error to Catch', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpOut('out', 'c1', [[], []], { mapping: '{"quantity": payload.qty' }),
      catcher('c', ['out'], 'errors'),
      statusOf('st', ['out'], 'status'),
      capture('errors'),
      capture('status'),
    ]);
    const [e] = await rt.waitFor('errors', 1);
    expect(e!.msg.error.message).toMatch(/^configuration error: mapping: expression has a syntax error/);
    await until(() => rt.captured('status').some((c) => c.msg.status?.fill === 'red' && /^mapping: syntax error/.test(c.msg.status?.text ?? '')), 'red status naming the mapping');
  });

  it('delivers 300 creates exactly once while 30 % of the responses are lost after the commit', async () => {
    svc.dropAfterCommit = 0.3;
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url, { timeout: 2 }),
      erpOut('out', 'c1', [['ok'], ['dead']], { mapping: '{"n": payload.n, "material": "FG-100"}' }),
      burst('b', 300, '{ n: i }', 'out'),
      inject('go', 'b', ''),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('go');
    const ok = await rt.waitFor('ok', 300, 60_000);
    await until(async () => (await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/out')).body.depth === 0, 'buffer empty');
    expect(svc.orders.size).toBe(300);
    expect(new Set([...svc.orders.values()].map((o) => o.n)).size).toBe(300);
    // Lost answers were retried and answered from the idempotency store.
    const replayed = ok.filter((c) => c.msg.replayed === true).length;
    expect(replayed).toBeGreaterThan(0);
    expect(svc.requests.filter((r) => r.method === 'POST').length).toBe(300 + replayed);
    expect(rt.captured('ok')).toHaveLength(300);
    expect(rt.captured('dead')).toHaveLength(0);
  }, 90_000);

  it('keeps buffered documents across a redeploy while the ERP is down and delivers them once it is back', async () => {
    svc.down = true;
    const flow = (name: string): unknown[] => [
      TAB,
      erpConnection('c1', svc.url),
      erpOut('out-disk', 'c1', [['ok'], []], { name, bufferMode: 'disk', mapping: '{"n": payload.n}' }),
      burst('b', 5, '{ n: i }', 'out-disk'),
      inject('go', 'b', ''),
      statusOf('st', ['out-disk'], 'status'),
      capture('ok'),
      capture('status'),
    ];
    await rt.deploy(flow('first'));
    await fire('go');
    await until(() => rt.captured('status').some((c) => /^buffering 5 — /.test(c.msg.status?.text ?? '')), 'buffering 5');
    await rt.deploy(flow('second'));
    await until(async () => (await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/out-disk')).body.depth === 5, 'five still buffered after the redeploy');
    svc.down = false;
    await rt.waitFor('ok', 5);
    expect([...svc.orders.values()].map((o) => o.n).sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it('with batchSize 10 documents go through executeBatch: the refused one goes to output 2, the other 19 are created', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpOut('out', 'c1', [['ok'], ['dead']], { batchSize: 10, batchMs: 2000, mapping: '{"n": payload.n, "material": payload.n = 3 ? "UNKNOWN" : "FG"}' }),
      burst('b', 20, '{ n: i }', 'out'),
      inject('go', 'b', ''),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('go');
    await rt.waitFor('ok', 19);
    const [d] = await rt.waitFor('dead', 1);
    expect(d!.msg.error.message).toMatch(/Material UNKNOWN does not exist/);
    expect(svc.orders.size).toBe(19);
  });

  it('queries with the filter as query string, follows Link rel="next" pages and applies top and select', async () => {
    for (let i = 1; i <= 5; i++) svc.orders.set(`R-${i}`, { id: `R-${i}`, status: 'released', material: `M-${i}` });
    svc.orders.set('P-1', { id: 'P-1', status: 'planned' });
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpQuery('q', 'c1', ['rows'], { filter: 'status=released', select: 'id,material' }),
      inject('go', 'q', ''),
      inject('go2', 'q', { top: 3, filter: 'status=planned' }),
      capture('rows'),
    ]);
    await fire('go');
    const [r] = await rt.waitFor('rows', 1);
    expect(r!.msg.payload).toEqual([1, 2, 3, 4, 5].map((i) => ({ id: `R-${i}`, material: `M-${i}` })));
    expect(r!.msg.pages).toBe(3);
    expect(r!.msg.count).toBe(5);
    await fire('go2');
    const rows = await rt.waitFor('rows', 2);
    expect(rows[1]!.msg.payload).toEqual([{ id: 'P-1', material: undefined }].map(() => ({ id: 'P-1' })));
  });

  it('reads entity and filter per message from msg (typed inputs) or from an environment variable', async () => {
    for (let i = 1; i <= 3; i++) svc.orders.set(`R-${i}`, { id: `R-${i}`, status: 'released', material: `M-${i}` });
    svc.orders.set('P-1', { id: 'P-1', status: 'planned' });
    process.env.PW_TEST_ERP_ENTITY = 'orders';
    const withProps = (id: string, target: string, props: Record<string, string>): Record<string, unknown> => ({
      ...inject(id, target, ''),
      props: [{ p: 'payload' }, ...Object.entries(props).map(([p, v]) => ({ p, v, vt: 'str' }))],
    });
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpQuery('q', 'c1', ['rows'], { version: 2, entity: 'entity', entityType: 'msg', filter: 'query.filter', filterType: 'msg', select: 'id' }),
      erpQuery('qe', 'c1', ['rows'], { version: 2, entity: 'PW_TEST_ERP_ENTITY', entityType: 'env', filter: 'status=planned', filterType: 'str', select: 'id' }),
      withProps('go', 'q', { entity: 'orders', 'query.filter': 'status=released' }),
      withProps('none', 'q', { 'query.filter': 'status=released' }),
      inject('env', 'qe', ''),
      catcher('c', ['q'], 'errors'),
      capture('rows'),
      capture('errors'),
    ]);
    await fire('go');
    const [r] = await rt.waitFor('rows', 1);
    expect(r!.msg.payload).toEqual([{ id: 'R-1' }, { id: 'R-2' }, { id: 'R-3' }]);
    expect(r!.msg.erp).toEqual({ entity: 'orders', filter: 'status=released' });
    await fire('env');
    const rows = await rt.waitFor('rows', 2);
    expect(rows[1]!.msg.payload).toEqual([{ id: 'P-1' }]);
    // No msg.entity: a clear error naming where the entity was to come from, for a Catch node.
    await fire('none');
    const [e] = await rt.waitFor('errors', 1);
    expect(e!.msg.error.message).toMatch(/entity from msg\.entity must be a non-empty text, got nothing/);
    delete process.env.PW_TEST_ERP_ENTITY;
  });

  it('a failed query goes to Catch with the reason', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c1', svc.url),
      erpQuery('q', 'c1', ['rows'], { entity: 'invoices' }),
      inject('go', 'q', ''),
      catcher('c', ['q'], 'errors'),
      capture('rows'),
      capture('errors'),
    ]);
    await fire('go');
    const [e] = await rt.waitFor('errors', 1);
    expect(e!.msg.error.message).toMatch(/no collection invoices/);
    expect(rt.captured('rows')).toHaveLength(0);
  });
});

describe('the ERP dialogs\' admin routes', () => {
  it('"Test connection" uses the dialog\'s values and credentials, and needs write permission', async () => {
    const secured = await startRestService({ user: 'plant', password: 's3cret' });
    try {
      const body = (password: string): unknown => ({ config: { kind: 'rest', url: secured.url, auth: 'basic', timeout: 5 }, credentials: { user: 'plant', password } });
      const ok = await rt.admin<{ ok: boolean; message: string }>('POST', '/plantwire/erp/test', body('s3cret'));
      expect(ok.status).toBe(200);
      expect(ok.body.message).toMatch(/^REST API at http:\/\/127\.0\.0\.1:\d+\/api\/ answered 200 \(basic auth\)$/);
      const bad = await rt.admin<{ error: string }>('POST', '/plantwire/erp/test', body('wrong'));
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatch(/401 unauthorized: unauthorized: wrong user or password/);
      const invalid = await rt.admin<{ error: string }>('POST', '/plantwire/erp/test', { config: { kind: 'odoo', url: secured.url }, credentials: {} });
      expect(invalid.body.error).toMatch(/database is empty/);
      // Editing a deployed connection: the dialog sends Node-RED's placeholder for an unchanged password.
      await rt.deploy([TAB, { ...erpConnection('c-sec', secured.url, { auth: 'basic' }), credentials: { user: 'plant', password: 's3cret' } }]);
      const kept = await rt.admin<{ message: string }>('POST', '/plantwire/erp/test', { id: 'c-sec', config: { kind: 'rest', url: secured.url, auth: 'basic' }, credentials: { user: 'plant', password: '__PWRD__' } });
      expect(kept.status).toBe(200);
      expect(kept.body.message).toMatch(/answered 200/);
      const token = await rt.token(READER);
      const denied = await fetch(`${rt.url}/plantwire/erp/test`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body('s3cret')) });
      expect(denied.status).toBe(401);
    } finally {
      await secured.stop();
    }
  });

  it('previews the mapping and the key against a sample message, and reports a syntax error with its position', async () => {
    const r = await rt.admin<{ mapping: { ok: boolean; result?: unknown }; key: { ok: boolean; result?: unknown } }>('POST', '/plantwire/erp/preview', {
      mapping: '{"OrderID": payload.order, "Yield": payload.good * 2}',
      key: 'payload.order',
      message: '{"payload": {"order": "1000001", "good": 60}}',
    });
    expect(r.status).toBe(200);
    expect(r.body.mapping).toEqual({ ok: true, result: { OrderID: '1000001', Yield: 120 } });
    expect(r.body.key).toEqual({ ok: true, result: '1000001' });
    const bad = await rt.admin<{ mapping: { ok: boolean; stage: string; error: { position?: number } } }>('POST', '/plantwire/erp/preview', { mapping: '{"a": payload.', message: '{}' });
    expect(bad.body.mapping).toMatchObject({ ok: false, stage: 'syntax' });
    expect(typeof bad.body.mapping.error.position).toBe('number');
  });
});
