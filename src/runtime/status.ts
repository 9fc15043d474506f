import { setStatus, type StatusState } from '../model/status';
import type { RedNode } from './types';

/** StatusState, statusObject, setStatus, clearStatus (and ConnectionState, ConnectionPhase, PHASE_STATUS) live in src/model/status.ts; re-exported here. */
export { clearStatus, connectionStatus, setStatus, statusObject, PHASE_STATUS, type ConnectionPhase, type ConnectionState, type StatusState } from '../model/status';

/**
 * For nodes whose status normally shows a connection or buffer state: runs one
 * message's work; when it throws, the input wrapper paints the status red, and
 * the next message that succeeds shows `current()` again instead of leaving the
 * red status up.
 */
export interface RecoveringStatus {
  (work: () => Promise<void>, current: () => { state: StatusState; text: string }): Promise<void>;
  /** True while the last message failed (its red status is up). */
  failed(): boolean;
}

export function recoveringStatus(node: Pick<RedNode, 'status'>): RecoveringStatus {
  let errored = false;
  const run = async (work: () => Promise<void>, current: () => { state: StatusState; text: string }): Promise<void> => {
    try {
      await work();
    } catch (err) {
      errored = true;
      throw err;
    }
    if (errored) {
      errored = false;
      const c = current();
      setStatus(node, c.state, c.text);
    }
  };
  return Object.assign(run, { failed: () => errored });
}

/**
 * Calls `fn` at once, then at most every `ms` (one trailing call for what came in between):
 * for status texts that cost a pass over a node's state. `cancel()` on close.
 */
export function throttled(fn: () => void, ms = 500): { (): void; cancel(): void } {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  const call = (): void => {
    const at = Date.now();
    if (at - last >= ms) {
      last = at;
      fn();
    } else if (!timer) {
      timer = setTimeout(() => {
        timer = null;
        last = Date.now();
        fn();
      }, ms);
      timer.unref?.();
    }
  };
  return Object.assign(call, {
    cancel: (): void => {
      if (timer) clearTimeout(timer);
      timer = null;
    },
  });
}
