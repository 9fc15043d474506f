import type { QueueEntry } from '../../src/buffer/queue';
import type { BufferConfig } from '../../src/buffer/settings';
import { publishAll, renderSample, type Publication } from '../../src/connectors/nats/publish';
import { natsOutSettings, type NatsOutConfig } from '../../src/connectors/nats/settings';
import { PlantwireError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { useConfig } from '../../src/runtime/config-node';
import { defineSink, type Look } from '../../src/runtime/sink';
import type { NodeConfig, RedApi } from '../../src/runtime/types';

type NatsOutNodeConfig = NodeConfig & NatsOutConfig & BufferConfig;

/** A JetStream refusal that no retry changes (the message is dead-lettered): too large for the server or the stream. */
const REFUSED = /maximum (payload|message size) exceeded|message size exceeds/i;

export = function register(RED: RedApi): void {
  defineSink<NatsOutNodeConfig, Publication[]>(RED, {
    type: 'plantwire-nats-out',
    version: { current: 1 },
    setup(node, config) {
      const settings = natsOutSettings(config);
      const link = useConfig(RED, config.connection, 'plantwire-nats-connection');
      let stored = 0;
      let duplicates = 0;
      const publish = async (pubs: Publication[]): Promise<void> => {
        // A message that comes while the connection opens (just after a deploy) waits for it, at most the ack timeout.
        if (!(await link.connectedWithin(settings.ackTimeoutMs))) {
          throw new PlantwireError('nats-offline', `not connected to NATS (${link.state.text}): ${pubs.length} sample(s) not published`, 'not connected');
        }
        const { js } = await link.jetstream();
        const attempt = async (): Promise<{ stored: number; duplicates: number }> => {
          // The stream (created if absent) must hold every subject: otherwise the publish would have no responder.
          for (const subject of new Set(pubs.map((p) => p.subject))) await link.ensureStream(settings.stream, subject);
          return await publishAll(js, pubs, settings.ackTimeoutMs);
        };
        try {
          let r: { stored: number; duplicates: number };
          try {
            r = await attempt();
          } catch (err) {
            // The stream was deleted since the link made sure of it: created again as configured, published once more
            // (Nats-Msg-Id keeps what did reach a stream from being stored twice).
            if (!link.streamGone(settings.stream.name, err)) throw err;
            r = await attempt();
          }
          stored += r.stored;
          duplicates += r.duplicates;
        } catch (err) {
          // A subject outside the stream or a message the server refuses for its size: never accepted, dead-lettered (not retried).
          if ((err instanceof PlantwireError && err.code === 'nats-subject') || (err instanceof Error && REFUSED.test(err.message))) {
            throw Object.assign(err, { transient: false });
          }
          throw err;
        }
      };
      return {
        // Every subject is rendered (and checked) before anything is stored or published: a bad sample refuses the whole message.
        check(msg) {
          const samples = toSamples(msg.payload, { tag: msg.topic });
          const ctx: { defaultAsset?: string; msgTopic?: string } = {};
          if (settings.asset) ctx.defaultAsset = settings.asset;
          if (typeof msg.topic === 'string') ctx.msgTopic = msg.topic;
          return samples.map((s) => renderSample(s, settings.template, settings.payload, settings.dedup, ctx));
        },
        // The stream acknowledged each publish (PubAck) before the entries leave the buffer; Nats-Msg-Id makes a retry a duplicate, not a second copy.
        async deliver(batch: QueueEntry<Publication[]>[]) {
          await publish(batch.flatMap((e) => e.body));
        },
        idleStatus(): Look {
          const s = link.users.status;
          if (!link.connected) return s;
          const dup = duplicates > 0 ? ` · ${duplicates.toLocaleString('en-US')} duplicates dropped` : '';
          return { state: 'ok', text: stored + duplicates > 0 ? `${stored.toLocaleString('en-US')} stored${dup}` : s.text };
        },
        users: link.users,
        watch: (changed) => link.onState((s) => changed(s.phase === 'connected')),
      };
    },
  });
};
