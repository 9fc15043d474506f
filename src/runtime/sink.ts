/**
 * The sink kit: what every IT sink node (mqtt-out, cloud-out, historian-out,
 * erp-out, email-out) is built on, written once.
 *
 * A sink supplies, from its setup:
 * - `check(msg)`: everything that can be known about a message before it is
 *   stored (types, topics, size, mapping). A throw refuses the message at
 *   input: `done(err)`, a red status that stays visible, never buffered.
 * - `deliver(batch, settle, send)`: hands entries to the target and throws a
 *   transient or a permanent error (the one contract, src/model/delivery.ts).
 *
 * The kit then: opens the store-and-forward buffer with the sink type's
 * defaults (src/buffer/settings.ts SINK_BUFFER_DEFAULTS, which the dialog
 * shows too), stores each checked message before `done()`, retries transient
 * failures with the buffer's backoff, and dead-letters permanent ones — a
 * batch refused for good is split so that only the entries the target refuses
 * are dead-lettered (one Catch message each), the others are delivered — on
 * the buffered and the unbuffered path alike; registers and deregisters the
 * connection's users; kicks the buffer when the connection comes back; and
 * shows the status through LiveStatus, so a refusal's red status stays
 * visible for a few seconds instead of being overwritten by the next
 * delivery status.
 */
import { bufferStatus, type DeliveryContext, type DeliveryOutcome, type SettleFn } from '../buffer/forwarder';
import type { QueueEntry } from '../buffer/queue';
import { bufferSettings, SINK_BUFFER_DEFAULTS, type BufferConfig, type BufferSettings } from '../buffer/settings';
import { isPermanent } from '../model/delivery';
import { PlantwireError, toError } from '../model/errors';
import { addBufferRoutes, openSinkBuffer, reportDeadLetter, type SinkBuffer, type SinkBufferOptions } from './buffer';
import { onClose } from './close';
import { defineNode, type NodeSpec } from './define';
import { onInput } from './input';
import { LiveStatus } from './live-status';
import type { StatusState } from './status';
import type { NodeConfig, NodeMessage, RedApi, RedNode, SendFn } from './types';

export type Look = { state: StatusState; text: string };

/**
 * What a sink's setup returns; `I` is what check() makes of a message, `T` what the buffer stores (the same unless `hold` is given).
 * Forwarder tuning as in src/runtime/buffer.ts: batchSize, deliverTimeoutMs, flush, stableRetry, retryAtOnce.
 */
export interface SinkParts<I, T = I> extends Pick<SinkBufferOptions<T>, 'batchSize' | 'deliverTimeoutMs' | 'flush' | 'stableRetry' | 'retryAtOnce'> {
  /** Checks a message and makes what is stored; a throw refuses it at input (never buffered). */
  check(msg: NodeMessage): I | Promise<I>;
  /**
   * Delivers entries: resolves once the target confirmed them; throws a transient or permanent error. Per-entry sinks settle entries themselves.
   * A sink that sends a batch in parts (objects, requests) calls `ctx.progress()` after each confirmed part: the delivery timeout is per part.
   */
  deliver(batch: QueueEntry<T>[], settle: SettleFn, send: SendFn, ctx: DeliveryContext): Promise<void | DeliveryOutcome>;
  /** Without a buffer: delivers one checked message before done() (default: deliver() with a one-entry batch). */
  direct?(body: I, msg: NodeMessage, send: SendFn): Promise<void>;
  /**
   * Sinks that hold messages before they go into the buffer (email-out's digests): takes the checked message
   * instead of the kit storing it, and calls `sink.accept` later. Needs a buffer (the mode cannot be off).
   */
  hold?(body: I, msg: NodeMessage): Promise<void>;
  /** After a message was stored (its entry id; undefined when dropped by the overflow policy). */
  stored?(id: number | undefined, msg: NodeMessage): void;
  /** The sink's own status when nothing is buffered (connection, counts). */
  idleStatus(): Look;
  /** The connection's users: registered once the buffer is open, deregistered on close with Node-RED's `removed`. */
  users: { register(node: RedNode): void; deregister(node: RedNode, removed: boolean): void | Promise<void> };
  /** Subscribes to the connection's changes (`up`: reachable again, retry now); returns the unsubscribe. */
  watch?(changed: (up: boolean) => void): () => void;
  /** Buffered dead letters: the default reports them to Catch (node.error) with their bodies; return true when the sink did (e.g. a second output). */
  deadLetter?(entries: QueueEntry<T>[], err: Error): boolean | void;
  /** Called once the buffer is open and the users registered (e.g. restore what waited before a restart). */
  started?(): void;
  /** Extra work at close, before the buffer closes (e.g. queue what still waits). */
  close?(removed: boolean): Promise<void>;
}

/** What the kit gives a sink's setup to call later. */
export interface SinkHandle<T> {
  /** Stores a body in the buffer (sinks with `hold`). */
  accept(body: T): Promise<void>;
  /** Shows the current status (buffer state or the idle status), rate-limited, after a held refusal. */
  show(): void;
  /** Shows a refusal now and keeps it visible for a few seconds. */
  refused(text: string): void;
  /** The buffer (null while off). */
  readonly buffer: SinkBuffer<T> | null;
}

export interface SinkSpec<C extends NodeConfig, I, T = I> extends Omit<NodeSpec<C>, 'setup'> {
  /** `buffering` is parsed with the type's defaults; setup may adjust it (a mode the sink forces) or throw for a combination it cannot do. */
  setup(node: RedNode, config: C, buffering: BufferSettings, sink: SinkHandle<T>, RED: RedApi): SinkParts<I, T>;
}

/** Splits a batch the target refused as a whole into single entries, so only the bad ones are dead-lettered (at most this many). */
const ISOLATE_MAX = 1000;

/** A delivery outside the buffer (buffer off): one message, done() waits for it; no per-part timeout. */
const DIRECT: DeliveryContext = { progress: () => undefined, signal: new AbortController().signal };

/** Defines a sink node type on the kit (see the file comment). */
export function defineSink<C extends NodeConfig & BufferConfig, I, T = I>(RED: RedApi, spec: SinkSpec<C, I, T>): void {
  addBufferRoutes(RED);
  defineNode<C>(RED, {
    ...spec,
    setup(node, config) {
      const buffering = bufferSettings(config, SINK_BUFFER_DEFAULTS[spec.type] ?? {});
      let buffer: SinkBuffer<T> | null = null;
      const live = new LiveStatus(node, 1000, 3000, false);
      let parts: SinkParts<I, T> | null = null;
      const current = (): Look => (buffer ? bufferStatus(buffer.state()) : null) ?? parts!.idleStatus();
      const handle: SinkHandle<T> = {
        accept: async (body) => {
          if (!buffer) throw new PlantwireError('no-buffer', 'the buffer is off', 'buffer off');
          await buffer.accept(body);
        },
        show: () => {
          if (parts) {
            const c = current();
            live.update(c.state, c.text);
          }
        },
        refused: (text) => {
          live.now('error', text);
          live.failed();
        },
        get buffer() {
          return buffer;
        },
      };
      parts = spec.setup(node, config, buffering, handle, RED);
      const p = parts;
      const send: SendFn = (m) => node.send(m);
      const report = (entries: QueueEntry<T>[], err: Error): void => {
        if (p.deadLetter?.(entries, err) === true) return;
        reportDeadLetter(node, entries, err);
        const why = err instanceof PlantwireError ? err.status : err.message;
        handle.refused(/refus/i.test(why) ? why : `refused: ${why}`);
      };
      // A batch refused as a whole: each entry alone, so one bad entry does not take its neighbours with it.
      // Each entry sent alone is a part with its own delivery timeout (settle restarts it); once the attempt
      // timed out (ctx.signal) no further entry is sent: the forwarder retries what is not settled.
      const deliver = async (batch: QueueEntry<T>[], settle: SettleFn, ctx: DeliveryContext): Promise<void | DeliveryOutcome> => {
        // Entries the sink settled itself in this attempt (delivered before the refusal) are not sent again.
        const done = new Set<number>();
        const track: SettleFn = (ids, how) => {
          ids.forEach((id) => done.add(id));
          settle(ids, how);
        };
        try {
          return await p.deliver(batch, track, send, ctx);
        } catch (err) {
          const e = toError(err);
          if (!isPermanent(e) || batch.length - done.size <= 1 || batch.length > ISOLATE_MAX) throw e;
          for (const entry of batch.filter((b) => !done.has(b.id))) {
            if (ctx.signal.aborted) return { error: toError(ctx.signal.reason) };
            try {
              const outcome = await p.deliver([entry], () => undefined, send, ctx);
              if (outcome && outcome.error) return { error: outcome.error };
              settle([entry.id], 'delivered');
            } catch (one) {
              const e1 = toError(one);
              // Not refused alone: the rest waits for the retry (in order).
              if (!isPermanent(e1)) return { error: e1 };
              report([entry], e1);
              settle([entry.id], 'dead-letter');
            }
          }
          return {};
        }
      };
      if (p.hold && buffering.mode === 'off') throw new PlantwireError('bad-config', `${spec.type} needs a buffer (memory or disk)`, 'buffer: needs memory or disk');
      buffer = openSinkBuffer<T>(RED, node, buffering, {
        deliver,
        idleStatus: () => p.idleStatus(),
        isPermanent,
        status: (state, text) => live.update(state, text),
        onDeadLetter: report,
        ...(p.batchSize !== undefined ? { batchSize: p.batchSize } : {}),
        ...(p.deliverTimeoutMs !== undefined ? { deliverTimeoutMs: p.deliverTimeoutMs } : {}),
        ...(p.flush ? { flush: p.flush } : {}),
        ...(p.stableRetry !== undefined ? { stableRetry: p.stableRetry } : {}),
        ...(p.retryAtOnce ? { retryAtOnce: p.retryAtOnce } : {}),
      });
      // The connection pushes its state to its users: for a sink that is a cue to show its status through the kit
      // (the idle status reads the same state), so a refusal's red status is not overwritten at once.
      const user = Object.create(node, { status: { value: () => handle.show() } }) as RedNode;
      p.users.register(user);
      const unwatch = p.watch?.((up) => {
        if (up) buffer?.kick();
        handle.show();
      });
      // A state that does not change (e.g. "not set up") was shown before the flow's Status nodes existed: show it again once the flow runs.
      RED.events?.once('flows:started', () => handle.show());
      p.started?.();
      handle.show();
      let seq = 0;
      onInput(node, async (msg, sendFn) => {
        try {
          const body = await p.check(msg);
          if (p.hold) await p.hold(body, msg);
          else if (buffer) {
            const id = await buffer.acceptWithId(body as unknown as T);
            p.stored?.(id, msg);
          }
          else if (p.direct) await p.direct(body, msg, sendFn);
          else {
            seq += 1;
            const key = `${node.id}:${typeof msg._msgid === 'string' ? msg._msgid : `${Date.now()}-${seq}`}`;
            const outcome = await p.deliver([{ id: seq, key, ts: Date.now(), body: body as unknown as T, bytes: 0 }], () => undefined, sendFn, DIRECT);
            if (outcome && outcome.error) throw outcome.error;
          }
        } catch (err) {
          // onInput sets the red status and calls done(err): it stays visible for a few seconds.
          live.failed();
          throw err;
        }
        handle.show();
      });
      onClose(node, async (removed) => {
        unwatch?.();
        live.cancel();
        await p.close?.(removed);
        await buffer?.close(removed);
        await p.users.deregister(user, removed);
      });
    },
  });
}
