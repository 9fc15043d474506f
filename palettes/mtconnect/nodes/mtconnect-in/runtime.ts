/**
 * mtconnect-in: runtime of a source node, built on @plantwire/node-red/sdk (defineNode: migrations and
 * configuration errors; onInput: done() once, done(err) once on failure, no error escapes).
 */
import { defineNode, numberSetting, onClose, onInput, PlantwireError, setStatus, clearStatus, makeSample, toSamples, type NodeConfig, type RedApi, type TagSample } from '@plantwire/node-red/sdk';

interface Config extends NodeConfig {
  tag: string;
  interval: string | number;
}

export = function (RED: RedApi): void {
  defineNode<Config>(RED, {
    type: 'mtconnect-in',
    version: { current: 1 },
    setup(node, config) {
      const intervalMs = numberSetting(config, 'interval', { label: 'interval (s)', min: 0.1, max: 86_400 }) * 1000;
      const tag = String(config.tag || 'Demo/Counter');
      let value = 0;
      const emit = (): void => {
        value += 1;
        node.send({ topic: tag, payload: makeSample(tag, value, { quality: 'good', sourceTimestamp: Date.now() }) });
        setStatus(node, 'ok', `${tag} = ${value}`);
      };
      const timer = setInterval(emit, intervalMs);
      // An input message emits one sample now.
      onInput(node, () => emit());
      // The timer is cleared on every close (redeploy or removal): nothing left running.
      onClose(node, () => {
        clearInterval(timer);
        clearStatus(node);
      });
    },
  });
};
