import { TagSubscription, tagSpecs, withAssets, type DeadbandType, type ItemError, type TagSpec } from '../../src/connectors/opcua';
import { PlantwireError, describe } from '../../src/model';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import { onInput, reportError } from '../../src/runtime/input';
import { useConfig } from '../../src/runtime/config-node';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-opcua-in';
const VERSION = spec.version;

interface InConfig extends NodeConfig {
  endpoint: string;
  tags: unknown[];
  publishingInterval: number | string;
  samplingInterval: number | string;
  queueSize: number | string;
  deadbandType: string;
  deadbandValue: number | string;
  output: string;
  units: boolean;
}

const ACTIONS = ['subscribe', 'unsubscribe', 'replace', 'clear'] as const;

/** The tags a message names for unsubscribe: tag names, NodeIds or browse paths. */
function namesOf(payload: unknown): string[] {
  const list = Array.isArray(payload) ? payload : [payload];
  return list.map((x, i) => {
    if (typeof x === 'string' && x.trim() !== '') return x.trim();
    if (x && typeof x === 'object') {
      const o = x as Record<string, unknown>;
      const v = o.tag ?? o.nodeId ?? o.browsePath;
      if (typeof v === 'string' && v !== '') return v;
    }
    throw new PlantwireError('bad-tag', `payload${Array.isArray(payload) ? `[${i}]` : ''} must name a subscribed tag (tag name, NodeId or browse path), got ${describe(x)}`, 'bad tag to unsubscribe');
  });
}

export = function register(RED: RedApi): void {
  defineNode<InConfig>(RED, {
    type: TYPE,
    version: { current: VERSION },
    setup(node: RedNode, config: InConfig) {
      const endpoint = useConfig(RED, config.endpoint, 'plantwire-opcua-endpoint');
      const tags = tagSpecs(config.tags ?? [], 'tag list', { allowEmpty: true });
      // Every setting by nodes/plantwire-opcua-in/fields.ts (the dialog checks the same rules).
      const s = parseFields(spec, config as unknown as Record<string, unknown>);
      const deadbandType = s.deadbandType as DeadbandType;
      const output = s.output;
      const opts = {
        publishingInterval: s.publishingInterval,
        samplingInterval: s.samplingInterval,
        queueSize: s.queueSize,
        deadbandType,
        deadbandValue: deadbandType === 'none' ? 0 : s.deadbandValue,
        maxItemsPerCall: endpoint.settings.maxItemsPerCall,
        readUnits: s.units,
      };
      const topic = config.name || 'opcua';

      const sub = new TagSubscription(endpoint.connection, tags, opts, {
        onData(samples) {
          withAssets(samples, sub.tagList);
          if (output === 'batch') node.send({ topic, payload: samples });
          else for (const s of samples) node.send({ topic: s.tag, payload: s });
        },
        onStatus(state, text) {
          setStatus(node, state, text);
        },
        onItemErrors(errors: ItemError[]) {
          const total = sub.tagList.length;
          const list = errors
            .slice(0, 5)
            .map((e) => `${e.tag}: ${e.message}`)
            .join('; ');
          reportError(node, new PlantwireError('item-failed', `${errors.length} of ${total} tags could not be subscribed: ${list}${errors.length > 5 ? '; …' : ''}`, `${errors.length} of ${total} tags failed`), {
            topic,
            payload: errors,
          });
        },
        onNotice(text) {
          node.warn(text);
        },
      });
      endpoint.users.register(node);
      sub.start();

      onInput(node, async (msg) => {
        const action = (msg.action ?? 'subscribe') as string;
        if (!(ACTIONS as readonly string[]).includes(action)) {
          throw new PlantwireError('bad-action', `msg.action must be ${ACTIONS.map((a) => `"${a}"`).join(', ')}, got ${describe(msg.action)}`, 'unknown action');
        }
        let next: TagSpec[];
        const current = [...sub.tagList];
        if (action === 'clear') next = [];
        else if (action === 'replace') next = tagSpecs(msg.payload, 'payload', { allowEmpty: true });
        else if (action === 'subscribe') {
          const added = tagSpecs(msg.payload, 'payload');
          const names = new Set(added.map((t) => t.tag));
          next = [...current.filter((t) => !names.has(t.tag)), ...added];
        } else {
          const names = namesOf(msg.payload);
          const missing = names.filter((n) => !current.some((t) => t.tag === n || t.nodeId === n || t.browsePath === n));
          if (missing.length) {
            throw new PlantwireError('not-subscribed', `cannot unsubscribe ${missing.map((m) => `"${m}"`).join(', ')}: not in the tag list (${current.length} tags)`, 'tag not subscribed');
          }
          next = current.filter((t) => !names.some((n) => t.tag === n || t.nodeId === n || t.browsePath === n));
        }
        await sub.setTags(next);
      });
      onClose(node, async (removed) => {
        await sub.stop();
        await endpoint.users.deregister(node, removed);
      });
    },
  });
};
