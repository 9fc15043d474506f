// Editor definition of plantwire-modbus-device (config node). Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-modbus-device.html.
import { connectionTest, invalid } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    host: {
      value: '127.0.0.1',
      required: true,
      validate: function (v: string, opt?: object) {
        return (/^[A-Za-z0-9.:[\]_-]+$/.test(String(v).trim())) || invalid(this, opt, 'plantwire-modbus-device.validation.host');
      },
    },
    port: { value: 5020, required: true, validate: RED.validators.number() },
    unitId: {
      value: 1,
      required: true,
      validate: function (v: string, opt?: object) {
        return (/^\d+$/.test(String(v)) && Number(v) <= 255) || invalid(this, opt, 'plantwire-modbus-device.validation.unitId');
      },
    },
    timeout: { value: 1000, required: true, validate: RED.validators.number() },
    resetAfter: { value: 3, required: true, validate: RED.validators.number() },
    reconnectMax: { value: 10000, required: true, validate: RED.validators.number() },
    maxQueue: { value: 1000, required: true, validate: RED.validators.number() },
    maxRegisters: {
      value: 125,
      required: true,
      validate: function (v: string, opt?: object) {
        return (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 125) || invalid(this, opt, 'plantwire-modbus-device.validation.maxRegisters');
      },
    },
    maxBits: {
      value: 2000,
      required: true,
      validate: function (v: string, opt?: object) {
        return (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 2000) || invalid(this, opt, 'plantwire-modbus-device.validation.maxBits');
      },
    },
    maxGap: { value: 0, required: true, validate: RED.validators.number() },
  },
  icon: 'plantwire-modbus-device.svg',
  paletteLabel: 'modbus device',
  label: function (this: ModbusDeviceEditorProps) {
    return this.name || 'modbus ' + this.host + ':' + this.port + ' #' + this.unitId;
  },
  oneditprepare: function (this: ModbusDeviceEditorProps) {
    connectionTest(this);
  },
});
