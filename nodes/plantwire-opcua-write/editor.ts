// Editor definition of plantwire-opcua-write. The tag list and the browse tree
// come from nodes/editor/opcua.ts.
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';
import { opcua, type PlantwireOpcUaTagRow } from '../editor/opcua';
import { nodeText, pickConfigs } from '../editor/kit';

interface OpcUaWriteEditorProps extends EditorNodeProperties {
  version: number;
  endpoint: string;
  tags: PlantwireOpcUaTagRow[];
}

RED.nodes.registerType<OpcUaWriteEditorProps>('plantwire-opcua-write', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-opcua-write.svg',
  align: 'right',
  paletteLabel: 'opc ua out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-opcua-write.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-opcua-write.ports.out0');
  },
  label: function (this: OpcUaWriteEditorProps) {
    if (this.name) return this.name;
    const t = this.tags || [];
    return t.length === 1 ? nodeText(this, 'plantwire-opcua-write.canvas.one', { tag: String(t[0] && (t[0].tag || t[0].browsePath || t[0].nodeId)) }) : nodeText(this, 'plantwire-opcua-write.canvas.none');
  },
  labelStyle: function (this: OpcUaWriteEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: OpcUaWriteEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    opcua.tagPicker(this.tags || [], '#pw-opcua-write-browser', '#pw-opcua-write-browse');
  },
  oneditsave: function (this: OpcUaWriteEditorProps) {
    this.tags = opcua.readTagList($('#node-input-tag-list'));
  },
});
