import { PlantwireError, toError } from '../model/errors';
import { setStatus } from './status';
import type { DoneFn, NodeMessage, RedNode, SendFn } from './types';

export type InputHandler = (msg: NodeMessage, send: SendFn) => void | Promise<void>;

/**
 * The one input wrapper every Plantwire node uses. It calls `done()` exactly
 * once per message: with no argument on success, or with the error on failure
 * (a synchronous throw or a rejected promise alike), after setting a red
 * status that says what went wrong. It never calls `node.error` as well, so a
 * Catch node receives each failure once; and no rejected promise escapes.
 */
export function onInput(node: RedNode, handler: InputHandler): void {
  node.on('input', (msg: NodeMessage, send: SendFn, done: DoneFn) => {
    let finished = false;
    const finish = (err?: unknown): void => {
      if (finished) return;
      finished = true;
      if (err === undefined) {
        done();
        return;
      }
      const error = toError(err);
      setStatus(node, 'error', error instanceof PlantwireError ? error.status : error.message);
      done(error);
    };
    let result: void | Promise<void>;
    try {
      result = handler(msg, send);
    } catch (err) {
      finish(err ?? new Error('input handler failed'));
      return;
    }
    if (result && typeof (result as Promise<void>).then === 'function') {
      (result as Promise<void>).then(
        () => finish(),
        (err: unknown) => finish(err ?? new Error('input handler failed')),
      );
    } else {
      finish();
    }
  });
}

/**
 * Reports a failure that did not come from an input message (a source node's
 * timer, a connection event) so that Catch nodes fire: `node.error(err, msg)`
 * plus a red status.
 */
export function reportError(node: RedNode, err: unknown, msg?: NodeMessage): void {
  const error = toError(err);
  setStatus(node, 'error', error instanceof PlantwireError ? error.status : error.message);
  node.error(error.message, msg ?? { payload: undefined, error: { message: error.message, code: (error as PlantwireError).code } });
}
