/**
 * Fault injection for plantwire-erp-out (kind rest) with the durable disk
 * buffer: the ERP refusing connections for a while, answering 503 with
 * Retry-After, and losing 30 % of its answers after committing. The receiver
 * is the order service in test/helpers/erp.ts: every created order is one
 * arrival, so a document created twice counts as a duplicate — and for this
 * keyed sink (Idempotency-Key per document) there must be none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, statusOf, TAB } from '../helpers/flows';
import { erpConnection, erpOut, startRestService, type RestService } from '../helpers/erp';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { check, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received, type SinkAdapter } from './harness';

let svc: RestService;
let rt: TestRuntime;

const erpAdapter: SinkAdapter = {
  kind: 'erp-out',
  nodes: (buffer) => [erpConnection('erp', svc.url, { timeout: 2 }), erpOut('sink', 'erp', [[], []], { mapping: '{"tag": payload.tag, "seq": payload.value, "sourceTimestamp": payload.sourceTimestamp}', ...buffer })],
  down: () => svc.stopListening(),
  up: () => svc.listenAgain(),
  received: (): Received[] => [...svc.orders.values()].map((o) => ({ tag: String(o.tag), seq: Number(o.seq), sourceTimestamp: String(o.sourceTimestamp) })),
  reset: () => {
    svc.orders.clear();
    svc.requests.length = 0;
    svc.down = false;
    svc.dropAfterCommit = 0;
  },
};

beforeAll(async () => {
  svc = await startRestService();
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 20, retryMaxMs: 200 } } });
});
afterAll(async () => {
  await rt?.stop();
  await svc?.stop();
});

const unique = (): number => new Set(erpAdapter.received().map((r) => r.seq)).size;


const flow = (buffer: Record<string, unknown>): unknown[] => [TAB, ...erpAdapter.nodes(buffer), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')];

describe('erp-out durable buffer under faults', () => {
  it('1. ERP refusing connections for a while, then back: every document created once, in order per tag', async () => {
    erpAdapter.reset('unreachable');
    await rt.deploy(flow({ bufferMode: 'disk' }));
    await rt.admin('POST', '/inject/go', generate(0, 50));
    await until(() => unique() >= 50, 'live documents created', 30_000);
    await erpAdapter.down();
    await rt.admin('POST', '/inject/go', generate(50, 150));
    await rt.waitFor('accepted', 200, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d+ — /.test(c.msg.status?.text ?? '')), 'status says buffering');
    expect((await sinkMetrics(rt)).depth).toBeGreaterThan(0);
    await erpAdapter.up();
    await until(() => unique() >= 200, 'all created after recovery');
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    const r = check({ scenario: 'ERP unreachable then back', kind: 'erp-out', sent: range(0, 200), accepted: seqs(rt.captured('accepted')), received: erpAdapter.received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 200) });
    expect(r.duplicated).toBe(0);
    expect(rt.captured('refused')).toEqual([]);
  }, 120_000);

  it('1b. ERP answering 503 with Retry-After, then 30 % of the answers lost after commit: no loss, no duplicates', async () => {
    erpAdapter.reset('503-and-lost-answers');
    svc.down = true;
    await rt.deploy(flow({ bufferMode: 'disk' }));
    const before = await sinkMetrics(rt);
    await rt.admin('POST', '/inject/go', generate(0, 200));
    await rt.waitFor('accepted', 200, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d+ — /.test(c.msg.status?.text ?? '')), 'status says buffering');
    svc.dropAfterCommit = 0.3;
    svc.down = false;
    await until(() => unique() >= 200, 'all created');
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    const r = check({ scenario: '503, then 30 % answers lost', kind: 'erp-out', sent: range(0, 200), accepted: seqs(rt.captured('accepted')), received: erpAdapter.received(), dropped: m.dropped - before.dropped, expectedDropped: 0, expectedDelivered: range(0, 200) });
    expect(r.duplicated).toBe(0);
    expect(svc.requests.filter((q) => q.method === 'POST').length).toBeGreaterThan(200);
  }, 120_000);
});
