/**
 * The forwarder's per-entry acknowledgement (used by plantwire-erp-out): a
 * settled entry leaves the queue whatever its neighbours do; an attempt that
 * settled anything is progress and starts the failure count again; retryAtOnce
 * skips the pause (a lost answer), and the backoff after such prompt retries
 * starts at the minimum. Sinks that never settle keep the old behaviour.
 */
import { describe, expect, it } from 'vitest';
import { Forwarder, type DeliveryOutcome, type SettleFn } from '../../src/buffer/forwarder';
import { openQueue, type QueueEntry } from '../../src/buffer/queue';

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function queueOf(n: number) {
  const q = openQueue<number>({ name: `q${Math.random()}`, mode: 'memory', overflow: 'reject' });
  for (let i = 1; i <= n; i++) await q.enqueue(i);
  return q;
}

describe('forwarder: per-entry acknowledgement', () => {
  it('settled entries leave the queue at once although a later one fails; the retry starts with the failed one', async () => {
    const q = await queueOf(5);
    const attempts: number[][] = [];
    const failuresSeen: number[] = [];
    let lose = true;
    const f = new Forwarder<number>(q, {
      batchSize: 10,
      minBackoffMs: 10_000,
      async deliver(batch: QueueEntry<number>[], settle: SettleFn): Promise<DeliveryOutcome> {
        attempts.push(batch.map((b) => b.body));
        for (const e of batch) {
          if (e.body === 3 && lose) {
            lose = false;
            return { error: new Error('connection reset by the server') };
          }
          settle([e.id], e.body === 4 ? 'dead-letter' : 'delivered');
        }
        return {};
      },
      retryAtOnce: (_err, failures) => {
        failuresSeen.push(failures);
        return true;
      },
    });
    f.start();
    await until(() => q.metrics().depth === 0);
    await f.stop();
    expect(attempts).toEqual([
      [1, 2, 3, 4, 5],
      [3, 4, 5],
    ]);
    // Progress in the failed attempt: the count started again at 1; the retry came at once (no 10 s backoff).
    expect(failuresSeen).toEqual([1]);
    expect(q.metrics()).toMatchObject({ delivered: 4, deadLettered: 1 });
  });

  it('backoff grows only over attempts without progress, and starts at the minimum after prompt retries', { timeout: 30_000 }, async () => {
    const q = await queueOf(3);
    const times: number[] = [];
    let failLeft = 3;
    const started = Date.now();
    const f = new Forwarder<number>(q, {
      batchSize: 10,
      minBackoffMs: 2000,
      maxBackoffMs: 60_000,
      async deliver(batch, settle) {
        times.push(Date.now() - started);
        if (failLeft-- > 0) return { error: new Error('connection reset by the server') };
        for (const e of batch) settle([e.id], 'delivered');
        return {};
      },
      // Two failures in a row are retried at once, the third waits.
      retryAtOnce: (_err, failures) => failures <= 2,
    });
    f.start();
    await until(() => q.metrics().depth === 0, 20_000);
    await f.stop();
    expect(times).toHaveLength(4);
    const gaps = times.slice(1).map((t, i) => t - times[i]!);
    // At once, at once (a pause would be ≥ 1.4 s), then the minimum backoff 2 s jittered down by up to 30 % (src/model/backoff.ts)
    // — not 2 s × 2² (≥ 5.6 s) for the third failure.
    expect(gaps[0]).toBeLessThan(1000);
    expect(gaps[1]).toBeLessThan(1000);
    expect(gaps[2]).toBeGreaterThanOrEqual(1390);
    expect(gaps[2]).toBeLessThan(5000);
  });

  it('a sink that resolves without settling has its whole batch acknowledged, as before', async () => {
    const q = await queueOf(4);
    const f = new Forwarder<number>(q, { batchSize: 10, async deliver() {} });
    f.start();
    await until(() => q.metrics().depth === 0);
    await f.stop();
    expect(q.metrics().delivered).toBe(4);
  });
});
