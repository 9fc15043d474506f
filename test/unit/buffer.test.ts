import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { openSinkBuffer } from '../../src/runtime/buffer';
import { fakeNode } from '../helpers/fake-node';
import { Forwarder, PermanentDeliveryError, bufferStatus, type ForwarderState } from '../../src/buffer/forwarder';
import { openQueue, type OverflowPolicy, type Queue, type QueueEntry } from '../../src/buffer/queue';
import { bufferSettings } from '../../src/buffer/settings';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-buffer-unit-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
let seq = 0;
const fresh = (): string => `q${++seq}`;

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** A reference model of a bounded FIFO with an overflow policy (entry-count limit). */
function model(policy: OverflowPolicy, max: number, ops: number[]): { kept: number[]; dropped: number; rejected: number[] } {
  const kept: number[] = [];
  let dropped = 0;
  const rejected: number[] = [];
  for (const v of ops) {
    if (kept.length < max) kept.push(v);
    else if (policy === 'drop-oldest') {
      kept.shift();
      dropped += 1;
      kept.push(v);
    } else if (policy === 'drop-newest') dropped += 1;
    else rejected.push(v);
  }
  return { kept, dropped, rejected };
}

describe.each(['memory', 'disk'] as const)('openQueue (%s)', (mode) => {
  const open = <T>(extra: Partial<Parameters<typeof openQueue>[0]> = {}, name = fresh()): Queue<T> => openQueue<T>({ dir: root, name, mode, ...extra });

  it('keeps FIFO order, original timestamps and stable, increasing ids; ack removes', async () => {
    const q = open<{ v: number }>();
    const ts = Date.parse('2026-01-05T08:00:00Z');
    const results = await Promise.all([0, 1, 2, 3, 4].map((v) => q.enqueue({ v }, ts + v)));
    expect(results.every((r) => r.accepted)).toBe(true);
    const ids = results.map((r) => r.id!);
    expect([...ids].sort((a, b) => a - b)).toEqual(ids);
    const got = q.peek(10);
    expect(got.map((e) => e.body.v)).toEqual([0, 1, 2, 3, 4]);
    expect(got.map((e) => e.ts)).toEqual([0, 1, 2, 3, 4].map((v) => ts + v));
    expect(got[0]!.key).toBe(`${q.name}:${ids[0]}`);
    expect(q.ack([ids[0]!, ids[1]!])).toBe(2);
    expect(q.ack([ids[0]!])).toBe(0);
    expect(q.peek(10).map((e) => e.body.v)).toEqual([2, 3, 4]);
    expect(q.metrics()).toMatchObject({ depth: 3, delivered: 2, dropped: 0, oldestTs: ts + 2 });
    // Ids are never reused, even after the newest entries were deleted.
    q.ack(q.peek(10).map((e) => e.id));
    const next = await q.enqueue({ v: 9 });
    expect(next.id).toBeGreaterThan(ids[4]!);
    await q.close();
  });

  it('property: FIFO content and the drop counter match a reference model for every overflow policy', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom<OverflowPolicy>('drop-oldest', 'drop-newest', 'reject'), fc.integer({ min: 1, max: 8 }), fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), async (policy, max, values, chunk) => {
        const q = open<number>({ maxEntries: max, overflow: policy });
        const rejected: number[] = [];
        // Enqueue in chunks: several entries share one transaction, others not.
        for (let i = 0; i < values.length; i += chunk) {
          const part = values.slice(i, i + chunk);
          const rs = await Promise.allSettled(part.map((v) => q.enqueue(v)));
          rs.forEach((r, j) => {
            if (r.status === 'rejected') {
              expect((r.reason as { code?: string }).code).toBe('buffer-full');
              rejected.push(part[j]!);
            }
          });
        }
        const want = model(policy, max, values);
        expect(q.peek(100).map((e) => e.body)).toEqual(want.kept);
        expect(q.metrics().dropped).toBe(want.dropped);
        expect(q.metrics().depth).toBe(want.kept.length);
        expect(rejected).toEqual(want.rejected);
        await q.close();
      }),
      { numRuns: mode === 'disk' ? 40 : 150 },
    );
  });

  it('property: acknowledging any subset (prefix or scattered) removes exactly those, keeps FIFO and the byte count', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ maxLength: 20 }), { minLength: 1, maxLength: 25 }), fc.array(fc.boolean(), { minLength: 25, maxLength: 25 }), fc.boolean(), async (values, pick, prefix) => {
        const q = open<string>();
        await Promise.all(values.map((v) => q.enqueue(v)));
        const entries = q.peek(100);
        const chosen = prefix ? entries.slice(0, pick.filter(Boolean).length % (entries.length + 1)) : entries.filter((_, i) => pick[i]);
        expect(q.ack(chosen.map((e) => e.id))).toBe(chosen.length);
        const gone = new Set(chosen.map((e) => e.id));
        const rest = entries.filter((e) => !gone.has(e.id));
        expect(q.peek(100).map((e) => e.body)).toEqual(rest.map((e) => e.body));
        expect(q.metrics()).toMatchObject({ depth: rest.length, bytes: rest.reduce((a, e) => a + e.bytes, 0), delivered: chosen.length });
        await q.close();
      }),
      { numRuns: mode === 'disk' ? 30 : 150 },
    );
  });

  it('the byte limit drops the oldest entries until the new one fits', async () => {
    const q = open<string>({ maxBytes: 100, overflow: 'drop-oldest' });
    for (let i = 0; i < 5; i++) await q.enqueue('x'.repeat(28)); // 30 bytes as JSON
    const m = q.metrics();
    expect(m.depth).toBe(3);
    expect(m.bytes).toBe(90);
    expect(m.dropped).toBe(2);
    await expect(q.enqueue('y'.repeat(200))).rejects.toThrow(/larger than the whole buffer/);
    await q.close();
  });

  it('rejects what JSON cannot store, and enqueues after close', async () => {
    const q = open();
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(q.enqueue(cyclic)).rejects.toThrow(/cannot be buffered/);
    await q.close();
    await expect(q.enqueue(1)).rejects.toThrow(/closed/);
  });
});

describe('disk queue: durability across reopen', () => {
  it('entries, ids, timestamps and counters survive closing and reopening the file', async () => {
    const name = fresh();
    let q = openQueue<number>({ dir: root, name, mode: 'disk', maxEntries: 3, overflow: 'drop-oldest' });
    for (let i = 0; i < 5; i++) await q.enqueue(i, 1000 + i);
    q.ack([q.peek(1)[0]!.id]);
    const before = q.peek(10);
    await q.close();
    expect(fs.existsSync(path.join(root, `${name}.sqlite`))).toBe(true);
    q = openQueue<number>({ dir: root, name, mode: 'disk', maxEntries: 3 });
    expect(q.peek(10)).toEqual(before);
    expect(q.metrics()).toMatchObject({ depth: 2, dropped: 2, delivered: 1, oldestTs: 1003 });
    const r = await q.enqueue(99);
    expect(r.id).toBeGreaterThan(before.at(-1)!.id);
    await q.close();
  });

  it('5,000 concurrent enqueues (batched into shared transactions) all commit, in FIFO order', async () => {
    const q = openQueue<number>({ dir: root, name: fresh(), mode: 'disk', maxEntries: 1_000_000 });
    const n = 5000;
    await Promise.all(Array.from({ length: n }, (_, i) => q.enqueue(i)));
    expect(q.metrics().depth).toBe(n);
    expect(q.peek(n).map((e) => e.body)).toEqual(Array.from({ length: n }, (_, i) => i));
    await q.close();
  });
});

describe('Forwarder', () => {
  it('delivers in order, retries a failing sink with backoff and delivers everything once it is back', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const got: number[] = [];
    let up = false;
    let attempts = 0;
    const states: ForwarderState[] = [];
    const f = new Forwarder<number>(q, {
      batchSize: 7,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      deliver: async (batch) => {
        attempts += 1;
        if (!up) throw new Error('ERP unreachable');
        got.push(...batch.map((e) => e.body));
      },
      onState: (s) => states.push(s),
    });
    f.start();
    for (let i = 0; i < 50; i++) await q.enqueue(i);
    f.notify();
    await until(() => attempts >= 3, 'retries');
    expect(got).toEqual([]);
    expect(f.state().phase).toBe('buffering');
    expect(bufferStatus(f.state())).toEqual({ state: 'busy', text: 'buffering 50 — ERP unreachable' });
    up = true;
    f.kick();
    await until(() => got.length === 50, 'all delivered');
    expect(got).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(q.metrics()).toMatchObject({ depth: 0, delivered: 50 });
    expect(states.some((s) => s.phase === 'replaying')).toBe(true);
    await f.stop();
  });

  it('dead-letters what the sink rejects permanently and goes on with the rest', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const got: number[] = [];
    const dead: number[] = [];
    const f = new Forwarder<number>(q, {
      batchSize: 10,
      deliver: async (batch) => {
        const bad = batch.filter((e) => e.body < 0);
        if (bad.length) throw new PermanentDeliveryError('negative values are refused', bad.map((e) => e.id));
        got.push(...batch.map((e) => e.body));
      },
      onDeadLetter: (entries) => dead.push(...entries.map((e) => e.body)),
    });
    for (const v of [1, -2, 3, -4, 5]) await q.enqueue(v);
    f.start();
    await until(() => got.length === 3, 'good ones delivered');
    expect(got).toEqual([1, 3, 5]);
    expect(dead).toEqual([-2, -4]);
    expect(q.metrics()).toMatchObject({ depth: 0, delivered: 3, deadLettered: 2 });
    await f.stop();
  });

  it('replays a backlog no faster than the replay rate', async () => {
    const q2 = openQueue<number>({ name: fresh(), mode: 'memory' });
    for (let i = 0; i < 100; i++) await q2.enqueue(i);
    let delivered = 0;
    const f2 = new Forwarder<number>(q2, { batchSize: 100, replayRate: 40, deliver: async (b) => void (delivered += b.length) });
    const t1 = Date.now();
    f2.start();
    await until(() => delivered === 100, 'replayed at 40/s', 15_000);
    // 100 entries at 40/s take at least (100 - 40 initial tokens) / 40 = 1.5 s: a lower bound, never an upper one.
    expect(Date.now() - t1).toBeGreaterThanOrEqual(1400);
    await f2.stop();
  });

  it('a deliver that never answers times out and is retried (at-least-once)', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    await q.enqueue(1);
    let calls = 0;
    const f = new Forwarder<number>(q, {
      deliverTimeoutMs: 50,
      minBackoffMs: 5,
      deliver: (b: QueueEntry<number>[]) => {
        calls += 1;
        return calls === 1 ? new Promise<void>(() => undefined) : Promise.resolve(void b);
      },
    });
    f.start();
    await until(() => q.metrics().delivered === 1, 'delivered on retry');
    expect(calls).toBe(2);
    await f.stop();
  });

  it('the timeout is per part: settled entries and progress() restart it; a part that hangs times out and aborts the attempt', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    for (let i = 0; i < 10; i++) await q.enqueue(i);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    let calls = 0;
    let aborted = 0;
    const sent: number[] = [];
    const f = new Forwarder<number>(q, {
      batchSize: 10,
      deliverTimeoutMs: 400,
      minBackoffMs: 5,
      deliver: async (batch, settle, ctx) => {
        calls += 1;
        ctx.signal.addEventListener('abort', () => (aborted += 1));
        // 10 parts × 80 ms = 800 ms, twice the timeout; each part well within its own.
        for (const [i, e] of batch.entries()) {
          // The first attempt's fourth part hangs (longer than the timeout); the attempt is retried from there.
          await sleep(calls === 1 && i === 3 ? 900 : 80);
          if (ctx.signal.aborted) return;
          sent.push(e.body);
          if (i % 2 === 0) settle([e.id], 'delivered');
          else ctx.progress();
        }
      },
    });
    f.start();
    await until(() => q.metrics().depth === 0, 'all delivered', 10_000);
    await f.stop();
    expect(calls).toBe(2);
    expect(aborted, 'the hanging attempt was aborted').toBe(1);
    // Attempt 1 settled 0 and 2 (1 was only progress, sent again); attempt 2 sent the rest from 1 on, once each.
    expect(sent).toEqual([0, 1, 2, 1, 3, 4, 5, 6, 7, 8, 9]);
    expect(q.metrics().delivered).toBe(10);
  });

  it('stop() aborts an attempt that keeps reporting progress: no part is sent after stop, what was settled is acknowledged', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    for (let i = 0; i < 40; i++) await q.enqueue(i);
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    const sent: number[] = [];
    let signal: AbortSignal | undefined;
    const f = new Forwarder<number>(q, {
      batchSize: 40,
      deliverTimeoutMs: 500,
      deliver: async (batch, settle, ctx) => {
        signal = ctx.signal;
        // 40 parts × 100 ms: 4 s, far beyond stop()'s 2 s grace; each part restarts the per-part timeout.
        for (const e of batch) {
          if (ctx.signal.aborted) return;
          await sleep(100);
          sent.push(e.body);
          settle([e.id], 'delivered');
        }
      },
    });
    f.start();
    await until(() => sent.length >= 3, 'sending');
    const t0 = Date.now();
    await f.stop();
    expect(Date.now() - t0, 'stop() finishes after the grace').toBeLessThan(3000);
    expect(signal?.aborted, 'the attempt in flight was aborted').toBe(true);
    const atStop = sent.length;
    expect(atStop).toBeLessThan(40);
    // Settled entries were written to the queue before stop() returned (the caller closes the queue next).
    expect(q.metrics().delivered).toBe(atStop);
    expect(q.metrics().depth).toBe(40 - atStop);
    await sleep(400);
    expect(sent.length, 'no part sent after stop()').toBeLessThanOrEqual(atStop + 1);
    expect(q.metrics().delivered, 'a late settle is not written').toBe(atStop);
  });

  it('a progress() after the attempt ended starts no timer: the finished attempt is never aborted later', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    await q.enqueue(1);
    let ctx: { progress(): void; signal: AbortSignal } | undefined;
    const errors: Error[] = [];
    const f = new Forwarder<number>(q, {
      deliverTimeoutMs: 100,
      onError: (e) => errors.push(e),
      deliver: async (_b, _s, c) => {
        ctx = c;
      },
    });
    f.start();
    await until(() => q.metrics().delivered === 1, 'delivered');
    await f.stop();
    const timers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
    const before = timers();
    // A target confirming a queued part after the attempt resolved (mqtt.js finishing publishes after a drop).
    ctx!.progress();
    expect(timers(), 'no timer left behind').toBe(before);
    await new Promise((r) => setTimeout(r, 250));
    expect(ctx!.signal.aborted, 'no late timeout aborts the finished attempt').toBe(false);
    expect(errors).toEqual([]);
  });

  it("waits as long as the target's Retry-After asks (retryAfterMs on the error), not just the backoff", async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    await q.enqueue(1);
    const at: number[] = [];
    const f = new Forwarder<number>(q, {
      minBackoffMs: 5,
      maxBackoffMs: 50,
      deliver: async () => {
        at.push(Date.now());
        if (at.length === 1) throw Object.assign(new Error('429 Too Many Requests'), { retryAfterMs: 300 });
      },
    });
    f.start();
    await until(() => q.metrics().delivered === 1, 'delivered after Retry-After');
    expect(at).toHaveLength(2);
    // Backoff alone would retry after ≤ 6 ms; the server asked for 300 ms.
    expect(at[1]! - at[0]!).toBeGreaterThanOrEqual(290);
    await f.stop();
  });
});

describe('bufferSettings', () => {
  it('reads the dialog fields with defaults and names the field in errors', () => {
    expect(bufferSettings({})).toEqual({ mode: 'off', maxEntries: 100_000, maxBytes: 64 * 1024 * 1024, overflow: 'drop-oldest', replayRate: 0 });
    expect(bufferSettings({ bufferMode: 'disk', bufferMaxEntries: '500', bufferMaxMB: '1', bufferOverflow: 'reject', bufferReplayRate: '40' })).toEqual({ mode: 'disk', maxEntries: 500, maxBytes: 1048576, overflow: 'reject', replayRate: 40 });
    expect(() => bufferSettings({ bufferMode: 'tape' })).toThrow(/buffer must be off, memory or disk/);
    expect(() => bufferSettings({ bufferOverflow: 'panic' })).toThrow(/overflow policy/);
    expect(() => bufferSettings({ bufferMaxEntries: '0' })).toThrow(/buffer max entries must be at least 1/);
  });
});

describe('openSinkBuffer (the glue sinks use)', () => {
  it('off means no buffer; a permanent refusal reaches Catch nodes via node.error with the bodies and keys', async () => {
    const RED = { settings: { userDir: root } } as unknown as Parameters<typeof openSinkBuffer>[0];
    const node = fakeNode('dl-node');
    expect(openSinkBuffer(RED, node, bufferSettings({}), { deliver: async () => undefined, idleStatus: () => ({ state: 'ok', text: 'connected' }) })).toBeNull();
    const buf = openSinkBuffer<{ v: number }>(RED, node, bufferSettings({ bufferMode: 'memory' }), {
      deliver: async () => {
        throw new PermanentDeliveryError('HTTP 422: unknown material');
      },
      idleStatus: () => ({ state: 'ok', text: 'connected' }),
    })!;
    await buf.accept({ v: 7 });
    await until(() => node.errors.length === 1, 'dead letter reported');
    const { err, msg } = node.errors[0]!;
    expect(String(err)).toMatch(/1 buffered message\(s\) refused permanently .*HTTP 422: unknown material/);
    expect(msg).toMatchObject({ payload: [{ v: 7 }], deadLetter: [{ key: 'dl-node:1' }] });
    expect(buf.state()).toMatchObject({ depth: 0, deadLettered: 1, delivered: 0 });
    await buf.close(true);
  });
});
