// Editor definition of plantwire-email-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-email-out.html.
// The retry-queue rows are nodes/editor/buffer.ts; mails are always queued, so "off" is removed.
import { prepareBuffer } from '../editor/buffer';
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface EmailOutEditorProps extends EditorNodeProperties {
  version: number;
  server: string;
  to: string;
  toType: string;
  cc: string;
  from: string;
  mode: string;
  digestSeconds: number;
  rateCount: number;
  ratePeriod: number;
  subject: string;
  subjectType: string;
  html: string;
  text: string;
  csv: boolean;
  maxRows: number;
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

RED.nodes.registerType<EmailOutEditorProps>('plantwire-email-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-email-out.svg',
  align: 'right',
  paletteLabel: 'email out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-email-out.ports.in');
  },
  label: function (this: EmailOutEditorProps) {
    if (this.name) return this.name;
    const to = this.toType && this.toType !== 'str' ? (this.toType === 'env' ? '${' + this.to + '}' : this.toType + '.' + this.to) : String(this.to || '').split(/[,;]/)[0] || 'email';
    return nodeText(this, this.mode === 'digest' ? 'plantwire-email-out.canvas.digest' : 'plantwire-email-out.canvas.mail', { to: to.trim() });
  },
  labelStyle: function (this: EmailOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: EmailOutEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    typedField(this, 'to');
    typedField(this, 'subject');
    const toggle = function () {
      $('.plantwire-email-digest').toggle($('#node-input-mode').val() === 'digest');
    };
    $('#node-input-mode').on('change', toggle);
    toggle();
    prepareBuffer($('#plantwire-email-buffer'), this, 'plantwire-email-out');
    $('#node-input-bufferMode option[value="off"]').remove();
    if (!this.bufferMode || this.bufferMode === 'off') $('#node-input-bufferMode').val('memory').trigger('change');
  },
});
