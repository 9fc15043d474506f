/**
 * What the `plantwire-smtp-server` config node owns and hands to its users
 * (email-out): the pooled mailer and the user registry. The first user
 * starts a verify (connect + login) whose result sets every user's status.
 * An unreachable server is not an error of the deployment — mails wait in
 * the users' retry queues — so a failed verify rejects and the connection
 * kit's supervisor (ConnectionUsers: the shared backoff, 30 s doubling to
 * 5 min, jittered; one log line per outage) tries again while users remain;
 * the outcome of real sends updates the state as well.
 */
import { EventEmitter } from 'node:events';
import { toError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import type { StatusState } from '../../model/status';
import type { RedNode } from '../../model/node-red-types';
import { SmtpMailer } from './mailer';
import type { SmtpSettings } from './settings';

export class SmtpServer extends EventEmitter {
  private current: SmtpMailer | null = null;
  readonly users: ConnectionUsers;
  state: { state: StatusState; text: string } = { state: 'idle', text: 'not verified' };

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly settings: SmtpSettings,
  ) {
    super();
    this.users = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          this.setState('busy', `verifying ${this.settings.label}`);
          try {
            await this.mailer.verify();
          } catch (err) {
            this.state = { state: 'error', text: (toError(err) as Error & { status?: string }).status ?? toError(err).message };
            this.emit('state', this.state);
            throw err;
          }
          this.reportSuccess();
        },
        disconnect: async () => {
          this.current?.close();
          this.current = null;
        },
      },
      { minMs: 30_000, maxMs: 300_000, what: `SMTP server ${settings.label}`, errorText: (e) => (e as Error & { status?: string }).status ?? e.message },
    );
  }

  /** The pooled transport (opened again after the last user left and a new one came). */
  get mailer(): SmtpMailer {
    this.current ??= new SmtpMailer(this.settings);
    return this.current;
  }

  /** A mail went through: the server is fine. */
  reportSuccess(): void {
    this.users.confirm();
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
    await this.users.close();
    this.current?.close();
    this.current = null;
  }
}
