/**
 * Secrets in bundles: never values, only references.
 *
 * Scheme: a node's `credentials` in a bundle hold `${secret:NAME}` for each
 * field (`{"user": "${secret:BROKER_USER}", "password": "${secret:BROKER_PASSWORD}"}`).
 * At deploy time each NAME is resolved from the target's secrets file (inventory
 * `secretsFile` or `--secrets`) or the deploying machine's environment variable
 * `PLANTWIRE_SECRET_<NAME>`, and the value is POSTed in the node's `credentials`;
 * Node-RED encrypts it into flows_cred.json. The bundle file, the deployment
 * history and the CLI output never hold a value.
 *
 * Also here: detection of plaintext secrets in any property (passwords,
 * tokens, PEM private keys, connection strings with a password, JWTs).
 */
import fs from 'node:fs';
import { PlantwireError } from '../model/errors';
import type { FlowNode } from './types';
import { joinPath, walkJson } from './walk';

export const SECRET_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const SECRET_REF_RE = /^\$\{secret:([A-Za-z_][A-Za-z0-9_]*)\}$/;
const ANY_SECRET_REF_RE = /\$\{secret:[^}]*\}/;

export function secretRef(name: string): string {
  return `\${secret:${name}}`;
}

/** The secret name of a `${secret:NAME}` reference, or null. */
export function parseSecretRef(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return SECRET_REF_RE.exec(value)?.[1] ?? null;
}

export function containsSecretRef(value: string): boolean {
  return ANY_SECRET_REF_RE.test(value);
}

/** A secret name from a node label and field: `Plant broker` + `password` → `PLANT_BROKER_PASSWORD`. */
export function deriveSecretName(node: FlowNode, field: string, taken: Set<string>): string {
  const base = (s: string): string =>
    s
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .toUpperCase();
  let stem = base(typeof node.name === 'string' && node.name.trim() ? node.name : `${node.type}_${node.id.slice(0, 6)}`);
  if (!stem || /^\d/.test(stem)) stem = `S_${stem}`;
  let name = `${stem}_${base(field)}`;
  for (let i = 2; taken.has(name); i++) name = `${stem}_${base(field)}_${i}`;
  taken.add(name);
  return name;
}

/** Where secret values come from at deploy time. */
export interface SecretSource {
  /** Values from a secrets file (JSON object NAME → string). */
  file?: Record<string, string>;
  fileName?: string;
  /** Environment of the deploying machine: PLANTWIRE_SECRET_<NAME>. */
  env?: NodeJS.ProcessEnv;
}

export const SECRET_ENV_PREFIX = 'PLANTWIRE_SECRET_';

export function readSecretsFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new PlantwireError('secrets-file', `cannot read the secrets file ${file}: ${(err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new PlantwireError('secrets-file', `the secrets file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PlantwireError('secrets-file', `the secrets file ${file} must hold one JSON object: {"NAME": "value", …}`);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
    if (typeof v !== 'string') throw new PlantwireError('secrets-file', `the secrets file ${file}: "${k}" must be a string`);
    out[k] = v;
  }
  return out;
}

export function resolveSecret(name: string, source: SecretSource): string | undefined {
  const fromFile = source.file?.[name];
  if (fromFile !== undefined) return fromFile;
  return source.env?.[`${SECRET_ENV_PREFIX}${name}`];
}

/**
 * Replaces `${secret:NAME}` references in every node's `credentials` with the
 * values. Returns new nodes; throws naming every missing secret and where it is used.
 */
export function resolveCredentials(flows: FlowNode[], source: SecretSource): FlowNode[] {
  const missing = new Map<string, string[]>();
  const out = flows.map((node) => {
    if (!node.credentials) return node;
    const creds: Record<string, unknown> = {};
    for (const [field, value] of Object.entries(node.credentials)) {
      const name = parseSecretRef(value);
      if (name === null) {
        creds[field] = value;
        continue;
      }
      const resolved = resolveSecret(name, source);
      if (resolved === undefined) {
        const uses = missing.get(name) ?? [];
        uses.push(`${nodeLabel(node)}.credentials.${field}`);
        missing.set(name, uses);
      } else {
        creds[field] = resolved;
      }
    }
    return { ...node, credentials: creds };
  });
  if (missing.size) {
    const where = source.fileName ? `${source.fileName} or ` : '';
    const list = [...missing].map(([name, uses]) => `${name} (used by ${uses.join(', ')})`).join('; ');
    throw new PlantwireError('missing-secret', `missing secret value(s): ${list}. Put them in ${where}a secrets file (--secrets, or secretsFile in the inventory) or set ${SECRET_ENV_PREFIX}<NAME> in the environment`);
  }
  return out;
}

export function nodeLabel(node: Pick<FlowNode, 'id' | 'name' | 'type'>): string {
  return node.name ? `${node.type} "${node.name}" (${node.id})` : `${node.type} ${node.id}`;
}

// ---------------------------------------------------------------- detection

/** Property names whose non-empty value is a secret. */
const STRONG_NAME_RE = /^(password|passwd|pwd|pass|passphrase|secret|secretkey|secret_key|clientsecret|client_secret|token|accesstoken|access_token|refreshtoken|refresh_token|bearertoken|bearer_token|authtoken|auth_token|apikey|api_key|api-key|apitoken|api_token|privatekey|private_key|accesskey|access_key|secretaccesskey|sas|sastoken|connectionstring|connection_string)$/i;
/** Property names that are secrets only when the value looks like one (`key` is also a join node's grouping property). */
const WEAK_NAME_RE = /^(key|auth|authorization|credential|credentials|cred)$/i;
/** Words inside a longer property name that make it a secret: `mqttPassword`, `dbSecret`, `opcuaToken`. */
const NAME_PART_RE = /(password|passwd|passphrase|secret|apikey|api_key|privatekey|private_key|token)/i;
/** …unless the name is about the secret rather than the secret itself: `passwordField`, `tokenUrl`, `secretName`. */
const NOT_SECRET_SUFFIX_RE = /(type|mode|method|policy|field|prop|property|name|label|kind|url|uri|endpoint|path|file|header|expiry|expires|ttl|length|id|enabled|required)$/i;

const PEM_PRIVATE_RE = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const CONN_PASSWORD_RE = /\b([a-z][a-z0-9+.-]*):\/\/([^\s:/@?#]+):([^\s@/?#]+)@/i;
const JWT_RE = /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/;
const BEARER_RE = /\bBearer\s+[A-Za-z0-9._~+/-]{16,}=*/;
const TOKEN_PATTERNS: Array<[RegExp, string]> = [
  [/\bAKIA[0-9A-Z]{16}\b/, 'an AWS access key id'],
  [/\bgh[pousr]_[A-Za-z0-9]{30,}\b/, 'a GitHub token'],
  [/\bxox[abposr]-[A-Za-z0-9-]{10,}/, 'a Slack token'],
  [/\bsk_live_[A-Za-z0-9]{16,}/, 'a Stripe secret key'],
  [/\bAccountKey=[A-Za-z0-9+/=]{20,}/, 'an Azure storage account key'],
  [/\bSharedAccessKey=[A-Za-z0-9+/=]{20,}/, 'an Azure shared access key'],
];

function isEnvOrRef(value: string): boolean {
  return /^\$\{[^}]+\}$/.test(value.trim()) || /^\$\([^)]+\)$/.test(value.trim());
}

/** High-entropy-looking: long, no spaces, letters and digits mixed. */
function looksLikeSecretValue(value: string): boolean {
  const v = value.trim();
  return v.length >= 16 && !/\s/.test(v) && /[A-Za-z]/.test(v) && /\d/.test(v) && !/^[a-z]+([._-][a-z]+)*$/i.test(v);
}

export interface SecretFinding {
  /** JSON path of the value inside the scanned object. */
  path: string;
  /** What it is, for the message: "a password", "a PEM private key" … */
  what: string;
}

function propertyIsEnvTyped(obj: Record<string, unknown>, key: string): boolean {
  for (const suffix of ['Type', 'type', 't']) {
    const t = obj[`${key}${suffix}`];
    if (t === 'env' || t === 'cred') return true;
  }
  return false;
}

/** What a string value itself reveals (independent of its property name). */
export function secretInText(value: string): string | null {
  if (PEM_PRIVATE_RE.test(value)) return 'a PEM private key';
  const conn = CONN_PASSWORD_RE.exec(value);
  if (conn && !conn[3]!.startsWith('${')) return `a ${conn[1]}:// connection string with a password`;
  if (JWT_RE.test(value)) return 'a JSON Web Token';
  if (BEARER_RE.test(value)) return 'a bearer token';
  for (const [re, what] of TOKEN_PATTERNS) if (re.test(value)) return what;
  return null;
}

function secretKind(key: string): string {
  const k = key.toLowerCase();
  if (k.includes('token')) return 'token';
  if (k.includes('secret')) return 'secret';
  if (k.includes('key') || k === 'sas') return 'key';
  if (k.includes('connection')) return 'connection string';
  return 'password';
}

/**
 * Finds plaintext secrets in a JSON value: secret-named properties with a
 * literal value, and values that are secrets whatever their name. `skip`
 * lists top-level keys not to scan (a bundle node's `credentials`, checked separately).
 */
export function findPlaintextSecrets(value: unknown, opts: { skip?: string[] } = {}): SecretFinding[] {
  const out: SecretFinding[] = [];
  walkJson(value, (v, path, key, parent) => {
    if (key !== null && parent === value && opts.skip?.includes(key)) return 'skip';
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      // Entries of Node-RED env lists: [{name: "DB_PASSWORD", value: "…", type: "str"}] — the name says what the value is.
      const obj = v as Record<string, unknown>;
      if (key === null && path !== '' && typeof obj.name === 'string' && typeof obj.value === 'string' && obj.type !== 'env' && obj.type !== 'cred' && isSecretName(obj.name) && isLiteral(obj.value)) {
        out.push({ path: joinPath(path, 'value'), what: `a ${secretKind(obj.name)} in the variable "${obj.name}"` });
        return 'skip';
      }
      return;
    }
    if (typeof v !== 'string' || !isLiteral(v)) return;
    if (key !== null && parent && !propertyIsEnvTyped(parent, key)) {
      if (isSecretName(key)) {
        out.push({ path, what: `a ${secretKind(key)} in "${key}"` });
        return;
      }
      if (WEAK_NAME_RE.test(key) && looksLikeSecretValue(v)) {
        out.push({ path, what: `a secret-looking value in "${key}"` });
        return;
      }
    }
    const what = secretInText(v);
    if (what) out.push({ path, what });
  });
  return out;
}

function isLiteral(v: string): boolean {
  return v.trim() !== '' && !isEnvOrRef(v);
}

/** A property or variable name that says its value is a secret: `password`, `mqttPassword`, `DB_PASSWORD`, `apiToken`. */
export function isSecretName(name: string): boolean {
  if (STRONG_NAME_RE.test(name)) return true;
  return NAME_PART_RE.test(name) && !NOT_SECRET_SUFFIX_RE.test(name);
}
