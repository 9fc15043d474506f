import type { QueueEntry } from '../../src/buffer/queue';
import { CONNECTION_LOOK, EDGE_LOOK } from '../../src/connectors/mqtt/broker';
import { useConfig } from '../../src/runtime/config-node';
import type { StateEvent } from '../../src/connectors/mqtt/connection';
import { defaultAssetPath, mqttOutSettings, type MqttOutConfig } from '../../src/connectors/mqtt/node-settings';
import { templateTopic, typedTemplate, unsPayload, unsTopic } from '../../src/connectors/mqtt/uns';
import { typedFieldsMigration } from '../../src/runtime/migrate';
import { PlantwireError } from '../../src/model/errors';
import { toSamples, type TagSample } from '../../src/model/sample';
import { defineSink, type Look, type SinkParts } from '../../src/runtime/sink';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeMessage, RedApi } from '../../src/runtime/types';

/** What one input message becomes: its publishes, in order. */
interface BufferedPublish {
  pubs: Array<{ topic: string; payload: string }>;
  retain: boolean;
}

export = function register(RED: RedApi): void {
  defineSink<MqttOutConfig, BufferedPublish | TagSample[]>(RED, {
    type: 'plantwire-mqtt-out',
    // Version 2: the topic template is a typed input (fixed, or read per message from msg/flow/global/env); version 1 flows keep it as fixed text.
    version: { current: 2, migrations: { 1: typedFieldsMigration({ template: 'str' }) } },
    setup(node, config, buffering) {
      const settings = mqttOutSettings(config);
      if (buffering.mode !== 'off' && settings.mode === 'sparkplug') {
        throw new PlantwireError('bad-config', 'the durable buffer is for UNS and template mode; a Sparkplug edge node keeps its own store-and-forward (the "Buffer" size in the Sparkplug section): set the durable buffer to off', 'buffer: not for Sparkplug mode');
      }
      const broker = useConfig(RED, config.broker, 'plantwire-mqtt-broker');

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
        const sparkplug: SinkParts<TagSample[]> = {
          check: (msg) => toSamples(msg.payload, { tag: msg.topic }),
          // Published or kept in the edge node's own store-and-forward before done().
          deliver: async (batch) => {
            for (const e of batch) await edge.session.publish(e.body);
          },
          idleStatus: () => ({ state: EDGE_LOOK[edge.session.state.state], text: edge.session.state.text }),
          // The edge-node session ends with its node even on a restart: its birth settings may have changed (NDEATH, new bdSeq).
          users: { register: (n) => edge.users.register(n), deregister: (n) => edge.users.deregister(n, true) },
          close: async () => {
            edge.session.off('warning', onWarning);
          },
        };
        return sparkplug as unknown as SinkParts<BufferedPublish | TagSample[]>;
      }

      const conn = broker.connection;
      // Publishes since the deploy, shown while connected (as historian-out shows the samples stored).
      let published = 0;
      const idleStatus = (): Look => {
        const s = conn.state;
        return { state: CONNECTION_LOOK[s.state], text: s.state === 'connected' && published > 0 ? `${published.toLocaleString('en-US')} published` : s.text };
      };
      // Buffered: published with QoS ≥ 1 and removed only after the broker acknowledged it (PUBACK/PUBCOMP).
      const bufferedQos = Math.max(1, settings.qos) as 1 | 2;
      const uns: SinkParts<BufferedPublish> = {
        // Renders a message into its publishes: every topic is checked before anything is stored or published (a bad sample refuses the whole message).
        async check(msg: NodeMessage) {
          const samples = toSamples(msg.payload, { tag: msg.topic });
          // The default asset path is fixed, or read per message from msg/flow/global/env (typed input).
          const defaultAsset = settings.assetSource.type === 'str' ? settings.asset : defaultAssetPath(await evaluateTyped(RED.util?.evaluateNodeProperty, settings.assetSource, node, msg), settings.assetSource);
          const ctx: { defaultAsset?: string; msgTopic?: string } = {};
          if (defaultAsset) ctx.defaultAsset = defaultAsset;
          if (typeof msg.topic === 'string') ctx.msgTopic = msg.topic;
          // The topic template is fixed, or read per message and checked like a fixed one.
          const template = settings.mode !== 'template' || settings.templateSource.type === 'str' ? settings.template : typedTemplate(await evaluateTyped(RED.util?.evaluateNodeProperty, settings.templateSource, node, msg), settings.templateSource);
          const pubs = samples.map((s) => ({ topic: settings.mode === 'template' ? templateTopic(template, s, ctx) : unsTopic(s, ctx), payload: unsPayload(s, settings.payload) }));
          return { pubs, retain: settings.retain };
        },
        // Unbuffered: QoS 1/2 wait in mqtt.js while the broker is away; QoS 0 is refused then.
        async direct(body) {
          if (settings.qos === 0 && !conn.connected) {
            throw new PlantwireError('mqtt-offline', `not connected to ${broker.settings.label} (${conn.state.text}): ${body.pubs.length} QoS 0 message(s) not published; use QoS 1 to have them queued until the connection is back`, 'not connected: QoS 0 dropped');
          }
          await Promise.all(body.pubs.map((o) => conn.publish(o.topic, o.payload, { qos: settings.qos, retain: settings.retain })));
          published += body.pubs.length;
        },
        async deliver(batch: QueueEntry<BufferedPublish>[], settle) {
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
            // Each entry is settled once the broker acknowledged its publishes: a refused neighbour (PUBACK ≥ 0x80) does not send it again.
            const each = batch.map(async (e) => {
              await Promise.all(e.body.pubs.map((p) => conn.publish(p.topic, p.payload, { qos: bufferedQos, retain: e.body.retain, properties: { userProperties: { 'plantwire-id': e.key } } })));
              settle([e.id], 'delivered');
              published += e.body.pubs.length;
            });
            const results = await Promise.race([lost, Promise.allSettled(each)]);
            const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
            if (failed) throw failed.reason;
          } finally {
            if (onLost) conn.off('state', onLost);
          }
        },
        idleStatus,
        users: broker.users,
        watch(changed) {
          const onState = (s: StateEvent): void => changed(s.state === 'connected');
          conn.on('state', onState);
          return () => conn.off('state', onState);
        },
      };
      return uns as unknown as SinkParts<BufferedPublish | TagSample[]>;
    },
  });
};
