/**
 * The bundle commands of the plantwire CLI: bundle pack|validate, diff,
 * deploy, rollback, history. Human-readable output by default, one JSON
 * document on stdout with --json (progress then goes to stderr); the exit
 * code is non-zero when anything failed or was refused.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { PlantwireError, toError } from '../model/errors';
import { AdminClient, short, type TargetAuth } from '../bundle/admin-client';
import { bundleDigest, readBundleFile, writeBundle } from '../bundle/archive';
import { CORE_NODE_TYPES } from '../bundle/core-types';
import { deploy, rollback, type DeployResult, type DeployTarget } from '../bundle/deploy';
import { diffTarget, formatDiff, isEmptyDiff } from '../bundle/diff';
import { inventoryNames, parseInventory, rollingRun, selectTargets, summaryTable } from '../bundle/inventory';
import { describePlan, type PartitionPlan } from '../bundle/partition';
import { deriveModules, parseModuleOption, plantwireModule, type InstalledModule } from '../bundle/manifest';
import { pack, readEnvDir, readFlowsFile, readInstance, type PackResult } from '../bundle/pack';
import { readSecretsFile, SECRET_ENV_PREFIX } from '../bundle/secrets';
import { defaultStateDir, DeploymentState, targetKey } from '../bundle/state';
import type { Bundle, EnvOverlay, FlowNode, ModuleSpec, Problem } from '../bundle/types';
import { formatProblem, summarize, validateBundle, validateFlows } from '../bundle/validate';

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
}

const defaultIo: Io = { out: (l) => console.log(l), err: (l) => console.error(l), env: process.env };

const TARGET_HELP = `Targets (--target):
  a URL          http://host:1880 — the Node-RED editor/Admin API root.
                 Login: --user NAME with the password in PLANTWIRE_PASSWORD (or --password-file),
                 or a bearer token in PLANTWIRE_TOKEN (or --token-file). --name sets the target's
                 name in the deployment history (default host_port). --var NAME=value (repeatable)
                 sets per-target values (the overlay's null entries).
  an inventory   fleet.json — many instances: {"defaults": {...}, "targets": [{"name", "url", "env",
                 "auth": {"username", "passwordEnv"|"passwordFile"} | {"tokenEnv"|"tokenFile"},
                 "vars": {...}, "secretsFile"}]}. --select a,b picks some of them.`;

export const BUNDLE_HELP = `plantwire bundle — versioned flow bundles

Usage:
  plantwire bundle pack <flows.json> --version <semver> [options]
  plantwire bundle pack --from <url> --version <semver> [options]
      Packs flows into one bundle file <name>-<version>.plantwire.json: manifest (name, version,
      created, Node-RED version range, modules with pinned versions, environments, secret names),
      flows, environment overlays, sha256 checksums. Credentials become \${secret:NAME} references;
      their values are never written into the bundle. Validates the result and refuses on errors.
    --name NAME            bundle name (default: the flows file name)
    --version SEMVER       bundle version, e.g. 1.4.0
    --description TEXT
    --env-dir DIR          overlays: one <environment>.json per environment, {"VAR": "value" | null}
                           (null: each target sets it in the inventory's "vars"); default: env/ next
                           to the flows file when it exists
    --module N@V:T1,T2     a third-party module the flows use, pinned (repeatable); from a running
                           instance modules are read from GET /nodes
    --module-url N=URL     install module N from URL (https tarball, or an absolute .tgz path on the target)
    --node-red RANGE       Node-RED versions the bundle needs (default ">=4.0.0")
    --out DIR|FILE         where to write the bundle (default: the current directory)
    --secrets-out FILE     write credential values found in the flows file to FILE (mode 600),
                           as a secrets file for deploy --secrets — never into the bundle
    --config FILE          the same options as JSON: {"name", "version", "description", "envDir",
                           "modules": ["n@v:t"], "moduleUrls": {"n": "url"}, "nodeRed", "out"}
    --from URL             pack what runs on an instance (login options as for --target URLs)
  plantwire bundle validate <bundle.plantwire.json | flows.json> [--env NAME] [--env-dir DIR] [--module ...]
      Checks JSON, unique ids, wires, config references, node types, \${VAR} per environment,
      credentials, plaintext secrets and Plantwire node settings. Every problem names the file,
      node id, node name and field. Exit code 1 on errors.
  plantwire diff <bundle> --target <url|inventory.json> [--env NAME]
  plantwire deploy <bundle> --target <url|inventory.json> [--env NAME] [options]
  plantwire rollback --target <url|inventory.json>
  plantwire history --target <url|inventory.json>

  Every command takes --json (one JSON document on stdout) and --help.
`;

export const DEPLOY_HELP = `plantwire deploy <bundle> --target <url|inventory.json> [--env NAME] [options]

Deploys a bundle to one Node-RED (4 or 5) or a fleet, through the Admin API:
validates the bundle for the environment, logs in, checks the Node-RED version
against the bundle's range, refuses when the target's flows changed since
plantwire last deployed there (unless --force), installs missing modules at the
pinned versions (POST /nodes), injects the environment's values (Node-RED's
global environment) and the secrets (node credentials, encrypted by Node-RED),
deploys with the v2 API and the revision it read (refused when someone deployed
in between), then checks health: the flows started, no error was logged in the
grace period, no Plantwire node shows a red status. An unhealthy deploy is rolled
back automatically to the previous flows. The previous flows are kept in the
state directory for "plantwire rollback".

Options:
  --env NAME             environment overlay (default: the inventory entry's "env"; else the
                         bundle's only environment; a bundle without overlays deploys its own
                         values). The environment used is printed before the deploy.
  --secrets FILE         secrets file {"NAME": "value"} (default: the inventory entry's "secretsFile");
                         ${SECRET_ENV_PREFIX}<NAME> environment variables also work
  --select a,b           only these inventory targets
  --parallel N           deploy to N targets at a time (default 1: one after the other)
  --force                overwrite flows changed on the target since the last plantwire deploy
  --sync-modules         install the pinned version of modules the target has in another version
  --grace SECONDS        how long to watch for errors after the flows started (default 5)
  --start-timeout SECONDS how long the flows may take to start (default 60)
  --deploy-type TYPE     full (default), nodes or flows — as the editor's deploy button
  --state-dir DIR        deployment history (default .plantwire/deployments or PLANTWIRE_STATE_DIR)
  --keep N               snapshots of earlier flows to keep per target (default 10)
  --json                 one JSON document with every target's result

A fleet deploy stops starting new targets after the first one that is not deployed,
and prints a summary table.

${TARGET_HELP}
`;

export const DIFF_HELP = `plantwire diff <bundle> --target <url|inventory.json> [--env NAME] [--select a,b] [--json]

Shows what a deploy would change: nodes added (+), removed (-) and changed (~,
with the properties), comparing the bundle's flows (with the environment's
values in the global environment) with what runs on the target. Credential
values cannot be read back: the diff names credential fields the bundle sets
that the target does not have. Exit code 0 when there is no difference, 1 when
there is one (or on errors).

${TARGET_HELP}
`;

export const ROLLBACK_HELP = `plantwire rollback --target <url|inventory.json> [--secrets FILE] [--force] [--state-dir DIR] [--json]

Restores the flows that ran before the last deploy plantwire made on the target
(from the state directory, default .plantwire/deployments/<target>/), with the
revision check and the health check of a deploy. Refuses when the flows were
changed on the target since that deploy (--force rolls back anyway). Run it
again to go back one more deploy. Credentials of nodes that still exist are kept
by Node-RED; nodes the undone deploy removed get theirs from the secrets again.

${TARGET_HELP}
`;

export const HISTORY_HELP = `plantwire history --target <url|inventory.json> [--state-dir DIR] [--json]

Lists the deploys and rollbacks plantwire recorded for the target(s).

${TARGET_HELP}
`;

const TARGET_OPTIONS = {
  target: { type: 'string' },
  select: { type: 'string' },
  name: { type: 'string' },
  user: { type: 'string' },
  'password-file': { type: 'string' },
  'token-file': { type: 'string' },
  'state-dir': { type: 'string' },
  secrets: { type: 'string' },
  env: { type: 'string' },
  var: { type: 'string', multiple: true },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies ParseArgsConfig['options'];

/** --var NAME=value (repeatable): per-target values, over the inventory's "vars". */
function varOptions(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of Array.isArray(v) ? (v as string[]) : []) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(item);
    if (!m) throw new PlantwireError('bad-option', `--var must look like NAME=value, got "${item}"`);
    out[m[1]!] = m[2]!;
  }
  return out;
}

function parse<O extends ParseArgsConfig['options']>(args: string[], options: O, command: string): { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] } {
  try {
    const r = parseArgs({ args, options, allowPositionals: true, strict: true });
    return { values: r.values as Record<string, string | boolean | string[] | undefined>, positionals: r.positionals };
  } catch (err) {
    throw new PlantwireError('bad-option', `${toError(err).message}: run "plantwire ${command} --help"`);
  }
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

function seconds(v: unknown, name: string, fallback: number): number {
  if (v === undefined) return fallback * 1000;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0 || n > 3600) throw new PlantwireError('bad-option', `--${name} must be a number of seconds from 0 to 3600, got "${String(v)}"`);
  return n * 1000;
}

function keep(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new PlantwireError('bad-option', `--keep must be a whole number ≥ 1, got "${String(v)}"`);
  return n;
}

function urlAuth(values: Record<string, unknown>, io: Io, what = '--target'): TargetAuth {
  const tokenFile = str(values['token-file']);
  if (tokenFile) return { kind: 'token', token: fs.readFileSync(tokenFile, 'utf8').trim() };
  const user = str(values.user);
  if (user) {
    const pwFile = str(values['password-file']);
    const password = pwFile ? fs.readFileSync(pwFile, 'utf8').trim() : io.env.PLANTWIRE_PASSWORD;
    if (!password) throw new PlantwireError('bad-option', `${what}: --user ${user} needs the password in PLANTWIRE_PASSWORD or --password-file (never on the command line)`);
    return { kind: 'password', username: user, password };
  }
  if (io.env.PLANTWIRE_TOKEN) return { kind: 'token', token: io.env.PLANTWIRE_TOKEN };
  return { kind: 'none' };
}

/** --target: a URL (one instance) or an inventory file (a fleet). */
function resolveTargets(values: Record<string, unknown>, io: Io, command: string): { targets: DeployTarget[]; fleet: boolean; partitions?: PartitionPlan } {
  const target = str(values.target);
  if (!target) throw new PlantwireError('bad-option', `--target is required: a Node-RED URL or an inventory file (run "plantwire ${command} --help")`);
  const secretsFile = str(values.secrets);
  const secrets = secretsFile ? { file: readSecretsFile(secretsFile), fileName: secretsFile, env: io.env } : undefined;
  const vars = varOptions(values.var);
  if (/^https?:\/\//.test(target)) {
    const url = new URL(target);
    return {
      targets: [{ name: str(values.name) ?? targetKey(url.host), url: target, auth: urlAuth(values, io), env: str(values.env), vars, secrets: secrets ?? { env: io.env } }],
      fleet: false,
    };
  }
  if (!fs.existsSync(target)) throw new PlantwireError('bad-option', `--target ${target}: not an http(s) URL and no such inventory file`);
  const inv = parseInventory(target, io.env);
  const selected = selectTargets(inv.targets, str(values.select)?.split(',').map((s) => s.trim()).filter(Boolean));
  return {
    targets: selected.map((t) => ({ ...t, vars: { ...t.vars, ...vars }, ...(str(values.env) ? { env: str(values.env) } : {}), ...(secrets ? { secrets } : {}) })),
    fleet: true,
    partitions: inv.partitions,
  };
}

function loadBundle(file: string | undefined, command: string): { bundle: Bundle; file: string } {
  if (!file) throw new PlantwireError('bad-option', `which bundle? plantwire ${command} <name-version.plantwire.json>`);
  const read = readBundleFile(file);
  if (read.problem) throw new PlantwireError('bad-bundle', formatProblem(read.problem));
  const v = validateBundle(read.value, { file: path.basename(file) });
  const fatal = v.problems.filter((p) => p.code === 'bad-format' || p.code === 'bad-checksum');
  if (fatal.length) throw new PlantwireError('bad-bundle', `${file}:\n  ${fatal.map(formatProblem).join('\n  ')}`);
  return { bundle: read.value as Bundle, file };
}

// ------------------------------------------------------------------ bundle

export async function bundleCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const [sub, ...rest] = args;
  if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
    io.out(BUNDLE_HELP);
    return sub ? 0 : 1;
  }
  if (sub === 'pack') return packCommand(rest, io);
  if (sub === 'validate') return validateCommand(rest, io);
  throw new PlantwireError('bad-command', `unknown command "bundle ${sub}": try "plantwire bundle pack" or "plantwire bundle validate"`);
}

interface PackConfig {
  name?: string;
  version?: string;
  description?: string;
  envDir?: string;
  modules?: string[];
  moduleUrls?: Record<string, string>;
  nodeRed?: string;
  out?: string;
}

async function packCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      name: { type: 'string' },
      version: { type: 'string' },
      description: { type: 'string' },
      'env-dir': { type: 'string' },
      module: { type: 'string', multiple: true },
      'module-url': { type: 'string', multiple: true },
      'node-red': { type: 'string' },
      out: { type: 'string' },
      'secrets-out': { type: 'string' },
      config: { type: 'string' },
      from: { type: 'string' },
      user: { type: 'string' },
      'password-file': { type: 'string' },
      'token-file': { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    'bundle pack',
  );
  if (values.help) {
    io.out(BUNDLE_HELP);
    return 0;
  }
  const configFile = str(values.config);
  const config: PackConfig = configFile ? (JSON.parse(fs.readFileSync(configFile, 'utf8')) as PackConfig) : {};
  const configDir = configFile ? path.dirname(path.resolve(configFile)) : process.cwd();
  const from = str(values.from);
  const flowsFile = positionals[0];
  if (!from && !flowsFile) throw new PlantwireError('bad-option', 'pack what? plantwire bundle pack <flows.json> or --from <url> (run "plantwire bundle pack --help")');
  const version = str(values.version) ?? config.version;
  if (!version) throw new PlantwireError('bad-option', '--version is required (semver, e.g. 1.4.0): every bundle is versioned');

  const modules: ModuleSpec[] = [...(config.modules ?? []), ...((values.module as string[] | undefined) ?? [])].map(parseModuleOption);
  const urls: Record<string, string> = { ...(config.moduleUrls ?? {}) };
  for (const u of (values['module-url'] as string[] | undefined) ?? []) {
    const m = /^([^=]+)=(.+)$/.exec(u);
    if (!m) throw new PlantwireError('bad-option', `--module-url must look like name=url, got "${u}"`);
    urls[m[1]!] = m[2]!;
  }

  let flows: FlowNode[];
  let installed: InstalledModule[] | undefined;
  let credentialFields: Map<string, string[]> | undefined;
  let nodeRedVersion: string | undefined;
  let source: Bundle['manifest']['source'];
  if (from) {
    const instance = await readInstance(new AdminClient({ name: targetKey(new URL(from).host), url: from, auth: urlAuth(values, io, '--from') }));
    ({ flows, installed, credentialFields, nodeRedVersion } = instance);
    source = { kind: 'instance', ref: new URL(from).origin };
  } else {
    const read = readFlowsFile(flowsFile!);
    if (read.problem) throw new PlantwireError('bad-flows', formatProblem(read.problem));
    flows = read.flows!;
    source = { kind: 'file', ref: path.basename(flowsFile!) };
  }

  const defaultEnvDir = flowsFile ? path.join(path.dirname(flowsFile), 'env') : undefined;
  const envDir = str(values['env-dir']) ?? (config.envDir ? path.resolve(configDir, config.envDir) : defaultEnvDir && fs.existsSync(defaultEnvDir) ? defaultEnvDir : undefined);
  let env: Record<string, EnvOverlay> = {};
  if (envDir) {
    const r = readEnvDir(envDir);
    if (r.problems.length) return report(io, values.json === true, { ok: false, problems: r.problems }, r.problems.map(formatProblem));
    env = r.env;
  }

  const name = str(values.name) ?? config.name ?? (flowsFile ? path.basename(flowsFile).replace(/\.json$/i, '') : targetKey(new URL(from!).host));
  const withUrls = (mods: ModuleSpec[]): ModuleSpec[] => mods.map((m) => (urls[m.name] ? { ...m, url: urls[m.name] } : m));
  const result: PackResult = pack({
    name,
    version,
    description: str(values.description) ?? config.description,
    flows,
    source,
    nodeRedVersion,
    nodeRedRange: str(values['node-red']) ?? config.nodeRed,
    env,
    modules: withUrls(modules),
    installed: installed?.map((m) => (urls[m.name] ? { ...m, url: urls[m.name] } : m)),
    credentialFields,
  });
  const lines: string[] = [...result.notes.map((n) => `note: ${n}`)];
  if (result.validation.errors) {
    lines.push(`pack refused: the bundle would not validate (${result.validation.errors} error(s)):`, ...result.validation.problems.map(formatProblem));
    return report(io, values.json === true, { ok: false, problems: result.validation.problems, notes: result.notes }, lines);
  }
  const outFile = writeBundle(result.bundle, str(values.out) ?? (config.out ? path.resolve(configDir, config.out) : process.cwd()));
  const secretsOut = str(values['secrets-out']);
  if (secretsOut && Object.keys(result.extracted).length) {
    fs.writeFileSync(secretsOut, `${JSON.stringify(result.extracted, null, 2)}\n`, { mode: 0o600 });
    fs.chmodSync(secretsOut, 0o600);
  }
  const m = result.bundle.manifest;
  const tabs = result.bundle.flows.filter((n) => n.type === 'tab').length;
  lines.push(
    `packed ${m.name}@${m.version} → ${outFile}`,
    `  flows:        ${result.bundle.flows.length} nodes on ${tabs} flow(s), from ${m.source.kind} ${m.source.ref}${m.nodeRed.version ? ` (Node-RED ${m.nodeRed.version})` : ''}; needs Node-RED ${m.nodeRed.range}`,
    `  modules:      ${m.modules.length ? m.modules.map((x) => `${x.name}@${x.version} (${x.types.join(', ')})`).join('; ') : 'none (core nodes only)'}`,
    `  environments: ${m.env.environments.length ? `${m.env.environments.join(', ')} — variables ${m.env.variables.join(', ') || 'none'}` : 'none'}`,
    `  secrets:      ${m.secrets.length ? `${m.secrets.map((s) => s.name).join(', ')} (values supplied at deploy time)` : 'none'}`,
    `  sha256:       ${bundleDigest(result.bundle)}`,
    ...result.validation.problems.map(formatProblem),
  );
  if (secretsOut && Object.keys(result.extracted).length) lines.push(`  credential values found in the flows were written to ${secretsOut} (mode 600) — keep it out of version control`);
  return report(io, values.json === true, { ok: true, file: outFile, manifest: m, digest: bundleDigest(result.bundle), problems: result.validation.problems, notes: result.notes }, lines);
}

function report(io: Io, json: boolean, doc: { ok: boolean } & Record<string, unknown>, lines: string[]): number {
  if (json) io.out(JSON.stringify(doc, null, 2));
  else for (const l of lines) (doc.ok ? io.out : io.err)(l);
  return doc.ok ? 0 : 1;
}

async function validateCommand(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse(args, { env: { type: 'string' }, 'env-dir': { type: 'string' }, module: { type: 'string', multiple: true }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } }, 'bundle validate');
  if (values.help) {
    io.out(BUNDLE_HELP);
    return 0;
  }
  const file = positionals[0];
  if (!file) throw new PlantwireError('bad-option', 'validate what? plantwire bundle validate <bundle.plantwire.json | flows.json>');
  const environments = str(values.env) ? [str(values.env)!] : undefined;
  let problems: Problem[];
  let kind: 'bundle' | 'flows';
  const read = readBundleFile(file);
  if (read.problem) {
    problems = [read.problem];
    kind = 'flows';
  } else if (read.value && typeof read.value === 'object' && !Array.isArray(read.value) && 'format' in read.value) {
    kind = 'bundle';
    problems = validateBundle(read.value, { file: path.basename(file), environments }).problems;
  } else {
    kind = 'flows';
    const flows = readFlowsFile(file);
    const defaultEnvDir = path.join(path.dirname(file), 'env');
    const envDir = str(values['env-dir']) ?? (fs.existsSync(defaultEnvDir) ? defaultEnvDir : undefined);
    const envRead = envDir ? readEnvDir(envDir) : { env: {}, problems: [] };
    const declared = ((values.module as string[] | undefined) ?? []).map(parseModuleOption);
    const flowsList = flows.flows ?? [];
    const { modules } = deriveModules(flowsList, { declared });
    problems = flows.problem
      ? [flows.problem]
      : [
          ...envRead.problems,
          ...validateFlows({ flows: flowsList, flowsFile: path.basename(file), env: envRead.env, environments, known: { core: CORE_NODE_TYPES, modules: [...modules, plantwireModule()] }, credentialValuesAllowed: true }),
        ];
    // A flows file may hold credentials (pack turns them into references); say so.
    for (const n of flowsList) {
      for (const [field, v] of Object.entries(n.credentials ?? {})) {
        if (typeof v === 'string' && v !== '' && !v.startsWith('${secret:')) {
          problems.push({ severity: 'warning', code: 'credential-value', file: path.basename(file), nodeId: n.id, nodeName: n.name, nodeType: n.type, field: `credentials.${field}`, message: 'holds a credential value: pack replaces it with a ${secret:NAME} reference (--secrets-out keeps the value for deploy)' });
        }
      }
    }
  }
  const s = summarize(problems);
  const lines = [...problems.map(formatProblem), `${file}: ${s.errors} error(s), ${s.warnings} warning(s)${s.errors ? '' : ` — the ${kind === 'bundle' ? 'bundle is' : 'flows are'} valid`}`];
  if (values.json) io.out(JSON.stringify({ ok: s.errors === 0, file, kind, errors: s.errors, warnings: s.warnings, problems }, null, 2));
  else for (const l of lines) (s.errors ? io.err : io.out)(l);
  return s.errors ? 1 : 0;
}

// ------------------------------------------------------------------ diff

export async function diffCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values, positionals } = parse(args, TARGET_OPTIONS, 'diff');
  if (values.help) {
    io.out(DIFF_HELP);
    return 0;
  }
  const { bundle } = loadBundle(positionals[0], 'diff');
  const { targets } = resolveTargets(values, io, 'diff');
  const docs: Array<Record<string, unknown>> = [];
  let differs = false;
  let failed = false;
  for (const t of targets) {
    try {
      const d = await diffTarget(bundle, t, str(values.env));
      const empty = isEmptyDiff(d);
      differs ||= !empty;
      docs.push({ target: t.name, url: t.url, rev: d.rev, same: empty, added: d.added, removed: d.removed, changed: d.changed, unchanged: d.unchanged, notes: d.notes });
      if (!values.json) {
        io.out(`${t.name} (${t.url}, revision ${short(d.rev)}): ${empty ? 'no differences' : `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed`} — ${d.unchanged} unchanged`);
        for (const l of formatDiff(d)) io.out(l);
      }
    } catch (err) {
      failed = true;
      docs.push({ target: t.name, url: t.url, error: toError(err).message });
      if (!values.json) io.err(`${t.name}: ${toError(err).message}`);
    }
  }
  if (values.json) io.out(JSON.stringify({ ok: !failed, bundle: `${bundle.manifest.name}@${bundle.manifest.version}`, targets: docs }, null, 2));
  return failed || differs ? 1 : 0;
}

// ------------------------------------------------------------------ deploy / rollback

export async function deployCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values, positionals } = parse(
    args,
    {
      ...TARGET_OPTIONS,
      parallel: { type: 'string' },
      force: { type: 'boolean' },
      'sync-modules': { type: 'boolean' },
      grace: { type: 'string' },
      'start-timeout': { type: 'string' },
      'deploy-type': { type: 'string' },
      keep: { type: 'string' },
    },
    'deploy',
  );
  if (values.help) {
    io.out(DEPLOY_HELP);
    return 0;
  }
  const { bundle, file } = loadBundle(positionals[0], 'deploy');
  const { targets, fleet, partitions } = resolveTargets(values, io, 'deploy');
  const deployType = str(values['deploy-type']) ?? 'full';
  if (!['full', 'nodes', 'flows'].includes(deployType)) throw new PlantwireError('bad-option', `--deploy-type must be full, nodes or flows, got "${deployType}"`);
  const parallel = Number(str(values.parallel) ?? 1);
  if (!Number.isInteger(parallel) || parallel < 1) throw new PlantwireError('bad-option', `--parallel must be a whole number ≥ 1, got "${String(values.parallel)}"`);
  const progress = values.json ? io.err : io.out;
  progress(`deploying ${bundle.manifest.name}@${bundle.manifest.version} (${path.basename(file)}) to ${targets.length} target(s)${fleet && parallel > 1 ? `, ${parallel} at a time` : ''}`);
  // Who reads which sources (inventory partitions), before anything is deployed.
  for (const line of describePlan(partitions ?? {})) progress(`  reads ${line}`);
  const stateDir = str(values['state-dir']) ?? defaultStateDir(io.env);
  const results = await rollingRun(
    targets,
    (t) =>
      deploy({
        bundle,
        target: t,
        env: str(values.env) ?? t.env,
        stateDir,
        force: values.force === true,
        syncModules: values['sync-modules'] === true,
        deployType: deployType as 'full',
        graceMs: seconds(values.grace, 'grace', 5),
        startTimeoutMs: seconds(values['start-timeout'], 'start-timeout', 60),
        keep: keep(values.keep),
        log: progress,
      }),
    { parallel },
  );
  return finish(io, values.json === true, results, fleet, (r) => r.outcome === 'deployed');
}

function finish(io: Io, json: boolean, results: DeployResult[], fleet: boolean, ok: (r: DeployResult) => boolean): number {
  const success = results.every(ok);
  if (json) io.out(JSON.stringify({ ok: success, results }, null, 2));
  else {
    for (const r of results) {
      if (r.health && !r.health.healthy) for (const p of r.health.problems) io.err(`${r.target}: unhealthy: ${p}`);
    }
    if (fleet || results.length > 1) io.out(`\n${summaryTable(results)}`);
  }
  return success ? 0 : 1;
}

export async function rollbackCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values } = parse(args, { ...TARGET_OPTIONS, force: { type: 'boolean' }, grace: { type: 'string' }, parallel: { type: 'string' } }, 'rollback');
  if (values.help) {
    io.out(ROLLBACK_HELP);
    return 0;
  }
  const { targets, fleet } = resolveTargets(values, io, 'rollback');
  const progress = values.json ? io.err : io.out;
  const stateDir = str(values['state-dir']) ?? defaultStateDir(io.env);
  const results = await rollingRun(targets, (t) => rollback({ target: t, stateDir, force: values.force === true, graceMs: seconds(values.grace, 'grace', 5), log: progress }), {
    parallel: Number(str(values.parallel) ?? 1),
    ok: (r) => r.outcome === 'rolled-back',
  });
  return finish(io, values.json === true, results, fleet, (r) => r.outcome === 'rolled-back' && r.health?.healthy !== false);
}

export async function historyCommand(args: string[], io: Io = defaultIo): Promise<number> {
  const { values } = parse(args, TARGET_OPTIONS, 'history');
  if (values.help) {
    io.out(HISTORY_HELP);
    return 0;
  }
  const target = str(values.target);
  if (!target) throw new PlantwireError('bad-option', '--target is required (run "plantwire history --help")');
  const names = /^https?:\/\//.test(target) ? [str(values.name) ?? targetKey(new URL(target).host)] : inventoryNames(target, str(values.select)?.split(','));
  const stateDir = str(values['state-dir']) ?? defaultStateDir(io.env);
  const all = names.map((name) => ({ target: name, entries: new DeploymentState(stateDir, name).history() }));
  if (values.json) {
    io.out(JSON.stringify({ ok: true, stateDir, targets: all }, null, 2));
    return 0;
  }
  for (const { target: name, entries } of all) {
    io.out(`${name}: ${entries.length ? `${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}` : 'no deploys recorded'}`);
    for (const e of entries) {
      const what = e.action === 'deploy' ? `deploy ${e.bundle?.name}@${e.bundle?.version} (${e.env})` : 'rollback';
      io.out(`  ${e.at}  ${what.padEnd(32)} ${e.outcome.padEnd(11)} ${short(e.revBefore)} → ${short(e.revAfter)}${e.rolledBackBy ? '  (rolled back)' : ''}${e.problems?.length ? `  ${e.problems[0]}` : ''}`);
    }
  }
  return 0;
}
