/**
 * What the `plantwire-historian-db` config node owns and hands to its users
 * (historian-out nodes): one backend (one pg pool / one keep-alive HTTP
 * client) and the user registry that opens it on the first user, closes it
 * after the last, and pushes the state to every user's status. Uses the
 * runtime glue's types but not Node-RED itself.
 */
import { EventEmitter } from 'node:events';
import { toError } from '../../model/errors';
import { ConnectionUsers, type RetryOptions } from '../../model/connection-users';
import type { RedNode } from '../../model/node-red-types';
import type { ConnectionPhase } from '../../model/status';
import type { HistorianBackend } from './types';

export interface HistorianConnectionState {
  phase: ConnectionPhase;
  connected: boolean;
  text: string;
}

/**
 * An unreachable database is not an error of the flow: `backend.open()`
 * rejects, and the connection kit's supervisor (ConnectionUsers: the shared
 * backoff, 1 s doubling to 30 s, jittered; one log line per outage) tries
 * again while users remain and shows why on every user's status. The sink's
 * buffer keeps the messages meanwhile.
 */
export class HistorianConnection extends EventEmitter {
  readonly users: ConnectionUsers;
  private current: HistorianConnectionState = { phase: 'stopped', connected: false, text: 'not connected' };

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly backend: HistorianBackend,
    retry: RetryOptions = { minMs: 1000, maxMs: 30_000 },
  ) {
    super();
    this.users = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          this.set('connecting', `connecting to ${this.backend.label}`);
          try {
            await this.backend.open();
          } catch (err) {
            this.set('retrying', toError(err).message);
            throw err;
          }
          this.set('connected', `connected to ${this.backend.label}`);
        },
        disconnect: async () => {
          this.set('stopped', 'disconnected');
          await this.backend.release?.();
        },
      },
      { ...retry, what: `historian ${backend.label}` },
    );
  }

  get state(): HistorianConnectionState {
    return this.current;
  }

  /** A write succeeded or failed: the shared state follows (users' idle status, reconnect kick). */
  report(ok: boolean, text?: string): void {
    if (ok && !this.current.connected) this.set('connected', `connected to ${this.backend.label}`);
    else if (!ok && this.current.connected) this.set('error', text ?? 'write failed', false);
  }

  private set(phase: ConnectionPhase, text: string, toUsers = true): void {
    const changed = phase !== this.current.phase || text !== this.current.text;
    this.current = { phase, connected: phase === 'connected', text };
    if (toUsers && phase !== 'stopped') this.users.setState({ phase, text });
    if (changed) this.emit('state', this.current);
  }

  async close(): Promise<void> {
    await this.users.close();
    await this.backend.close();
  }
}
