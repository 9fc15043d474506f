// Editor definition of plantwire-asset-map. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-asset-map.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface AssetRuleRow {
  match: string;
  enterprise: string;
  site?: string;
  area?: string;
  line?: string;
  cell?: string;
  name?: string;
}

interface AssetMapEditorProps extends EditorNodeProperties {
  version: number;
  rules: AssetRuleRow[];
  output: string;
}

RED.nodes.registerType<AssetMapEditorProps>('plantwire-asset-map', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-asset-map.svg',
  paletteLabel: 'asset map',
  inputLabels: function () {
    return nodeText(this, 'plantwire-asset-map.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-asset-map.ports.out' + index);
  },
  label: function (this: AssetMapEditorProps) {
    return this.name || nodeText(this, 'plantwire-asset-map.canvas.rules', { count: (this.rules || []).length });
  },
  labelStyle: function (this: AssetMapEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: AssetMapEditorProps) {
    // The node's own message catalogue (RED._ would need the palette's namespace).
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const cols: Array<keyof AssetRuleRow> = ['match', 'enterprise', 'site', 'area', 'line', 'cell', 'name'];
    const list = $('#node-input-rule-list');
    list.editableList({
      header: $('<div style="display:flex;gap:4px;padding-left:28px;font-size:0.85em"></div>').append(
        cols.map(function (c) {
          return $('<div/>', { style: 'flex:' + (c === 'match' ? 3 : 2) }).text(i18n('plantwire-asset-map.col.' + c));
        }),
      ),
      addItem: function (row: JQuery, _i: number, data: AssetRuleRow) {
        const r = $('<div/>', { style: 'display:flex;gap:4px' }).appendTo(row);
        cols.forEach(function (c) {
          $('<input/>', { type: 'text', class: 'rule-' + c, style: 'flex:' + (c === 'match' ? 3 : 2) + ';min-width:0', placeholder: c === 'match' ? 'Line1/Filler/**' : '' })
            .val((data && data[c]) || '')
            .appendTo(r);
        });
        // Match and enterprise are required in every row: mark an empty one red as the user types.
        const mark = function () {
          r.find('.rule-match, .rule-enterprise').each(function (this: HTMLElement) {
            $(this).toggleClass('input-error', String($(this).val() || '').trim() === '');
          });
        };
        r.find('input').on('change keyup', mark);
        mark();
      },
      removable: true,
      sortable: true,
      height: 220,
    });
    (this.rules || []).forEach(function (r) {
      list.editableList('addItem', r);
    });
    // A new node starts with one empty row, so the required cells are visible (and marked) at once.
    if (!this.rules || this.rules.length === 0) list.editableList('addItem', {} as AssetRuleRow);
    const importRules = function (replace: boolean) {
      const text = String($('#plantwire-am-import').val() || '');
      const out = $('#plantwire-am-import-result');
      $.ajax({
        url: 'plantwire/asset-map/parse',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ text: text }),
        dataType: 'json',
        success: function (body: { rules: AssetRuleRow[] }) {
          if (replace) list.editableList('empty');
          body.rules.forEach(function (r) {
            list.editableList('addItem', r);
          });
          out.css('color', '').text(i18n('plantwire-asset-map.label.imported', { count: body.rules.length }));
        },
        error: function (jq: JQuery.jqXHR) {
          const body = jq.responseJSON as { error?: string } | undefined;
          out.css('color', 'var(--red-ui-text-color-error, #d00)').text((body && body.error) || jq.statusText);
        },
      });
    };
    $('#plantwire-am-file').on('change', function (this: HTMLInputElement) {
      const file = this.files && this.files[0];
      if (!file) return;
      const reader = new FileReader();
      reader.onload = function () {
        $('#plantwire-am-import').val(String(reader.result || ''));
      };
      reader.readAsText(file);
    });
    $('#plantwire-am-replace').on('click', function (e: JQuery.ClickEvent) {
      e.preventDefault();
      importRules(true);
    });
    $('#plantwire-am-append').on('click', function (e: JQuery.ClickEvent) {
      e.preventDefault();
      importRules(false);
    });
  },
  oneditsave: function (this: AssetMapEditorProps) {
    const rows: AssetRuleRow[] = [];
    $('#node-input-rule-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        const r = $(this);
        const val = function (c: string): string {
          return String(r.find('.rule-' + c).val() || '').trim();
        };
        const row: AssetRuleRow = { match: val('match'), enterprise: val('enterprise') };
        (['site', 'area', 'line', 'cell', 'name'] as const).forEach(function (c) {
          const v = val(c);
          if (v) row[c] = v;
        });
        if (row.match || row.enterprise) rows.push(row);
      });
    this.rules = rows;
  },
  oneditresize: function (size: { height: number }) {
    const rows = $('#dialog-form>div:not(.node-input-rule-list-row)');
    let height = size.height;
    rows.each(function (this: HTMLElement) {
      height -= $(this).outerHeight(true) || 0;
    });
    $('#node-input-rule-list').editableList('height', Math.max(150, height - 30));
  },
});
