/**
 * The Odoo simulator on the wire, without the driver: JSON-RPC envelopes and
 * fault shapes as Odoo 17 sends them, the record page for the demo, and
 * `plantwire sim odoo` as a user starts it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startOdooSim, type OdooSim } from '../../src/sim/odoo';

let sim: OdooSim;
let child: ChildProcess | undefined;

async function call(service: string, method: string, args: unknown[], url = sim.url): Promise<{ jsonrpc: string; id: unknown; result?: unknown; error?: { code: number; message: string; data: { name: string; message: string; arguments: unknown[]; debug: string } } }> {
  const res = await fetch(`${url}/jsonrpc`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ jsonrpc: '2.0', method: 'call', params: { service, method, args }, id: 17 }) });
  expect(res.status).toBe(200);
  return (await res.json()) as Awaited<ReturnType<typeof call>>;
}
const kw = (model: string, method: string, args: unknown[], kwargs: Record<string, unknown> = {}, secret = 'admin') => call('object', 'execute_kw', ['plantwire', 2, secret, model, method, args, kwargs]);

beforeAll(async () => {
  sim = await startOdooSim({ port: 0 });
});
beforeEach(() => sim.reset());
afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await sim?.close();
});

describe('Odoo simulator protocol', () => {
  it('common: version, authenticate and login (password or API key); a wrong password gives false, not a fault', async () => {
    const v = await call('common', 'version', []);
    expect(v).toMatchObject({ jsonrpc: '2.0', id: 17, result: { server_version: '17.0', protocol_version: 1 } });
    expect((await call('common', 'authenticate', ['plantwire', 'admin', 'admin', {}])).result).toBe(2);
    expect((await call('common', 'login', ['plantwire', 'admin', 'plantwire-odoo-demo-key'])).result).toBe(2);
    expect((await call('common', 'authenticate', ['plantwire', 'admin', 'wrong', {}])).result).toBe(false);
  });

  it('faults come in Odoo shape: ValidationError, AccessDenied, MissingError, unknown database', async () => {
    const v = await kw('mrp.production', 'create', [{ product_id: 1, product_qty: -5 }]);
    expect(v.result).toBeUndefined();
    expect(v.error).toMatchObject({ code: 200, message: 'Odoo Server Error', data: { name: 'odoo.exceptions.ValidationError', message: 'The quantity to produce must be positive!', arguments: ['The quantity to produce must be positive!'] } });
    expect(v.error!.data.debug).toContain('Traceback');
    const denied = await kw('mrp.production', 'search', [[]], {}, 'wrong');
    expect(denied.error!.data).toMatchObject({ name: 'odoo.exceptions.AccessDenied', message: 'Access Denied' });
    const missing = await kw('maintenance.request', 'read', [[999]]);
    expect(missing.error!.data.name).toBe('odoo.exceptions.MissingError');
    expect(missing.error!.data.message).toBe('Record does not exist or has been deleted.\n(Record: maintenance.request(999,), User: 2)');
    const db = await call('common', 'authenticate', ['nope', 'admin', 'admin', {}]);
    expect(db.error!.data.message).toContain('database "nope" does not exist');
    const priv = await kw('mrp.production', '_compute_state', [[1]]);
    expect(priv.error!.data.name).toBe('odoo.exceptions.AccessError');
    const model = await kw('sale.order', 'search', [[]]);
    expect(model.error!.data.message).toBe("Object sale.order doesn't exist");
  });

  it('create (one or a list), search, search_count, read, write, unlink; one bad record in a list creates nothing', async () => {
    const one = await kw('maintenance.request', 'create', [{ name: 'A', priority: '1' }]);
    expect(one.result).toEqual(expect.any(Number));
    const list = await kw('maintenance.request', 'create', [[{ name: 'B' }, { name: 'C', maintenance_type: 'preventive' }]]);
    expect(list.result).toEqual([(one.result as number) + 1, (one.result as number) + 2]);
    const bad = await kw('maintenance.request', 'create', [[{ name: 'D' }, { name: 'E', priority: 'urgent' }]]);
    expect(bad.error!.data.name).toBe('builtins.ValueError');
    expect((await kw('maintenance.request', 'search_count', [[]])).result).toBe(3);
    // maintenance.request's default order is id desc, as in Odoo
    expect((await kw('maintenance.request', 'search', [[]])).result).toEqual([3, 2, 1].map((i) => (one.result as number) + i - 1));
    expect((await kw('maintenance.request', 'search', [['|', ['name', '=', 'A'], ['maintenance_type', '=', 'preventive']]], { order: 'id' })).result).toEqual([one.result, (one.result as number) + 2]);
    expect((await kw('maintenance.request', 'search', [['!', ['name', 'in', ['A', 'B']]]])).result).toEqual([(one.result as number) + 2]);
    expect((await kw('maintenance.request', 'write', [[one.result], { equipment_id: 1, description: 'filler valve' }])).result).toBe(true);
    const read = await kw('maintenance.request', 'read', [[one.result]], { fields: ['equipment_id', 'stage_id', 'description'] });
    expect(read.result).toEqual([{ id: one.result, equipment_id: [1, 'Line1 Filler'], stage_id: [1, 'New Request'], description: 'filler valve' }]);
    expect((await kw('maintenance.request', 'unlink', [[one.result]])).result).toBe(true);
    expect(sim.records('maintenance.request').map((r) => r.name)).toEqual(['B', 'C']);
    const eq = await kw('maintenance.equipment', 'search_read', [[['name', 'ilike', 'capper']]], { fields: ['name'] });
    expect(eq.result).toEqual([
      { id: 2, name: 'Line1 Capper' },
      { id: 5, name: 'Line2 Capper' },
    ]);
  });

  it('mrp.production: names from the sequence, action_confirm, button_mark_done, no delete once confirmed', async () => {
    const ids = (await kw('mrp.production', 'create', [[{ product_id: 1, product_qty: 100 }, { product_id: 2, product_qty: 50 }]])).result as number[];
    const names = sim.records('mrp.production').map((r) => r.name);
    expect(names).toEqual(['WH/MO/00001', 'WH/MO/00002']);
    expect((await kw('mrp.production', 'button_mark_done', [[ids[0]]])).error!.data.name).toBe('odoo.exceptions.UserError');
    expect((await kw('mrp.production', 'action_confirm', [ids])).result).toBe(true);
    expect((await kw('mrp.production', 'button_mark_done', [[ids[0]]])).result).toBe(true);
    expect(sim.records('mrp.production').map((r) => [r.state, r.qty_producing])).toEqual([
      ['done', 100],
      ['confirmed', 0],
    ]);
    expect((await kw('mrp.production', 'unlink', [[ids[1]]])).error!.data.message).toBe('Manufacturing order WH/MO/00002 is confirmed: only draft or cancelled orders can be deleted.');
  });

  it('the demo page lists the stored records as JSON', async () => {
    await kw('maintenance.request', 'create', [{ name: 'Reject alarm', x_plantwire_key: 'a-1' }]);
    const page = (await (await fetch(`${sim.url}/plantwire/records`)).json()) as { database: string; records: Record<string, Array<Record<string, unknown>>> };
    expect(page.database).toBe('plantwire');
    expect(Object.keys(page.records).sort()).toEqual(['maintenance.request', 'mrp.production']);
    expect(page.records['maintenance.request']).toEqual([expect.objectContaining({ name: 'Reject alarm', x_plantwire_key: 'a-1', stage_id: [1, 'New Request'] })]);
    const one = await fetch(`${sim.url}/plantwire/records/mrp.production`);
    expect(await one.json()).toEqual([]);
    expect((await fetch(`${sim.url}/plantwire/records/nope`)).status).toBe(404);
    expect((await fetch(`${sim.url}/jsonrpc`)).status).toBe(405);
  });
});

describe('plantwire sim odoo (CLI)', () => {
  it('starts, answers JSON-RPC, and stops on Ctrl-C', async () => {
    let output = '';
    child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'sim', 'odoo', '--port', '0', '--database', 'clidb'], { cwd: PACKAGE_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const deadline = Date.now() + 15_000;
    let m: RegExpExecArray | null = null;
    while (!(m = /listening on (http:\/\/127\.0\.0\.1:\d+)\/jsonrpc, database "clidb"/.exec(output))) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`no start line: ${output}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    expect((await call('common', 'authenticate', ['clidb', 'admin', 'plantwire-odoo-demo-key', {}], m[1])).result).toBe(2);
    // the demo's confirmed production orders are there
    const orders = await call('object', 'execute_kw', ['clidb', 2, 'admin', 'mrp.production', 'search_read', [[['state', '=', 'confirmed']]], { fields: ['name', 'product_qty'] }], m[1]);
    expect(orders.result).toEqual([
      { id: 1, name: 'WH/MO/00001', product_qty: 20000 },
      { id: 2, name: 'WH/MO/00002', product_qty: 12000 },
    ]);
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child!.once('exit', resolve));
    expect(code, output).toBe(0);
  });
});
