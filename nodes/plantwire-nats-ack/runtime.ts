import { settleDelivery, type Settlement } from '../../src/connectors/nats/consume';
import { PlantwireError } from '../../src/model/errors';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-nats-ack';

interface NatsAckConfig extends NodeConfig {
  action?: string;
  nakDelay?: number | string;
}

export = function register(RED: RedApi): void {
  defineNode<NatsAckConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: NatsAckConfig) {
      // The dialog's rules, checked once (src/connectors/nats/fields.ts: natsAckFields).
      const p = parseFields(spec, config as unknown as Record<string, unknown>);
      const action = p.action as Settlement;
      // Empty: the nak delay of the nats-in node that received the message.
      const nakDelayMs = Number.isNaN(p.nakDelay) ? undefined : p.nakDelay * 1000;
      let settled = 0;
      let late = 0;
      let timer: NodeJS.Timeout | undefined;
      // One warning per 10 s at most: a flow slower than the ack wait would otherwise flood the log.
      let lastWarn = 0;
      let unwarned = 0;
      const lateWarning = (key: string, why: string): void => {
        const now = Date.now();
        if (now - lastWarn < 10_000) {
          unwarned++;
          return;
        }
        node.warn(`${action} of ${key} ${why}${unwarned ? ` (+${unwarned} more since the last warning)` : ''}`);
        lastWarn = now;
        unwarned = 0;
      };
      const show = (): void => {
        if (timer) return;
        timer = setTimeout(() => {
          timer = undefined;
          const n = settled.toLocaleString('en-US');
          const done = action === 'ack' ? `${n} acked` : action === 'nak' ? `${n} naked` : `${n} termed`;
          setStatus(node, late ? 'busy' : 'ok', `${done}${late ? ` · ${late} too late (delivered again)` : ''}`);
        }, 1000);
        timer.unref?.();
      };
      onInput(node, (msg, send) => {
        const nats = msg._nats as { key?: unknown; ack?: unknown } | undefined;
        if (!nats || typeof nats !== 'object' || typeof nats.key !== 'string') {
          throw new PlantwireError('not-nats', 'msg._nats.key is missing: this message did not come from a plantwire-nats-in node (keep msg._nats on the way)', 'not from nats-in');
        }
        if (nats.ack === 'receive') {
          // Acknowledged on receipt by its nats-in node: nothing to settle.
          send(msg);
          return;
        }
        const result = settleDelivery(nats.key, action, nakDelayMs);
        if (result === 'settled') settled++;
        else {
          // Its ack wait ran out before (JetStream may have delivered it again: at least once), or it was settled before.
          late++;
          lateWarning(nats.key, result === 'late' ? 'after its ack wait ran out (it may be delivered again: raise Ack wait or lower In flight)' : 'but it was settled before or is long expired (it is delivered again)');
        }
        show();
        send(msg);
      });
      onClose(node, () => {
        if (timer) clearTimeout(timer);
      });
    },
  });
};
