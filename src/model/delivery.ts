/**
 * The one error contract between a sink and what it delivers to. A connector
 * or adapter that fails a delivery throws an error whose `transient` says
 * whether trying again can help:
 *
 * - **transient** (`transient: true`, or no classification at all: a network
 *   error, a timeout, anything unknown): the entries stay buffered and are
 *   retried with the one backoff (a `retryAfterMs` on the error is obeyed);
 * - **permanent** (`transient: false`): the target refuses these data for
 *   good (a data error, a 4xx, a business refusal). Sending them again fails
 *   the same way, so they are dead-lettered at once and never retried.
 *
 * The connectors' errors speak it (HttpError, HistorianError, the cloud
 * targets' errors, ErpBusinessError, MailError): a sink passes them on as
 * they are, without mapping them to a vocabulary of its own.
 */

export interface DeliveryFailure {
  /** true: retry later; false: never accepted, dead-letter. */
  readonly transient: boolean;
  /** The target asked to wait at least this long (e.g. HTTP Retry-After). */
  readonly retryAfterMs?: number;
}

/** A failure that retrying cannot fix: `transient === false`. */
export function isPermanent(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { transient?: unknown }).transient === false;
}
