import type { IPublishPacket } from 'mqtt';
import { useConfig } from '../../src/runtime/config-node';
import type { ConnectEvent, StateEvent, Subscription } from '../../src/connectors/mqtt/connection';
import { decodePayload } from '../../src/connectors/mqtt/decode';
import { mqttInSettings, type MqttInConfig } from '../../src/connectors/mqtt/node-settings';
import { spec } from './fields';
import { SparkplugHost, type HostResult } from '../../src/connectors/mqtt/sparkplug/host';
import { PlantwireError } from '../../src/model/errors';
import { checkBytes } from '../../src/model/limits';
import type { TagSample } from '../../src/model/sample';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { reportError } from '../../src/runtime/input';
import { connectionStatus, setStatus } from '../../src/runtime/status';
import type { NodeMessage, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-mqtt-in';
/** Status updates at most this often (a busy topic would flood the editor otherwise). */
const STATUS_EVERY_MS = 1000;

export = function register(RED: RedApi): void {
  defineNode<MqttInConfig>(RED, {
    type: TYPE,
    version: { current: spec.version },
    setup(node: RedNode, config: MqttInConfig) {
      const settings = mqttInSettings(config);
      const broker = useConfig(RED, config.broker, 'plantwire-mqtt-broker');
      // A Sparkplug host with a host id has its own connection (STATE as birth and will); others share the broker's.
      const hostHandle = settings.hostId ? broker.hostSession(settings.hostId) : null;
      const conn = hostHandle ? hostHandle.session.conn : broker.connection;
      const users = hostHandle ? hostHandle.users : broker.users;
      const host = settings.format === 'sparkplug' ? new SparkplugHost({ tagNames: settings.tagNames, rebirthHoldoffMs: settings.rebirthHoldoffMs }) : null;
      let closed = false;
      let errored = false;
      let lastStatus = 0;
      let received = 0;
      /** Subscriptions the broker has not acknowledged yet. */
      let pending = settings.filters.length;

      const emit = (samples: TagSample[], source: string, extra: Record<string, unknown>): void => {
        if (samples.length === 0) return;
        if (settings.output === 'batch') {
          node.send({ topic: source, payload: samples, ...extra });
        } else {
          for (const s of samples) node.send({ topic: s.tag, payload: s, ...extra });
        }
      };

      const status = (force = false): void => {
        const now = Date.now();
        if (!force && (errored || now - lastStatus < STATUS_EVERY_MS)) return;
        lastStatus = now;
        if (!conn.connected) return;
        if (pending > 0) return; // still "connected to …" until the broker acknowledged the subscriptions
        if (host) {
          const s = host.summary();
          setStatus(node, 'ok', `${s.online}/${s.edgeNodes} edge nodes online · ${s.metrics} metrics`);
        } else {
          setStatus(node, 'ok', received === 0 ? `subscribed to ${settings.filters.length} topic${settings.filters.length === 1 ? '' : 's'}` : `${received} messages`);
        }
      };

      const publishRebirth = (r: NonNullable<HostResult['rebirth']>): void => {
        if (!settings.rebirth) {
          node.warn(`${r.reason.replace(/: asked for a rebirth$/, '')} (rebirth requests are off)`);
          return;
        }
        node.warn(r.reason);
        conn.publish(r.topic, r.payload, { qos: 0 }).catch((err: unknown) => node.warn(`rebirth request to ${r.group}/${r.edgeNode} failed: ${(err as Error).message}`));
      };

      const onMessage = (topic: string, payload: Buffer, packet: IPublishPacket): void => {
        if (closed) return;
        received += 1;
        const now = Date.now();
        try {
          // Limits before anything reads the payload (settings.js plantwire.limits).
          checkBytes(`topic ${topic}`, payload.length, 'mqttMessageBytes');
          if (host) {
            const r = host.handle(topic, payload, now);
            if (!r) return;
            if (r.rebirth) publishRebirth(r.rebirth);
            for (const w of r.warnings) if (!r.rebirth || !w.endsWith('asked for a rebirth')) node.warn(w);
            const sp: Record<string, unknown> = { group: r.topic.group, edgeNode: r.topic.edgeNode, messageType: r.topic.type };
            if (r.topic.device !== undefined) sp.device = r.topic.device;
            if (r.seq !== undefined) sp.seq = r.seq;
            if (r.historical) sp.historical = true;
            emit(r.samples, topic, { sparkplug: sp, mqtt: { topic, retain: packet.retain, qos: packet.qos } });
          } else {
            const samples = decodePayload(topic, payload, { format: settings.format as 'auto' | 'json' | 'plain', now, assetLevels: settings.assetLevels });
            emit(samples, topic, { mqtt: { topic, retain: packet.retain, qos: packet.qos } });
          }
          if (errored) {
            errored = false;
            status(true);
          } else {
            // Births and deaths change what the status counts: show them at once.
            status(host !== null && /BIRTH|DEATH/.test(topic.split('/')[2] ?? ''));
          }
        } catch (err) {
          errored = true;
          // A message over a limit is not kept, not even in the error message to Catch.
          const over = err instanceof PlantwireError && err.code === 'limit';
          const msg: NodeMessage = { topic, payload: over ? undefined : host ? payload : payload.toString('utf8'), mqtt: { topic, retain: packet.retain, qos: packet.qos, bytes: payload.length } };
          reportError(node, err, msg);
        }
      };

      const subs: Subscription[] = settings.filters.map((f) =>
        conn.subscribe(f, onMessage, {
          qos: settings.qos,
          onError: (err) => reportError(node, err),
          onSubscribed: () => {
            pending -= 1;
            if (pending === 0 && !closed) status(true);
          },
        }),
      );

      let wasConnected = false;
      const onState = (s: StateEvent): void => {
        if (closed) return;
        if (s.state === 'connected') {
          wasConnected = true;
          return;
        }
        if (host && wasConnected && (s.state === 'offline' || s.state === 'reconnecting' || s.state === 'error' || s.state === 'closed')) {
          wasConnected = false;
          // The host cannot vouch for any value while it is away from the broker.
          emit(host.connectionLost(Date.now()), 'sparkplug/host-disconnected', { sparkplug: { messageType: 'HOST_DISCONNECTED' } });
        }
        const look = connectionStatus({ phase: s.state, text: s.text });
        setStatus(node, look.state, look.text);
      };
      const onConnect = (e: ConnectEvent): void => {
        if (closed) return;
        status(true);
        if (host && !e.first && settings.rebirth) {
          // NDEATHs may have been missed while disconnected: ask every known edge node for its BIRTH.
          for (const r of host.rebirthAll('host reconnected to the broker')) {
            conn.publish(r.topic, r.payload, { qos: 0 }).catch(() => undefined);
          }
        }
      };
      const onHostWarning = (w: string): void => node.warn(w);
      hostHandle?.session.on('warning', onHostWarning);
      conn.on('state', onState);
      conn.on('connect', onConnect);
      users.register(node);
      if (conn.connected) {
        wasConnected = true;
        status(true);
      }

      onClose(node, async (removed) => {
        closed = true;
        conn.off('state', onState);
        conn.off('connect', onConnect);
        hostHandle?.session.off('warning', onHostWarning);
        // A persistent session keeps its subscriptions across a restart or redeploy, so the broker
        // queues QoS 1/2 messages meanwhile; only a deleted node gives its topics up.
        const keepAtBroker = !hostHandle && broker.settings.persistent && !removed;
        await Promise.all(subs.map((s) => s.close({ keepAtBroker })));
        await users.deregister(node, removed);
      });
    },
  });
};
