/**
 * What the `plantwire-smtp-server` config node owns and hands to its users
 * (email-out): the pooled mailer and the user registry. The first user
 * verifies the server (connect + login), which sets every user's status;
 * a failed verify is retried with backoff while users remain.
 */
import { EventEmitter } from 'node:events';
import { ConnectionUsers } from '../../runtime/registry';
import type { StatusState } from '../../runtime/status';
import type { RedNode } from '../../runtime/types';
import { SmtpMailer } from './mailer';
import type { SmtpSettings } from './settings';

export const SMTP_HANDLE = 'plantwire.smtp-server';

export class SmtpServer extends EventEmitter {
  private current: SmtpMailer | null = null;
  readonly users: ConnectionUsers;
  state: { state: StatusState; text: string } = { state: 'idle', text: 'not verified' };

  constructor(
    owner: Pick<RedNode, 'warn' | 'log'>,
    readonly settings: SmtpSettings,
  ) {
    super();
    this.users = new ConnectionUsers(owner, {
      connect: async () => {
        try {
          this.setState('busy', `verifying ${settings.label}`);
          await this.mailer.verify();
        } catch (err) {
          this.setState('error', (err as { status?: string }).status ?? String(err));
          throw err;
        }
        this.setState('ok', `ready: ${settings.label}`);
      },
      disconnect: async () => {
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
