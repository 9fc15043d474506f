// Editor definition of plantwire-nats-in. Bundled with esbuild and
// inlined into dist/nodes/plantwire-nats-in.html by scripts/build.mjs.
import { invalid, nodeText, pickConfigs } from '../editor/kit';

interface NatsInEditorProps extends EditorNodeProperties {
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
  subjects: string;
  retention: string;
  replicas: number;
  storage: string;
  maxAgeHours: number;
  duplicateWindow: number;
}

RED.nodes.registerType<NatsInEditorProps>('plantwire-nats-in', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    connection: { value: '', type: 'plantwire-nats-connection', required: true },
    stream: {
      value: 'PLANTWIRE',
      required: true,
      validate: function (v: string, opt?: object) {
        return /^[A-Za-z0-9_-]{1,64}$/.test(String(v || '')) || invalid(this, opt, 'plantwire-nats-in.validation.name');
      },
    },
    durable: {
      value: 'plantwire',
      required: true,
      validate: function (v: string, opt?: object) {
        return /^[A-Za-z0-9_-]{1,64}$/.test(String(v || '')) || invalid(this, opt, 'plantwire-nats-in.validation.name');
      },
    },
    filter: {
      value: '',
      validate: function (v: string, opt?: object) {
        const s = String(v || '').trim();
        return s === '' || (!/\s/.test(s) && !/(^\.|\.\.|\.$)/.test(s)) || invalid(this, opt, 'plantwire-nats-in.validation.filter');
      },
    },
    ackMode: { value: 'node' },
    ackWait: { value: 30, validate: RED.validators.number() },
    maxDeliver: { value: 5, validate: RED.validators.number() },
    maxAckPending: { value: 10000, validate: RED.validators.number() },
    inFlight: { value: 1000, validate: RED.validators.number() },
    nakDelay: { value: 1, validate: RED.validators.number() },
    deliverFrom: { value: 'all' },
    json: { value: true },
    subjects: { value: 'uns.>' },
    retention: { value: 'limits' },
    replicas: { value: 1, validate: RED.validators.number() },
    storage: { value: 'file' },
    maxAgeHours: { value: 168, validate: RED.validators.number() },
    duplicateWindow: { value: 120, validate: RED.validators.number() },
  },
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
    const toggle = function () {
      $('.plantwire-nats-manual').toggle($('#node-input-ackMode').val() === 'node');
    };
    $('#node-input-ackMode').on('change', toggle);
    toggle();
  },
});
