/**
 * Status for nodes that handle a stream of messages (the transforms): the
 * text (counts, rates) is refreshed at most once per interval — a status
 * update per message would flood the editor's comms link — and a failure's
 * red status stays visible for a while even when good messages follow at
 * once, then the normal status returns with the error count.
 */
import { setStatus, type StatusState } from './status';
import type { RedNode } from './types';

export class LiveStatus {
  private last = 0;
  private timer: NodeJS.Timeout | null = null;
  private pending: { state: StatusState; text: string } | null = null;
  private heldUntil = 0;
  /** Failures seen (shown after the red status clears). */
  failures = 0;

  constructor(
    private readonly node: Pick<RedNode, 'status'>,
    private readonly intervalMs = 1000,
    private readonly holdErrorMs = 3000,
    /** Append " · N failed" to the normal status (the transforms); sinks show their own counts. */
    private readonly countFailures = true,
  ) {}

  /** Sets the status now (e.g. at start), cancelling pending updates. */
  now(state: StatusState, text: string): void {
    this.cancel();
    this.last = Date.now();
    setStatus(this.node, state, text);
  }

  /** Asks for a status; shown at once or at the end of the current interval. */
  update(state: StatusState, text: string): void {
    this.pending = { state, text: this.countFailures && this.failures > 0 && state !== 'error' ? `${text} · ${this.failures} failed` : text };
    if (this.timer) return;
    const now = Date.now();
    const due = Math.max(this.last + this.intervalMs, this.heldUntil);
    if (now >= due) {
      this.flush();
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush();
    }, due - now);
    this.timer.unref?.();
  }

  /** Records a failure whose red status the input wrapper has just set: it is kept for a while. */
  failed(): void {
    this.failures += 1;
    this.heldUntil = Date.now() + this.holdErrorMs;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    if (this.pending) this.update(this.pending.state, this.countFailures ? this.pending.text.replace(/ · \d+ failed$/, '') : this.pending.text);
  }

  private flush(): void {
    if (!this.pending) return;
    this.last = Date.now();
    setStatus(this.node, this.pending.state, this.pending.text);
    this.pending = null;
  }

  /** Stops pending updates (node close). */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }
}
