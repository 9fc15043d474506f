// The dialog's standard form rows, written once (#15): a line
//   <plantwire-field name="batchSize" icon="th-list" type="number" style="width:100px" suffix="ms">
// in nodes/<type>/editor.html becomes, at build time,
//   <div class="form-row">
//     <label for="node-input-batchSize"><i class="fa fa-th-list"></i> <span data-i18n="<type>.label.batchSize"></span></label>
//     <input type="number" id="node-input-batchSize" style="width:100px"> ms
//   </div>
// (`node-config-input-` in a config node's dialog). `class` goes on the row, `suffix` after the input
// (a unit), every other attribute onto the input; `type` defaults to text. A `type="checkbox"` row
// (no icon) is a switch: the box in the input column with its label beside it. The label is the
// catalogue's `<type>.label.<name>`, and the build fails when the node's en-US catalogue lacks it.
// Rows with anything else (a select, a checkbox, a typed input's hidden field, hints) stay written out.
// Hand-written: a dozen lines of string work on our own templates, not worth an HTML parser.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const TAG = /^([ \t]*)<plantwire-field\b([^>]*)>[ \t]*$/gm;
const ATTR = /([\w:-]+)(?:="([^"]*)"|='([^']*)')?/g;

/** The `<plantwire-field …>` lines of a template expanded into form rows. */
export function expandRows(html, { type, config, labels }) {
  const out = html.replace(TAG, (_line, indent, attrText) => {
    if (/=\s*[^"'\s]/.test(attrText.replace(/"[^"]*"|'[^']*'/g, '""'))) throw new Error(`nodes/${type}/editor.html: <plantwire-field${attrText}>: quote every attribute value`);
    const attrs = [...attrText.matchAll(ATTR)].map((m) => [m[1], m[2] ?? m[3]]);
    const take = (name) => {
      const i = attrs.findIndex(([k]) => k === name);
      if (i < 0) return undefined;
      const [, v] = attrs.splice(i, 1)[0];
      return v ?? '';
    };
    const name = take('name');
    const icon = take('icon');
    const inputType = take('type') ?? 'text';
    const checkbox = inputType === 'checkbox';
    if (!name || (!icon && !checkbox)) throw new Error(`nodes/${type}/editor.html: <plantwire-field${attrText}> needs name and icon`);
    const key = `${type}.label.${name}`;
    if (!labels.has(key)) throw new Error(`nodes/${type}/editor.html: field row "${name}" needs the label "label.${name}" in nodes/${type}/locales/en-US.json`);
    const cls = take('class');
    const suffix = take('suffix');
    const id = `node-${config ? 'config-' : ''}input-${name}`;
    const rest = attrs.map(([k, v]) => (v === undefined ? ` ${k}` : v.includes('"') ? ` ${k}='${v}'` : ` ${k}="${v}"`)).join('');
    if (checkbox) {
      // A switch: the box in the input column, its label (the whole sentence) beside it.
      return [
        `${indent}<div class="form-row${cls ? ` ${cls}` : ''}">`,
        `${indent}  <label>&nbsp;</label>`,
        `${indent}  <input type="checkbox" id="${id}" style="display:inline-block;width:auto;vertical-align:top"${rest}>`,
        `${indent}  <label for="${id}" style="width:70%" data-i18n="${key}"></label>`,
        `${indent}</div>`,
      ].join('\n');
    }
    return [
      `${indent}<div class="form-row${cls ? ` ${cls}` : ''}">`,
      `${indent}  <label for="${id}"><i class="fa fa-${icon}"></i> <span data-i18n="${key}"></span></label>`,
      `${indent}  <input type="${inputType}" id="${id}"${rest}>${suffix ? ` ${suffix}` : ''}`,
      `${indent}</div>`,
    ].join('\n');
  });
  // A row that shares its line with other markup is not expanded: say so rather than ship it.
  if (out.includes('<plantwire-field')) throw new Error(`nodes/${type}/editor.html: a <plantwire-field …> must stand on a line of its own`);
  return out;
}

/** Every key of a catalogue as `<a>.<b>.<c>`. */
function keysOf(obj, prefix = '', out = new Set()) {
  for (const [k, v] of Object.entries(obj)) {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v && typeof v === 'object') keysOf(v, key, out);
    else out.add(key);
  }
  return out;
}

/** nodes/<type>/editor.html with its field rows expanded, as the build ships it. */
export function editorTemplate(type) {
  const dir = path.join(root, 'nodes', type);
  const html = fs.readFileSync(path.join(dir, 'editor.html'), 'utf8');
  const editorTs = fs.readFileSync(path.join(dir, 'editor.ts'), 'utf8');
  const config = /\bcategory:\s*['"]config['"]/.test(editorTs);
  const labels = keysOf(JSON.parse(fs.readFileSync(path.join(dir, 'locales', 'en-US.json'), 'utf8')));
  return expandRows(html, { type, config, labels });
}
