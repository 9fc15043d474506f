import { publishAll, renderSample } from '../../src/connectors/nats/publish';
import { natsOutSettings, type NatsOutConfig } from '../../src/connectors/nats/settings';
import { PlantwireError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { onClose } from '../../src/runtime/close';
import { useConfig } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { LiveStatus } from '../../src/runtime/live-status';
import type { StatusState } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-nats-out';

type NatsOutNodeConfig = NodeConfig & NatsOutConfig;

export = function register(RED: RedApi): void {
  defineNode<NatsOutNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: NatsOutNodeConfig) {
      const settings = natsOutSettings(config);
      const link = useConfig(RED, config.connection, 'plantwire-nats-connection');
      // Counts at most once a second; a failure's red status (set by the input wrapper) stays 3 s.
      const live = new LiveStatus(node, 1000, 3000, false);
      let stored = 0;
      let duplicates = 0;
      const look = (): { state: StatusState; text: string } => {
        const s = link.users.status;
        if (!link.connected) return s;
        const dup = duplicates > 0 ? ` · ${duplicates.toLocaleString('en-US')} duplicates dropped` : '';
        return { state: 'ok', text: stored + duplicates > 0 ? `${stored.toLocaleString('en-US')} stored${dup}` : s.text };
      };
      link.users.register(node);
      onInput(node, async (msg) => {
        try {
          const samples = toSamples(msg.payload, { tag: msg.topic });
          const ctx: { defaultAsset?: string; msgTopic?: string } = {};
          if (settings.asset) ctx.defaultAsset = settings.asset;
          if (typeof msg.topic === 'string') ctx.msgTopic = msg.topic;
          // Every subject is rendered (and checked) before anything is published: a bad sample rejects the whole message.
          const pubs = samples.map((s) => renderSample(s, settings.template, settings.payload, settings.dedup, ctx));
          // A message that comes while the connection opens (just after a deploy) waits for it, at most the ack timeout.
          const ready = await link.connectedWithin(settings.ackTimeoutMs);
          if (!ready) {
            throw new PlantwireError('nats-offline', `not connected to NATS (${link.state.text}): ${pubs.length} sample(s) not published`, 'not connected');
          }
          const { js } = await link.jetstream();
          // The stream (created if absent) must hold every subject: otherwise the publish would have no responder.
          for (const subject of new Set(pubs.map((p) => p.subject))) await link.ensureStream(settings.stream, subject);
          const r = await publishAll(js, pubs, settings.ackTimeoutMs);
          stored += r.stored;
          duplicates += r.duplicates;
        } catch (err) {
          live.failed();
          throw err;
        }
        const c = look();
        live.update(c.state, c.text);
      });
      onClose(node, (removed) => {
        live.cancel();
        return link.users.deregister(node, removed);
      });
    },
  });
};
