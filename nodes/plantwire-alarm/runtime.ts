import { addAdminRoute } from '../../src/runtime/admin';
import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { onInput, reportError } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { throttled } from '../../src/runtime/status';
import { StateFile, stateDir } from '../../src/runtime/state-file';
import type { NodeConfig, NodeMessage, RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { PlantwireError } from '../../src/model/errors';
import { AlarmEngine, alarmSettings, eventSample, readCommand, type AlarmCommand, type AlarmConfig, type AlarmEvent } from '../../src/transforms/alarm';
import { readSamples } from '../../src/transforms/samples';

const TYPE = 'plantwire-alarm';
/** The timer never sleeps longer than this (clock changes). */
const MAX_SLEEP_MS = 60_000;

interface Config extends AlarmConfig, NodeConfig {
  /** Seconds between alarm-rate messages on output 2 (0 = only when a flood begins or ends). */
  rateEvery?: string | number;
  /** Keep alarm states on disk (default true). */
  persist?: boolean;
}

interface Controller {
  command(cmd: AlarmCommand): AlarmEvent[];
  view(): unknown;
}
const controllers = new Map<string, Controller>();

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      const store = config.persist === false ? null : new StateFile(stateDir(RED), node.id);
      // Removing the node deletes its state, also when it was misconfigured (and never got further than this).
      if (store) onClose(node, (removed) => (removed ? store.remove() : undefined));
      // The dialog's rules, checked once (src/transforms/alarm.ts: alarmFields).
      const settings = alarmSettings(config);
      const { rateEveryMs } = settings;
      const engine = new AlarmEngine(settings);
      let restored = 0;
      if (store) {
        try {
          restored = engine.restore(store.load((t) => node.warn(t)));
        } catch (err) {
          node.warn(`could not read the saved alarm states: ${(err as Error).message}; starting with all alarms normal`);
        }
      }
      const save = (): void => {
        if (store) store.save(engine.snapshot());
      };
      const status = new LiveStatus(node);
      const show = (): void => {
        const r = engine.rate(Date.now());
        const parts = [`${r.active} active`];
        if (r.unacknowledged) parts.push(`${r.unacknowledged} unack`);
        if (r.shelved) parts.push(`${r.shelved} shelved`);
        if (r.suppressed) parts.push(`${r.suppressed} suppressed`);
        if (r.outOfService) parts.push(`${r.outOfService} OOS`);
        parts.push(r.flood ? `FLOOD ${r.alarms}/10 min` : `${r.alarms}/10 min`);
        status.update(r.flood || r.unacknowledged > 0 ? 'busy' : r.active > 0 ? 'info' : 'ok', parts.join(' · '));
      };
      // The status text costs a pass over every alarm/monitor: build it at most every 500 ms (LiveStatus shows it at most once a second anyway).
      const showSoon = throttled(show, 500);
      const eventMessages = (events: AlarmEvent[]): NodeMessage[] => events.map((ev) => ({ topic: ev.id, payload: eventSample(ev) }));
      const rateMessage = (reason: 'periodic' | 'flood' | 'request'): NodeMessage => ({ topic: 'alarm-rate', payload: engine.rate(Date.now()), reason });
      /** Sends events (output 1) and, when a flood began or ended, the rate (output 2). */
      const emit = (send: SendFn, events: AlarmEvent[]): void => {
        for (const m of eventMessages(events)) send([m, null]);
        if (engine.updateFlood(Date.now())) send([null, rateMessage('flood')]);
      };

      let timer: NodeJS.Timeout | null = null;
      let closed = false;
      let nextRateAt = rateEveryMs > 0 ? Date.now() + rateEveryMs : Infinity;
      const schedule = (): void => {
        if (closed) return;
        if (timer) clearTimeout(timer);
        const now = Date.now();
        const due = Math.min(engine.nextDueAt(), nextRateAt);
        timer = setTimeout(tick, Math.min(MAX_SLEEP_MS, Math.max(5, (Number.isFinite(due) ? due : now + MAX_SLEEP_MS) - now)));
      };
      const tick = (): void => {
        timer = null;
        try {
          const now = Date.now();
          const events = engine.advance(now);
          if (events.length) save();
          emit((m) => node.send(m), events);
          if (now >= nextRateAt) {
            nextRateAt = now + rateEveryMs;
            node.send([null, rateMessage('periodic')]);
          }
          show();
        } catch (err) {
          reportError(node, err);
        }
        schedule();
      };

      const run = (cmd: AlarmCommand, send: SendFn): AlarmEvent[] => {
        const events = engine.command(cmd, Date.now());
        if (events.length) save();
        emit(send, events);
        return events;
      };
      controllers.set(node.id, {
        command: (cmd) => {
          const events = run(cmd, (m) => node.send(m));
          show();
          schedule();
          return events;
        },
        view: () => ({ alarms: engine.list(), rate: engine.rate(Date.now()), suppressed: engine.isSuppressed }),
      });

      status.now(restored > 0 ? 'info' : 'idle', `${settings.rules.length} alarms${restored > 0 ? ` · ${restored} states restored` : ''}`);
      if (restored > 0) show();
      schedule();

      onInput(node, (msg, send) => {
        try {
          const cmd = readCommand(msg.payload);
          if (cmd) {
            if (cmd.command === 'list') send([null, { topic: 'alarms', payload: engine.list() }]);
            else if (cmd.command === 'rate') send([null, rateMessage('request')]);
            else run(cmd, send);
          } else {
            const samples = readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
            const events = engine.process(samples, Date.now(), Array.isArray(msg.payload));
            if (events.length) save();
            emit(send, events);
          }
          showSoon();
          schedule();
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, (removed) => {
        closed = true;
        if (timer) clearTimeout(timer);
        status.cancel();
        showSoon.cancel();
        controllers.delete(node.id);
        if (!store) return;
        if (removed) store.remove();
        else save();
      });
    },
  });

  addAdminRoute(RED, {
    method: 'get',
    path: 'alarm/:id',
    permission: `${TYPE}.read`,
    handler(req) {
      const ctl = controllers.get(req.params.id ?? '');
      if (!ctl) throw new PlantwireError('not-found', `no deployed ${TYPE} with id ${req.params.id}: deploy the flow first`, 'not deployed');
      return ctl.view();
    },
  });
  addAdminRoute(RED, {
    method: 'post',
    path: 'alarm/:id/command',
    permission: `${TYPE}.write`,
    handler(req) {
      const ctl = controllers.get(req.params.id ?? '');
      if (!ctl) throw new PlantwireError('not-found', `no deployed ${TYPE} with id ${req.params.id}: deploy the flow first`, 'not deployed');
      const cmd = readCommand(req.body);
      if (!cmd || cmd.command === 'list' || cmd.command === 'rate') throw new PlantwireError('bad-command', 'send {"command": "acknowledge" | "shelve" | "unshelve" | "out-of-service" | "in-service", "alarm": id or "*"}', 'bad command');
      // The editor user is the operator on record.
      if (req.user?.username) cmd.user = req.user.username;
      const events = ctl.command(cmd);
      return { ok: true, events: events.length };
    },
  });
};
