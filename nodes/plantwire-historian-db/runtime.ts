import { HistorianConnection } from '../../src/connectors/historian/connection';
import { createHistorian, historianDbSettings, testHistorian, type HistorianDbConfig } from '../../src/connectors/historian/settings';
import { onClose } from '../../src/runtime/close';
import { attachHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { addConnectionTest } from '../../src/runtime/test-connection';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-historian-db';

type HistorianDbNodeConfig = NodeConfig & HistorianDbConfig;

export = function register(RED: RedApi): void {
  addConnectionTest(RED, {
    type: TYPE,
    what: 'historian database',
    secretKeys: ['user', 'password', 'token'] as const,
    address: (c) => (c.kind === 'influx' ? String(c.url ?? '') : `postgres://${String(c.host ?? '').trim()}:${String(c.port ?? '').trim() || '5432'}`),
    run: (c, creds) => testHistorian(historianDbSettings(c as HistorianDbConfig, creds)),
  });
  defineNode<HistorianDbNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      token: { type: 'password' },
    },
    setup(node: RedNode, config: HistorianDbNodeConfig) {
      const creds = node.credentials ?? {};
      // A bad setting throws here: the node stays inert, its users say "historian database misconfigured".
      const backend = createHistorian(historianDbSettings(config, { user: creds.user, password: creds.password, token: creds.token }));
      const conn = new HistorianConnection(node, backend);
      attachHandle(node, 'historian', conn);
      onClose(node, () => conn.close());
    },
  });
};
