// Editor definition of plantwire-cloud-out. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-cloud-out.html.
// The durable-buffer rows are nodes/editor/buffer.ts.
import { prepareBuffer } from '../editor/buffer';
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface CloudOutBufferProps {
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

interface CloudOutEditorProps extends EditorNodeProperties, CloudOutBufferProps {
  version: number;
  connection: string;
  topic: string;
  topicType: string;
  properties: string;
}

RED.nodes.registerType<CloudOutEditorProps>('plantwire-cloud-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-cloud-out.svg',
  align: 'right',
  paletteLabel: 'cloud out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-cloud-out.ports.in');
  },
  label: function (this: CloudOutEditorProps) {
    if (this.name) return this.name;
    const conn = RED.nodes.node(this.connection) as unknown as { name?: string; target?: string } | null;
    return 'cloud ' + (conn ? conn.name || conn.target || '' : '');
  },
  labelStyle: function (this: CloudOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: CloudOutEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    typedField(this, 'topic');
    // Topic (AWS IoT) and properties (Azure, AWS IoT) rows follow the selected connection's target.
    const toggle = function () {
      const conn = RED.nodes.node(String($('#node-input-connection').val() || '')) as unknown as { target?: string } | null;
      const target = conn && conn.target ? conn.target : '';
      $('.plantwire-cloud-out-topic').toggle(target === '' || target === 'aws-iot');
      $('.plantwire-cloud-out-properties').toggle(target === '' || target === 'azure-iot' || target === 'aws-iot');
    };
    $('#node-input-connection').on('change', toggle);
    toggle();
    prepareBuffer($('#plantwire-cloud-out-buffer'), this, 'plantwire-cloud-out');
  },
});
