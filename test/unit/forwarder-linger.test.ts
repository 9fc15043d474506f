/**
 * The Forwarder's batch wait (`lingerMs`, erp-out's "Batch wait"): a batch is
 * sent when it is full or when its oldest entry has waited `lingerMs`; a
 * backlog found at start (after a restart) is sent at once.
 */
import { describe, expect, it } from 'vitest';
import { Forwarder } from '../../src/buffer/forwarder';
import { openQueue } from '../../src/buffer/queue';

let n = 0;
const fresh = (): string => `linger-${process.pid}-${++n}`;

async function until(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('Forwarder lingerMs', () => {
  it('fills a batch up to batchSize instead of sending each entry as it arrives', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const batches: number[][] = [];
    const f = new Forwarder<number>(q, { batchSize: 10, lingerMs: 60_000, deliver: async (b) => void batches.push(b.map((e) => e.body)) });
    f.start();
    for (let i = 0; i < 25; i++) {
      await q.enqueue(i);
      f.notify();
      await new Promise((r) => setImmediate(r));
    }
    await until(() => batches.length === 2, 'two full batches');
    // The last 5 wait for more (the oldest of them is far younger than 60 s).
    await new Promise((r) => setTimeout(r, 100));
    expect(batches).toEqual([Array.from({ length: 10 }, (_, i) => i), Array.from({ length: 10 }, (_, i) => i + 10)]);
    expect(q.metrics().depth).toBe(5);
    await f.stop();
    await q.close();
  });

  it('sends a partial batch once its oldest entry has waited lingerMs', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    const batches: Array<{ at: number; body: number[] }> = [];
    const f = new Forwarder<number>(q, { batchSize: 100, lingerMs: 150, deliver: async (b) => void batches.push({ at: Date.now(), body: b.map((e) => e.body) }) });
    f.start();
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) await q.enqueue(i);
    f.notify();
    await until(() => batches.length === 1, 'the partial batch');
    expect(batches[0]!.body).toEqual([0, 1, 2]);
    expect(batches[0]!.at - t0).toBeGreaterThanOrEqual(140);
    await f.stop();
    await q.close();
  });

  it('a backlog present at start is sent at once, without waiting', async () => {
    const q = openQueue<number>({ name: fresh(), mode: 'memory' });
    for (let i = 0; i < 3; i++) await q.enqueue(i, Date.now());
    const batches: number[][] = [];
    const f = new Forwarder<number>(q, { batchSize: 100, lingerMs: 60_000, deliver: async (b) => void batches.push(b.map((e) => e.body)) });
    f.start();
    await until(() => batches.length === 1, 'the backlog sent');
    expect(batches[0]).toEqual([0, 1, 2]);
    await f.stop();
    await q.close();
  });
});
