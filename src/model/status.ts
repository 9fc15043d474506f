import { shortStatus } from './errors';
import type { RedNode, StatusObject } from './node-red-types';

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
 * The phases a connection goes through, one vocabulary for every connector
 * (OPC UA uses stopped…refused, MQTT connecting…closed).
 */
export type ConnectionPhase = 'stopped' | 'connecting' | 'connected' | 'retrying' | 'untrusted' | 'refused' | 'reconnecting' | 'offline' | 'error' | 'closed';

/** A connection's state, typed: the phase plus text for the status and the log. Defined here once. */
export interface ConnectionState {
  phase: ConnectionPhase;
  /** Short status text (≤ 48 characters). */
  text: string;
  /** The full explanation (log, admin route). */
  detail?: string;
}

/** How each phase looks on the users' status: the one place a connection state becomes a status. */
export const PHASE_STATUS: Record<ConnectionPhase, StatusState> = {
  stopped: 'idle',
  connecting: 'busy',
  connected: 'ok',
  retrying: 'error',
  untrusted: 'error',
  refused: 'error',
  reconnecting: 'busy',
  offline: 'busy',
  error: 'error',
  closed: 'idle',
};

/** A connection state as a node status (colour from the phase, the short text). */
export function connectionStatus(s: ConnectionState): { state: StatusState; text: string } {
  return { state: PHASE_STATUS[s.phase], text: s.text };
}

/** The status colour of each phase of a connector's own vocabulary (e.g. MQTT's, the cloud targets'), through PHASE_STATUS. */
export function phaseLook<P extends string>(phases: Record<P, ConnectionPhase>): Record<P, StatusState> {
  return Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, PHASE_STATUS[v as ConnectionPhase]])) as Record<P, StatusState>;
}
