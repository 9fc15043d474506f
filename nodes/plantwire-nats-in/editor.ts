// Editor definition of plantwire-nats-in. Compiled to a plain script and
// inlined into dist/nodes/plantwire-nats-in.html by scripts/build.mjs.

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
        return /^[A-Za-z0-9_-]{1,64}$/.test(String(v || '')) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-nats-in.validation.name') : false) as unknown as boolean);
      },
    },
    durable: {
      value: 'plantwire',
      required: true,
      validate: function (v: string, opt?: object) {
        return /^[A-Za-z0-9_-]{1,64}$/.test(String(v || '')) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-nats-in.validation.name') : false) as unknown as boolean);
      },
    },
    filter: {
      value: '',
      validate: function (v: string, opt?: object) {
        const s = String(v || '').trim();
        return s === '' || (!/\s/.test(s) && !/(^\.|\.\.|\.$)/.test(s)) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-nats-in.validation.filter') : false) as unknown as boolean);
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
  outputLabels: ['message (acknowledge with a nats ack node)', 'dead letter (max deliveries reached or terminated)'],
  label: function (this: NatsInEditorProps) {
    return this.name || String(this.stream || 'PLANTWIRE') + '/' + String(this.durable || 'plantwire');
  },
  labelStyle: function (this: NatsInEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: NatsInEditorProps) {
    (window as unknown as { PlantwireEditor?: PlantwireEditorKit }).PlantwireEditor?.pickConfigs(this as unknown as EditorNodeProperties & { id: string });
    const toggle = function () {
      $('.plantwire-nats-manual').toggle($('#node-input-ackMode').val() === 'node');
    };
    $('#node-input-ackMode').on('change', toggle);
    toggle();
  },
});
