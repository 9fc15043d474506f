// Editor definition of plantwire-deadband. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-deadband.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-deadband.svg',
  paletteLabel: 'deadband',
  inputLabels: function () {
    return nodeText(this, 'plantwire-deadband.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-deadband.ports.out0');
  },
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
