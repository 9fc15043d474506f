import { erpQuerySettings, type ErpQueryConfig } from '../../src/connectors/erp/node-settings';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { useConfig } from '../../src/runtime/config-node';
import { addErpRoutes } from '../../src/runtime/erp';
import { onInput } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import { PlantwireError, describe } from '../../src/model';
import { parseFields } from '../../src/model/fields';
import { describeTyped, type TypedSetting } from '../../src/model/settings';
import { spec, typedSince2 } from './fields';

const TYPE = 'plantwire-erp-query';

type Config = NodeConfig & ErpQueryConfig & { connection?: unknown };

export = function register(RED: RedApi): void {
  addErpRoutes(RED);
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: spec.version, migrations: { 1: typedSince2 } },
    setup(node: RedNode, config: Config) {
      const erp = useConfig(RED, config.connection, 'plantwire-erp-connection');
      const evaluate = (t: TypedSetting, msg: NodeMessage): Promise<unknown> => evaluateTyped(RED.util?.evaluateNodeProperty, t, node, msg);
      // The entity read from the message must be a name; the filter may be text (OData, REST) or an Odoo domain (array).
      const typedText = async (t: TypedSetting, msg: NodeMessage): Promise<string> => {
        const v = await evaluate(t, msg);
        if (typeof v !== 'string' || v.trim() === '') throw new PlantwireError('bad-input', `entity from ${describeTyped(t)} must be a non-empty text, got ${describe(v)}`, `no entity in ${describeTyped(t)}`);
        return v;
      };
      const typedFilter = async (t: TypedSetting, msg: NodeMessage): Promise<unknown> => {
        const v = await evaluate(t, msg);
        if (v === undefined || v === null || typeof v === 'string' || Array.isArray(v)) return v ?? '';
        throw new PlantwireError('bad-input', `filter from ${describeTyped(t)} must be text or an Odoo domain (array), got ${describe(v)}`, `bad filter in ${describeTyped(t)}`);
      };
      // The dialog's query is checked at deploy (nodes/plantwire-erp-query/fields.ts); a message may override
      // its fields (msg.payload.filter, .top …). Entity and filter may be read per message (typed inputs).
      const s = parseFields(spec, config as unknown as Record<string, unknown>);
      const fixed = s.entity.type === 'str' && s.filter.type === 'str';
      if (fixed) erpQuerySettings(config);
      erp.users.register(node);
      onInput(node, async (msg, send) => {
        const q = erpQuerySettings(fixed ? config : { ...config, entity: await typedText(s.entity, msg), filter: await typedFilter(s.filter, msg) }, msg.payload, s.entity.type === 'str' ? undefined : `entity from ${describeTyped(s.entity)}`);
        setStatus(node, 'busy', `querying ${q.entity}`);
        const r = await erp.conn.driver.query(q);
        setStatus(node, 'ok', `${r.rows.length} row(s) from ${q.entity}${r.pages > 1 ? ` (${r.pages} pages)` : ''}`);
        send({ ...msg, payload: r.rows, count: r.rows.length, pages: r.pages, erp: { entity: q.entity, ...(q.filter !== undefined ? { filter: q.filter } : {}) } });
      });
      onClose(node, (removed) => erp.users.deregister(node, removed));
    },
  });
};
