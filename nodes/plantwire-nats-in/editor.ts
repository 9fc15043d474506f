// Editor definition of plantwire-nats-in. Bundled with esbuild and
// inlined into dist/nodes/plantwire-nats-in.html by scripts/build.mjs.
import { nodeText, pickConfigs } from '../editor/kit';
import { prepareStreamRows, type PlantwireStreamProps } from '../editor/nats';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface NatsInEditorProps extends EditorNodeProperties, PlantwireStreamProps {
  version: number;
  connection: string;
  stream: string;
  durable: string;
  filter: string;
  ackMode: string;
  ackWait: number;
  maxDeliver: number;
  maxAckPending: number;
  inFlight: number;
  nakDelay: number;
  deliverFrom: string;
  json: boolean;
}

RED.nodes.registerType<NatsInEditorProps>('plantwire-nats-in', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 0,
  outputs: 2,
  icon: 'plantwire-nats-in.svg',
  paletteLabel: 'nats in',
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-nats-in.ports.out' + index);
  },
  label: function (this: NatsInEditorProps) {
    return this.name || String(this.stream || 'PLANTWIRE') + '/' + String(this.durable || 'plantwire');
  },
  labelStyle: function (this: NatsInEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: NatsInEditorProps) {
    pickConfigs(this);
    prepareStreamRows($('#plantwire-nats-in-stream'), this, spec);
    const toggle = function () {
      $('.plantwire-nats-manual').toggle($('#node-input-ackMode').val() === 'node');
    };
    $('#node-input-ackMode').on('change', toggle);
    toggle();
  },
});
