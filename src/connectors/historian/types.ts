/**
 * The contract between the historian sink node and its two backends
 * (PostgreSQL/TimescaleDB and InfluxDB). No Node-RED import.
 *
 * `encode` runs when a message arrives: it validates the samples and turns them
 * into records (plain JSON, so the durable buffer can store them); bad input
 * throws a PlantwireError there and never reaches the buffer. `write` runs in
 * the buffer's forwarder with a batch of records; it throws a HistorianError
 * whose `transient` says whether a retry can help.
 */
import { PlantwireError } from '../../model/errors';
import type { TagSample } from '../../model/sample';

export type HistorianState = 'connecting' | 'connected' | 'error' | 'closed';

export interface HistorianBackend<R = unknown> {
  /** e.g. "PostgreSQL 127.0.0.1:5432/test plantwire.samples" (no secrets). */
  readonly label: string;
  /** Validates samples and turns them into storable records; throws PlantwireError on bad input. */
  encode(samples: TagSample[]): R[];
  /** Writes the records (one transaction / one request per call where the store allows). */
  write(records: R[]): Promise<void>;
  /** Connects and prepares the store (table, index, hypertable; or a ping); throws when unreachable. */
  open(): Promise<void>;
  /** The last user left: drop open connections; the backend stays usable (optional). */
  release?(): Promise<void>;
  /** Releases the pool / keep-alive sockets for good. */
  close(): Promise<void>;
}

/** A failed write. `transient` true = retry later (buffer); false = the store refuses these records for good (dead-letter). */
export class HistorianError extends PlantwireError {
  constructor(
    code: string,
    message: string,
    readonly transient: boolean,
    status?: string,
    readonly retryAfterMs?: number,
  ) {
    super(code, message, status);
    this.name = 'HistorianError';
  }
}
