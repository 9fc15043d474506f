import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { redUtil } from '../../src/runtime/red-util';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { compileExpression, evaluateExpression, previewExpression } from '../../src/transforms/map';
import { safeCopy } from '../../src/model/safe-object';

const TYPE = 'plantwire-map';

interface Config extends NodeConfig {
  expression?: string;
  property?: string;
  /** When the expression returns nothing (no match): "error" (to Catch) or "drop". */
  onEmpty?: 'error' | 'drop' | string;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      // The dialog's rules, checked once (fields.ts); then the expression is compiled.
      const settings = parseFields(spec, config as unknown as Record<string, unknown>);
      const util = redUtil(RED);
      const prepared = compileExpression(util, settings.expression, node);
      const prop = settings.property;
      const drop = settings.onEmpty === 'drop';
      const status = new LiveStatus(node);
      let mapped = 0;
      let dropped = 0;
      status.now('idle', `→ msg.${prop}`);
      onInput(node, async (msg, send) => {
        try {
          const result = await evaluateExpression(util, prepared, msg);
          if (result === undefined) {
            if (!drop) throw new PlantwireError('empty-result', `the expression returned nothing for this message (no match): check the paths it reads, or set "when the result is empty" to drop`, 'expression returned nothing');
            dropped += 1;
          } else {
            // A plain copy: input keys like __proto__ stay data (JSONata's $merge would make them the prototype).
            util.setMessageProperty(msg, prop, safeCopy(result), true);
            mapped += 1;
            send(msg);
          }
          status.update('ok', `${mapped} mapped${dropped ? ` · ${dropped} dropped (empty)` : ''}`);
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => status.cancel());
    },
  });

  addAdminRoute(RED, {
    method: 'post',
    path: 'map/preview',
    // Evaluates an expression on the server: only for users who may change flows.
    permission: `${TYPE}.write`,
    async handler(req) {
      const body = (req.body ?? {}) as { expression?: unknown; message?: unknown };
      return previewExpression(redUtil(RED), body.expression, body.message);
    },
  });
};
