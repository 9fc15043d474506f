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
 * The connectors' errors already speak it (HttpError, HistorianError, the
 * cloud targets' errors, ErpBusinessError, MailError); `refusal()` makes one
 * for a check of the sink's own.
 */
import { PlantwireError } from './errors';

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

/** A permanent refusal raised by a sink itself (e.g. the target's answer says the data are wrong). */
export class DeliveryRefused extends PlantwireError implements DeliveryFailure {
  readonly transient = false;
  constructor(code: string, message: string, status?: string) {
    super(code, message, status);
    this.name = 'DeliveryRefused';
  }
}

/** Marks `err` permanent (keeps its class, message and fields). */
export function refusal<E extends Error>(err: E): E & DeliveryFailure {
  if (isPermanent(err)) return err as E & DeliveryFailure;
  try {
    Object.defineProperty(err, 'transient', { value: false, configurable: true, enumerable: false });
    return err as E & DeliveryFailure;
  } catch {
    return Object.assign(new DeliveryRefused((err as { code?: string }).code ?? 'refused', err.message), {}) as unknown as E & DeliveryFailure;
  }
}
