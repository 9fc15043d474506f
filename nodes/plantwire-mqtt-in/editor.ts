// Editor definition of plantwire-mqtt-in. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-mqtt-in.html.
import { invalid, nodeText, pickConfigs } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    broker: { value: '', type: 'plantwire-mqtt-broker', required: true },
    format: { value: 'json', required: true },
    topics: {
      value: '',
      validate: function (this: MqttInEditorProps, v: string, opt?: object) {
        const format = $('#node-input-format').length ? $('#node-input-format').val() : this.format;
        if (format === 'sparkplug') return true;
        const list = String(v || '')
          .split(/[\n,]/)
          .map(function (t) {
            return t.trim();
          })
          .filter(function (t) {
            return t !== '';
          });
        // Node-RED 4 shows a returned string as the field's error message.
        const message = invalid(this, opt, 'plantwire-mqtt-in.validation.topics');
        return (
          (list.length > 0 &&
          list.every(function (t) {
            const levels = t.replace(/^\$share\/[^/+#]+\//, '').split('/');
            return levels.every(function (l, i) {
              return (l.indexOf('#') < 0 || (l === '#' && i === levels.length - 1)) && (l.indexOf('+') < 0 || l === '+');
            });
          })) ||
          message
        );
      },
    },
    qos: { value: '1' },
    assetLevels: { value: 0, validate: RED.validators.number(true) },
    group: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (!/[/+#]/.test(String(v || ''))) || invalid(this, opt, 'plantwire-mqtt-in.validation.group');
      },
    },
    tagNames: { value: 'path' },
    rebirth: { value: true },
    rebirthHoldoff: { value: 5000, validate: RED.validators.number(true) },
    hostId: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (!/[/+#]/.test(String(v || ''))) || invalid(this, opt, 'plantwire-mqtt-in.validation.hostId');
      },
    },
    output: { value: 'each' },
  },
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
