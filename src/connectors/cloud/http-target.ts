/**
 * What the HTTP batch targets (S3, webhook) share: the HTTP client (their own,
 * or one passed in that the caller closes), the state and its listeners,
 * nothing to connect before the first batch, and close().
 */
import { HttpClient } from '../http/client';
import { toError } from '../../model/errors';
import { StateHolder, TargetError } from './batch-format';
import type { CloudRecord, CloudStateEvent, CloudTarget, CloudKind } from './types';

export abstract class HttpBatchTarget implements CloudTarget {
  abstract readonly kind: CloudKind;
  readonly batching = true;
  protected readonly http: HttpClient;
  protected readonly holder: StateHolder;
  private readonly ownsHttp: boolean;
  private closed = false;

  /** `http`: an existing client to share (the caller closes it); by default the target makes and closes its own. */
  protected constructor(opts: { timeoutMs: number; tls?: { ca?: string; rejectUnauthorized?: boolean }; userAgent: string; idleText: string }, http?: HttpClient) {
    this.ownsHttp = !http;
    this.http = http ?? new HttpClient({ timeoutMs: opts.timeoutMs > 0 ? opts.timeoutMs : 30_000, tls: opts.tls ?? {}, headers: { 'user-agent': opts.userAgent } });
    this.holder = new StateHolder({ state: 'idle', text: opts.idleText });
  }

  get state(): CloudStateEvent {
    return this.holder.state;
  }

  onState(listener: (s: CloudStateEvent) => void): () => void {
    return this.holder.on(listener);
  }

  /** HTTP targets connect per request (keep-alive): nothing to do until the first batch. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  abstract deliver(records: CloudRecord[], onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void>;

  /** Throws (transient) once the target is closed: a late delivery stays buffered. */
  protected assertOpen(name: string): void {
    if (this.closed) throw new TargetError('closed', `the ${name} target is closed`, true, 'closed');
  }

  /** Throws (transient) once the delivery was aborted (timed out, node stopping): no further part is sent. */
  protected assertNotAborted(name: string, signal: AbortSignal | undefined): void {
    if (signal?.aborted) throw new TargetError('aborted', `${name}: delivery aborted (${toError(signal.reason).message})`, true, 'aborted');
  }

  close(): Promise<void> {
    this.closed = true;
    if (this.ownsHttp) this.http.close();
    this.holder.set({ state: 'disconnected', text: 'closed' });
    return Promise.resolve();
  }
}
