/**
 * What a connector offers the connection kit (src/runtime/config-node.ts,
 * ConnectionUsers): `start()` resolves when the connection is usable and
 * REJECTS when it failed — the kit retries it on the one backoff and logs one
 * line per outage; `stop()` ends it; `onState` reports the typed state
 * `{phase, text, detail}` (src/model/status.ts), which the kit maps to every
 * user's status in one place. No Node-RED import (layers).
 */
import type { ConnectionState } from './status';

export interface Connector {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** State changes after start (reconnects, drops); returns the unsubscribe function. */
  onState?(listener: (state: ConnectionState) => void): () => void;
}
