// Editor definition of plantwire-nats-connection (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-nats-connection.html by scripts/build.mjs.
import { connectionTest } from '../editor/kit';
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface NatsConnectionEditorProps extends EditorNodeProperties {
  version: number;
  servers: string;
  clientName: string;
  reconnectWait: number;
  tls: boolean;
  ca: string;
  cert: string;
  key: string;
}

interface NatsConnectionCredentials {
  user: string;
  password: string;
  token: string;
}

RED.nodes.registerType<NatsConnectionEditorProps, NatsConnectionCredentials>('plantwire-nats-connection', {
  category: 'config',
  color: '#A6D1B5',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-nats-connection.svg',
  paletteLabel: 'nats connection',
  label: function (this: NatsConnectionEditorProps) {
    return this.name || String(this.servers || 'nats://127.0.0.1:4222').replace(/^[a-z]+:\/\//, '');
  },
  oneditprepare: function (this: NatsConnectionEditorProps) {
    connectionTest(this);
    const toggle = function () {
      const secure = $('#node-config-input-tls').is(':checked') || /(^|[\s,])(tls|wss):/.test(String($('#node-config-input-servers').val() || ''));
      $('.plantwire-nats-tls').toggle(secure);
    };
    $('#node-config-input-tls').on('change', toggle);
    $('#node-config-input-servers').on('input change', toggle);
    toggle();
  },
});
