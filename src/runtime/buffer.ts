/**
 * Node-RED glue for the store-and-forward buffer (src/buffer): what a sink
 * node calls to have its deliveries go through a durable queue. A sink
 * supplies `deliver(batch)` (resolve = the sink confirmed every entry; throw
 * = retry later; throw PermanentDeliveryError = dead-letter) and calls
 * `accept(body)` in its input handler; `done()` follows once the entry is
 * durable. The file is `<userDir>/plantwire/buffer/<node id>.sqlite`.
 */
import os from 'node:os';
import path from 'node:path';
import { Forwarder, bufferStatus, type DeliveryContext, type DeliveryOutcome, type ForwarderOptions, type ForwarderState, type SettleFn } from '../buffer/forwarder';
import { openQueue, removeQueueFiles, bufferFullError, type Queue, type QueueEntry } from '../buffer/queue';
import { allBufferMetrics, bufferInfo, bufferMetrics, registerBuffer, unregisterBuffer, type BufferInfo } from '../buffer/registry';
import type { BufferSettings } from '../buffer/settings';
import { PlantwireError, toError } from '../model/errors';
import { addAdminRoute } from './admin';
import { setStatus, type StatusState } from './status';
import type { RedApi, RedNode } from './types';

export interface SinkBufferOptions<T> {
  /** Per-entry sinks may settle entries one by one and resolve with what is left undone (see src/buffer/forwarder.ts). */
  deliver(batch: QueueEntry<T>[], settle: SettleFn, ctx: DeliveryContext): Promise<void | DeliveryOutcome>;
  /** Retry a failed attempt without the backoff pause (e.g. the first retry after a lost answer). */
  retryAtOnce?: ForwarderOptions<T>['retryAtOnce'];
  /** The sink's own status (e.g. the connection's), shown when nothing is buffered. */
  idleStatus(): { state: StatusState; text: string };
  onDeadLetter?(entries: QueueEntry<T>[], err: Error): void;
  batchSize?: number;
  deliverTimeoutMs?: number;
  /** Batch sinks: flush on count / bytes / time instead of delivering each entry at once (see src/buffer/flush.ts). */
  flush?: ForwarderOptions<T>['flush'];
  /** Retry a failed batch with the same entries (default: on with `flush`). */
  stableRetry?: boolean;
  /** Failures to dead-letter instead of retrying (the sink kit passes the one contract, src/model/delivery.ts). */
  isPermanent?(err: Error): boolean;
  /** Where the buffer's status goes (default: straight to the node; the sink kit holds a refusal visible). */
  status?(state: StatusState, text: string): void;
}

export interface SinkBuffer<T> {
  readonly queue: Queue<T>;
  readonly forwarder: Forwarder<T>;
  /** Stores the entry durably; rejects when the policy is 'reject' and the buffer is full. */
  accept(body: T, ts?: number): Promise<void>;
  /** As accept, resolving with the entry's id (undefined when 'drop-newest' dropped it). */
  acceptWithId(body: T, ts?: number): Promise<number | undefined>;
  /** The sink is reachable again: retry now. */
  kick(): void;
  state(): ForwarderState;
  /** Shows the buffer state, or the sink's idle status. */
  showStatus(): void;
  close(removed: boolean): Promise<void>;
}

/** `<userDir>/plantwire/buffer` (or settings.plantwire.bufferDir). */
export function bufferDir(RED: RedApi): string {
  const custom = (RED.settings.plantwire as { bufferDir?: unknown } | undefined)?.bufferDir;
  if (typeof custom === 'string' && custom.trim() !== '') return path.resolve(custom);
  return path.join(RED.settings.userDir ?? path.join(os.homedir(), '.node-red'), 'plantwire', 'buffer');
}

/**
 * Retry backoff of every buffered sink: settings.js `plantwire: {retryMinMs, retryMaxMs}`
 * (defaults 500 ms doubling to 15 s, as the Forwarder's).
 */
export function retrySettings(RED: RedApi): { minBackoffMs?: number; maxBackoffMs?: number } {
  const p = (RED.settings.plantwire ?? {}) as { retryMinMs?: unknown; retryMaxMs?: unknown };
  const out: { minBackoffMs?: number; maxBackoffMs?: number } = {};
  if (typeof p.retryMinMs === 'number' && p.retryMinMs >= 0) out.minBackoffMs = p.retryMinMs;
  if (typeof p.retryMaxMs === 'number' && p.retryMaxMs > 0) out.maxBackoffMs = p.retryMaxMs;
  return out;
}

const ROUTES = Symbol.for('plantwire.buffer-routes');

/** The metrics routes, added once per runtime whichever sink type loads first. */
export function addBufferRoutes(RED: RedApi): void {
  const admin = RED.httpAdmin as unknown as { [ROUTES]?: boolean };
  if (admin[ROUTES]) return;
  admin[ROUTES] = true;
  addAdminRoute(RED, { method: 'get', path: 'buffer/metrics', permission: 'plantwire-buffer.read', handler: () => ({ buffers: allBufferMetrics() }) });
  addAdminRoute(RED, {
    method: 'get',
    path: 'buffer/:id',
    permission: 'plantwire-buffer.read',
    handler: (req) => {
      const id = String((req.params as Record<string, string>).id);
      const info = bufferInfo(id);
      if (!info) throw new PlantwireError('not-found', `no buffered sink with id ${id}`, 'no such buffer');
      return bufferMetrics(info);
    },
  });
}

/** Entries accepted before and now refused for good: a Catch node gets them (with their bodies and keys), never silent loss. */
export function reportDeadLetter<T>(node: RedNode, entries: QueueEntry<T>[], err: Error): void {
  const text = `${entries.length} buffered message(s) refused permanently by the target and removed from the buffer: ${err.message}`;
  node.error(text, { payload: entries.map((e) => e.body), deadLetter: entries.map((e) => ({ key: e.key, ts: e.ts })), error: { message: text, code: 'dead-letter' } });
}

/** Opens the node's buffer and starts forwarding; null when the buffer is off. */
export function openSinkBuffer<T>(RED: RedApi, node: RedNode, settings: BufferSettings, opts: SinkBufferOptions<T>): SinkBuffer<T> | null {
  if (settings.mode === 'off') return null;
  const dir = bufferDir(RED);
  const queue = openQueue<T>({ dir, name: node.id, mode: settings.mode, maxEntries: settings.maxEntries, maxBytes: settings.maxBytes, overflow: settings.overflow });
  let lastError = '';
  const show = (s: ForwarderState): void => {
    const b = bufferStatus(s);
    const look = b ?? opts.idleStatus();
    if (opts.status) opts.status(look.state, look.text);
    else setStatus(node, look.state, look.text);
  };
  const forwarder = new Forwarder<T>(queue, {
    deliver: opts.deliver,
    batchSize: opts.batchSize ?? 100,
    replayRate: settings.replayRate,
    deliverTimeoutMs: opts.deliverTimeoutMs ?? 30_000,
    ...retrySettings(RED),
    ...(opts.flush ? { flush: opts.flush } : {}),
    ...(opts.stableRetry !== undefined ? { stableRetry: opts.stableRetry } : {}),
    ...(opts.retryAtOnce ? { retryAtOnce: opts.retryAtOnce } : {}),
    ...(opts.isPermanent ? { isPermanent: opts.isPermanent } : {}),
    onState: show,
    onError: (err) => {
      // One log line per distinct problem, not one per retry.
      if (err.message !== lastError) node.warn(`delivery failed, buffering: ${err.message}`);
      lastError = err.message;
    },
    // The sink kit reports them itself (Catch or a second output); otherwise Catch.
    onDeadLetter: (entries, err) => (opts.onDeadLetter ?? ((e, x) => reportDeadLetter(node, e, x)))(entries, err),
  });
  const info: BufferInfo = { id: node.id, type: node.type, name: node.name ?? '', mode: settings.mode, file: queue.file, state: () => forwarder.state() };
  registerBuffer(info);
  forwarder.start();
  return {
    queue,
    forwarder,
    async accept(body, ts) {
      await this.acceptWithId(body, ts);
    },
    async acceptWithId(body, ts) {
      const r = await queue.enqueue(body, ts);
      if (!r.accepted) show(forwarder.state());
      forwarder.notify();
      return r.accepted ? r.id : undefined;
    },
    kick: () => forwarder.kick(),
    state: () => forwarder.state(),
    showStatus: () => show(forwarder.state()),
    async close(removed) {
      unregisterBuffer(node.id, info);
      await forwarder.stop();
      await queue.close().catch((err: unknown) => node.warn(`closing the buffer failed: ${toError(err).message}`));
      // A node deleted from the flows takes its buffer with it; a redeployed one keeps it.
      if (removed && queue.file) removeQueueFiles(dir, node.id);
    },
  };
}

export { bufferFullError };
