import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HttpClient, HttpError } from '../../src/connectors/http';
import { OdooDriver } from '../../src/connectors/erp/odoo';
import type { ErpRequest, ErpResult } from '../../src/connectors/erp/types';
import { startOdooSim, type OdooSim } from '../../src/sim/odoo';

/**
 * The simulator commits every call and then loses 30 % of the answers. Each
 * create is retried with the same idempotency key until it gets an answer, as
 * the erp-out buffer does; search-before-create on x_plantwire_key must keep
 * Odoo at exactly one record per key.
 */
let sim: OdooSim;
let http: HttpClient;

beforeAll(async () => {
  sim = await startOdooSim({ port: 0, seed: 7 });
});
afterAll(async () => {
  http?.close();
  await sim?.close();
});

async function createUntilDone(driver: OdooDriver, r: ErpRequest, counters: { retries: number }): Promise<ErpResult> {
  for (let attempt = 0; attempt < 200; attempt++) {
    try {
      return await driver.execute(r);
    } catch (err) {
      if (!(err instanceof HttpError) || !err.transient) throw err;
      counters.retries += 1;
    }
  }
  throw new Error(`${r.idempotencyKey}: no answer after 200 attempts`);
}

async function run(n: number, workers: number, timeoutMs: number): Promise<{ results: Map<string, ErpResult>; retries: number }> {
  http = new HttpClient({ timeoutMs });
  const driver = new OdooDriver({ kind: 'odoo', url: sim.url, database: 'plantwire', auth: 'apikey', user: 'admin', apiKey: 'plantwire-odoo-demo-key', timeoutMs }, http);
  const results = new Map<string, ErpResult>();
  const counters = { retries: 0 };
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async () => {
      while (next < n) {
        const i = next++;
        const key = `reject-alarm-${i}`;
        const r: ErpRequest = { operation: 'create', entity: 'maintenance.request', data: { name: `Reject alarm ${i}`, equipment_id: (i % 6) + 1, priority: '2' }, idempotencyKey: key, firstSentAt: new Date(), externalKeyField: 'x_plantwire_key' };
        results.set(key, await createUntilDone(driver, r, counters));
      }
    }),
  );
  http.close();
  return { results, retries: counters.retries };
}

describe('no duplicates when Odoo answers are lost after commit', () => {
  it('30 % of responses reset after commit: 1,000 creates retried with the same key give exactly 1,000 records', async () => {
    sim.reset();
    sim.faults.dropMode = 'reset';
    sim.faults.dropRate = 0.3;
    const dropped0 = sim.stats.dropped;
    const { results, retries } = await run(1000, 8, 5000);
    sim.faults.dropRate = 0;
    const dropped = sim.stats.dropped - dropped0;
    const replays = [...results.values()].filter((r) => r.replayed).length;
    console.log(`erp-odoo duplicates (reset): 1000 creates, ${dropped} answers dropped after commit, ${retries} retries, ${sim.stats.methods['maintenance.request.create']} create calls, ${replays} answered as replays`);
    const stored = sim.records('maintenance.request');
    expect(stored).toHaveLength(1000);
    expect(new Set(stored.map((r) => r.x_plantwire_key)).size).toBe(1000);
    expect(new Set(stored.map((r) => r.x_plantwire_key))).toEqual(new Set(results.keys()));
    // each key's result points at the record that holds that key
    const byId = new Map(stored.map((r) => [r.id, r]));
    for (const [key, res] of results) expect(byId.get(res.key as number)?.x_plantwire_key).toBe(key);
    // the fault really happened, and some creates were committed but unanswered (answered later as replays)
    expect(dropped).toBeGreaterThan(300);
    expect(replays).toBeGreaterThan(50);
  }, 120_000);

  it('batches resent as a whole after a lost answer (500 documents in batches of 5, 5 % of answers lost) do not duplicate', async () => {
    sim.reset();
    sim.faults.dropMode = 'reset';
    sim.faults.dropRate = 0.05;
    http = new HttpClient({ timeoutMs: 5000 });
    const driver = new OdooDriver({ kind: 'odoo', url: sim.url, database: 'plantwire', auth: 'none', user: 'admin', password: 'admin', timeoutMs: 5000 }, http);
    let batchResends = 0;
    let replayed = 0;
    for (let b = 0; b < 100; b++) {
      const reqs: ErpRequest[] = Array.from({ length: 5 }, (_, j) => ({ operation: 'create', entity: 'mrp.production', data: { product_id: 1, product_qty: b * 5 + j + 1 }, idempotencyKey: `count-${b}-${j}`, firstSentAt: new Date(), externalKeyField: 'x_plantwire_key' }));
      // a transport failure fails the whole call: the buffer sends the same batch again, with the same keys
      for (;;) {
        try {
          const out = await driver.executeBatch(reqs);
          expect(out.every((r) => !(r instanceof Error))).toBe(true);
          replayed += out.filter((r) => !(r instanceof Error) && r.replayed).length;
          break;
        } catch (err) {
          if (!(err instanceof HttpError) || !err.transient) throw err;
          batchResends += 1;
        }
      }
    }
    sim.faults.dropRate = 0;
    http.close();
    console.log(`erp-odoo duplicates (batches): 500 documents in 100 batches of 5, ${batchResends} batch resends, ${replayed} documents answered as replays`);
    const stored = sim.records('mrp.production');
    expect(stored).toHaveLength(500);
    expect(new Set(stored.map((r) => r.x_plantwire_key)).size).toBe(500);
    expect(stored.map((r) => r.product_qty).sort((x, y) => Number(x) - Number(y))).toEqual(Array.from({ length: 500 }, (_, i) => i + 1));
    expect(batchResends).toBeGreaterThan(20);
    expect(replayed).toBeGreaterThan(20);
  }, 120_000);

  it('answers that never come (client timeout) do not duplicate either', async () => {
    sim.reset();
    sim.faults.dropMode = 'hang';
    sim.faults.dropRate = 0.3;
    const dropped0 = sim.stats.dropped;
    // A 1 s client timeout: withheld answers still cost a retry each, while a busy CI machine
    // (answers late by a few hundred ms) does not turn every answer into a timeout.
    const { results, retries } = await run(100, 10, 1000);
    sim.faults.dropRate = 0;
    console.log(`erp-odoo duplicates (hang): 100 creates, ${sim.stats.dropped - dropped0} answers withheld, ${retries} retries after timeouts`);
    expect(sim.records('maintenance.request')).toHaveLength(100);
    expect(new Set(sim.records('maintenance.request').map((r) => r.x_plantwire_key)).size).toBe(100);
    expect(results.size).toBe(100);
    expect(retries).toBeGreaterThan(10);
  }, 120_000);
});
