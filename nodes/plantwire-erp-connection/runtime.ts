import { erpSettings, openErp, type ErpConnectionConfig } from '../../src/connectors/erp/index';
import { defineConfigNode } from '../../src/runtime/config-node';
import { addErpRoutes, createErpHandle, type ErpHandle } from '../../src/runtime/erp';
import type { NodeConfig, RedApi } from '../../src/runtime/types';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & ErpConnectionConfig, ReturnType<typeof erpSettings>, ErpHandle>(RED, {
    type: 'plantwire-erp-connection',
    label: 'ERP connection',
    field: 'connection',
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      apiKey: { type: 'password' },
    },
    settings: (config, creds) => erpSettings(config, creds),
    open: (node, settings) => createErpHandle(openErp(settings), node),
    routes: addErpRoutes,
  });
};
