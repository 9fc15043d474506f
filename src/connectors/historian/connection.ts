/**
 * What the `plantwire-historian-db` config node owns and hands to its users
 * (historian-out nodes): one backend (one pg pool / one keep-alive HTTP
 * client) and the user registry that opens it on the first user, closes it
 * after the last, and pushes the state to every user's status. Uses the
 * runtime glue's types but not Node-RED itself.
 */
import { EventEmitter } from 'node:events';
import { Backoff, type BackoffOptions } from '../../model/backoff';
import { toError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import type { RedNode } from '../../model/node-red-types';
import { OutageLog } from '../../model/outage-log';
import type { HistorianBackend } from './types';

export interface HistorianConnectionState {
  connected: boolean;
  text: string;
}

/**
 * An unreachable database is not an error of the flow: the connection keeps
 * trying on its own (the shared backoff, src/model/backoff.ts: 1 s doubling to
 * 30 s, jittered) and shows why on every user's status; the log gets one line
 * per outage (src/model/outage-log.ts). The sink's buffer keeps the messages
 * meanwhile.
 */
export class HistorianConnection extends EventEmitter {
  readonly users: ConnectionUsers;
  private current: HistorianConnectionState = { connected: false, text: 'not connected' };
  private retryTimer: NodeJS.Timeout | null = null;
  private readonly backoff: Backoff;
  private readonly outage: OutageLog;
  private active = false;

  constructor(
    private readonly owner: Pick<RedNode, 'warn' | 'log'>,
    readonly backend: HistorianBackend,
    retry: BackoffOptions = { initialMs: 1000, maxMs: 30_000 },
  ) {
    super();
    this.backoff = new Backoff(retry);
    this.outage = new OutageLog(owner, `historian ${backend.label}`);
    this.users = new ConnectionUsers(owner, {
      connect: async () => {
        this.active = true;
        await this.attempt();
      },
      disconnect: async () => {
        this.active = false;
        if (this.retryTimer) clearTimeout(this.retryTimer);
        this.retryTimer = null;
        this.backoff.reset();
        this.outage.clear();
        this.set(false, 'disconnected');
        await this.backend.release?.();
      },
    });
  }

  private async attempt(): Promise<void> {
    try {
      await this.backend.open();
    } catch (err) {
      const text = toError(err).message;
      this.set(false, text);
      this.users.setState('error', text);
      this.outage.failed(text);
      const delay = this.backoff.next();
      if (this.active) {
        this.retryTimer = setTimeout(() => {
          this.retryTimer = null;
          if (this.active && !this.current.connected) void this.attempt();
        }, delay);
        this.retryTimer.unref?.();
      }
      return;
    }
    this.backoff.reset();
    this.outage.succeeded();
    this.set(true, `connected to ${this.backend.label}`);
    this.users.setState('ok', this.current.text);
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
    this.active = false;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    await this.users.close();
    await this.backend.close();
  }
}
