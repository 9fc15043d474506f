import { brokerOf, CONNECTION_LOOK, EDGE_LOOK } from '../../src/connectors/mqtt/broker';
import { defaultAssetPath, mqttOutSettings, type MqttOutConfig } from '../../src/connectors/mqtt/node-settings';
import { templateTopic, unsPayload, unsTopic } from '../../src/connectors/mqtt/uns';
import { PlantwireError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { setStatus, type StatusState } from '../../src/runtime/status';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeMessage, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-mqtt-out';

export = function register(RED: RedApi): void {
  defineNode<MqttOutConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: MqttOutConfig) {
      const settings = mqttOutSettings(config);
      const broker = brokerOf(RED, config.broker);
      // After a failed message the status is red; the next good one shows the connection again.
      let errored = false;
      const guarded = async (work: () => Promise<void>, current: () => { state: StatusState; text: string }): Promise<void> => {
        try {
          await work();
        } catch (err) {
          errored = true;
          throw err;
        }
        if (errored) {
          errored = false;
          const c = current();
          setStatus(node, c.state, c.text);
        }
      };

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
          await edge.users.deregister(node);
        });
        return;
      }

      const conn = broker.connection;
      broker.users.register(node);
      const publish = async (msg: NodeMessage): Promise<void> => {
        const samples = toSamples(msg.payload, { tag: msg.topic });
        // The default asset path is fixed, or read per message from msg/flow/global/env (typed input).
        const defaultAsset = settings.assetSource.type === 'str' ? settings.asset : defaultAssetPath(await evaluateTyped(RED.util?.evaluateNodeProperty, settings.assetSource, node, msg), settings.assetSource);
        const ctx: { defaultAsset?: string; msgTopic?: string } = {};
        if (defaultAsset) ctx.defaultAsset = defaultAsset;
        if (typeof msg.topic === 'string') ctx.msgTopic = msg.topic;
        // Every topic is checked before anything is published: a bad sample rejects the whole message.
        const out = samples.map((s) => ({ topic: settings.mode === 'template' ? templateTopic(settings.template, s, ctx) : unsTopic(s, ctx), payload: unsPayload(s, settings.payload) }));
        if (settings.qos === 0 && !conn.connected) {
          throw new PlantwireError('mqtt-offline', `not connected to ${broker.settings.label} (${conn.state.text}): ${out.length} QoS 0 message(s) not published; use QoS 1 to have them queued until the connection is back`, 'not connected: QoS 0 dropped');
        }
        await Promise.all(out.map((o) => conn.publish(o.topic, o.payload, { qos: settings.qos, retain: settings.retain })));
      };
      onInput(node, (msg) => guarded(() => publish(msg), () => ({ state: CONNECTION_LOOK[conn.state.state], text: conn.state.text })));
      onClose(node, () => broker.users.deregister(node));
    },
  });
};
