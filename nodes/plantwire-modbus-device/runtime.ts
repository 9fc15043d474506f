import { testModbusDevice } from '../../src/connectors/modbus/device';
import { addConnectionTest } from '../../src/runtime/test-connection';
import { clientStatus, createModbusDevice, MODBUS_DEVICE_HANDLE, type ModbusDeviceHandle } from '../../src/connectors/modbus/device';
import { parseRegisterCsv, parseRegisterMap, registerMapToCsv } from '../../src/connectors/modbus/register-map';
import { modbusDeviceSettings } from '../../src/connectors/modbus/settings';
import { PlantwireError } from '../../src/model/errors';
import { OutageLog } from '../../src/model/outage-log';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { attachHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { ConnectionUsers } from '../../src/runtime/registry';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-modbus-device';

export = function register(RED: RedApi): void {
  addConnectionTest(RED, {
    type: TYPE,
    what: 'Modbus device',
    secretKeys: [] as const,
    address: (c) => `modbus://${String(c.host ?? '').trim()}:${String(c.port ?? '').trim() || '502'}`,
    run: (c) => testModbusDevice(modbusDeviceSettings(c as NodeConfig)),
  });
  defineNode<NodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: NodeConfig) {
      const device = createModbusDevice(modbusDeviceSettings(config));
      const { client, endpoint } = device;
      const users = new ConnectionUsers(node, {
        // The client keeps reconnecting on its own; its state reaches the users below.
        connect: async () => client.start(),
        disconnect: async () => client.stop(),
      });
      // One log line per outage (down, still down after N attempts, back), not one per retry:
      // the shared OutageLog; the outage itself shows in every user's status and the samples' quality.
      const outage = new OutageLog(node, `Modbus device ${endpoint}`);
      client.on('state', (state: string, detail: string) => {
        const s = clientStatus(state as typeof client.state, detail, endpoint);
        users.setState(s.state, s.text);
        if (state === 'connected') outage.succeeded();
        else if (state === 'waiting') outage.failed(detail.replace(/; retrying in .*$/, ''));
        else if (state === 'stopped') outage.clear();
      });
      attachHandle(node, MODBUS_DEVICE_HANDLE, { device, users } satisfies ModbusDeviceHandle);
      onClose(node, () => users.close());
    },
  });

  // The dialogs of the read and write nodes check and convert register maps here (CSV ⇄ table),
  // with the same parser the runtime uses, so an error names the same row either way.
  addAdminRoute(RED, {
    method: 'post',
    path: 'modbus/register-map',
    permission: 'plantwire-modbus-read.write',
    handler(req) {
      const body = (req.body ?? {}) as { csv?: unknown; rows?: unknown };
      if (typeof body.csv === 'string') {
        const rows = parseRegisterCsv(body.csv);
        return { rows, csv: registerMapToCsv(rows) };
      }
      if (Array.isArray(body.rows)) {
        const rows = parseRegisterMap(body.rows);
        return { rows, csv: registerMapToCsv(rows) };
      }
      throw new PlantwireError('bad-request', 'send {"csv": "<text>"} or {"rows": [...]}');
    },
  });
};
