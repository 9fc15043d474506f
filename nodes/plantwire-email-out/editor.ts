// Editor definition of plantwire-email-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-email-out.html.
// The retry-queue rows are nodes/editor/buffer.ts; mails are always queued, so "off" is removed.
import { prepareBuffer } from '../editor/buffer';
import { invalid, nodeText, pickConfigs, typedField, typedValidator } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 2 },
    server: { value: '', type: 'plantwire-smtp-server', required: true },
    // Version 2: recipients fixed, or read per message from msg/flow/global/env (checked per message).
    to: {
      value: '',
      required: true,
      validate: typedValidator('plantwire-email-out', 'to', function (v: string) {
        const list = v.split(/[,;]/).map(function (s) {
          return s.trim();
        }).filter(function (s) {
          return s !== '';
        });
        return list.length > 0 && list.every(function (a) {
          return /^([^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/.test(a);
        });
      }),
    },
    toType: { value: 'str' },
    cc: {
      value: '',
      validate: function (v: string, opt?: object) {
        const list = String(v || '').split(/[,;]/).map(function (s) {
          return s.trim();
        }).filter(function (s) {
          return s !== '';
        });
        const ok = list.every(function (a) {
          return /^([^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/.test(a);
        });
        return ok || invalid(this, opt, 'plantwire-email-out.validation.cc');
      },
    },
    from: {
      value: '',
      validate: function (v: string, opt?: object) {
        return /^(|[^\s@<>]+@[^\s@<>]+|[^<>]*<[^\s@<>]+@[^\s@<>]+>)$/.test(String(v || '').trim()) || invalid(this, opt, 'plantwire-email-out.validation.from');
      },
    },
    mode: { value: 'digest', required: true },
    digestSeconds: {
      value: 300,
      validate: function (v: string, opt?: object) {
        const n = Number(v);
        return (String(v).trim() !== '' && n >= 1 && n <= 86400) || invalid(this, opt, 'plantwire-email-out.validation.digestSeconds');
      },
    },
    rateCount: {
      value: 10,
      validate: function (v: string, opt?: object) {
        const n = Number(v);
        return (/^\d+$/.test(String(v)) && n >= 1 && n <= 100000) || invalid(this, opt, 'plantwire-email-out.validation.rateCount');
      },
    },
    ratePeriod: {
      value: 3600,
      validate: function (v: string, opt?: object) {
        const n = Number(v);
        return (String(v).trim() !== '' && n >= 1 && n <= 604800) || invalid(this, opt, 'plantwire-email-out.validation.ratePeriod');
      },
    },
    // Version 2: a fixed template, or read per message from msg/flow/global/env (checked per message).
    subject: {
      value: '',
      validate: typedValidator('plantwire-email-out', 'subject', function (s: string) {
        return s.split('{{').length === s.split('}}').length && !/[\r\n]/.test(s);
      }),
    },
    subjectType: { value: 'str' },
    html: { value: '' },
    text: { value: '' },
    csv: { value: true },
    maxRows: {
      value: 500,
      validate: function (v: string, opt?: object) {
        const n = Number(v);
        return (/^\d+$/.test(String(v)) && n >= 1 && n <= 100000) || invalid(this, opt, 'plantwire-email-out.validation.maxRows');
      },
    },
    bufferMode: { value: 'memory' },
    bufferMaxEntries: { value: 10000, validate: RED.validators.number(true) },
    bufferMaxMB: { value: 64, validate: RED.validators.number(true) },
    bufferOverflow: { value: 'drop-oldest' },
    bufferReplayRate: { value: 0, validate: RED.validators.number(true) },
  },
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
    typedField('to');
    typedField('subject');
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
