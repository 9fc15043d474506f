/**
 * The one error type Plantwire code throws for problems a user can fix
 * (bad input, bad configuration, unreachable peer). `status` is the short text
 * shown under the node in the editor; `message` is the full explanation that
 * reaches Catch nodes and the log.
 */
export class PlantwireError extends Error {
  readonly code: string;
  readonly status: string;

  constructor(code: string, message: string, status?: string) {
    super(message);
    this.name = 'PlantwireError';
    this.code = code;
    this.status = shortStatus(status ?? message);
  }

  /** Node-RED reports `done(err)` to Catch nodes as `err.toString()`: give them the message alone. */
  override toString(): string {
    return this.message;
  }
}

/** Node status text must stay short; the editor cuts long lines anyway. */
export function shortStatus(text: string, max = 48): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= max ? oneLine : `${oneLine.slice(0, max - 1)}…`;
}

/** Turns anything thrown into an Error with a readable message. */
export function toError(err: unknown): Error {
  if (err instanceof Error) return err;
  if (typeof err === 'string') return new Error(err);
  try {
    return new Error(JSON.stringify(err));
  } catch {
    return new Error(String(err));
  }
}
