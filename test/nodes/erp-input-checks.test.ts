/**
 * plantwire-erp-out checks each document at input, before it is stored: what
 * JSON cannot carry faithfully (a Date as the whole document, a Buffer, a
 * BigInt, a function) goes to Catch with the field named, nothing is stored
 * (buffer depth 0), and the next valid document is delivered at once. A Date
 * inside the document becomes ISO text. Against the SAP simulator, disk buffer.
 * And the output messages are the input message with the result set: an
 * http-in → erp-out → http response flow answers the HTTP request.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';
import { erpConnection, erpOut } from '../helpers/erp';
import { capture, catcher, fn, inject, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let sim: ErpSim;

beforeAll(async () => {
  sim = await startErpSim({ port: 0 });
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 20, retryMaxMs: 200 } } });
});
afterAll(async () => {
  await rt?.stop();
  await sim?.close();
});
afterEach(() => sim.reset());

const flow = (code: string): unknown[] => [
  TAB,
  erpConnection('c', sim.v4, { kind: 'odata-v4' }),
  fn('make', code, 'erp'),
  inject('go', 'make', ''),
  inject('good', 'erp', { NotificationText: 'valid one', TechnicalObject: 'FILLER-01', MaintPriority: '2' }),
  erpOut('erp', 'c', [['ok'], ['dead']], { entity: 'MaintenanceNotification', mapping: 'payload', bufferMode: 'disk' }),
  catcher('catch', ['erp'], 'errs'),
  capture('ok'),
  capture('dead'),
  capture('errs'),
];

const depth = async (): Promise<number> => {
  const r = await rt.admin<{ depth: number; delivered: number }>('GET', '/plantwire/buffer/erp');
  expect(r.status).toBe(200);
  return r.body.depth;
};

describe('erp-out: documents checked before they are stored', () => {
  it.each([
    ['a Date as the document', 'msg.payload = new Date(); return msg;', /the mapping must build a JSON object \(the document\), got a Date/],
    ['a Buffer in a field', "msg.payload = { NotificationText: 'x', Attachment: Buffer.from('PDF') }; return msg;", /document\.Attachment is a Buffer/],
    ['a BigInt in a field', "msg.payload = { NotificationText: 'x', Counter: 10n ** 20n }; return msg;", /BigInt/],
    ['a function in a field', "msg.payload = { NotificationText: 'x', compute: () => 1 }; return msg;", /function/],
    ['a Buffer as the document', "msg.payload = Buffer.from('raw'); return msg;", /got a Buffer|got binary data|JSON object/],
  ])('%s → Catch at input, buffer depth 0, the next valid document delivered at once', async (_what, code, message) => {
    await rt.deploy(flow(code));
    expect((await rt.admin('POST', '/inject/go')).status).toBe(200);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(message);
    expect(await depth()).toBe(0);
    expect((await rt.admin('POST', '/inject/good')).status).toBe(200);
    const [ok] = await rt.waitFor('ok', 1, 5_000);
    expect(ok!.msg.payload).toMatchObject({ NotificationText: 'valid one' });
    expect(await depth()).toBe(0);
    expect(rt.captured('dead')).toEqual([]);
    expect(rt.captured('errs')).toHaveLength(1);
    expect(sim.documents('MaintenanceNotification').map((d) => d.NotificationText)).toEqual(['valid one']);
  });

  it('a Date inside the document is sent as ISO 8601 text', async () => {
    await rt.deploy(flow("msg.payload = { NotificationText: 'dated', TechnicalObject: 'FILLER-01', MaintPriority: '2', MalfunctionStartDate: new Date(Date.UTC(2026, 11, 5)) }; return msg;"));
    expect((await rt.admin('POST', '/inject/go')).status).toBe(200);
    await rt.waitFor('ok', 1);
    expect(rt.captured('errs')).toEqual([]);
    const [doc] = sim.documents('MaintenanceNotification');
    expect(doc).toMatchObject({ NotificationText: 'dated' });
    expect(String(doc!.MalfunctionStartDate)).toMatch(/^2026-12-05/);
  });
});

describe('erp-out: output messages are the input message with the result', () => {
  it('http in → erp-out → http response answers the request with the ERP result (req/res kept)', async () => {
    await rt.deploy([
      TAB,
      erpConnection('c', sim.v4, { kind: 'odata-v4' }),
      { id: 'in', type: 'http in', z: 'tab1', url: '/notify', method: 'post', upload: false, swaggerDoc: '', x: 50, y: 100, wires: [['erp']] },
      erpOut('erp', 'c', [['resp', 'ok'], ['resp', 'dead']], { entity: 'MaintenanceNotification', mapping: '{"NotificationText": payload.text, "TechnicalObject": "FILLER-01", "MaintPriority": "2"}', bufferMode: 'disk' }),
      { id: 'resp', type: 'http response', z: 'tab1', statusCode: '', headers: {}, x: 500, y: 100, wires: [] },
      capture('ok'),
      capture('dead'),
    ]);
    const res = await fetch(`${rt.url}/api/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'from http' }) });
    expect(res.status).toBe(200);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ NotificationText: 'from http', TechnicalObject: 'FILLER-01' });
    const [ok] = await rt.waitFor('ok', 1);
    expect(typeof ok!.msg._msgid).toBe('string');
    expect(ok!.msg).toMatchObject({ status: 201, erp: { operation: 'create', entity: 'MaintenanceNotification' } });
  });
});
