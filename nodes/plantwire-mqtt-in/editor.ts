// Editor definition of plantwire-mqtt-in. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-mqtt-in.html.
import { nodeText, pickConfigs } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface MqttInEditorProps extends EditorNodeProperties {
  version: number;
  broker: string;
  format: string;
  topics: string;
  qos: string;
  assetLevels: number;
  group: string;
  tagNames: string;
  rebirth: boolean;
  rebirthHoldoff: number;
  hostId: string;
  output: string;
}

RED.nodes.registerType<MqttInEditorProps>('plantwire-mqtt-in', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 0,
  outputs: 1,
  icon: 'plantwire-mqtt-in.svg',
  paletteLabel: 'mqtt in',
  outputLabels: function (this: MqttInEditorProps) {
    return nodeText(this, this.output === 'batch' ? 'plantwire-mqtt-in.canvas.batch' : 'plantwire-mqtt-in.canvas.each');
  },
  label: function (this: MqttInEditorProps) {
    if (this.name) return this.name;
    if (this.format === 'sparkplug') return nodeText(this, 'plantwire-mqtt-in.canvas.sparkplugHost', { group: this.group ? this.group : nodeText(this, 'plantwire-mqtt-in.canvas.allGroups') });
    const first = String(this.topics || '').split(/[\n,]/)[0] || 'mqtt in';
    return first.trim();
  },
  labelStyle: function (this: MqttInEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: MqttInEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    const toggle = function () {
      const sparkplug = $('#node-input-format').val() === 'sparkplug';
      $('.plantwire-mqtt-plain').toggle(!sparkplug);
      $('.plantwire-mqtt-sparkplug').toggle(sparkplug);
      $('.plantwire-mqtt-holdoff').toggle(sparkplug && $('#node-input-rebirth').is(':checked'));
    };
    $('#node-input-format, #node-input-rebirth').on('change', toggle);
    toggle();
  },
});
