import { describe, expect, it } from 'vitest';
import { clientState } from '../../src/connectors/modbus/device';
import { connectionStatus } from '../../src/model/status';
import { pollStatus } from '../../src/connectors/modbus/status';
import { modbusDeviceFields } from '../../src/connectors/modbus/fields';
import { modbusDeviceSettings, modbusReadSettings, modbusWriteSettings } from '../../src/connectors/modbus/settings';
import { makeSample } from '../../src/model/sample';

describe('Modbus node settings', () => {
  it('device: defaults, numbers from the dialog, host names and IPv6', () => {
    expect(modbusDeviceSettings({ host: ' plc-1.local ', port: '502' })).toEqual({
      host: 'plc-1.local',
      port: 502,
      unitId: 1,
      timeoutMs: 1000,
      resetAfterTimeouts: 3,
      reconnectMaxMs: 10_000,
      maxQueue: 1000,
      maxRegisters: 125,
      maxBits: 2000,
      maxGap: 0,
    });
    expect(modbusDeviceSettings({ host: '::1', port: 5020, unitId: '0' })).toMatchObject({ host: '::1', unitId: 0 });
    // The dialog starts a new device at the simulator's port; a device saved without a port is a Modbus TCP device on 502.
    expect(modbusDeviceFields.fields.port.default).toBe(5020);
    expect(modbusDeviceSettings({ host: 'plc' }).port).toBe(502);
    expect(() => modbusDeviceSettings({ host: 'plc', port: '' })).not.toThrow();
  });

  it.each([
    [{ host: '' }, /host must be a host name or IP address/],
    [{ host: 'tcp://plc:502' }, /host must be a host name or IP address \(e\.g\. 192\.168\.0\.10\), got "tcp:\/\/plc:502"/],
    [{ host: 'plc', port: 70000 }, /port must be at most 65535/],
    [{ host: 'plc', unitId: 256 }, /unit id must be at most 255/],
    [{ host: 'plc', timeout: 10 }, /timeout \(ms\) must be at least 50/],
    [{ host: 'plc', maxRegisters: 126 }, /registers per read must be at most 125/],
    [{ host: 'plc', maxBits: 'lots' }, /bits per read must be a number, got "lots"/],
  ])('device: %j is refused naming the field', (config, message) => {
    expect(() => modbusDeviceSettings(config)).toThrow(message);
  });

  it('read: table or CSV map, interval 0 or ≥ 50, output mode, asset trimmed', () => {
    const s = modbusReadSettings({ registers: [{ tag: 'a', address: 1 }], interval: '0', output: 'batch', changesOnly: true, asset: '/acme/hh/' });
    expect(s).toMatchObject({ interval: 0, output: 'batch', changesOnly: true, asset: 'acme/hh' });
    expect(s.rows).toHaveLength(1);
    expect(modbusReadSettings({ mapSource: 'csv', csv: 'tag,address\nb,2\n' }).rows[0]).toMatchObject({ tag: 'b', address: 2, function: 'holding' });
    expect(() => modbusReadSettings({ registers: [{ tag: 'a', address: 1 }], interval: 20 })).toThrow(/poll interval \(ms\) must be 0 \(only on input\) or at least 50, got 20/);
    expect(() => modbusReadSettings({ registers: [{ tag: 'a', address: 1 }], output: 'stream' })).toThrow(/output must be "each" or "batch"/);
    expect(() => modbusReadSettings({ mapSource: 'xml' })).toThrow(/register map source must be "table" or "csv"/);
    expect(() => modbusReadSettings({ registers: [] })).toThrow(/register map is empty/);
  });

  it('write: needs a writable row; FC 6 or 16 for single registers', () => {
    expect(modbusWriteSettings({ registers: [{ tag: 'a', address: 1, writable: true }], singleRegisterFc: '16' }).singleRegisterFc).toBe(16);
    expect(() => modbusWriteSettings({ registers: [{ tag: 'a', address: 1 }] })).toThrow(/no writable row/);
    expect(() => modbusWriteSettings({ registers: [{ tag: 'a', address: 1, writable: true }], singleRegisterFc: 5 })).toThrow(/function 6 or 16/);
  });
});

describe('Modbus status texts (≤ 48 characters, saying what is wrong)', () => {
  it('connection states', () => {
    const status = (...a: Parameters<typeof clientState>) => connectionStatus(clientState(...a));
    expect(status('connected', '10.0.0.5:502')).toEqual({ state: 'ok', text: 'connected 10.0.0.5:502' });
    expect(status('waiting', '10.0.0.5:502', { reason: 'connect ECONNREFUSED 10.0.0.5:502', cause: 'ECONNREFUSED', retryMs: 2000 })).toEqual({ state: 'error', text: 'ECONNREFUSED 10.0.0.5:502, retry 2 s' });
    expect(status('waiting', '10.0.0.5:502', { reason: 'no answer to 3 requests in a row', cause: 'no answer', retryMs: 500 }).text).toBe('no answer 10.0.0.5:502, retry 500 ms');
    expect(status('waiting', '10.0.0.5:502')).toEqual({ state: 'error', text: 'reconnecting to 10.0.0.5:502' });
    expect(status('stopped', 'x')).toEqual({ state: 'idle', text: 'disconnected' });
  });

  it('poll results', () => {
    const good = makeSample('a', 1);
    const bad = (code: string) => makeSample('b', null, { quality: 'bad', statusCode: code });
    expect(pollStatus({ samples: [good, good], requests: 1, bad: 0 }, 2)).toEqual({ state: 'ok', text: '2 tags ok' });
    expect(pollStatus({ samples: [good, bad('exception 2: Illegal Data Address')], requests: 2, bad: 1, reasons: [undefined, 'exception 2'] }, 2)).toEqual({ state: 'error', text: '1 of 2 tags bad: exception 2' });
    expect(pollStatus({ samples: [bad('not connected: x'), bad('not connected: x')], requests: 1, bad: 2, reasons: ['not connected', 'not connected'] }, 2)).toEqual({ state: 'error', text: 'all 2 tags bad: not connected' });
    expect(pollStatus({ samples: [good, bad('not a finite number (NaN)')], requests: 1, bad: 1, reasons: [] }, 2).text).toBe('1 of 2 tags bad: not a finite number (NaN)');
  });
});
