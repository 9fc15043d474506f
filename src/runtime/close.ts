import { toError } from '../model/errors';
import type { RedNode } from './types';

/** Node-RED waits 15 s by default for close handlers; finish well inside that. */
export const CLOSE_TIMEOUT_MS = 10_000;

/**
 * Registers a close handler taking `(removed, done)`: `done()` is called once,
 * when the cleanup settles or after `timeoutMs`, and a failing cleanup is
 * logged as a warning instead of escaping as a rejected promise.
 */
export function onClose(node: RedNode, cleanup: (removed: boolean) => void | Promise<void>, timeoutMs = CLOSE_TIMEOUT_MS): void {
  node.on('close', (removed: boolean, done: () => void) => {
    let finished = false;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      done();
    };
    const timer = setTimeout(() => {
      node.warn(`close took longer than ${timeoutMs} ms; continuing`);
      finish();
    }, timeoutMs);
    timer.unref?.();
    Promise.resolve()
      .then(() => cleanup(removed))
      .catch((err: unknown) => node.warn(`close failed: ${toError(err).message}`))
      .finally(finish);
  });
}
