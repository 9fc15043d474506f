import { NatsLink, testNats } from '../../src/connectors/nats/connection';
import { natsConnectionSettings, type NatsConnectionConfig, type NatsConnectionSettings } from '../../src/connectors/nats/settings';
import { defineConfigNode } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & NatsConnectionConfig, NatsConnectionSettings, NatsLink>(RED, {
    type: 'plantwire-nats-connection',
    label: 'NATS connection',
    field: 'connection',
    credentials: spec.credentials,
    settings: (config, creds) => natsConnectionSettings(config, { user: creds.user, password: creds.password, token: creds.token }),
    open: (node, settings) => new NatsLink(node, settings),
    test: {
      what: 'NATS server',
      secretKeys: ['user', 'password', 'token'],
      address: (c) => String(c.servers ?? '').trim().split(/[\s,]+/)[0] || 'nats://127.0.0.1:4222',
      run: (c, creds) => testNats(natsConnectionSettings(c as NatsConnectionConfig, creds)),
    },
  });
};
