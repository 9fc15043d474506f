import { MqttBroker } from '../../src/connectors/mqtt/broker';
import { brokerSettings, testBroker, type BrokerConfig, type BrokerSettings } from '../../src/connectors/mqtt/options';
import { defineConfigNode } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & BrokerConfig, BrokerSettings, MqttBroker>(RED, {
    type: 'plantwire-mqtt-broker',
    label: 'MQTT broker',
    field: 'broker',
    credentials: spec.credentials,
    // The dialog's rules, checked once (src/connectors/mqtt/broker-fields.ts), turned into the connector's options.
    settings: (config, creds) => brokerSettings(config, creds),
    open: (node, settings) => new MqttBroker(node, settings),
    test: {
      what: 'MQTT broker',
      secretKeys: ['username', 'password', 'passphrase'],
      address: (c) => String(c.url ?? '').trim() || 'mqtt://127.0.0.1:1883',
      run: (c, creds) => testBroker(brokerSettings(c as BrokerConfig, creds)),
    },
  });
};
