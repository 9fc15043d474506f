import { modbusWriteSettings } from '../../src/connectors/modbus/settings';
import { writeTags, writeTargets } from '../../src/connectors/modbus/writer';
import { onClose } from '../../src/runtime/close';
import { useConfig } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-modbus-write';

export = function register(RED: RedApi): void {
  defineNode<NodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: NodeConfig) {
      const settings = modbusWriteSettings(config);
      const { device, users } = useConfig(RED, config.device, 'plantwire-modbus-device');
      const rowsByTag = new Map(settings.rows.map((r) => [r.tag, r]));
      const opts = { unitId: device.settings.unitId, singleRegisterFc: settings.singleRegisterFc };
      users.register(node);

      onInput(node, async (msg, send) => {
        // Everything is checked before the first write: a bad message writes nothing.
        const targets = writeTargets(msg.payload, typeof msg.topic === 'string' ? msg.topic : undefined, rowsByTag);
        const written = await writeTags(device.client, targets, opts);
        const first = written[0]!;
        setStatus(node, 'ok', written.length === 1 ? `${first.tag} = ${JSON.stringify(first.value)}` : `wrote ${written.length} tags`);
        msg.written = written;
        send(msg);
      });
      onClose(node, (removed) => users.deregister(node, removed));
    },
  });
};
