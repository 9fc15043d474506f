// Editor definition of plantwire-map. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-map.html.
import { codeFields, dropCodeFields, type CodeFields } from '../editor/code';
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface MapEditorProps extends EditorNodeProperties {
  version: number;
  expression: string;
  property: string;
  onEmpty: string;
  sample: string;
}

interface MapEditorState {
  code?: CodeFields;
}

interface MapPreview {
  ok: boolean;
  result?: unknown;
  empty?: boolean;
  stage?: string;
  error?: { message: string; code?: string; position?: number; token?: string };
}

RED.nodes.registerType<MapEditorProps>('plantwire-map', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-map.svg',
  paletteLabel: 'map',
  inputLabels: function () {
    return nodeText(this, 'plantwire-map.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-map.ports.out0');
  },
  label: function (this: MapEditorProps) {
    return this.name || 'map → msg.' + (this.property || 'payload');
  },
  labelStyle: function (this: MapEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: MapEditorProps & MapEditorState) {
    // The node's own message catalogue (RED._ would need the palette's namespace).
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const self = this;
    const code = codeFields([
      { field: 'expression', mode: 'ace/mode/jsonata', value: this.expression || '' },
      { field: 'sample', mode: 'ace/mode/json', value: this.sample || '{}' },
    ]);
    this.code = code;
    const out = $('#plantwire-map-preview');
    let timer: ReturnType<typeof setTimeout> | undefined;
    let seq = 0;
    const preview = function () {
      if (!self.code) return; // the dialog has closed
      const mine = ++seq;
      $.ajax({
        url: 'plantwire/map/preview',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ expression: code.value('expression'), message: code.value('sample') }),
        dataType: 'json',
        success: function (r: MapPreview) {
          if (mine !== seq) return;
          if (r.ok) {
            out.css('color', '').text(r.empty ? i18n('plantwire-map.label.empty') : JSON.stringify(r.result, null, 2));
          } else {
            const e = r.error || { message: 'failed' };
            const where = e.position !== undefined ? ' @' + e.position + (e.token ? ' (' + e.token + ')' : '') : '';
            out.css('color', 'var(--red-ui-text-color-error, #d00)').text(i18n('plantwire-map.stage.' + (r.stage || 'evaluation')) + where + ': ' + e.message + (e.code ? ' [' + e.code + ']' : ''));
          }
        },
        error: function (jq: JQuery.jqXHR) {
          if (mine !== seq) return;
          const body = jq.responseJSON as { error?: string } | undefined;
          out.css('color', 'var(--red-ui-text-color-error, #d00)').text((body && body.error) || jq.statusText);
        },
      });
    };
    const schedule = function () {
      if (timer) clearTimeout(timer);
      timer = setTimeout(preview, 300);
    };
    code.onChange(schedule);
    preview();
  },
  oneditsave: function (this: MapEditorProps & MapEditorState) {
    if (this.code) {
      this.code.save();
      this.code.destroy();
      delete this.code;
    }
  },
  oneditcancel: function (this: MapEditorProps & MapEditorState) {
    dropCodeFields(this);
  },
});
