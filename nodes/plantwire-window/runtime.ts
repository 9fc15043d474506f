import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { dueTimer } from '../../src/runtime/due-timer';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { retainState } from '../../src/runtime/state';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import type { TagSample } from '../../src/model/sample';
import { freshMessages, sendSeparately } from '../../src/transforms/messages';
import { readSamples } from '../../src/transforms/samples';
import { WindowAggregator, windowSettings, type LateSample, type WindowConfig } from '../../src/transforms/window';

const TYPE = 'plantwire-window';

type Config = WindowConfig & NodeConfig;

function lateMessages(late: LateSample[]): NodeMessage[] {
  return late.map((l) => ({ topic: l.sample.tag, payload: l.sample, late: { reason: l.reason, message: l.message } }));
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      // The dialog's rules, checked once (src/transforms/window.ts: windowFields).
      const settings = windowSettings(config);
      const { state: agg, restored } = retainState(node, config, () => new WindowAggregator(settings));
      const status = new LiveStatus(node);
      const what = agg.describe();
      const batchTopic = config.name || 'window';
      let emitted = 0;
      let warned = false;
      const show = (): void => {
        const late = agg.lateCount > 0 ? ` · ${agg.lateCount} late` : '';
        if (agg.tags.full && agg.tags.refused > 0) {
          status.update('busy', `tag limit ${settings.maxTags}: ${agg.tags.refused} refused`);
          if (!warned) {
            warned = true;
            node.warn(`tag limit of ${settings.maxTags} tags reached: samples of further tags go to output 2; raise "max tags" if the flow really has that many tags`);
          }
        } else status.update('ok', `${what} · ${agg.tags.size} tags · ${emitted} sent${late}`);
      };
      const out = (aggregates: TagSample[], late: LateSample[]): Array<NodeMessage[] | null> | null => {
        emitted += aggregates.length;
        if (aggregates.length === 0 && late.length === 0) return null;
        return [aggregates.length ? freshMessages(aggregates, settings.output, batchTopic) : null, late.length ? lateMessages(late) : null];
      };

      // Close mode "clock": a timer closes windows as their end + grace passes.
      const clock = settings.by === 'time' && settings.closeOn === 'clock';
      const timer = dueTimer(
        node,
        (now) => (clock ? agg.nextCloseAt(now) : Infinity),
        (now) => {
          const msgs = out(agg.advance(now), []);
          if (msgs) sendSeparately((m) => node.send(m), msgs);
          show();
        },
      );

      status.now('idle', `${what}${restored ? ` · ${agg.tags.size} tags kept` : ''}`);
      timer.schedule();

      onInput(node, (msg, send) => {
        try {
          const flushOnly = msg.payload === 'flush';
          let result = { aggregates: [] as TagSample[], late: [] as LateSample[] };
          if (!flushOnly && !(msg.flush === true && (msg.payload === undefined || msg.payload === ''))) {
            result = agg.add(readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined }), Date.now(), Array.isArray(msg.payload));
          }
          if (flushOnly || msg.flush === true) result.aggregates.push(...agg.flush());
          const msgs = out(result.aggregates, result.late);
          if (msgs) sendSeparately(send, msgs);
          show();
          timer.schedule();
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => {
        timer.stop();
        status.cancel();
      });
    },
  });
};
