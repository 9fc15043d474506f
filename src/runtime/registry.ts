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
 * Connection errors never escape as rejected promises: they become a red
 * status on every user and a log line on the config node.
 */
export class ConnectionUsers {
  private readonly users = new Map<string, RedNode>();
  private state: { state: StatusState; text: string } = { state: 'idle', text: 'not connected' };
  private opening: Promise<void> | null = null;
  private open = false;

  constructor(
    private readonly owner: Pick<RedNode, 'warn' | 'log'>,
    private readonly hooks: ConnectionHooks,
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
      })
      .catch((err: unknown) => {
        const e = toError(err);
        this.owner.warn(`connect failed: ${e.message}`);
        this.setState('error', e.message);
      })
      .finally(() => {
        this.opening = null;
      });
  }

  private async stop(): Promise<void> {
    if (this.opening) await this.opening;
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
