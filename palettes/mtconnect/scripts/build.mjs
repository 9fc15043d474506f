#!/usr/bin/env node
// Builds the palette into dist/ in the layout Node-RED loads:
//   nodes/<type>/runtime.ts          -> dist/nodes/<type>/runtime.js, loaded by dist/nodes/<type>.js
//   nodes/<type>/editor.html         -> dist/nodes/<type>.html (registerType literal inline, as node-red-dev validate reads it)
//   nodes/<type>/help[.<lang>].md    -> dist/nodes/locales/<lang>/<type>.html (Markdown help)
//   nodes/<type>/locales/<lang>.json -> dist/nodes/locales/<lang>/<type>.json
//   nodes/icons/*                    -> dist/nodes/icons/
//   flows/*.json                     -> examples/ (Node-RED's import menu)
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = path.join(root, 'dist');
fs.rmSync(dist, { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
const out = path.join(dist, 'nodes');
const types = fs.readdirSync(path.join(root, 'nodes'), { withFileTypes: true }).filter((e) => e.isDirectory() && e.name !== 'icons').map((e) => e.name);
for (const type of types) {
  const src = path.join(root, 'nodes', type);
  fs.writeFileSync(path.join(out, `${type}.js`), `module.exports = require('./${type}/runtime.js');\n`);
  fs.copyFileSync(path.join(src, 'editor.html'), path.join(out, `${type}.html`));
  for (const f of fs.readdirSync(src)) {
    const m = /^help(?:\.([A-Za-z-]+))?\.md$/.exec(f);
    if (!m) continue;
    const lang = m[1] ?? 'en-US';
    fs.mkdirSync(path.join(out, 'locales', lang), { recursive: true });
    const md = fs.readFileSync(path.join(src, f), 'utf8').replace(/<\/script/gi, '<\\/script');
    fs.writeFileSync(path.join(out, 'locales', lang, `${type}.html`), `<script type="text/markdown" data-help-name="${type}">\n${md.trim()}\n</script>\n`);
  }
  const locales = path.join(src, 'locales');
  for (const f of fs.existsSync(locales) ? fs.readdirSync(locales) : []) {
    const lang = f.replace(/\.json$/, '');
    fs.mkdirSync(path.join(out, 'locales', lang), { recursive: true });
    fs.writeFileSync(path.join(out, 'locales', lang, `${type}.json`), JSON.stringify(JSON.parse(fs.readFileSync(path.join(locales, f), 'utf8')), null, 2));
  }
}
fs.cpSync(path.join(root, 'nodes', 'icons'), path.join(out, 'icons'), { recursive: true });
fs.rmSync(path.join(root, 'examples'), { recursive: true, force: true });
fs.mkdirSync(path.join(root, 'examples'));
for (const f of fs.readdirSync(path.join(root, 'flows'))) if (f.endsWith('.json')) fs.copyFileSync(path.join(root, 'flows', f), path.join(root, 'examples', f));
console.log(`build: ${types.length} node type(s) -> dist/nodes`);
