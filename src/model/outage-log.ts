/**
 * One log line per outage, the same for every connection: an info line when
 * it goes down (an unreachable server at deploy is a status, not a warning —
 * as Node-RED core's MQTT node does), one "still down" warning after N failed attempts, further
 * reminders only once the outage has lasted `remindAfterMs` (10 min) and then
 * each time its length doubled (20, 40, 80 min…: a day-long outage stays a
 * handful of lines), and one line when it is back with how long it was down.
 * The attempts in between only change the status. So an outage shorter than
 * 10 minutes logs at most 3 lines whatever the backoff. Every connection that
 * retries logs through this class.
 */
export interface OutageLogger {
  warn(msg: string): void;
  log(msg: string): void;
}

export interface OutageLogOptions {
  /** Failed attempts after which "still down" is logged the first time; default 10. */
  stillDownAfter?: number;
  /** Outage length before any further "still down" line (then each time the length doubled); default 10 min. */
  remindAfterMs?: number;
  /** Clock (tests). */
  now?: () => number;
}

export class OutageLog {
  private since: number | null = null;
  private failures = 0;
  private reminded = 0;
  private nextReminderAt = 0;
  private readonly every: number;
  private readonly remindAfterMs: number;
  private readonly now: () => number;

  constructor(
    private readonly logger: OutageLogger,
    private readonly what: string,
    opts: OutageLogOptions = {},
  ) {
    this.every = Math.max(1, Math.floor(opts.stillDownAfter ?? 10));
    this.remindAfterMs = Math.max(0, opts.remindAfterMs ?? 600_000);
    this.now = opts.now ?? Date.now;
  }

  /** True between the first failure and the next success. */
  get down(): boolean {
    return this.since !== null;
  }

  /**
   * A failed attempt (or a lost connection). Logs the first one and the reminders. `refused`: the
   * other side refused us (login, security policy, configuration) — something only the user can
   * fix, so the first line is a warning; an unreachable peer is an info line.
   */
  failed(reason: string, refused = false): void {
    this.failures += 1;
    if (this.since === null) {
      this.since = this.now();
      (refused ? this.logger.warn : this.logger.log).call(this.logger, `${this.what} down: ${reason}; retrying`);
      return;
    }
    const elapsed = this.now() - this.since;
    const due = this.reminded === 0 ? this.failures >= this.every : elapsed >= this.nextReminderAt;
    if (due) {
      this.reminded += 1;
      this.nextReminderAt = Math.max(this.remindAfterMs, 2 * elapsed);
      this.logger.warn(`${this.what} still down after ${this.failures} attempts (${seconds(this.now() - this.since)}): ${reason}`);
    }
  }

  /** A success. Logs "back" when there was an outage; a first connect is the caller's own line. */
  succeeded(): boolean {
    const was = this.since;
    this.since = null;
    const failures = this.failures;
    this.failures = 0;
    this.reminded = 0;
    if (was === null) return false;
    this.logger.log(`${this.what} back after ${seconds(this.now() - was)} (${failures} failed attempt${failures === 1 ? '' : 's'})`);
    return true;
  }

  /** Forget an outage without logging (the connection was stopped on purpose). */
  clear(): void {
    this.since = null;
    this.failures = 0;
    this.reminded = 0;
  }
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}
