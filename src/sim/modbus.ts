import net from 'node:net';
import { bottlingLineSignals, createSignal, MACHINE_STATES, type SignalGenerator } from './signals';
import type { RegisterRow } from '../connectors/modbus/register-map';

/**
 * A Modbus TCP server simulating one bottling line per unit id, with a fixed
 * "type matrix" of known values in every data type and byte/word order (for
 * tests and for trying a register map), written on `net` so it can stop
 * answering on demand. Function codes 1, 2, 3, 4, 5, 6, 15 and 16; exception
 * 01 for other functions, 02 for addresses outside the mapped ranges, 03 for
 * bad quantities or values, 0B for a unit id it does not serve.
 * The register layout is documented in docs/simulators.md ("Modbus TCP").
 */
export interface ModbusSimOptions {
  /** TCP port; 0 picks a free one. Default 5020 (502 needs root). */
  port?: number;
  /** Interface; loopback by default. */
  host?: string;
  /** Unit ids served (each is one bottling line: unit 1 = Line1 …). Default [1, 2]. */
  unitIds?: number[];
  /** How often the live values change (ms). Default 1000. */
  updateMs?: number;
  seed?: number;
  /** One line per event (writes, pause, resume, stop); the caller reports the start. */
  log?: (line: string) => void;
}

export interface SimUnit {
  readonly id: number;
  readonly coils: Uint8Array;
  readonly discrete: Uint8Array;
  readonly holding: Uint16Array;
  readonly input: Uint16Array;
}

export interface ModbusSim {
  readonly host: string;
  readonly port: number;
  /** True while the server swallows requests without answering. */
  readonly paused: boolean;
  /** Requests answered (including exception responses). */
  readonly answered: number;
  /** Open client connections. */
  readonly connections: number;
  /** Client connections accepted since the start (a reconnect counts again). */
  readonly accepted: number;
  /** Stops answering: requests are read and dropped, connections stay open (a hung device). */
  pause(): void;
  resume(): void;
  /** Closes every client connection (the device reboots); new connections are accepted. */
  dropConnections(): void;
  /** The memory of a unit, for tests and demos. */
  unit(id: number): SimUnit;
  stop(): Promise<void>;
}

/** Mapped address ranges per table (anything else answers exception 02). */
export const SIM_RANGES = { coil: 200, discrete: 200, holding: 2000, input: 2000 } as const;

/** The fixed type matrix: the same registers in the holding and the input table. */
export const TYPE_MATRIX_BASE = 1000;
interface MatrixEntry {
  dataType: RegisterRow['dataType'];
  /** Address of the ABCD copy; CDAB, BADC, DCBA follow at +stride, +2·stride, +3·stride. */
  address: number;
  stride: number;
  /** Register images as the device stores them, per order (computed by hand, not by the codec). */
  images: { ABCD: number[]; CDAB: number[]; BADC: number[]; DCBA: number[] };
}
const M: MatrixEntry[] = [
  { dataType: 'int16', address: 1000, stride: 1, images: { ABCD: [0xcfc7], CDAB: [0xcfc7], BADC: [0xc7cf], DCBA: [0xc7cf] } }, // -12345
  { dataType: 'uint16', address: 1010, stride: 1, images: { ABCD: [0xd431], CDAB: [0xd431], BADC: [0x31d4], DCBA: [0x31d4] } }, // 54321
  { dataType: 'int32', address: 1020, stride: 2, images: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] } }, // -123456789
  { dataType: 'uint32', address: 1030, stride: 2, images: { ABCD: [0xba2c, 0x2b15], CDAB: [0x2b15, 0xba2c], BADC: [0x2cba, 0x152b], DCBA: [0x152b, 0x2cba] } }, // 3123456789
  { dataType: 'float32', address: 1040, stride: 2, images: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] } }, // 123.456
  {
    dataType: 'float64',
    address: 1050,
    stride: 4,
    images: {
      ABCD: [0xc0c3, 0x4a45, 0x87e7, 0xc06e],
      CDAB: [0xc06e, 0x87e7, 0x4a45, 0xc0c3],
      BADC: [0xc3c0, 0x454a, 0xe787, 0x6ec0],
      DCBA: [0x6ec0, 0xe787, 0x454a, 0xc3c0],
    },
  }, // -9876.54321
  {
    dataType: 'string',
    address: 1070,
    stride: 8,
    images: {
      ABCD: [0x506c, 0x616e, 0x7477, 0x6972, 0x652d, 0x4d6f, 0x6462, 0x7573],
      CDAB: [0x506c, 0x616e, 0x7477, 0x6972, 0x652d, 0x4d6f, 0x6462, 0x7573],
      BADC: [0x6c50, 0x6e61, 0x7774, 0x7269, 0x2d65, 0x6f4d, 0x6264, 0x7375],
      DCBA: [0x6c50, 0x6e61, 0x7774, 0x7269, 0x2d65, 0x6f4d, 0x6264, 0x7375],
    },
  }, // "Plantwire-Modbus"
  { dataType: 'bool', address: 1110, stride: 1, images: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } }, // bits 2, 4, 5, 9, 12 set
];
export const TYPE_MATRIX: readonly MatrixEntry[] = M;

/** Discrete inputs 100–107 hold this fixed pattern. */
export const DISCRETE_PATTERN = [true, false, true, true, false, false, true, false] as const;

const LIVE_SIGNALS = {
  ProductTemperature: 'Filler/ProductTemperature',
  BowlPressure: 'Filler/BowlPressure',
  FlowRate: 'Filler/FlowRate',
  FillCount: 'Filler/FillCount',
  Speed: 'Speed',
  Power: 'Energy/Power',
  State: 'State',
  CapCount: 'Capper/CapCount',
  RinserTemperature: 'Rinser/WaterTemperature',
  LabelCount: 'Labeller/LabelCount',
  LowBottleSupply: 'Alarms/LowBottleSupply',
  CapperJam: 'Alarms/CapperJam',
  PasteurizerOverTemp: 'Alarms/PasteurizerOverTemp',
  EmergencyStop: 'Alarms/EmergencyStop',
} as const;

/**
 * The simulator's plant register map for one unit (line), as a Plantwire
 * register map: live values in the input registers and discrete inputs,
 * setpoints in holding registers and coils (writable).
 */
export function modbusSimPlantMap(unitId = 1, withUnitId = false): RegisterRow[] {
  const L = `Line${unitId}`;
  const r = (tag: string, fn: RegisterRow['function'], address: number, dataType: RegisterRow['dataType'], extra: Partial<RegisterRow> = {}): RegisterRow => {
    const length = dataType === 'float64' ? 4 : dataType === 'int32' || dataType === 'uint32' || dataType === 'float32' ? 2 : 1;
    const row: RegisterRow = { tag: `${L}/${tag}`, address, function: fn, dataType, order: 'ABCD', length, scale: 1, offset: 0, writable: false, ...extra };
    if (withUnitId) row.unitId = unitId;
    return row;
  };
  return [
    r('Filler/ProductTemperature', 'input', 0, 'float32', { unit: '°C' }),
    r('Filler/BowlPressure', 'input', 2, 'float32', { unit: 'bar' }),
    r('Filler/FlowRate', 'input', 4, 'float32', { unit: 'l/min' }),
    r('Filler/FillCount', 'input', 6, 'uint32', { unit: 'bottles' }),
    r('Speed', 'input', 8, 'uint16', { unit: 'bottles/min' }),
    r('Energy/Power', 'input', 9, 'uint16', { unit: 'kW', scale: 0.1 }),
    r('State', 'input', 10, 'uint16'),
    r('Capper/CapCount', 'input', 11, 'uint16', { unit: 'caps' }),
    r('Rinser/WaterTemperature', 'input', 12, 'int16', { unit: '°C', scale: 0.01 }),
    r('Status/Running', 'input', 13, 'bool', { bit: 0 }),
    r('Status/AlarmActive', 'input', 13, 'bool', { bit: 1 }),
    r('Status/Fault', 'input', 13, 'bool', { bit: 2 }),
    r('Labeller/LabelCount', 'input', 14, 'uint32', { unit: 'labels', order: 'CDAB' }),
    r('Alarms/LowBottleSupply', 'discrete', 0, 'bool'),
    r('Alarms/CapperJam', 'discrete', 1, 'bool'),
    r('Alarms/PasteurizerOverTemp', 'discrete', 2, 'bool'),
    r('Alarms/EmergencyStop', 'discrete', 3, 'bool'),
    r('Filler/TemperatureSetpoint', 'holding', 0, 'float32', { unit: '°C', writable: true }),
    r('SpeedSetpoint', 'holding', 2, 'uint16', { unit: 'bottles/min', writable: true }),
    r('Filler/FillVolumeSetpoint', 'holding', 3, 'uint16', { unit: 'ml', scale: 0.1, writable: true }),
    r('Recipe', 'holding', 4, 'string', { length: 8, writable: true }),
    r('RunCommand', 'coil', 0, 'bool', { writable: true }),
    r('AlarmReset', 'coil', 1, 'bool', { writable: true }),
  ];
}

function writeFloat32(regs: Uint16Array, at: number, v: number): void {
  const b = Buffer.alloc(4);
  b.writeFloatBE(v);
  regs[at] = b.readUInt16BE(0);
  regs[at + 1] = b.readUInt16BE(2);
}
function writeUint32(regs: Uint16Array, at: number, v: number, wordSwap = false): void {
  const hi = Math.floor(v / 0x10000) & 0xffff;
  const lo = v & 0xffff;
  regs[at] = wordSwap ? lo : hi;
  regs[at + 1] = wordSwap ? hi : lo;
}

interface Unit extends SimUnit {
  generators: Map<string, SignalGenerator>;
}

function createUnit(id: number, seed: number): Unit {
  const unit: Unit = {
    id,
    coils: new Uint8Array(SIM_RANGES.coil),
    discrete: new Uint8Array(SIM_RANGES.discrete),
    holding: new Uint16Array(SIM_RANGES.holding),
    input: new Uint16Array(SIM_RANGES.input),
    generators: new Map(),
  };
  const wanted = new Set<string>(Object.values(LIVE_SIGNALS));
  for (const spec of bottlingLineSignals(id)) {
    const short = spec.tag.slice(`Line${id}/`.length);
    if (wanted.has(short)) unit.generators.set(short, createSignal(spec, seed));
  }
  for (const entry of M) {
    (['ABCD', 'CDAB', 'BADC', 'DCBA'] as const).forEach((order, i) => {
      const at = entry.address + i * entry.stride;
      entry.images[order].forEach((w, k) => {
        unit.holding[at + k] = w;
        unit.input[at + k] = w;
      });
    });
  }
  DISCRETE_PATTERN.forEach((b, i) => (unit.discrete[100 + i] = b ? 1 : 0));
  // Setpoints and commands start at plant defaults.
  writeFloat32(unit.holding, 0, 4.5);
  unit.holding[2] = 600;
  unit.holding[3] = 5000;
  const recipe = Buffer.alloc(16);
  recipe.write('PILS-0.5L', 'latin1');
  for (let i = 0; i < 8; i++) unit.holding[4 + i] = recipe.readUInt16BE(i * 2);
  unit.coils[0] = 1;
  return unit;
}

function updateUnit(unit: Unit, now: number): void {
  const v = (name: keyof typeof LIVE_SIGNALS): unknown => unit.generators.get(LIVE_SIGNALS[name])?.next(now);
  const num = (name: keyof typeof LIVE_SIGNALS): number => Number(v(name)) || 0;
  writeFloat32(unit.input, 0, num('ProductTemperature'));
  writeFloat32(unit.input, 2, num('BowlPressure'));
  writeFloat32(unit.input, 4, num('FlowRate'));
  writeUint32(unit.input, 6, num('FillCount') >>> 0);
  unit.input[8] = Math.round(num('Speed')) & 0xffff;
  unit.input[9] = Math.round(num('Power') * 10) & 0xffff;
  const state = Math.max(0, MACHINE_STATES.indexOf(String(v('State')) as (typeof MACHINE_STATES)[number]));
  unit.input[10] = state;
  unit.input[11] = num('CapCount') & 0xffff;
  unit.input[12] = Math.round(num('RinserTemperature') * 100) & 0xffff;
  const alarms = (['LowBottleSupply', 'CapperJam', 'PasteurizerOverTemp', 'EmergencyStop'] as const).map((a) => v(a) === true);
  alarms.forEach((a, i) => (unit.discrete[i] = a ? 1 : 0));
  unit.input[13] = (state === 0 ? 1 : 0) | (alarms.some(Boolean) ? 2 : 0) | (state === 4 ? 4 : 0);
  writeUint32(unit.input, 14, num('LabelCount') >>> 0, true);
}

const EXC_ILLEGAL_FUNCTION = 0x01;
const EXC_ILLEGAL_ADDRESS = 0x02;
const EXC_ILLEGAL_VALUE = 0x03;
const EXC_GATEWAY_TARGET = 0x0b;

/** Handles one PDU for a unit; returns the response PDU. Exported for unit tests. */
export function handlePdu(unit: SimUnit, pdu: Buffer, onWrite?: (what: string) => void): Buffer {
  const fc = pdu[0] ?? 0;
  const exc = (code: number): Buffer => Buffer.from([fc | 0x80, code]);
  const u16 = (at: number): number => (pdu.length >= at + 2 ? pdu.readUInt16BE(at) : -1);
  switch (fc) {
    case 1:
    case 2: {
      const addr = u16(1);
      const qty = u16(3);
      if (pdu.length !== 5 || qty < 1 || qty > 2000) return exc(EXC_ILLEGAL_VALUE);
      const table = fc === 1 ? unit.coils : unit.discrete;
      if (addr + qty > table.length) return exc(EXC_ILLEGAL_ADDRESS);
      const bytes = Math.ceil(qty / 8);
      const out = Buffer.alloc(2 + bytes);
      out[0] = fc;
      out[1] = bytes;
      for (let i = 0; i < qty; i++) if (table[addr + i]) out[2 + (i >> 3)]! |= 1 << (i & 7);
      return out;
    }
    case 3:
    case 4: {
      const addr = u16(1);
      const qty = u16(3);
      if (pdu.length !== 5 || qty < 1 || qty > 125) return exc(EXC_ILLEGAL_VALUE);
      const table = fc === 3 ? unit.holding : unit.input;
      if (addr + qty > table.length) return exc(EXC_ILLEGAL_ADDRESS);
      const out = Buffer.alloc(2 + qty * 2);
      out[0] = fc;
      out[1] = qty * 2;
      for (let i = 0; i < qty; i++) out.writeUInt16BE(table[addr + i]!, 2 + i * 2);
      return out;
    }
    case 5: {
      const addr = u16(1);
      const value = u16(3);
      if (pdu.length !== 5 || (value !== 0xff00 && value !== 0x0000)) return exc(EXC_ILLEGAL_VALUE);
      if (addr >= unit.coils.length) return exc(EXC_ILLEGAL_ADDRESS);
      unit.coils[addr] = value === 0xff00 ? 1 : 0;
      onWrite?.(`unit ${unit.id}: coil ${addr} = ${value === 0xff00}`);
      return Buffer.from(pdu);
    }
    case 6: {
      const addr = u16(1);
      const value = u16(3);
      if (pdu.length !== 5) return exc(EXC_ILLEGAL_VALUE);
      if (addr >= unit.holding.length) return exc(EXC_ILLEGAL_ADDRESS);
      unit.holding[addr] = value;
      onWrite?.(`unit ${unit.id}: holding ${addr} = ${value}`);
      return Buffer.from(pdu);
    }
    case 15: {
      const addr = u16(1);
      const qty = u16(3);
      const count = pdu[5] ?? -1;
      if (qty < 1 || qty > 1968 || count !== Math.ceil(qty / 8) || pdu.length !== 6 + count) return exc(EXC_ILLEGAL_VALUE);
      if (addr + qty > unit.coils.length) return exc(EXC_ILLEGAL_ADDRESS);
      for (let i = 0; i < qty; i++) unit.coils[addr + i] = (pdu[6 + (i >> 3)]! >> (i & 7)) & 1;
      onWrite?.(`unit ${unit.id}: coils ${addr}..${addr + qty - 1}`);
      return pdu.subarray(0, 5);
    }
    case 16: {
      const addr = u16(1);
      const qty = u16(3);
      const count = pdu[5] ?? -1;
      if (qty < 1 || qty > 123 || count !== qty * 2 || pdu.length !== 6 + count) return exc(EXC_ILLEGAL_VALUE);
      if (addr + qty > unit.holding.length) return exc(EXC_ILLEGAL_ADDRESS);
      for (let i = 0; i < qty; i++) unit.holding[addr + i] = pdu.readUInt16BE(6 + i * 2);
      onWrite?.(`unit ${unit.id}: holding ${addr}..${addr + qty - 1}`);
      return pdu.subarray(0, 5);
    }
    default:
      return exc(EXC_ILLEGAL_FUNCTION);
  }
}

export async function startModbusSim(opts: ModbusSimOptions = {}): Promise<ModbusSim> {
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  const unitIds = opts.unitIds ?? [1, 2];
  const units = new Map<number, Unit>(unitIds.map((id) => [id, createUnit(id, seed)]));
  const first = units.get(unitIds[0] ?? 1);
  const log = opts.log;
  let paused = false;
  let answered = 0;
  const sockets = new Set<net.Socket>();
  let accepted = 0;

  const tick = (): void => {
    const now = Date.now();
    for (const u of units.values()) updateUnit(u, now);
  };
  tick();
  const timer = setInterval(tick, Math.max(10, opts.updateMs ?? 1000));
  timer.unref();

  const server = net.createServer((socket) => {
    sockets.add(socket);
    accepted += 1;
    socket.setNoDelay(true);
    let buf = Buffer.alloc(0);
    socket.on('data', (chunk) => {
      buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
      while (buf.length >= 7) {
        const length = buf.readUInt16BE(4);
        if (buf.readUInt16BE(2) !== 0 || length < 2 || length > 254) {
          // Not Modbus TCP: a real device drops the connection.
          socket.destroy();
          return;
        }
        if (buf.length < 6 + length) return;
        const frame = buf.subarray(0, 6 + length);
        buf = buf.subarray(6 + length);
        if (paused) continue;
        const unitId = frame[6]!;
        const pdu = frame.subarray(7);
        // 0 and 255 address "this device" on Modbus TCP: the first unit.
        const unit = units.get(unitId) ?? (unitId === 0 || unitId === 255 ? first : undefined);
        const response = unit ? handlePdu(unit, pdu, log) : Buffer.from([(pdu[0] ?? 0) | 0x80, EXC_GATEWAY_TARGET]);
        const head = Buffer.alloc(7);
        frame.copy(head, 0, 0, 4);
        head.writeUInt16BE(response.length + 1, 4);
        head[6] = unitId;
        answered += 1;
        socket.write(Buffer.concat([head, response]));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 5020, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;

  let stopped: Promise<void> | null = null;
  return {
    host,
    port,
    get paused() {
      return paused;
    },
    get answered() {
      return answered;
    },
    get connections() {
      return sockets.size;
    },
    get accepted() {
      return accepted;
    },
    pause() {
      paused = true;
      log?.('Modbus simulator paused: requests are not answered');
    },
    resume() {
      paused = false;
      log?.('Modbus simulator resumed');
    },
    dropConnections() {
      for (const s of sockets) s.destroy();
    },
    unit(id) {
      const u = units.get(id);
      if (!u) throw new Error(`the simulator serves unit ids ${unitIds.join(', ')}, not ${id}`);
      return u;
    },
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        clearInterval(timer);
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
        log?.('Modbus simulator stopped');
      });
      return stopped;
    },
  };
}
