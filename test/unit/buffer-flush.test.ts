/**
 * Flush on count / bytes / time for batch sinks: the pure decision, and the
 * Forwarder using it (memory queue). Only generous bounds on time.
 */
import { describe, expect, it } from 'vitest';
import { Forwarder, bufferStatus } from '../../src/buffer/forwarder';
import { flushDecision, flushPolicy } from '../../src/buffer/flush';
import { openQueue } from '../../src/buffer/queue';

let seq = 0;
const fresh = (): string => `flush${++seq}`;

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('flushDecision', () => {
  const e = (ts: number, bytes = 10): { ts: number; bytes: number } => ({ ts, bytes });
  const p = flushPolicy({ count: 3, bytes: 100, ms: 1000 });

  it('waits while the batch is short, small and young; says how long', () => {
    expect(flushDecision([e(1000), e(1200)], p, 1500)).toEqual({ take: 0, waitMs: 500, reason: 'waiting' });
    expect(flushDecision([], p, 1500)).toMatchObject({ take: 0, reason: 'empty' });
  });
  it('flushes a full batch, a batch that reached the byte limit, or when the oldest is due', () => {
    expect(flushDecision([e(1000), e(1000), e(1000)], p, 1000)).toEqual({ take: 3, waitMs: 0, reason: 'count' });
    expect(flushDecision([e(1000, 60), e(1000, 50)], p, 1000)).toEqual({ take: 1, waitMs: 0, reason: 'bytes' });
    expect(flushDecision([e(1000, 50), e(1000, 50)], p, 1000)).toEqual({ take: 2, waitMs: 0, reason: 'bytes' });
    expect(flushDecision([e(1000, 500)], p, 1000)).toEqual({ take: 1, waitMs: 0, reason: 'bytes' });
    expect(flushDecision([e(1000), e(1900)], p, 2000)).toEqual({ take: 2, waitMs: 0, reason: 'time' });
    expect(flushDecision([e(1000)], p, 1001, true)).toEqual({ take: 1, waitMs: 0, reason: 'forced' });
  });
  it('validates the policy', () => {
    expect(flushPolicy({ count: 5 })).toEqual({ count: 5, bytes: Infinity, ms: 0 });
    expect(() => flushPolicy({ count: 0 })).toThrow(/flush count/);
    expect(() => flushPolicy({ count: 1, bytes: -1 })).toThrow(/flush bytes/);
    expect(() => flushPolicy({ count: 1, ms: -5 })).toThrow(/flush time/);
  });
});

describe('Forwarder with a flush policy', () => {
  it('delivers full batches on count, holds the rest, and drains it on stop', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const batches: number[][] = [];
    const f = new Forwarder<number>(q, { flush: { count: 10, ms: 600_000 }, deliver: async (b) => void batches.push(b.map((x) => x.body)) });
    f.start();
    for (let i = 0; i < 25; i++) {
      await q.enqueue(i);
      f.notify();
    }
    await until(() => batches.length === 2 && f.state().collecting === 5, 'two full batches, five collecting');
    expect(batches).toEqual([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10)]);
    expect(bufferStatus(f.state())).toEqual({ state: 'ok', text: 'collecting 5 for the next batch' });
    await f.stop();
    expect(batches[2]).toEqual([20, 21, 22, 23, 24]);
    expect(q.metrics().depth).toBe(0);
  });

  it('flushes a short batch once its oldest entry is due (one batch, not one per entry)', async () => {
    const q = openQueue<string>({ name: fresh(), mode: 'memory' });
    const got: Array<{ at: number; n: number }> = [];
    const f = new Forwarder<string>(q, { flush: { count: 1000, ms: 200 }, deliver: async (b) => void got.push({ at: Date.now(), n: b.length }) });
    f.start();
    const t0 = Date.now();
    for (const s of ['a', 'b', 'c']) {
      await q.enqueue(s);
      f.notify();
    }
    await until(() => got.length > 0, 'time flush');
    expect(got).toEqual([{ at: got[0]!.at, n: 3 }]);
    // Held at least about flushMs (generous lower bound; no upper bound asserted).
    expect(got[0]!.at - t0).toBeGreaterThanOrEqual(150);
    await f.stop();
  });

  it('cuts batches at the byte limit', async () => {
    const q = openQueue<string>({ name: fresh(), mode: 'memory' });
    const batches: number[] = [];
    const f = new Forwarder<string>(q, { flush: { count: 1000, bytes: 100, ms: 600_000 }, deliver: async (b) => void batches.push(b.reduce((a, x) => a + x.bytes, 0)) });
    f.start();
    for (let i = 0; i < 20; i++) {
      await q.enqueue('x'.repeat(18)); // 20 bytes as JSON
      f.notify();
    }
    await until(() => batches.length === 4, 'four batches of 100 bytes');
    expect(batches).toEqual([100, 100, 100, 100]);
    await f.stop();
  });

  it('retries a failed batch with exactly the same entries although more arrived', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    for (let i = 0; i < 3; i++) await q.enqueue(i);
    const attempts: Array<{ ids: number[]; ok: boolean }> = [];
    let up = false;
    const f = new Forwarder<number>(q, {
      flush: { count: 5, ms: 0 },
      minBackoffMs: 5,
      maxBackoffMs: 10,
      deliver: async (b) => {
        attempts.push({ ids: b.map((x) => x.id), ok: up });
        if (!up) throw new Error('receiver down');
      },
    });
    f.start();
    await until(() => attempts.length >= 1, 'first attempt');
    for (let i = 3; i < 13; i++) await q.enqueue(i);
    await until(() => attempts.length >= 3, 'retries');
    up = true;
    f.kick();
    await until(() => q.metrics().depth === 0, 'all delivered');
    const first = attempts[0]!.ids;
    expect(first).toEqual([1, 2, 3]);
    // Every attempt until the first success is the same batch; then full batches.
    const firstOk = attempts.findIndex((a) => a.ok);
    expect(attempts.slice(0, firstOk + 1).every((a) => a.ids.join() === first.join())).toBe(true);
    expect(attempts.slice(firstOk + 1).map((a) => a.ids)).toEqual([
      [4, 5, 6, 7, 8],
      [9, 10, 11, 12, 13],
    ]);
    await f.stop();
  });

  it('without a flush policy nothing changes: entries go out at once in batches up to batchSize', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const got: number[] = [];
    const f = new Forwarder<number>(q, { batchSize: 100, deliver: async (b) => void got.push(...b.map((x) => x.body)) });
    f.start();
    await q.enqueue(1);
    f.notify();
    await until(() => got.length === 1, 'single entry delivered without waiting for a batch');
    expect(f.state().collecting).toBe(0);
    await f.stop();
  });

  it('new entries do not cut a Retry-After short; kick() does', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const attempts: number[] = [];
    let up = false;
    const f = new Forwarder<number>(q, {
      flush: { count: 1, ms: 0 },
      minBackoffMs: 5,
      maxBackoffMs: 10_000,
      deliver: async () => {
        attempts.push(Date.now());
        if (!up) throw Object.assign(new Error('503 slow down'), { retryAfterMs: 60_000 });
      },
    });
    f.start();
    await q.enqueue(0);
    f.notify();
    await until(() => attempts.length === 1, 'first attempt');
    for (let i = 1; i <= 20; i++) {
      await q.enqueue(i);
      f.notify();
    }
    await new Promise((r) => setTimeout(r, 100));
    expect(attempts).toHaveLength(1);
    up = true;
    f.kick();
    await until(() => q.metrics().depth === 0, 'delivered after kick');
    await f.stop();
  });

  it('stop() after a failure does not drain (the entries stay buffered)', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    let calls = 0;
    const f = new Forwarder<number>(q, {
      flush: { count: 1, ms: 0 },
      minBackoffMs: 60_000,
      maxBackoffMs: 60_000,
      deliver: async () => {
        calls += 1;
        throw new Error('down');
      },
    });
    f.start();
    await q.enqueue(1);
    f.notify();
    await until(() => calls === 1, 'first attempt');
    await f.stop();
    expect(calls).toBe(1);
    expect(q.metrics().depth).toBe(1);
  });
});
