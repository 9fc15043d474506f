/**
 * What the `plantwire-cloud-connection` config node owns and hands to its
 * users (plantwire-cloud-out): one cloud target with its user registry. The
 * target starts with the first user and closes after the last; its state is
 * pushed to every user's status. A connection whose credentials are not set
 * yet (an imported example, a fresh dialog) exists "not set up": it logs
 * nothing, its users show what to fill in, and deliveries fail with that text.
 * Uses the runtime glue's types but not Node-RED itself.
 */
import { PlantwireError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import { phaseLook, type StatusState } from '../../model/status';
import type { RedNode } from '../../model/node-red-types';
import { cloudLabel, createCloudTarget, type CloudSettings } from './index';
import type { CloudKind, CloudRecord, CloudState, CloudTarget } from './types';

/** The cloud targets' states as connection phases (their status colour comes from PHASE_STATUS). */
export const CLOUD_LOOK: Record<CloudState, StatusState> = phaseLook<CloudState>({
  connecting: 'connecting',
  connected: 'connected',
  disconnected: 'reconnecting',
  error: 'error',
  idle: 'stopped',
});

export class CloudConnection {
  readonly users: ConnectionUsers;
  readonly target: CloudTarget | null;
  readonly label: string;
  private readonly offState: (() => void) | null = null;

  /**
   * @param settings validated settings, or the reason the connection cannot work yet
   *   (`kind` then names the selected target when known).
   */
  constructor(
    readonly owner: RedNode,
    readonly settings: CloudSettings | { kind: CloudKind | null; problem: PlantwireError },
  ) {
    if ('problem' in settings) {
      const problem = settings.problem;
      this.target = null;
      this.label = settings.kind ?? 'cloud';
      this.users = new ConnectionUsers(owner, {
        connect: async () => this.users.setState('error', problem.status),
        disconnect: async () => undefined,
      });
      this.users.setState('error', problem.status);
      return;
    }
    const target = createCloudTarget(settings);
    this.target = target;
    this.label = cloudLabel(settings);
    this.users = new ConnectionUsers(owner, {
      connect: async () => {
        await target.start();
        // The target may already be connected (or failed) before its events reached the users.
        this.users.setState(CLOUD_LOOK[target.state.state], target.state.text);
      },
      disconnect: () => target.close(),
    });
    this.offState = target.onState((s) => this.users.setState(CLOUD_LOOK[s.state], s.text));
  }

  get kind(): CloudKind | null {
    return this.settings.kind;
  }

  /** true for S3/webhook (batches), false for the MQTT targets and an unknown target. */
  get batching(): boolean {
    return this.target?.batching ?? false;
  }

  /** The status users show when nothing else is to say. */
  look(): { state: StatusState; text: string } {
    if ('problem' in this.settings) return { state: 'error', text: this.settings.problem.status };
    const s = this.target!.state;
    return { state: CLOUD_LOOK[s.state], text: s.text };
  }

  /** Delivers records, or fails with the reason the connection is not set up. */
  deliver(records: CloudRecord[], onPart?: (keys: string[]) => void, signal?: AbortSignal): Promise<void> {
    if ('problem' in this.settings) return Promise.reject(this.settings.problem);
    return this.target!.deliver(records, onPart, signal);
  }

  onState(listener: (state: CloudState) => void): () => void {
    return this.target ? this.target.onState((s) => listener(s.state)) : () => undefined;
  }

  async close(): Promise<void> {
    this.offState?.();
    await this.users.close();
    await this.target?.close();
  }
}

/** Problems that only mean "not filled in yet" (no log on deploy), as opposed to wrong values. */
export function isMissingSetup(err: unknown): boolean {
  return err instanceof PlantwireError && err.code === 'not-set-up';
}
