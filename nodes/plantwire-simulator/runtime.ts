import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput, reportError } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeMessage, RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { typedAssetPath } from '../../src/model/settings';
import { evaluateTyped } from '../../src/runtime/typed-input';
import { typedFieldsMigration } from '../../src/runtime/migrate';
import { createSignal } from '../../src/sim/signals';
import { sampleRound, simulatorSettings, type SimulatorConfig } from '../../src/sim/simulator';
import { excerpt } from '../../src/model/limits';
import { spec } from './fields';

const TYPE = 'plantwire-simulator';
// Version 2: the asset path is a typed input (fixed, or read from msg/flow/global/env); version 1 flows keep it as fixed text.
const VERSION = spec.version;

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
    version: { current: VERSION, migrations: { 1: typedFieldsMigration({ asset: 'str' }) } },
    setup(node: RedNode, config: SimulatorConfig) {
      const settings = simulatorSettings(config);
      const generators = settings.signals.map((s) => createSignal(s, settings.seed));
      const label = `${generators.length} tags @ ${formatInterval(settings.interval)}`;
      let timer: NodeJS.Timeout | null = null;

      // The asset path: fixed, or read for each round from flow/global/env, or from the command message (msg; a timed round has none).
      const assetSource = settings.assetSource;
      const assetFor = async (msg: NodeMessage): Promise<string> =>
        assetSource.type === 'str' ? settings.asset : typedAssetPath(await evaluateTyped(RED.util?.evaluateNodeProperty, assetSource, node, msg), assetSource, 'asset path') ?? '';

      const emit = async (send: SendFn, msg: NodeMessage = {}): Promise<void> => {
        const samples = sampleRound(generators, Date.now(), await assetFor(msg));
        if (settings.output === 'batch') {
          send({ topic: config.name || 'simulator', payload: samples });
        } else {
          for (const s of samples) send({ topic: s.tag, payload: s });
        }
      };
      const tick = (): void => {
        emit((m) => node.send(m)).catch((err: unknown) => reportError(node, err));
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

      onInput(node, async (msg, send) => {
        const command = msg.payload;
        // An inject's timestamp, an empty payload or "emit" asks for one round now.
        if (command === 'emit' || command === undefined || command === '' || typeof command === 'number') {
          await emit(send, msg);
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
