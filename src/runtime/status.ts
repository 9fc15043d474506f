import { shortStatus } from '../model/errors';
import type { RedNode, StatusObject } from './types';

/**
 * Status conventions shared by every Plantwire node:
 * green dot = connected / delivering, yellow ring = connecting / buffering,
 * red ring = failed (the text says what to do), grey ring = idle / stopped,
 * blue dot = information (e.g. a count).
 */
export type StatusState = 'ok' | 'busy' | 'error' | 'idle' | 'info';

const LOOK: Record<StatusState, Pick<StatusObject, 'fill' | 'shape'>> = {
  ok: { fill: 'green', shape: 'dot' },
  busy: { fill: 'yellow', shape: 'ring' },
  error: { fill: 'red', shape: 'ring' },
  idle: { fill: 'grey', shape: 'ring' },
  info: { fill: 'blue', shape: 'dot' },
};

export function statusObject(state: StatusState, text: string): StatusObject {
  return { ...LOOK[state], text: shortStatus(text) };
}

export function setStatus(node: Pick<RedNode, 'status'>, state: StatusState, text: string): void {
  node.status(statusObject(state, text));
}

export function clearStatus(node: Pick<RedNode, 'status'>): void {
  node.status({});
}

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
