/**
 * The ERP nodes with kinds "sap-odata-v2" and "odata-v4" in a real Node-RED
 * runtime against the ERP simulator: round trips, the unknown order on the
 * dead-letter output, no duplicates with 30 % of the answers lost after commit
 * (1,000 creates), a $batch of 100 via batchSize, CSRF expiry and OAuth2 token
 * revocation mid-run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';
import { burst, erpConnection, erpOut, erpQuery } from '../helpers/erp';
import { capture, inject, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let sim: ErpSim;

beforeAll(async () => {
  sim = await startErpSim({ port: 0 });
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 5, retryMaxMs: 50 } } });
});
afterAll(async () => {
  await rt?.stop();
  await sim?.close();
});
afterEach(() => {
  sim.faults({ dropRate: 0, latencyMs: 0 });
  sim.reset();
});

const sap = (id: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ...erpConnection(id, url, { kind: 'sap-odata-v2', sapClient: '100', auth: 'basic', ...extra }),
  credentials: { user: 'PLANTWIRE', password: 'plantwire' },
});
const fire = async (id: string): Promise<void> => {
  expect((await rt.admin('POST', `/inject/${id}`)).status).toBe(200);
};
const NOTIF = '{"NotificationText": "Line1 " & payload.alarm, "TechnicalObject": "FILLER-01", "MaintPriority": "2"}';

describe('ERP nodes against the SAP OData v2 simulator', () => {
  it('creates a maintenance notification, updates and upserts it by key, completes it and reads it back', async () => {
    await rt.deploy([
      TAB,
      sap('c-notif', sim.v2.notification),
      erpOut('create', 'c-notif', [['ok'], ['dead']], { entity: 'MaintenanceNotification', mapping: NOTIF }),
      inject('ic', 'create', { alarm: 'reject rate high' }),
      capture('ok'),
      capture('dead'),
      capture('rows'),
    ]);
    await fire('ic');
    const [c] = await rt.waitFor('ok', 1);
    const id = c!.msg.key as string;
    expect(id).toMatch(/^\d{8}$/);
    expect(c!.msg).toMatchObject({ status: 201, replayed: false, payload: { NotificationText: 'Line1 reject rate high', TechnicalObject: 'FILLER-01' } });
    await rt.admin('POST', '/inject/ic'); // a second notification: the query sees both
    await rt.waitFor('ok', 2);
    expect(sim.documents('MaintenanceNotification')).toHaveLength(2);
    // Update, upsert and complete the first one, then read it back.
    await rt.deploy([
      TAB,
      sap('c-notif', sim.v2.notification),
      erpOut('update', 'c-notif', [['ok'], ['dead']], { operation: 'update', entity: 'MaintenanceNotification', key: 'payload.id', mapping: '{"MaintPriority": payload.prio}' }),
      erpOut('upsert', 'c-notif', [['ok'], ['dead']], { operation: 'upsert', entity: 'MaintenanceNotification', key: 'payload.id', mapping: '{"NotificationText": payload.text}' }),
      erpOut('complete', 'c-notif', [['ok'], ['dead']], { operation: 'action', entity: 'MaintenanceNotification', action: 'CompleteMaintNotification', key: '{"MaintenanceNotification": payload.id}', mapping: '{}' }),
      erpQuery('q', 'c-notif', ['rows'], { entity: 'MaintenanceNotification', filter: `MaintenanceNotification eq '${id}'`, select: 'MaintenanceNotification,NotificationText,MaintPriority,NotifProcessingPhase' }),
      inject('iu', 'update', { id, prio: '1' }),
      inject('ip', 'upsert', { id, text: 'Line1 reject rate above 8 %' }),
      inject('ia', 'complete', { id }),
      inject('iq', 'q', ''),
      capture('ok'),
      capture('dead'),
      capture('rows'),
    ]);
    for (const [i, n] of [['iu', 1], ['ip', 2], ['ia', 3]] as const) {
      await fire(i);
      await rt.waitFor('ok', n);
    }
    await fire('iq');
    const [r] = await rt.waitFor('rows', 1);
    expect(r!.msg.payload).toEqual([{ MaintenanceNotification: id, NotificationText: 'Line1 reject rate above 8 %', MaintPriority: '1', NotifProcessingPhase: '4' }]);
    expect(rt.captured('dead')).toHaveLength(0);
  });

  it("an unknown order number goes to output 2 with SAP's message and is not retried", async () => {
    await rt.deploy([
      TAB,
      sap('c-conf', sim.v2.confirmation),
      erpOut('conf', 'c-conf', [['ok'], ['dead']], { entity: 'ProdnOrdConf2', mapping: '{"OrderID": payload.order, "ConfirmationYieldQuantity": $string(payload.good)}' }),
      inject('bad', 'conf', { order: '4711', good: 5 }),
      inject('good', 'conf', { order: '1000103', good: 480 }),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('bad');
    const [d] = await rt.waitFor('dead', 1);
    expect(d!.msg.error).toMatchObject({ message: expect.stringMatching(/Order 4711 does not exist \(HTTP 400 RU\/103/), code: 'RU/103', httpStatus: 400 });
    expect(d!.msg.payload).toEqual({ OrderID: '4711', ConfirmationYieldQuantity: '5' });
    await fire('good');
    const [ok] = await rt.waitFor('ok', 1);
    expect(ok!.msg.key).toEqual({ ConfirmationGroup: expect.stringMatching(/^\d{10}$/), ConfirmationCount: '00000001' });
    expect(sim.documents('ProdnOrdConf2')).toHaveLength(1);
  });

  it('no duplicates: 1,000 creates with 30 % of the answers dropped after commit give exactly 1,000 notifications', async () => {
    sim.faults({ dropRate: 0.3 });
    await rt.deploy([
      TAB,
      sap('c-notif', sim.v2.notification),
      erpOut('create', 'c-notif', [['ok'], ['dead']], { entity: 'MaintenanceNotification', mapping: '{"NotificationText": "alarm " & $string(payload.n), "MaintPriority": "2"}' }),
      burst('b', 1000, '{ n: i }', 'create'),
      inject('go', 'b', ''),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('go');
    const ok = await rt.waitFor('ok', 1000, 120_000);
    expect(sim.stats.dropped).toBeGreaterThan(200);
    const docs = sim.documents('MaintenanceNotification');
    expect(docs).toHaveLength(1000);
    expect(new Set(docs.map((d) => d.NotificationText)).size).toBe(1000);
    expect(ok.filter((c) => c.msg.replayed === true).length).toBeGreaterThan(0);
    expect(rt.captured('dead')).toHaveLength(0);
  }, 180_000);

  it('sends 100 documents as one $batch with batchSize 100; a bad one goes to output 2 alone', async () => {
    const batchesBefore = sim.stats.batches;
    await rt.deploy([
      TAB,
      sap('c-conf', sim.v2.confirmation),
      erpOut('conf', 'c-conf', [['ok'], ['dead']], { entity: 'ProdnOrdConf2', batchSize: 100, batchMs: 5000, mapping: '{"OrderID": payload.n = 50 ? "4711" : "1000103", "ConfirmationYieldQuantity": $string(payload.n + 1)}' }),
      burst('b', 100, '{ n: i }', 'conf'),
      inject('go', 'b', ''),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('go');
    await rt.waitFor('ok', 99);
    const [d] = await rt.waitFor('dead', 1);
    expect(d!.msg.error.message).toMatch(/Order 4711 does not exist \(HTTP 400/);
    expect(sim.stats.batches - batchesBefore).toBe(1);
    expect(sim.documents('ProdnOrdConf2')).toHaveLength(99);
  });

  it('keeps posting when the CSRF token expires mid-run and when the OAuth2 token is revoked', async () => {
    await rt.deploy([
      TAB,
      { ...erpConnection('c-oauth', sim.v2.notification, { kind: 'sap-odata-v2', sapClient: '100', auth: 'oauth2', tokenUrl: sim.tokenUrl }), credentials: { clientId: 'plantwire', clientSecret: 'plantwire-secret' } },
      erpOut('create', 'c-oauth', [['ok'], ['dead']], { entity: 'MaintenanceNotification', mapping: NOTIF }),
      inject('ic', 'create', { alarm: 'capper torque low' }),
      capture('ok'),
      capture('dead'),
    ]);
    await fire('ic');
    await rt.waitFor('ok', 1);
    sim.expireCsrfTokens();
    const rejected = sim.stats.csrfRejected;
    await fire('ic');
    await rt.waitFor('ok', 2);
    expect(sim.stats.csrfRejected).toBeGreaterThan(rejected);
    sim.expireAccessTokens();
    const issued = sim.stats.tokensIssued;
    await fire('ic');
    await rt.waitFor('ok', 3);
    expect(sim.stats.tokensIssued).toBeGreaterThan(issued);
    expect(sim.documents('MaintenanceNotification')).toHaveLength(3);
    expect(rt.captured('dead')).toHaveLength(0);
  });
});

describe('ERP nodes against the OData v4 simulator', () => {
  it('creates, updates and queries through the v4 service (Idempotency-Key, @odata.etag)', async () => {
    await rt.deploy([
      TAB,
      { ...erpConnection('c-v4', sim.v4, { kind: 'odata-v4', auth: 'basic' }), credentials: { user: 'PLANTWIRE', password: 'plantwire' } },
      erpOut('create', 'c-v4', [['ok'], ['dead']], { entity: 'MaintenanceNotification', mapping: NOTIF }),
      erpQuery('q', 'c-v4', ['rows'], { entity: 'MaintenanceNotification', select: 'NotificationText' }),
      inject('ic', 'create', { alarm: 'v4 alarm' }),
      inject('iq', 'q', ''),
      capture('ok'),
      capture('dead'),
      capture('rows'),
    ]);
    await fire('ic');
    const [c] = await rt.waitFor('ok', 1);
    expect(c!.msg).toMatchObject({ status: 201, payload: { NotificationText: 'Line1 v4 alarm' } });
    expect(c!.msg.erp.etag).toMatch(/^W\//);
    await fire('iq');
    const [r] = await rt.waitFor('rows', 1);
    expect(r!.msg.payload.map((x: Record<string, unknown>) => x.NotificationText)).toEqual(['Line1 v4 alarm']);
  });
});

/** An example flow from flows/ on its own tab, its PLANTWIRE_ERP_URL pointed at this test's simulator, its debug nodes replaced by captures. */
function example(file: string): Array<Record<string, unknown>> {
  const flow = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', file), 'utf8')) as Array<Record<string, unknown>>;
  return [
    TAB,
    ...flow.map((n) => {
      if (n.type === 'tab') {
        const env = ((n.env as Array<{ name: string }> | undefined) ?? []).map((e) => (e.name === 'PLANTWIRE_ERP_URL' ? { name: e.name, value: sim.url, type: 'str' } : e));
        return { ...n, env };
      }
      if (n.type === 'plantwire-simulator') return { ...n, autostart: false };
      if (n.type === 'debug') return { id: n.id, type: 'test-capture', z: n.z, name: n.id, x: n.x, y: n.y, wires: [] };
      return n;
    }),
  ];
}

describe('the ERP example flows against the simulator', () => {
  it('erp-sap-confirmation: the reject alarm creates a notification, the good count a confirmation of order 1000103', async () => {
    await rt.deploy(example('erp-sap-confirmation.json'));
    await fire('pw-ex-sap-try-alarm');
    await fire('pw-ex-sap-try-conf');
    const got = await rt.waitFor('pw-ex-sap-received', 2);
    expect(rt.captured('pw-ex-sap-refused')).toHaveLength(0);
    expect(got.map((c) => c.msg.erp.entity).sort()).toEqual(['MaintenanceNotification', 'ProdnOrdConf2']);
    expect(sim.documents('MaintenanceNotification')).toEqual([expect.objectContaining({ NotificationText: 'Line1 reject rate 2.3 %', TechnicalObject: 'LINE1-INSPECTOR', MaintPriority: '2' })]);
    expect(sim.documents('ProdnOrdConf2')).toEqual([expect.objectContaining({ OrderID: '1000103', ConfirmationYieldQuantity: 480, ConfirmationText: 'Line1 good count 08:00-09:00' })]);
  });

  it('erp-rest: creates through the REST connection, updates the last one through its path template, lists', async () => {
    await rt.deploy(example('erp-rest.json'));
    await fire('pw-ex-rest-new');
    const [c] = await rt.waitFor('pw-ex-rest-debug', 1);
    expect(c!.msg.status).toBe(201);
    await fire('pw-ex-rest-upd');
    await rt.waitFor('pw-ex-rest-debug', 2);
    expect(sim.documents('MaintenanceNotification')).toEqual([expect.objectContaining({ MaintenanceNotification: c!.msg.key, NotificationText: 'Capper torque low', MaintPriority: '1' })]);
    await fire('pw-ex-rest-list');
    const all = await rt.waitFor('pw-ex-rest-debug', 3);
    expect(all[2]!.msg.payload).toEqual([{ MaintenanceNotification: c!.msg.key, NotificationText: 'Capper torque low', MaintPriority: '1' }]);
    expect(rt.captured('pw-ex-rest-refused')).toHaveLength(0);
    expect(rt.captured('pw-ex-rest-errors')).toHaveLength(0);
  });
});
