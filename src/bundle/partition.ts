/**
 * Source partitioning for a fleet: the inventory lists the sources (OPC UA
 * endpoints, Modbus devices, MQTT topics…) once, under the variable the
 * bundle's flows read, and which targets share them; each target gets its
 * share as that variable (comma-separated) in its environment overlay, so
 * every source is read by exactly one instance.
 *
 *   "partitions": {
 *     "OPCUA_ENDPOINTS": {
 *       "targets": ["edge-1", "edge-2"],
 *       "sources": ["opc.tcp://plc-1:4840", "opc.tcp://plc-2:4840", "opc.tcp://plc-3:4840"],
 *       "assign": { "opc.tcp://plc-3:4840": "edge-1" }
 *     }
 *   }
 *
 * Sources not pinned by `assign` go round-robin to the targets in the order
 * listed, each to the target with the fewest so far (ties: list order), so
 * the shares differ by at most one beyond the pins. The assignment depends
 * only on the inventory: the same file gives the same shares on every run.
 */
import { PlantwireError } from '../model/errors';

export interface PartitionSpec {
  targets?: unknown;
  sources?: unknown;
  assign?: unknown;
}

/** Per partition variable: target → its sources. */
export type PartitionPlan = Record<string, Record<string, string[]>>;

const VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function planPartitions(spec: unknown, targetNames: string[], where: string): PartitionPlan {
  if (spec === undefined || spec === null) return {};
  if (typeof spec !== 'object' || Array.isArray(spec)) throw new PlantwireError('inventory', `${where}: "partitions" must be {"<VARIABLE>": {"targets": [...], "sources": [...]}}`);
  const plan: PartitionPlan = {};
  for (const [name, raw] of Object.entries(spec as Record<string, PartitionSpec>)) {
    const at = `${where}: partitions.${name}`;
    if (!VAR.test(name)) throw new PlantwireError('inventory', `${at}: the name is the environment variable the flows read: letters, digits and _`);
    const p = raw ?? {};
    const strings = (v: unknown, field: string): string[] => {
      if (!Array.isArray(v) || v.length === 0 || !v.every((x) => typeof x === 'string' && x.trim() !== '')) throw new PlantwireError('inventory', `${at}.${field} must be a non-empty list of texts`);
      return (v as string[]).map((x) => x.trim());
    };
    const targets = strings(p.targets, 'targets');
    const sources = strings(p.sources, 'sources');
    for (const t of targets) if (!targetNames.includes(t)) throw new PlantwireError('inventory', `${at}.targets: no target named ${t} in the inventory`);
    const twice = (list: string[]): string | undefined => list.find((x, i) => list.indexOf(x) !== i);
    const dupT = twice(targets);
    if (dupT) throw new PlantwireError('inventory', `${at}.targets: ${dupT} is listed twice`);
    const dupS = twice(sources);
    if (dupS) throw new PlantwireError('inventory', `${at}.sources: ${dupS} is listed twice — it would be read by two instances`);
    for (const s of sources) if (s.includes(',')) throw new PlantwireError('inventory', `${at}.sources: "${s}" contains a comma (a target's share is passed comma-separated)`);
    const shares: Record<string, string[]> = Object.fromEntries(targets.map((t) => [t, []]));
    const assign = p.assign ?? {};
    if (typeof assign !== 'object' || Array.isArray(assign)) throw new PlantwireError('inventory', `${at}.assign must be {"<source>": "<target>"}`);
    for (const [source, target] of Object.entries(assign as Record<string, unknown>)) {
      if (!sources.includes(source)) throw new PlantwireError('inventory', `${at}.assign: "${source}" is not in sources`);
      if (typeof target !== 'string' || !targets.includes(target)) throw new PlantwireError('inventory', `${at}.assign: "${source}" is pinned to ${JSON.stringify(target)}, which is not in targets`);
      shares[target]!.push(source);
    }
    for (const s of sources) {
      if (Object.prototype.hasOwnProperty.call(assign, s)) continue;
      const least = targets.reduce((best, t) => (shares[t]!.length < shares[best]!.length ? t : best), targets[0]!);
      shares[least]!.push(s);
    }
    plan[name] = shares;
  }
  return plan;
}

/** The variables a target gets from the plan (empty text for a target with no share). */
export function partitionVars(plan: PartitionPlan, target: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, shares] of Object.entries(plan)) if (shares[target]) out[name] = shares[target]!.join(',');
  return out;
}

/** Lines for the CLI: who reads what. */
export function describePlan(plan: PartitionPlan): string[] {
  const lines: string[] = [];
  for (const [name, shares] of Object.entries(plan)) {
    for (const [target, list] of Object.entries(shares)) lines.push(`${name} ${target}: ${list.length ? list.join(', ') : '(none)'}`);
  }
  return lines;
}
