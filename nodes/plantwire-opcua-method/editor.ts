// Editor definition of plantwire-opcua-method. The browse tree comes from
// nodes/editor/opcua.ts: clicking a
// method fills the method and its object.
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';
import { opcua, type PlantwireOpcUaTagRow } from '../editor/opcua';
import { nodeText, pickConfigs } from '../editor/kit';

interface OpcUaMethodEditorProps extends EditorNodeProperties {
  version: number;
  endpoint: string;
  objectId: string;
  methodId: string;
  args: string;
}

RED.nodes.registerType<OpcUaMethodEditorProps>('plantwire-opcua-method', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-opcua-method.svg',
  paletteLabel: 'opc ua call',
  inputLabels: function () {
    return nodeText(this, 'plantwire-opcua-method.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-opcua-method.ports.out0');
  },
  label: function (this: OpcUaMethodEditorProps) {
    if (this.name) return this.name;
    const m = String(this.methodId || '');
    const short = m.split(/[/;=]/).pop() || m;
    return short ? short + '()' : nodeText(this, 'plantwire-opcua-method.canvas.none');
  },
  labelStyle: function (this: OpcUaMethodEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: OpcUaMethodEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    const panel = $('#pw-opcua-method-browser');
    $('#pw-opcua-method-browse').on('click', function (e) {
      e.preventDefault();
      if (panel.is(':visible')) {
        panel.hide();
        return;
      }
      panel.show();
      open();
    });
    const open = function () {
      opcua.browser(panel, '#node-input-endpoint', null, function (item, parent) {
        $('#node-input-methodId').val(item.browsePath || item.nodeId);
        if (parent) $('#node-input-objectId').val(parent.browsePath || parent.nodeId);
      });
    };
    // Another endpoint chosen while the tree is open: browse that one.
    $('#node-input-endpoint').on('change', function () {
      if (panel.is(':visible')) open();
    });
  },
});
