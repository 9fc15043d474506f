// Editor definition of plantwire-mqtt-broker (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-mqtt-broker.html by scripts/build.mjs.
import { connectionTest } from '../editor/kit';
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface MqttBrokerEditorProps extends EditorNodeProperties {
  version: number;
  url: string;
  protocolVersion: string;
  clientId: string;
  clean: boolean;
  sessionExpiry: number;
  keepalive: number;
  reconnectPeriod: number;
  connectTimeout: number;
  tls: boolean;
  ca: string;
  cert: string;
  key: string;
  rejectUnauthorized: boolean;
  servername: string;
  willTopic: string;
  willPayload: string;
  willQos: string;
  willRetain: boolean;
}

interface MqttBrokerCredentials {
  username: string;
  password: string;
  passphrase: string;
}

RED.nodes.registerType<MqttBrokerEditorProps, MqttBrokerCredentials>('plantwire-mqtt-broker', {
  category: 'config',
  color: '#D8BFD8',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-mqtt-broker.svg',
  paletteLabel: 'mqtt broker',
  label: function (this: MqttBrokerEditorProps) {
    if (this.name) return this.name;
    const url = String(this.url || 'mqtt://127.0.0.1:1883').replace(/^[a-z]+:\/\//, '');
    return (this.clientId ? this.clientId + '@' : '') + url;
  },
  oneditprepare: function (this: MqttBrokerEditorProps) {
    connectionTest(this);
    const toggle = function () {
      const url = String($('#node-config-input-url').val() || '');
      const secure = $('#node-config-input-tls').is(':checked') || /^(mqtts|wss|ssl):/.test(url);
      $('.plantwire-mqtt-tls').toggle(secure);
      const v5 = $('#node-config-input-protocolVersion').val() === '5';
      const persistent = !$('#node-config-input-clean').is(':checked');
      $('.plantwire-mqtt-expiry').toggle(v5 && persistent);
      $('.plantwire-mqtt-persistent-hint').toggle(persistent);
      $('.plantwire-mqtt-will').toggle(String($('#node-config-input-willTopic').val() || '') !== '');
    };
    $('#node-config-input-tls, #node-config-input-clean, #node-config-input-protocolVersion').on('change', toggle);
    $('#node-config-input-url, #node-config-input-willTopic').on('input change', toggle);
    toggle();
  },
});
