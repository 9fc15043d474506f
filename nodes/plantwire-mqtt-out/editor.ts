// Editor definition of plantwire-mqtt-out, bundled into dist/nodes/plantwire-mqtt-out.html by scripts/build.mjs.
import { prepareBuffer, type PlantwireBufferProps } from '../editor/buffer';
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface MqttOutMetricRow {
  name: string;
  type: string;
}

interface MqttOutEditorProps extends EditorNodeProperties, PlantwireBufferProps {
  version: number;
  broker: string;
  mode: string;
  template: string;
  templateType: string;
  asset: string;
  assetType: string;
  payload: string;
  qos: string;
  retain: boolean;
  group: string;
  edgeNode: string;
  device: string;
  aliases: boolean;
  primaryHost: string;
  buffer: number;
  metrics: MqttOutMetricRow[];
}

RED.nodes.registerType<MqttOutEditorProps>('plantwire-mqtt-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-mqtt-out.svg',
  align: 'right',
  paletteLabel: 'mqtt out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-mqtt-out.ports.in');
  },
  label: function (this: MqttOutEditorProps) {
    if (this.name) return this.name;
    if (this.mode === 'sparkplug') return 'Sparkplug ' + (this.group || '?') + '/' + (this.edgeNode || '?') + (this.device ? '/' + this.device : '');
    if (this.mode === 'template') return this.templateType && this.templateType !== 'str' ? (this.templateType === 'env' ? '${' + this.template + '}' : this.templateType + '.' + this.template) : this.template || 'mqtt out';
    if (this.assetType && this.assetType !== 'str') return 'UNS ' + (this.assetType === 'env' ? '${' + this.asset + '}' : this.assetType + '.' + this.asset) + '/…';
    return 'UNS ' + (this.asset ? this.asset + '/…' : '{asset}/{tag}');
  },
  labelStyle: function (this: MqttOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: MqttOutEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    // The default asset path may come from the message, context or an environment variable.
    typedField(this, 'asset');
    typedField(this, 'template');
    const types = ['Double', 'Float', 'Boolean', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'String', 'Text', 'DateTime'];
    const list = $('#node-input-metric-list');
    list.editableList({
      addItem: function (row: JQuery, _index: number, data: MqttOutMetricRow) {
        const r = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        $('<input/>', { type: 'text', class: 'metric-name', placeholder: 'Line1/Filler/Temperature', style: 'flex:3' }).val(data.name || '').appendTo(r);
        const type = $('<select/>', { class: 'metric-type', style: 'flex:1' }).appendTo(r);
        types.forEach(function (t) {
          $('<option/>').val(t).text(t).appendTo(type);
        });
        type.val(data.type || 'Double');
      },
      removable: true,
      sortable: true,
      height: 150,
    });
    (this.metrics || []).forEach(function (m) {
      list.editableList('addItem', m);
    });
    const toggle = function () {
      const mode = $('#node-input-mode').val();
      $('.plantwire-out-uns').toggle(mode !== 'sparkplug');
      $('.plantwire-out-template').toggle(mode === 'template');
      $('.plantwire-out-sparkplug').toggle(mode === 'sparkplug');
    };
    $('#node-input-mode').on('change', toggle);
    toggle();
    prepareBuffer($('#plantwire-out-buffer'), this, 'plantwire-mqtt-out');
  },
  oneditsave: function (this: MqttOutEditorProps) {
    const rows: MqttOutMetricRow[] = [];
    $('#node-input-metric-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        const r = $(this);
        const name = String(r.find('.metric-name').val() || '').trim();
        if (name) rows.push({ name: name, type: String(r.find('.metric-type').val()) });
      });
    this.metrics = rows;
  },
});
