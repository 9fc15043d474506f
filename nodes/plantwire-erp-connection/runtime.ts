import { erpSettings, openErp, type ErpConnectionConfig } from '../../src/connectors/erp/index';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { addErpRoutes, createErpHandle } from '../../src/runtime/erp';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-erp-connection';

export = function register(RED: RedApi): void {
  addErpRoutes(RED);
  defineNode<NodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      apiKey: { type: 'password' },
    },
    setup(node: RedNode, config: NodeConfig) {
      // A bad field throws here: the node stays inert and its users say "ERP connection misconfigured".
      const settings = erpSettings(config as ErpConnectionConfig, node.credentials ?? {});
      const handle = createErpHandle(node, openErp(settings));
      onClose(node, () => handle.close());
    },
  });
};
