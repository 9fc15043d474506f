// Field specs at build time (src/model/fields.ts, nodes/<type>/fields.ts):
// the defaults written into a node's inline registerType literal, and the
// settings table put into its help (help.md, help.de.md, docs/nodes/*.md).
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const esbuild = require('esbuild');

/** Loads a TypeScript module of the repository (bundled by esbuild, run in this process). */
function loadTs(file) {
  const out = esbuild.buildSync({ entryPoints: [file], bundle: true, write: false, format: 'cjs', platform: 'node', target: 'node22', logLevel: 'silent' });
  const mod = { exports: {} };
  new Function('module', 'exports', 'require', out.outputFiles[0].text)(mod, mod.exports, require);
  return mod.exports;
}

let model;
/** src/model/fields.ts. */
export function fieldsModel() {
  model ??= loadTs(path.join(root, 'src', 'model', 'fields.ts'));
  return model;
}

/** The node's spec (nodes/<type>/fields.ts exporting `spec`), or undefined when the node has none yet. */
export function specOf(type) {
  const file = path.join(root, 'nodes', type, 'fields.ts');
  if (!fs.existsSync(file)) return undefined;
  const spec = loadTs(file).spec;
  if (!spec || spec.type !== type) throw new Error(`nodes/${type}/fields.ts must export spec = defineFields('${type}', …)`);
  return spec;
}

/**
 * The `defaults` object literal of a spec as source text: value, required,
 * config type, and `validate: <validator>(<specVar>, "<field>")` where the
 * field has rules (the same validators specDefaults() would attach).
 */
export function defaultsLiteral(spec, specVar, validatorFn) {
  const { editorDefault, hasRules } = fieldsModel();
  const lines = Object.entries(spec.fields).map(([key, f]) => {
    const d = editorDefault(f);
    const parts = [`value: ${JSON.stringify(d.value)}`];
    if (d.type) parts.push(`type: ${JSON.stringify(d.type)}`);
    if (d.required) parts.push('required: true');
    if (hasRules(f)) parts.push(`validate: ${validatorFn}(${specVar}, ${JSON.stringify(key)})`);
    return `    ${JSON.stringify(key)}: { ${parts.join(', ')} },`;
  });
  return `{\n${lines.join('\n')}\n  }`;
}

/** help markdown with the settings marker replaced by the generated table (labels from the node's locale in `lang`). */
export function withSettingsTable(md, type, lang) {
  const { SETTINGS_MARKER, settingsTable } = fieldsModel();
  if (!md.includes(SETTINGS_MARKER)) return md;
  const spec = specOf(type);
  if (!spec) throw new Error(`nodes/${type}: the help has the settings marker but the node has no fields.ts`);
  const localeFile = path.join(root, 'nodes', type, 'locales', `${lang}.json`);
  const locale = fs.existsSync(localeFile) ? JSON.parse(fs.readFileSync(localeFile, 'utf8')) : {};
  return md.replace(SETTINGS_MARKER, settingsTable(spec, locale[type] ?? {}, lang));
}
