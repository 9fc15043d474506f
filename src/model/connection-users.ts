/**
 * The user registry a config node keeps for the connection it owns. Below
 * the runtime (no Node-RED import) so that connectors can own one; the glue
 * re-exports it from src/runtime/registry.ts.
 *
 * Users `register` / `deregister(user, removed)`; the connection opens on the
 * first user. It closes when the last user is REMOVED from the flows, as
 * Node-RED core's 10-mqtt does — never because a user was merely restarted
 * by a "modified nodes"/"modified flows" deploy: then the connection stays
 * open for the new instance of that user, which registers again at once.
 * If nobody registers again within `lingerMs` (the user now points to
 * another config node), it closes then. Every state change is pushed to all
 * users' status. A rejected `connect()` is retried on the shared backoff
 * (src/model/backoff.ts) while users remain, and logged once per outage
 * (src/model/outage-log.ts); so is a connection that was open and is lost
 * for good (`lost`). Connection errors never escape as rejected
 * promises: they become a red status on every user.
 */
import { Backoff } from './backoff';
import type { Connector } from './connector';
import { toError } from './errors';
import type { RedNode } from './node-red-types';
import { OutageLog } from './outage-log';
import { connectionStatus, setStatus, type ConnectionState, type StatusState } from './status';

export interface ConnectionHooks {
  /** Opens the connection; called when the first user registers. */
  connect(): Promise<void>;
  /** Closes it; called when the last user is removed or the config node closes. */
  disconnect(): Promise<void>;
}

export interface RetryOptions {
  /** First retry after a failed connect (default 1 s); doubles up to `maxMs` (default 30 s), jittered. */
  minMs?: number;
  maxMs?: number;
  /** Failed attempts after which "still down" is logged (then 2N, 4N, …); default 10. */
  stillDownAfter?: number;
  /** How long a connection whose last user was restarted (not removed) waits for it to come back (default 30 s). */
  lingerMs?: number;
  /** The users' status text for a failed connect (default: the error's message). */
  errorText?: (err: Error) => string;
}

/** What a user of a connection must offer: an id and a status. */
export type ConnectionUser = Pick<RedNode, 'id' | 'status'>;

export class ConnectionUsers {
  private readonly users = new Map<string, ConnectionUser>();
  private state: { state: StatusState; text: string } = { state: 'idle', text: 'not connected' };
  private opening: Promise<void> | null = null;
  /** A connect is in progress (set before it is called: a connector may report a loss synchronously). */
  private connecting = false;
  /** A loss reported while the connect was still finishing (the new connection closed at once): handled once it resolved. */
  private lostWhileOpening: Error | null = null;
  private open = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly outage: OutageLog;
  private readonly listeners = new Set<(status: { state: StatusState; text: string }) => void>();

  /**
   * The supervisor of a connector (src/model/connector.ts): `start()` on the
   * first user, retried on the one backoff while it rejects, `stop()` after
   * the last; its typed states reach every user's status.
   */
  static of(owner: { warn(msg: string): void; log(msg: string): void }, connector: Connector, retry: RetryOptions & { what?: string } = {}): ConnectionUsers {
    const users = new ConnectionUsers(owner, { connect: () => connector.start(), disconnect: () => connector.stop() }, retry);
    connector.onState?.((s) => users.setState(s));
    return users;
  }

  constructor(
    private readonly owner: { warn(msg: string): void; log(msg: string): void },
    private readonly hooks: ConnectionHooks,
    private readonly retry: RetryOptions & { what?: string } = {},
  ) {
    this.backoff = new Backoff({ initialMs: retry.minMs ?? 1000, maxMs: retry.maxMs ?? 30_000 });
    this.outage = new OutageLog(owner, retry.what ?? 'connection', { stillDownAfter: retry.stillDownAfter });
  }

  get size(): number {
    return this.users.size;
  }

  get connected(): boolean {
    return this.open;
  }

  /** Adds a user; the first user opens the connection (a restarted user finds it still open). */
  register(user: ConnectionUser): void {
    this.cancelLinger();
    this.users.set(user.id, user);
    setStatus(user, this.state.state, this.state.text);
    if (!this.open && !this.opening && !this.retryTimer) this.start();
  }

  /**
   * Removes a user. `removed` is Node-RED's close flag: true when the node was
   * deleted from the flows (the last such user closes the connection), false
   * when it is only restarted by a deploy (the connection stays for its new
   * instance). Omitted, it counts as removed.
   */
  async deregister(user: ConnectionUser, removed = true): Promise<void> {
    // A late close of an old instance must not remove the new instance registered under the same id.
    if (this.users.get(user.id) !== user) return;
    this.users.delete(user.id);
    if (this.users.size > 0) return;
    if (removed) {
      this.cancelLinger();
      await this.stop(true);
      return;
    }
    this.cancelLinger();
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      if (this.users.size === 0) void this.stop(true);
    }, this.retry.lingerMs ?? 30_000);
    this.lingerTimer.unref?.();
  }

  /** The status users show now. */
  get status(): { state: StatusState; text: string } {
    return this.state;
  }

  /** Calls `listener` on every state change (e.g. a sink retrying its buffer when the connection is up); returns the unsubscribe function. */
  onState(listener: (status: { state: StatusState; text: string }) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Pushes a state to every user's status (and to users that register later):
   * a typed connection state (mapped by `connectionStatus`, the one place), or
   * a status colour and text.
   */
  setState(state: ConnectionState): void;
  setState(state: StatusState, text: string): void;
  setState(state: StatusState | ConnectionState, text = ''): void {
    this.state = typeof state === 'string' ? { state, text } : connectionStatus(state);
    for (const user of this.users.values()) setStatus(user, this.state.state, this.state.text);
    for (const l of this.listeners) l(this.state);
  }

  /**
   * Traffic went through (e.g. a mail was sent) while the supervisor waited to
   * retry: the connection is up — the retry is cancelled, the backoff reset,
   * the outage logged as over.
   */
  confirm(): void {
    if (this.open || this.opening || this.users.size === 0) return;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.open = true;
    this.backoff.reset();
    this.outage.succeeded();
  }

  /**
   * The connection that was open is gone for good (e.g. the client gave up
   * reconnecting, or the server closed it): back to the retry loop on the one
   * backoff, logged once per outage, shown on every user — as a refused
   * connect is. Ignored while nothing is open (a stop); during a connect in
   * progress it is kept and handled once that connect resolved (the server
   * closed the new connection at once: it is not taken as open).
   */
  lost(err: unknown): void {
    if (this.connecting) {
      this.lostWhileOpening = toError(err);
      return;
    }
    if (!this.open) return;
    this.open = false;
    this.retryLater(toError(err));
  }

  /** Closes the connection whatever the users (config node close). */
  async close(): Promise<void> {
    this.users.clear();
    this.cancelLinger();
    await this.stop();
  }

  private cancelLinger(): void {
    if (this.lingerTimer) clearTimeout(this.lingerTimer);
    this.lingerTimer = null;
  }

  private start(): void {
    this.setState('busy', 'connecting');
    this.lostWhileOpening = null;
    this.connecting = true;
    let connecting: Promise<void>;
    try {
      connecting = this.hooks.connect();
    } catch (err) {
      connecting = Promise.reject(err);
    }
    this.opening = connecting
      .then(() => {
        // From here a loss is one of an open connection (handled by lost() at once).
        this.connecting = false;
        const lost = this.lostWhileOpening;
        if (lost) {
          this.lostWhileOpening = null;
          this.retryLater(lost);
          return;
        }
        this.open = true;
        this.backoff.reset();
        this.outage.succeeded();
      })
      .catch((err: unknown) => this.retryLater(toError(err)))
      .finally(() => {
        this.connecting = false;
        this.opening = null;
        this.lostWhileOpening = null;
      });
  }

  /** A connect failed or the connection was lost: shown, logged once per outage, retried after the backoff while users remain. */
  private retryLater(e: Error): void {
    const delay = this.backoff.next();
    this.outage.failed(e.message);
    this.setState('error', this.retry.errorText?.(e) ?? e.message);
    if (this.users.size > 0) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.users.size > 0 && !this.open && !this.opening) this.start();
      }, delay);
      this.retryTimer.unref?.();
    }
  }

  /**
   * Ends the connection. With `ifUnused` (the last user left) it gives up when a
   * user registered meanwhile — e.g. while it waited for a connect in progress,
   * a deploy started a new user — so that user keeps its connection and retries.
   */
  private async stop(ifUnused = false): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.opening) await this.opening;
    if (ifUnused && this.users.size > 0) {
      if (!this.open && !this.opening && !this.retryTimer) this.start();
      return;
    }
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.backoff.reset();
    this.outage.clear();
    if (!this.open) return;
    this.open = false;
    try {
      await this.hooks.disconnect();
    } catch (err) {
      this.owner.warn(`disconnect failed: ${toError(err).message}`);
    }
    this.setState('idle', 'disconnected');
  }
}
