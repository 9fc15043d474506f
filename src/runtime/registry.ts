import { toError } from '../model/errors';
import { setStatus, type StatusState } from './status';
import type { RedNode } from './types';

export interface ConnectionHooks {
  /** Opens the connection; called when the first user registers. */
  connect(): Promise<void>;
  /** Closes it; called when the last user deregisters or the config node closes. */
  disconnect(): Promise<void>;
}

/**
 * The user registry a config node keeps for the connection it owns: users
 * `register`/`deregister`; the connection opens on the first user and closes
 * after the last one; every state change is pushed to all users' status.
 * A rejected `connect()` is retried with capped, jittered backoff while users
 * remain (connectors with their own reconnect loop simply never reject).
 * Connection errors never escape as rejected promises: they become a red
 * status on every user and a log line on the config node.
 */
export interface RetryOptions {
  /** First retry after a failed connect (default 1 s); doubles up to `maxMs`, with ±20 % jitter. */
  minMs?: number;
  maxMs?: number;
}

export class ConnectionUsers {
  private readonly users = new Map<string, RedNode>();
  private state: { state: StatusState; text: string } = { state: 'idle', text: 'not connected' };
  private opening: Promise<void> | null = null;
  private open = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;

  constructor(
    private readonly owner: Pick<RedNode, 'warn' | 'log'>,
    private readonly hooks: ConnectionHooks,
    private readonly retry: RetryOptions = {},
  ) {}

  get size(): number {
    return this.users.size;
  }

  get connected(): boolean {
    return this.open;
  }

  /** Adds a user; the first user opens the connection. */
  register(user: RedNode): void {
    this.users.set(user.id, user);
    setStatus(user, this.state.state, this.state.text);
    if (!this.open && !this.opening) this.start();
  }

  /** Removes a user; the last user closes the connection. */
  async deregister(user: RedNode): Promise<void> {
    this.users.delete(user.id);
    if (this.users.size === 0) await this.stop();
  }

  /** Pushes a state to every user's status (and to users that register later). */
  setState(state: StatusState, text: string): void {
    this.state = { state, text };
    for (const user of this.users.values()) setStatus(user, state, text);
  }

  /** Closes the connection whatever the users (config node close). */
  async close(): Promise<void> {
    this.users.clear();
    await this.stop();
  }

  private start(): void {
    this.setState('busy', 'connecting');
    this.opening = this.hooks
      .connect()
      .then(() => {
        this.open = true;
        this.failures = 0;
      })
      .catch((err: unknown) => {
        const e = toError(err);
        this.failures += 1;
        // A failed connect is retried with capped, jittered backoff while users remain.
        const min = this.retry.minMs ?? 1000;
        const max = this.retry.maxMs ?? 30_000;
        const delay = Math.round(Math.min(max, min * 2 ** (this.failures - 1)) * (0.8 + Math.random() * 0.4));
        this.owner.warn(`connect failed: ${e.message} (retry in ${Math.round(delay / 1000)} s)`);
        this.setState('error', e.message);
        if (this.users.size > 0) {
          this.retryTimer = setTimeout(() => {
            this.retryTimer = null;
            if (this.users.size > 0 && !this.open && !this.opening) this.start();
          }, delay);
          this.retryTimer.unref?.();
        }
      })
      .finally(() => {
        this.opening = null;
      });
  }

  private async stop(): Promise<void> {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    if (this.opening) await this.opening;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
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
