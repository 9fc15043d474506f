// Editor definition of plantwire-deadband. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-deadband.html.
import { invalid } from '../editor/kit';

interface DeadbandEditorProps extends EditorNodeProperties {
  version: number;
  mode: string;
  deadband: string;
  percentOf: string;
  span: string;
  heartbeat: string;
  heartbeatOutput: string;
  maxTags: string;
}

RED.nodes.registerType<DeadbandEditorProps>('plantwire-deadband', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    mode: { value: 'absolute', required: true },
    deadband: {
      value: '0',
      required: true,
      validate: function (this: DeadbandEditorProps, v: string, opt?: object) {
        const n = Number(v);
        return (String(v).trim() !== '' && !isNaN(n) && n >= 0 && (this.mode !== 'percent' || n <= 100)) || invalid(this, opt, 'plantwire-deadband.validation.deadband');
      },
    },
    percentOf: { value: 'last' },
    span: {
      value: '',
      validate: function (this: DeadbandEditorProps, v: string, opt?: object) {
        return (this.mode !== 'percent' || this.percentOf !== 'span' || Number(v) > 0) || invalid(this, opt, 'plantwire-deadband.validation.span');
      },
    },
    heartbeat: {
      value: '0',
      validate: function (v: string, opt?: object) {
        const n = Number(v);
        return (String(v).trim() === '' || (!isNaN(n) && (n === 0 || (n >= 0.1 && n <= 604800)))) || invalid(this, opt, 'plantwire-deadband.validation.heartbeat');
      },
    },
    heartbeatOutput: { value: 'each' },
    maxTags: {
      value: '10000',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 1000000)) || invalid(this, opt, 'plantwire-deadband.validation.maxTags');
      },
    },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-deadband.svg',
  paletteLabel: 'deadband',
  inputLabels: 'tag sample or batch',
  outputLabels: 'samples that changed beyond the deadband, quality changes and heartbeats',
  label: function (this: DeadbandEditorProps) {
    if (this.name) return this.name;
    const band = this.mode === 'percent' ? '±' + this.deadband + ' %' : '±' + this.deadband;
    return 'deadband ' + band + (Number(this.heartbeat) > 0 ? ' ♥ ' + this.heartbeat + ' s' : '');
  },
  labelStyle: function (this: DeadbandEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: DeadbandEditorProps) {
    // The node's own message catalogue (RED._ would need the palette's namespace).
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const toggle = function () {
      const percent = $('#node-input-mode').val() === 'percent';
      $('.plantwire-db-percent').toggle(percent);
      $('.plantwire-db-span').toggle(percent && $('#node-input-percentOf').val() === 'span');
      $('#plantwire-db-unit').text(percent ? '%' : i18n('plantwire-deadband.label.engUnits'));
      $('.plantwire-db-hb').toggle(Number($('#node-input-heartbeat').val()) > 0);
    };
    $('#node-input-mode, #node-input-percentOf').on('change', toggle);
    $('#node-input-heartbeat').on('input change', toggle);
    toggle();
  },
});
