import type { TypedSetting } from '../../model/settings';
import { parseFields } from '../../model/fields';
import { modbusDeviceFields, modbusReadFields, modbusWriteFields } from './fields';
import type { RegisterRow } from './register-map';

/** Configuration of the Modbus nodes, validated without Node-RED (errors name the field). */
export interface ModbusDeviceSettings {
  host: string;
  port: number;
  unitId: number;
  timeoutMs: number;
  resetAfterTimeouts: number;
  reconnectMaxMs: number;
  maxQueue: number;
  maxRegisters: number;
  maxBits: number;
  maxGap: number;
}

export function modbusDeviceSettings(config: Record<string, unknown>): ModbusDeviceSettings {
  const f = parseFields(modbusDeviceFields, config);
  return {
    host: f.host as string,
    port: f.port,
    unitId: f.unitId,
    timeoutMs: f.timeout,
    resetAfterTimeouts: f.resetAfter,
    reconnectMaxMs: f.reconnectMax,
    maxQueue: f.maxQueue,
    maxRegisters: f.maxRegisters,
    maxBits: f.maxBits,
    maxGap: f.maxGap,
  };
}

export interface ModbusReadSettings {
  rows: RegisterRow[];
  /** Poll interval in ms; 0 = only when a message arrives. */
  interval: number;
  output: 'each' | 'batch';
  /** Report by exception: only samples whose value or quality changed. */
  changesOnly: boolean;
  /** The fixed asset path (trimmed, no leading or trailing "/"). */
  asset: string;
  /** Where the asset path comes from: fixed, or read per poll from msg/flow/global/env. */
  assetSource: TypedSetting;
}

export function modbusReadSettings(config: Record<string, unknown>): ModbusReadSettings {
  const f = parseFields(modbusReadFields, config);
  const asset = typeof config.asset === 'string' ? config.asset.trim().replace(/^\/+|\/+$/g, '') : '';
  return { rows: (f.mapSource === 'csv' ? f.csv : f.registers) as RegisterRow[], interval: f.interval, output: f.output as 'each' | 'batch', changesOnly: f.changesOnly, asset, assetSource: f.asset };
}

export interface ModbusWriteSettings {
  rows: RegisterRow[];
  singleRegisterFc: 6 | 16;
}

export function modbusWriteSettings(config: Record<string, unknown>): ModbusWriteSettings {
  const f = parseFields(modbusWriteFields, config);
  return { rows: (f.mapSource === 'csv' ? f.csv : f.registers) as RegisterRow[], singleRegisterFc: f.singleRegisterFc === '16' ? 16 : 6 };
}
