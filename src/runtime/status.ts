/** StatusState, statusObject, setStatus, clearStatus (and ConnectionState, ConnectionPhase, PHASE_STATUS) live in src/model/status.ts; re-exported here. */
export { clearStatus, connectionStatus, setStatus, statusObject, PHASE_STATUS, type ConnectionPhase, type ConnectionState, type StatusState } from '../model/status';

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
