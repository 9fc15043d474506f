/**
 * When alarm mails go out: a rate limit (at most N mails in any period) and a
 * digest window. Nothing is dropped: what exceeds the rate waits and is folded
 * into the next mail. Pure logic with an injectable clock; the timers are the
 * only side effect.
 */

/**
 * At most `capacity` takes in any window of `periodMs` (a sliding-window log:
 * strict, unlike a refilling token bucket which allows up to 2N in a window).
 * A fresh limiter allows a burst of `capacity`.
 */
export class RateLimiter {
  private readonly log: number[] = [];

  constructor(
    readonly capacity: number,
    readonly periodMs: number,
  ) {}

  private prune(now: number): void {
    while (this.log.length > 0 && this.log[0]! <= now - this.periodMs) this.log.shift();
  }

  /** Takes a slot if one is free. */
  take(now = Date.now()): boolean {
    this.prune(now);
    if (this.log.length >= this.capacity) return false;
    this.log.push(now);
    return true;
  }

  /** Milliseconds until a slot is free (0 = now). */
  waitMs(now = Date.now()): number {
    this.prune(now);
    return this.log.length < this.capacity ? 0 : Math.max(1, this.log[0]! + this.periodMs - now);
  }

  available(now = Date.now()): number {
    this.prune(now);
    return this.capacity - this.log.length;
  }
}

/**
 * Thrown by `emit` when only part of a batch was handed over (one mail per recipient group: the
 * k-th was refused): `remaining` are the items whose mail was not handed over; only they go back
 * to pending (the others are in the mail queue and must not be sent again).
 */
export class PartlyEmitted<T> extends Error {
  constructor(
    readonly remaining: T[],
    readonly reason: unknown,
  ) {
    super(reason instanceof Error ? reason.message : String(reason));
    this.name = 'PartlyEmitted';
  }
}

export interface SchedulerOptions<T> {
  /** 'each': a mail per item while the rate allows, the rest folded into one mail when a token is back; 'digest': one mail per window. */
  mode: 'each' | 'digest';
  digestMs: number;
  rateCount: number;
  ratePeriodMs: number;
  /** Hands a batch over for sending (one mail, or one per recipient group). A rejection puts the batch back in front of the pending items — only `remaining` when it is a PartlyEmitted. */
  emit(batch: T[]): Promise<void>;
  /** Pending count or the next mail time changed (for the status). */
  onChange?(): void;
  onEmitError?(err: unknown): void;
  now?: () => number;
}

export class MailScheduler<T> {
  private pending: T[] = [];
  private timer: NodeJS.Timeout | null = null;
  private due = 0;
  private closed = false;
  private readonly bucket: RateLimiter;
  private readonly now: () => number;
  /** Mails handed over so far. */
  emitted = 0;

  constructor(private readonly opts: SchedulerOptions<T>) {
    this.now = opts.now ?? Date.now;
    this.bucket = new RateLimiter(opts.rateCount, opts.ratePeriodMs);
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** When the next mail with the pending items goes out (epoch ms), or null. */
  get nextAt(): number | null {
    return this.timer ? this.due : null;
  }

  /**
   * Adds an item. In 'each' mode with nothing pending and a token at hand, it
   * is sent at once (the returned promise is the hand-over); otherwise it waits.
   */
  async add(item: T): Promise<void> {
    if (this.closed) throw new Error('the mail scheduler is closed');
    if (this.opts.mode === 'each' && this.pending.length === 0 && this.bucket.take(this.now())) {
      this.emitted += 1;
      // Sent at once: a refusal goes to the caller as it is (the item was not kept).
      await this.opts.emit([item]).catch((err: unknown) => {
        throw err instanceof PartlyEmitted ? err.reason : err;
      });
      return;
    }
    this.pending.push(item);
    this.schedule();
    this.opts.onChange?.();
  }

  /**
   * Items left over from before a restart (kept durably by the caller): they
   * have waited long enough, so they go out with the next free slot.
   */
  restore(items: T[]): void {
    if (this.closed || items.length === 0) return;
    this.pending = [...items, ...this.pending];
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const now = this.now();
    this.arm(now + this.bucket.waitMs(now));
    this.opts.onChange?.();
  }

  /** Takes everything pending out (close: the caller stores it for sending). */
  drain(): T[] {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const out = this.pending;
    this.pending = [];
    return out;
  }

  private schedule(): void {
    if (this.timer || this.pending.length === 0 || this.closed) return;
    const now = this.now();
    const wait = this.opts.mode === 'digest' ? this.opts.digestMs : this.bucket.waitMs(now);
    this.arm(now + wait);
  }

  private arm(at: number): void {
    this.due = at;
    this.timer = setTimeout(() => this.fire(), Math.max(0, at - this.now()));
    this.timer.unref?.();
  }

  private fire(): void {
    this.timer = null;
    if (this.closed || this.pending.length === 0) return;
    const now = this.now();
    if (!this.bucket.take(now)) {
      // The rate is used up: the digest waits for the next free slot and keeps collecting meanwhile.
      this.arm(now + this.bucket.waitMs(now));
      this.opts.onChange?.();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    this.emitted += 1;
    this.opts.emit(batch).then(
      () => this.opts.onChange?.(),
      (err: unknown) => {
        // Not handed over (e.g. the buffer refused it): back to the front, tried again with the next mail —
        // only what was not handed over when part of the batch went (PartlyEmitted).
        const back = err instanceof PartlyEmitted ? (err.remaining as T[]) : batch;
        this.pending = [...back, ...this.pending];
        this.opts.onEmitError?.(err instanceof PartlyEmitted ? err.reason : err);
        this.schedule();
        this.opts.onChange?.();
      },
    );
    this.schedule();
    this.opts.onChange?.();
  }
}
