import { PlantwireError } from '../../model/errors';
import { numberSetting } from '../../model/settings';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from './plan';
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
  const host = typeof config.host === 'string' ? config.host.trim() : '';
  if (host === '' || /[\s/]/.test(host)) {
    throw new PlantwireError('bad-config', `host must be a host name or IP address (e.g. 192.168.0.10), got ${JSON.stringify(config.host ?? '')}`, host === '' ? 'host is empty' : 'host is invalid');
  }
  return {
    host,
    port: numberSetting(config, 'port', { min: 1, max: 65535, integer: true, default: 502, label: 'port' }),
    unitId: numberSetting(config, 'unitId', { min: 0, max: 255, integer: true, default: 1, label: 'unit id' }),
    timeoutMs: numberSetting(config, 'timeout', { min: 50, max: 60_000, integer: true, default: 1000, label: 'timeout (ms)' }),
    resetAfterTimeouts: numberSetting(config, 'resetAfter', { min: 1, max: 100, integer: true, default: 3, label: 'reset after timeouts' }),
    reconnectMaxMs: numberSetting(config, 'reconnectMax', { min: 100, max: 600_000, integer: true, default: 10_000, label: 'longest reconnect delay (ms)' }),
    maxQueue: numberSetting(config, 'maxQueue', { min: 1, max: 100_000, integer: true, default: 1000, label: 'queue limit' }),
    maxRegisters: numberSetting(config, 'maxRegisters', { min: 1, max: MAX_READ_REGISTERS, integer: true, default: MAX_READ_REGISTERS, label: 'registers per read' }),
    maxBits: numberSetting(config, 'maxBits', { min: 1, max: MAX_READ_BITS, integer: true, default: MAX_READ_BITS, label: 'bits per read' }),
    maxGap: numberSetting(config, 'maxGap', { min: 0, max: 124, integer: true, default: 0, label: 'gap to read over' }),
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
  const rows = registerMapSetting(config);
  if (!rows.some((r) => r.writable)) {
    throw new PlantwireError('bad-config', 'register map has no writable row: tick "writable" for the coils and holding registers this node may write', 'no writable row in the map');
  }
  const fc = String(config.singleRegisterFc ?? '6');
  if (fc !== '6' && fc !== '16') throw new PlantwireError('bad-config', `single-register writes must use function 6 or 16, got ${JSON.stringify(config.singleRegisterFc)}`, 'bad write function');
  return { rows, singleRegisterFc: fc === '6' ? 6 : 16 };
}
