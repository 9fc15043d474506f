// Editor definition of plantwire-normalize. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-normalize.html.
import { invalid } from '../editor/kit';

interface NormalizeEditorProps extends EditorNodeProperties {
  version: number;
  tag: string;
  timestamp: string;
  timestampField: string;
  quality: string;
  objects: string;
  arrays: string;
  parseStrings: boolean;
  unit: string;
  asset: string;
  output: string;
}

RED.nodes.registerType<NormalizeEditorProps>('plantwire-normalize', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    tag: { value: '' },
    timestamp: { value: 'auto', required: true },
    timestampField: {
      value: '',
      validate: function (this: NormalizeEditorProps, v: string, opt?: object) {
        return (this.timestamp !== 'field' || String(v).trim() !== '') || invalid(this, opt, 'plantwire-normalize.validation.timestampField');
      },
    },
    quality: { value: 'good', required: true },
    objects: { value: 'split' },
    arrays: { value: 'value' },
    parseStrings: { value: true },
    unit: { value: '' },
    asset: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (!/[#+]/.test(String(v))) || invalid(this, opt, 'plantwire-normalize.validation.asset');
      },
    },
    output: { value: 'auto' },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-normalize.svg',
  paletteLabel: 'normalize',
  inputLabels: 'anything: values, objects, OPC UA / Sparkplug / Modbus shapes, samples',
  outputLabels: 'tag sample(s)',
  label: function (this: NormalizeEditorProps) {
    return this.name || (this.tag ? 'normalize ' + this.tag : 'normalize');
  },
  labelStyle: function (this: NormalizeEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    const toggle = function () {
      $('.plantwire-norm-field').toggle($('#node-input-timestamp').val() === 'field');
    };
    $('#node-input-timestamp').on('change', toggle);
    toggle();
  },
});
