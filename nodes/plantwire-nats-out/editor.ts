// Editor definition of plantwire-nats-out. Bundled with esbuild and
// inlined into dist/nodes/plantwire-nats-out.html by scripts/build.mjs.
// The durable-buffer rows come from the shared module nodes/editor/buffer.ts
// (labels from this node's "buffer.*" keys).
import { prepareBuffer, type PlantwireBufferProps } from '../editor/buffer';
import { nodeText, pickConfigs } from '../editor/kit';
import { prepareStreamRows, type PlantwireStreamProps } from '../editor/nats';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface NatsOutEditorProps extends EditorNodeProperties, PlantwireBufferProps, PlantwireStreamProps {
  version: number;
  connection: string;
  subject: string;
  asset: string;
  payload: string;
  dedup: string;
  ackTimeout: number;
  stream: string;
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

RED.nodes.registerType<NatsOutEditorProps>('plantwire-nats-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 0,
  align: 'right',
  icon: 'plantwire-nats-out.svg',
  paletteLabel: 'nats out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-nats-out.ports.in');
  },
  label: function (this: NatsOutEditorProps) {
    return this.name || String(this.subject || 'nats out');
  },
  labelStyle: function (this: NatsOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: NatsOutEditorProps) {
    pickConfigs(this);
    prepareStreamRows($('#plantwire-nats-out-stream'), this, spec);
    prepareBuffer($('#plantwire-nats-out-buffer'), this, 'plantwire-nats-out');
  },
});
