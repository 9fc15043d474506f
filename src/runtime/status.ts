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
