import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { onInput, reportError } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import { retainState } from '../../src/runtime/state';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { DeadbandFilter, deadbandSettings, type DeadbandConfig } from '../../src/transforms/deadband';
import { freshMessages, sendSeparately } from '../../src/transforms/messages';
import { readSamples } from '../../src/transforms/samples';

const TYPE = 'plantwire-deadband';

type Config = DeadbandConfig & NodeConfig;

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      // The dialog's rules, checked once (src/transforms/deadband.ts: deadbandFields).
      const settings = deadbandSettings(config);
      const { state: filter, restored } = retainState(node, config, () => new DeadbandFilter(settings));
      const status = new LiveStatus(node);
      const band = settings.mode === 'absolute' ? `±${settings.deadband}` : `±${settings.deadband} % of ${settings.percentOf === 'span' ? `span ${settings.span}` : 'last'}`;
      const hb = settings.heartbeatMs > 0 ? ` · heartbeat ${settings.heartbeatMs / 1000} s` : '';
      let received = 0;
      let passed = 0;
      let warned = false;
      const show = (): void => {
        if (filter.tags.full && filter.untracked > 0) {
          status.update('busy', `tag limit ${settings.maxTags}: ${filter.untracked} unfiltered`);
          if (!warned) {
            warned = true;
            node.warn(`tag limit of ${settings.maxTags} tags reached: samples of further tags pass unfiltered; raise "max tags" if the flow really has that many tags`);
          }
        } else {
          status.update('ok', `${band}${hb} · ${passed}/${received} passed`);
        }
      };
      status.now('idle', `${band}${hb}${restored ? ` · ${filter.tags.size} tags kept` : ''}`);

      onInput(node, (msg, send) => {
        try {
          const batch = Array.isArray(msg.payload);
          const samples = readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
          const out = filter.filter(samples, Date.now());
          received += samples.length;
          passed += out.length;
          if (out.length > 0) {
            msg.payload = batch ? out : out[0];
            send(msg);
          }
          show();
        } catch (err) {
          status.failed();
          throw err;
        }
      });

      let timer: NodeJS.Timeout | null = null;
      if (settings.heartbeatMs > 0) {
        // Checks often enough that a heartbeat is at most a tenth of the period late.
        const every = Math.min(1000, Math.max(50, Math.floor(settings.heartbeatMs / 10)));
        timer = setInterval(() => {
          try {
            if (filter.nextHeartbeatAt() > Date.now()) return;
            const due = filter.heartbeats(Date.now());
            passed += due.length;
            const msgs = freshMessages(due, settings.heartbeatOutput, config.name || 'heartbeat', { heartbeat: true });
            sendSeparately((m) => node.send(m), [msgs]);
            show();
          } catch (err) {
            reportError(node, err);
          }
        }, every);
      }
      onClose(node, () => {
        if (timer) clearInterval(timer);
        status.cancel();
      });
    },
  });
};
