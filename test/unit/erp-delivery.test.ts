/**
 * src/connectors/erp/delivery.ts: every document ends answered, refused or not
 * known, with a fake driver (the node tests run the same code against the ERP
 * simulators and SAP's CAP runtime).
 */
import { describe, expect, it } from 'vitest';
import { refusal, sendDocuments } from '../../src/connectors/erp/delivery';
import { ErpBusinessError, ErpOutcomeUnknown, type ErpDriver, type ErpRequest, type ErpResult } from '../../src/connectors/erp/types';
import { PlantwireError } from '../../src/model/errors';

const req = (n: number): ErpRequest => ({ operation: 'create', entity: 'Orders', data: { n }, idempotencyKey: `k${n}`, firstSentAt: new Date(0) });
const ok = (n: number): ErpResult => ({ document: { n }, key: String(n), status: 201 }) as ErpResult;

function driver(execute: (r: ErpRequest) => Promise<ErpResult>, batch?: (rs: ErpRequest[]) => Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>>): ErpDriver {
  return { kind: 'rest', test: async () => 'ok', execute, executeBatch: batch ?? (async () => []), query: async () => ({ rows: [] }) as never, close: () => undefined };
}

function run(d: ErpDriver, n: number, single: boolean) {
  const answered: number[] = [];
  const refused: number[] = [];
  const items = Array.from({ length: n }, (_, i) => ({ n: i, request: req(i) }));
  return sendDocuments(d, items, single, { answered: (it) => void answered.push(it.n), refused: (it) => void refused.push(it.n) }).then((error) => ({ error, answered, refused }));
}

describe('ERP delivery: each document answered, refused or not known', () => {
  it('single posts: a refusal is dead-lettered and the round goes on; a lost answer ends the round, the rest wait in order', async () => {
    const d = driver(async (r) => {
      const n = (r.data as { n: number }).n;
      if (n === 1) throw new ErpBusinessError('unknown material', 400, 'M7');
      if (n === 3) throw new ErpOutcomeUnknown('connection reset after the request');
      return ok(n);
    });
    const r = await run(d, 5, true);
    expect(r.answered).toEqual([0, 2]);
    expect(r.refused).toEqual([1]);
    expect(r.error).toBeInstanceOf(ErpOutcomeUnknown);
  });

  it('a batch: refusals in their slots, a short answer leaves the uncovered documents not known', async () => {
    const d = driver(
      async () => ok(0),
      async (rs) => [ok(0), new ErpBusinessError('locked', 409, undefined), ok(2)].slice(0, Math.min(3, rs.length)),
    );
    const r = await run(d, 5, false);
    expect(r.answered).toEqual([0, 2]);
    expect(r.refused).toEqual([1]);
    expect(r.error?.message).toMatch(/answered 3 results for 5 documents/);
  });

  it("refusals are the one delivery contract's permanent errors and the document's own shape, never an unknown outcome", () => {
    expect(refusal(new ErpOutcomeUnknown('lost'))).toBeNull();
    expect(refusal(new Error('plain'))).toBeNull();
    expect(refusal(new PlantwireError('erp-no-key', 'update needs the key'))?.httpStatus).toBeNull();
    expect(refusal(new PlantwireError('erp-timeout', 'timed out'))).toBeNull();
  });
});
