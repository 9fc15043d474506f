/**
 * Capped, jittered exponential backoff for reconnecting: attempt 0 waits about
 * `initialMs`, every further attempt doubles, never more than `maxMs`. Each
 * delay is drawn from [base × (1 − jitter), base] so that many clients that lost
 * the same server do not come back in lockstep, and the cap is never exceeded.
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
