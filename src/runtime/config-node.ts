import { PlantwireError } from '../model/errors';
import type { RedApi, RedNode } from './types';

/**
 * How a config node hands what it owns (a connection, a client) to the nodes
 * that use it: the config node attaches a handle under a key; users look the
 * config node up by the id in their configuration and get the handle, or a
 * PlantwireError that says what to do.
 */
const HANDLES = Symbol.for('plantwire.config-handles');

type WithHandles = RedNode & { [HANDLES]?: Map<string, unknown> };

export function attachHandle(node: RedNode, key: string, handle: unknown): void {
  const n = node as WithHandles;
  n[HANDLES] ??= new Map();
  n[HANDLES].set(key, handle);
}

/**
 * The handle of the config node `id`. `label` names the config node for
 * messages (e.g. "Modbus device"), `field` the dialog field (e.g. "device").
 */
export function configHandle<T>(RED: RedApi, id: unknown, key: string, label: string, field: string): T {
  if (typeof id !== 'string' || id === '' || id === '_ADD_') {
    throw new PlantwireError('bad-config', `${field}: no ${label} selected; pick or add one in the node's dialog`, `no ${label} selected`);
  }
  const node = RED.nodes.getNode(id) as WithHandles | null;
  if (!node) throw new PlantwireError('bad-config', `${field}: the ${label} (${id}) is not deployed; deploy it or pick another`, `${label} missing`);
  const handle = node[HANDLES]?.get(key);
  if (handle === undefined) {
    const name = node.name ? `"${node.name}"` : `(${id})`;
    throw new PlantwireError('bad-config', `${field}: the ${label} ${name} has a configuration error; open it and fix the field its log entry names`, `${label} misconfigured`);
  }
  return handle as T;
}
