import { createModbusDevice, modbusDeviceHandle, testModbusDevice, type ModbusDeviceHandle } from '../../src/connectors/modbus/device';
import { parseRegisterCsv, parseRegisterMap, registerMapToCsv } from '../../src/connectors/modbus/register-map';
import { modbusDeviceSettings } from '../../src/connectors/modbus/settings';
import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { defineConfigNode } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig, ReturnType<typeof modbusDeviceSettings>, ModbusDeviceHandle & { users: { close(): Promise<void> } }>(RED, {
    type: 'plantwire-modbus-device',
    label: 'Modbus device',
    field: 'device',
    settings: (config) => modbusDeviceSettings(config),
    open: (node, settings) => modbusDeviceHandle(node, createModbusDevice(settings)),
    close: (handle) => handle.users.close(),
    test: {
      what: 'Modbus device',
      secretKeys: [],
      address: (c) => `modbus://${String(c.host ?? '').trim()}:${String(c.port ?? '').trim() || '502'}`,
      run: (c) => testModbusDevice(modbusDeviceSettings(c as NodeConfig)),
    },
    routes() {
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
    },
  });
};
