/**
 * The settings of the Modbus nodes as field specs (src/model/fields.ts),
 * declared once: the dialogs' defaults and validators, the checks at deploy
 * (./settings.ts parses by them) and the help's settings tables come from
 * here. Pure: bundled into the dialogs (no Node.js module, no client library).
 */
import { PlantwireError } from '../../model/errors';
import { defineFields, mustBeOneOf } from '../../model/fields';
import { numberSetting } from '../../model/settings';
import { MAX_READ_BITS, MAX_READ_REGISTERS } from './plan';
import { parseRegisterCsv, parseRegisterMap, type RegisterRow } from './register-map';

/** A host name or IP address (no scheme, path or spaces). */
export function modbusHost(v: unknown): string {
  const host = typeof v === 'string' ? v.trim() : '';
  if (host === '' || /[\s/]/.test(host)) {
    throw new PlantwireError('bad-config', `host must be a host name or IP address (e.g. 192.168.0.10), got ${JSON.stringify(v ?? '')}`, host === '' ? 'host is empty' : 'host is invalid');
  }
  return host;
}

export const modbusDeviceFields = defineFields('plantwire-modbus-device', 1, {
  host: { kind: 'string', default: '127.0.0.1', required: true, label: 'host', message: 'host', parse: modbusHost },
  // A new device starts at the built-in simulator's port; a device saved without a port (a flow
  // written by hand) uses 502, the port of Modbus TCP devices.
  port: { kind: 'number', default: 5020, required: true, min: 1, max: 65535, integer: true, label: 'port', parse: (v) => numberSetting({ port: v }, 'port', { min: 1, max: 65535, integer: true, default: 502, label: 'port' }) },
  unitId: { kind: 'number', default: 1, min: 0, max: 255, integer: true, label: 'unit id', message: 'unitId' },
  timeout: { kind: 'number', default: 1000, min: 50, max: 60_000, integer: true, unit: 'ms', label: 'timeout (ms)' },
  resetAfter: { kind: 'number', default: 3, min: 1, max: 100, integer: true, label: 'reset after timeouts' },
  reconnectMax: { kind: 'number', default: 10_000, min: 100, max: 600_000, integer: true, unit: 'ms', label: 'longest reconnect delay (ms)' },
  maxQueue: { kind: 'number', default: 1000, min: 1, max: 100_000, integer: true, label: 'queue limit' },
  maxRegisters: { kind: 'number', default: MAX_READ_REGISTERS, min: 1, max: MAX_READ_REGISTERS, integer: true, label: 'registers per read', message: 'maxRegisters' },
  maxBits: { kind: 'number', default: MAX_READ_BITS, min: 1, max: MAX_READ_BITS, integer: true, label: 'bits per read', message: 'maxBits' },
  maxGap: { kind: 'number', default: 0, min: 0, max: 124, integer: true, label: 'gap to read over' },
});

/** A map with a row this node may write (coils and holding registers ticked "writable"). */
function withWritableRow(rows: RegisterRow[]): RegisterRow[] {
  if (!rows.some((r) => r.writable)) {
    throw new PlantwireError('bad-config', 'register map has no writable row: tick "writable" for the coils and holding registers this node may write', 'no writable row in the map');
  }
  return rows;
}

/**
 * The register map of a read or write node: the dialog's table, or the CSV text when `mapSource` is "csv"
 * (the rows are read by the runtime's parser in the dialog as well, so an error names the same row either way).
 */
function registerMapFields(rows: (r: RegisterRow[]) => RegisterRow[]) {
  return {
    device: { kind: 'config', default: '', configType: 'plantwire-modbus-device', required: true, label: 'device' },
    mapSource: { kind: 'enum', default: 'table', options: ['table', 'csv'], required: true, label: 'register map source', labelKey: 'label.map', explain: mustBeOneOf(['table', 'csv']) },
    registers: { kind: 'value', default: [] as unknown[], label: 'register map', message: 'registers', hidden: true, when: (c: Record<string, unknown>) => c.mapSource !== 'csv', parse: (v: unknown) => rows(parseRegisterMap(v ?? [])) },
    csv: { kind: 'string', default: '', label: 'register map CSV', message: 'csv', hidden: true, when: (c: Record<string, unknown>) => c.mapSource === 'csv', parse: (v: unknown) => rows(parseRegisterCsv(typeof v === 'string' ? v : '')) },
  } as const;
}

export const modbusWriteFields = defineFields('plantwire-modbus-write', 1, {
  ...registerMapFields(withWritableRow),
  singleRegisterFc: { kind: 'enum', default: '6', options: ['6', '16'], required: true, label: 'single-register writes', explain: 'must use function 6 or 16', status: 'bad write function' },
});

/** The poll interval in ms: 0 polls only when a message arrives, else at least 50 (not saved at all: 1 s). */
function pollInterval(v: unknown): number {
  const interval = numberSetting({ interval: v }, 'interval', { min: 0, max: 86_400_000, default: 1000, label: 'poll interval (ms)' });
  if (interval > 0 && interval < 50) throw new PlantwireError('bad-config', `poll interval (ms) must be 0 (only on input) or at least 50, got ${interval}`, 'poll interval must be 0 or ≥ 50');
  return interval;
}

export const modbusReadFields = defineFields('plantwire-modbus-read', 2, {
  ...registerMapFields((rows) => rows),
  interval: { kind: 'number', default: 1000, required: true, min: 0, max: 86_400_000, integer: true, unit: 'ms', label: 'poll interval (ms)', message: 'interval', parse: pollInterval },
  output: { kind: 'enum', default: 'each', options: ['each', 'batch'], required: true, label: 'output', explain: mustBeOneOf(['each', 'batch']), status: 'bad output mode' },
  changesOnly: { kind: 'boolean', default: false, label: 'only changed values' },
  // Version 2: fixed, or read from msg (a poll asked for by a message) / flow / global / env for each poll.
  asset: { kind: 'typed', default: '', label: 'asset path' },
});
