import type { QueueEntry } from '../../src/buffer/queue';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';
import { historianOutSettings, type HistorianOutConfig } from '../../src/connectors/historian/out-settings';
import { toError } from '../../src/model/errors';
import { toSamples } from '../../src/model/sample';
import { connectionStatus } from '../../src/model/status';
import { useConfig } from '../../src/runtime/config-node';
import { defineSink, type Look } from '../../src/runtime/sink';
import type { RedApi } from '../../src/runtime/types';

export = function register(RED: RedApi): void {
  defineSink<HistorianOutConfig, unknown[]>(RED, {
    type: 'plantwire-historian-out',
    version: { current: 1 },
    setup(node, config) {
      // Checked by nodes/plantwire-historian-out/fields.ts (the dialog's rules), then read as settings.
      parseFields(spec, config);
      const settings = historianOutSettings(config);
      const conn = useConfig(RED, config.db, 'plantwire-historian-db');
      const backend = conn.backend;
      let stored = 0;
      return {
        // The message is validated and encoded here (bad input goes to Catch), then stored (or written, buffer off).
        check: (msg) => backend.encode(toSamples(msg.payload, { tag: msg.topic })),
        // Writes records; a failure (HistorianError: transient or not) updates the shared connection state.
        deliver: async (batch: QueueEntry<unknown[]>[]) => {
          try {
            await backend.write(batch.flatMap((e) => e.body));
          } catch (err) {
            const e = toError(err);
            if ((e as { transient?: unknown }).transient !== false) conn.report(false, e.message);
            throw e;
          }
          conn.report(true);
          stored += batch.reduce((n, e) => n + e.body.length, 0);
        },
        // The connection's typed state, mapped in the one place (connectionStatus); while connected, the samples stored.
        idleStatus: (): Look => {
          const s = conn.state;
          return s.connected && stored ? { state: 'ok', text: `${stored.toLocaleString('en-US')} samples stored` } : connectionStatus(s);
        },
        users: conn.users,
        watch(changed) {
          const onState = (s: { connected: boolean }): void => changed(s.connected);
          conn.on('state', onState);
          return () => conn.off('state', onState);
        },
        batchSize: settings.batchSize,
        // A large backlog batch (100 messages × thousands of samples) may take longer than the default 30 s.
        deliverTimeoutMs: 120_000,
      };
    },
  });
};
