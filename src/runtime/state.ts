/**
 * Keeps a node's in-memory state (per-tag deadband references, open
 * windows) across a redeploy that restarts the node with an UNCHANGED
 * configuration — a "full" deploy, or a flow restart. (A "modified nodes"
 * or "modified flows" deploy does not restart unchanged nodes at all, so
 * their state survives anyway.) The state is parked in a module-level map
 * keyed by node id when the node closes without being removed, and handed
 * to the new instance when its configuration hash matches; otherwise it is
 * discarded. Removed nodes drop their state.
 */
import { createHash } from 'node:crypto';
import { onClose } from './close';
import type { NodeConfig, RedNode } from './types';

/** Properties that do not change what a node computes (position, wiring, name, notes). */
const IGNORED = new Set(['id', 'type', 'x', 'y', 'z', 'g', 'w', 'h', 'wires', 'name', 'info', 'l', 'icon', 'credentials', '_users', 'inputLabels', 'outputLabels']);

function stable(x: unknown): unknown {
  if (Array.isArray(x)) return x.map(stable);
  if (x !== null && typeof x === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(x).sort()) out[k] = stable((x as Record<string, unknown>)[k]);
    return out;
  }
  return x;
}

/** A hash of the settings that matter for a node's state. */
export function configHash(config: NodeConfig | Record<string, unknown>): string {
  const relevant: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) if (!IGNORED.has(k)) relevant[k] = v;
  return createHash('sha1').update(JSON.stringify(stable(relevant))).digest('hex');
}

interface Parked {
  type: string;
  hash: string;
  state: unknown;
}
const parked = new Map<string, Parked>();

export interface Retained<S> {
  state: S;
  /** True when the state came from the previous instance of this node. */
  restored: boolean;
}

/**
 * Returns the state the previous instance of this node left (same id, type
 * and configuration hash) or a new one from `create`, and parks the state
 * again when the node closes without being removed.
 */
export function retainState<S>(node: RedNode, config: NodeConfig, create: () => S): Retained<S> {
  const hash = configHash(config);
  const prev = parked.get(node.id);
  parked.delete(node.id);
  const restored = prev !== undefined && prev.type === node.type && prev.hash === hash;
  const state = restored ? (prev.state as S) : create();
  onClose(node, (removed) => {
    if (removed) parked.delete(node.id);
    else parked.set(node.id, { type: node.type, hash, state });
  });
  return { state, restored };
}

/** Number of parked states (tests). */
export function parkedStates(): number {
  return parked.size;
}
