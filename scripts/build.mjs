#!/usr/bin/env node
// Builds the palette into dist/:
//   nodes/<type>/runtime.ts           -> dist/nodes/<type>/runtime.js (+ dist/src/**), loaded via dist/nodes/<type>.js
//   nodes/<type>/editor.ts+editor.html -> dist/nodes/<type>.html (bundled with esbuild: imports of
//                                          nodes/editor/*.ts inlined; the registerType literal stays inline)
//   nodes/<type>/help[.<lang>].md       -> dist/nodes/locales/<lang>/<type>.html (colons made safe for
//                                          Node-RED's property-list rules: scripts/help.mjs)
//   nodes/<type>/locales/<lang>.json    -> dist/nodes/locales/<lang>/<type>.json, with the shared status
//                                          vocabulary (nodes/locales/<lang>.json, "status") merged in
//   src/model/status-text.ts            -> a script at the end of every node's .html that shows status texts
//                                          in the editor's language (runs once, whichever node's page comes first)
//   nodes/icons/*                       -> dist/nodes/icons/
//   flows/*.json                        -> examples/*.json (Node-RED's import menu)
//   scripts/vendor/mathjs-units.mjs     -> dist/vendor/mathjs-units.js (mathjs's Unit type, bundled with
//                                          esbuild: mathjs is a devDependency; see that file)
// `--if-needed` skips the build when dist/ is newer than every source file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { defaultsLiteral, specOf, withSettingsTable } from './fields.mjs';
import { editorTemplate } from './rows.mjs';
import { badPropertyLines, helpForNodeRed } from './help.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');
const dist = path.join(root, 'dist');
const stamp = path.join(dist, '.build-stamp');
const DEFAULT_LANG = 'en-US';

function walk(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    return e.isDirectory() ? walk(p) : [p];
  });
}

export function nodeTypes() {
  return fs
    .readdirSync(path.join(root, 'nodes'), { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(root, 'nodes', e.name, 'runtime.ts')))
    .map((e) => e.name)
    .sort();
}

function upToDate() {
  if (!fs.existsSync(stamp)) return false;
  const built = fs.statSync(stamp).mtimeMs;
  const inputs = [
    ...walk(path.join(root, 'src')),
    ...walk(path.join(root, 'nodes')),
    ...walk(path.join(root, 'flows')),
    path.join(root, 'scripts', 'build.mjs'),
    path.join(root, 'scripts', 'fields.mjs'),
    path.join(root, 'scripts', 'help.mjs'),
    path.join(root, 'scripts', 'rows.mjs'),
    path.join(root, 'scripts', 'vendor', 'mathjs-units.mjs'),
    path.join(root, 'package.json'),
    path.join(root, 'tsconfig.json'),
  ];
  return inputs.every((f) => fs.statSync(f).mtimeMs <= built);
}

function fail(message) {
  console.error(`build: ${message}`);
  process.exit(1);
}

function tsc(project) {
  const bin = require.resolve('typescript/bin/tsc');
  try {
    execFileSync(process.execPath, [bin, '-p', project], { cwd: root, stdio: 'inherit' });
  } catch {
    fail(`TypeScript errors in ${project}`);
  }
}

function escapeScriptEnd(text) {
  return text.replace(/<\/script/gi, '<\\/script');
}

/**
 * The editor source as bundled: `defaults: specDefaults(spec)` becomes the
 * spec's defaults written out as an object literal (validators still from
 * the spec), so the registerType literal node-red-dev reads holds every default.
 */
function editorSource(type, text) {
  const m = /defaults:\s*specDefaults\((\w+)\)/.exec(text);
  if (!m) return text;
  const spec = specOf(type);
  if (!spec) fail(`nodes/${type}/editor.ts uses specDefaults() but nodes/${type}/fields.ts is missing`);
  if (!/import\s*\{[^}]*\bspecValidator\b[^}]*\}\s*from\s*'\.\.\/editor\/spec'/.test(text)) fail(`nodes/${type}/editor.ts: import specValidator from '../editor/spec' (the written-out defaults use it)`);
  let out = text.replace(m[0], `defaults: ${defaultsLiteral(spec, m[1], 'specValidator')}`);
  // The credentials as the spec declares them (the same object the runtime registers with), written out too.
  const c = /credentials:\s*specCredentials\(\w+\)/.exec(out);
  if (c) {
    if (!spec.credentials) fail(`nodes/${type}/editor.ts uses specCredentials() but its spec declares no credentials`);
    const entries = Object.entries(spec.credentials).map(([k, v]) => `    ${JSON.stringify(k)}: { type: ${JSON.stringify(v.type)} },`);
    out = out.replace(c[0], `credentials: {\n${entries.join('\n')}\n  }`);
  }
  return out;
}

function buildEditor(type) {
  const dir = path.join(root, 'nodes', type);
  const editorTs = fs.readFileSync(path.join(dir, 'editor.ts'), 'utf8');
  if (!new RegExp(`RED\\.nodes\\.registerType(<[^>]*>)?\\(\\s*['"]${type}['"]\\s*,\\s*\\{`).test(editorTs)) {
    fail(`nodes/${type}/editor.ts must call RED.nodes.registerType('${type}', { ... }) with an inline literal`);
  }
  // One script per node: editor.ts with the shared dialog modules it imports (nodes/editor/*.ts,
  // src/model/fields.ts, the node's fields.ts) bundled in, so nothing is shared through `window`.
  // esbuild keeps object literals as written: the registerType literal stays inline.
  const out = esbuild.buildSync({
    stdin: { contents: editorSource(type, editorTs), resolveDir: dir, sourcefile: `nodes/${type}/editor.ts`, loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    target: 'es2019',
    platform: 'browser',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const js = out.outputFiles[0].text;
  if (!new RegExp(`RED\\.nodes\\.registerType\\(\\s*"${type}"\\s*,\\s*\\{`).test(js)) {
    fail(`nodes/${type}/editor.ts: the bundle lost the inline RED.nodes.registerType('${type}', { ... }) literal`);
  }
  // The standard form rows (<plantwire-field …>) written out (scripts/rows.mjs).
  let template;
  try {
    template = editorTemplate(type);
  } catch (err) {
    fail(err.message);
  }
  if (!template.includes(`data-template-name="${type}"`)) fail(`nodes/${type}/editor.html must hold <script type="text/html" data-template-name="${type}">`);
  return `<script type="text/javascript">\n${escapeScriptEnd(js)}</script>\n\n${template.trim()}\n`;
}

/**
 * The status vocabulary goes to the editor once, as a Node-RED plugin of this package ("node-red".plugins):
 * its editor script (the translation below, with the English templates) and its catalogs (the vocabulary per
 * language) load once per editor page, before the nodes. Merged into each of the 35 node sets instead, it
 * added about 1.7 MB to every editor page load.
 */
const STATUS_PLUGIN = 'plantwire-status';

function writeStatusPlugin(pkg, status) {
  const file = pkg['node-red']?.plugins?.[STATUS_PLUGIN];
  if (file !== `dist/plugins/${STATUS_PLUGIN}.js`) fail(`package.json "node-red".plugins.${STATUS_PLUGIN} must be "dist/plugins/${STATUS_PLUGIN}.js"`);
  const out = path.join(dist, 'plugins');
  fs.mkdirSync(out, { recursive: true });
  // The runtime side registers the plugin; everything it does happens in the editor.
  fs.writeFileSync(
    path.join(out, `${STATUS_PLUGIN}.js`),
    `"use strict";\n// Plantwire's status vocabulary for the editor (scripts/build.mjs): the editor script and catalogs beside this file.\nmodule.exports = function (RED) {\n  RED.plugins.registerPlugin(${JSON.stringify(STATUS_PLUGIN)}, { type: ${JSON.stringify(STATUS_PLUGIN)} });\n};\n`,
  );
  fs.writeFileSync(path.join(out, `${STATUS_PLUGIN}.html`), statusScript(status[DEFAULT_LANG], `${pkg.name}/${STATUS_PLUGIN}`));
  for (const [lang, vocabulary] of Object.entries(status)) {
    fs.mkdirSync(path.join(out, 'locales', lang), { recursive: true });
    fs.writeFileSync(path.join(out, 'locales', lang, `${STATUS_PLUGIN}.json`), `${JSON.stringify({ status: vocabulary }, null, 2)}\n`);
  }
}

/** The shared status vocabulary per language (nodes/locales/<lang>.json): the status plugin's catalogs. */
function statusCatalogs() {
  const dir = path.join(root, 'nodes', 'locales');
  const out = {};
  for (const f of fs.readdirSync(dir)) {
    if (!f.endsWith('.json')) continue;
    let json;
    try {
      json = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
    } catch (err) {
      fail(`nodes/locales/${f} is not valid JSON: ${err.message}`);
    }
    if (!json.status || typeof json.status !== 'object') fail(`nodes/locales/${f} must hold a "status" object`);
    out[f.slice(0, -5)] = json.status;
  }
  if (!out[DEFAULT_LANG]) fail(`nodes/locales/${DEFAULT_LANG}.json is missing`);
  return out;
}

/**
 * The editor side of the status vocabulary: Node-RED's editor translates a status text only when the whole text
 * is a message key without parameters, so this wraps RED.view.redrawStatus (which the editor calls for every
 * status that arrives) and shows each piece of a Plantwire node's English status text in the editor's language
 * through the node's own catalog (`node._('status.<key>', params)`).
 */
function statusScript(english, namespace) {
  const js = esbuild.transformSync(fs.readFileSync(path.join(root, 'src', 'model', 'status-text.ts'), 'utf8'), {
    loader: 'ts',
    format: 'cjs',
    target: 'es2019',
    legalComments: 'none',
  }).code;
  return `<script type="text/javascript">
(function () {
  if (window.PlantwireStatusText || !window.RED || !RED.view || typeof RED.view.redrawStatus !== 'function') return;
  var NS = ${JSON.stringify(namespace)};
  var mod = { exports: {} };
  (function (module, exports) {
${js}
  })(mod, mod.exports);
  var compiled = mod.exports.compileStatusTemplates(${JSON.stringify(english)});
  function lang() {
    try { return (RED.i18n && RED.i18n.lang && RED.i18n.lang()) || 'en-US'; } catch (e) { return 'en-US'; }
  }
  function translate(node) {
    var s = node && node.status;
    if (!s || typeof s.text !== 'string' || !s.text || s.plantwireText === s.text) return;
    if (typeof node.type !== 'string' || node.type.indexOf('plantwire-') !== 0) return;
    var locale = lang();
    if (/^en\b/.test(locale)) return;
    var text = mod.exports.translateStatusText(s.text, compiled, function (key, params) {
      var out = RED._(NS + ':status.' + key, params);
      return typeof out === 'string' && out.indexOf('status.' + key) < 0 && out.indexOf('__') < 0 ? out : null;
    }, locale);
    s.plantwireEnglish = s.text;
    s.text = text;
    s.plantwireText = text;
  }
  var redrawStatus = RED.view.redrawStatus;
  RED.view.redrawStatus = function (node) {
    try { translate(node); } catch (e) { /* the English text stays */ }
    return redrawStatus.apply(this, arguments);
  };
  window.PlantwireStatusText = { translate: translate, compiled: compiled, lib: mod.exports };
  if (RED.plugins && typeof RED.plugins.registerPlugin === 'function') RED.plugins.registerPlugin(${JSON.stringify(STATUS_PLUGIN)}, { type: ${JSON.stringify(STATUS_PLUGIN)} });
})();
</script>
`;
}

function helpFiles(type) {
  const dir = path.join(root, 'nodes', type);
  const out = {};
  for (const f of fs.readdirSync(dir)) {
    const m = /^help(?:\.([A-Za-z-]+))?\.md$/.exec(f);
    if (!m) continue;
    const md = fs.readFileSync(path.join(dir, f), 'utf8');
    const bad = badPropertyLines(md);
    if (bad.length) fail(`nodes/${type}/${f}: a property line must read ": name (type) : description": ${bad.join(' | ')}`);
    const lang = m[1] ?? DEFAULT_LANG;
    out[lang] = helpForNodeRed(withSettingsTable(md, type, lang));
  }
  if (!out[DEFAULT_LANG]) fail(`nodes/${type}/help.md is missing: every node needs help text`);
  return out;
}

/** Bundles mathjs's Unit type (scripts/vendor/mathjs-units.mjs) into dist/vendor, with the bundled packages' licences. */
async function buildVendor() {
  const out = path.join(dist, 'vendor');
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'scripts', 'vendor', 'mathjs-units.mjs')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node22',
    outfile: path.join(out, 'mathjs-units.js'),
    absWorkingDir: root,
    metafile: true,
    logLevel: 'warning',
  });
  // Every package the bundle holds code of, with its licence text.
  const packages = new Map(); // name → its directory
  // The inputs that left code in the bundle (tree-shaken modules were read but contribute nothing).
  const used = Object.values(result.metafile.outputs).flatMap((o) => Object.entries(o.inputs).filter(([, v]) => v.bytesInOutput > 0).map(([id]) => id));
  for (const id of used) {
    const m = /^(.*node_modules[\\/]((?:@[^\\/]+[\\/])?[^\\/]+))[\\/]/.exec(id);
    if (m) packages.set(m[2].replace(/\\/g, '/'), path.resolve(root, m[1]));
  }
  if (!packages.has('mathjs')) fail('dist/vendor/mathjs-units.js holds no mathjs code');
  const licences = [...packages].sort(([a], [b]) => a.localeCompare(b)).map(([name, dir]) => {
    const { version, license } = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
    const file = fs.readdirSync(dir).find((f) => /^licen[cs]e(\.md|\.txt)?$/i.test(f));
    if (!file) fail(`${name} has no licence file to ship with dist/vendor/mathjs-units.js`);
    const notice = fs.existsSync(path.join(dir, 'NOTICE')) ? `\n${fs.readFileSync(path.join(dir, 'NOTICE'), 'utf8').trim()}\n` : '';
    return `${name}@${version} (${license})\n\n${fs.readFileSync(path.join(dir, file), 'utf8').trim()}\n${notice}`;
  });
  fs.writeFileSync(
    path.join(out, 'mathjs-units.LICENSES.txt'),
    `dist/vendor/mathjs-units.js bundles code of these packages (built from scripts/vendor/mathjs-units.mjs):\n\n${licences.join(`\n${'-'.repeat(72)}\n\n`)}`,
  );
}

/**
 * packages/sdk (@plantwire/sdk): the SDK entry as a package of its own, for
 * vendors' palettes. Depending on @plantwire/node-red would put Plantwire's 35
 * nodes into the user's Node-RED as well (Node-RED loads every package with a
 * "node-red" section under <userDir>/node_modules, dependencies included).
 * One esbuild bundle of src/sdk/index.ts (node built-ins only: the build fails
 * if the SDK starts importing a package) and the declarations tsc wrote for it.
 */
async function buildSdkPackage(rootPkg) {
  const dir = path.join(root, 'packages', 'sdk');
  const sdkPkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (sdkPkg.version !== rootPkg.version) fail(`packages/sdk/package.json version ${sdkPkg.version} differs from the palette's ${rootPkg.version}`);
  if (sdkPkg['node-red'] || sdkPkg.dependencies) fail('packages/sdk/package.json must declare no "node-red" section and no dependencies');
  const out = path.join(dir, 'dist');
  fs.rmSync(out, { recursive: true, force: true });
  const result = await esbuild.build({
    entryPoints: [path.join(root, 'src', 'sdk', 'index.ts')],
    outfile: path.join(out, 'index.js'),
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'cjs',
    metafile: true,
    logLevel: 'silent',
    banner: { js: `// @plantwire/sdk ${sdkPkg.version}: built from src/sdk/index.ts of @plantwire/node-red (scripts/build.mjs).` },
  });
  const foreign = new Set();
  for (const input of Object.values(result.metafile.inputs)) for (const imp of input.imports) if (imp.external && !imp.path.startsWith('node:')) foreign.add(imp.path);
  for (const file of Object.keys(result.metafile.inputs)) if (file.includes('node_modules')) foreign.add(file);
  if (foreign.size > 0) fail(`@plantwire/sdk must import only node built-ins, but src/sdk/index.ts reaches ${[...foreign].join(', ')}`);
  // tsconfig.sdk.json is the only one emitting declarations: every .d.ts under dist/src belongs to the SDK entry.
  const types = path.join(out, 'types');
  for (const file of walk(path.join(dist, 'src')).filter((f) => f.endsWith('.d.ts'))) {
    const to = path.join(types, path.relative(path.join(dist, 'src'), file));
    fs.mkdirSync(path.dirname(to), { recursive: true });
    fs.copyFileSync(file, to);
  }
  if (!fs.existsSync(path.join(types, 'sdk', 'index.d.ts'))) fail('packages/sdk: no declarations of src/sdk/index.ts (tsconfig.sdk.json)');
}

async function build() {
  const types = nodeTypes();
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const declared = Object.keys(pkg['node-red']?.nodes ?? {}).sort();
  if (JSON.stringify(declared) !== JSON.stringify(types)) {
    fail(`package.json "node-red".nodes lists [${declared.join(', ')}] but nodes/ holds [${types.join(', ')}]`);
  }
  for (const type of types) {
    if (pkg['node-red'].nodes[type] !== `dist/nodes/${type}.js`) fail(`package.json "node-red".nodes.${type} must be "dist/nodes/${type}.js"`);
  }

  fs.rmSync(dist, { recursive: true, force: true });
  tsc('tsconfig.json');
  // Type declarations of the public SDK entry (@plantwire/node-red/sdk) and what it re-exports.
  tsc('tsconfig.sdk.json');
  tsc('tsconfig.editor.json');
  await buildVendor();
  await buildSdkPackage(pkg);

  const nodesOut = path.join(dist, 'nodes');
  const status = statusCatalogs();
  writeStatusPlugin(pkg, status);
  for (const type of types) {
    fs.writeFileSync(path.join(nodesOut, `${type}.js`), `"use strict";\nmodule.exports = require("./${type}/runtime.js");\n`);
    // After the node's own script: tools that read the first script of a node's .html find its registerType literal.
    fs.writeFileSync(path.join(nodesOut, `${type}.html`), buildEditor(type));
    for (const [lang, md] of Object.entries(helpFiles(type))) {
      const out = path.join(nodesOut, 'locales', lang);
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, `${type}.html`), `<script type="text/markdown" data-help-name="${type}">\n${escapeScriptEnd(md.trim())}\n</script>\n`);
    }
    const localeDir = path.join(root, 'nodes', type, 'locales');
    if (!fs.existsSync(path.join(localeDir, `${DEFAULT_LANG}.json`))) fail(`nodes/${type}/locales/${DEFAULT_LANG}.json is missing`);
    for (const f of fs.readdirSync(localeDir)) {
      if (!f.endsWith('.json')) continue;
      const lang = f.slice(0, -5);
      const text = fs.readFileSync(path.join(localeDir, f), 'utf8');
      let catalog;
      try {
        catalog = JSON.parse(text);
      } catch (err) {
        fail(`nodes/${type}/locales/${f} is not valid JSON: ${err.message}`);
      }
      if (catalog.status) fail(`nodes/${type}/locales/${f}: "status" is the shared vocabulary of nodes/locales/${f}, not a node's own key`);
      const out = path.join(nodesOut, 'locales', lang);
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, `${type}.json`), `${JSON.stringify(catalog, null, 2)}\n`);
    }
  }
  fs.cpSync(path.join(root, 'nodes', 'icons'), path.join(nodesOut, 'icons'), { recursive: true });

  const examples = path.join(root, 'examples');
  // The demo's dashboard tab needs @flowfuse/node-red-dashboard, a devDependency (npm start from a clone):
  // the packed example leaves it out, so it imports into any Node-RED without missing types.
  const { withoutDashboard } = require(path.join(dist, 'src', 'host', 'workspace.js'));
  fs.rmSync(examples, { recursive: true, force: true });
  fs.mkdirSync(examples, { recursive: true });
  for (const f of fs.readdirSync(path.join(root, 'flows'))) {
    if (!f.endsWith('.json')) continue;
    const text = fs.readFileSync(path.join(root, 'flows', f), 'utf8');
    try {
      if (!Array.isArray(JSON.parse(text))) fail(`flows/${f} must be an array of nodes`);
    } catch (err) {
      fail(`flows/${f} is not valid JSON: ${err.message}`);
    }
    fs.writeFileSync(path.join(examples, f), f === 'demo.json' ? withoutDashboard(text) : text);
  }
  fs.writeFileSync(stamp, new Date().toISOString());
  console.log(`build: ${types.length} node type(s) → dist/nodes (${types.join(', ')})`);
}

if (process.argv.includes('--if-needed') && upToDate()) {
  console.log('build: dist/ is up to date');
} else {
  await build();
}
