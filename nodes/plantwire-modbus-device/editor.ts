// Editor definition of plantwire-modbus-device (config node). Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-modbus-device.html.
import { connectionTest } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ModbusDeviceEditorProps extends EditorNodeProperties {
  version: number;
  host: string;
  port: number;
  unitId: number;
  timeout: number;
  resetAfter: number;
  reconnectMax: number;
  maxQueue: number;
  maxRegisters: number;
  maxBits: number;
  maxGap: number;
}

RED.nodes.registerType<ModbusDeviceEditorProps>('plantwire-modbus-device', {
  category: 'config',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  icon: 'plantwire-modbus-device.svg',
  paletteLabel: 'modbus device',
  label: function (this: ModbusDeviceEditorProps) {
    return this.name || 'modbus ' + this.host + ':' + this.port + ' #' + this.unitId;
  },
  oneditprepare: function (this: ModbusDeviceEditorProps) {
    connectionTest(this);
  },
});
