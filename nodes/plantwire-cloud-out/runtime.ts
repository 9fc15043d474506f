import crypto from 'node:crypto';
import type { QueueEntry } from '../../src/buffer/queue';
import type { BufferConfig } from '../../src/buffer/settings';
import { cloudOutSettings, toCloudRecords, type CloudOutConfig, type CloudRecordBody } from '../../src/connectors/cloud/out';
import type { CloudRecord, CloudState } from '../../src/connectors/cloud/types';
import { useConfig } from '../../src/runtime/config-node';
import { defineSink } from '../../src/runtime/sink';
import type { NodeConfig, RedApi } from '../../src/runtime/types';

type CloudOutNodeConfig = NodeConfig & CloudOutConfig & BufferConfig & { connection?: string };

/** What one input message becomes: its records, in order. */
interface BufferedRecords {
  records: CloudRecordBody[];
}

export = function register(RED: RedApi): void {
  defineSink<CloudOutNodeConfig, BufferedRecords>(RED, {
    type: 'plantwire-cloud-out',
    version: { current: 1 },
    setup(node, config, buffering) {
      const conn = useConfig(RED, config.connection, 'plantwire-cloud-connection');
      const settings = cloudOutSettings(config, conn.kind);
      // Batch targets (S3, webhook) collect records in a buffer and write them in flushes: memory at least.
      if (conn.batching && buffering.mode === 'off') buffering.mode = 'memory';
      const batch = conn.settings && 's3' in conn.settings ? conn.settings.s3 : conn.settings && 'webhook' in conn.settings ? conn.settings.webhook : null;
      return {
        check: (msg) => ({ records: toCloudRecords(msg, settings, conn.kind) }),
        // The targets' errors carry `transient` (src/model/delivery.ts): e.g. S3 AccessDenied or a webhook 400 is dead-lettered, not retried.
        // Each part the target confirms (an S3 object, a PUBACK) restarts the delivery timeout (the sink kit's per-part timeout).
        deliver: async (entries: QueueEntry<BufferedRecords>[], _settle, _send, ctx) => {
          const records: CloudRecord[] = entries.flatMap((e) => e.body.records.map((r, i) => ({ ...r, key: e.body.records.length === 1 ? String(e.key) : `${e.key}-${i}`, ts: e.ts })));
          await conn.deliver(records, ctx.progress);
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
