/**
 * The one retry backoff of Plantwire: every reconnect and retry loop in src/
 * draws its delays here (the config-node user registry, OPC UA, Modbus,
 * historian, email, cloud MQTT targets). Capped, jittered exponential:
 * attempt 0 waits about `initialMs`, every further attempt doubles, never more
 * than `maxMs`. Each delay is drawn from [base × (1 − jitter), base], so many
 * clients that lost the same server do not come back in lockstep and the cap
 * is never exceeded. `Backoff` counts the attempts and is reset on success.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  /** 0..1, default 0.3 */
  jitter?: number;
}

export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number = Math.random): number {
  const jitter = Math.min(1, Math.max(0, opts.jitter ?? 0.3));
  const n = Math.max(0, Math.floor(attempt));
  // 2^n overflows to Infinity for huge n; the cap keeps it finite.
  const base = Math.min(opts.maxMs, opts.initialMs * 2 ** Math.min(n, 52));
  const r = Math.min(1, Math.max(0, random()));
  return Math.round(base * (1 - jitter * r));
}

/** A retry loop's attempt counter on `backoffDelay`: `next()` after each failure, `reset()` on success. */
export class Backoff {
  private n = 0;

  constructor(
    private readonly opts: BackoffOptions,
    private readonly random: () => number = Math.random,
  ) {}

  /** Failed attempts since the last success. */
  get attempts(): number {
    return this.n;
  }

  /** Counts a failed attempt and returns the delay before the next one. */
  next(): number {
    const delay = backoffDelay(this.n, this.opts, this.random);
    this.n += 1;
    return delay;
  }

  /** The delay the next failure would get, without counting one. */
  peek(): number {
    return backoffDelay(this.n, this.opts, this.random);
  }

  /** A success: the next failure starts again at `initialMs`. */
  reset(): void {
    this.n = 0;
  }
}
