// Editor definition of plantwire-opcua-in. The tag list and the browse tree
// come from nodes/editor/opcua.ts.
import { opcua, type PlantwireOpcUaTagRow } from '../editor/opcua';
import { invalid, pickConfigs } from '../editor/kit';

interface OpcUaInEditorProps extends EditorNodeProperties {
  version: number;
  endpoint: string;
  tags: PlantwireOpcUaTagRow[];
  publishingInterval: number;
  samplingInterval: number;
  queueSize: number;
  deadbandType: string;
  deadbandValue: number;
  output: string;
  units: boolean;
}

RED.nodes.registerType<OpcUaInEditorProps>('plantwire-opcua-in', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    endpoint: { value: '', type: 'plantwire-opcua-endpoint', required: true },
    tags: { value: [] },
    publishingInterval: {
      value: 1000,
      required: true,
      validate: function (v: string, opt?: object) {
        // Node-RED 4 shows a returned string as the field's error message.
        return /^\d+$/.test(String(v)) && Number(v) >= 10 || invalid(this, opt, 'plantwire-opcua-in.validation.publishingInterval');
      },
    },
    samplingInterval: { value: 1000, required: true, validate: RED.validators.number() },
    queueSize: {
      value: 10,
      required: true,
      validate: function (v: string, opt?: object) {
        // Node-RED 4 shows a returned string as the field's error message.
        return /^\d+$/.test(String(v)) && Number(v) >= 1 || invalid(this, opt, 'plantwire-opcua-in.validation.queueSize');
      },
    },
    deadbandType: { value: 'none' },
    deadbandValue: { value: 0, validate: RED.validators.number() },
    output: { value: 'batch', required: true },
    units: { value: true },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-opcua-in.svg',
  paletteLabel: 'opc ua in',
  inputLabels: 'change the tags: msg.action subscribe/unsubscribe/replace/clear',
  outputLabels: function (this: OpcUaInEditorProps) {
    return this.output === 'each' ? 'one tag sample per change' : 'one batch of tag samples per publish';
  },
  label: function (this: OpcUaInEditorProps) {
    if (this.name) return this.name;
    const n = (this.tags || []).length;
    return n === 1 ? 'OPC UA ' + ((this.tags[0] && (this.tags[0].tag || this.tags[0].browsePath || this.tags[0].nodeId)) || '') : 'OPC UA in (' + n + ' tags)';
  },
  labelStyle: function (this: OpcUaInEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: OpcUaInEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    opcua.tagPicker(this.tags || [], '#pw-opcua-in-browser', '#pw-opcua-in-browse');
    const toggle = function () {
      $('.pw-opcua-deadband-value').toggle($('#node-input-deadbandType').val() !== 'none');
    };
    $('#node-input-deadbandType').on('change', toggle);
    toggle();
  },
  oneditsave: function (this: OpcUaInEditorProps) {
    this.tags = opcua.readTagList($('#node-input-tag-list'));
  },
});
