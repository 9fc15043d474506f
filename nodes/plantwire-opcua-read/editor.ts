// Editor definition of plantwire-opcua-read. The tag list and the browse tree
// come from nodes/editor/opcua.ts.
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';
import { opcua, type PlantwireOpcUaTagRow } from '../editor/opcua';
import { nodeText, pickConfigs } from '../editor/kit';

interface OpcUaReadEditorProps extends EditorNodeProperties {
  version: number;
  endpoint: string;
  tags: PlantwireOpcUaTagRow[];
  output: string;
}

RED.nodes.registerType<OpcUaReadEditorProps>('plantwire-opcua-read', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-opcua-read.svg',
  paletteLabel: 'opc ua read',
  inputLabels: function () {
    return nodeText(this, 'plantwire-opcua-read.ports.in');
  },
  outputLabels: function (this: OpcUaReadEditorProps) {
    return nodeText(this, this.output === 'each' ? 'plantwire-opcua-read.canvas.each' : 'plantwire-opcua-read.canvas.batch');
  },
  label: function (this: OpcUaReadEditorProps) {
    if (this.name) return this.name;
    const n = (this.tags || []).length;
    return n === 0 ? nodeText(this, 'plantwire-opcua-read.canvas.topic') : n === 1 ? nodeText(this, 'plantwire-opcua-read.canvas.one') : nodeText(this, 'plantwire-opcua-read.canvas.tags', { count: n });
  },
  labelStyle: function (this: OpcUaReadEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: OpcUaReadEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    opcua.tagPicker(this.tags || [], '#pw-opcua-read-browser', '#pw-opcua-read-browse');
  },
  oneditsave: function (this: OpcUaReadEditorProps) {
    this.tags = opcua.readTagList($('#node-input-tag-list'));
  },
});
