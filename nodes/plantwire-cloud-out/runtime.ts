import crypto from 'node:crypto';
import type { QueueEntry } from '../../src/buffer/queue';
import type { BufferConfig } from '../../src/buffer/settings';
import { cloudOutSettings, partSettler, toCloudRecords, type CloudOutConfig, type CloudRecordBody } from '../../src/connectors/cloud/out';
import type { CloudRecord, CloudState } from '../../src/connectors/cloud/types';
import { useConfig } from '../../src/runtime/config-node';
import { typedTemplate } from '../../src/connectors/mqtt/uns';
import { typedFieldsMigration } from '../../src/runtime/migrate';
import { defineSink } from '../../src/runtime/sink';
import { evaluateTyped } from '../../src/runtime/typed-input';
import type { NodeConfig, RedApi } from '../../src/runtime/types';

type CloudOutNodeConfig = NodeConfig & CloudOutConfig & BufferConfig & { connection?: string };

/** What one input message becomes: its records, in order. */
interface BufferedRecords {
  records: CloudRecordBody[];
}

export = function register(RED: RedApi): void {
  defineSink<CloudOutNodeConfig, BufferedRecords>(RED, {
    type: 'plantwire-cloud-out',
    // Version 2: the topic template is a typed input (fixed, or read per message from msg/flow/global/env); version 1 flows keep it as fixed text.
    version: { current: 2, migrations: { 1: typedFieldsMigration({ topic: 'str' }) } },
    setup(node, config, buffering) {
      const conn = useConfig(RED, config.connection, 'plantwire-cloud-connection');
      const settings = cloudOutSettings(config, conn.kind);
      // Batch targets (S3, webhook) collect records in a buffer and write them in flushes: memory at least.
      if (conn.batching && buffering.mode === 'off') buffering.mode = 'memory';
      const batch = conn.settings && 's3' in conn.settings ? conn.settings.s3 : conn.settings && 'webhook' in conn.settings ? conn.settings.webhook : null;
      return {
        // A topic template read from the message is checked here, before anything is stored (only MQTT targets use it).
        async check(msg) {
          const s = settings.topicSource.type === 'str' || conn.kind !== 'aws-iot' ? settings : { ...settings, topic: typedTemplate(await evaluateTyped(RED.util?.evaluateNodeProperty, settings.topicSource, node, msg), settings.topicSource) };
          return { records: toCloudRecords(msg, s, conn.kind) };
        },
        // The targets' errors carry `transient` (src/model/delivery.ts): e.g. S3 AccessDenied or a webhook 400 is dead-lettered, not retried.
        // Each part the target confirms (an S3 object, a PUBACK) restarts the delivery timeout (the sink kit's per-part timeout).
        // Entries whose parts all landed are settled at once (partSettler): an attempt cut short (timeout, redeploy) sends only the rest again,
        // and ctx.signal stops the target sending further parts (no object PUT or record published twice by the old and the new attempt).
        deliver: async (entries: QueueEntry<BufferedRecords>[], settle, _send, ctx) => {
          const keyed = entries.map((e) => ({ id: e.id, records: e.body.records.map((r, i) => ({ ...r, key: e.body.records.length === 1 ? String(e.key) : `${e.key}-${i}`, ts: e.ts })) }));
          const part = partSettler(keyed.map((e) => ({ id: e.id, keys: e.records.map((r) => r.key) })), (ids) => settle(ids, 'delivered'));
          const records: CloudRecord[] = keyed.flatMap((e) => e.records);
          await conn.deliver(
            records,
            (keys) => {
              ctx.progress();
              part(keys);
            },
            ctx.signal,
          );
        },
        // Unbuffered: the message is done once the target acknowledged every record (PUBACKs).
        async direct(body, msg) {
          const id = typeof msg._msgid === 'string' ? msg._msgid : crypto.randomUUID();
          await conn.deliver(body.records.map((r, i) => ({ ...r, key: `${id}-${i}`, ts: Date.now() })));
        },
        idleStatus: () => conn.look(),
        users: conn.users,
        watch: (changed) => conn.onState((s: CloudState) => changed(s === 'connected')),
        // Batch targets write one object / request per delivery: hold entries back until count, bytes or time says flush.
        ...(batch ? { flush: { count: batch.flushCount, bytes: batch.flushBytes, ms: batch.flushMs } } : { batchSize: 100 }),
        deliverTimeoutMs: (batch?.timeoutMs ?? 30_000) + 5000,
      };
    },
  });
};
