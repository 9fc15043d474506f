#!/usr/bin/env node
// Builds the palette into dist/:
//   nodes/<type>/runtime.ts           -> dist/nodes/<type>/runtime.js (+ dist/src/**), loaded via dist/nodes/<type>.js
//   nodes/<type>/editor.ts+editor.html -> dist/nodes/<type>.html (the registerType literal stays inline)
//   nodes/<type>/help[.<lang>].md       -> dist/nodes/locales/<lang>/<type>.html (colons made safe for
//                                          Node-RED's property-list rules: scripts/help.mjs)
//   nodes/<type>/locales/<lang>.json    -> dist/nodes/locales/<lang>/<type>.json
//   nodes/icons/*                       -> dist/nodes/icons/
//   flows/*.json                        -> examples/*.json (Node-RED's import menu)
// `--if-needed` skips the build when dist/ is newer than every source file.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { badPropertyLines, helpForNodeRed } from './help.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const ts = require('typescript');
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

function buildEditor(type) {
  const dir = path.join(root, 'nodes', type);
  const editorTs = fs.readFileSync(path.join(dir, 'editor.ts'), 'utf8');
  if (!new RegExp(`RED\\.nodes\\.registerType(<[^>]*>)?\\(\\s*['"]${type}['"]\\s*,\\s*\\{`).test(editorTs)) {
    fail(`nodes/${type}/editor.ts must call RED.nodes.registerType('${type}', { ... }) with an inline literal`);
  }
  const js = ts.transpileModule(editorTs, {
    compilerOptions: { target: ts.ScriptTarget.ES2019, module: ts.ModuleKind.None, removeComments: false },
    fileName: `${type}.editor.ts`,
    reportDiagnostics: false,
  }).outputText.replace(/^"use strict";\s*/, '').replace(/\n\/\/# sourceMappingURL=.*$/, '');
  const template = fs.readFileSync(path.join(dir, 'editor.html'), 'utf8');
  if (!template.includes(`data-template-name="${type}"`)) fail(`nodes/${type}/editor.html must hold <script type="text/html" data-template-name="${type}">`);
  return `<script type="text/javascript">\n${escapeScriptEnd(js)}</script>\n\n${template.trim()}\n`;
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
    out[m[1] ?? DEFAULT_LANG] = helpForNodeRed(md);
  }
  if (!out[DEFAULT_LANG]) fail(`nodes/${type}/help.md is missing: every node needs help text`);
  return out;
}

function build() {
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

  const nodesOut = path.join(dist, 'nodes');
  for (const type of types) {
    fs.writeFileSync(path.join(nodesOut, `${type}.js`), `"use strict";\nmodule.exports = require("./${type}/runtime.js");\n`);
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
      try {
        JSON.parse(text);
      } catch (err) {
        fail(`nodes/${type}/locales/${f} is not valid JSON: ${err.message}`);
      }
      const out = path.join(nodesOut, 'locales', lang);
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, `${type}.json`), text);
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
  build();
}
