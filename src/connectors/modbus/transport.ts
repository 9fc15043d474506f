import type { Socket } from 'node:net';
import ModbusRTU from 'modbus-serial';
import { ModbusError } from './errors';

/**
 * The wire: one TCP connection to a Modbus TCP device. The client (client.ts)
 * adds the request queue, timeouts and reconnects on top; tests replace the
 * transport with a fake to drive timeouts and drops deterministically.
 */
export type ModbusRequest =
  | { fc: 1 | 2 | 3 | 4; unitId: number; address: number; count: number }
  | { fc: 5; unitId: number; address: number; value: boolean }
  | { fc: 6; unitId: number; address: number; value: number }
  | { fc: 15; unitId: number; address: number; values: boolean[] }
  | { fc: 16; unitId: number; address: number; values: number[] };

export interface ModbusResponse {
  /** FC 1/2: the bits asked for (exactly `count`). */
  bits?: boolean[];
  /** FC 3/4: the registers asked for. */
  registers?: number[];
}

export interface ModbusTransport {
  /** Opens the connection (rejects on failure; the caller bounds the time). */
  connect(): Promise<void>;
  /** Sends one request. May never settle if the device does not answer: the caller times it out. */
  request(req: ModbusRequest): Promise<ModbusResponse>;
  /** Drops the connection at once; pending requests reject. */
  close(): void;
  /** Called once when the connection ends for any reason other than close(). */
  onClose(handler: (reason: string) => void): void;
}

export type TransportFactory = (host: string, port: number) => ModbusTransport;

export function describeRequest(req: ModbusRequest): string {
  const what: Record<ModbusRequest['fc'], string> = {
    1: 'read coils',
    2: 'read discrete inputs',
    3: 'read holding registers',
    4: 'read input registers',
    5: 'write coil',
    6: 'write register',
    15: 'write coils',
    16: 'write registers',
  };
  const count = 'count' in req ? req.count : 'values' in req ? req.values.length : 1;
  return `unit ${req.unitId} FC${req.fc} ${what[req.fc]} ${req.address}${count > 1 ? `..${req.address + count - 1}` : ''}`;
}

interface RawError {
  message?: string;
  modbusCode?: number;
  errno?: string;
  name?: string;
}

/** The transport over `modbus-serial`'s TCP port (the maintained Modbus library). */
export class ModbusSerialTransport implements ModbusTransport {
  private readonly client = new ModbusRTU();
  private closeHandler: ((reason: string) => void) | null = null;
  private ended = false;
  private readonly pending = new Set<(err: Error) => void>();

  constructor(
    private readonly host: string,
    private readonly port: number,
    /** modbus-serial's own per-transaction timeout (the client enforces its own as well). */
    private readonly requestTimeoutMs: number,
  ) {
    // modbus-serial re-emits port errors; without a listener an 'error' event would crash the process.
    this.client.on('error', (err: unknown) => this.end(`connection error: ${(err as RawError)?.message ?? String(err)}`));
  }

  connect(): Promise<void> {
    this.client.setTimeout(this.requestTimeoutMs);
    return new Promise<void>((resolve, reject) => {
      this.client.connectTCP(this.host, { port: this.port }, (err: unknown) => {
        if (err) {
          const e = err as RawError;
          reject(new ModbusError('not-connected', `connect ${this.host}:${this.port} failed: ${e?.message || e?.errno || String(err)}`, e?.errno ?? e?.message ?? 'connect failed'));
          return;
        }
        this.client.on('close', () => this.end('the device closed the connection'));
        // modbus-serial misses a reset connection (ECONNRESET): watch the socket itself.
        const socket = (this.client as unknown as { _port?: { _client?: Socket } })._port?._client;
        socket?.once('close', () => this.end('the connection closed'));
        resolve();
      });
    });
  }

  request(req: ModbusRequest): Promise<ModbusResponse> {
    return new Promise<ModbusResponse>((resolve, reject) => {
      if (this.ended) {
        reject(new ModbusError('closed', `${describeRequest(req)}: the connection is closed`, 'connection closed'));
        return;
      }
      let done = false;
      const fail = (err: Error): void => {
        if (done) return;
        done = true;
        this.pending.delete(fail);
        reject(err);
      };
      this.pending.add(fail);
      const cb = (err: unknown, data: { data?: unknown[] } | undefined): void => {
        if (done) return;
        if (err) {
          const e = err as RawError;
          if (typeof e.modbusCode === 'number') fail(ModbusError.exception(e.modbusCode, describeRequest(req)));
          else if (e.errno === 'ETIMEDOUT') fail(ModbusError.timeout(this.requestTimeoutMs, describeRequest(req)));
          else if (e.name === 'PortNotOpenError' || e.message === 'Port Not Open') {
            fail(new ModbusError('closed', `${describeRequest(req)}: the connection is closed`, 'connection closed'));
            this.end('the connection closed');
          } else fail(new ModbusError('protocol', `${describeRequest(req)}: ${e?.message ?? String(err)}`, `protocol error: ${e?.message ?? 'unknown'}`));
          return;
        }
        done = true;
        this.pending.delete(fail);
        if (req.fc === 1 || req.fc === 2) resolve({ bits: ((data?.data ?? []) as boolean[]).slice(0, req.count) });
        else if (req.fc === 3 || req.fc === 4) {
          const registers = (data?.data ?? []) as number[];
          if (registers.length !== req.count) fail(new ModbusError('protocol', `${describeRequest(req)}: got ${registers.length} registers`, 'protocol error: wrong length'));
          else resolve({ registers });
        } else resolve({});
      };
      const c = this.client;
      try {
        switch (req.fc) {
          case 1:
            c.writeFC1(req.unitId, req.address, req.count, cb as never);
            break;
          case 2:
            c.writeFC2(req.unitId, req.address, req.count, cb as never);
            break;
          case 3:
            c.writeFC3(req.unitId, req.address, req.count, cb as never);
            break;
          case 4:
            c.writeFC4(req.unitId, req.address, req.count, cb as never);
            break;
          case 5:
            c.writeFC5(req.unitId, req.address, req.value, cb as never);
            break;
          case 6:
            c.writeFC6(req.unitId, req.address, req.value, cb as never);
            break;
          case 15:
            c.writeFC15(req.unitId, req.address, req.values, cb as never);
            break;
          case 16:
            c.writeFC16(req.unitId, req.address, req.values, cb as never);
            break;
        }
      } catch (err) {
        fail(new ModbusError('protocol', `${describeRequest(req)}: ${(err as Error).message}`, 'protocol error'));
      }
    });
  }

  close(): void {
    this.ended = true;
    this.failPending('the connection was closed');
    try {
      this.client.destroy(() => undefined);
    } catch {
      // already gone
    }
  }

  onClose(handler: (reason: string) => void): void {
    this.closeHandler = handler;
  }

  private failPending(reason: string): void {
    for (const fail of [...this.pending]) fail(new ModbusError('closed', reason, 'connection closed'));
  }

  private end(reason: string): void {
    if (this.ended) return;
    this.ended = true;
    this.failPending(reason);
    try {
      this.client.destroy(() => undefined);
    } catch {
      // already gone
    }
    this.closeHandler?.(reason);
  }
}

export const modbusSerialTransport =
  (requestTimeoutMs: number): TransportFactory =>
  (host, port) =>
    new ModbusSerialTransport(host, port, requestTimeoutMs);
