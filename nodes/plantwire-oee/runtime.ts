import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { dueTimer } from '../../src/runtime/due-timer';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { retainState } from '../../src/runtime/state';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import type { TagSample } from '../../src/model/sample';
import { freshMessages, sendSeparately } from '../../src/transforms/messages';
import { OeeCalculator, oeeSettings, type OeeConfig, type OeeLate, type OeeResultValue } from '../../src/transforms/oee';
import { readSamples } from '../../src/transforms/samples';

const TYPE = 'plantwire-oee';

type Config = OeeConfig & NodeConfig;

function lateMessages(late: OeeLate[]): NodeMessage[] {
  return late.map((l) => ({ topic: l.sample.tag, payload: l.sample, late: { reason: l.reason, message: l.message } }));
}

const pct = (x: number | null): string => (x === null ? '–' : `${(x * 100).toFixed(1)} %`);

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      // The dialog's rules, checked once (src/transforms/oee.ts: oeeFields).
      const settings = oeeSettings(config);
      const { updateMs } = settings;
      const { state: calc, restored } = retainState(node, config, () => new OeeCalculator(settings));
      const status = new LiveStatus(node);
      const what = calc.describe();
      const batchTopic = config.name || 'oee';
      let last: OeeResultValue | null = null;
      let warned = false;
      const show = (): void => {
        const late = `${calc.lateCount > 0 ? ` · ${calc.lateCount} late` : ''}${calc.ignored > 0 && !last ? ` · ${calc.ignored} samples of other tags ignored` : ''}`;
        if (calc.lines.full && calc.lines.refused > 0) {
          status.update('busy', `line limit ${settings.maxLines}: ${calc.lines.refused} refused`);
          if (!warned) {
            warned = true;
            node.warn(`line limit of ${settings.maxLines} lines reached: samples of further lines go to output 3; raise "max lines" if the plant really has that many lines`);
          }
        } else if (last) {
          status.update('ok', `${last.line}: OEE ${pct(last.oee)} (A ${pct(last.availability)} P ${pct(last.performance)} Q ${pct(last.quality)})${calc.lines.size > 1 ? ` · ${calc.lines.size} lines` : ''}${late}`);
        } else status.update('ok', `${what} · ${calc.lines.size} lines${late}`);
      };
      const note = (results: TagSample[]): void => {
        if (results.length) last = results[results.length - 1]!.value as unknown as OeeResultValue;
      };
      const out = (results: TagSample[], events: TagSample[], late: OeeLate[]): Array<NodeMessage[] | null> | null => {
        note(results);
        if (results.length === 0 && events.length === 0 && late.length === 0) return null;
        return [results.length ? freshMessages(results, settings.output, batchTopic) : null, events.length ? freshMessages(events, 'each', batchTopic) : null, late.length ? lateMessages(late) : null];
      };

      // A timer closes periods by the clock (close mode "clock") and sends running values every `update` seconds.
      let nextRunning = Date.now() + updateMs;
      const timer = dueTimer(
        node,
        (now) => {
          const due = settings.closeOn === 'clock' ? calc.nextCloseAt(now) : Infinity;
          return updateMs > 0 && calc.lines.size > 0 ? Math.min(due, nextRunning) : due;
        },
        (now) => {
          const results = settings.closeOn === 'clock' ? calc.advance(now) : [];
          if (updateMs > 0 && now >= nextRunning) {
            results.push(...calc.running(now));
            nextRunning = now + updateMs;
          }
          const msgs = out(results, [], []);
          if (msgs) sendSeparately((m) => node.send(m), msgs);
          show();
        },
      );

      status.now('idle', `${what}${restored ? ` · ${calc.lines.size} lines kept` : ''}`);
      timer.schedule();

      onInput(node, (msg, send) => {
        try {
          const command = msg.payload === 'flush' || msg.payload === 'update' ? msg.payload : null;
          const results: TagSample[] = [];
          let events: TagSample[] = [];
          let late: OeeLate[] = [];
          const flushOnly = msg.flush === true && (msg.payload === undefined || msg.payload === '');
          if (!command && !flushOnly) {
            const r = calc.add(readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined }), Date.now(), Array.isArray(msg.payload));
            results.push(...r.results);
            events = r.events;
            late = r.late;
          }
          if (command === 'flush' || msg.flush === true) results.push(...calc.flush());
          if (command === 'update') results.push(...calc.running(Date.now()));
          const msgs = out(results, events, late);
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
