/**
 * The static checks of a palette: the offline rules of the Flow Library's
 * scorecard (`node-red-dev validate`, node-red/node-red-dev-cli: P01–P07,
 * N01, N02, D01, D02 — the catalogue-dependent parts of P02, P08, N01 and D03
 * need the network and are left out), the editor definitions (inline
 * registerType literal with the required properties), help and locale files,
 * and the shipped files. Used by `plantwire check` and the pack tests.
 */
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import type * as ts from 'typescript';
import { categoryOf, coreNodeTypes, editorCredentials, editorScript, parseEditor, props, tsm, valueOf } from './editor';
import type { Finding } from './findings';

export interface PackageJson {
  name?: string;
  version?: string;
  license?: string;
  repository?: string | { type?: string; url?: string; directory?: string };
  bugs?: string | { url?: string; email?: string };
  keywords?: string[];
  engines?: Record<string, string>;
  dependencies?: Record<string, string>;
  files?: string[];
  bin?: string | Record<string, string>;
  'node-red'?: { version?: string; nodes?: Record<string, string> };
  [key: string]: unknown;
}

/** An editor definition found in a node set's html. */
export interface EditorDef {
  type: string;
  set: string;
  /** The html file, relative to the package root. */
  file: string;
  literal?: ts.ObjectLiteralExpression;
  argKind: string;
  category?: string;
  /** Credentials of the literal (key → type), undefined when it declares none. */
  credentials?: Record<string, string>;
}

export interface ScorecardInput {
  pkgDir: string;
  pkg: PackageJson;
  /** Files of the package (relative, posix): what `npm pack` ships. */
  files: string[];
  /** Node-RED versions the palette is checked on (P06). */
  nodeRedVersions: string[];
  /** A Node-RED install to read the core node types from (N01). */
  nodeRedDir: string;
  /** Directories holding the installed dependency tree (D02), if installed. */
  installedTrees: string[];
}

/** node-red-dev warns above 6 direct dependencies (D01). */
export const MAX_DEPENDENCIES = 6;
/** node-red-dev-cli badpackages.json (D02). */
const BAD_PACKAGES: Record<string, string> = { 'agent-base': '<6.0.0' };

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
}

/** The editor definitions of every node set's html (parse problems as findings). */
export function readEditors(pkgDir: string, pkg: PackageJson): { editors: EditorDef[]; findings: Finding[] } {
  const editors: EditorDef[] = [];
  const findings: Finding[] = [];
  for (const [set, js] of Object.entries(pkg['node-red']?.nodes ?? {})) {
    const rel = path.posix.normalize(js.replace(/\.js$/, '.html'));
    const file = path.join(pkgDir, rel);
    if (!fs.existsSync(file)) continue; // reported by the files rule
    const script = editorScript(fs.readFileSync(file, 'utf8'));
    if (script === undefined) {
      findings.push({ check: 'editor', level: 'error', type: set, message: `${rel} has no <script type="text/javascript"> block`, fix: `put the editor definition RED.nodes.registerType('${set}', {...}) into a <script type="text/javascript"> block of ${rel}` });
      continue;
    }
    const parsed = parseEditor(script, rel);
    for (const d of parsed.diagnostics) findings.push({ check: 'editor', level: 'error', type: set, message: `${rel}: syntax error in the editor script: ${d}`, fix: 'fix the syntax error (the editor would not load the node)' });
    if (parsed.calls.length === 0) findings.push({ check: 'editor', level: 'error', type: set, message: `${rel}: no RED.nodes.registerType('<type>', ...) call`, fix: `register the node in ${rel}: RED.nodes.registerType('${set}', { category, color, defaults, inputs, outputs, icon, label })` });
    for (const call of parsed.calls) {
      editors.push({ type: call.type, set, file: rel, literal: call.literal, argKind: call.argKind, category: call.literal && categoryOf(call.literal), credentials: call.literal && editorCredentials(call.literal) });
    }
  }
  return { editors, findings };
}

function f(check: string, message: string, fix: string, type?: string, level: Finding['level'] = 'error'): Finding {
  return { check, level, message, fix, ...(type ? { type } : {}) };
}

/** Flattened message keys of a locale file ("a.b.c"). */
export function messageKeys(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return prefix ? [prefix] : [];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => messageKeys(v, prefix ? `${prefix}.${k}` : k));
}

/** i18n keys an editor html uses in its own namespace: data-i18n="[attr]key;…" and _('key') / RED._('ns:key'). */
export function usedMessageKeys(html: string, namespace: string): string[] {
  const keys = new Set<string>();
  const add = (raw: string): void => {
    let k = raw.trim().replace(/^\[[^\]]*\]/, '');
    if (!k) return;
    const colon = k.indexOf(':');
    if (colon >= 0) {
      if (k.slice(0, colon) !== namespace) return;
      k = k.slice(colon + 1);
    }
    if (/^[\w$-]+(\.[\w$-]+)*$/.test(k)) keys.add(k);
  };
  for (const m of html.matchAll(/data-i18n=["']([^"']+)["']/g)) for (const part of m[1]!.split(';')) add(part);
  // this._('key') / node._('key') resolve in the node's namespace; RED._('key') in the editor's own, so only RED._('<namespace>:key') counts.
  for (const m of html.matchAll(/(?:\bthis|\bnode)\._\(\s*['"]([^'"]+)['"]/g)) add(m[1]!);
  for (const m of html.matchAll(/\bRED\._\(\s*['"]([^'"]+)['"]/g)) if (m[1]!.includes(':')) add(m[1]!);
  return [...keys];
}

/** The scorecard and file rules. */
export function scorecard(input: ScorecardInput, editors: EditorDef[]): Finding[] {
  const { pkg, files, pkgDir } = input;
  const out: Finding[] = [];
  const has = (rel: string): boolean => files.includes(path.posix.normalize(rel));

  // P01 licence
  const license = pkg.license;
  if (typeof license !== 'string' || license.trim() === '') {
    out.push(f('P01', `package.json "license" is missing`, 'add "license": "<SPDX id>" (e.g. "Apache-2.0") to package.json and ship the LICENSE file'));
  } else {
    const seeFile = /^SEE LICEN[CS]E IN (.+)$/.exec(license);
    const id = String.raw`[A-Za-z0-9][A-Za-z0-9.-]*\+?`;
    const expr = new RegExp(String.raw`^\(?\s*${id}(\s+WITH\s+${id})?\s*\)?(\s+(AND|OR)\s+\(?\s*${id}(\s+WITH\s+${id})?\s*\)?)*$`);
    if (seeFile?.[1] && !has(seeFile[1].trim())) out.push(f('P01', `"license": "${license}" names a file that is not in the package`, `add ${seeFile[1].trim()} to the package ("files" in package.json)`));
    else if (!seeFile && license !== 'UNLICENSED' && !expr.test(license)) out.push(f('P01', `"license": "${license}" is not an SPDX expression`, 'use an SPDX licence id such as "Apache-2.0" or "MIT"'));
  }
  // P02/P03 repository, bugs
  const repo = pkg.repository;
  const url = typeof repo === 'string' ? repo : repo?.url;
  if (!url) out.push(f('P02', 'package.json has no "repository"', 'add "repository": {"type": "git", "url": "https://github.com/<you>/<palette>.git"}'));
  else {
    const u = String(url);
    const gitUrl = /^(git\+)?(https?|ssh|git):\/\/[^\s/]+\/\S+?(\.git)?$/.test(u) || /^[\w.-]+@[\w.-]+:\S+?\.git$/.test(u) || /^(github|gitlab|bitbucket):[\w.-]+\/[\w.-]+$/.test(u) || /^[\w.-]+\/[\w.-]+$/.test(u);
    if (!gitUrl) out.push(f('P02', `repository url "${u}" is not a git URL`, 'use the git URL of the repository, e.g. https://github.com/<you>/<palette>.git'));
    if (typeof repo === 'object' && repo.type !== undefined && repo.type !== 'git') out.push(f('P02', `repository.type is "${repo.type}"`, 'set repository.type to "git"'));
  }
  const bugs = pkg.bugs;
  const bugsOk = typeof bugs === 'string' ? bugs.trim() !== '' : Boolean(bugs?.url || bugs?.email);
  if (!url && !bugsOk) out.push(f('P03', 'no "repository" and no "bugs" url/email: users cannot report problems', 'add "bugs": {"url": "https://github.com/<you>/<palette>/issues"}'));
  // P04 name
  const name = String(pkg.name ?? '');
  if (!(name.length > 0 && name.length <= 214) || !/^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/.test(name)) out.push(f('P04', `package name "${name}" is not a valid lowercase npm name`, 'use a lowercase, URL-safe name, preferably scoped: @<you>/node-red-<palette>'));
  else if (!name.startsWith('@') && /^node-?red/.test(name) && !/^node-?red-contrib-/.test(name)) out.push(f('P04', `unscoped name "${name}" starts with node-red but not node-red-contrib-`, `rename to @<you>/${name} (scoped) or node-red-contrib-${name.replace(/^node-?red-?/, '')}`));
  // P05 keyword
  if (!(pkg.keywords ?? []).includes('node-red')) out.push(f('P05', 'package.json "keywords" does not include "node-red": the Flow Library will not list it', 'add "node-red" to "keywords" in package.json'));
  // P06 node-red.version
  const range = pkg['node-red']?.version;
  if (!range) out.push(f('P06', 'package.json "node-red".version (minimum Node-RED version) is missing', 'add "node-red": {"version": ">=4.0.0", …} to package.json'));
  else if (!semver.validRange(range)) out.push(f('P06', `"node-red".version "${range}" is not a valid semver range`, 'use a range such as ">=4.0.0"'));
  else for (const v of input.nodeRedVersions) if (!semver.satisfies(v, range)) out.push(f('P06', `"node-red".version "${range}" does not accept Node-RED ${v}`, `widen "node-red".version to accept ${v}, e.g. ">=4.0.0"`));
  // P07 engines.node
  const nodeRange = pkg.engines?.node;
  if (!nodeRange) out.push(f('P07', 'package.json "engines".node (minimum Node.js version) is missing', 'add "engines": {"node": ">=22"} to package.json'));
  else if (!semver.validRange(nodeRange)) out.push(f('P07', `engines.node "${nodeRange}" is not a valid semver range`, 'use a range such as ">=22"'));
  else if (!semver.satisfies(process.version, nodeRange)) out.push(f('P07', `engines.node "${nodeRange}" does not accept ${process.version}`, `widen engines.node to accept ${process.version}`));

  // Node sets: files, editors.
  const nodeSets = pkg['node-red']?.nodes ?? {};
  if (Object.keys(nodeSets).length === 0) out.push(f('loads', 'package.json "node-red".nodes lists no node set', 'declare the nodes: "node-red": {"nodes": {"<type>": "<file>.js"}}'));
  for (const [set, js] of Object.entries(nodeSets)) {
    if (!has(js)) out.push(f('files', `"node-red".nodes.${set} = "${js}" is not in the package`, `build it and make sure "files" in package.json includes ${js}`, set));
    const html = js.replace(/\.js$/, '.html');
    if (!has(html)) out.push(f('files', `${html} (editor of node set ${set}) is not in the package`, `add the editor file ${html} next to ${js}`, set));
  }
  for (const e of editors) {
    const where = `${e.file} registerType('${e.type}')`;
    if (!e.literal) {
      out.push(f('editor', `${where}: 2nd argument is ${e.argKind}, not an inline object literal`, `write RED.nodes.registerType('${e.type}', { … }) with the definition inline (node-red-dev validate reads only literals)`, e.type));
      continue;
    }
    const p = props(e.literal);
    const isConfig = e.category === 'config';
    const defaults = valueOf(p.get('defaults'));
    if (!defaults || !tsm().isObjectLiteralExpression(defaults)) out.push(f('editor', `${where}: "defaults" is not an object literal`, 'declare defaults: { name: { value: "" }, … } inline', e.type));
    else {
      const version = valueOf(props(defaults).get('version'));
      const value = version && tsm().isObjectLiteralExpression(version) ? valueOf(props(version).get('value')) : undefined;
      if (!value || !tsm().isNumericLiteral(value)) out.push(f('editor', `${where}: defaults.version is missing: saved flows cannot be migrated when the node's configuration changes`, 'add version: { value: 1 } to defaults and migrate old configurations (defineNode({ migrations }) in @plantwire/node-red/sdk)', e.type, 'warning'));
    }
    if (!p.has('category')) out.push(f('editor', `${where}: "category" is missing`, 'add category: "<your palette>" (or "config" for a config node)', e.type));
    else if (e.category === undefined) out.push(f('editor', `${where}: "category" is not a string literal`, 'write category as a string literal', e.type));
    for (const key of ['color', 'icon']) if (!p.has(key)) out.push(f('editor', `${where}: "${key}" is missing`, `add ${key} to the definition`, e.type, key === 'icon' ? 'warning' : 'error'));
    if (!isConfig) for (const key of ['inputs', 'outputs']) if (!p.has(key)) out.push(f('editor', `${where}: "${key}" is missing`, `add ${key}: <number> (required unless category is 'config')`, e.type));
    if (!p.has('paletteLabel') && !p.has('label')) out.push(f('editor', `${where}: "paletteLabel" or "label" is missing`, 'add label: function () { return this.name || "<type>"; }', e.type, 'warning'));
  }
  for (const [set] of Object.entries(nodeSets)) if (!editors.some((e) => e.set === set)) out.push(f('editor', `node set ${set} registers no type in its editor html`, `add RED.nodes.registerType('${set}', {...}) to its html`, set));

  // N01 unique types, no clash with core
  const types = editors.map((e) => e.type);
  const dupes = [...new Set(types.filter((t, i) => types.indexOf(t) !== i))];
  for (const d of dupes) out.push(f('N01', `node type ${d} is registered more than once`, 'give each node its own type name', d));
  const core = coreNodeTypes(input.nodeRedDir);
  for (const t of types) if (core.has(t)) out.push(f('N01', `node type ${t} clashes with a Node-RED core node type`, `rename the type with your palette's prefix, e.g. acme-${t}`, t));
  // N02 examples cover every non-config type
  const exampleFiles = files.filter((x) => x.startsWith('examples/') && x.endsWith('.json'));
  if (exampleFiles.length === 0) out.push(f('N02', 'the package has no examples/*.json flow', 'export an example flow using each node into examples/<name>.json and ship examples/ ("files" in package.json)'));
  const used = new Set<string>();
  for (const x of exampleFiles) {
    try {
      const flow = readJson<unknown>(path.join(pkgDir, x));
      if (!Array.isArray(flow)) throw new Error('not an array of nodes');
      for (const n of flow as Array<{ type?: unknown }>) if (typeof n?.type === 'string') used.add(n.type);
    } catch (err) {
      out.push(f('N02', `${x} is not a readable flow: ${(err as Error).message}`, `re-export ${x} from the editor (Export → JSON)`));
    }
  }
  if (exampleFiles.length > 0) for (const e of editors) if (e.category !== 'config' && !used.has(e.type)) out.push(f('N02', `node type ${e.type} is used in no example flow`, `add a flow using ${e.type} to examples/`, e.type));
  // D01 dependencies
  const deps = Object.keys(pkg.dependencies ?? {});
  if (deps.includes('node-red')) out.push(f('D01', 'node-red is a dependency: the runtime provides it', 'move node-red to devDependencies'));
  if (deps.length > MAX_DEPENDENCIES) out.push(f('D01', `${deps.length} direct dependencies (${deps.join(', ')}), more than ${MAX_DEPENDENCIES}`, 'the scorecard asks to keep dependencies few: drop unused ones or say in the README why each is needed', undefined, 'note'));
  // D02 known-bad packages in the installed tree
  const found: string[] = [];
  const walk = (dir: string, depth: number): void => {
    if (depth > 30 || !fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory() || e.name.startsWith('.')) continue;
      const p = path.join(dir, e.name);
      if (e.name.startsWith('@')) {
        walk(p, depth);
        continue;
      }
      const pj = path.join(p, 'package.json');
      if (fs.existsSync(pj)) {
        const { name: n, version } = readJson<{ name?: string; version?: string }>(pj);
        const bad = n ? BAD_PACKAGES[n] : undefined;
        if (bad && version && semver.satisfies(version, bad)) found.push(`${n}@${version}`);
      }
      walk(path.join(p, 'node_modules'), depth + 1);
    }
  };
  for (const tree of input.installedTrees) walk(tree, 0);
  for (const x of [...new Set(found)]) out.push(f('D02', `the installed dependency tree holds ${x}, known to break Node-RED`, `update the dependency that pulls in ${x.split('@')[0]} (npm ls ${x.split('@')[0]})`));

  // Help and locales.
  out.push(...helpAndLocales(input, editors));
  return out;
}

/** Help (en-US at least) for every type; each locale's message keys the same as en-US's; keys the editor uses exist. */
export function helpAndLocales(input: ScorecardInput, editors: EditorDef[]): Finding[] {
  const { pkg, pkgDir } = input;
  const out: Finding[] = [];
  for (const [set, js] of Object.entries(pkg['node-red']?.nodes ?? {})) {
    const dir = path.dirname(path.join(pkgDir, js));
    const base = path.basename(js, '.js');
    const htmlFile = path.join(dir, `${base}.html`);
    const html = fs.existsSync(htmlFile) ? fs.readFileSync(htmlFile, 'utf8') : '';
    const localeDir = path.join(dir, 'locales');
    const langs = fs.existsSync(localeDir) ? fs.readdirSync(localeDir).filter((l) => fs.statSync(path.join(localeDir, l)).isDirectory()) : [];
    const relLocale = (lang: string, ext: string): string => path.relative(pkgDir, path.join(localeDir, lang, `${base}.${ext}`)).split(path.sep).join('/');
    const helpOf = (lang: string): string => {
      const file = path.join(localeDir, lang, `${base}.html`);
      return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
    };
    for (const e of editors.filter((x) => x.set === set)) {
      const re = new RegExp(`<script[^>]*data-help-name=["']${e.type.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}["'][^>]*>([\\s\\S]*?)</script>`);
      const m = re.exec(helpOf('en-US')) ?? re.exec(html);
      if (!m) out.push({ check: 'help', level: 'error', type: e.type, message: `no help for ${e.type}: neither ${relLocale('en-US', 'html')} nor ${path.basename(htmlFile)} has a <script data-help-name="${e.type}">`, fix: `write the help into ${relLocale('en-US', 'html')} as <script type="text/markdown" data-help-name="${e.type}">…</script> (inputs, outputs, details)` });
      else if (m[1]!.trim().length < 40) out.push({ check: 'help', level: 'warning', type: e.type, message: `the help of ${e.type} is ${m[1]!.trim().length} characters`, fix: `describe what ${e.type} does, its inputs, outputs and configuration in its help` });
      for (const lang of langs) {
        if (lang === 'en-US') continue;
        const other = helpOf(lang);
        if (other && !re.test(other)) out.push({ check: 'help', level: 'warning', type: e.type, message: `${relLocale(lang, 'html')} has no help for ${e.type}`, fix: `add <script type="text/markdown" data-help-name="${e.type}"> to ${relLocale(lang, 'html')}` });
      }
    }
    // Message catalogues.
    const catalogues = new Map<string, string[]>();
    for (const lang of langs) {
      const file = path.join(localeDir, lang, `${base}.json`);
      if (!fs.existsSync(file)) continue;
      try {
        catalogues.set(lang, messageKeys(readJson(file)).sort());
      } catch (err) {
        out.push({ check: 'locales', level: 'error', type: set, message: `${relLocale(lang, 'json')} is not valid JSON: ${(err as Error).message}`, fix: `fix the JSON of ${relLocale(lang, 'json')}` });
      }
    }
    const en = catalogues.get('en-US');
    if (catalogues.size > 0 && !en) out.push({ check: 'locales', level: 'error', type: set, message: `messages exist for ${[...catalogues.keys()].join(', ')} but not for en-US`, fix: `add ${relLocale('en-US', 'json')} (Node-RED falls back to en-US)` });
    if (en) {
      for (const [lang, keys] of catalogues) {
        if (lang === 'en-US') continue;
        const missing = en.filter((k) => !keys.includes(k));
        const extra = keys.filter((k) => !en.includes(k));
        if (missing.length > 0 || extra.length > 0) {
          out.push({ check: 'locales', level: 'error', type: set, message: `${relLocale(lang, 'json')} differs from en-US:${missing.length ? ` missing ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8})` : ''}` : ''}${extra.length ? ` extra ${extra.slice(0, 8).join(', ')}${extra.length > 8 ? ` (+${extra.length - 8})` : ''}` : ''}`, fix: `give ${relLocale(lang, 'json')} exactly the keys of ${relLocale('en-US', 'json')}` });
        }
      }
    }
    const namespace = `${String(pkg.name)}/${set}`;
    const used = usedMessageKeys(html, namespace);
    const missingUsed = used.filter((k) => !(en ?? []).some((e) => e === k || e.startsWith(`${k}.`)));
    if (missingUsed.length > 0) out.push({ check: 'locales', level: 'error', type: set, message: `the editor of ${set} uses message keys that ${relLocale('en-US', 'json')} lacks: ${missingUsed.slice(0, 10).join(', ')}${missingUsed.length > 10 ? ` (+${missingUsed.length - 10})` : ''}`, fix: `add these keys to ${relLocale('en-US', 'json')} (and every other language)` });
  }
  return out;
}
