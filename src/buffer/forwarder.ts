/**
 * Pulls batches from a queue in FIFO order and hands them to a sink-supplied
 * async `deliver(batch)`. An entry leaves the queue only after `deliver`
 * resolved (at-least-once). A failure is retried with capped, jittered
 * backoff unless the sink classifies it as permanent (`PermanentDeliveryError`),
 * in which case the batch goes to `onDeadLetter` and is removed. After an
 * outage the backlog is replayed at `replayRate` entries/s (0 = as fast as
 * the sink takes them) so the catch-up does not flood the sink.
 *
 * Per-entry acknowledgement (opt-in, used by plantwire-erp-out): `deliver`
 * gets a `settle(ids, outcome)` callback and may finish entries one by one —
 * a settled entry leaves the queue at once, whatever its neighbours do — and
 * may resolve with a `DeliveryOutcome` that says why the rest is not done.
 * An attempt that settled anything is progress: the failure count starts
 * again, so backoff grows only over consecutive attempts without progress.
 * `retryAtOnce(err, failures)` lets a sink retry without a pause (e.g. the
 * first retry of a document whose answer was lost). Sinks that resolve void
 * and never call `settle` behave as before: the whole batch is acknowledged.
 */
import { backoffDelay } from '../model/backoff';
import { toError } from '../model/errors';
import { batchFull, flushDecision, flushPolicy, type FlushPolicy } from './flush';
import type { Queue, QueueEntry, QueueMetrics } from './queue';

/**
 * Thrown by a sink's `deliver` for entries that will never be accepted (bad data): they are dead-lettered, not retried.
 * A failure that carries `retryAfterMs` (e.g. an HttpError from a 429/503 with Retry-After) waits at least that long.
 */
export class PermanentDeliveryError extends Error {
  constructor(message: string, readonly entries?: number[]) {
    super(message);
    this.name = 'PermanentDeliveryError';
  }
}

export type ForwarderPhase = 'idle' | 'delivering' | 'buffering' | 'replaying' | 'stopped';

export interface ForwarderState extends QueueMetrics {
  phase: ForwarderPhase;
  /** Why entries are buffered (the last delivery error), when phase is 'buffering'. */
  reason: string;
  /** Entries/s delivered over the last seconds while replaying. */
  rate: number;
  oldestAgeMs: number | null;
  /** With a flush policy: entries held back until their batch is full or due (0 otherwise). */
  collecting: number;
}

/** What a per-entry sink reports for a batch: entries not listed here (nor settled) are retried, with `error` as the reason. */
export interface DeliveryOutcome {
  delivered?: number[];
  deadLettered?: number[];
  error?: Error;
}

export type SettleFn = (ids: number[], outcome: 'delivered' | 'dead-letter') => void;

/**
 * What a delivery attempt gets besides its batch. The timeout (`deliverTimeoutMs`) is per part, not per
 * attempt: it starts again whenever the sink settles an entry or calls `progress()` (a part of the batch —
 * an object, a request, an entry sent alone — was confirmed), so a big batch on a slow but working target
 * is not cut off and retried from the start for ever. `signal` is aborted when the attempt timed out or the
 * forwarder stopped while it ran (after a 2 s grace): the sink stops sending further parts and aborts the one in
 * flight (the forwarder has moved on; what it did not settle is sent again).
 */
export interface DeliveryContext {
  progress(): void;
  readonly signal: AbortSignal;
}

export interface ForwarderOptions<T> {
  deliver(batch: QueueEntry<T>[], settle: SettleFn, ctx: DeliveryContext): Promise<void | DeliveryOutcome>;
  /** Retry a failed attempt at once instead of after the backoff (default: never). */
  retryAtOnce?(err: Error, failures: number): boolean;
  /** Entries per deliver call (default 100). */
  batchSize?: number;
  /** Replay rate cap in entries/s while catching up after an outage (0 = unlimited). */
  replayRate?: number;
  /** Backoff after a failed delivery (the shared src/model/backoff.ts): about `minBackoffMs` (default 500), doubling to at most `maxBackoffMs` (default 15,000), jittered down by up to 30 %. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** A deliver call that confirms nothing (no settled entry, no progress()) for this long counts as failed (retried; default 30,000): each part of a batch gets this time. */
  deliverTimeoutMs?: number;
  isPermanent?(err: Error): boolean;
  onDeadLetter?(entries: QueueEntry<T>[], err: Error): void;
  onState?(state: ForwarderState): void;
  /** Called for each delivery failure (e.g. to log it once per outage). */
  onError?(err: Error, attempt: number): void;
  /**
   * Batch sinks (one object/request per delivery): hold entries until `count`
   * entries or `bytes` wait or the oldest is `ms` old (see ./flush.ts). Batches
   * then hold at most `count` entries (this replaces batchSize), and whatever
   * waits is delivered once more when the forwarder stops.
   */
  flush?: { count: number; bytes?: number; ms?: number };
  /**
   * Retry a failed batch with exactly the same entries (not a bigger batch
   * that new entries would make), so a sink's batch identity (idempotency key,
   * object key) is the same on every attempt. Default: on with `flush`.
   */
  stableRetry?: boolean;
}

const sleep = (ms: number, signal: { wake?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal.wake = undefined;
      resolve();
    }
    signal.wake = done;
  });

/** true when `p` settled within `ms` (the timer is cleared either way). */
async function settlesWithin(p: Promise<unknown> | null, ms: number): Promise<boolean> {
  if (!p) return true;
  let t: NodeJS.Timeout | undefined;
  const settled = await Promise.race([p.then(() => true, () => true), new Promise<boolean>((r) => (t = setTimeout(() => r(false), ms)))]);
  clearTimeout(t);
  return settled;
}

export class Forwarder<T = unknown> {
  private running = false;
  private loop: Promise<void> | null = null;
  private readonly waker: { wake?: () => void } = {};
  private phase: ForwarderPhase = 'idle';
  private reason = '';
  private failures = 0;
  private replaying = false;
  private window: Array<{ at: number; n: number }> = [];
  private lastStateKey = '';
  private readonly batchSize: number;
  private readonly replayRate: number;
  private readonly flush: FlushPolicy | null;
  private readonly stableRetry: boolean;
  /** The batch that failed last: retried as is (stableRetry). */
  private failed: { firstId: number; count: number } | null = null;
  /** Waiting for a batch to fill (flush policy): only a full batch wakes the loop early. */
  private holding = false;
  /** stop() was called: deliver what waits once more, without waiting for the flush thresholds. */
  private draining = false;
  /** Sleeping after a failed delivery. */
  private backingOff = false;
  /** Failures of the current streak that were retried at once (retryAtOnce). */
  private prompted = 0;
  /** Ends the delivery attempt in flight (aborts its signal, fails it): stop() calls it when the attempt outlives the grace time. */
  private cancel: ((err: Error) => void) | null = null;
  /** stop() cut the attempt in flight short: the loop ends without reporting that as a delivery failure. */
  private halted = false;

  constructor(readonly queue: Queue<T>, private readonly opts: ForwarderOptions<T>) {
    this.flush = opts.flush ? flushPolicy(opts.flush) : null;
    this.batchSize = this.flush ? this.flush.count : Math.max(1, opts.batchSize ?? 100);
    this.replayRate = Math.max(0, opts.replayRate ?? 0);
    this.stableRetry = opts.stableRetry ?? this.flush !== null;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.draining = false;
    this.halted = false;
    // Entries left from before a restart are a backlog: replay them at the replay rate.
    if (this.queue.metrics().depth > 0) this.replaying = true;
    this.loop = this.run().catch((err: unknown) => {
      this.reason = toError(err).message;
      this.opts.onError?.(toError(err), -1);
    });
  }

  /** New entries were committed, or the sink is reachable again: try now instead of waiting. */
  notify(): void {
    if (this.backingOff) return;
    if (this.holding && this.flush) {
      const m = this.queue.metrics();
      // Collecting a batch: a new entry only matters once the batch is full (the timer handles the rest).
      if (!batchFull(m.depth, m.bytes, this.flush)) return;
    }
    this.waker.wake?.();
  }

  /** Retry now (e.g. the sink's connection came back), skipping the remaining backoff. */
  kick(): void {
    this.failures = Math.min(this.failures, 1);
    this.waker.wake?.();
  }

  async stop(): Promise<void> {
    // Batch sinks: what is still collecting gets one delivery attempt (a memory buffer would lose it).
    this.draining = this.flush !== null && this.running && this.failures === 0;
    this.running = false;
    this.waker.wake?.();
    // A delivery in flight is not waited for beyond a moment: its entries stay queued (at-least-once).
    // After that moment the attempt is aborted (its signal tells the sink to send no further part) and the loop
    // ends: what the sink settled so far is written to the queue before the caller closes it, and no part of the
    // batch is still being sent while a redeployed node sends the batch again.
    if (!(await settlesWithin(this.loop, 2000)) && this.cancel) {
      this.halted = true;
      this.draining = false;
      this.cancel(new Error('the sink stopped before the target confirmed delivery'));
      await settlesWithin(this.loop, 2000);
    }
    this.setPhase('stopped');
  }

  state(): ForwarderState {
    const m = this.queue.metrics();
    const now = Date.now();
    this.window = this.window.filter((w) => now - w.at < 5000);
    const span = this.window.length ? Math.max(1000, now - this.window[0]!.at) : 1000;
    const rate = Math.round((this.window.reduce((a, w) => a + w.n, 0) * 1000) / span);
    return { ...m, phase: this.phase, reason: this.reason, rate, oldestAgeMs: m.oldestTs === null ? null : Math.max(0, now - m.oldestTs), collecting: this.holding ? m.depth : 0 };
  }

  private setPhase(phase: ForwarderPhase, reason = this.reason): void {
    this.phase = phase;
    this.reason = reason;
    const s = this.state();
    // Report phase changes at once, depth changes at most by the hundred/ every call when small.
    const key = `${s.phase}|${s.reason}|${s.depth < 100 ? s.depth : Math.floor(s.depth / 100)}|${s.dropped}|${Math.floor(s.rate / 10)}|${s.collecting}`;
    if (key === this.lastStateKey) return;
    this.lastStateKey = key;
    this.opts.onState?.(s);
  }

  private async run(): Promise<void> {
    let tokens = this.replayRate;
    let lastRefill = Date.now();
    while (this.running || this.draining) {
      if (!this.running) {
        // Final drain (stop): deliver what waits, one attempt per batch, no backoff.
        const rest = this.queue.peek(this.batchSize);
        if (rest.length === 0) break;
        try {
          const done = new Set<number>();
          const outcome = await this.attempt((ctx) =>
            this.opts.deliver(
              rest,
              (ids, how) => {
                // A settle after the attempt was cut short (stop): the queue may be closed; those entries are sent again.
                if (ctx.signal.aborted) return;
                ctx.progress();
                const fresh = ids.filter((id) => !done.has(id));
                fresh.forEach((id) => done.add(id));
                this.queue.ack(fresh, how);
              },
              ctx,
            ),
          );
          if (outcome) {
            // Per-entry sinks: what they did not finish stays queued.
            if (outcome.delivered?.length) this.queue.ack(outcome.delivered.filter((id) => !done.has(id)), 'delivered');
            if (outcome.deadLettered?.length) this.queue.ack(outcome.deadLettered.filter((id) => !done.has(id)), 'dead-letter');
            break;
          }
          const left = rest.filter((b) => !done.has(b.id));
          if (left.length) this.queue.ack(left.map((b) => b.id), 'delivered');
        } catch (err) {
          if (!this.halted) this.opts.onError?.(toError(err), -1);
          break;
        }
        continue;
      }
      let limit = this.batchSize;
      if (this.replaying && this.replayRate > 0) {
        const now = Date.now();
        tokens = Math.min(this.replayRate, tokens + ((now - lastRefill) * this.replayRate) / 1000);
        lastRefill = now;
        if (tokens < 1) {
          await sleep(Math.ceil(((1 - tokens) * 1000) / this.replayRate), {});
          continue;
        }
        limit = Math.min(limit, Math.floor(tokens));
      }
      let batch = this.queue.peek(limit);
      if (batch.length === 0) {
        if (this.replaying) this.replaying = false;
        this.holding = false;
        this.setPhase('idle', '');
        if (!this.running) break;
        await sleep(1000, this.waker);
        continue;
      }
      if (this.stableRetry && this.failed && batch[0]!.id === this.failed.firstId) {
        // The same batch as the failed attempt, not a bigger one.
        batch = batch.slice(0, this.failed.count);
      } else if (this.flush) {
        // A backlog (after an outage or a restart) is old, so it is due at once; young entries collect even while replaying.
        const d = flushDecision(batch, this.flush, Date.now());
        if (d.take === 0) {
          this.holding = true;
          this.setPhase('idle', '');
          await sleep(Math.max(1, Math.min(d.waitMs, 60_000)), this.waker);
          this.holding = false;
          continue;
        }
        batch = batch.slice(0, d.take);
      }
      this.holding = false;
      if (this.phase !== 'buffering') this.setPhase(this.replaying ? 'replaying' : 'delivering');
      // Entries the sink finished one by one during this attempt (they leave the queue at once).
      const settled = new Set<number>();
      let settledDelivered = 0;
      const inBatch = new Set(batch.map((b) => b.id));
      // Settled entries are done for this process at once (never sent again); their removal from the queue is written
      // when the attempt ends, one transaction per attempt (a crash before that: sent again with the same key).
      const toAck: Record<'delivered' | 'dead-letter', number[]> = { delivered: [], 'dead-letter': [] };
      const settle: SettleFn = (ids, outcome) => {
        const fresh = ids.filter((id) => inBatch.has(id) && !settled.has(id));
        if (!fresh.length) return;
        for (const id of fresh) settled.add(id);
        toAck[outcome].push(...fresh);
        if (outcome === 'delivered') settledDelivered += fresh.length;
      };
      const writeAcks = (): void => {
        if (toAck.delivered.length) this.queue.ack(toAck.delivered.splice(0), 'delivered');
        if (toAck['dead-letter'].length) this.queue.ack(toAck['dead-letter'].splice(0), 'dead-letter');
      };
      let failure: Error | null = null;
      try {
        const outcome = await this.attempt((ctx) =>
          this.opts.deliver(
            batch,
            (ids, how) => {
              ctx.progress();
              settle(ids, how);
            },
            ctx,
          ),
        );
        if (outcome) {
          if (outcome.delivered?.length) settle(outcome.delivered, 'delivered');
          if (outcome.deadLettered?.length) settle(outcome.deadLettered, 'dead-letter');
          if (settled.size < batch.length) failure = outcome.error ?? new Error(`the sink finished ${settled.size} of ${batch.length} entries`);
        }
      } catch (err) {
        failure = toError(err);
      }
      writeAcks();
      // stop() cut the attempt short: what was settled is written, the rest stays queued for the next start.
      if (this.halted) break;
      if (failure) {
        const e = failure;
        const rest = batch.filter((b) => !settled.has(b.id));
        if (e instanceof PermanentDeliveryError || this.opts.isPermanent?.(e)) {
          const ids = e instanceof PermanentDeliveryError && e.entries ? new Set(e.entries) : null;
          const bad = ids ? rest.filter((b) => ids.has(b.id)) : rest;
          this.opts.onDeadLetter?.(bad, e);
          this.queue.ack(bad.map((b) => b.id), 'dead-letter');
          this.failed = null;
          continue;
        }
        // Progress (some entries finished) resets the count: backoff grows only over attempts that finish nothing.
        const progress = settled.size > 0;
        this.failures = progress ? 1 : this.failures + 1;
        if (settledDelivered) this.window.push({ at: Date.now(), n: settledDelivered });
        this.replaying = true;
        this.failed = rest.length ? { firstId: rest[0]!.id, count: rest.length } : null;
        tokens = 0;
        this.opts.onError?.(e, this.failures);
        this.setPhase('buffering', e.message);
        if (progress) this.prompted = 0;
        if (this.opts.retryAtOnce?.(e, this.failures)) {
          this.prompted += 1;
          continue;
        }
        const min = this.opts.minBackoffMs ?? 500;
        const max = this.opts.maxBackoffMs ?? 15_000;
        // Retries made at once do not count towards the backoff: it starts at min after them.
        const backoff = backoffDelay(this.failures - 1 - this.prompted, { initialMs: min, maxMs: max });
        // A server that said when to come back (HTTP Retry-After on 429/503) is obeyed, up to 10× the cap.
        const asked = (e as { retryAfterMs?: unknown }).retryAfterMs;
        const delay = typeof asked === 'number' && asked > backoff ? Math.min(asked, max * 10) : backoff;
        // New entries do not cut the backoff short (that would retry once per incoming message and ignore Retry-After); kick() and stop() do.
        this.backingOff = true;
        if (this.running) await sleep(delay, this.waker);
        this.backingOff = false;
        continue;
      }
      this.failures = 0;
      this.prompted = 0;
      this.failed = null;
      const rest = batch.filter((b) => !settled.has(b.id));
      if (rest.length) this.queue.ack(rest.map((b) => b.id), 'delivered');
      if (this.replaying && this.replayRate > 0) tokens -= batch.length;
      this.window.push({ at: Date.now(), n: rest.length + settledDelivered });
      this.setPhase(this.replaying ? 'replaying' : 'delivering', '');
    }
  }

  /** Runs one delivery attempt under the per-part timeout (see DeliveryContext): it restarts on every confirmed part. */
  private attempt<R>(run: (ctx: DeliveryContext) => Promise<R>): Promise<R> {
    const ms = this.opts.deliverTimeoutMs ?? 30_000;
    const abort = new AbortController();
    let t: NodeJS.Timeout | undefined;
    let fail: (err: Error) => void = () => undefined;
    const expired = new Promise<never>((_, reject) => (fail = reject));
    // Once the attempt ended (resolved, failed, timed out or stopped) nothing re-arms the timer: a late progress()
    // (a target confirming queued parts after the attempt gave up) would leave a timer behind.
    let finished = false;
    const end = (err: Error): void => {
      if (finished) return;
      finished = true;
      clearTimeout(t);
      abort.abort(err);
      fail(err);
    };
    const arm = (): void => {
      clearTimeout(t);
      t = setTimeout(() => end(new Error(`the sink did not confirm delivery within ${ms} ms`)), ms);
    };
    arm();
    const ctx: DeliveryContext = {
      progress: () => {
        if (!finished) arm();
      },
      signal: abort.signal,
    };
    this.cancel = end;
    let p: Promise<R>;
    try {
      p = run(ctx);
    } catch (err) {
      p = Promise.reject(err);
    }
    return Promise.race([p, expired]).finally(() => {
      finished = true;
      clearTimeout(t);
      if (this.cancel === end) this.cancel = null;
    });
  }
}

/** The status text of a buffered sink: "buffering 1,234 — broker unreachable", "replaying 40/s (1,200 left)". */
export function bufferStatus(s: ForwarderState): { state: 'ok' | 'busy' | 'error' | 'idle'; text: string } | null {
  const n = (x: number): string => x.toLocaleString('en-US');
  const dropped = s.dropped ? `, ${n(s.dropped)} dropped` : '';
  if (s.phase === 'buffering') return { state: 'busy', text: `buffering ${n(s.depth)}${dropped} — ${s.reason}` };
  if (s.phase === 'replaying') return { state: 'busy', text: `replaying ${n(s.rate)}/s (${n(s.depth)} left)${dropped}` };
  if (s.dropped && s.depth === 0) return { state: 'ok', text: `delivered ${n(s.delivered)}${dropped}` };
  if (s.collecting > 0) return { state: 'ok', text: `collecting ${n(s.collecting)} for the next batch${dropped}` };
  return null;
}
