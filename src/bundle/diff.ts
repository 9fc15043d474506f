/**
 * `plantwire diff <bundle> --target T`: what a deploy would change on T —
 * nodes added, removed and changed (with the changed properties) between the
 * flows as plantwire would deploy them (environment values injected) and
 * what runs on T. Credential values cannot be read back from Node-RED; the
 * diff reports credential fields the bundle sets that T does not have.
 */
import { AdminClient, type Target } from './admin-client';
import { jsonEqual } from './canonical';
import { injectGlobalEnv, resolveEnvValues } from './env';
import type { Bundle, FlowNode } from './types';

export interface NodeChange {
  id: string;
  type: string;
  name?: string;
  /** Label of the tab or subflow the node is on. */
  flow?: string;
  /** For changes: the properties that differ. */
  fields?: string[];
}

export interface FlowDiff {
  added: NodeChange[];
  removed: NodeChange[];
  changed: NodeChange[];
  unchanged: number;
  /** Remarks, e.g. that the global environment was not compared. */
  notes: string[];
}

export function isEmptyDiff(d: FlowDiff): boolean {
  return d.added.length === 0 && d.removed.length === 0 && d.changed.length === 0;
}

function describeNode(n: FlowNode, flows: Map<string, FlowNode>): NodeChange {
  const parent = typeof n.z === 'string' ? flows.get(n.z) : undefined;
  const name = typeof n.name === 'string' && n.name ? n.name : typeof n.label === 'string' && n.label ? n.label : undefined;
  const flow = parent ? String(parent.label ?? parent.name ?? parent.id) : undefined;
  return { id: n.id, type: n.type, ...(name ? { name } : {}), ...(flow ? { flow } : {}) };
}

/** Compares two flow configurations node by node (by id; order and credentials ignored). */
export function diffFlows(expected: FlowNode[], actual: FlowNode[]): FlowDiff {
  const exp = new Map(expected.map((n) => [n.id, n]));
  const act = new Map(actual.map((n) => [n.id, n]));
  const diff: FlowDiff = { added: [], removed: [], changed: [], unchanged: 0, notes: [] };
  for (const n of expected) {
    const other = act.get(n.id);
    if (!other) {
      diff.added.push(describeNode(n, exp));
      continue;
    }
    const keys = [...new Set([...Object.keys(n), ...Object.keys(other)])].filter((k) => k !== 'credentials');
    const fields = keys.filter((k) => !jsonEqual(n[k], other[k])).sort();
    if (fields.length) diff.changed.push({ ...describeNode(n, exp), fields });
    else diff.unchanged += 1;
  }
  for (const n of actual) if (!exp.has(n.id)) diff.removed.push(describeNode(n, act));
  return diff;
}

/** The flows as a deploy to this target would POST them, minus credential values. */
export function expectedFlows(bundle: Bundle, env: string | undefined, vars: Record<string, string | number | boolean> | undefined, targetName: string, targetFlows: FlowNode[]): { flows: FlowNode[]; notes: string[] } {
  if (!env) {
    const own = bundle.flows.filter((n) => n.type !== 'global-config');
    return { flows: [...own, ...targetFlows.filter((n) => n.type === 'global-config')], notes: ['no environment given: the global environment (global-config) was not compared; pass --env'] };
  }
  const values = resolveEnvValues(bundle.env[env], env, vars, targetName);
  return { flows: injectGlobalEnv(bundle.flows, values, targetFlows), notes: [] };
}

/** Diffs a bundle against what runs on a target. */
export async function diffTarget(bundle: Bundle, target: Target & { env?: string; vars?: Record<string, string | number | boolean> }, env?: string): Promise<FlowDiff & { rev: string }> {
  const client = new AdminClient(target);
  const current = await client.getFlows();
  const { flows, notes } = expectedFlows(bundle, env ?? target.env, target.vars, target.name, current.flows);
  const diff = diffFlows(flows, current.flows);
  diff.notes.push(...notes);
  // Credential fields the bundle sets but the target lacks (values are never readable).
  const liveIds = new Set(current.flows.map((n) => n.id));
  for (const n of bundle.flows) {
    const fields = Object.keys(n.credentials ?? {});
    if (!fields.length || !liveIds.has(n.id)) continue;
    const have = new Set(await client.credentialFields(n.type, n.id));
    const lacking = fields.filter((f) => !have.has(f)).map((f) => `credentials.${f} (not set on the target)`);
    if (!lacking.length) continue;
    const entry = diff.changed.find((c) => c.id === n.id);
    if (entry) entry.fields = [...(entry.fields ?? []), ...lacking];
    else {
      diff.unchanged -= 1;
      diff.changed.push({ ...describeNode(n, new Map(bundle.flows.map((x) => [x.id, x]))), fields: lacking });
    }
  }
  return { ...diff, rev: current.rev };
}

export function formatDiff(d: FlowDiff): string[] {
  const line = (sign: string, c: NodeChange): string => `  ${sign} ${c.type}${c.name ? ` "${c.name}"` : ''} (${c.id})${c.flow ? ` on "${c.flow}"` : ''}${c.fields ? `: ${c.fields.join(', ')}` : ''}`;
  const out = [...d.added.map((c) => line('+', c)), ...d.removed.map((c) => line('-', c)), ...d.changed.map((c) => line('~', c))];
  for (const n of d.notes) out.push(`  note: ${n}`);
  return out;
}
