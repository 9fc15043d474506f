import { PlantwireError, toError } from '../model/errors';
import { configureLimits } from '../model/limits';
import { onInput } from './input';
import { migrateConfig, type VersionSpec } from './migrate';
import { setStatus } from './status';
import type { NodeConfig, RedApi, RedNode } from './types';

export type CredentialsSpec = Record<string, { type: 'text' | 'password' }>;

export interface NodeSpec<C extends NodeConfig> {
  type: string;
  version: VersionSpec;
  /** Credentials, declared here and in the editor alike (a test checks they match). */
  credentials?: CredentialsSpec;
  /**
   * Sets the node up from its (migrated) configuration. A throw here, e.g. a
   * bad interval, leaves the node deployed but inert, with a red status and
   * an error that Catch nodes and the log receive; the runtime keeps running.
   */
  setup(node: RedNode, config: C, RED: RedApi): void;
}

/** Registers a node type with the shared migration and configuration-error path. */
export function defineNode<C extends NodeConfig>(RED: RedApi, spec: NodeSpec<C>): void {
  applyLimits(RED);
  function PlantwireNode(this: RedNode, raw: NodeConfig): void {
    RED.nodes.createNode(this, raw);
    let config: C;
    try {
      config = migrateConfig(spec.type, raw, spec.version) as C;
      spec.setup(this, config, RED);
    } catch (err) {
      const error = toError(err);
      const node = this;
      setStatus(node, 'error', error instanceof PlantwireError ? error.status : error.message);
      // Report once the flow has started, so Catch and Status nodes of the same
      // flow exist and receive the configuration problem (and the log has it).
      const report = (): void => {
        setStatus(node, 'error', error instanceof PlantwireError ? error.status : error.message);
        node.error(`configuration error: ${error.message}`, { payload: undefined, topic: 'configuration' });
      };
      if (RED.events?.once) RED.events.once('flows:started', report);
      else setImmediate(report);
      // Messages sent to the inert node are not lost silently: each one fails with the reason.
      onInput(node, () => {
        throw new PlantwireError(
          'not-configured',
          `this node is not running because of a configuration error: ${error.message}`,
          error instanceof PlantwireError ? error.status : 'configuration error',
        );
      });
    }
  }
  RED.nodes.registerType(spec.type, PlantwireNode, spec.credentials ? { credentials: spec.credentials } : undefined);
}

const LIMITS_READ = Symbol.for('plantwire.limits-read');

/** settings.js `plantwire.limits` (network input limits), read once per runtime. */
function applyLimits(RED: RedApi): void {
  const settings = RED.settings as unknown as { [LIMITS_READ]?: boolean; plantwire?: { limits?: unknown } };
  if (settings[LIMITS_READ]) return;
  try {
    settings[LIMITS_READ] = true;
  } catch {
    /* a frozen settings object: read again next time */
  }
  for (const problem of configureLimits(settings.plantwire?.limits)) RED.log.warn(`[plantwire] ${problem}`);
}

/** Moved to src/model/settings.ts (below the runtime); re-exported here for the node glue. */
export { numberSetting } from '../model/settings';
