import { readTags, tagSpec, tagSpecs, withAssets, type TagSpec } from '../../src/connectors/opcua';
import { PlantwireError, describe } from '../../src/model';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { useConfig } from '../../src/runtime/config-node';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';

const TYPE = 'plantwire-opcua-read';
const VERSION = 1;

interface ReadConfig extends NodeConfig {
  endpoint: string;
  tags: unknown[];
  output: string;
}

export = function register(RED: RedApi): void {
  defineNode<ReadConfig>(RED, {
    type: TYPE,
    version: { current: VERSION },
    setup(node: RedNode, config: ReadConfig) {
      // The dialog's rules, checked once (fields.ts); the tag list read by tagSpecs.
      const { output } = parseFields(spec, config as unknown as Record<string, unknown>);
      const endpoint = useConfig(RED, config.endpoint, 'plantwire-opcua-endpoint');
      const tags = tagSpecs(config.tags ?? [], 'tag list', { allowEmpty: true });
      endpoint.users.register(node);

      onInput(node, async (msg, send) => {
        let specs: TagSpec[];
        if (msg.tags !== undefined) specs = tagSpecs(msg.tags, 'msg.tags');
        else if (tags.length > 0) specs = tags;
        else if (typeof msg.topic === 'string' && msg.topic.trim() !== '') specs = [tagSpec(msg.topic, 'msg.topic')];
        else {
          throw new PlantwireError('nothing-to-read', 'nothing to read: add tags to the node, or send msg.topic = a NodeId or browse path, or msg.tags = a list of them', 'nothing to read');
        }
        const ctx = await endpoint.connection.session(Math.min(endpoint.settings.requestTimeoutMs, 10_000));
        const samples = withAssets(await readTags(ctx, specs), specs);
        const bad = samples.filter((s) => s.quality !== 'good').length;
        setStatus(node, bad ? 'info' : 'ok', `read ${samples.length} tag${samples.length === 1 ? '' : 's'}${bad ? `, ${bad} not good` : ''}`);
        if (output === 'batch') send({ ...msg, payload: samples });
        else send([samples.map((s): NodeMessage => ({ ...msg, topic: s.tag, payload: s }))]);
      });
      onClose(node, (removed) => endpoint.users.deregister(node, removed));
    },
  });
};
