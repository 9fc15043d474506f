// Editor definition of plantwire-validate. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-validate.html.
import { codeFields, dropCodeFields, type CodeFields } from '../editor/code';
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ValidateEditorProps extends EditorNodeProperties {
  version: number;
  schema: string;
  property: string;
  each: boolean;
  onInvalid: string;
}

interface ValidateEditorState {
  code?: CodeFields;
}

RED.nodes.registerType<ValidateEditorProps>('plantwire-validate', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-validate.svg',
  paletteLabel: 'validate',
  inputLabels: function () {
    return nodeText(this, 'plantwire-validate.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-validate.ports.out' + index);
  },
  label: function (this: ValidateEditorProps) {
    if (this.name) return this.name;
    try {
      const s = JSON.parse(this.schema) as { title?: string };
      if (s && s.title) return 'validate: ' + s.title;
    } catch (e) {
      /* invalid schema: the node is flagged by validate() */
    }
    return 'validate';
  },
  labelStyle: function (this: ValidateEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ValidateEditorProps & ValidateEditorState) {
    // The node's own message catalogue (RED._ would need the palette's namespace).
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const code = codeFields([{ field: 'schema', mode: 'ace/mode/json', value: this.schema || '{}' }]);
    this.code = code;
    const result = $('#plantwire-val-result');
    const show = function (ok: boolean, text: string) {
      result.css('color', ok ? '' : 'var(--red-ui-text-color-error, #d00)').text(text);
    };
    $('#plantwire-val-sample').on('click', function (e: JQuery.ClickEvent) {
      e.preventDefault();
      $.getJSON('plantwire/validate/sample-schema', function (schema: unknown) {
        code.set('schema', JSON.stringify(schema, null, 2));
      });
    });
    $('#plantwire-val-check').on('click', function (e: JQuery.ClickEvent) {
      e.preventDefault();
      $.ajax({
        url: 'plantwire/validate/check',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ schema: code.value('schema') }),
        dataType: 'json',
        success: function () {
          show(true, i18n('plantwire-validate.label.schemaOk'));
        },
        error: function (jq: JQuery.jqXHR) {
          const body = jq.responseJSON as { error?: string } | undefined;
          show(false, (body && body.error) || jq.statusText);
        },
      });
    });
  },
  oneditsave: function (this: ValidateEditorProps & ValidateEditorState) {
    if (this.code) {
      this.code.save();
      this.code.destroy();
      delete this.code;
    }
  },
  oneditcancel: function (this: ValidateEditorProps & ValidateEditorState) {
    dropCodeFields(this);
  },
  oneditresize: function (this: ValidateEditorProps & ValidateEditorState, size: { height: number }) {
    const rows = $('#dialog-form>div:not(.node-text-editor-row)');
    let height = size.height;
    rows.each(function (this: HTMLElement) {
      height -= $(this).outerHeight(true) || 0;
    });
    $('.node-text-editor-row #node-input-schema-editor').css('height', Math.max(120, height - 20) + 'px');
    if (this.code) this.code.resize();
  },
});
