import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusClient } from '../../src/connectors/modbus/client';
import type { ByteOrder, ModbusDataType } from '../../src/connectors/modbus/codec';
import { ModbusPoller } from '../../src/connectors/modbus/poller';
import { parseRegisterMap, type RegisterRow } from '../../src/connectors/modbus/register-map';
import { writeTags, writeTargets } from '../../src/connectors/modbus/writer';
import { sampleProblems, type TagSample } from '../../src/model/sample';
import { MACHINE_STATES } from '../../src/sim/signals';
import { modbusSimPlantMap, startModbusSim, type ModbusSim } from '../../src/sim/modbus';

/** Polls `fn` until it returns true (generous deadline; no fixed sleeps). */
async function until(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const ORDERS: ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/**
 * The simulator's type matrix (docs/simulators.md, "Modbus TCP"), stated here
 * independently: per type the address of the ABCD copy, the distance to the
 * CDAB, BADC and DCBA copies, and the value every copy must decode to.
 */
const MATRIX: Array<{ type: ModbusDataType; base: number; stride: number; expected: number | string | boolean; extra?: Record<string, unknown> }> = [
  { type: 'int16', base: 1000, stride: 1, expected: -12345 },
  { type: 'uint16', base: 1010, stride: 1, expected: 54321 },
  { type: 'int32', base: 1020, stride: 2, expected: -123456789 },
  { type: 'uint32', base: 1030, stride: 2, expected: 3123456789 },
  { type: 'float32', base: 1040, stride: 2, expected: 123.456 },
  { type: 'float64', base: 1050, stride: 4, expected: -9876.54321 },
  { type: 'string', base: 1070, stride: 8, expected: 'Plantwire-Modbus', extra: { length: 8 } },
  { type: 'bool', base: 1110, stride: 1, expected: true, extra: { bit: 2 } },
  { type: 'bool', base: 1110, stride: 1, expected: false, extra: { bit: 1 } },
];
const CASES = MATRIX.flatMap((m) => ORDERS.map((order, i) => ({ ...m, order, address: m.base + i * m.stride })));

let sim: ModbusSim;
let client: ModbusClient;

beforeAll(async () => {
  sim = await startModbusSim({ port: 0, updateMs: 100 });
  client = new ModbusClient({ host: '127.0.0.1', port: sim.port, timeoutMs: 300, resetAfterTimeouts: 2, reconnectMinMs: 50, reconnectMaxMs: 300 });
  client.start();
  await until('connected', () => client.state === 'connected');
});
afterAll(async () => {
  client?.stop();
  await sim?.stop();
});

describe('Modbus TCP simulator through the real client: every data type in every byte/word order', () => {
  for (const fn of ['holding', 'input'] as const) {
    it.each(CASES.map((c) => [c.type, c.order, c.address, c.expected, c] as const))(`${fn} %s %s at %i decodes to %j`, async (type, order, address, expected, c) => {
      const rows = parseRegisterMap([{ tag: `m/${type}/${order}`, address, function: fn, dataType: type, order, ...c.extra }]);
      const { samples } = await new ModbusPoller(rows, client, { unitId: 1 }).poll();
      expect(samples).toHaveLength(1);
      expect(samples[0]).toMatchObject({ tag: `m/${type}/${order}`, value: expected, quality: 'good' });
    });
  }

  it('the whole matrix (72 rows, holding and input) in one poll: few requests, all values right', async () => {
    const raw = (['holding', 'input'] as const).flatMap((fn) => CASES.map((c) => ({ tag: `${fn}/${c.type}/${c.order}/${String(c.extra?.bit ?? '')}`, address: c.address, function: fn, dataType: c.type, order: c.order, ...c.extra })));
    const rows = parseRegisterMap(raw);
    const poller = new ModbusPoller(rows, client, { unitId: 1, maxGap: 10 });
    const before = sim.answered;
    const result = await poller.poll();
    expect(result.bad).toBe(0);
    // 1000..1117 is 118 registers: one request per table.
    expect(result.requests).toBe(2);
    expect(sim.answered - before).toBe(2);
    const expected = (['holding', 'input'] as const).flatMap(() => CASES.map((c) => c.expected));
    expect(result.samples.map((s) => s.value)).toEqual(expected);
  });

  it('coils and discrete inputs, including the fixed pattern at discrete 100–107', async () => {
    const rows = parseRegisterMap(Array.from({ length: 8 }, (_, i) => ({ tag: `d${i}`, address: 100 + i, function: 'discrete' })));
    const { samples, requests } = await new ModbusPoller(rows, client, { unitId: 1 }).poll();
    expect(requests).toBe(1);
    expect(samples.map((s) => s.value)).toEqual([true, false, true, true, false, false, true, false]);
  });
});

describe('the simulated plant', () => {
  it('serves live bottling-line values that change, with units and scale applied, for unit 1 and unit 2', async () => {
    const rows = [...modbusSimPlantMap(1, true), ...modbusSimPlantMap(2, true)];
    const poller = new ModbusPoller(rows, client, { unitId: 1, asset: 'acme/hh/bottling' });
    const first = await poller.poll();
    expect(first.bad).toBe(0);
    for (const s of first.samples) expect(sampleProblems(s)).toEqual([]);
    const by = (tag: string): TagSample => first.samples.find((s) => s.tag === tag)!;
    expect(by('Line1/Filler/ProductTemperature')).toMatchObject({ unit: '°C', asset: 'acme/hh/bottling', quality: 'good' });
    expect(by('Line1/Filler/ProductTemperature').value).toBeGreaterThanOrEqual(3.5);
    expect(by('Line1/Filler/ProductTemperature').value).toBeLessThanOrEqual(6.5);
    expect(by('Line2/Energy/Power').value).toBeGreaterThanOrEqual(85);
    expect(by('Line2/Energy/Power').value).toBeLessThanOrEqual(120);
    expect(by('Line1/Rinser/WaterTemperature').value).toBeGreaterThanOrEqual(18);
    expect(by('Line1/Rinser/WaterTemperature').value).toBeLessThanOrEqual(24);
    expect(MACHINE_STATES[by('Line1/State').value as number]).toBeDefined();
    expect(by('Line1/Filler/TemperatureSetpoint').value).toBe(4.5);
    expect(by('Line1/Filler/FillVolumeSetpoint').value).toBe(500);
    expect(by('Line1/Recipe').value).toBe('PILS-0.5L');
    expect(by('Line1/RunCommand').value).toBe(true);
    const count = by('Line1/Filler/FillCount').value as number;
    await until('FillCount counts up', async () => ((await poller.poll()).samples.find((s) => s.tag === 'Line1/Filler/FillCount')!.value as number) > count);
  });

  it('writes through FC5, FC6 and FC16 (float32, scaled uint16, string) and reads them back', async () => {
    const rows = modbusSimPlantMap(1);
    const byTag = new Map(rows.map((r) => [r.tag, r]));
    const targets = writeTargets({ 'Line1/Filler/TemperatureSetpoint': 6.25, 'Line1/Filler/FillVolumeSetpoint': 330.5, 'Line1/Recipe': 'WEISS-0.33', 'Line1/RunCommand': false }, undefined, byTag);
    const results = await writeTags(client, targets, { unitId: 1 });
    expect(results.map((r) => r.request)).toEqual([
      'unit 1 FC16 write registers 0..1',
      'unit 1 FC6 write register 3',
      'unit 1 FC16 write registers 4..11',
      'unit 1 FC5 write coil 0',
    ]);
    expect(sim.unit(1).holding[3]).toBe(3305);
    const { samples } = await new ModbusPoller(rows.filter((r) => r.writable), client, { unitId: 1 }).poll();
    expect(Object.fromEntries(samples.map((s) => [s.tag, s.value]))).toEqual({
      'Line1/Filler/TemperatureSetpoint': 6.25,
      'Line1/SpeedSetpoint': 600,
      'Line1/Filler/FillVolumeSetpoint': 330.5,
      'Line1/Recipe': 'WEISS-0.33',
      'Line1/RunCommand': false,
      'Line1/AlarmReset': false,
    });
    // FC16 for a single register when the device wants it.
    await writeTags(client, writeTargets(640, 'Line1/SpeedSetpoint', byTag), { unitId: 1, singleRegisterFc: 16 });
    expect(sim.unit(1).holding[2]).toBe(640);
    // FC15 (write coils) on the wire, straight through the client.
    await client.request({ fc: 15, unitId: 1, address: 10, values: [true, false, true, true, false, false, false, false, true] });
    expect([...sim.unit(1).coils.subarray(10, 19)]).toEqual([1, 0, 1, 1, 0, 0, 0, 0, 1]);
  });
});

describe('exceptions are reported per tag with bad quality', () => {
  it('a block the device refuses (exception 02) is split: the bad row is bad, its neighbours stay good', async () => {
    const rows = parseRegisterMap([
      { tag: 'ok1', address: 1998, function: 'holding' },
      { tag: 'ok2', address: 1999, function: 'holding' },
      { tag: 'beyond', address: 2000, function: 'holding', dataType: 'float32' },
      { tag: 'other', address: 0, function: 'input', dataType: 'float32' },
    ]);
    const poller = new ModbusPoller(rows, client, { unitId: 1 });
    expect(poller.requests).toHaveLength(2);
    const first = await poller.poll();
    expect(first.samples.map((s) => [s.tag, s.quality, s.statusCode])).toEqual([
      ['ok1', 'good', undefined],
      ['ok2', 'good', undefined],
      ['beyond', 'bad', 'exception 2: Illegal Data Address'],
      ['other', 'good', undefined],
    ]);
    expect(first.samples[2]!.value).toBeNull();
    // The split is kept: the next poll asks row by row straight away.
    expect(poller.requests).toHaveLength(4);
    const before = sim.answered;
    const second = await poller.poll();
    expect(second.requests).toBe(4);
    expect(sim.answered - before).toBe(4);
    expect(second.bad).toBe(1);
  });

  it('a unit id the gateway does not serve gives exception 11 on its rows only', async () => {
    const rows = parseRegisterMap([
      { tag: 'here', address: 0, function: 'holding', dataType: 'float32' },
      { tag: 'gone', address: 0, function: 'holding', dataType: 'float32', unitId: 7 },
    ]);
    const { samples } = await new ModbusPoller(rows, client, { unitId: 1 }).poll();
    expect(samples.map((s) => [s.quality, s.statusCode])).toEqual([
      ['good', undefined],
      ['bad', 'exception 11: Gateway Target Device Failed to Respond'],
    ]);
  });

  it('answers exception 01 to an unsupported function and 03 to a bad quantity (raw frames)', async () => {
    const ask = (frame: number[]): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        const s = net.connect({ host: '127.0.0.1', port: sim.port }, () => s.write(Buffer.from(frame)));
        s.once('data', (d) => {
          s.destroy();
          resolve(d);
        });
        s.once('error', reject);
      });
    const fc7 = await ask([0, 9, 0, 0, 0, 2, 1, 7]);
    expect([...fc7]).toEqual([0, 9, 0, 0, 0, 3, 1, 0x87, 1]);
    const tooMany = await ask([0, 10, 0, 0, 0, 6, 1, 3, 0, 0, 0, 126]);
    expect([...tooMany]).toEqual([0, 10, 0, 0, 0, 3, 1, 0x83, 3]);
  });
});

describe('a device that stops answering', () => {
  it('gives bad-quality samples (timeout, then not connected) and recovers when it answers again', async () => {
    const rows = modbusSimPlantMap(1).slice(0, 5);
    const poller = new ModbusPoller(rows, client, { unitId: 1 });
    expect((await poller.poll()).bad).toBe(0);
    sim.pause();
    try {
      const hung = await poller.poll();
      expect(hung.bad).toBe(rows.length);
      expect(hung.samples.every((s) => s.value === null && typeof s.statusCode === 'string')).toBe(true);
      expect(hung.samples[0]!.statusCode).toMatch(/^timeout: no answer within 300 ms$/);
      // After two timeouts in a row the client resets the connection; polls then fail fast or time out, never hang.
      await until('connection reset', async () => {
        await poller.poll();
        return client.stats.resets >= 1;
      });
      const t0 = Date.now();
      const down = await poller.poll();
      expect(Date.now() - t0).toBeLessThan(5_000);
      expect(down.bad).toBe(rows.length);
      expect(down.samples[0]!.statusCode).toMatch(/^(timeout|not connected)/);
    } finally {
      sim.resume();
    }
    await until('good samples again', async () => (await poller.poll()).bad === 0);
  });

  it('reconnects after the device drops the connection', async () => {
    const rows = modbusSimPlantMap(1).slice(0, 3);
    const poller = new ModbusPoller(rows, client, { unitId: 1 });
    await until('connected', () => client.state === 'connected');
    const connects = client.stats.connects;
    sim.dropConnections();
    await until('reconnected', () => client.stats.connects > connects && client.state === 'connected');
    await until('good samples again', async () => (await poller.poll()).bad === 0);
  });
});
