import { PlantwireError } from '../../src/model/errors';
import type { TagSample } from '../../src/model/sample';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import { AssetMapper, parseAssetTable, type AssetRule } from '../../src/transforms/asset-map';
import { readSamples } from '../../src/transforms/samples';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';

const TYPE = 'plantwire-asset-map';

interface Config extends NodeConfig {
  rules?: AssetRule[];
  /** "keep": a batch stays a batch (msg.topics holds the UNS topics); "each": one message per sample. */
  output?: string;
}

export = function register(RED: RedApi): void {
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config) {
      // The dialog's rules, checked once (fields.ts).
      const settings = parseFields(spec, config as unknown as Record<string, unknown>);
      const mapper = new AssetMapper(settings.rules);
      const each = settings.output === 'each';
      const status = new LiveStatus(node);
      let mappedCount = 0;
      let unmappedCount = 0;
      status.now('idle', `${mapper.size} rules`);
      onInput(node, (msg, send) => {
        try {
          const batch = Array.isArray(msg.payload);
          const samples = readSamples(msg.payload, { tag: typeof msg.topic === 'string' ? msg.topic : undefined });
          const mapped: TagSample[] = [];
          const topics: string[] = [];
          const unmapped: TagSample[] = [];
          for (const s of samples) {
            const m = mapper.map(s);
            if (m) {
              mapped.push(m.sample);
              topics.push(m.topic);
            } else unmapped.push(s);
          }
          mappedCount += mapped.length;
          unmappedCount += unmapped.length;
          let out1: NodeMessage[] | null = null;
          let out2: NodeMessage | null = null;
          if (!batch) {
            if (mapped.length) {
              msg.payload = mapped[0];
              msg.topic = topics[0];
              out1 = [msg];
            } else out2 = msg;
          } else {
            if (unmapped.length) out2 = { ...msg, payload: unmapped };
            if (mapped.length) {
              if (each) out1 = mapped.map((s, i) => ({ ...msg, payload: s, topic: topics[i] }));
              else {
                msg.payload = mapped;
                msg.topics = topics;
                out1 = [msg];
              }
            }
          }
          send([out1, out2 ? [out2] : null]);
          status.update(unmappedCount > 0 ? 'info' : 'ok', `${mappedCount} mapped${unmappedCount ? ` · ${unmappedCount} unmapped` : ''}`);
        } catch (err) {
          status.failed();
          throw err;
        }
      });
      onClose(node, () => status.cancel());
    },
  });

  addAdminRoute(RED, {
    method: 'post',
    path: 'asset-map/parse',
    permission: `${TYPE}.write`,
    handler(req) {
      const body = (req.body ?? {}) as { text?: unknown; format?: unknown };
      if (typeof body.text !== 'string') throw new PlantwireError('bad-request', 'send {"text": "<CSV or JSON>"}');
      if (body.text.length > 5_000_000) throw new PlantwireError('bad-request', 'the import is larger than 5 MB');
      const format = body.format === 'csv' || body.format === 'json' ? body.format : 'auto';
      return { rules: parseAssetTable(body.text, format) };
    },
  });
};
