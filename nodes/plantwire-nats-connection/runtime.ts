import { NatsLink, testNats } from '../../src/connectors/nats/connection';
import { natsConnectionSettings, type NatsConnectionConfig } from '../../src/connectors/nats/settings';
import { onClose } from '../../src/runtime/close';
import { attachHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { addConnectionTest } from '../../src/runtime/test-connection';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-nats-connection';

type NatsConnectionNodeConfig = NodeConfig & NatsConnectionConfig;

export = function register(RED: RedApi): void {
  addConnectionTest(RED, {
    type: TYPE,
    what: 'NATS server',
    secretKeys: ['user', 'password', 'token'] as const,
    address: (c) => String(c.servers ?? '').trim().split(/[\s,]+/)[0] || 'nats://127.0.0.1:4222',
    run: (c, creds) => testNats(natsConnectionSettings(c as NatsConnectionConfig, creds)),
  });
  defineNode<NatsConnectionNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      token: { type: 'password' },
    },
    setup(node: RedNode, config: NatsConnectionNodeConfig) {
      const creds = node.credentials ?? {};
      // A bad setting throws here: the node stays inert, its users say "NATS connection misconfigured".
      const link = new NatsLink(node, natsConnectionSettings(config, { user: creds.user, password: creds.password, token: creds.token }));
      attachHandle(node, 'nats', link);
      onClose(node, () => link.close());
    },
  });
};
