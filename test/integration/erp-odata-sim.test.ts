/**
 * The ERP OData simulator itself, spoken to with plain fetch: the SAP Gateway
 * behaviour the drivers rely on (CSRF token tied to the session cookie,
 * repeatability, ETags, SAP error JSON, paging, $metadata, OAuth2 tokens).
 */
import { spawn, execFile } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';
import { boundaryOf, httpPart, joinMultipart, parseHttpMessage, splitMultipart } from '../../src/connectors/erp/odata-common';

let sim: ErpSim;
beforeAll(async () => {
  sim = await startErpSim({ port: 0, pageSize: 4 });
});
afterAll(() => sim.close());

async function session(base: string): Promise<{ token: string; cookie: string }> {
  const r = await fetch(base, { headers: { 'x-csrf-token': 'Fetch', accept: 'application/json' } });
  expect(r.status).toBe(200);
  return { token: r.headers.get('x-csrf-token') ?? '', cookie: r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ') };
}

describe('ERP OData simulator', () => {
  it('enforces the CSRF token per session cookie and answers 403 "Required" without it', async () => {
    const base = sim.v2.notification;
    const s = await session(base);
    expect(s.token).toMatch(/\S{10,}/);
    expect(s.cookie).toMatch(/SAP_SESSIONID_SIM_100=/);
    const body = JSON.stringify({ NotificationText: 'Reject rate high', TechnicalObject: 'FILLER-01' });
    const noToken = await fetch(`${base}MaintenanceNotification`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: s.cookie }, body });
    expect(noToken.status).toBe(403);
    expect(noToken.headers.get('x-csrf-token')).toBe('Required');
    const otherSession = await fetch(`${base}MaintenanceNotification`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.token }, body });
    expect(otherSession.status).toBe(403);
    const created = await fetch(`${base}MaintenanceNotification`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.token, cookie: s.cookie, accept: 'application/json' }, body });
    expect(created.status).toBe(201);
    const d = ((await created.json()) as { d: Record<string, unknown> & { __metadata: { etag: string; uri: string } } }).d;
    expect(d.NotificationText).toBe('Reject rate high');
    expect(d.NotificationType).toBe('M2');
    expect(d.__metadata.etag).toMatch(/^W\/"datetimeoffset'/);
    expect(created.headers.get('location')).toBe(d.__metadata.uri);
    sim.expireCsrfTokens();
    const stale = await fetch(`${base}MaintenanceNotification`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.token, cookie: s.cookie }, body });
    expect(stale.status).toBe(403);
  });

  it('answers an unknown order with SAP error JSON and keeps nothing', async () => {
    const base = sim.v2.confirmation;
    const s = await session(base);
    const before = sim.documents('ProdnOrdConf2').length;
    const r = await fetch(`${base}ProdnOrdConf2?sap-client=100`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': s.token, cookie: s.cookie }, body: JSON.stringify({ OrderID: '4711', ConfirmationYieldQuantity: '5' }) });
    expect(r.status).toBe(400);
    const e = (await r.json()) as { error: { code: string; message: { value: string }; innererror: { errordetails: Array<{ message: string }> } } };
    expect(e.error.message.value).toBe('Order 4711 does not exist');
    expect(e.error.innererror.errordetails[0]?.message).toBe('Order 4711 does not exist');
    expect(sim.documents('ProdnOrdConf2').length).toBe(before);
  });

  it('returns the original answer for a repeated Repeatability-Request-ID and creates nothing new', async () => {
    const base = sim.v2.confirmation;
    const s = await session(base);
    const h = { 'content-type': 'application/json', 'x-csrf-token': s.token, cookie: s.cookie, 'repeatability-request-id': 'A1B2C3D4E5F60718293A4B5C6D7E8F90', 'repeatability-first-sent': new Date().toUTCString() };
    const body = JSON.stringify({ OrderID: '1000101', OrderOperation: '0020', ConfirmationYieldQuantity: 12.5 });
    const a = await fetch(`${base}ProdnOrdConf2`, { method: 'POST', headers: h, body });
    const b = await fetch(`${base}ProdnOrdConf2`, { method: 'POST', headers: h, body });
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(a.headers.get('repeatability-result')).toBe('accepted');
    expect(b.headers.get('repeatability-result')).toBe('replayed');
    const da = ((await a.json()) as { d: Record<string, unknown> }).d;
    const db = ((await b.json()) as { d: Record<string, unknown> }).d;
    expect(db.ConfirmationGroup).toBe(da.ConfirmationGroup);
    expect(db.ConfirmationCount).toBe(da.ConfirmationCount);
    expect(da.ConfirmationYieldQuantity).toBe('12.500');
    expect(sim.documents('ProdnOrdConf2').filter((x) => x.OrderID === '1000101')).toHaveLength(1);
  });

  it('rolls a whole changeset back when one of its requests fails, and commits the other changesets', async () => {
    const base = sim.v2.notification;
    const s = await session(base);
    const post = (text: string, type = 'M2'): ReturnType<typeof httpPart> =>
      httpPart({ line: 'POST MaintenanceNotification HTTP/1.1', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ NotificationText: text, NotificationType: type }) });
    const cs1 = joinMultipart([post('cs1 ok'), post('cs1 bad', 'ZZ')], 'cs1');
    const cs2 = joinMultipart([post('cs2 ok')], 'cs2');
    const body = joinMultipart(
      [
        { headers: { 'content-type': 'multipart/mixed; boundary=cs1' }, body: cs1 },
        { headers: { 'content-type': 'multipart/mixed; boundary=cs2' }, body: cs2 },
        httpPart({ line: 'GET MaintenanceNotification?$top=1 HTTP/1.1', headers: { accept: 'application/json' }, body: '' }),
      ],
      'b1',
    );
    const created = sim.stats.created;
    const r = await fetch(`${base}$batch`, { method: 'POST', headers: { 'content-type': 'multipart/mixed; boundary=b1', 'x-csrf-token': s.token, cookie: s.cookie }, body });
    expect(r.status).toBe(202);
    const parts = splitMultipart(await r.text(), boundaryOf(r.headers.get('content-type') ?? '')!);
    expect(parts).toHaveLength(3);
    const failed = parseHttpMessage(parts[0]!.body);
    expect(failed.line).toBe('HTTP/1.1 400 Bad Request');
    expect(failed.body).toContain('Notification type ZZ is not defined');
    const ok = parts[1]!;
    expect(ok.headers['content-type']).toMatch(/^multipart\/mixed/);
    expect(parseHttpMessage(splitMultipart(ok.body, boundaryOf(ok.headers['content-type'])!)[0]!.body).line).toBe('HTTP/1.1 201 Created');
    expect(parseHttpMessage(parts[2]!.body).line).toBe('HTTP/1.1 200 OK');
    const texts = sim.documents('MaintenanceNotification').map((n) => n.NotificationText);
    expect(texts).toContain('cs2 ok');
    expect(texts).not.toContain('cs1 ok');
    expect(sim.stats.created - created).toBe(1);
  });

  it('v4 JSON $batch: a failing atomicity group is rolled back (424 for its other members), Idempotency-Key replays', async () => {
    const body = {
      requests: [
        { id: '1', atomicityGroup: 'g1', method: 'POST', url: 'MaintenanceNotification', headers: { 'content-type': 'application/json' }, body: { NotificationText: 'g1 first' } },
        { id: '2', atomicityGroup: 'g1', method: 'POST', url: 'MaintenanceNotification', headers: { 'content-type': 'application/json' }, body: { NotificationText: 'g1 second', MaintPriority: '9' } },
        { id: '3', atomicityGroup: 'g2', method: 'POST', url: '/odata/v4/MaintenanceNotification', headers: { 'content-type': 'application/json', 'idempotency-key': 'ik-1' }, body: { NotificationText: 'g2 only' } },
        { id: '4', method: 'POST', url: 'MaintenanceNotification', headers: { 'content-type': 'application/json', 'idempotency-key': 'ik-1' }, body: { NotificationText: 'g2 only' } },
      ],
    };
    const r = await fetch(`${sim.v4}$batch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    const j = (await r.json()) as { responses: Array<{ id: string; status: number; headers: Record<string, string>; body: { error?: { message: string }; MaintenanceNotification?: string } }> };
    expect(j.responses.map((x) => [x.id, x.status])).toEqual([
      ['1', 424],
      ['2', 400],
      ['3', 201],
      ['4', 201],
    ]);
    expect(j.responses[1]!.body.error?.message).toBe('Priority 9 is not defined for notification type M2');
    expect(j.responses[3]!.headers['idempotent-replayed']).toBe('true');
    expect(j.responses[3]!.body.MaintenanceNotification).toBe(j.responses[2]!.body.MaintenanceNotification);
    const texts = sim.documents('MaintenanceNotification').map((n) => n.NotificationText);
    expect(texts.filter((t) => t === 'g2 only')).toHaveLength(1);
    expect(texts).not.toContain('g1 first');
  });

  it('pages with __next / @odata.nextLink, filters, orders and serves $metadata', async () => {
    const r = await fetch(`${sim.v2.productionOrder}A_ProductionOrder_2?$filter=OrderIsReleased eq true&$orderby=ManufacturingOrder desc&$inlinecount=allpages`, { headers: { accept: 'application/json' } });
    const j = (await r.json()) as { d: { results: Array<{ ManufacturingOrder: string }>; __next?: string; __count: string } };
    expect(j.d.__count).toBe('10');
    expect(j.d.results.map((x) => x.ManufacturingOrder)).toEqual(['1000109', '1000108', '1000107', '1000106']);
    expect(j.d.__next).toContain('$skiptoken=4');
    const v4 = await fetch(`${sim.v4}A_ProductionOrder_2?$filter=OrderIsReleased eq false&$top=6`);
    const j4 = (await v4.json()) as { value: unknown[]; '@odata.nextLink'?: string };
    expect(j4.value).toHaveLength(4);
    const next = await fetch(j4['@odata.nextLink']!);
    expect(((await next.json()) as { value: unknown[]; '@odata.nextLink'?: string }).value).toHaveLength(2);
    const md = await (await fetch(`${sim.v2.confirmation}$metadata`)).text();
    expect(md).toContain('<EntitySet Name="ProdnOrdConf2"');
    expect(md).toContain('<FunctionImport Name="CancelProdnOrdConf"');
    const md4 = await (await fetch(`${sim.v4}$metadata`)).text();
    expect(md4).toContain('Version="4.0"');
  });

  it('issues OAuth2 tokens, refuses bad clients, and checks basic auth when sent', async () => {
    const bad = await fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=plantwire&client_secret=wrong' });
    expect(bad.status).toBe(401);
    const good = await fetch(sim.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials&client_id=plantwire&client_secret=plantwire-secret' });
    const t = (await good.json()) as { access_token: string; expires_in: number };
    expect(t.expires_in).toBe(3600);
    expect((await fetch(sim.v4, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(200);
    sim.expireAccessTokens();
    expect((await fetch(sim.v4, { headers: { authorization: `Bearer ${t.access_token}` } })).status).toBe(401);
    expect((await fetch(sim.v4, { headers: { authorization: `Basic ${Buffer.from('PLANTWIRE:nope').toString('base64')}` } })).status).toBe(401);
    expect((await fetch(sim.v4, { headers: { authorization: `Basic ${Buffer.from('PLANTWIRE:plantwire').toString('base64')}` } })).status).toBe(200);
  });
});

describe('plantwire sim erp', () => {
  const bin = path.join(PACKAGE_ROOT, 'bin', 'plantwire.js');

  it('serves the SAP services and the documents page until stopped', async () => {
    const child = spawn(process.execPath, [bin, 'sim', 'erp', '--port', '0', '--sap-client', '200'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /ERP OData simulator on (http:\/\/[\d.:]+)/.exec(out);
          if (m && out.includes('Ctrl-C')) resolve(m[1]!);
        });
        child.once('exit', (code) => reject(new Error(`exited ${code}: ${out}`)));
      });
      expect(out).toContain('/sap/opu/odata/sap/API_MAINTNOTIFICATION/');
      const r = await fetch(`${url}/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV/A_ProductionOrder_2?$top=2&sap-client=200`);
      expect(((await r.json()) as { d: { results: unknown[] } }).d.results).toHaveLength(2);
      expect((await fetch(`${url}/sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV/?sap-client=100`)).status).toBe(401);
      expect(await (await fetch(`${url}/`)).text()).toContain('Plantwire ERP simulator');
    } finally {
      child.kill('SIGTERM');
    }
  });

  it('refuses a bad option with a clear message', async () => {
    const res = await new Promise<{ code: number; stderr: string }>((resolve) => {
      execFile(process.execPath, [bin, 'sim', 'erp', '--drop-rate', '1.5'], { encoding: 'utf8', timeout: 30_000 }, (err, _stdout, stderr) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stderr }));
    });
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('drop-rate must be a number from 0 to 1, got "1.5"');
  });
});
