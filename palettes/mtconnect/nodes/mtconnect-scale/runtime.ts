/**
 * mtconnect-scale: runtime of a transform node, built on @plantwire/node-red/sdk (defineNode: migrations and
 * configuration errors; onInput: done() once, done(err) once on failure, no error escapes).
 */
import { defineNode, numberSetting, onClose, onInput, PlantwireError, setStatus, clearStatus, makeSample, toSamples, type NodeConfig, type RedApi, type TagSample } from '@plantwire/node-red/sdk';

interface Config extends NodeConfig {
  factor: string | number;
  offset: string | number;
}

/** The transform itself, pure (unit-tested in test/mtconnect-scale.test.mjs). */
function transform(samples: TagSample[], factor: number, offset: number): TagSample[] {
  return samples.map((s) => {
    if (typeof s.value !== 'number') throw new PlantwireError('bad-value', `${s.tag}: value must be a number, got ${typeof s.value}`, 'value is not a number');
    return { ...s, value: s.value * factor + offset };
  });
}

function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: 'mtconnect-scale',
    version: { current: 1 },
    setup(node, config) {
      const factor = numberSetting(config, 'factor', { label: 'factor' });
      const offset = numberSetting(config, 'offset', { label: 'offset', default: 0 });
      let count = 0;
      onInput(node, (msg, send) => {
        const samples = toSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
        const out = transform(samples, factor, offset);
        send({ ...msg, payload: Array.isArray(msg.payload) ? out : out[0] });
        count += out.length;
        setStatus(node, 'ok', `${count} scaled`);
      });
    },
  });
}

/** For the unit tests: require('dist/nodes/mtconnect-scale/runtime.js').transform. */
register.transform = transform;
export = register;
