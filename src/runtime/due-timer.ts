/**
 * A timer for nodes that close windows or periods by the clock
 * (plantwire-window, plantwire-oee): one `setTimeout` armed for the next time
 * something is due, never sleeping longer than a minute (clock changes, long
 * windows), at least 5 ms. A failure in the work goes to the node's error
 * path (red status, Catch node) and the timer carries on.
 */
import { reportError } from './input';
import type { RedNode } from './types';

/** The timer never sleeps longer than this (clock changes, long windows). */
export const MAX_SLEEP_MS = 60_000;

export interface DueTimer {
  /** Arms the timer for the next due time, unless it is armed or stopped; call after anything that may bring the due time forward. */
  schedule(): void;
  /** Stops it for good (the node's close). */
  stop(): void;
}

/**
 * `dueAt(now)` gives the epoch ms when work is next due (Infinity: nothing
 * due); `run(now)` does the work when the timer fires.
 */
export function dueTimer(node: RedNode, dueAt: (now: number) => number, run: (now: number) => void): DueTimer {
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const schedule = (): void => {
    if (stopped || timer) return;
    const now = Date.now();
    const due = dueAt(now);
    if (!Number.isFinite(due)) return;
    timer = setTimeout(tick, Math.min(MAX_SLEEP_MS, Math.max(5, due - now)));
  };
  const tick = (): void => {
    timer = null;
    try {
      run(Date.now());
    } catch (err) {
      reportError(node, err);
    }
    schedule();
  };
  return {
    schedule,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
    },
  };
}
