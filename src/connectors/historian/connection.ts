/**
 * What the `plantwire-historian-db` config node owns and hands to its users
 * (historian-out nodes): one backend (one pg pool / one keep-alive HTTP
 * client) and the user registry that opens it on the first user, closes it
 * after the last, and pushes the state to every user's status. Uses the
 * runtime glue's types but not Node-RED itself.
 */
import { EventEmitter } from 'node:events';
import { toError } from '../../model/errors';
import { ConnectionUsers } from '../../runtime/registry';
import type { RedNode } from '../../runtime/types';
import type { HistorianBackend } from './types';

export interface HistorianConnectionState {
  connected: boolean;
  text: string;
}

export class HistorianConnection extends EventEmitter {
  readonly users: ConnectionUsers;
  private current: HistorianConnectionState = { connected: false, text: 'not connected' };

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly backend: HistorianBackend,
  ) {
    super();
    this.users = new ConnectionUsers(owner, {
      connect: async () => {
        try {
          await backend.open();
        } catch (err) {
          this.set(false, toError(err).message);
          throw err;
        }
        this.set(true, `connected to ${backend.label}`);
        this.users.setState('ok', this.current.text);
      },
      disconnect: async () => {
        this.set(false, 'disconnected');
      },
    });
  }

  get state(): HistorianConnectionState {
    return this.current;
  }

  /** A write succeeded or failed: the shared state follows (users' idle status, reconnect kick). */
  report(ok: boolean, text?: string): void {
    if (ok && !this.current.connected) {
      this.set(true, `connected to ${this.backend.label}`);
      this.users.setState('ok', this.current.text);
    } else if (!ok && this.current.connected) {
      this.set(false, text ?? 'write failed');
    }
  }

  private set(connected: boolean, text: string): void {
    const changed = connected !== this.current.connected || text !== this.current.text;
    this.current = { connected, text };
    if (changed) this.emit('state', this.current);
  }

  async close(): Promise<void> {
    await this.users.close();
    await this.backend.close();
  }
}
