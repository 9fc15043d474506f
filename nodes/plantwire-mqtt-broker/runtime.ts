import { testBroker } from '../../src/connectors/mqtt/options';
import { addConnectionTest } from '../../src/runtime/test-connection';
import { attachBroker, attachBrokerError, MqttBroker } from '../../src/connectors/mqtt/broker';
import { brokerSettings, type BrokerConfig } from '../../src/connectors/mqtt/options';
import { toError } from '../../src/model/errors';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';

const TYPE = 'plantwire-mqtt-broker';

type BrokerNodeConfig = NodeConfig & BrokerConfig;

export = function register(RED: RedApi): void {
  addConnectionTest(RED, {
    type: TYPE,
    what: 'MQTT broker',
    secretKeys: ['username', 'password', 'passphrase'] as const,
    address: (c) => String(c.url ?? '').trim() || 'mqtt://127.0.0.1:1883',
    run: (c, creds) => testBroker(brokerSettings(c as BrokerConfig, creds)),
  });
  defineNode<BrokerNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      username: { type: 'text' },
      password: { type: 'password' },
      passphrase: { type: 'password' },
    },
    setup(node: RedNode, config: BrokerNodeConfig) {
      let broker: MqttBroker;
      try {
        const creds = node.credentials ?? {};
        // The dialog's rules (nodes/plantwire-mqtt-broker/fields.ts) first, then the connector's options.
        parseFields(spec, config as unknown as Record<string, unknown>);
        const settings = brokerSettings(config, { username: creds.username, password: creds.password, passphrase: creds.passphrase });
        broker = new MqttBroker(node, settings);
      } catch (err) {
        // Users (mqtt-in, mqtt-out) show what is wrong with their broker.
        attachBrokerError(node, toError(err));
        throw err;
      }
      attachBroker(node, broker);
      onClose(node, () => broker.close());
    },
  });
};
