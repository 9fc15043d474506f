import { bufferStatus, PermanentDeliveryError } from '../../src/buffer/forwarder';
import type { QueueEntry } from '../../src/buffer/queue';
import { bufferSettings } from '../../src/buffer/settings';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import type { HistorianConnection } from '../../src/connectors/historian/connection';
import { historianOutSettings, type HistorianOutConfig } from '../../src/connectors/historian/out-settings';
import { HistorianError } from '../../src/connectors/historian/types';
import { toError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { addBufferRoutes, openSinkBuffer } from '../../src/runtime/buffer';
import { onClose } from '../../src/runtime/close';
import { configHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { setStatus, type StatusState } from '../../src/runtime/status';
import type { RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-historian-out';

export = function register(RED: RedApi): void {
  addBufferRoutes(RED);
  defineNode<HistorianOutConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: HistorianOutConfig) {
      // Checked by nodes/plantwire-historian-out/fields.ts (the dialog's rules), then read as settings.
      parseFields(spec, config);
      const settings = historianOutSettings(config);
      const buffering = bufferSettings({ ...config, bufferMode: config.bufferMode ?? String(spec.fields.bufferMode.default) });
      const conn = configHandle<HistorianConnection>(RED, config.db, 'historian', 'historian database', 'database');
      const backend = conn.backend;
      let stored = 0;
      const idle = (): { state: StatusState; text: string } => {
        const s = conn.state;
        if (!s.connected) return { state: s.text === 'not connected' ? 'busy' : 'error', text: s.text === 'not connected' ? 'connecting' : s.text };
        return { state: 'ok', text: stored ? `${stored.toLocaleString('en-US')} samples stored` : s.text };
      };
      // Writes records; a failure updates the shared connection state and is classified for the buffer.
      const write = async (records: unknown[]): Promise<void> => {
        try {
          await backend.write(records);
        } catch (err) {
          const e = toError(err);
          if (e instanceof HistorianError && !e.transient) throw new PermanentDeliveryError(e.message);
          conn.report(false, e.message);
          throw e;
        }
        conn.report(true);
        stored += records.length;
      };
      const buffer = openSinkBuffer<unknown[]>(RED, node, buffering, {
        idleStatus: idle,
        batchSize: settings.batchSize,
        // A large backlog batch (100 messages × thousands of samples) may take longer than the default 30 s.
        deliverTimeoutMs: 120_000,
        deliver: (batch: QueueEntry<unknown[]>[]) => write(batch.flatMap((e) => e.body)),
      });
      conn.users.register(node);
      if (buffer) {
        const onState = (s: { connected: boolean }): void => {
          if (s.connected) buffer.kick();
          buffer.showStatus();
        };
        conn.on('state', onState);
        // The message is validated and encoded here (bad input goes to Catch), stored durably, then done().
        onInput(node, async (msg) => {
          await buffer.accept(backend.encode(toSamples(msg.payload, { tag: msg.topic })));
          const b = bufferStatus(buffer.state());
          if (b) setStatus(node, b.state, b.text);
        });
        onClose(node, async (removed) => {
          conn.off('state', onState);
          await buffer.close(removed);
          await conn.users.deregister(node, removed);
        });
        return;
      }
      // Without a buffer: written before done(); a failure goes to Catch (the message is not kept).
      onInput(node, async (msg) => {
        await write(backend.encode(toSamples(msg.payload, { tag: msg.topic })));
        const s = idle();
        setStatus(node, s.state, s.text);
      });
      onClose(node, (removed) => conn.users.deregister(node, removed));
    },
  });
};
