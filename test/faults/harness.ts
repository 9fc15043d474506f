/**
 * The fault-injection harness: one generator flow, one way to count what a
 * sink received, one report per scenario. Each sink kind plugs in through a
 * small `SinkAdapter` (test/faults/<sink>.test.ts): the config and sink nodes,
 * how to make the sink unreachable and reachable again, and what it received.
 *
 * Every generated message is a tag sample `{tag: T<seq mod tags>, value: seq,
 * sourceTimestamp: BASE + seq ms}`: (tag, seq) identifies it, so the receiver
 * counts a second arrival of the same (tag, seq) as a duplicate.
 */
import { expect } from 'vitest';
import { capture, TAB } from '../helpers/flows';
import type { TestRuntime } from '../helpers/runtime';

export const BASE_TS = Date.UTC(2026, 0, 5, 8, 0, 0);
export const TAGS = 4;

export interface Received {
  tag: string;
  seq: number;
  sourceTimestamp: string;
}

export interface SinkAdapter {
  kind: string;
  /** Config node(s) plus the sink node with id `sink` (tab1), with the buffer fields given. */
  nodes(buffer: Record<string, unknown>): Array<Record<string, unknown>>;
  /** The sink becomes unreachable (connection refused). */
  down(): Promise<void>;
  /** The sink is back. */
  up(): Promise<void>;
  /** What the sink received so far, in arrival order (duplicates included). */
  received(): Received[];
  /** Starts a scenario: forgets what was received; the sink publishes to the scenario's own place. */
  reset(scenario: string): void;
}

/** The admin payload for POST /inject/go that makes the generator send `n` messages from seq `from`. */
export const generate = (from: number, n: number): Record<string, unknown> => ({ __user_inject_props__: [{ p: 'payload', v: JSON.stringify({ from, n }), vt: 'json' }] });

/** The seqs of captured generator messages, in capture order. */
export const seqs = (list: Array<{ msg: Record<string, any> }>): number[] => list.map((c) => c.msg.payload.value as number);

export interface SinkMetrics {
  depth: number;
  dropped: number;
  delivered: number;
  state: string;
}

/** The buffer metrics of the sink node `sink` (GET /plantwire/buffer/sink). */
export async function sinkMetrics(rt: { admin<T>(method: string, path: string): Promise<{ status: number; body: T }> }): Promise<SinkMetrics> {
  const res = await rt.admin<SinkMetrics>('GET', '/plantwire/buffer/sink');
  expect(res.status, 'GET /plantwire/buffer/sink').toBe(200);
  return res.body;
}

/**
 * The generator: inject `go` (payload {from, n}) → function `gen` → the sink;
 * a Complete node reports each message the sink accepted (done() without error),
 * a Catch node each it refused; both to `accepted` / `refused` outputs.
 */
export function generatorNodes(accepted: string, refused: string): Array<Record<string, unknown>> {
  const func = `
const from = msg.payload.from, n = msg.payload.n;
for (let seq = from; seq < from + n; seq++) {
  const tag = 'T' + (seq % ${TAGS});
  node.send({ topic: tag, payload: { tag, value: seq, quality: 'good', sourceTimestamp: new Date(${BASE_TS} + seq).toISOString() } });
}
return null;`;
  return [
    { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '{"from":0,"n":1}', payloadType: 'json', once: false, repeat: '', x: 50, y: 40, wires: [['gen']] },
    { id: 'gen', type: 'function', z: 'tab1', name: 'generate', func, outputs: 1, x: 150, y: 40, wires: [['sink']] },
    { id: 'done', type: 'complete', z: 'tab1', scope: ['sink'], uncaught: false, x: 50, y: 200, wires: [[accepted]] },
    { id: 'catch', type: 'catch', z: 'tab1', scope: ['sink'], uncaught: false, x: 50, y: 260, wires: [[refused]] },
  ];
}

export interface Report {
  scenario: string;
  sent: number;
  accepted: number;
  delivered: number;
  duplicated: number;
  dropped: number;
}

/** Unique deliveries, duplicates, and whether each tag's first arrivals kept the send order. */
export function tally(received: Received[]): { unique: Map<number, Received>; duplicated: number; outOfOrder: string[] } {
  const unique = new Map<number, Received>();
  let duplicated = 0;
  const lastPerTag = new Map<string, number>();
  const outOfOrder: string[] = [];
  for (const r of received) {
    if (unique.has(r.seq)) {
      duplicated += 1;
      continue;
    }
    unique.set(r.seq, r);
    const last = lastPerTag.get(r.tag);
    if (last !== undefined && r.seq < last) outOfOrder.push(`${r.tag}: ${r.seq} after ${last}`);
    lastPerTag.set(r.tag, r.seq);
  }
  return { unique, duplicated, outOfOrder };
}

/**
 * The assertions every scenario makes: each accepted message was delivered
 * (with its original timestamp), nothing was delivered that was not sent,
 * order per tag kept, and the drop counter equal to what the policy dropped.
 */
export function check(opts: { scenario: string; kind: string; sent: number[]; accepted: number[]; received: Received[]; dropped: number; expectedDropped: number; expectedDelivered?: number[] }): Report {
  const { unique, duplicated, outOfOrder } = tally(opts.received);
  const sent = new Set(opts.sent);
  const report: Report = { scenario: `${opts.kind} ${opts.scenario}`, sent: opts.sent.length, accepted: opts.accepted.length, delivered: unique.size, duplicated, dropped: opts.dropped };
  console.log(`[faults] ${report.scenario}: sent ${report.sent}, accepted ${report.accepted}, delivered ${report.delivered}, duplicated ${report.duplicated}, dropped ${report.dropped}`);
  const missing = opts.accepted.filter((s) => !unique.has(s));
  expect(missing, 'accepted but never delivered').toEqual([]);
  expect([...unique.keys()].filter((s) => !sent.has(s)), 'delivered but never sent').toEqual([]);
  expect(outOfOrder, 'order per tag').toEqual([]);
  for (const r of unique.values()) expect(r.sourceTimestamp, `timestamp of ${r.seq}`).toBe(new Date(BASE_TS + r.seq).toISOString());
  expect(opts.dropped, 'drop counter').toBe(opts.expectedDropped);
  if (opts.expectedDelivered) expect([...unique.keys()].sort((a, b) => a - b)).toEqual(opts.expectedDelivered);
  return report;
}

export async function until(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export const range = (from: number, n: number): number[] => Array.from({ length: n }, (_, i) => from + i);

/**
 * Scenario 3a, the same for every sink: with the sink unreachable, 120
 * messages into a 50-entry disk buffer with drop-oldest keep exactly the
 * newest 50 (drop counter 70); once the sink is back, exactly those 50 arrive.
 * `delivered()` counts the distinct seqs the sink holds (it may query the sink).
 */
export async function dropOldestScenario(rt: TestRuntime, adapter: SinkAdapter, kind: string, delivered: () => number | Promise<number>): Promise<Report> {
  await adapter.down();
  await rt.deploy([TAB, ...adapter.nodes({ bufferMode: 'disk', bufferMaxEntries: 50, bufferOverflow: 'drop-oldest' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused')]);
  const before = await sinkMetrics(rt);
  await rt.admin('POST', '/inject/go', generate(0, 120));
  await rt.waitFor('accepted', 120, 30_000);
  const full = await sinkMetrics(rt);
  expect(full.depth).toBe(50);
  expect(full.dropped - before.dropped).toBe(70);
  await adapter.up();
  await until(async () => (await delivered()) >= 50, 'the 50 kept delivered');
  await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
  const m = await sinkMetrics(rt);
  return check({ scenario: 'size limit, drop-oldest', kind, sent: range(0, 120), accepted: range(70, 50), received: adapter.received(), dropped: m.dropped - before.dropped, expectedDropped: 70, expectedDelivered: range(70, 50) });
}
