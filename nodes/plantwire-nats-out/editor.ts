// Editor definition of plantwire-nats-out. Bundled with esbuild and
// inlined into dist/nodes/plantwire-nats-out.html by scripts/build.mjs.
// The durable-buffer rows come from the shared module nodes/editor/buffer.ts
// (labels from this node's "buffer.*" keys).
import { prepareBuffer, type PlantwireBufferProps } from '../editor/buffer';
import { invalid, nodeText, pickConfigs } from '../editor/kit';

interface NatsOutEditorProps extends EditorNodeProperties, PlantwireBufferProps {
  version: number;
  connection: string;
  subject: string;
  asset: string;
  payload: string;
  dedup: string;
  ackTimeout: number;
  stream: string;
  subjects: string;
  retention: string;
  replicas: number;
  storage: string;
  maxAgeHours: number;
  duplicateWindow: number;
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

RED.nodes.registerType<NatsOutEditorProps>('plantwire-nats-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    connection: { value: '', type: 'plantwire-nats-connection', required: true },
    subject: {
      value: 'uns.{asset}.{tag}',
      required: true,
      validate: function (v: string, opt?: object) {
        const s = String(v || '').trim();
        return (s !== '' && !/[\s*>]/.test(s) && !/(^\.|\.\.|\.$)/.test(s)) || invalid(this, opt, 'plantwire-nats-out.validation.subject');
      },
    },
    asset: { value: '' },
    payload: { value: 'sample' },
    dedup: { value: 'sample' },
    ackTimeout: { value: 5, validate: RED.validators.number() },
    stream: {
      value: 'PLANTWIRE',
      required: true,
      validate: function (v: string, opt?: object) {
        return /^[A-Za-z0-9_-]{1,64}$/.test(String(v || '')) || invalid(this, opt, 'plantwire-nats-out.validation.stream');
      },
    },
    subjects: { value: 'uns.>' },
    retention: { value: 'limits' },
    replicas: { value: 1, validate: RED.validators.number() },
    storage: { value: 'file' },
    maxAgeHours: { value: 168, validate: RED.validators.number() },
    duplicateWindow: { value: 120, validate: RED.validators.number() },
    bufferMode: { value: 'off' },
    bufferMaxEntries: { value: 100000, validate: RED.validators.number(true) },
    bufferMaxMB: { value: 64, validate: RED.validators.number(true) },
    bufferOverflow: { value: 'drop-oldest' },
    bufferReplayRate: { value: 0, validate: RED.validators.number(true) },
  },
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
    prepareBuffer($('#plantwire-nats-out-buffer'), this, 'plantwire-nats-out');
  },
});
