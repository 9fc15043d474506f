/**
 * Environment variables in flows: which `${VAR}` a flow uses, which names the
 * flow defines itself, and the injection of an environment's values into the
 * flows as Node-RED's own global environment (the `global-config` node, which
 * Node-RED ≥ 3.1 resolves `${VAR}` against, and the editor shows under
 * Settings › Environment).
 */
import { PlantwireError } from '../model/errors';
import { walkJson } from './walk';
import type { EnvOverlay, FlowNode } from './types';

/** Node-RED sets these for every node (docs: "Using environment variables"). */
export const BUILTIN_ENV = new Set([
  'NR_NODE_ID', 'NR_NODE_NAME', 'NR_NODE_PATH', 'NR_GROUP_ID', 'NR_GROUP_NAME', 'NR_FLOW_ID', 'NR_FLOW_NAME',
  'NR_SUBFLOW_ID', 'NR_SUBFLOW_NAME', 'NR_SUBFLOW_PATH', 'NR_INSTANCE_ID',
]);

/** Node-RED substitutes a property whose whole value is `${NAME}` (or the old `$(NAME)`). */
const WHOLE_ENV_RE = /^\$\{(\S+)\}$|^\$\((\S+)\)$/;

/** In code and expressions: a function node's `env.get("NAME")`, JSONata's `$env("NAME")`. */
const CODE_ENV_RE = /\benv\.get\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\)|\$env\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)/g;

export interface EnvUse {
  name: string;
  /** JSON path inside the node. */
  field: string;
}

/**
 * The environment variables a node uses: `${NAME}` property values (what
 * Node-RED substitutes), typed-input fields of type `env` (`payloadType:
 * "env"`, a change rule's `tot: "env"`, an inject property's `vt: "env"`),
 * and `env.get("NAME")` / `$env("NAME")` in function code and JSONata.
 * Skips `credentials` (secret references live there) and `info` (documentation).
 */
export function envUses(node: FlowNode): EnvUse[] {
  const out: EnvUse[] = [];
  for (const [k, v] of Object.entries(node)) {
    if (k === 'credentials' || k === 'info' || k === 'id' || k === 'type' || k === 'z' || k === 'wires') continue;
    if (isEnvDefinitionList(node, k)) continue;
    walkJson(
      v,
      (value, path, key, parent) => {
        if (typeof value !== 'string') return;
        const m = WHOLE_ENV_RE.exec(value);
        if (m) out.push({ name: (m[1] ?? m[2])!, field: path });
        else if (key !== null && parent && typedAsEnv(parent, key) && value.trim() !== '') out.push({ name: value.trim(), field: path });
        else for (const c of value.matchAll(CODE_ENV_RE)) out.push({ name: (c[1] ?? c[2])!, field: path });
      },
      k,
    );
    // walkJson visits the top-level value without its key: check a typed top-level field here.
    if (typeof v === 'string' && !WHOLE_ENV_RE.test(v) && typedAsEnv(node, k) && v.trim() !== '') out.push({ name: v.trim(), field: k });
  }
  return out;
}

function typedAsEnv(parent: Record<string, unknown>, key: string): boolean {
  return parent[`${key}Type`] === 'env' || parent[`${key}type`] === 'env' || parent[`${key}t`] === 'env';
}

/** `env` of tabs, subflows, groups and the global-config node: variable definitions, not uses. */
function isEnvDefinitionList(node: FlowNode, key: string): boolean {
  return key === 'env' && Array.isArray(node.env) && ['tab', 'subflow', 'group', 'global-config'].includes(node.type);
}

/** Names the flows define themselves (tab, subflow, group and global env). */
export function flowDefinedEnv(flows: FlowNode[]): Set<string> {
  const out = new Set<string>();
  for (const node of flows) {
    if (!isEnvDefinitionList(node, 'env')) continue;
    for (const entry of node.env as unknown[]) {
      if (entry && typeof entry === 'object' && typeof (entry as { name?: unknown }).name === 'string') out.add((entry as { name: string }).name);
    }
  }
  return out;
}

export const ENV_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The values of one environment: the overlay, with `null` ("per target")
 * entries filled from the target's `vars`. Throws naming what is missing.
 */
export function resolveEnvValues(overlay: EnvOverlay | undefined, envName: string, targetVars: Record<string, string | number | boolean> = {}, targetName = 'the target'): Record<string, string | number | boolean> {
  if (!overlay) throw new PlantwireError('unknown-env', `the bundle has no environment "${envName}"`);
  const out: Record<string, string | number | boolean> = {};
  const missing: string[] = [];
  for (const [name, value] of Object.entries(overlay)) {
    const v = value === null ? targetVars[name] : value;
    if (v === undefined) missing.push(name);
    else out[name] = v;
  }
  if (missing.length) {
    throw new PlantwireError('missing-env', `environment "${envName}" leaves ${missing.join(', ')} to each target (null in env/${envName}.json), but ${targetName} does not set ${missing.length > 1 ? 'them' : 'it'}: add "vars": {${missing.map((m) => `"${m}": …`).join(', ')}} to its inventory entry`);
  }
  // Target vars may also override declared values (a per-gateway setting).
  for (const [name, v] of Object.entries(targetVars)) if (name in overlay) out[name] = v;
  return out;
}

function envEntry(name: string, value: string | number | boolean): { name: string; value: string; type: string } {
  if (typeof value === 'number') return { name, value: String(value), type: 'num' };
  if (typeof value === 'boolean') return { name, value: String(value), type: 'bool' };
  return { name, value, type: 'str' };
}

/**
 * Puts the values into the global-config node: the bundle's own if it has
 * one, else the target's current one (keeping the variables and settings the
 * target's admins set there), else a new one. Declared variables replace
 * entries of the same name; the rest of the list is kept in order.
 */
export function injectGlobalEnv(flows: FlowNode[], values: Record<string, string | number | boolean>, targetFlows: FlowNode[] = []): FlowNode[] {
  const names = Object.keys(values);
  const own = flows.find((n) => n.type === 'global-config');
  const theirs = targetFlows.find((n) => n.type === 'global-config');
  const base: FlowNode = own ?? (theirs ? stripCredentials(theirs) : { id: 'plantwire-global-config', type: 'global-config', env: [], modules: {} });
  if (names.length === 0 && !own && !theirs) return flows;
  const existing = Array.isArray(base.env) ? (base.env as Array<{ name?: unknown }>) : [];
  const kept = existing.filter((e) => !(typeof e?.name === 'string' && names.includes(e.name)));
  const merged: FlowNode = { ...base, env: [...kept, ...names.sort().map((n) => envEntry(n, values[n]!))] };
  return own ? flows.map((n) => (n === own ? merged : n)) : [...flows, merged];
}

function stripCredentials(node: FlowNode): FlowNode {
  const { credentials: _drop, ...rest } = node;
  return rest as FlowNode;
}
