// Editor definition of plantwire-normalize. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-normalize.html.
import { nodeText, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-normalize.svg',
  paletteLabel: 'normalize',
  inputLabels: function () {
    return nodeText(this, 'plantwire-normalize.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-normalize.ports.out0');
  },
  label: function (this: NormalizeEditorProps) {
    return this.name || (this.tag ? 'normalize ' + this.tag : 'normalize');
  },
  labelStyle: function (this: NormalizeEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function () {
    // Tag, unit and asset path: a fixed text, or read per message from msg/flow/global/env.
    typedField(this, 'tag');
    typedField(this, 'unit');
    typedField(this, 'asset');
    const toggle = function () {
      $('.plantwire-norm-field').toggle($('#node-input-timestamp').val() === 'field');
    };
    $('#node-input-timestamp').on('change', toggle);
    toggle();
  },
});
