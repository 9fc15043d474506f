import { ChangeFilter, ModbusPoller, type PollResult } from '../../src/connectors/modbus/poller';
import { modbusReadSettings } from '../../src/connectors/modbus/settings';
import { spec } from './fields';
import { onClose } from '../../src/runtime/close';
import { useConfig } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { onInput, reportError } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, NodeMessage, RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { pollStatus } from '../../src/connectors/modbus/status';
import { typedAssetPath } from '../../src/model/settings';
import { evaluateTyped } from '../../src/runtime/typed-input';
import { typedFieldsMigration } from '../../src/runtime/migrate';

const TYPE = 'plantwire-modbus-read';

export = function register(RED: RedApi): void {
  defineNode<NodeConfig>(RED, {
    type: TYPE,
    // Version 2: the asset path is a typed input (fixed, or read from msg/flow/global/env); version 1 flows keep it as fixed text.
    version: { current: spec.version, migrations: { 1: typedFieldsMigration({ asset: 'str' }) } },
    setup(node: RedNode, config: NodeConfig) {
      const settings = modbusReadSettings(config);
      const { device, users } = useConfig(RED, config.device, 'plantwire-modbus-device');
      const s = device.settings;
      // The asset path: fixed, or read for each poll from flow/global/env, or from the message that asked for it (msg; a timed poll has none).
      const assetSource = settings.assetSource;
      const assetFor = async (msg: NodeMessage): Promise<string | undefined> =>
        assetSource.type === 'str' ? undefined : typedAssetPath(await evaluateTyped(RED.util?.evaluateNodeProperty, assetSource, node, msg), assetSource, 'asset path');
      const poller = new ModbusPoller(settings.rows, device.client, { unitId: s.unitId, maxRegisters: s.maxRegisters, maxBits: s.maxBits, maxGap: s.maxGap, asset: assetSource.type === 'str' ? settings.asset : '' });
      const changes = settings.changesOnly ? new ChangeFilter() : null;
      const batchTopic = config.name || `modbus ${device.endpoint}`;
      let closed = false;

      const emit = (result: PollResult, send: SendFn, request?: NodeMessage, asset?: string): void => {
        // A poll asked for by a message always answers with every tag; timed polls honour "only changes".
        let samples = asset ? result.samples.map((x) => ({ ...x, asset })) : result.samples;
        if (changes) {
          const changed = changes.filter(samples);
          if (!request) samples = changed;
        }
        const st = pollStatus(result, settings.rows.length);
        setStatus(node, st.state, st.text);
        if (settings.output === 'batch') {
          if (samples.length === 0) return;
          if (request) {
            request.topic = batchTopic;
            request.payload = samples;
            send(request);
          } else send({ topic: batchTopic, payload: samples });
        } else {
          for (const sample of samples) send({ topic: sample.tag, payload: sample });
        }
      };

      let polling = false;
      let overruns = 0;
      const tick = (): void => {
        if (polling) {
          // The previous poll is still running: skip rather than pile requests up.
          // (While the device is connecting or unreachable the wait is the connection's, not the interval's.)
          if (device.client.state === 'connected' && ++overruns === 1) node.warn(`poll interval ${settings.interval} ms is shorter than one poll takes; polls are skipped while one runs`);
          return;
        }
        polling = true;
        assetFor({})
          .then(async (asset) => {
            const result = await poller.poll();
            if (!closed) emit(result, (m) => node.send(m), undefined, asset);
          })
          .catch((err: unknown) => reportError(node, err))
          .finally(() => {
            polling = false;
          });
      };

      users.register(node);
      let timer: NodeJS.Timeout | null = null;
      let first: NodeJS.Timeout | null = null;
      if (settings.interval > 0) {
        timer = setInterval(tick, settings.interval);
        first = setTimeout(tick, 0);
      }

      onInput(node, async (msg, send) => {
        // A bad asset path in the message refuses it before the device is asked.
        const asset = await assetFor(msg);
        const result = await poller.poll();
        if (!closed) emit(result, send, msg, asset);
      });
      onClose(node, async (removed) => {
        closed = true;
        if (timer) clearInterval(timer);
        if (first) clearTimeout(first);
        await users.deregister(node, removed);
      });
    },
  });
};
