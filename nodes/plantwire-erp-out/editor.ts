// Editor definition of plantwire-erp-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-erp-out.html.
// The durable-buffer rows are nodes/editor/buffer.ts; the defaults and validators come from the field spec (./fields.ts).
import { prepareBuffer } from '../editor/buffer';
import { codeFields, dropCodeFields, type CodeFields } from '../editor/code';
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ErpOutEditorProps extends EditorNodeProperties {
  version: number;
  connection: string;
  operation: string;
  entity: string;
  entityType: string;
  key: string;
  keyType: string;
  action: string;
  mapping: string;
  externalKeyField: string;
  batchSize: number;
  batchMs: number;
  sample: string;
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

interface ErpPreviewAnswer {
  ok: boolean;
  result?: unknown;
  empty?: boolean;
  stage?: string;
  error?: { message: string; position?: number; token?: string; code?: string };
}

interface ErpOutEditorState {
  code?: CodeFields;
}

RED.nodes.registerType<ErpOutEditorProps>('plantwire-erp-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-erp-out.svg',
  align: 'right',
  paletteLabel: 'erp out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-erp-out.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-erp-out.ports.out' + index);
  },
  label: function (this: ErpOutEditorProps) {
    if (this.name) return this.name;
    const entity = this.entityType && this.entityType !== 'str' ? (this.entityType === 'env' ? '${' + this.entity + '}' : this.entityType + '.' + this.entity) : this.entity;
    const operation = nodeText(this, 'plantwire-erp-out.canvas.op.' + (this.operation || 'create'));
    if (this.operation === 'action' && this.action) return nodeText(this, 'plantwire-erp-out.canvas.action', { operation: operation, entity: entity || 'ERP', action: this.action });
    return nodeText(this, 'plantwire-erp-out.canvas.label', { operation: operation, entity: entity || 'ERP' });
  },
  labelStyle: function (this: ErpOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ErpOutEditorProps & ErpOutEditorState) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    typedField(this, 'entity');
    // The key: a JSONata expression over the message (flows before version 2), or read from msg/flow/global/env, or fixed.
    typedField(this, 'key', ['jsonata', 'msg', 'flow', 'global', 'env', 'str']);
    if (!this.keyType) $('#node-input-key').typedInput('type', 'jsonata');
    const i18n = (this as unknown as { _: (key: string) => string })._.bind(this);
    const toggle = function () {
      const op = $('#node-input-operation').val();
      $('.pw-erp-action').toggle(op === 'action');
      $('.pw-erp-batch-ms').toggle(Number($('#node-input-batchSize').val()) > 1);
    };
    $('#node-input-operation').on('change', toggle);
    $('#node-input-batchSize').on('input change', toggle);
    toggle();
    prepareBuffer($('#pw-erp-out-buffer'), this, 'plantwire-erp-out');
    // The mapping (JSONata) and the sample message (JSON) in Node-RED's code editor, as map and validate show them.
    const code = codeFields([
      { field: 'mapping', mode: 'ace/mode/jsonata', value: this.mapping || '' },
      { field: 'sample', mode: 'ace/mode/json', value: this.sample || '' },
    ]);
    this.code = code;
    const self = this;
    const out = $('#pw-erp-preview');
    let timer: ReturnType<typeof setTimeout> | undefined;
    let seq = 0;
    const show = function (label: string, r: ErpPreviewAnswer | null): string {
      if (!r) return '';
      if (r.ok) return label + (r.empty ? i18n('plantwire-erp-out.preview.empty') : JSON.stringify(r.result, null, 2));
      const e = r.error || { message: 'failed' };
      const where = e.position !== undefined ? ' @' + e.position + (e.token ? ' (' + e.token + ')' : '') : '';
      return label + '✘ ' + (r.stage || 'error') + where + ': ' + e.message;
    };
    const preview = function () {
      if (!self.code) return; // the dialog has closed
      const mine = ++seq;
      $.ajax({
        url: 'plantwire/erp/preview',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ mapping: code.value('mapping'), key: $('#node-input-keyType').val() === 'jsonata' ? $('#node-input-key').val() : '', message: code.value('sample') }),
        dataType: 'json',
        success: function (r: { mapping: ErpPreviewAnswer; key: ErpPreviewAnswer | null }) {
          if (mine !== seq) return;
          const bad = !r.mapping.ok || (r.key !== null && !r.key.ok);
          out.css('color', bad ? 'var(--red-ui-text-color-error, #d00)' : '').text(show('', r.mapping) + (r.key ? '\n' + show(i18n('plantwire-erp-out.preview.key') + ': ', r.key) : ''));
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
    $('#node-input-key').on('input change', schedule);
    $('#node-input-keyType').on('change', schedule);
    code.onChange(schedule);
    preview();
  },
  oneditsave: function (this: ErpOutEditorProps & ErpOutEditorState) {
    if (this.code) {
      this.code.save();
      this.code.destroy();
      delete this.code;
    }
  },
  oneditcancel: function (this: ErpOutEditorProps & ErpOutEditorState) {
    dropCodeFields(this);
  },
});
