/**
 * `plantwire bundle validate`: everything that can be checked without a
 * target. Pure: takes parsed parts, returns problems that each name the file,
 * the node (id, name, type) and the field.
 */
import { checksum } from './canonical';
import { jsonErrorOffset, lineColumn } from './json-position';
import { CORE_NODE_TYPES, STRUCTURAL_TYPES } from './core-types';
import { BUILTIN_ENV, ENV_NAME_RE, envUses, flowDefinedEnv } from './env';
import { nodeRule, type RefRule } from './rules';
import { containsSecretRef, findPlaintextSecrets, parseSecretRef, SECRET_NAME_RE } from './secrets';
import { joinPath, walkJson } from './walk';
import { isValidRange, isVersion } from './semver';
import { BUNDLE_FORMAT, type Bundle, type EnvOverlay, type FlowNode, type Manifest, type ModuleSpec, type Problem } from './types';

export interface KnownTypes {
  /** Types the target (or Node-RED itself) provides without a module: core and structural. */
  core: Iterable<string>;
  /** Modules whose types may be used: the Plantwire palette and the manifest's modules. */
  modules: ModuleSpec[];
}

export interface FlowsInput {
  /** The parsed flows (anything: the shape is checked). */
  flows: unknown;
  /** File label for messages, e.g. `flows.json`. */
  flowsFile: string;
  /** Environment overlays by name; their label is `env/<name>.json`. */
  env: Record<string, EnvOverlay>;
  /** Environments to check `${VAR}` use against; default: every overlay (or none when there is none). */
  environments?: string[];
  known: KnownTypes;
  /** When the flows come from a bundle: secrets the manifest declares (references must be declared). */
  declaredSecrets?: Set<string>;
  /** A bundle holds only secret references in credentials; a flows file may hold values (pack replaces them). */
  credentialValuesAllowed?: boolean;
}

type NodeProblem = Omit<Problem, 'file' | 'nodeId' | 'nodeName' | 'nodeType'>;

export function envFileLabel(name: string): string {
  return `env/${name}.json`;
}

/** Parses JSON text; a syntax error becomes a problem naming line and column. */
export function parseJson(text: string, file: string): { value?: unknown; problem?: Problem } {
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    const message = (err as Error).message;
    const offset = jsonErrorOffset(text);
    let where = '';
    if (offset !== null) {
      const { line, column } = lineColumn(text, offset);
      where = offset >= text.length ? ' (it ends too early)' : ` at line ${line}, column ${column}`;
    }
    return { problem: { severity: 'error', code: 'bad-json', file, message: `not well-formed JSON${where}: ${message}` } };
  }
}

/** Checks a flow configuration with its environment overlays. */
export function validateFlows(input: FlowsInput): Problem[] {
  const problems: Problem[] = [];
  const file = input.flowsFile;
  if (!Array.isArray(input.flows)) {
    return [{ severity: 'error', code: 'bad-flows', file, message: 'flows must be a JSON array of nodes (what Node-RED exports or GET /flows returns)' }];
  }

  // Shape and unique ids.
  const nodes: FlowNode[] = [];
  const byId = new Map<string, FlowNode>();
  input.flows.forEach((raw, i) => {
    if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ severity: 'error', code: 'bad-node', file, field: `[${i}]`, message: `entry ${i} is not a node object` });
      return;
    }
    const n = raw as FlowNode;
    if (typeof n.id !== 'string' || n.id === '' || typeof n.type !== 'string' || n.type === '') {
      problems.push({ severity: 'error', code: 'bad-node', file, field: `[${i}]`, nodeId: typeof n.id === 'string' ? n.id : undefined, message: `entry ${i} needs a non-empty string "id" and "type"` });
      return;
    }
    const seen = byId.get(n.id);
    if (seen) {
      problems.push({ ...at(file, n), severity: 'error', code: 'duplicate-id', field: 'id', message: `id "${n.id}" is used twice (also by ${describe(seen)}): every node needs its own id` });
      return;
    }
    byId.set(n.id, n);
    nodes.push(n);
  });

  const known = knownTypeSet(input.known, nodes);
  const defined = flowDefinedEnv(nodes);
  const envNames = input.environments ?? Object.keys(input.env);
  for (const name of envNames) {
    if (!input.env[name]) problems.push({ severity: 'error', code: 'unknown-env', file: envFileLabel(name), message: `environment "${name}" has no overlay: add ${envFileLabel(name)}` });
  }

  for (const node of nodes) {
    const add = (p: NodeProblem): void => {
      problems.push({ ...at(file, node), ...p });
    };
    checkType(node, known, add);
    checkStructure(node, byId, add);
    checkRefs(node, byId, add);
    checkCredentials(node, input, add);
    checkEnvUses(node, input, envNames, defined, add);
    checkEmbeddedSecretRefs(node, add);
    for (const f of findPlaintextSecrets(node, { skip: ['credentials'] })) {
      add({ severity: 'error', code: 'plaintext-secret', field: f.path, message: `plaintext secret: ${f.what}. Move it into the node's credentials as \${secret:NAME} (or a credential-type env variable) and supply the value at deploy time` });
    }
    checkRule(node, byId, input, envNames, add);
  }

  for (const [name, overlay] of Object.entries(input.env)) problems.push(...validateOverlay(name, overlay));
  return problems;
}

function at(file: string, n: FlowNode): Pick<Problem, 'file' | 'nodeId' | 'nodeName' | 'nodeType'> {
  return { file, nodeId: n.id, nodeName: typeof n.name === 'string' && n.name ? n.name : typeof n.label === 'string' && n.label ? n.label : undefined, nodeType: n.type };
}

function describe(n: FlowNode): string {
  const name = typeof n.name === 'string' && n.name ? ` "${n.name}"` : typeof n.label === 'string' && n.label ? ` "${n.label}"` : '';
  return `${n.type}${name} (${n.id})`;
}

function knownTypeSet(k: KnownTypes, nodes: FlowNode[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const t of k.core) out.set(t, 'node-red');
  for (const t of STRUCTURAL_TYPES) out.set(t, 'node-red');
  for (const m of k.modules) for (const t of m.types) if (!out.has(t)) out.set(t, m.name);
  for (const n of nodes) if (n.type === 'subflow') out.set(`subflow:${n.id}`, 'subflow');
  return out;
}

function checkType(node: FlowNode, known: Map<string, string>, add: (p: NodeProblem) => void): void {
  if (known.has(node.type)) return;
  if (node.type.startsWith('subflow:')) {
    add({ severity: 'error', code: 'unknown-type', field: 'type', message: `subflow instance of "${node.type.slice(8)}", but no subflow with that id is in the flows` });
    return;
  }
  add({
    severity: 'error',
    code: 'unknown-type',
    field: 'type',
    message: `unknown node type "${node.type}": not a Node-RED core type, not a Plantwire type, and no declared module provides it. Declare its module (pack --module <name>@<version>:${node.type.includes(' ') ? `"${node.type}"` : node.type})`,
  });
}

function checkStructure(node: FlowNode, byId: Map<string, FlowNode>, add: (p: NodeProblem) => void): void {
  if (node.z !== undefined && node.z !== '') {
    const parent = typeof node.z === 'string' ? byId.get(node.z) : undefined;
    if (!parent || (parent.type !== 'tab' && parent.type !== 'subflow')) {
      add({ severity: 'error', code: 'bad-parent', field: 'z', message: `belongs to flow "${String(node.z)}", which is not a tab or subflow in the flows` });
    }
  }
  if (node.g !== undefined && node.g !== '') {
    const group = typeof node.g === 'string' ? byId.get(node.g) : undefined;
    if (!group || group.type !== 'group') add({ severity: 'error', code: 'bad-group', field: 'g', message: `is in group "${String(node.g)}", which is not a group in the flows` });
  }
  if (node.wires === undefined) return;
  if (!Array.isArray(node.wires) || !node.wires.every((port) => Array.isArray(port))) {
    add({ severity: 'error', code: 'bad-wire', field: 'wires', message: 'wires must be an array of output ports, each an array of node ids' });
    return;
  }
  (node.wires as unknown[][]).forEach((port, p) => {
    port.forEach((target, i) => {
      const field = `wires[${p}][${i}]`;
      const t = typeof target === 'string' ? byId.get(target) : undefined;
      if (!t) {
        add({ severity: 'error', code: 'bad-wire', field, message: `output ${p + 1} is wired to node "${String(target)}", which is not in the flows` });
      } else if (t.wires === undefined && !STRUCTURAL_TYPES.includes(t.type) && t.x === undefined) {
        add({ severity: 'error', code: 'bad-wire', field, message: `output ${p + 1} is wired to ${describe(t)}, a config node, which cannot receive messages` });
      } else if (STRUCTURAL_TYPES.includes(t.type) && t.type !== 'junction') {
        add({ severity: 'error', code: 'bad-wire', field, message: `output ${p + 1} is wired to ${describe(t)}, which is not a node` });
      } else if ((t.z ?? '') !== (node.z ?? '')) {
        add({ severity: 'error', code: 'bad-wire', field, message: `output ${p + 1} is wired to ${describe(t)} on another flow: wires cannot cross flows (use link nodes)` });
      }
    });
  });
  if (node.type === 'subflow') {
    for (const [k, list] of [['in', node.in], ['out', node.out]] as const) {
      if (!Array.isArray(list)) continue;
      list.forEach((port: { wires?: Array<{ id?: unknown }> }, p: number) => {
        (port?.wires ?? []).forEach((w, i) => {
          if (typeof w?.id !== 'string' || (!byId.has(w.id) && w.id !== node.id)) {
            add({ severity: 'error', code: 'bad-wire', field: `${k}[${p}].wires[${i}]`, message: `subflow ${k === 'in' ? 'input' : 'output'} ${p + 1} is wired to node "${String(w?.id)}", which is not in the flows` });
          }
        });
      });
    }
  }
}

function checkRefs(node: FlowNode, byId: Map<string, FlowNode>, add: (p: NodeProblem) => void): void {
  const refs = nodeRule(node.type)?.refs;
  if (!refs) return;
  for (const [field, rule] of Object.entries(refs)) {
    if (rule.when && !rule.when(node)) continue;
    const value = node[field];
    if (rule.many) {
      if (!Array.isArray(value)) continue;
      value.forEach((id, i) => checkRef(`${field}[${i}]`, id, rule, byId, add));
      continue;
    }
    if (value === undefined || value === null || value === '' || value === '_ADD_') {
      if (rule.required) add({ severity: 'error', code: 'missing-config', field, message: `has no ${field}: select a ${rule.types.join(' or ')} node in its dialog` });
      continue;
    }
    checkRef(field, value, rule, byId, add);
  }
}

function checkRef(field: string, id: unknown, rule: RefRule, byId: Map<string, FlowNode>, add: (p: NodeProblem) => void): void {
  if (typeof id === 'string' && /^\$\{[^}]+\}$/.test(id)) return; // chosen per environment
  const target = typeof id === 'string' ? byId.get(id) : undefined;
  if (!target) {
    add({ severity: 'error', code: 'bad-reference', field, message: `${field} refers to node "${String(id)}", which is not in the flows${rule.types.length ? ` (expected a ${rule.types.join(' or ')} node)` : ''}` });
  } else if (rule.types.length && !rule.types.includes(target.type)) {
    add({ severity: 'error', code: 'bad-reference', field, message: `${field} refers to ${describe(target)}, but must be a ${rule.types.join(' or ')} node` });
  }
}

function checkCredentials(node: FlowNode, input: FlowsInput, add: (p: NodeProblem) => void): void {
  const creds = node.credentials;
  if (creds === undefined) return;
  if (!creds || typeof creds !== 'object' || Array.isArray(creds)) {
    add({ severity: 'error', code: 'bad-credentials', field: 'credentials', message: 'credentials must be an object of field → ${secret:NAME}' });
    return;
  }
  for (const [field, value] of Object.entries(creds)) {
    const path = joinPath('credentials', field);
    if (value === '' || value === undefined || value === null) continue;
    const name = parseSecretRef(value);
    if (name === null) {
      if (input.credentialValuesAllowed) continue;
      add({
        severity: 'error',
        code: 'plaintext-credential',
        field: path,
        message: `credentials hold a value: a bundle carries only secret references. Use "\${secret:NAME}" and supply NAME at deploy time (plantwire bundle pack does this for you)`,
      });
      continue;
    }
    if (input.declaredSecrets && !input.declaredSecrets.has(name)) {
      add({ severity: 'error', code: 'undeclared-secret', field: path, message: `secret "${name}" is referenced but not declared in the manifest's secrets` });
    }
  }
}

function checkEnvUses(node: FlowNode, input: FlowsInput, envNames: string[], defined: Set<string>, add: (p: NodeProblem) => void): void {
  for (const use of envUses(node)) {
    if (use.name.startsWith('secret:')) {
      add({ severity: 'error', code: 'secret-outside-credentials', field: use.field, message: `"\${${use.name}}" is a secret reference outside the node's credentials: Node-RED would store it as plain text. Secrets go into credentials only` });
      continue;
    }
    if (BUILTIN_ENV.has(use.name) || defined.has(use.name)) continue;
    if (!ENV_NAME_RE.test(use.name)) {
      add({ severity: 'warning', code: 'odd-env-name', field: use.field, message: `"\${${use.name}}" is not a plain variable name: it cannot be declared in an overlay` });
      continue;
    }
    if (envNames.length === 0) {
      add({ severity: 'error', code: 'undeclared-env', field: use.field, message: `uses \${${use.name}}, but the bundle has no environment overlay that declares it: add "${use.name}" to env/<environment>.json` });
      continue;
    }
    for (const env of envNames) {
      const overlay = input.env[env];
      if (overlay && !(use.name in overlay)) {
        add({ severity: 'error', code: 'undeclared-env', field: use.field, message: `uses \${${use.name}}, which is not declared for environment "${env}": add "${use.name}" to ${envFileLabel(env)}` });
      }
    }
  }
}

/** An embedded reference ("user:${secret:X}@host") is never resolved. */
function checkEmbeddedSecretRefs(node: FlowNode, add: (p: NodeProblem) => void): void {
  for (const [k, v] of Object.entries(node)) {
    if (k === 'credentials') continue;
    walkJson(
      v,
      (value, path) => {
        if (typeof value === 'string' && containsSecretRef(value) && parseSecretRef(value) === null) {
          add({ severity: 'error', code: 'secret-outside-credentials', field: path, message: 'a ${secret:…} reference inside a longer text is never resolved: secrets go into credentials only' });
        }
      },
      k,
    );
  }
}

function substituteEnv(node: FlowNode, values: Record<string, unknown>): FlowNode | null {
  let unresolved = false;
  const map = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const m = /^\$\{(\S+)\}$/.exec(v);
      if (!m) return v;
      const r = values[m[1]!];
      if (r === undefined || r === null) {
        if (!BUILTIN_ENV.has(m[1]!)) unresolved = true;
        return v;
      }
      return String(r);
    }
    if (Array.isArray(v)) return v.map(map);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, k === 'credentials' ? x : map(x)]));
    return v;
  };
  const out = map(node) as FlowNode;
  return unresolved ? null : out;
}

function checkRule(node: FlowNode, byId: Map<string, FlowNode>, input: FlowsInput, envNames: string[], add: (p: NodeProblem) => void): void {
  const check = nodeRule(node.type)?.check;
  if (!check) return;
  const ctx = { byId };
  if (envUses(node).length === 0 || envNames.length === 0) {
    for (const f of check(node, ctx)) add({ severity: f.severity ?? 'error', code: 'bad-config', field: f.field, message: f.message });
    return;
  }
  const seen = new Set<string>();
  for (const env of envNames) {
    const resolved = substituteEnv(node, input.env[env] ?? {});
    if (!resolved) continue; // a per-target value: checked at deploy time
    for (const f of check(resolved, ctx)) {
      const key = `${f.field}|${f.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      add({ severity: f.severity ?? 'error', code: 'bad-config', field: f.field, message: `${f.message} (with the values of environment "${env}")` });
    }
  }
}

export function validateOverlay(name: string, overlay: unknown): Problem[] {
  const file = envFileLabel(name);
  const out: Problem[] = [];
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name)) out.push({ severity: 'error', code: 'bad-env-name', file, message: `environment name "${name}" must be letters, digits, ".", "_" or "-"` });
  if (!overlay || typeof overlay !== 'object' || Array.isArray(overlay)) {
    out.push({ severity: 'error', code: 'bad-overlay', file, message: 'an environment overlay must be a JSON object: {"VARIABLE": "value", …}' });
    return out;
  }
  for (const [k, v] of Object.entries(overlay as Record<string, unknown>)) {
    if (!ENV_NAME_RE.test(k)) out.push({ severity: 'error', code: 'bad-env-name', file, field: k, message: `"${k}" is not a valid variable name (letters, digits and _, not starting with a digit)` });
    if (v !== null && !['string', 'number', 'boolean'].includes(typeof v)) {
      out.push({ severity: 'error', code: 'bad-env-value', file, field: k, message: `${k} must be a string, number, boolean, or null (= set per target in the inventory), got ${Array.isArray(v) ? 'an array' : typeof v}` });
    }
  }
  for (const f of findPlaintextSecrets(overlay)) {
    out.push({ severity: 'error', code: 'plaintext-secret', file, field: f.path, message: `plaintext secret: ${f.what}. Overlays are part of the bundle: reference secrets from node credentials as \${secret:NAME} instead` });
  }
  return out;
}

export function validateManifest(m: unknown, env: Record<string, EnvOverlay>): Problem[] {
  const file = 'manifest';
  const out: Problem[] = [];
  const err = (field: string, message: string): void => {
    out.push({ severity: 'error', code: 'bad-manifest', file, field, message });
  };
  if (!m || typeof m !== 'object') {
    err('', 'the bundle has no manifest object');
    return out;
  }
  const man = m as Partial<Manifest>;
  if (typeof man.name !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(man.name)) err('name', `name must be letters, digits, ".", "_" or "-", got ${JSON.stringify(man.name)}`);
  if (typeof man.version !== 'string' || !isVersion(man.version)) err('version', `version must be semver (e.g. 1.4.0), got ${JSON.stringify(man.version)}`);
  if (typeof man.created !== 'string' || Number.isNaN(Date.parse(man.created))) err('created', `created must be an ISO 8601 date, got ${JSON.stringify(man.created)}`);
  if (!man.nodeRed || typeof man.nodeRed.range !== 'string' || !isValidRange(man.nodeRed.range)) err('nodeRed.range', `nodeRed.range must be a semver range such as ">=4.0.0", got ${JSON.stringify(man.nodeRed?.range)}`);
  if (!Array.isArray(man.modules)) err('modules', 'modules must be a list of {name, version, types}');
  else {
    const owner = new Map<string, string>();
    man.modules.forEach((mod, i) => {
      if (!mod || typeof mod.name !== 'string' || !mod.name) err(`modules[${i}].name`, 'a module needs a name');
      if (!mod || typeof mod.version !== 'string' || !isVersion(mod.version)) err(`modules[${i}].version`, `module ${mod?.name ?? i} needs an exact semver version (pinned), got ${JSON.stringify(mod?.version)}`);
      if (!mod || !Array.isArray(mod.types) || !mod.types.every((t) => typeof t === 'string')) err(`modules[${i}].types`, `module ${mod?.name ?? i} needs the list of node types it provides`);
      else {
        for (const t of mod.types) {
          const prev = owner.get(t);
          if (prev && prev !== mod.name) err(`modules[${i}].types`, `type "${t}" is provided by two modules: ${prev} and ${mod.name}`);
          owner.set(t, mod.name);
        }
      }
      if (mod?.url !== undefined && (typeof mod.url !== 'string' || !(/^(https?|git(\+https?|\+ssh|\+file)?):\/\//.test(mod.url) || /^\/.+\.tgz$/.test(mod.url)))) {
        err(`modules[${i}].url`, `module ${mod.name} url must be an http(s) or git URL, or an absolute path to a .tgz on the target`);
      }
    });
  }
  const envs = Object.keys(env).sort();
  const declaredEnvs = [...(man.env?.environments ?? [])].sort();
  if (JSON.stringify(envs) !== JSON.stringify(declaredEnvs)) err('env.environments', `env.environments lists [${declaredEnvs.join(', ')}] but the bundle has overlays for [${envs.join(', ')}]`);
  const vars = [...new Set(Object.values(env).flatMap((o) => (o && typeof o === 'object' ? Object.keys(o) : [])))].sort();
  const declaredVars = [...(man.env?.variables ?? [])].sort();
  if (JSON.stringify(vars) !== JSON.stringify(declaredVars)) err('env.variables', `env.variables lists [${declaredVars.join(', ')}] but the overlays declare [${vars.join(', ')}]`);
  if (!Array.isArray(man.secrets)) err('secrets', 'secrets must be a list of {name, usedBy}');
  else man.secrets.forEach((s, i) => {
    if (!s || typeof s.name !== 'string' || !SECRET_NAME_RE.test(s.name)) err(`secrets[${i}].name`, `secret names are letters, digits and _, got ${JSON.stringify(s?.name)}`);
  });
  return out;
}

export interface BundleValidation {
  problems: Problem[];
  errors: number;
  warnings: number;
}

/** Validates a whole bundle: format, checksums, manifest, flows and overlays. */
export function validateBundle(bundle: unknown, opts: { file: string; core?: Iterable<string>; extraModules?: ModuleSpec[]; environments?: string[] }): BundleValidation {
  const problems: Problem[] = [];
  const b = bundle as Partial<Bundle> | null;
  if (!b || typeof b !== 'object' || b.format !== BUNDLE_FORMAT) {
    problems.push({ severity: 'error', code: 'bad-format', file: opts.file, message: `not a Plantwire bundle: "format" must be "${BUNDLE_FORMAT}", got ${JSON.stringify(b && typeof b === 'object' ? b.format : b)}` });
    return summarize(problems);
  }
  const env = b.env && typeof b.env === 'object' && !Array.isArray(b.env) ? b.env : {};
  problems.push(...checkChecksums(b, opts.file));
  problems.push(...validateManifest(b.manifest, env));
  const manifest = b.manifest as Manifest | undefined;
  const modules = [...(Array.isArray(manifest?.modules) ? manifest.modules.filter((m) => m && Array.isArray(m.types)) : []), ...(opts.extraModules ?? [])];
  const declaredSecrets = new Set(Array.isArray(manifest?.secrets) ? manifest.secrets.map((s) => s?.name) : []);
  problems.push(
    ...validateFlows({
      flows: b.flows,
      flowsFile: 'flows.json',
      env,
      environments: opts.environments,
      known: { core: opts.core ?? CORE_NODE_TYPES, modules },
      declaredSecrets,
    }),
  );
  if (Array.isArray(b.flows) && Array.isArray(manifest?.secrets)) {
    const used = new Set(b.flows.flatMap((n) => Object.values((n as FlowNode)?.credentials ?? {}).map(parseSecretRef)).filter((x): x is string => x !== null));
    for (const s of manifest.secrets) {
      if (s && !used.has(s.name)) problems.push({ severity: 'warning', code: 'unused-secret', file: 'manifest', field: 'secrets', message: `secret "${s.name}" is declared but no node uses it` });
    }
  }
  return summarize(problems);
}

function checkChecksums(b: Partial<Bundle>, file: string): Problem[] {
  const out: Problem[] = [];
  const parts = b.checksums?.parts;
  if (!parts || b.checksums?.algorithm !== 'sha256') return [{ severity: 'error', code: 'bad-checksum', file, message: 'the bundle has no sha256 checksums: re-pack it with plantwire bundle pack' }];
  const expected: Record<string, unknown> = { manifest: b.manifest, flows: b.flows };
  for (const [name, overlay] of Object.entries(b.env ?? {})) expected[envFileLabel(name)] = overlay;
  for (const [part, value] of Object.entries(expected)) {
    const sum = parts[part];
    if (!sum) out.push({ severity: 'error', code: 'bad-checksum', file, field: `checksums.parts.${part}`, message: `no checksum for ${part}: the bundle was changed after packing` });
    else if (sum !== checksum(value)) out.push({ severity: 'error', code: 'bad-checksum', file, field: `checksums.parts.${part}`, message: `${part} does not match its checksum: the bundle was changed after packing (re-pack it instead of editing)` });
  }
  for (const part of Object.keys(parts)) if (!(part in expected)) out.push({ severity: 'error', code: 'bad-checksum', file, field: `checksums.parts.${part}`, message: `checksum for ${part}, which is not in the bundle: a part was removed after packing` });
  return out;
}

export function summarize(problems: Problem[]): BundleValidation {
  return { problems, errors: problems.filter((p) => p.severity === 'error').length, warnings: problems.filter((p) => p.severity === 'warning').length };
}

/** One line per problem: `error flows.json › plantwire-simulator "Filler" (a1b2) › interval: …`. */
export function formatProblem(p: Problem): string {
  const where = [p.file];
  if (p.nodeId) where.push(`${p.nodeType ?? 'node'}${p.nodeName ? ` "${p.nodeName}"` : ''} (${p.nodeId})`);
  if (p.field) where.push(p.field);
  return `${p.severity === 'error' ? 'error  ' : 'warning'} ${where.join(' › ')}: ${p.message}`;
}
