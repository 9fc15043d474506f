import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { derivedMessages, outputMode } from '../../src/transforms/messages';
import { normalize, normalizeSettings, type NormalizeConfig } from '../../src/transforms/normalize';

const TYPE = 'plantwire-normalize';

interface Config extends NormalizeConfig, NodeConfig {
  output?: string;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      const settings = normalizeSettings(config);
      // "auto": one sample → one message (topic = tag); several → one batch.
      const mode = config.output === 'auto' || config.output === undefined || config.output === '' ? 'auto' : outputMode(config.output);
      const status = new LiveStatus(node);
      let count = 0;
      status.now('idle', settings.tag ? `tag ${settings.tag}` : 'ready');
      onInput(node, (msg, send) => {
        try {
          const samples = normalize(msg, settings, Date.now());
          count += samples.length;
          const out = mode === 'auto' ? derivedMessages(msg, samples, samples.length === 1 ? 'each' : 'batch') : derivedMessages(msg, samples, mode);
          send([out]);
          status.update('ok', `${count} samples`);
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => status.cancel());
    },
  });
};
