import { erpQuerySettings, type ErpQueryConfig } from '../../src/connectors/erp/node-settings';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { useConfig } from '../../src/runtime/config-node';
import { addErpRoutes } from '../../src/runtime/erp';
import { onInput } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-erp-query';

type Config = NodeConfig & ErpQueryConfig & { connection?: unknown };

export = function register(RED: RedApi): void {
  addErpRoutes(RED);
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: Config) {
      const erp = useConfig(RED, config.connection, 'plantwire-erp-connection');
      // The dialog's query is checked at deploy; a message may override its fields (msg.payload.filter, .top …).
      erpQuerySettings(config);
      erp.users.register(node);
      onInput(node, async (msg, send) => {
        const q = erpQuerySettings(config, msg.payload);
        setStatus(node, 'busy', `querying ${q.entity}`);
        const r = await erp.conn.driver.query(q);
        setStatus(node, 'ok', `${r.rows.length} row(s) from ${q.entity}${r.pages > 1 ? ` (${r.pages} pages)` : ''}`);
        send({ ...msg, payload: r.rows, count: r.rows.length, pages: r.pages, erp: { entity: q.entity, ...(q.filter !== undefined ? { filter: q.filter } : {}) } });
      });
      onClose(node, (removed) => erp.users.deregister(node, removed));
    },
  });
};
