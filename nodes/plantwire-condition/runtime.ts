import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { onInput, reportError } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { throttled } from '../../src/runtime/status';
import { StateFile, stateDir } from '../../src/runtime/state-file';
import type { NodeConfig, NodeMessage, RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { ConditionEngine, conditionSample, conditionSettings, readConditionCommand, type ConditionConfig, type ConditionEvent } from '../../src/transforms/condition';
import { readSamples } from '../../src/transforms/samples';

const TYPE = 'plantwire-condition';
/** Usage counters change with every sample: they are written at most this often (at once on counter events and commands, and at close). */
const SAVE_EVERY_MS = 10_000;

interface Config extends ConditionConfig, NodeConfig {
  /** Keep counters and baselines on disk (default true). */
  persist?: boolean;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      const store = config.persist === false ? null : new StateFile(stateDir(RED), node.id);
      // Removing the node deletes its state, also when it was misconfigured (and never got further than this).
      if (store) onClose(node, (removed) => (removed ? store.remove() : undefined));
      // The dialog's rules, checked once (src/transforms/condition.ts: conditionFields).
      const settings = conditionSettings(config);
      const engine = new ConditionEngine(settings);
      let restored = 0;
      if (store) {
        try {
          restored = engine.restore(store.load((t) => node.warn(t)));
        } catch (err) {
          node.warn(`could not read the saved counters and baselines: ${(err as Error).message}; starting fresh`);
        }
      }
      let dirty = false;
      let saveTimer: NodeJS.Timeout | null = null;
      const save = (): void => {
        if (saveTimer) clearTimeout(saveTimer);
        saveTimer = null;
        dirty = false;
        if (store) store.save(engine.snapshot());
      };
      const saveSoon = (): void => {
        dirty = true;
        if (saveTimer || !store) return;
        saveTimer = setTimeout(() => {
          saveTimer = null;
          try {
            if (dirty) save();
          } catch (err) {
            reportError(node, err);
          }
        }, SAVE_EVERY_MS);
      };
      const status = new LiveStatus(node);
      const what = `${settings.counters.length} counters · ${settings.monitors.length} monitors`;
      const show = (): void => {
        const s = engine.summary();
        const parts: string[] = [];
        if (s.due) parts.push(`${s.due} due`);
        if (s.dueSoon) parts.push(`${s.dueSoon} due soon`);
        if (s.flagged) parts.push(`${s.flagged} drifting`);
        if (s.learning) parts.push(`${s.learning} learning`);
        status.update(s.due || s.flagged ? 'busy' : s.dueSoon ? 'info' : 'ok', parts.length ? parts.join(' · ') : `${what} · all normal`);
      };
      // The status text costs a pass over every alarm/monitor: build it at most every 500 ms (LiveStatus shows it at most once a second anyway).
      const showSoon = throttled(show, 500);
      const emit = (send: SendFn, events: ConditionEvent[]): void => {
        for (const ev of events) send([{ topic: `${ev.kind}/${ev.name}`, payload: conditionSample(ev) } as NodeMessage, null]);
      };
      status.now(restored > 0 ? 'info' : 'idle', `${what}${restored > 0 ? ` · ${restored} restored` : ''}`);

      onInput(node, (msg, send) => {
        try {
          const cmd = readConditionCommand(msg.payload);
          if (cmd) {
            if (cmd.command === 'list') send([null, { topic: 'condition', payload: engine.list() }]);
            else {
              const events = engine.command(cmd, Date.now());
              save();
              emit(send, events);
            }
          } else {
            const samples = readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
            const events = engine.process(samples, Date.now(), Array.isArray(msg.payload));
            // A counter event (due soon, due) is written at once, so a crash cannot send it twice;
            // drift flags and the counting in between at most every 10 s.
            if (events.some((ev) => ev.counter !== undefined)) save();
            else saveSoon();
            emit(send, events);
          }
          showSoon();
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, (removed) => {
        status.cancel();
        showSoon.cancel();
        if (saveTimer) clearTimeout(saveTimer);
        if (!store) return;
        if (removed) store.remove();
        else save();
      });
    },
  });
};
