/**
 * The SAP OData v2 and OData v4 drivers against the ERP simulator: round trips,
 * CSRF expiry mid-run, $batch of 100, OAuth2 token refresh, business errors,
 * ETag conflicts and — with 30 % of the answers dropped after commit — no
 * duplicates when the caller retries with the same idempotency key.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, HttpError } from '../../src/connectors/http';
import { SapODataV2Driver } from '../../src/connectors/erp/odata-v2';
import { ODataV4Driver } from '../../src/connectors/erp/odata-v4';
import { ErpBusinessError, type ErpDriver, type ErpRequest, type ErpResult, type ErpSettings } from '../../src/connectors/erp/types';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';

let sim: ErpSim;
const clients: HttpClient[] = [];
beforeAll(async () => {
  sim = await startErpSim({ port: 0, pageSize: 7 });
});
afterAll(async () => {
  for (const c of clients) c.close();
  await sim.close();
});
afterEach(() => sim.faults({ dropRate: 0, latencyMs: 0 }));

function http(): HttpClient {
  const c = new HttpClient({ timeoutMs: 5000, maxSockets: 16 });
  clients.push(c);
  return c;
}

function v2(url: string, over: Partial<ErpSettings> = {}): SapODataV2Driver {
  return new SapODataV2Driver({ kind: 'sap-odata-v2', url, sapClient: '100', auth: 'basic', user: 'PLANTWIRE', password: 'plantwire', timeoutMs: 5000, ...over }, http());
}
function v4(over: Partial<ErpSettings> = {}): ODataV4Driver {
  return new ODataV4Driver({ kind: 'odata-v4', url: sim.v4, auth: 'basic', user: 'PLANTWIRE', password: 'plantwire', timeoutMs: 5000, ...over }, http());
}

let seq = 0;
function req(operation: ErpRequest['operation'], entity: string, data: Record<string, unknown>, extra: Partial<ErpRequest> = {}): ErpRequest {
  seq += 1;
  return { operation, entity, data, idempotencyKey: `test-${process.pid}-${seq}`, firstSentAt: new Date(), ...extra };
}

/** What a sink does: retry transient failures with the same request (same idempotency key) until it succeeds. */
async function deliver<T>(fn: () => Promise<T>, counter?: { retries: number }): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (!(err instanceof HttpError) || !err.transient || attempt >= 60) throw err;
      if (counter) counter.retries += 1;
    }
  }
}

async function pool<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

const notif = (text: string): Record<string, unknown> => ({ NotificationText: text, TechnicalObject: 'FILLER-01', MaintPriority: '2' });

describe('SAP OData v2 driver', () => {
  it('test() reads $metadata and fetches a CSRF token', async () => {
    const d = v2(sim.v2.confirmation);
    expect(await d.test()).toBe('SAP OData v2, $metadata read: 1 entity set (ProdnOrdConf2), sap-client 100, CSRF token issued');
    expect(d.csrfFetches).toBe(1);
    await expect(v2(sim.v2.confirmation, { password: 'wrong' }).test()).rejects.toThrow(/401/);
  });

  it('create / update / upsert / query / action / delete round trip on MaintenanceNotification', async () => {
    const d = v2(sim.v2.notification);
    const created = await d.execute(req('create', 'MaintenanceNotification', notif('Reject rate above 5 %')));
    expect(created.status).toBe(201);
    expect(created.key).toMatch(/^\d{8}$/);
    expect(created.etag).toMatch(/^W\//);
    expect(created.replayed).toBeUndefined();
    expect(created.document).toMatchObject({ NotificationText: 'Reject rate above 5 %', NotificationType: 'M2', NotifProcessingPhase: '1' });
    expect(created.document).not.toHaveProperty('__metadata');

    const updated = await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '1' }, { key: created.key as string }));
    expect(updated.status).toBe(204);
    expect(updated.etag).not.toBe(created.etag);
    expect(sim.documents('MaintenanceNotification').find((n) => n.MaintenanceNotification === created.key)?.MaintPriority).toBe('1');

    const upsertExisting = await d.execute(req('upsert', 'MaintenanceNotification', { NotificationText: 'Reject rate above 8 %' }, { key: created.key as string }));
    expect(upsertExisting.status).toBe(204);
    const upsertNew = await d.execute(req('upsert', 'MaintenanceNotification', notif('Capper torque low'), { key: '99999999' }));
    expect(upsertNew.status).toBe(201);
    expect(upsertNew.key).not.toBe(created.key);

    const q = await d.query({ entity: 'MaintenanceNotification', filter: `MaintenanceNotification eq '${String(created.key)}'`, select: ['MaintenanceNotification', 'NotificationText', 'MaintPriority'] });
    expect(q.rows).toEqual([{ MaintenanceNotification: created.key, NotificationText: 'Reject rate above 8 %', MaintPriority: '1' }]);

    const done = await d.execute(req('action', 'MaintenanceNotification', {}, { action: 'CompleteMaintNotification', key: created.key as string }));
    expect(done.document).toMatchObject({ MaintenanceNotification: created.key, NotifProcessingPhase: '4' });
    await expect(d.execute(req('action', '', {}, { action: 'CompleteMaintNotification', key: created.key as string }))).rejects.toThrow('give the key as an object');

    const del = await d.execute(req('delete', 'MaintenanceNotification', {}, { key: created.key as string }));
    expect(del.status).toBe(204);
    expect(sim.documents('MaintenanceNotification').some((n) => n.MaintenanceNotification === created.key)).toBe(false);
    const again = await d.execute(req('delete', 'MaintenanceNotification', {}, { key: created.key as string }));
    expect(again.status).toBe(404);
  });

  it('posts a confirmation (compound key) and cancels it through the function import', async () => {
    const d = v2(sim.v2.confirmation);
    const r = await d.execute(req('create', 'ProdnOrdConf2', { OrderID: '1000103', OrderOperation: '0010', ConfirmationYieldQuantity: '480', ConfirmationScrapQuantity: '12', ConfirmationUnit: 'ST', PostingDate: '/Date(1795392000000)/' }));
    expect(r.key).toEqual({ ConfirmationGroup: expect.stringMatching(/^\d{10}$/) as unknown, ConfirmationCount: '00000001' });
    expect(r.document).toMatchObject({ OrderID: '1000103', ConfirmationYieldQuantity: '480.000', Material: 'FG-CRATE-12', PostingDate: '/Date(1795392000000)/' });
    const cancel = await d.execute(req('action', '', {}, { action: 'CancelProdnOrdConf', key: r.key as Record<string, string> }));
    expect(cancel.document).toMatchObject({ IsReversed: true });
  });

  it('sends decimals and dates the way OData v2 JSON wants them (types from $metadata) to a strict service', async () => {
    const strict = await startErpSim({ port: 0, strictV2Json: true });
    try {
      const raw = await fetch(`${strict.v2.confirmation}ProdnOrdConf2`, { headers: { 'x-csrf-token': 'Fetch' } });
      const cookie = raw.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
      const refused = await fetch(`${strict.v2.confirmation}ProdnOrdConf2`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': raw.headers.get('x-csrf-token') ?? '' }, body: JSON.stringify({ OrderID: '1000102', ConfirmationYieldQuantity: 480 }) });
      expect(refused.status).toBe(400);
      expect(await refused.text()).toContain('an Edm.Decimal is sent as a string in OData V2 JSON');
      const d = v2(strict.v2.confirmation);
      const r = await d.execute(req('create', 'ProdnOrdConf2', { OrderID: 1000102, ConfirmationYieldQuantity: 480, ConfirmationScrapQuantity: 2.5, PostingDate: '2026-11-23', IsFinalConfirmation: 'false' }));
      expect(r.document).toMatchObject({ OrderID: '1000102', ConfirmationYieldQuantity: '480.000', ConfirmationScrapQuantity: '2.500', PostingDate: '/Date(1795392000000)/', IsFinalConfirmation: false });
      const u = await d.execute(req('update', 'ProdnOrdConf2', { ConfirmationScrapQuantity: 3 }, { key: r.key as Record<string, string> }));
      expect(u.status).toBe(204);
      expect(strict.documents('ProdnOrdConf2')[0]).toMatchObject({ ConfirmationScrapQuantity: 3, PostingDate: '2026-11-23' });
    } finally {
      await strict.close();
    }
  });

  it('turns SAP error JSON into a readable business error (unknown order) and keeps nothing', async () => {
    const d = v2(sim.v2.confirmation);
    const before = sim.documents('ProdnOrdConf2').length;
    const err = await d.execute(req('create', 'ProdnOrdConf2', { OrderID: '4711', ConfirmationYieldQuantity: '5' })).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ErpBusinessError);
    const e = err as ErpBusinessError;
    // The ERP's text with the field it names and the HTTP status.
    expect(e.message).toBe('OrderID: Order 4711 does not exist (HTTP 400 RU/103, create ProdnOrdConf2)');
    expect(e.httpStatus).toBe(400);
    expect(e.erpCode).toBe('RU/103');
    expect(e.transient).toBe(false);
    const unknownField = (await d.execute(req('create', 'ProdnOrdConf2', { OrderID: '1000101', Yield: 5 })).catch((x: unknown) => x)) as ErpBusinessError;
    expect(unknownField.message).toMatch(/^Yield: Property 'Yield' is invalid for entity type A_ProdnOrdConf2Type \(HTTP 400/);
    expect(sim.documents('ProdnOrdConf2').length).toBe(before);
  });

  it('fetches a new CSRF token when the old one expires mid-run and repeats the write once', async () => {
    const d = v2(sim.v2.notification);
    const rejectedBefore = sim.stats.csrfRejected;
    for (let i = 0; i < 3; i++) await d.execute(req('create', 'MaintenanceNotification', notif(`csrf ${i}`)));
    expect(d.csrfFetches).toBe(1);
    sim.expireCsrfTokens();
    for (let i = 3; i < 6; i++) await d.execute(req('create', 'MaintenanceNotification', notif(`csrf ${i}`)));
    expect(d.csrfFetches).toBe(2);
    expect(sim.stats.csrfRejected - rejectedBefore).toBe(1);
    expect(sim.documents('MaintenanceNotification').filter((n) => String(n.NotificationText).startsWith('csrf '))).toHaveLength(6);
    // Concurrent writers share one new token.
    sim.expireCsrfTokens();
    await Promise.all(Array.from({ length: 8 }, (_, i) => d.execute(req('create', 'MaintenanceNotification', notif(`csrf-par ${i}`)))));
    expect(d.csrfFetches).toBe(3);
  });

  it('sends 100 documents in one $batch, one changeset each: two bad ones fail alone, in request order', async () => {
    const d = v2(sim.v2.confirmation);
    const before = sim.documents('ProdnOrdConf2').length;
    const batchesBefore = sim.stats.batches;
    const createdBefore = sim.stats.created;
    const reqs = Array.from({ length: 100 }, (_, i) => req('create', 'ProdnOrdConf2', { OrderID: i === 10 || i === 57 ? '4711' : String(1_000_100 + (i % 10)), OrderOperation: '0020', ConfirmationYieldQuantity: String(i + 1) }));
    const out = await d.executeBatch(reqs);
    expect(sim.stats.batches - batchesBefore).toBe(1);
    expect(out).toHaveLength(100);
    const errors = out.map((r, i) => (r instanceof ErpBusinessError ? i : -1)).filter((i) => i >= 0);
    expect(errors).toEqual([10, 57]);
    expect((out[10] as ErpBusinessError).message).toMatch(/^OrderID: Order 4711 does not exist \(HTTP 400/);
    expect((out[99] as ErpResult).document).toMatchObject({ ConfirmationYieldQuantity: '100.000' });
    expect(sim.documents('ProdnOrdConf2').length - before).toBe(98);
    expect(sim.stats.created - createdBefore).toBe(98);
  });

  it('fetches again after the SAP session ended, and gives up after one repeat when the new token is refused too', async () => {
    const d = v2(sim.v2.notification);
    await d.execute(req('create', 'MaintenanceNotification', notif('session 1')));
    sim.expireSessions();
    await d.execute(req('create', 'MaintenanceNotification', notif('session 2')));
    expect(d.csrfFetches).toBe(2);
    const strict = await startErpSim({ port: 0, csrfLifetimeMs: -1 });
    try {
      const s = v2(strict.v2.notification);
      const err = (await s.execute(req('create', 'MaintenanceNotification', notif('never'))).catch((e: unknown) => e)) as HttpError;
      expect(err).toBeInstanceOf(HttpError);
      expect(err.transient).toBe(false);
      expect(err.message).toContain('CSRF token validation failed');
      expect(s.csrfFetches).toBe(2);
      expect(strict.stats.csrfRejected).toBe(2);
      expect(strict.documents('MaintenanceNotification')).toHaveLength(0);
    } finally {
      await strict.close();
    }
  });

  it('repeats a $batch once with a new CSRF token when the token expired', async () => {
    const d = v2(sim.v2.notification);
    await d.execute(req('create', 'MaintenanceNotification', notif('batch csrf 0')));
    sim.expireCsrfTokens();
    const out = await d.executeBatch(Array.from({ length: 5 }, (_, i) => req('create', 'MaintenanceNotification', notif(`batch csrf ${i + 1}`))));
    expect(out.filter((r) => !(r instanceof ErpBusinessError))).toHaveLength(5);
    expect(d.csrfFetches).toBe(2);
    expect(sim.documents('MaintenanceNotification').filter((n) => String(n.NotificationText).startsWith('batch csrf '))).toHaveLength(6);
  });

  it('batches updates and upserts (ETags read in one $batch of GETs)', async () => {
    const d = v2(sim.v2.notification);
    const a = await d.execute(req('create', 'MaintenanceNotification', notif('batch upd A')));
    const b = await d.execute(req('create', 'MaintenanceNotification', notif('batch upd B')));
    const out = await d.executeBatch([
      req('update', 'MaintenanceNotification', { MaintPriority: '4' }, { key: a.key as string }),
      req('upsert', 'MaintenanceNotification', { MaintPriority: '4' }, { key: b.key as string }),
      req('upsert', 'MaintenanceNotification', notif('batch upsert new'), { key: '00000000' }),
      req('update', 'MaintenanceNotification', { MaintPriority: '4' }, { key: '00000001' }),
    ]);
    expect((out[0] as ErpResult).status).toBe(204);
    expect((out[1] as ErpResult).status).toBe(204);
    expect((out[2] as ErpResult).status).toBe(201);
    expect(out[3]).toBeInstanceOf(ErpBusinessError);
    expect((out[3] as ErpBusinessError).httpStatus).toBe(404);
    const docs = sim.documents('MaintenanceNotification');
    expect(docs.filter((n) => n.MaintenanceNotification === a.key || n.MaintenanceNotification === b.key).map((n) => n.MaintPriority)).toEqual(['4', '4']);
  });

  it('reports a repeatable request first sent before SAP\'s tracking window as rejected (not as an ETag conflict)', async () => {
    const d = v2(sim.v2.notification);
    const before = sim.documents('MaintenanceNotification').length;
    const old = new Date(Date.now() - 2 * 86_400_000);
    const err = (await d.execute(req('create', 'MaintenanceNotification', notif('sat in a buffer for two days'), { firstSentAt: old })).catch((e: unknown) => e)) as ErpBusinessError;
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect(err.httpStatus).toBe(412);
    expect(err.message).toMatch(/^SAP refused the repeatable request \(Repeatability-Result: rejected, HTTP 412\): it was first sent /);
    expect(err.message).toContain('before the repeatability window of 86400 s');
    expect(sim.documents('MaintenanceNotification')).toHaveLength(before);
  });

  it('refuses a malformed document of a batch in its own slot and sends the others', async () => {
    for (const d of [v2(sim.v2.notification), v4()] as ErpDriver[]) {
      const out = await d.executeBatch([
        req('create', 'MaintenanceNotification', [] as unknown as Record<string, unknown>),
        req('update', 'MaintenanceNotification', { MaintPriority: '1' }),
        req('create', 'MaintenanceNotification', notif(`good neighbour ${d.kind}`)),
      ]);
      expect((out[0] as ErpBusinessError).message).toBe('the document must be an object, got an array');
      expect((out[1] as ErpBusinessError).message).toBe('operation "update" needs the document key, but none was given');
      expect((out[2] as ErpResult).status).toBe(201);
    }
    expect(sim.documents('MaintenanceNotification').filter((n) => String(n.NotificationText).startsWith('good neighbour '))).toHaveLength(2);
  });

  it('reports an ETag conflict (412) clearly', async () => {
    const d = v2(sim.v2.notification);
    const c = await d.execute(req('create', 'MaintenanceNotification', notif('etag test')));
    await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '1' }, { key: c.key as string }));
    const err = (await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '4' }, { key: c.key as string, etag: c.etag })).catch((e: unknown) => e)) as ErpBusinessError;
    expect(err).toBeInstanceOf(ErpBusinessError);
    expect(err.httpStatus).toBe(412);
    expect(err.message).toMatch(/^ETag conflict \(HTTP 412\): the document was changed by someone else since it was read/);
    expect(err.message).toContain('ETag mismatch');
  });

  it('queries with $filter/$orderby/$top and follows __next across pages', async () => {
    const d = v2(sim.v2.productionOrder);
    const all = await d.query({ entity: 'A_ProductionOrder_2', filter: "OrderIsReleased eq true and ProductionPlant eq '1010'", orderby: 'ManufacturingOrder' });
    expect(all.pages).toBe(2);
    expect(all.rows.map((r) => r.ManufacturingOrder)).toEqual(Array.from({ length: 10 }, (_, i) => String(1_000_100 + i)));
    expect(all.rows[0]).toMatchObject({ TotalQuantity: '1000.000', OrderIsReleased: true });
    const top = await d.query({ entity: 'A_ProductionOrder_2', orderby: 'ManufacturingOrder desc', top: 9, select: ['ManufacturingOrder'] });
    expect(top.rows).toHaveLength(9);
    expect(top.rows[0]).toEqual({ ManufacturingOrder: '1000119' });
    await expect(d.query({ entity: 'A_ProductionOrder_2', filter: 'Nope eq 1' })).rejects.toThrow('Property Nope not found in type A_ProductionOrder_2Type');
  });

  it('refreshes short-lived OAuth2 tokens before they expire and recovers from a revoked one', async () => {
    // 2-second tokens: the driver's cache refreshes them after 1 s, well before the server refuses them.
    const short = await startErpSim({ port: 0, tokenLifetimeS: 2 });
    try {
      const d = v2(short.v2.notification, { auth: 'oauth2', tokenUrl: short.tokenUrl, clientId: 'plantwire', clientSecret: 'plantwire-secret', user: undefined, password: undefined });
      for (let i = 0; i < 8; i++) {
        await d.execute(req('create', 'MaintenanceNotification', notif(`oauth ${i}`)));
        await new Promise((r) => setTimeout(r, 330));
      }
      expect(short.stats.tokensIssued).toBeGreaterThanOrEqual(2);
      expect(short.stats.unauthorized).toBe(0);
      expect(short.documents('MaintenanceNotification')).toHaveLength(8);
      const bad = v2(short.v2.notification, { auth: 'oauth2', tokenUrl: short.tokenUrl, clientId: 'plantwire', clientSecret: 'nope' });
      await expect(bad.execute(req('create', 'MaintenanceNotification', notif('x')))).rejects.toThrow(/OAuth2 token request refused \(401\): invalid_client/);
    } finally {
      await short.close();
    }
    // A token the server revoked while the driver still holds it (hour-long tokens: the cache cannot be due):
    // one 401, one new token, the write repeated once.
    const d = v2(sim.v2.notification, { auth: 'oauth2', tokenUrl: sim.tokenUrl, clientId: 'plantwire', clientSecret: 'plantwire-secret', user: undefined, password: undefined });
    await d.execute(req('create', 'MaintenanceNotification', notif('oauth before revoke')));
    const issued = sim.stats.tokensIssued;
    const unauthorized = sim.stats.unauthorized;
    sim.expireAccessTokens();
    await d.execute(req('create', 'MaintenanceNotification', notif('oauth after revoke')));
    expect(sim.stats.unauthorized - unauthorized).toBe(1);
    expect(sim.stats.tokensIssued - issued).toBe(1);
    expect(sim.documents('MaintenanceNotification').filter((n) => String(n.NotificationText).startsWith('oauth '))).toHaveLength(2);
  });

  it('no duplicates: 30 % of answers dropped after commit, 1,000 creates retried with the same key give exactly 1,000 documents', async () => {
    const d = v2(sim.v2.confirmation);
    const tag = `nodup-${process.pid}`;
    const before = sim.stats.dropped;
    sim.faults({ dropRate: 0.3 });
    const counter = { retries: 0 };
    const reqs = Array.from({ length: 1000 }, (_, i) => req('create', 'ProdnOrdConf2', { OrderID: String(1_000_100 + (i % 10)), ConfirmationYieldQuantity: '1', ConfirmationText: `${tag}-${i}` }));
    const results: ErpResult[] = [];
    await pool(reqs, 16, async (r) => {
      results.push(await deliver(() => d.execute(r), counter));
    });
    sim.faults({ dropRate: 0 });
    const mine = sim.documents('ProdnOrdConf2').filter((x) => String(x.ConfirmationText).startsWith(`${tag}-`));
    expect(mine).toHaveLength(1000);
    expect(new Set(mine.map((x) => x.ConfirmationText)).size).toBe(1000);
    expect(sim.stats.dropped - before).toBeGreaterThan(200);
    expect(counter.retries).toBeGreaterThanOrEqual(sim.stats.dropped - before);
    expect(results.filter((r) => r.replayed).length).toBeGreaterThan(200);
  }, 120_000);

  it('no duplicates with $batch: 500 documents in batches of 50, 30 % of answers dropped', async () => {
    const d = v2(sim.v2.notification);
    const tag = `nodup-batch-${process.pid}`;
    sim.faults({ dropRate: 0.3 });
    const reqs = Array.from({ length: 500 }, (_, i) => req('create', 'MaintenanceNotification', notif(`${tag}-${i}`)));
    for (let i = 0; i < 500; i += 50) {
      const out = await deliver(() => d.executeBatch(reqs.slice(i, i + 50)));
      expect(out.every((r) => !(r instanceof ErpBusinessError))).toBe(true);
    }
    sim.faults({ dropRate: 0 });
    expect(sim.documents('MaintenanceNotification').filter((x) => String(x.NotificationText).startsWith(`${tag}-`))).toHaveLength(500);
  }, 120_000);
});

describe('TLS with a custom CA', () => {
  it('reaches an HTTPS service whose certificate the connection trusts, and says why when it does not', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-erp-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
      const cert = fs.readFileSync(path.join(dir, 'cert.pem'), 'utf8');
      const secure = await startErpSim({ port: 0, tls: { key: fs.readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert } });
      try {
        expect(secure.url).toMatch(/^https:/);
        const settings: ErpSettings = { kind: 'sap-odata-v2', url: secure.v2.notification, auth: 'basic', user: 'PLANTWIRE', password: 'plantwire', timeoutMs: 5000, tls: { ca: cert } };
        const trusted = new HttpClient({ timeoutMs: 5000, tls: { ca: cert } });
        clients.push(trusted);
        const d = new SapODataV2Driver(settings, trusted);
        const r = await d.execute(req('create', 'MaintenanceNotification', notif('over TLS')));
        expect(r.status).toBe(201);
        expect(r.document).toMatchObject({ NotificationText: 'over TLS' });
        const untrusted = new HttpClient({ timeoutMs: 5000 });
        clients.push(untrusted);
        await expect(new SapODataV2Driver(settings, untrusted).test()).rejects.toThrow(/self-signed/);
      } finally {
        await secure.close();
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('OData v4 driver', () => {
  it('test() reads $metadata', async () => {
    expect(await v4().test()).toBe('OData 4.0, 3 entity sets (ProdnOrdConf2, MaintenanceNotification, A_ProductionOrder_2)');
  });

  it('create / update / upsert / query / bound action / delete round trip', async () => {
    const d: ErpDriver = v4();
    const c = await d.execute(req('create', 'MaintenanceNotification', notif('v4 reject rate')));
    expect(c.status).toBe(201);
    expect(c.key).toMatch(/^\d{8}$/);
    expect(c.etag).toMatch(/^W\//);
    expect(c.document).toMatchObject({ NotificationText: 'v4 reject rate', '@odata.etag': c.etag });
    const u = await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '1' }, { key: c.key as string }));
    expect(u.status).toBe(200);
    expect(u.document).toMatchObject({ MaintPriority: '1' });
    const up = await d.execute(req('upsert', 'MaintenanceNotification', { NotificationText: 'v4 upserted' }, { key: c.key as string }));
    expect(up.document).toMatchObject({ NotificationText: 'v4 upserted', MaintPriority: '1' });
    const upNew = await d.execute(req('upsert', 'MaintenanceNotification', notif('v4 upsert new'), { key: '12345' }));
    expect(upNew.status).toBe(201);
    const q = await d.query({ entity: 'MaintenanceNotification', filter: `MaintenanceNotification eq '${String(c.key)}'`, select: ['NotificationText'] });
    expect(q.rows).toEqual([{ '@odata.etag': expect.stringMatching(/^W\//) as unknown, NotificationText: 'v4 upserted' }]);
    const act = await d.execute(req('action', 'MaintenanceNotification', {}, { key: c.key as string, action: 'Plantwire.CompleteMaintNotification' }));
    expect(act.document).toMatchObject({ NotifProcessingPhase: '4' });
    const del = await d.execute(req('delete', 'MaintenanceNotification', {}, { key: c.key as string }));
    expect(del.status).toBe(204);
    expect(sim.documents('MaintenanceNotification').some((n) => n.MaintenanceNotification === c.key)).toBe(false);
  });

  it('reads OData v4 errors, 412 conflicts and pages via @odata.nextLink', async () => {
    const d = v4();
    const e = (await d.execute(req('create', 'ProdnOrdConf2', { OrderID: '1000115', ConfirmationYieldQuantity: 3 })).catch((x: unknown) => x)) as ErpBusinessError;
    expect(e).toBeInstanceOf(ErpBusinessError);
    expect(e.message).toMatch(/^OrderID: Order 1000115 is not released: confirmations are only possible for released orders \(HTTP 4\d\d/);
    const c = await d.execute(req('create', 'MaintenanceNotification', notif('v4 etag')));
    await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '1' }, { key: c.key as string }));
    const conflict = (await d.execute(req('update', 'MaintenanceNotification', { MaintPriority: '2' }, { key: c.key as string, etag: c.etag })).catch((x: unknown) => x)) as ErpBusinessError;
    expect(conflict.httpStatus).toBe(412);
    expect(conflict.message).toMatch(/^ETag conflict \(HTTP 412\)/);
    const all = await d.query({ entity: 'A_ProductionOrder_2', orderby: 'ManufacturingOrder' });
    expect(all.rows).toHaveLength(20);
    expect(all.pages).toBe(3);
    expect(all.rows[19]).toMatchObject({ ManufacturingOrder: '1000119', TotalQuantity: 5000, MfgOrderPlannedStartDate: '2026-11-27' });
  });

  it('sends 100 documents in one JSON $batch, one atomicity group each', async () => {
    const d = v4();
    const before = sim.documents('ProdnOrdConf2').length;
    const reqs = Array.from({ length: 100 }, (_, i) => req('create', 'ProdnOrdConf2', { OrderID: i === 42 ? '4711' : String(1_000_100 + (i % 10)), ConfirmationYieldQuantity: i + 1 }));
    const out = await d.executeBatch(reqs);
    expect(out.map((r, i) => (r instanceof ErpBusinessError ? i : -1)).filter((i) => i >= 0)).toEqual([42]);
    expect((out[42] as ErpBusinessError).message).toMatch(/^OrderID: Order 4711 does not exist \(HTTP 400/);
    expect((out[0] as ErpResult).key).toMatchObject({ ConfirmationCount: expect.stringMatching(/^\d{8}$/) as unknown });
    expect(sim.documents('ProdnOrdConf2').length - before).toBe(99);
  });

  it('fetches a CSRF token only when the server asks for it (SAP-style v4 service) and repeats the write once', async () => {
    const sapV4 = await startErpSim({ port: 0, v4Csrf: true });
    try {
      const d = v4({ url: sapV4.v4 });
      const a = await d.execute(req('create', 'MaintenanceNotification', notif('v4 csrf a')));
      expect(a.status).toBe(201);
      expect(d.session.csrfFetches).toBe(1);
      expect(sapV4.stats.csrfRejected).toBe(1);
      await d.execute(req('create', 'MaintenanceNotification', notif('v4 csrf b')));
      sapV4.expireCsrfTokens();
      const out = await d.executeBatch([req('create', 'MaintenanceNotification', notif('v4 csrf c')), req('create', 'MaintenanceNotification', notif('v4 csrf d'))]);
      expect(out.every((r) => !(r instanceof ErpBusinessError))).toBe(true);
      expect(d.session.csrfFetches).toBe(2);
      expect(sapV4.stats.csrfRejected).toBe(2);
      expect(sapV4.documents('MaintenanceNotification').map((n) => n.NotificationText)).toEqual(['v4 csrf a', 'v4 csrf b', 'v4 csrf c', 'v4 csrf d']);
    } finally {
      await sapV4.close();
    }
  });

  it('no duplicates with Idempotency-Key: 1,000 creates, 30 % of answers dropped after commit', async () => {
    const d = v4();
    const tag = `v4-nodup-${process.pid}`;
    sim.faults({ dropRate: 0.3 });
    const reqs = Array.from({ length: 1000 }, (_, i) => req('create', 'MaintenanceNotification', notif(`${tag}-${i}`)));
    const results: ErpResult[] = [];
    await pool(reqs, 16, async (r) => {
      results.push(await deliver(() => d.execute(r)));
    });
    sim.faults({ dropRate: 0 });
    expect(sim.documents('MaintenanceNotification').filter((x) => String(x.NotificationText).startsWith(`${tag}-`))).toHaveLength(1000);
    expect(results.filter((r) => r.replayed).length).toBeGreaterThan(200);
  }, 120_000);
});
