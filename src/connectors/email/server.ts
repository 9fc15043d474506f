/**
 * What the `plantwire-smtp-server` config node owns and hands to its users
 * (email-out): the pooled mailer and the user registry. The first user
 * starts a verify (connect + login) whose result sets every user's status.
 * An unreachable server is not an error of the deployment — mails wait in
 * the users' retry queues — so a failed verify is only shown in the status
 * and tried again in the background (the shared backoff: 30 s, doubling to
 * 5 min, jittered; one log line per outage) while users
 * remain; the outcome of real sends updates the state as well.
 */
import { EventEmitter } from 'node:events';
import { Backoff } from '../../model/backoff';
import { toError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import type { StatusState } from '../../model/status';
import type { RedNode } from '../../model/node-red-types';
import { OutageLog } from '../../model/outage-log';
import { SmtpMailer } from './mailer';
import type { SmtpSettings } from './settings';

export const SMTP_HANDLE = 'plantwire.smtp-server';

export class SmtpServer extends EventEmitter {
  private current: SmtpMailer | null = null;
  private retry: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff({ initialMs: 30_000, maxMs: 300_000 });
  private readonly outage: OutageLog;
  private active = false;
  readonly users: ConnectionUsers;
  state: { state: StatusState; text: string } = { state: 'idle', text: 'not verified' };

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly settings: SmtpSettings,
  ) {
    super();
    this.outage = new OutageLog(owner, `SMTP server ${settings.label}`);
    this.users = new ConnectionUsers(owner, {
      connect: async () => {
        this.active = true;
        this.check();
      },
      disconnect: async () => {
        this.active = false;
        this.stopRetry();
        this.backoff.reset();
        this.outage.clear();
        this.current?.close();
        this.current = null;
      },
    });
  }

  /** The pooled transport (opened again after the last user left and a new one came). */
  get mailer(): SmtpMailer {
    this.current ??= new SmtpMailer(this.settings);
    return this.current;
  }

  /** A mail went through: the server is fine. */
  reportSuccess(): void {
    this.backoff.reset();
    this.outage.succeeded();
    this.stopRetry();
    if (this.state.state !== 'ok') this.setState('ok', `ready: ${this.settings.label}`);
  }

  /** A send failed: show why (the sender's retry queue keeps the mail). */
  reportFailure(err: unknown): void {
    const e = toError(err) as Error & { status?: string };
    this.setState('error', e.status ?? e.message);
  }

  setState(state: StatusState, text: string): void {
    this.state = { state, text };
    this.users.setState(state, text);
    this.emit('state', this.state);
  }

  async close(): Promise<void> {
    this.active = false;
    this.stopRetry();
    await this.users.close();
    this.current?.close();
    this.current = null;
  }

  private check(): void {
    this.setState('busy', `verifying ${this.settings.label}`);
    this.mailer.verify().then(
      () => {
        if (this.active) this.reportSuccess();
      },
      (err: unknown) => {
        if (!this.active) return;
        this.reportFailure(err);
        this.outage.failed(toError(err).message);
        const delay = this.backoff.next();
        this.stopRetry();
        this.retry = setTimeout(() => {
          this.retry = null;
          if (this.active) this.check();
        }, delay);
        this.retry.unref?.();
      },
    );
  }

  private stopRetry(): void {
    if (this.retry) clearTimeout(this.retry);
    this.retry = null;
  }
}
