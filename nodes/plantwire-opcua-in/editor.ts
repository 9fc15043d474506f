// Editor definition of plantwire-opcua-in. The tag list and the browse tree
// come from nodes/editor/opcua.ts.
import { opcua, type PlantwireOpcUaTagRow } from '../editor/opcua';
import { nodeText, pickConfigs } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-opcua-in.svg',
  paletteLabel: 'opc ua in',
  inputLabels: function () {
    return nodeText(this, 'plantwire-opcua-in.ports.in');
  },
  outputLabels: function (this: OpcUaInEditorProps) {
    return nodeText(this, this.output === 'each' ? 'plantwire-opcua-in.canvas.each' : 'plantwire-opcua-in.canvas.batch');
  },
  label: function (this: OpcUaInEditorProps) {
    if (this.name) return this.name;
    const n = (this.tags || []).length;
    return n === 1 ? nodeText(this, 'plantwire-opcua-in.canvas.one', { tag: (this.tags[0] && (this.tags[0].tag || this.tags[0].browsePath || this.tags[0].nodeId)) || '' }) : nodeText(this, 'plantwire-opcua-in.canvas.tags', { count: n });
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
