/**
 * `plantwire deploy` and `plantwire rollback` against one Node-RED (4 or 5)
 * through its Admin API. The order matters: everything that can refuse
 * without touching the target runs first (validation, version, environment
 * values, secrets, drift, module availability); then modules are installed,
 * the previous flows are stored, and the flows are deployed with the `rev`
 * that was read; the health check decides whether they stay or the previous
 * flows are restored automatically.
 */
import { randomUUID } from 'node:crypto';
import { toError } from '../model/errors';
import { AdminClient, RevisionConflict, short, type Comms, type NodeSet, type Target } from './admin-client';
import { bundleDigest } from './archive';
import { nodeTypesNeeded } from './core-types';
import { injectGlobalEnv, resolveEnvValues } from './env';
import { checkHealth, markBoundary, type HealthReport } from './health';
import { parseSecretRef, resolveCredentials, type SecretSource } from './secrets';
import { satisfies } from './semver';
import { DeploymentState, type CredentialRefs, type HistoryEntry } from './state';
import type { Bundle, FlowNode, ModuleSpec } from './types';
import { formatProblem, validateBundle } from './validate';

export type Outcome = 'deployed' | 'rolled-back' | 'refused' | 'failed' | 'skipped';

export interface DeployTarget extends Target {
  env?: string;
  vars?: Record<string, string | number | boolean>;
  secrets?: SecretSource;
}

export interface DeployOptions {
  bundle: Bundle;
  target: DeployTarget;
  /** Environment overlay to use (the target's `env` when not given). */
  env?: string;
  stateDir: string;
  /** Overwrite flows changed on the target since plantwire last deployed there. */
  force?: boolean;
  /** Install the pinned version of a module the target has in another version. */
  syncModules?: boolean;
  deployType?: 'full' | 'nodes' | 'flows';
  graceMs?: number;
  startTimeoutMs?: number;
  keep?: number;
  log?: (line: string) => void;
  /** Test hook: runs after the flows were read and before they are deployed. */
  afterRead?: () => Promise<void>;
}

export interface DeployResult {
  target: string;
  url: string;
  env?: string;
  /** Which environment was used and why (printed before the deploy). */
  envNote?: string;
  outcome: Outcome;
  message: string;
  nodeRedVersion?: string;
  revBefore?: string;
  revAfter?: string;
  modulesInstalled: string[];
  health?: HealthReport;
  rollbackHealth?: HealthReport;
  durationMs: number;
}

const DEFAULT_GRACE_MS = 5_000;
const DEFAULT_START_TIMEOUT_MS = 60_000;

function refs(flows: FlowNode[]): CredentialRefs {
  const out: CredentialRefs = {};
  for (const n of flows) {
    for (const [field, v] of Object.entries(n.credentials ?? {})) {
      if (parseSecretRef(v) !== null) (out[n.id] ??= {})[field] = v as string;
    }
  }
  return out;
}

/** What GET /nodes says about a module: its version, or undefined when it is not installed. */
function installedVersion(sets: NodeSet[], name: string): string | undefined {
  return sets.find((s) => s.module === name)?.version;
}

export async function deploy(opts: DeployOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const { bundle, target } = opts;
  const log = opts.log ?? (() => undefined);
  // Which environment: the one asked for; else the bundle's only one; else, for a bundle
  // without overlays, none at all (its flows deploy with their own values).
  const overlays = Object.keys(bundle.env);
  const asked = opts.env ?? target.env;
  let env: string | undefined = asked;
  let envNote: string;
  if (overlays.length === 0) {
    env = undefined;
    envNote = asked ? `environment "${asked}" asked for, but the bundle has no environment overlays: deploying the bundle's own values` : "environment: none (the bundle has no overlays): deploying the bundle's own values";
  } else if (!asked && overlays.length === 1) {
    env = overlays[0];
    envNote = `environment "${env}" (the bundle's only one)`;
  } else envNote = `environment "${asked ?? ''}"`;
  const result: DeployResult = { target: target.name, url: target.url, env, envNote, outcome: 'refused', message: '', modulesInstalled: [], durationMs: 0 };
  const done = (outcome: Outcome, message: string): DeployResult => {
    result.outcome = outcome;
    result.message = message;
    result.durationMs = Date.now() - t0;
    log(`${target.name}: ${message}`);
    return result;
  };
  const refuse = (message: string): DeployResult => done('refused', message);

  // 1. Offline checks.
  if (overlays.length > 1 && !env) return refuse(`no environment: the bundle has ${overlays.map((o) => `"${o}"`).join(', ')}: pass --env or set "env" in the inventory entry`);
  log(`${target.name}: ${envNote}`);
  const validation = validateBundle(bundle, { file: 'bundle', environments: env ? [env] : [] });
  if (validation.errors) return refuse(`the bundle does not validate${env ? ` for environment "${env}"` : ''}:\n  ${validation.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n  ')}`);
  let values: Record<string, string | number | boolean>;
  let flows: FlowNode[];
  try {
    values = env ? resolveEnvValues(bundle.env[env], env, target.vars, target.name) : {};
    flows = resolveCredentials(bundle.flows, target.secrets ?? {});
  } catch (err) {
    return refuse(toError(err).message);
  }

  const client = new AdminClient(target);
  const state = new DeploymentState(opts.stateDir, target.name, opts.keep);
  let comms: Comms | null = null;
  try {
    // 2. The target: version, flows, drift, modules.
    result.nodeRedVersion = await client.version();
    if (!satisfies(result.nodeRedVersion, bundle.manifest.nodeRed.range, { includePrerelease: true })) {
      return refuse(`Node-RED ${result.nodeRedVersion} does not satisfy the bundle's range ${bundle.manifest.nodeRed.range}`);
    }
    const current = await client.getFlows();
    result.revBefore = current.rev;
    const known = state.lastKnownState();
    if (known && known.revAfter !== current.rev && !opts.force) {
      const what = known.action === 'rollback' ? 'rolled back' : known.outcome === 'deployed' ? `deployed ${known.bundle?.name}@${known.bundle?.version}` : `rolled back the failed deploy of ${known.bundle?.name}@${known.bundle?.version}`;
      return refuse(`the flows were changed on the target since plantwire ${what} at ${known.at} (revision ${short(known.revAfter)} → ${short(current.rev)}): run "plantwire diff" to see the changes, then deploy with --force to overwrite them`);
    }
    const sets = await client.nodeSets();
    const toInstall: ModuleSpec[] = [];
    for (const mod of bundle.manifest.modules) {
      const have = installedVersion(sets, mod.name);
      if (have === mod.version) continue;
      if (have !== undefined && !opts.syncModules) {
        return refuse(`module ${mod.name} is ${have} on the target, the bundle pins ${mod.version}: deploy with --sync-modules to install ${mod.version}, or re-pack against ${have}`);
      }
      toInstall.push(mod);
    }
    const available = new Set(sets.filter((s) => s.enabled).flatMap((s) => s.types));
    for (const m of toInstall) for (const type of m.types) available.add(type);
    const unavailable = nodeTypesNeeded(flows).filter((type) => !available.has(type));
    if (unavailable.length) {
      return refuse(`node types not available on the target and not provided by a module of the bundle: ${unavailable.join(', ')} (core nodes disabled or removed there?)`);
    }

    // 3. Changes start here: modules, then flows.
    for (const mod of toInstall) {
      log(`${target.name}: installing ${mod.name}@${mod.version}${mod.url ? ` from ${mod.url}` : ''}…`);
      try {
        await client.installModule(mod.name, mod.version, mod.url);
      } catch (err) {
        // Nothing changed yet unless an earlier module of this bundle went in.
        const installed = result.modulesInstalled.length ? ` (${result.modulesInstalled.join(', ')} stayed installed; the flows were not deployed)` : '; the flows were not deployed';
        return done(result.modulesInstalled.length ? 'failed' : 'refused', `${toError(err).message}${installed}`);
      }
      result.modulesInstalled.push(`${mod.name}@${mod.version}`);
    }
    if (toInstall.length) {
      const after = await client.nodeSets();
      for (const mod of toInstall) {
        const got = installedVersion(after, mod.name);
        if (got !== mod.version) return done('failed', `installing ${mod.name}@${mod.version} reported success, but the target now has ${got ?? 'no such module'}`);
      }
    }

    const prepared = injectGlobalEnv(flows, values, current.flows);
    const previousRefs = known && known.revAfter === current.rev ? known.credentialRefs : undefined;
    const snapshot = state.saveSnapshot({ rev: current.rev, takenAt: new Date().toISOString(), target: target.name, flows: current.flows, credentialRefs: previousRefs });

    comms = await client.comms();
    const from = await markBoundary(comms);
    await opts.afterRead?.();
    let rev: string;
    try {
      rev = await client.setFlows(prepared, current.rev, opts.deployType ?? 'full');
    } catch (err) {
      if (err instanceof RevisionConflict) return refuse(err.message);
      // The request may have reached Node-RED: the target's state is unknown.
      return done('failed', `${toError(err).message} — the deploy may or may not have happened: check the target (plantwire diff), then deploy or roll back`);
    }
    result.revAfter = rev;
    const health = await checkHealth(client, comms, from, rev, prepared, { graceMs: opts.graceMs ?? DEFAULT_GRACE_MS, startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
    result.health = health;
    const entry: HistoryEntry = {
      id: randomUUID(),
      at: new Date().toISOString(),
      action: 'deploy',
      outcome: 'deployed',
      bundle: { name: bundle.manifest.name, version: bundle.manifest.version, digest: bundleDigest(bundle) },
      env,
      revBefore: current.rev,
      revAfter: rev,
      snapshot,
      credentialRefs: refs(bundle.flows),
    };
    if (health.healthy) {
      state.record(entry);
      return done('deployed', `deployed ${bundle.manifest.name}@${bundle.manifest.version} (${env}) — revision ${short(current.rev)} → ${short(rev)}, healthy`);
    }

    // 4. Unhealthy: restore the previous flows.
    log(`${target.name}: health check failed:\n  ${health.problems.join('\n  ')}\n${target.name}: rolling back to revision ${short(current.rev)}…`);
    const restored = restoreFlows(current.flows, previousRefs, target.secrets ?? {});
    const rbFrom = comms.nextSeq;
    let rbRev: string;
    try {
      rbRev = await client.setFlows(restored.flows, rev, 'full');
    } catch (err) {
      state.record({ ...entry, outcome: 'failed', problems: [...health.problems, `automatic rollback failed: ${toError(err).message}`] });
      return done('failed', `health check failed and the AUTOMATIC ROLLBACK FAILED: ${toError(err).message}. The unhealthy flows (revision ${short(rev)}) are running: run "plantwire rollback --force"`);
    }
    result.rollbackHealth = await checkHealth(client, comms, rbFrom, rbRev, restored.flows, { graceMs: Math.min(opts.graceMs ?? DEFAULT_GRACE_MS, 2_000), startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
    result.revAfter = rbRev;
    state.record({ ...entry, outcome: 'rolled-back', revAfter: rbRev, credentialRefs: previousRefs, problems: health.problems });
    const back = rbRev === current.rev ? `revision ${short(rbRev)} is running again` : `now revision ${short(rbRev)}`;
    return done('rolled-back', `health check failed (${health.problems[0]}${health.problems.length > 1 ? `, +${health.problems.length - 1} more` : ''}); rolled back automatically: ${back}${restored.warning ? ` (${restored.warning})` : ''}`);
  } catch (err) {
    return done(result.revAfter ? 'failed' : 'refused', toError(err).message);
  } finally {
    comms?.close();
  }
}

/**
 * The flows to restore, with the credentials of the earlier deploy when its
 * secret references are known and resolvable. Nodes that still exist on the
 * target keep the credentials Node-RED holds for them either way.
 */
function restoreFlows(flows: FlowNode[], credentialRefs: CredentialRefs | undefined, secrets: SecretSource): { flows: FlowNode[]; warning?: string } {
  if (!credentialRefs || Object.keys(credentialRefs).length === 0) return { flows };
  const withRefs = flows.map((n) => (credentialRefs[n.id] ? { ...n, credentials: credentialRefs[n.id] } : n));
  try {
    return { flows: resolveCredentials(withRefs, secrets) };
  } catch (err) {
    return { flows, warning: `credentials not re-sent: ${toError(err).message}` };
  }
}

export interface RollbackOptions {
  target: DeployTarget;
  stateDir: string;
  force?: boolean;
  graceMs?: number;
  startTimeoutMs?: number;
  keep?: number;
  log?: (line: string) => void;
}

/** Restores the flows from before the last live deploy plantwire made on the target. */
export async function rollback(opts: RollbackOptions): Promise<DeployResult> {
  const t0 = Date.now();
  const { target } = opts;
  const log = opts.log ?? (() => undefined);
  const result: DeployResult = { target: target.name, url: target.url, env: target.env, outcome: 'refused', message: '', modulesInstalled: [], durationMs: 0 };
  const done = (outcome: Outcome, message: string): DeployResult => {
    Object.assign(result, { outcome, message, durationMs: Date.now() - t0 });
    log(`${target.name}: ${message}`);
    return result;
  };
  const state = new DeploymentState(opts.stateDir, target.name, opts.keep);
  const last = state.lastLiveDeploy();
  if (!last) return done('refused', `no deploy to roll back in ${state.dir}: plantwire rollback undoes deploys made by plantwire deploy from this state directory`);
  const client = new AdminClient(target);
  let comms: Comms | null = null;
  try {
    const current = await client.getFlows();
    result.revBefore = current.rev;
    if (current.rev !== last.revAfter && !opts.force) {
      return done('refused', `the flows were changed on the target since the deploy of ${last.bundle?.name}@${last.bundle?.version} at ${last.at} (revision ${short(last.revAfter)} → ${short(current.rev)}): rolling back would discard those changes; use --force to roll back anyway`);
    }
    const snap = state.snapshot(last.snapshot);
    const restored = restoreFlows(snap.flows, snap.credentialRefs, target.secrets ?? {});
    const snapshot = state.saveSnapshot({ rev: current.rev, takenAt: new Date().toISOString(), target: target.name, flows: current.flows, credentialRefs: last.credentialRefs });
    comms = await client.comms();
    const from = await markBoundary(comms);
    let rev: string;
    try {
      rev = await client.setFlows(restored.flows, current.rev, 'full');
    } catch (err) {
      if (err instanceof RevisionConflict) return done('refused', err.message);
      throw err;
    }
    result.revAfter = rev;
    result.health = await checkHealth(client, comms, from, rev, restored.flows, { graceMs: opts.graceMs ?? DEFAULT_GRACE_MS, startTimeoutMs: opts.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS });
    const id = randomUUID();
    state.record(
      { id, at: new Date().toISOString(), action: 'rollback', outcome: 'rolled-back', env: last.env, revBefore: current.rev, revAfter: rev, snapshot, credentialRefs: snap.credentialRefs, undoes: last.id, ...(result.health.healthy ? {} : { problems: result.health.problems }) },
      (entries) => {
        const undone = entries.find((e) => e.id === last.id);
        if (undone) undone.rolledBackBy = id;
      },
    );
    const healthText = result.health.healthy ? 'healthy' : `but unhealthy: ${result.health.problems.join('; ')}`;
    return done('rolled-back', `rolled back ${last.bundle?.name}@${last.bundle?.version}: revision ${short(current.rev)} → ${short(rev)}${rev === snap.rev ? ' (the revision before that deploy)' : ''}, ${healthText}${restored.warning ? ` (${restored.warning})` : ''}`);
  } catch (err) {
    return done(result.revAfter ? 'failed' : 'refused', toError(err).message);
  } finally {
    comms?.close();
  }
}
