import { defineNode } from '../../src/runtime/define';
import { onClose } from '../../src/runtime/close';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { derivedMessages, outputMode } from '../../src/transforms/messages';
import { normalize, normalizeSettings, type NormalizeConfig, type NormalizeSettings } from '../../src/transforms/normalize';
import { PlantwireError, describe } from '../../src/model';
import { parseFields } from '../../src/model/fields';
import { describeTyped } from '../../src/model/settings';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeMessage } from '../../src/runtime/types';
import { spec, typedSince2 } from './fields';

const TYPE = 'plantwire-normalize';

interface Config extends NormalizeConfig, NodeConfig {
  output?: string;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: spec.version, migrations: { 1: typedSince2 } },
    setup(node: RedNode, config) {
      // Checked by nodes/plantwire-normalize/fields.ts (the dialog's rules); tag, unit and asset may be read per message.
      const s = parseFields(spec, config as unknown as Record<string, unknown>);
      const settings = normalizeSettings({ ...config, tag: s.tag.type === 'str' ? s.tag.value : '', unit: s.unit.type === 'str' ? s.unit.value : '', asset: s.asset.type === 'str' ? s.asset.value : '' });
      const typed = (['tag', 'unit', 'asset'] as const).filter((k) => s[k].type !== 'str');
      const forMessage = async (msg: NodeMessage): Promise<NormalizeSettings> => {
        if (typed.length === 0) return settings;
        const out = { ...settings };
        for (const k of typed) {
          const v = await evaluateTyped(RED.util?.evaluateNodeProperty, s[k], node, msg);
          if (v !== undefined && v !== null && typeof v !== 'string' && typeof v !== 'number') {
            throw new PlantwireError('bad-input', `${spec.fields[k].label} from ${describeTyped(s[k])} must be text, got ${describe(v)}`, `bad ${k} in ${describeTyped(s[k])}`);
          }
          const text = v === undefined || v === null ? '' : String(v).trim();
          if (k === 'asset' && /[#+]/.test(text)) throw new PlantwireError('bad-input', `asset path from ${describeTyped(s[k])} must not hold MQTT wildcards (+ or #), got ${JSON.stringify(text)}`, `bad asset in ${describeTyped(s[k])}`);
          out[k] = k === 'asset' ? text.replace(/^\/+|\/+$/g, '') : text;
        }
        return out;
      };
      // "auto": one sample → one message (topic = tag); several → one batch.
      const mode = config.output === 'auto' || config.output === undefined || config.output === '' ? 'auto' : outputMode(config.output);
      const status = new LiveStatus(node);
      let count = 0;
      status.now('idle', settings.tag ? `tag ${settings.tag}` : 'ready');
      onInput(node, async (msg, send) => {
        try {
          const samples = normalize(msg, await forMessage(msg), Date.now());
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
