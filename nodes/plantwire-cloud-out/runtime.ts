import crypto from 'node:crypto';
import { bufferStatus, PermanentDeliveryError } from '../../src/buffer/forwarder';
import type { QueueEntry } from '../../src/buffer/queue';
import { bufferSettings, type BufferConfig } from '../../src/buffer/settings';
import { cloudOutSettings, toCloudRecords, type CloudOutConfig, type CloudRecordBody } from '../../src/connectors/cloud/out';
import type { CloudRecord, CloudState } from '../../src/connectors/cloud/types';
import { toError } from '../../src/model/errors';
import { addBufferRoutes, openSinkBuffer } from '../../src/runtime/buffer';
import { onClose } from '../../src/runtime/close';
import { useConfig } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { recoveringStatus, setStatus, type StatusState } from '../../src/runtime/status';
import type { NodeConfig, NodeMessage, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-cloud-out';

type CloudOutNodeConfig = NodeConfig & CloudOutConfig & BufferConfig & { connection?: string };

/** What one buffered input message becomes: its records, in order. */
interface BufferedRecords {
  records: CloudRecordBody[];
}

/** Errors a target marks as never succeeding (transient: false) are dead-lettered, not retried. */
function classified(err: unknown): Error {
  const e = toError(err);
  if ((e as { transient?: unknown }).transient === false) return new PermanentDeliveryError(e.message);
  return e;
}

export = function register(RED: RedApi): void {
  addBufferRoutes(RED);
  defineNode<CloudOutNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: CloudOutNodeConfig) {
      const conn = useConfig(RED, config.connection, 'plantwire-cloud-connection');
      const settings = cloudOutSettings(config, conn.kind);
      const buffering = bufferSettings(config);
      // Batch targets (S3, webhook) collect records in a buffer and write them in flushes: memory at least.
      if (conn.batching && buffering.mode === 'off') buffering.mode = 'memory';
      const look = (): { state: StatusState; text: string } => conn.look();
      // After a failed message the status is red; the next good one shows the connection (or buffer) again.
      const guarded = recoveringStatus(node);
      const render = (msg: NodeMessage): CloudRecordBody[] => toCloudRecords(msg, settings, conn.kind);

      const batch = conn.settings && 's3' in conn.settings ? conn.settings.s3 : conn.settings && 'webhook' in conn.settings ? conn.settings.webhook : null;
      const buffer = openSinkBuffer<BufferedRecords>(RED, node, buffering, {
        idleStatus: look,
        // Batch targets write one object / request per delivery: hold entries back until count, bytes or time says flush.
        ...(batch ? { flush: { count: batch.flushCount, bytes: batch.flushBytes, ms: batch.flushMs } } : { batchSize: 100 }),
        deliverTimeoutMs: (batch?.timeoutMs ?? 30_000) + 5000,
        deliver: async (batch: QueueEntry<BufferedRecords>[]) => {
          const records: CloudRecord[] = batch.flatMap((e) => e.body.records.map((r, i) => ({ ...r, key: e.body.records.length === 1 ? String(e.key) : `${e.key}-${i}`, ts: e.ts })));
          try {
            await conn.deliver(records);
          } catch (err) {
            throw classified(err);
          }
        },
      });
      // Registered once nothing in the setup can fail any more (a failed setup must not keep the connection open).
      conn.users.register(node);
      // A state that does not change (e.g. "not set up") was shown before the flow's Status nodes existed: show it again once the flow runs.
      RED.events?.once('flows:started', () => {
        const c = (buffer ? bufferStatus(buffer.state()) : null) ?? look();
        if (!guarded.failed()) setStatus(node, c.state, c.text);
      });
      if (buffer) {
        const offState = conn.onState((s: CloudState) => {
          if (s === 'connected') buffer.kick();
          buffer.showStatus();
        });
        onInput(node, (msg) => guarded(async () => buffer.accept({ records: render(msg) }), () => bufferStatus(buffer.state()) ?? look()));
        onClose(node, async (removed) => {
          offState();
          await buffer.close(removed);
          await conn.users.deregister(node, removed);
        });
        return;
      }
      // Unbuffered: the message is done once the target acknowledged every record (PUBACKs).
      onInput(node, (msg) =>
        guarded(async () => {
          const id = typeof msg._msgid === 'string' ? msg._msgid : crypto.randomUUID();
          const records = render(msg).map((r, i) => ({ ...r, key: `${id}-${i}`, ts: Date.now() }));
          await conn.deliver(records);
        }, look),
      );
      onClose(node, (removed) => conn.users.deregister(node, removed));
    },
  });
};
