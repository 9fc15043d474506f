import { erpSettings, openErp, type ErpConnectionConfig } from '../../src/connectors/erp/index';
import { defineConfigNode } from '../../src/runtime/config-node';
import { addErpRoutes, createErpHandle, type ErpHandle } from '../../src/runtime/erp';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & ErpConnectionConfig, ReturnType<typeof erpSettings>, ErpHandle>(RED, {
    type: 'plantwire-erp-connection',
    label: 'ERP connection',
    field: 'connection',
    credentials: spec.credentials,
    settings: (config, creds) => erpSettings(config, creds),
    open: (node, settings) => createErpHandle(openErp(settings), node),
    routes: addErpRoutes,
  });
};
