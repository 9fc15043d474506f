import { bufferStatus } from '../../src/buffer/forwarder';
import { bufferSettings } from '../../src/buffer/settings';
import type { QueueEntry } from '../../src/buffer/queue';
import { CONNECTION_LOOK, EDGE_LOOK } from '../../src/connectors/mqtt/broker';
import { useConfig } from '../../src/runtime/config-node';
import type { StateEvent } from '../../src/connectors/mqtt/connection';
import { defaultAssetPath, mqttOutSettings, type MqttOutConfig } from '../../src/connectors/mqtt/node-settings';
import { templateTopic, unsPayload, unsTopic } from '../../src/connectors/mqtt/uns';
import { PlantwireError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { addBufferRoutes, openSinkBuffer } from '../../src/runtime/buffer';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { recoveringStatus, setStatus, type StatusState } from '../../src/runtime/status';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeMessage, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-mqtt-out';

/** What one buffered input message becomes: its publishes, in order. */
interface BufferedPublish {
  pubs: Array<{ topic: string; payload: string }>;
  retain: boolean;
}

export = function register(RED: RedApi): void {
  addBufferRoutes(RED);
  defineNode<MqttOutConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: MqttOutConfig) {
      const settings = mqttOutSettings(config);
      const buffering = bufferSettings(config);
      if (buffering.mode !== 'off' && settings.mode === 'sparkplug') {
        throw new PlantwireError('bad-config', 'the durable buffer is for UNS and template mode; a Sparkplug edge node keeps its own store-and-forward (the "Buffer" size in the Sparkplug section): set the durable buffer to off', 'buffer: not for Sparkplug mode');
      }
      const broker = useConfig(RED, config.broker, 'plantwire-mqtt-broker');
      // After a failed message the status is red; the next good one shows the connection again.
      const guarded = recoveringStatus(node);

      if (settings.mode === 'sparkplug') {
        const opts: Parameters<typeof broker.edgeSession>[0] = {
          group: settings.group,
          edgeNode: settings.edgeNode,
          useAliases: settings.aliases,
          metrics: settings.metrics,
          maxBuffered: settings.buffer,
        };
        if (settings.device) opts.device = settings.device;
        if (settings.primaryHost) opts.primaryHost = settings.primaryHost;
        const edge = broker.edgeSession(opts);
        const onWarning = (w: string): void => node.warn(w);
        edge.session.on('warning', onWarning);
        edge.users.register(node);
        onInput(node, (msg) =>
          guarded(
            () => edge.session.publish(toSamples(msg.payload, { tag: msg.topic })),
            () => ({ state: EDGE_LOOK[edge.session.state.state], text: edge.session.state.text }),
          ),
        );
        onClose(node, async () => {
          edge.session.off('warning', onWarning);
          // The edge-node session ends with its node even on a restart: its birth settings may have changed (NDEATH, new bdSeq).
          await edge.users.deregister(node, true);
        });
        return;
      }

      const conn = broker.connection;
      broker.users.register(node);
      // Renders a message into its publishes (all topics checked first: a bad sample rejects the whole message).
      const render = async (msg: NodeMessage): Promise<Array<{ topic: string; payload: string }>> => {
        const samples = toSamples(msg.payload, { tag: msg.topic });
        // The default asset path is fixed, or read per message from msg/flow/global/env (typed input).
        const defaultAsset = settings.assetSource.type === 'str' ? settings.asset : defaultAssetPath(await evaluateTyped(RED.util?.evaluateNodeProperty, settings.assetSource, node, msg), settings.assetSource);
        const ctx: { defaultAsset?: string; msgTopic?: string } = {};
        if (defaultAsset) ctx.defaultAsset = defaultAsset;
        if (typeof msg.topic === 'string') ctx.msgTopic = msg.topic;
        // Every topic is checked before anything is published: a bad sample rejects the whole message.
        return samples.map((s) => ({ topic: settings.mode === 'template' ? templateTopic(settings.template, s, ctx) : unsTopic(s, ctx), payload: unsPayload(s, settings.payload) }));
      };
      const publish = async (msg: NodeMessage): Promise<void> => {
        const out = await render(msg);
        if (settings.qos === 0 && !conn.connected) {
          throw new PlantwireError('mqtt-offline', `not connected to ${broker.settings.label} (${conn.state.text}): ${out.length} QoS 0 message(s) not published; use QoS 1 to have them queued until the connection is back`, 'not connected: QoS 0 dropped');
        }
        await Promise.all(out.map((o) => conn.publish(o.topic, o.payload, { qos: settings.qos, retain: settings.retain })));
        published += out.length;
      };
      // Publishes since the deploy, shown while connected (as historian-out shows the samples stored).
      let published = 0;
      const connLook = (): { state: StatusState; text: string } => {
        const s = conn.state;
        return { state: CONNECTION_LOOK[s.state], text: s.state === 'connected' && published > 0 ? `${published.toLocaleString('en-US')} published` : s.text };
      };
      // Buffered: each message is stored durably before done(); the forwarder publishes it
      // with QoS ≥ 1 and removes it only after the broker acknowledged it (PUBACK/PUBCOMP).
      const qos = Math.max(1, settings.qos) as 1 | 2;
      const buffer = openSinkBuffer<BufferedPublish>(RED, node, buffering, {
        idleStatus: connLook,
        deliver: async (batch: QueueEntry<BufferedPublish>[]) => {
          if (!conn.connected) throw new PlantwireError('mqtt-offline', conn.state.text, 'broker unreachable');
          // One socket, publishes handed over in order: the broker receives them in queue order.
          // A connection lost meanwhile fails the batch at once (it is published again: at-least-once).
          let onLost: ((s: StateEvent) => void) | undefined;
          const lost = new Promise<never>((_, reject) => {
            onLost = (s) => {
              if (s.state !== 'connected' && s.state !== 'connecting') reject(new PlantwireError('mqtt-offline', s.text, 'broker unreachable'));
            };
            conn.on('state', onLost);
          });
          lost.catch(() => undefined);
          try {
            await Promise.race([
              lost,
              Promise.all(batch.flatMap((e) => e.body.pubs.map((p) => conn.publish(p.topic, p.payload, { qos, retain: e.body.retain, properties: { userProperties: { 'plantwire-id': e.key } } })))),
            ]);
            published += batch.reduce((n, e) => n + e.body.pubs.length, 0);
          } finally {
            if (onLost) conn.off('state', onLost);
          }
        },
      });
      if (buffer) {
        const onState = (s: StateEvent): void => {
          if (s.state === 'connected') buffer.kick();
          buffer.showStatus();
        };
        conn.on('state', onState);
        onInput(node, (msg) => guarded(async () => buffer.accept({ pubs: await render(msg), retain: settings.retain }), () => bufferStatus(buffer.state()) ?? connLook()));
        onClose(node, async (removed) => {
          conn.off('state', onState);
          await buffer.close(removed);
          await broker.users.deregister(node, removed);
        });
        return;
      }
      // The count in the status, at most once a second (not one status event per message).
      let countTimer: NodeJS.Timeout | undefined;
      const showCount = (): void => {
        if (countTimer) return;
        countTimer = setTimeout(() => {
          countTimer = undefined;
          if (guarded.failed()) return;
          const c = connLook();
          setStatus(node, c.state, c.text);
        }, 1000);
      };
      onInput(node, (msg) =>
        guarded(async () => {
          await publish(msg);
          showCount();
        }, connLook),
      );
      onClose(node, (removed) => {
        if (countTimer) clearTimeout(countTimer);
        return broker.users.deregister(node, removed);
      });
    },
  });
};
