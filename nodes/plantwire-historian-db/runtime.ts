import { HistorianConnection } from '../../src/connectors/historian/connection';
import { createHistorian, historianDbSettings, testHistorian, type HistorianDbConfig } from '../../src/connectors/historian/settings';
import { defineConfigNode } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & HistorianDbConfig, ReturnType<typeof historianDbSettings>, HistorianConnection>(RED, {
    type: 'plantwire-historian-db',
    label: 'historian database',
    field: 'database',
    credentials: spec.credentials,
    settings: (config, creds) => historianDbSettings(config, creds),
    open: (node, settings) => new HistorianConnection(node, createHistorian(settings)),
    test: {
      what: 'historian database',
      secretKeys: ['user', 'password', 'token'],
      address: (c) => (c.kind === 'influx' ? String(c.url ?? '') : `postgres://${String(c.host ?? '').trim()}:${String(c.port ?? '').trim() || '5432'}`),
      run: (c, creds) => testHistorian(historianDbSettings(c as HistorianDbConfig, creds)),
    },
  });
};
