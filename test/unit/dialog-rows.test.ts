/**
 * The dialog's standard form rows come from one template (scripts/rows.mjs):
 * `<plantwire-field …>` lines in editor.html are written out at build time.
 */
import { describe, expect, it } from 'vitest';
import { expandRows } from '../../scripts/rows.mjs';

const labels = new Set(['plantwire-x.label.url', 'plantwire-x.label.batchSize', 'plantwire-x.label.clean', 'plantwire-x.label.headers']);

describe('dialog field rows', () => {
  it('a text row: label with icon from the catalogue, the input with the other attributes', () => {
    const out = expandRows('<script>\n  <plantwire-field name="url" icon="server" placeholder="mqtt://127.0.0.1:1883" style="width:70%">\n</script>', { type: 'plantwire-x', config: false, labels });
    expect(out).toBe(
      [
        '<script>',
        '  <div class="form-row">',
        '    <label for="node-input-url"><i class="fa fa-server"></i> <span data-i18n="plantwire-x.label.url"></span></label>',
        '    <input type="text" id="node-input-url" placeholder="mqtt://127.0.0.1:1883" style="width:70%">',
        '  </div>',
        '</script>',
      ].join('\n'),
    );
  });

  it("a config node's row, a number with its unit, a row class, a JSON placeholder in single quotes", () => {
    const out = expandRows(`<plantwire-field name="batchSize" icon="th-list" type="number" class="pw-batch" min="1" suffix="ms">\n<plantwire-field name="headers" icon="list" placeholder='{"X-Plant": "Berlin"}'>`, { type: 'plantwire-x', config: true, labels });
    expect(out).toContain('<div class="form-row pw-batch">');
    expect(out).toContain('<input type="number" id="node-config-input-batchSize" min="1"> ms');
    expect(out).toContain(`<input type="text" id="node-config-input-headers" placeholder='{"X-Plant": "Berlin"}'>`);
    expect(out).not.toContain('plantwire-field');
  });

  it('a checkbox row: the box in the input column, its label beside it', () => {
    const out = expandRows('<plantwire-field name="clean" type="checkbox">', { type: 'plantwire-x', config: true, labels });
    expect(out).toContain('<label>&nbsp;</label>');
    expect(out).toContain('<input type="checkbox" id="node-config-input-clean" style="display:inline-block;width:auto;vertical-align:top">');
    expect(out).toContain('<label for="node-config-input-clean" style="width:70%" data-i18n="plantwire-x.label.clean"></label>');
  });

  it('a row whose label is not in the catalogue, without an icon, with an unquoted value or not on its own line fails the build', () => {
    expect(() => expandRows('<plantwire-field name="nope" icon="tag">', { type: 'plantwire-x', config: false, labels })).toThrow(/needs the label "label.nope"/);
    expect(() => expandRows('<plantwire-field name="url">', { type: 'plantwire-x', config: false, labels })).toThrow(/needs name and icon/);
    expect(() => expandRows('<plantwire-field name="url" icon="server" min=0>', { type: 'plantwire-x', config: false, labels })).toThrow(/quote every attribute value/);
    expect(() => expandRows('<div><plantwire-field name="url" icon="server"></div>', { type: 'plantwire-x', config: false, labels })).toThrow(/on a line of its own/);
  });
});
