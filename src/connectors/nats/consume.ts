/**
 * The shared durable pull consumer behind `plantwire-nats-in`. Every
 * instance (Node-RED process) that runs the same flow pulls from the same
 * durable consumer, so JetStream hands each message to one of them; a
 * message is acknowledged only when the flow says so (a plantwire-nats-ack
 * node, or at once in "receive" mode) and is delivered again — to any
 * instance — when it is refused (nak), or when nobody acknowledged it within
 * the consumer's ack wait (the instance died or the flow dropped it). After
 * max deliver attempts JetStream stops; the advisory it publishes is taken by
 * one instance (queue group) and handed on as a dead letter.
 *
 * In flight is bounded twice: per instance (`inFlight`: the loop takes no
 * further message while that many are unacknowledged here; the client's pull
 * is paced by the loop) and per consumer (`max_ack_pending`, on the server).
 * No Node-RED import.
 */
import type { JsMsg } from '@nats-io/jetstream';
import type { NatsConnection, Subscription } from '@nats-io/transport-node';
import { Backoff } from '../../model/backoff';
import { toError } from '../../model/errors';
import type { NatsLink } from './connection';
import type { NatsInSettings } from './settings';

export type Settlement = 'ack' | 'nak' | 'term';

export interface Delivery {
  /** Identifies the delivery for a later settle(): `<stream>/<consumer>/<stream sequence>`. */
  key: string;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
  stream: string;
  consumer: string;
  streamSeq: number;
  /** 1 on the first delivery, 2 on the first redelivery, … */
  deliveryCount: number;
  redelivered: boolean;
  /** Messages left in the consumer after this one. */
  pending: number;
  /** When the stream stored it (ISO). */
  time: string;
}

export interface DeadLetter {
  reason: 'max-deliveries' | 'terminated';
  stream: string;
  consumer: string;
  streamSeq: number;
  deliveries?: number;
  /** The message, when the stream still holds it. */
  subject?: string;
  data?: Uint8Array;
  time?: string;
  error?: string;
}

interface Tracked {
  msg: JsMsg;
  owner: SharedConsumer;
  at: number;
  /** Its ack wait ran out: no longer counted in flight; JetStream may have delivered it again. */
  expired: boolean;
}

/** Unacknowledged deliveries of this process, by key: a nats-ack node settles them whichever nats-in (or its restarted successor) took them. */
const PENDING = new Map<string, Tracked>();

/**
 * What settling found: `settled` in time; `late` — settled, but after its ack
 * wait ran out, so JetStream may already have delivered it again (a
 * duplicate downstream); `unknown` — settled before, or so late that it was
 * forgotten (JetStream delivers it again).
 */
export type SettleResult = 'settled' | 'late' | 'unknown';

/**
 * Acknowledges (`ack`), refuses (`nak`: delivered again after `nakDelayMs`)
 * or gives up (`term`: never again, reported as dead letter) a delivery.
 */
export function settleDelivery(key: string, how: Settlement, nakDelayMs?: number): SettleResult {
  const t = PENDING.get(key);
  if (!t) return 'unknown';
  PENDING.delete(key);
  if (how === 'ack') t.msg.ack();
  else if (how === 'nak') t.msg.nak(nakDelayMs ?? t.owner.settings.nakDelayMs);
  else t.msg.term('refused by the flow');
  t.owner.released(t.expired);
  return t.expired ? 'late' : 'settled';
}

function headerRecord(m: JsMsg): Record<string, string> {
  const out: Record<string, string> = {};
  if (!m.headers) return out;
  for (const [k, v] of m.headers) out[k] = v.join(', ');
  return out;
}

export interface ConsumerEvents {
  /** A delivery for the flow. Throwing here naks it. */
  deliver(d: Delivery): void;
  deadLetter(d: DeadLetter): void;
  /** A failure of the consume loop (retried on the shared backoff). */
  error(err: Error): void;
  /** Consuming (again). */
  running(): void;
}

export class SharedConsumer {
  private stopped = false;
  private iter: { close(): Promise<void | Error> } | null = null;
  private advisories: Subscription[] = [];
  /** The connection the advisories are subscribed on. */
  private advisoriesOn: NatsConnection | null = null;
  private inFlight = 0;
  private freed: (() => void) | null = null;
  private readonly backoff = new Backoff({ initialMs: 1000, maxMs: 30_000 });
  private loop: Promise<void> | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  received = 0;
  settled = 0;
  /** Deliveries whose ack wait ran out here (delivered again by JetStream). */
  expiredCount = 0;

  constructor(
    private readonly link: NatsLink,
    readonly settings: NatsInSettings,
    private readonly events: ConsumerEvents,
  ) {}

  get unacknowledged(): number {
    return this.inFlight;
  }

  start(): void {
    this.loop = this.run();
    // Deliveries nobody settled within the ack wait are JetStream's again (redelivered): forget them here.
    this.sweeper = setInterval(() => this.sweep(), Math.min(this.settings.ackWaitMs, 5000));
    this.sweeper.unref?.();
  }

  /** A delivery whose ack wait ran out (or that JetStream delivered again): no longer in flight here. */
  expire(t: Tracked): void {
    t.expired = true;
    this.inFlight--;
    this.expiredCount++;
    const f = this.freed;
    this.freed = null;
    f?.();
  }

  /** Called by settleDelivery. */
  released(expired: boolean): void {
    this.settled++;
    if (expired) return;
    this.inFlight--;
    const f = this.freed;
    this.freed = null;
    f?.();
  }

  /**
   * A delivery not settled within the ack wait is JetStream's again (it
   * delivers it anew): it no longer holds a slot here. It stays settleable
   * (a late ack still spares a redelivery not yet made) for three more ack
   * waits, then it is forgotten.
   */
  private sweep(): void {
    const now = Date.now();
    const wait = this.settings.ackWaitMs;
    for (const [key, t] of PENDING) {
      if (t.owner !== this) continue;
      if (!t.expired && t.at < now - wait) {
        this.expire(t);
      } else if (t.expired && t.at < now - 4 * wait) PENDING.delete(key);
    }
    const f = this.freed;
    this.freed = null;
    f?.();
  }

  private async slot(): Promise<void> {
    while (this.inFlight >= this.settings.inFlight && !this.stopped) {
      await new Promise<void>((r) => (this.freed = r));
    }
  }

  private async run(): Promise<void> {
    const s = this.settings;
    while (!this.stopped) {
      try {
        // Stopped (node closed, redeployed) during any of these waits — e.g. while the link was still
        // connecting: nothing more is set up, nothing consumed.
        await this.link.ensureConsumer(s);
        if (this.stopped) break;
        const { js, nc } = await this.link.jetstream();
        if (this.stopped) break;
        await this.watchAdvisories(nc);
        if (this.stopped) break;
        const consumer = await js.consumers.get(s.stream.name, s.durable);
        if (this.stopped) break;
        // The client pulls ahead at most a quarter of the in-flight limit: messages waiting in its
        // buffer already run down their ack wait, so the buffer stays small. A stream or consumer deleted
        // meanwhile ends the loop with an error (abort_on_missing_resource): the next round creates them again.
        const iter = await consumer.consume({ max_messages: Math.max(1, Math.min(Math.ceil(s.inFlight / 4), 256)), abort_on_missing_resource: true });
        this.iter = iter;
        if (this.stopped) {
          await iter.close().catch(() => undefined);
          break;
        }
        this.backoff.reset();
        this.events.running();
        for await (const m of iter) {
          await this.slot();
          if (this.stopped) {
            // Not handed to the flow: another instance may take it at once.
            m.nak();
            continue;
          }
          this.take(m);
        }
      } catch (err) {
        if (this.stopped) break;
        this.events.error(toError(err));
        await new Promise((r) => setTimeout(r, this.backoff.next()));
      }
    }
    // Subscribed during a wait that stop() did not see end: not left behind.
    this.unwatchAdvisories();
  }

  private take(m: JsMsg): void {
    const s = this.settings;
    const key = `${s.stream.name}/${s.durable}/${m.info.streamSequence}`;
    this.received++;
    const d: Delivery = {
      key,
      subject: m.subject,
      data: m.data,
      headers: headerRecord(m),
      stream: s.stream.name,
      consumer: s.durable,
      streamSeq: m.info.streamSequence,
      deliveryCount: m.info.deliveryCount,
      redelivered: m.redelivered,
      pending: m.info.pending,
      time: new Date(Math.floor(m.info.timestampNanos / 1e6)).toISOString(),
    };
    if (s.ackMode === 'receive') {
      m.ack();
      this.settled++;
      this.events.deliver(d);
      return;
    }
    // JetStream may deliver a message again before the sweep saw its ack wait run out (the sweep lags by
    // up to a few seconds): the earlier delivery stops holding a slot here, or the slot would leak.
    const earlier = PENDING.get(key);
    if (earlier && !earlier.expired) earlier.owner.expire(earlier);
    this.inFlight++;
    PENDING.set(key, { msg: m, owner: this, at: Date.now(), expired: false });
    try {
      this.events.deliver(d);
    } catch (err) {
      settleDelivery(key, 'nak');
      throw err;
    }
  }

  private unwatchAdvisories(): void {
    for (const a of this.advisories) a.unsubscribe();
    this.advisories = [];
    this.advisoriesOn = null;
  }

  /** One instance (queue group per durable) turns JetStream's advisories into dead letters; subscribed again on a new connection. */
  private async watchAdvisories(nc: NatsConnection): Promise<void> {
    if (this.advisoriesOn === nc && this.advisories.length) return;
    this.unwatchAdvisories();
    const s = this.settings;
    const { jsm } = await this.link.jetstream();
    if (this.stopped) return;
    const queue = `plantwire-dlq-${s.stream.name}-${s.durable}`;
    const watch = (kind: 'MAX_DELIVERIES' | 'MSG_TERMINATED', reason: DeadLetter['reason']): Subscription =>
      nc.subscribe(`$JS.EVENT.ADVISORY.CONSUMER.${kind}.${s.stream.name}.${s.durable}`, {
        queue,
        callback: (err, msg) => {
          if (err || this.stopped) return;
          void (async () => {
            let a: { stream_seq?: number; deliveries?: number; reason?: string };
            try {
              a = msg.json();
            } catch {
              return;
            }
            const dl: DeadLetter = { reason, stream: s.stream.name, consumer: s.durable, streamSeq: Number(a.stream_seq) };
            if (a.deliveries !== undefined) dl.deliveries = a.deliveries;
            try {
              const sm = await jsm.streams.getMessage(s.stream.name, { seq: dl.streamSeq });
              if (sm) {
                dl.subject = sm.subject;
                dl.data = sm.data;
                dl.time = sm.time.toISOString();
              }
            } catch (e) {
              dl.error = `message ${dl.streamSeq} no longer in stream ${s.stream.name}: ${toError(e).message}`;
            }
            this.events.deadLetter(dl);
          })().catch((e: unknown) => this.events.error(toError(e)));
        },
      });
    this.advisories = [watch('MAX_DELIVERIES', 'max-deliveries'), watch('MSG_TERMINATED', 'terminated')];
    this.advisoriesOn = nc;
  }

  /**
   * Stops taking messages. Unsettled deliveries stay settleable (a message
   * still in the flow can be acknowledged by a nats-ack node after a
   * redeploy); the rest is delivered again after the ack wait.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.sweeper) clearInterval(this.sweeper);
    const f = this.freed;
    this.freed = null;
    f?.();
    this.unwatchAdvisories();
    await this.iter?.close().catch(() => undefined);
    // A loop still waiting for the connection ends with it; do not hold the close handler for it.
    await Promise.race([this.loop, new Promise((r) => setTimeout(r, 2000).unref?.())]);
  }
}
