import { PlantwireError } from '../../model/errors';
import { numberSetting } from '../../model/settings';
import { parseFields } from '../../model/fields';
import { modbusDeviceFields, modbusWriteFields } from './fields';
import { parseRegisterCsv, parseRegisterMap, type RegisterRow } from './register-map';

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

/** The register map of a read or write node: the dialog's table, or the CSV text when `mapSource` is "csv". */
export function registerMapSetting(config: Record<string, unknown>): RegisterRow[] {
  const source = config.mapSource ?? 'table';
  if (source === 'csv') return parseRegisterCsv(typeof config.csv === 'string' ? config.csv : '');
  if (source !== 'table') throw new PlantwireError('bad-config', `register map source must be "table" or "csv", got ${JSON.stringify(source)}`, 'bad register map source');
  return parseRegisterMap(config.registers ?? []);
}

export interface ModbusReadSettings {
  rows: RegisterRow[];
  /** Poll interval in ms; 0 = only when a message arrives. */
  interval: number;
  output: 'each' | 'batch';
  /** Report by exception: only samples whose value or quality changed. */
  changesOnly: boolean;
  asset: string;
}

export function modbusReadSettings(config: Record<string, unknown>): ModbusReadSettings {
  const rows = registerMapSetting(config);
  const interval = numberSetting(config, 'interval', { min: 0, max: 86_400_000, default: 1000, label: 'poll interval (ms)' });
  if (interval > 0 && interval < 50) throw new PlantwireError('bad-config', `poll interval (ms) must be 0 (only on input) or at least 50, got ${interval}`, 'poll interval must be 0 or ≥ 50');
  const output = config.output ?? 'each';
  if (output !== 'each' && output !== 'batch') throw new PlantwireError('bad-config', `output must be "each" or "batch", got ${JSON.stringify(output)}`, 'bad output mode');
  const asset = typeof config.asset === 'string' ? config.asset.trim().replace(/^\/+|\/+$/g, '') : '';
  return { rows, interval, output, changesOnly: config.changesOnly === true || config.changesOnly === 'true', asset };
}

export interface ModbusWriteSettings {
  rows: RegisterRow[];
  singleRegisterFc: 6 | 16;
}

export function modbusWriteSettings(config: Record<string, unknown>): ModbusWriteSettings {
  const f = parseFields(modbusWriteFields, config);
  return { rows: (f.mapSource === 'csv' ? f.csv : f.registers) as RegisterRow[], singleRegisterFc: f.singleRegisterFc === '16' ? 16 : 6 };
}
