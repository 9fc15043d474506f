// Editor definition of plantwire-nats-ack. Bundled with esbuild and
// inlined into dist/nodes/plantwire-nats-ack.html by scripts/build.mjs.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface NatsAckEditorProps extends EditorNodeProperties {
  version: number;
  action: string;
  nakDelay: string;
}

RED.nodes.registerType<NatsAckEditorProps>('plantwire-nats-ack', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-nats-ack.svg',
  paletteLabel: 'nats ack',
  inputLabels: function () {
    return nodeText(this, 'plantwire-nats-ack.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-nats-ack.ports.out0');
  },
  label: function (this: NatsAckEditorProps) {
    return this.name || 'nats ' + (this.action || 'ack');
  },
  labelStyle: function (this: NatsAckEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: NatsAckEditorProps) {
    const toggle = function () {
      $('.plantwire-nats-nak').toggle($('#node-input-action').val() === 'nak');
    };
    $('#node-input-action').on('change', toggle);
    toggle();
  },
});
