/**
 * The ERP nodes with kind "odoo" in a real Node-RED runtime against the Odoo
 * JSON-RPC simulator: create with the external key (search before create),
 * update by a field key, search_read through erp-query, and an Odoo
 * ValidationError on the dead-letter output with Odoo's message.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOdooSim, type OdooSim } from '../../src/sim/odoo';
import { erpConnection, erpOut, erpQuery, burst } from '../helpers/erp';
import { capture, inject, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let sim: OdooSim;

beforeAll(async () => {
  sim = await startOdooSim({ port: 0, demoData: true });
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 5, retryMaxMs: 50 } } });
});
afterAll(async () => {
  await rt?.stop();
  await sim?.close();
});

const odoo = (): Record<string, unknown> => ({ ...erpConnection('c-odoo', sim.url, { kind: 'odoo', database: 'plantwire', auth: 'apikey' }), credentials: { user: 'admin', apiKey: 'plantwire-odoo-demo-key' } });
const fire = async (id: string): Promise<void> => {
  expect((await rt.admin('POST', `/inject/${id}`)).status).toBe(200);
};

describe('ERP nodes against the Odoo simulator', () => {
  it('creates maintenance requests (external key), updates a production order by name, and reads orders back', async () => {
    sim.reset();
    await rt.deploy([
      TAB,
      odoo(),
      erpOut('create', 'c-odoo', [['ok'], ['dead']], { entity: 'maintenance.request', externalKeyField: 'x_plantwire_key', mapping: '{"name": "Line1 " & payload.alarm, "priority": "2"}' }),
      erpOut('update', 'c-odoo', [['ok'], ['dead']], { operation: 'update', entity: 'mrp.production', key: '{"name": payload.order}', mapping: '{"qty_producing": payload.good}' }),
      erpQuery('q', 'c-odoo', ['rows'], { entity: 'mrp.production', filter: '[["origin", "=", "Line1"]]', select: 'name,qty_producing,state' }),
      inject('ic', 'create', { alarm: 'reject rate high' }),
      inject('iu', 'update', { order: 'WH/MO/00001', good: 1450 }),
      inject('iq', 'q', ''),
      capture('ok'),
      capture('dead'),
      capture('rows'),
    ]);
    await fire('ic');
    const [c] = await rt.waitFor('ok', 1);
    expect(typeof c!.msg.key).toBe('number');
    const stored = sim.records('maintenance.request');
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ name: 'Line1 reject rate high', priority: '2', x_plantwire_key: c!.msg.erp.idempotencyKey });
    await fire('iu');
    await rt.waitFor('ok', 2);
    expect(sim.records('mrp.production').find((r) => r.name === 'WH/MO/00001')).toMatchObject({ qty_producing: 1450 });
    await fire('iq');
    const [r] = await rt.waitFor('rows', 1);
    expect(r!.msg.payload).toEqual([expect.objectContaining({ name: 'WH/MO/00001', qty_producing: 1450 })]);
    expect(rt.captured('dead')).toHaveLength(0);
  });

  it("an Odoo ValidationError goes to output 2 with Odoo's message", async () => {
    sim.reset();
    await rt.deploy([TAB, odoo(), erpOut('create', 'c-odoo', [['ok'], ['dead']], { entity: 'maintenance.request', externalKeyField: 'x_plantwire_key', mapping: '{"priority": "2"}' }), inject('ic', 'create', {}), capture('ok'), capture('dead')]);
    await fire('ic');
    const [d] = await rt.waitFor('dead', 1);
    expect(d!.msg.error.message).toMatch(/name|Subjects/i);
    expect(d!.msg.payload).toEqual({ priority: '2' });
    expect(sim.records('maintenance.request')).toHaveLength(0);
  });

  it('200 creates with 30 % of the answers lost after commit give exactly 200 records', async () => {
    sim.reset();
    sim.faults.dropRate = 0.3;
    sim.faults.dropMode = 'reset';
    try {
      await rt.deploy([TAB, odoo(), erpOut('create', 'c-odoo', [['ok'], ['dead']], { entity: 'maintenance.request', externalKeyField: 'x_plantwire_key', mapping: '{"name": "alarm " & payload.n}' }), burst('b', 200, '{ n: i }', 'create'), inject('go', 'b', ''), capture('ok'), capture('dead')]);
      await fire('go');
      await rt.waitFor('ok', 200, 60_000);
      expect(sim.stats.dropped).toBeGreaterThan(0);
      expect(sim.records('maintenance.request')).toHaveLength(200);
      expect(new Set(sim.records('maintenance.request').map((r) => r.name)).size).toBe(200);
      expect(rt.captured('dead')).toHaveLength(0);
    } finally {
      sim.faults.dropRate = 0;
    }
  }, 90_000);
});
