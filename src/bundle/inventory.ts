/**
 * The fleet: an inventory file lists the Node-RED instances to deploy to,
 * each with its URL, environment, where its login comes from (never the
 * password itself: an environment variable or a file), per-instance variables
 * and its secrets file. Rolling deploys run one target at a time (or N in
 * parallel) and stop starting new ones after the first failure.
 *
 * {
 *   "defaults": { "env": "prod", "auth": { "username": "deploy", "passwordEnv": "NR_DEPLOY_PASSWORD" }, "secretsFile": "secrets/prod.json" },
 *   "targets": [
 *     { "name": "gw-hamburg-01", "url": "http://10.1.2.11:1880", "vars": { "PLANT_ID": "hamburg" } },
 *     { "name": "test",          "url": "http://test-nr:1880", "env": "test", "auth": { "tokenEnv": "NR_TEST_TOKEN" } }
 *   ]
 * }
 */
import fs from 'node:fs';
import path from 'node:path';
import { PlantwireError, toError } from '../model/errors';
import type { TargetAuth } from './admin-client';
import type { DeployResult, DeployTarget, Outcome } from './deploy';
import { partitionVars, planPartitions, type PartitionPlan } from './partition';
import { readSecretsFile } from './secrets';

interface AuthSpec {
  username?: string;
  passwordEnv?: string;
  passwordFile?: string;
  tokenEnv?: string;
  tokenFile?: string;
}

interface TargetSpec {
  name?: string;
  url?: string;
  env?: string;
  auth?: AuthSpec | null;
  vars?: Record<string, string | number | boolean>;
  secretsFile?: string;
}

export interface Inventory {
  file: string;
  targets: DeployTarget[];
  /** Source partitioning: per variable, which target reads which sources (docs/scale-out.md). */
  partitions: PartitionPlan;
}

function readSecretText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch (err) {
    throw new PlantwireError('inventory', `${what}: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** Builds the auth of a target from where its secrets live. */
export function resolveAuth(spec: AuthSpec | null | undefined, where: string, env: NodeJS.ProcessEnv, baseDir: string): TargetAuth {
  if (!spec) return { kind: 'none' };
  const fromEnv = (name: string, field: string): string => {
    const v = env[name];
    if (!v) throw new PlantwireError('inventory', `${where}: auth.${field} names the environment variable ${name}, which is not set`);
    return v;
  };
  if (spec.tokenEnv || spec.tokenFile) {
    return { kind: 'token', token: spec.tokenEnv ? fromEnv(spec.tokenEnv, 'tokenEnv') : readSecretText(path.resolve(baseDir, spec.tokenFile!), `${where}: auth.tokenFile`) };
  }
  if (spec.username) {
    if (!spec.passwordEnv && !spec.passwordFile) throw new PlantwireError('inventory', `${where}: auth.username needs auth.passwordEnv or auth.passwordFile (passwords are never written into the inventory)`);
    const password = spec.passwordEnv ? fromEnv(spec.passwordEnv, 'passwordEnv') : readSecretText(path.resolve(baseDir, spec.passwordFile!), `${where}: auth.passwordFile`);
    return { kind: 'password', username: spec.username, password };
  }
  if ('password' in spec || 'token' in spec) throw new PlantwireError('inventory', `${where}: auth must not hold a password or token: use passwordEnv/passwordFile or tokenEnv/tokenFile`);
  return { kind: 'none' };
}

export function parseInventory(file: string, env: NodeJS.ProcessEnv = process.env): Inventory {
  let raw: unknown;
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new PlantwireError('inventory', `cannot read the inventory ${file}: ${toError(err).message}`);
  }
  const inv = raw as { defaults?: TargetSpec; targets?: TargetSpec[]; partitions?: unknown };
  if (!inv || typeof inv !== 'object' || !Array.isArray(inv.targets) || inv.targets.length === 0) {
    throw new PlantwireError('inventory', `${file}: an inventory is {"targets": [{"name", "url", "env", "auth", "vars", "secretsFile"}, …]} with at least one target`);
  }
  const baseDir = path.dirname(path.resolve(file));
  const defaults = inv.defaults ?? {};
  const names = new Set<string>();
  const targets = inv.targets.map((t, i): DeployTarget => {
    const spec: TargetSpec = { ...defaults, ...t, vars: { ...(defaults.vars ?? {}), ...(t.vars ?? {}) } };
    const where = `${file}: targets[${i}]${t.name ? ` (${t.name})` : ''}`;
    if (typeof spec.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(spec.name)) throw new PlantwireError('inventory', `${where}: "name" must be letters, digits, ".", "_" or "-"`);
    if (names.has(spec.name)) throw new PlantwireError('inventory', `${where}: the name "${spec.name}" is used twice`);
    names.add(spec.name);
    if (typeof spec.url !== 'string' || !/^https?:\/\/[^\s]+$/.test(spec.url)) throw new PlantwireError('inventory', `${where}: "url" must be the Node-RED editor URL (http:// or https://), got ${JSON.stringify(spec.url)}`);
    const secretsFile = spec.secretsFile ? path.resolve(baseDir, spec.secretsFile) : undefined;
    return {
      name: spec.name,
      url: spec.url,
      auth: resolveAuth(spec.auth, where, env, baseDir),
      env: spec.env,
      vars: spec.vars,
      secrets: { env, ...(secretsFile ? { file: readSecretsFile(secretsFile), fileName: secretsFile } : {}) },
    };
  });
  // Each target's share of the partitioned sources becomes its variable (it must not set that variable itself).
  const partitions = planPartitions(inv.partitions, targets.map((t) => t.name), file);
  for (const t of targets) {
    const share = partitionVars(partitions, t.name);
    for (const name of Object.keys(share)) {
      if (t.vars && name in t.vars) throw new PlantwireError('inventory', `${file}: ${t.name} sets "${name}" in its vars, but partitions.${name} assigns it: remove one`);
    }
    if (Object.keys(share).length) t.vars = { ...t.vars, ...share };
  }
  return { file, targets, partitions };
}

/** The target names of an inventory (no logins or secrets are read), optionally only the selected ones. */
export function inventoryNames(file: string, select?: string[]): string[] {
  let raw: { targets?: Array<{ name?: unknown }> };
  try {
    raw = JSON.parse(fs.readFileSync(file, 'utf8')) as typeof raw;
  } catch (err) {
    throw new PlantwireError('inventory', `cannot read the inventory ${file}: ${toError(err).message}`);
  }
  const names = (raw.targets ?? []).map((t) => t?.name).filter((n): n is string => typeof n === 'string');
  const wanted = select?.map((s) => s.trim()).filter(Boolean);
  if (!wanted?.length) return names;
  const unknown = wanted.filter((n) => !names.includes(n));
  if (unknown.length) throw new PlantwireError('inventory', `no target named ${unknown.join(', ')} in the inventory (it has ${names.join(', ')})`);
  return names.filter((n) => wanted.includes(n));
}

/** Keeps the named targets (in the inventory's order); unknown names are an error. */
export function selectTargets(targets: DeployTarget[], names: string[] | undefined): DeployTarget[] {
  if (!names || names.length === 0) return targets;
  const unknown = names.filter((n) => !targets.some((t) => t.name === n));
  if (unknown.length) throw new PlantwireError('inventory', `no target named ${unknown.join(', ')} in the inventory (it has ${targets.map((t) => t.name).join(', ')})`);
  return targets.filter((t) => names.includes(t.name));
}

/**
 * Runs `action` over the targets, `parallel` at a time, in inventory order.
 * After a target ends in anything but `deployed`, no further target starts
 * (those already running finish); the rest are reported as skipped.
 */
export async function rollingRun(targets: DeployTarget[], action: (t: DeployTarget) => Promise<DeployResult>, opts: { parallel?: number; ok?: (r: DeployResult) => boolean } = {}): Promise<DeployResult[]> {
  const parallel = Math.max(1, opts.parallel ?? 1);
  const ok = opts.ok ?? ((r: DeployResult) => r.outcome === 'deployed');
  const results: Array<DeployResult | undefined> = new Array(targets.length);
  let next = 0;
  let stopped = false;
  const worker = async (): Promise<void> => {
    while (!stopped && next < targets.length) {
      const i = next++;
      const t = targets[i]!;
      let r: DeployResult;
      try {
        r = await action(t);
      } catch (err) {
        r = { target: t.name, url: t.url, env: t.env, outcome: 'failed', message: toError(err).message, modulesInstalled: [], durationMs: 0 };
      }
      results[i] = r;
      if (!ok(r)) stopped = true;
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, targets.length) }, worker));
  return targets.map(
    (t, i) =>
      results[i] ?? { target: t.name, url: t.url, env: t.env, outcome: 'skipped' as Outcome, message: 'not started: an earlier target failed', modulesInstalled: [], durationMs: 0 },
  );
}

/** The summary table printed after a fleet run. */
export function summaryTable(results: DeployResult[]): string {
  const rows = results.map((r) => [
    r.target,
    r.url,
    r.env ?? '-',
    r.outcome,
    r.nodeRedVersion ?? '-',
    r.revAfter ? r.revAfter.slice(0, 8) : '-',
    r.modulesInstalled.length ? r.modulesInstalled.join(' ') : '-',
    `${(r.durationMs / 1000).toFixed(1)} s`,
    r.outcome === 'deployed' ? 'healthy' : r.message.split('\n')[0]!,
  ]);
  const head = ['target', 'url', 'env', 'result', 'node-red', 'revision', 'installed', 'time', 'note'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const fmt = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ').trimEnd();
  const count = (o: Outcome): number => results.filter((r) => r.outcome === o).length;
  const totals = (['deployed', 'rolled-back', 'refused', 'failed', 'skipped'] as Outcome[]).filter((o) => count(o) > 0).map((o) => `${count(o)} ${o}`).join(', ');
  return [fmt(head), fmt(widths.map((w) => '-'.repeat(w))), ...rows.map(fmt), '', `${results.length} target(s): ${totals}`].join('\n');
}
