import { toError } from '../../src/model/errors';
import { settleDelivery, SharedConsumer, type DeadLetter, type Delivery } from '../../src/connectors/nats/consume';
import { natsInSettings, type NatsInConfig } from '../../src/connectors/nats/settings';
import { checkBytes } from '../../src/model/limits';
import { onClose } from '../../src/runtime/close';
import { useConfig } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { reportError } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-nats-in';
const STATUS_EVERY_MS = 1000;

type NatsInNodeConfig = NodeConfig & NatsInConfig;

const decoder = new TextDecoder();

export = function register(RED: RedApi): void {
  defineNode<NatsInNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: NatsInNodeConfig) {
      const settings = natsInSettings(config);
      const link = useConfig(RED, config.connection, 'plantwire-nats-connection');
      let lastStatus = 0;
      let errored = false;
      let deadLetters = 0;
      const status = (force = false): void => {
        const now = Date.now();
        if (!force && (errored || now - lastStatus < STATUS_EVERY_MS)) return;
        lastStatus = now;
        if (!link.connected) return;
        const expired = consumer.expiredCount ? ` · ${consumer.expiredCount} past ack wait` : '';
        const dead = deadLetters ? ` · ${deadLetters} dead` : '';
        setStatus(node, 'ok', consumer.received === 0 ? `consuming ${settings.stream.name}/${settings.durable}` : `${consumer.received.toLocaleString('en-US')} received · ${consumer.unacknowledged} unacked${expired}${dead}`);
      };
      const payloadOf = (data: Uint8Array, what: string): unknown => {
        checkBytes(what, data.length, 'mqttMessageBytes');
        const text = decoder.decode(data);
        if (!settings.json) return text;
        try {
          return JSON.parse(text);
        } catch {
          return text;
        }
      };
      const consumer = new SharedConsumer(link, settings, {
        deliver(d: Delivery) {
          let payload: unknown;
          try {
            payload = payloadOf(d.data, `subject ${d.subject}`);
          } catch (err) {
            // Too large for this runtime: never again (term); JetStream's advisory makes it a dead letter (second output).
            reportError(node, err, { topic: d.subject, payload: undefined });
            settleDelivery(d.key, 'term');
            return;
          }
          const msg: NodeMessage = {
            topic: d.subject,
            payload,
            _nats: { key: d.key, stream: d.stream, consumer: d.consumer, seq: d.streamSeq, deliveries: d.deliveryCount, redelivered: d.redelivered, time: d.time, headers: d.headers, ack: settings.ackMode },
          };
          node.send([msg, null]);
          status();
        },
        deadLetter(dl: DeadLetter) {
          deadLetters++;
          // A payload this runtime cannot take (e.g. over the size limit: the reason it was terminated)
          // goes out without its body, the error saying why — never a throw out of the advisory handler.
          let payload: unknown;
          let error = dl.error;
          try {
            payload = dl.data ? payloadOf(dl.data, `dead letter ${dl.streamSeq}`) : undefined;
          } catch (err) {
            error = `${error ? `${error}; ` : ''}${toError(err).message} (${dl.data?.length ?? 0} bytes, payload left out)`;
          }
          const msg: NodeMessage = {
            topic: dl.subject ?? '',
            payload,
            _nats: { stream: dl.stream, consumer: dl.consumer, seq: dl.streamSeq, deliveries: dl.deliveries, time: dl.time },
            deadLetter: { reason: dl.reason, ...(error ? { error } : {}) },
          };
          node.send([null, msg]);
          status(true);
        },
        error(err) {
          errored = true;
          reportError(node, err);
        },
        running() {
          errored = false;
          status(true);
        },
      });
      link.users.register(node);
      consumer.start();
      const timer = setInterval(() => status(), STATUS_EVERY_MS * 2);
      timer.unref?.();
      onClose(node, async (removed) => {
        clearInterval(timer);
        await consumer.stop();
        await link.users.deregister(node, removed);
      });
    },
  });
};
