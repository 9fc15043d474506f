/**
 * The manifest: which modules (with pinned versions) the flows' node types
 * come from, which environments and variables the overlays declare, which
 * secrets the credentials reference.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../host/index';
import { PlantwireError } from '../model/errors';
import { CORE_NODE_TYPES, nodeTypesNeeded } from './core-types';
import { parseSecretRef } from './secrets';
import { isVersion } from './semver';
import type { EnvOverlay, FlowNode, ModuleSpec, SecretSpec } from './types';

interface PackageJson {
  name: string;
  version: string;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
}

export function plantwirePackage(): PackageJson {
  return JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as PackageJson;
}

/** The Plantwire palette as a module: its name, version and every node type it provides. */
export function plantwireModule(): ModuleSpec {
  const pkg = plantwirePackage();
  return { name: pkg.name, version: pkg.version, types: Object.keys(pkg['node-red']?.nodes ?? {}).sort() };
}

/** A module's node types as GET /nodes reports them on an instance. */
export interface InstalledModule {
  name: string;
  version: string;
  types: string[];
}

/** `name@version:type1,type2` (the pack option `--module`); scoped names work: `@acme/nodes@1.2.0:acme-in`. */
export function parseModuleOption(text: string): ModuleSpec {
  const m = /^((?:@[^/@\s]+\/)?[^/@:\s]+)@([^:\s]+):(.+)$/.exec(text.trim());
  if (!m) throw new PlantwireError('bad-option', `--module must look like name@version:type1,type2 (e.g. node-red-contrib-foo@1.2.0:foo-in,foo-out), got "${text}"`);
  const [, name, version, types] = m as unknown as [string, string, string, string];
  if (!isVersion(version)) throw new PlantwireError('bad-option', `--module ${name}: the version must be exact semver (pinned), got "${version}"`);
  return { name, version, types: types.split(',').map((t) => t.trim()).filter(Boolean) };
}

/**
 * The modules the flows need: for each node type used that is not core,
 * the module that provides it — declared ones first (`--module`), then what
 * the source instance has installed, then the Plantwire palette. Only the
 * used types are listed. Types nobody provides are returned for validate to report.
 */
export function deriveModules(flows: FlowNode[], sources: { declared?: ModuleSpec[]; installed?: InstalledModule[]; core?: Iterable<string> }): { modules: ModuleSpec[]; unknown: string[] } {
  const core = new Set(sources.core ?? CORE_NODE_TYPES);
  // What the source instance runs wins over this CLI's own palette version.
  const candidates: ModuleSpec[] = [...(sources.declared ?? []), ...(sources.installed ?? []).filter((m) => m.name !== 'node-red'), plantwireModule()];
  const used = nodeTypesNeeded(flows).filter((t) => !core.has(t)).sort();
  const byName = new Map<string, ModuleSpec>();
  const unknown: string[] = [];
  for (const type of used) {
    const from = candidates.find((c) => c.types.includes(type));
    if (!from) {
      unknown.push(type);
      continue;
    }
    const entry = byName.get(from.name) ?? { name: from.name, version: from.version, types: [], ...(from.url ? { url: from.url } : {}) };
    entry.types.push(type);
    byName.set(from.name, entry);
  }
  return { modules: [...byName.values()].sort((a, b) => a.name.localeCompare(b.name)), unknown };
}

/** The secrets the credentials reference, with where each is used. */
export function collectSecrets(flows: FlowNode[]): SecretSpec[] {
  const out = new Map<string, SecretSpec>();
  for (const node of flows) {
    for (const [field, value] of Object.entries(node.credentials ?? {})) {
      const name = parseSecretRef(value);
      if (!name) continue;
      const spec = out.get(name) ?? { name, usedBy: [] };
      spec.usedBy.push({ node: node.id, ...(node.name ? { nodeName: String(node.name) } : {}), type: node.type, field });
      out.set(name, spec);
    }
  }
  return [...out.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function envSummary(env: Record<string, EnvOverlay>): { environments: string[]; variables: string[] } {
  return {
    environments: Object.keys(env).sort(),
    variables: [...new Set(Object.values(env).flatMap((o) => Object.keys(o)))].sort(),
  };
}
