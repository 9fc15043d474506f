/**
 * Flush policy for batch sinks (S3 objects, webhook requests, …): a sink that
 * writes one object per delivery wants full batches, not one object per
 * message. The forwarder holds entries back until one threshold is reached:
 *
 *   - count: `count` entries are waiting (a batch never holds more), or
 *   - bytes: the waiting entries hold `bytes` bytes (a batch never holds more,
 *     except a single entry larger than that), or
 *   - time:  the oldest waiting entry is `ms` old.
 *
 * While fewer than `count` entries wait, they hold fewer than `bytes` and the
 * oldest is younger than `ms`, the forwarder waits (until the oldest is `ms`
 * old or a new entry fills the batch). A backlog (replay after an outage or a
 * restart) is old, hence due at once, and goes out in full batches; the final
 * drain on close (`force`) does not wait.
 */

export interface FlushPolicy {
  /** Entries per batch (≥ 1). */
  count: number;
  /** Bytes per batch (entry sizes as the buffer counts them); 0 or Infinity = no byte limit. */
  bytes: number;
  /** Longest time an entry waits for its batch to fill, ms; 0 = never wait. */
  ms: number;
}

export interface FlushEntry {
  ts: number;
  bytes: number;
}

export interface FlushDecision {
  /** Entries to deliver now (from the front); 0 = wait. */
  take: number;
  /** When `take` is 0: how long until the oldest entry is due. */
  waitMs: number;
  /** Why: 'count' | 'bytes' | 'time' | 'forced' | 'waiting' | 'empty'. */
  reason: 'count' | 'bytes' | 'time' | 'forced' | 'waiting' | 'empty';
}

/** Checks and normalises a policy (throws RangeError with a readable message). */
export function flushPolicy(p: { count: number; bytes?: number; ms?: number }): FlushPolicy {
  const count = Math.floor(p.count);
  if (!Number.isFinite(count) || count < 1) throw new RangeError(`flush count must be a whole number ≥ 1, got ${p.count}`);
  const bytes = p.bytes === undefined || p.bytes === 0 ? Infinity : p.bytes;
  if (!(bytes > 0)) throw new RangeError(`flush bytes must be > 0 (0 = no limit), got ${p.bytes}`);
  const ms = p.ms ?? 0;
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`flush time must be ≥ 0 ms, got ${p.ms}`);
  return { count, bytes, ms };
}

/**
 * What to do with the entries at the front of the queue (`entries`: the
 * oldest, at most `policy.count` of them, oldest first).
 */
export function flushDecision(entries: readonly FlushEntry[], policy: FlushPolicy, now: number, force = false): FlushDecision {
  if (entries.length === 0) return { take: 0, waitMs: policy.ms, reason: 'empty' };
  const limit = Math.min(entries.length, policy.count);
  let take = 0;
  let bytes = 0;
  while (take < limit) {
    const b = entries[take]!.bytes;
    if (take > 0 && bytes + b > policy.bytes) break;
    bytes += b;
    take += 1;
  }
  if (take < limit || bytes >= policy.bytes) return { take, waitMs: 0, reason: 'bytes' };
  if (take >= policy.count) return { take, waitMs: 0, reason: 'count' };
  if (force) return { take, waitMs: 0, reason: 'forced' };
  const age = now - entries[0]!.ts;
  if (age >= policy.ms) return { take, waitMs: 0, reason: 'time' };
  return { take: 0, waitMs: policy.ms - age, reason: 'waiting' };
}

/** true when the waiting entries already fill a batch (cheap check from the queue's counters). */
export function batchFull(depth: number, bytes: number, policy: FlushPolicy): boolean {
  return depth >= policy.count || bytes >= policy.bytes;
}
