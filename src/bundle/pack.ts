/**
 * `plantwire bundle pack`: flows (from a file or a running instance) →
 * a sealed bundle. Credential values never enter the bundle: every credential
 * field becomes a `${secret:NAME}` reference (values found in a flows file can
 * be written to a separate secrets file for the admin, never into the bundle).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PlantwireError } from '../model/errors';
import type { AdminClient } from './admin-client';
import { sealBundle } from './archive';
import { CORE_CREDENTIALS, CORE_NODE_TYPES, STRUCTURAL_TYPES } from './core-types';
import { collectSecrets, deriveModules, envSummary, plantwirePackage, type InstalledModule } from './manifest';
import { deriveSecretName, parseSecretRef, secretRef } from './secrets';
import { isValidRange, isVersion } from './semver';
import { parseJson, validateBundle, type BundleValidation } from './validate';
import type { Bundle, EnvOverlay, FlowNode, Manifest, ModuleSpec, Problem } from './types';

export interface PackInput {
  name: string;
  version: string;
  description?: string;
  flows: FlowNode[];
  source: Manifest['source'];
  /** Node-RED version of the source instance, when packed from one. */
  nodeRedVersion?: string;
  /** Range the targets must satisfy; default: the palette's own `node-red.version` (>=4.0.0). */
  nodeRedRange?: string;
  env: Record<string, EnvOverlay>;
  /** Modules declared with `--module` (third-party types in a flows file). */
  modules?: ModuleSpec[];
  /** Modules the source instance has (GET /nodes). */
  installed?: InstalledModule[];
  /** Credential fields set on the source instance, by node id (GET /credentials/<type>/<id>). */
  credentialFields?: Map<string, string[]>;
  now?: Date;
}

export interface PackResult {
  bundle: Bundle;
  validation: BundleValidation;
  /** Values found in the flows' credentials, by secret name: for `--secrets-out`, never in the bundle. */
  extracted: Record<string, string>;
  notes: string[];
}

export function pack(input: PackInput): PackResult {
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(input.name)) throw new PlantwireError('bad-option', `bundle name must be letters, digits, ".", "_" or "-", got "${input.name}"`);
  if (!isVersion(input.version)) throw new PlantwireError('bad-option', `bundle version must be semver (e.g. 1.4.0), got "${input.version}"`);
  const pkg = plantwirePackage();
  const range = input.nodeRedRange ?? pkg['node-red']?.version ?? '>=4.0.0';
  if (!isValidRange(range)) throw new PlantwireError('bad-option', `--node-red must be a semver range such as ">=4.0.0", got "${range}"`);

  const notes: string[] = [];
  const extracted: Record<string, string> = {};
  const taken = new Set<string>();
  for (const n of input.flows) for (const v of Object.values(n.credentials ?? {})) {
    const ref = parseSecretRef(v);
    if (ref) taken.add(ref);
  }
  const declaredEnv = new Set(Object.values(input.env).flatMap((o) => Object.keys(o)));

  const flows = input.flows.map((node): FlowNode => {
    let out: FlowNode = { ...node };
    // Fields in the flows file's credentials, plus those set on the source instance (values unknown: undefined).
    const fields = new Map<string, unknown>(Object.entries(node.credentials ?? {}));
    for (const f of input.credentialFields?.get(node.id) ?? []) if (!fields.has(f)) fields.set(f, undefined);
    if (fields.size) {
      const creds: Record<string, string> = {};
      for (const [field, value] of fields) {
        if (parseSecretRef(value)) {
          creds[field] = value as string;
          continue;
        }
        if (value === '' || value === null) continue; // an empty field: nothing to reference
        const name = deriveSecretName(node, field, taken);
        creds[field] = secretRef(name);
        if (typeof value === 'string' && value !== '__PWRD__') {
          extracted[name] = value;
          notes.push(`${node.type} ${node.name ? `"${node.name}" ` : ''}(${node.id}) credentials.${field}: value removed, referenced as \${secret:${name}}`);
        } else {
          notes.push(`${node.type} ${node.name ? `"${node.name}" ` : ''}(${node.id}) credentials.${field}: referenced as \${secret:${name}}`);
        }
      }
      out = { ...out, credentials: creds };
      if (Object.keys(creds).length === 0) delete out.credentials;
    }
    // The overlays own the declared variables: drop the source's values from the global environment.
    if (node.type === 'global-config' && Array.isArray(node.env)) {
      out.env = (node.env as Array<{ name?: unknown }>).filter((e) => !(typeof e?.name === 'string' && declaredEnv.has(e.name)));
    }
    return out;
  });

  const { modules } = deriveModules(flows, { declared: input.modules, installed: input.installed });
  const manifest: Manifest = {
    name: input.name,
    version: input.version,
    ...(input.description ? { description: input.description } : {}),
    created: (input.now ?? new Date()).toISOString(),
    createdBy: `plantwire ${pkg.version}`,
    source: input.source,
    nodeRed: { ...(input.nodeRedVersion ? { version: input.nodeRedVersion } : {}), range },
    modules,
    env: envSummary(input.env),
    secrets: collectSecrets(flows),
  };
  const bundle = sealBundle(manifest, flows, input.env);
  return { bundle, validation: validateBundle(bundle, { file: 'bundle' }), extracted, notes };
}

/** What pack needs from a running instance: its flows, modules, Node-RED version and which credentials are set. */
export async function readInstance(client: AdminClient): Promise<{ flows: FlowNode[]; installed: InstalledModule[]; credentialFields: Map<string, string[]>; nodeRedVersion: string }> {
  const nodeRedVersion = await client.version();
  const { flows } = await client.getFlows();
  const installed = (await client.nodeSets()).filter((s) => s.version).map((s) => ({ name: s.module, version: s.version!, types: s.types }));
  // Names of the credential fields that are set: Node-RED never returns password values, and text values are not kept.
  // Core nodes without credentials are skipped; every other node is asked (third-party types may have credentials).
  const credentialFields = new Map<string, string[]>();
  const core = new Set(CORE_NODE_TYPES);
  for (const n of flows) {
    if (STRUCTURAL_TYPES.includes(n.type) || n.type.startsWith('subflow:') || n.type === 'global-config' || (core.has(n.type) && !CORE_CREDENTIALS[n.type])) continue;
    const fields = await client.credentialFields(n.type, n.id);
    if (fields.length) credentialFields.set(n.id, fields);
  }
  return { flows, installed, credentialFields, nodeRedVersion };
}

/** Reads a flows file as Node-RED writes or exports it (an array, or `{flows: [...]}` from the v2 API). */
export function readFlowsFile(file: string): { flows?: FlowNode[]; problem?: Problem } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    return { problem: { severity: 'error', code: 'no-file', file: path.basename(file), message: `cannot read ${file}: ${(err as Error).message}` } };
  }
  const parsed = parseJson(text, path.basename(file));
  if (parsed.problem) return parsed;
  const v = parsed.value as unknown;
  const flows = Array.isArray(v) ? v : v && typeof v === 'object' && Array.isArray((v as { flows?: unknown }).flows) ? (v as { flows: unknown[] }).flows : null;
  if (!flows) return { problem: { severity: 'error', code: 'bad-flows', file: path.basename(file), message: 'flows must be a JSON array of nodes (a Node-RED flows file or export)' } };
  return { flows: flows as FlowNode[] };
}

/** Reads the overlays of an env directory: every `<environment>.json`. */
export function readEnvDir(dir: string): { env: Record<string, EnvOverlay>; problems: Problem[] } {
  const env: Record<string, EnvOverlay> = {};
  const problems: Problem[] = [];
  if (!fs.existsSync(dir)) return { env, problems: [{ severity: 'error', code: 'no-file', file: dir, message: `the env directory ${dir} does not exist` }] };
  for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
    const label = `env/${f}`;
    const parsed = parseJson(fs.readFileSync(path.join(dir, f), 'utf8'), label);
    if (parsed.problem) {
      problems.push(parsed.problem);
      continue;
    }
    if (!parsed.value || typeof parsed.value !== 'object' || Array.isArray(parsed.value)) {
      problems.push({ severity: 'error', code: 'bad-overlay', file: label, message: 'an environment overlay must be a JSON object: {"VARIABLE": "value", …}' });
      continue;
    }
    env[f.slice(0, -5)] = parsed.value as EnvOverlay;
  }
  return { env, problems };
}
