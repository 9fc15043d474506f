import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput, reportError } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { createSignal } from '../../src/sim/signals';
import { sampleRound, simulatorSettings, type SimulatorConfig } from '../../src/sim/simulator';
import { excerpt } from '../../src/model/limits';

const TYPE = 'plantwire-simulator';
const VERSION = 1;

interface Controller {
  start(): void;
  stop(): void;
  emit(): void;
}
const controllers = new Map<string, Controller>();

const COMMANDS = ['start', 'stop', 'emit'] as const;
type Command = (typeof COMMANDS)[number];

function runCommand(ctl: Controller, command: unknown): void {
  if (typeof command !== 'string' || !COMMANDS.includes(command as Command)) {
    throw new PlantwireError('bad-command', `unknown command ${excerpt(command)}: send msg.payload "start", "stop" or "emit"`, 'unknown command');
  }
  ctl[command as Command]();
}

export = function register(RED: RedApi): void {
  defineNode<SimulatorConfig>(RED, {
    type: TYPE,
    version: { current: VERSION },
    setup(node: RedNode, config: SimulatorConfig) {
      const settings = simulatorSettings(config);
      const generators = settings.signals.map((s) => createSignal(s, settings.seed));
      const label = `${generators.length} tags @ ${formatInterval(settings.interval)}`;
      let timer: NodeJS.Timeout | null = null;

      const emit = (send: SendFn): void => {
        const samples = sampleRound(generators, Date.now(), settings.asset);
        if (settings.output === 'batch') {
          send({ topic: config.name || 'simulator', payload: samples });
        } else {
          for (const s of samples) send({ topic: s.tag, payload: s });
        }
      };
      const tick = (): void => {
        try {
          emit((m) => node.send(m));
        } catch (err) {
          reportError(node, err);
        }
      };
      const ctl: Controller = {
        start() {
          if (!timer) timer = setInterval(tick, settings.interval);
          setStatus(node, 'ok', label);
        },
        stop() {
          if (timer) clearInterval(timer);
          timer = null;
          setStatus(node, 'idle', 'stopped');
        },
        emit: tick,
      };
      controllers.set(node.id, ctl);

      onInput(node, (msg, send) => {
        const command = msg.payload;
        // An inject's timestamp, an empty payload or "emit" asks for one round now.
        if (command === 'emit' || command === undefined || command === '' || typeof command === 'number') {
          emit(send);
          return;
        }
        runCommand(ctl, command);
      });
      onClose(node, () => {
        ctl.stop();
        controllers.delete(node.id);
      });
      if (settings.autostart) ctl.start();
      else setStatus(node, 'idle', `stopped (${label})`);
    },
  });

  addAdminRoute(RED, {
    method: 'post',
    path: 'simulator/:id/:action',
    permission: `${TYPE}.write`,
    handler(req) {
      const ctl = controllers.get(req.params.id ?? '');
      if (!ctl) throw new PlantwireError('not-found', `no deployed ${TYPE} with id ${req.params.id}: deploy the flow first`);
      runCommand(ctl, req.params.action);
      return { ok: true, action: req.params.action };
    },
  });
};

function formatInterval(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
