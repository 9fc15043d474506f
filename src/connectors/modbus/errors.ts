/**
 * Errors of the Modbus client. Each carries the `statusCode` text that a
 * bad-quality sample shows, so a user reading the sample sees why.
 */
export type ModbusErrorKind = 'exception' | 'timeout' | 'not-connected' | 'closed' | 'queue-full' | 'protocol';

export const EXCEPTION_NAMES: Record<number, string> = {
  1: 'Illegal Function',
  2: 'Illegal Data Address',
  3: 'Illegal Data Value',
  4: 'Server Device Failure',
  5: 'Acknowledge',
  6: 'Server Device Busy',
  8: 'Memory Parity Error',
  10: 'Gateway Path Unavailable',
  11: 'Gateway Target Device Failed to Respond',
};

export class ModbusError extends Error {
  readonly kind: ModbusErrorKind;
  /** The Modbus exception code (kind `exception` only). */
  readonly exceptionCode?: number;
  /** Short text for a sample's statusCode, e.g. `exception 2: Illegal Data Address`. */
  readonly statusCode: string;
  /** Shorter still, for a node status that sums up many rows: `exception 2`, `timeout`, `not connected`. */
  readonly reason: string;

  constructor(kind: ModbusErrorKind, message: string, statusCode: string, exceptionCode?: number) {
    super(message);
    this.name = 'ModbusError';
    this.kind = kind;
    this.statusCode = statusCode;
    if (exceptionCode !== undefined) this.exceptionCode = exceptionCode;
    this.reason = kind === 'exception' ? `exception ${exceptionCode ?? '?'}` : kind === 'timeout' ? 'timeout' : kind === 'not-connected' ? 'not connected' : statusCode;
  }

  static exception(code: number, what: string): ModbusError {
    const name = EXCEPTION_NAMES[code] ?? 'Unknown Exception';
    return new ModbusError('exception', `${what}: the device answered exception ${code} (${name})`, `exception ${code}: ${name}`, code);
  }

  static timeout(ms: number, what: string): ModbusError {
    return new ModbusError('timeout', `${what}: no answer within ${ms} ms`, `timeout: no answer within ${ms} ms`);
  }

  static notConnected(reason: string): ModbusError {
    return new ModbusError('not-connected', `not connected to the device: ${reason}`, `not connected: ${reason}`);
  }
}

export function isModbusError(err: unknown): err is ModbusError {
  return err instanceof ModbusError;
}
