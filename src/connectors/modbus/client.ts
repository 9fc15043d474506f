import { EventEmitter } from 'node:events';
import { backoffDelay } from '../../model/backoff';
import { ModbusError, isModbusError } from './errors';
import { describeRequest, modbusSerialTransport, type ModbusRequest, type ModbusResponse, type ModbusTransport, type TransportFactory } from './transport';

/**
 * One Modbus TCP device connection with ONE request queue: requests go out
 * one at a time (many devices and every serial gateway handle only one),
 * each with its own timeout. A request that times out is failed and the
 * queue moves on; after `resetAfterTimeouts` timeouts in a row the TCP
 * connection is dropped and re-opened with capped exponential backoff.
 * While the device is unreachable requests fail at once (nothing piles up),
 * and the queue is bounded, so a slow device cannot make memory grow.
 */
export interface ModbusClientOptions {
  host: string;
  port: number;
  /** Per-request timeout (ms). Default 1000. */
  timeoutMs?: number;
  /** Connect timeout (ms). Default max(2000, timeoutMs). */
  connectTimeoutMs?: number;
  /** Consecutive timeouts after which the connection is reset. Default 3. */
  resetAfterTimeouts?: number;
  /** First reconnect delay (ms), doubled per failed attempt up to reconnectMaxMs. Default 500. */
  reconnectMinMs?: number;
  /** Longest reconnect delay (ms). Default 10000. Delays come from the shared backoff (src/model/backoff.ts): jittered down by up to 30 %. */
  reconnectMaxMs?: number;
  /** Random source of the backoff jitter (tests: `() => 0` for exact delays). */
  random?: () => number;
  /** Most requests waiting in the queue; more are refused. Default 1000. */
  maxQueue?: number;
  /** The wire (default: modbus-serial over TCP). */
  transport?: TransportFactory;
}

export type ClientState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

/** With a 'waiting' state: why (the error), its short cause (ECONNREFUSED, connect timeout, no answer, connection lost) and the retry delay. */
export interface WaitInfo {
  reason: string;
  cause: string;
  retryMs: number;
}

export interface ClientStats {
  requests: number;
  answered: number;
  timeouts: number;
  exceptions: number;
  resets: number;
  connects: number;
}

interface Task {
  req: ModbusRequest;
  resolve(res: ModbusResponse): void;
  reject(err: Error): void;
}

/** What the poller and the writer need: a request that settles. */
export interface ModbusRequester {
  request(req: ModbusRequest): Promise<ModbusResponse>;
}

export class ModbusClient extends EventEmitter implements ModbusRequester {
  readonly host: string;
  readonly port: number;
  readonly timeoutMs: number;
  private readonly connectTimeoutMs: number;
  private readonly resetAfter: number;
  private readonly reconnectMinMs: number;
  private readonly random: () => number;
  private readonly reconnectMaxMs: number;
  private readonly maxQueue: number;
  private readonly factory: TransportFactory;

  private _state: ClientState = 'idle';
  private detail = 'not started';
  private transport: ModbusTransport | null = null;
  private readonly queue: Task[] = [];
  private inFlight: Task | null = null;
  private consecutiveTimeouts = 0;
  private attempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private lastError = '';
  readonly stats: ClientStats = { requests: 0, answered: 0, timeouts: 0, exceptions: 0, resets: 0, connects: 0 };

  constructor(opts: ModbusClientOptions) {
    super();
    this.host = opts.host;
    this.port = opts.port;
    this.timeoutMs = opts.timeoutMs ?? 1000;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? Math.max(2000, this.timeoutMs);
    this.resetAfter = Math.max(1, opts.resetAfterTimeouts ?? 3);
    this.reconnectMinMs = Math.max(1, opts.reconnectMinMs ?? 500);
    this.random = opts.random ?? Math.random;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, opts.reconnectMaxMs ?? 10_000);
    this.maxQueue = Math.max(1, opts.maxQueue ?? 1000);
    this.factory = opts.transport ?? modbusSerialTransport(this.timeoutMs);
  }

  get state(): ClientState {
    return this._state;
  }

  /** Why the client is in its state (the last connection error, the retry delay…). */
  get stateDetail(): string {
    return this.detail;
  }

  /** Requests waiting (not counting the one on the wire). */
  get queued(): number {
    return this.queue.length;
  }

  get endpoint(): string {
    return `${this.host}:${this.port}`;
  }

  /** Starts connecting (and keeps reconnecting until stop()). */
  start(): void {
    if (this._state !== 'idle' && this._state !== 'stopped') return;
    this.attempt = 0;
    this.connectSafely();
  }

  /** Runs a connect attempt; nothing it throws escapes as an unhandled rejection. */
  private connectSafely(): void {
    this.connect().catch((err: unknown) => {
      if (this._state === 'stopped') return;
      this.lastError = (err as Error)?.message ?? String(err);
      this.scheduleReconnect(this.lastError, errorCause(err));
    });
  }

  /** Closes the connection; queued and in-flight requests fail at once. */
  stop(): void {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    const t = this.transport;
    this.transport = null;
    this.setState('stopped', 'stopped');
    this.failAll(new ModbusError('closed', 'the connection was closed (stopping)', 'connection closed'));
    t?.close();
  }

  /** Queues a request; settles with the answer, a Modbus exception, a timeout or a connection error. */
  request(req: ModbusRequest): Promise<ModbusResponse> {
    return new Promise<ModbusResponse>((resolve, reject) => {
      if (this._state !== 'connected' && this._state !== 'connecting') {
        reject(ModbusError.notConnected(this._state === 'waiting' ? this.lastError : this._state === 'stopped' ? 'the connection is closed' : 'the connection is not started'));
        return;
      }
      if (this.queue.length >= this.maxQueue) {
        reject(new ModbusError('queue-full', `${describeRequest(req)}: ${this.queue.length} requests are already waiting for ${this.endpoint}; poll less often or raise the device's timeout`, `request queue full (${this.maxQueue})`));
        return;
      }
      this.stats.requests += 1;
      this.queue.push({ req, resolve, reject });
      this.pump();
    });
  }

  private setState(state: ClientState, detail: string, info?: WaitInfo): void {
    const changed = state !== this._state || detail !== this.detail;
    this._state = state;
    this.detail = detail;
    if (changed) this.emit('state', state, detail, info);
  }

  private async connect(): Promise<void> {
    this.reconnectTimer = null;
    this.setState('connecting', `connecting to ${this.endpoint}`);
    const t = this.factory(this.host, this.port);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        t.connect(),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(Object.assign(new Error(`connect ${this.endpoint} timed out after ${this.connectTimeoutMs} ms`), { code: 'connect timeout' })), this.connectTimeoutMs);
        }),
      ]);
    } catch (err) {
      t.close();
      if (this._state === 'stopped') return;
      this.lastError = (err as Error)?.message ?? String(err);
      this.scheduleReconnect(this.lastError, errorCause(err));
      return;
    } finally {
      clearTimeout(timer);
    }
    if (this._state === 'stopped') {
      t.close();
      return;
    }
    this.transport = t;
    this.stats.connects += 1;
    this.consecutiveTimeouts = 0;
    t.onClose((reason) => {
      if (this.transport !== t) return;
      this.transport = null;
      this.lastError = reason;
      this.failInFlight(new ModbusError('closed', `the connection to ${this.endpoint} was lost: ${reason}`, 'connection lost'));
      this.scheduleReconnect(reason, 'connection lost');
    });
    this.setState('connected', `connected to ${this.endpoint}`);
    this.pump();
  }

  private scheduleReconnect(reason: string, cause: string): void {
    const delay = backoffDelay(this.attempt, { initialMs: this.reconnectMinMs, maxMs: this.reconnectMaxMs }, this.random);
    this.attempt += 1;
    this.setState('waiting', `${reason}; retrying in ${duration(delay)}`, { reason, cause, retryMs: delay });
    this.failAll(ModbusError.notConnected(reason));
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => this.connectSafely(), delay);
    this.reconnectTimer.unref?.();
  }

  private reset(reason: string): void {
    this.lastError = reason;
    const t = this.transport;
    this.transport = null;
    this.stats.resets += 1;
    t?.close();
    this.scheduleReconnect(reason, 'no answer');
  }

  private failAll(err: Error): void {
    this.failInFlight(err);
    const waiting = this.queue.splice(0);
    for (const task of waiting) task.reject(err);
  }

  private failInFlight(err: Error): void {
    const task = this.inFlight;
    this.inFlight = null;
    task?.reject(err);
  }

  private pump(): void {
    if (this.inFlight || this._state !== 'connected' || !this.transport) return;
    const task = this.queue.shift();
    if (!task) return;
    this.inFlight = task;
    const transport = this.transport;
    let settled = false;
    const timer = setTimeout(() => finish(ModbusError.timeout(this.timeoutMs, describeRequest(task.req))), this.timeoutMs);
    const finish = (err: Error | null, res?: ModbusResponse): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (this.inFlight !== task) return; // already failed by a reset or close
      this.inFlight = null;
      if (err) {
        if (isModbusError(err) && err.kind === 'timeout') {
          this.stats.timeouts += 1;
          this.consecutiveTimeouts += 1;
        } else if (isModbusError(err) && err.kind === 'exception') {
          this.stats.exceptions += 1;
          this.stats.answered += 1;
          this.consecutiveTimeouts = 0;
          this.attempt = 0;
        }
        task.reject(err);
      } else {
        this.stats.answered += 1;
        this.consecutiveTimeouts = 0;
        this.attempt = 0;
        task.resolve(res ?? {});
      }
      if (this.consecutiveTimeouts >= this.resetAfter && this.transport === transport) {
        this.reset(`no answer to ${this.consecutiveTimeouts} requests in a row`);
        return;
      }
      this.pump();
    };
    transport.request(task.req).then(
      (res) => finish(null, res),
      (err: unknown) => finish(err instanceof Error ? err : new Error(String(err))),
    );
  }
}

/** The short cause of a connect failure: the socket error code (ECONNREFUSED …), else "offline". */
function errorCause(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code !== '' ? code : 'offline';
}

function duration(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 100) / 10} s` : `${ms} ms`;
}
