import { PlantwireError } from '../../model/errors';

/**
 * Decoding and encoding of Modbus register values: pure functions, no I/O.
 *
 * A Modbus register is 16 bits, sent high byte first. Values wider than one
 * register, and devices that disagree about byte order, are described by the
 * order of the four bytes of a 32-bit value as they appear on the wire, with
 * `A` the most significant byte:
 *
 * | order  | registers (32-bit) | meaning                                    |
 * |--------|--------------------|--------------------------------------------|
 * | `ABCD` | `AB` `CD`          | big endian (Modbus standard)               |
 * | `CDAB` | `CD` `AB`          | word swap: low word first (many PLCs)      |
 * | `BADC` | `BA` `DC`          | byte swap inside each register             |
 * | `DCBA` | `DC` `BA`          | little endian: both swapped                |
 *
 * The same two rules (swap the bytes inside each register; reverse the order
 * of the registers) apply to 64-bit values (`CDAB` for a float64 sends the
 * least significant register first) and, for the byte swap, to 16-bit values.
 * Strings are stored two characters per register, first character in the high
 * byte; `BADC`/`DCBA` swap the two characters of each register, while the
 * register order of a string never changes (word swap does not apply).
 */
export const DATA_TYPES = ['bool', 'int16', 'uint16', 'int32', 'uint32', 'float32', 'float64', 'string'] as const;
export type ModbusDataType = (typeof DATA_TYPES)[number];

export const BYTE_ORDERS = ['ABCD', 'CDAB', 'BADC', 'DCBA'] as const;
export type ByteOrder = (typeof BYTE_ORDERS)[number];

/** Longest string, in registers (one Read Holding Registers response holds 125). */
export const MAX_STRING_REGISTERS = 123;

export type ModbusValue = number | boolean | string;

export interface CodecOptions {
  /** Byte/word order; default `ABCD`. */
  order?: ByteOrder;
  /** Registers a string occupies (strings only). */
  length?: number;
  /** Bit 0–15 of the register (bool in a holding/input register only). */
  bit?: number;
}

const RANGES: Partial<Record<ModbusDataType, [number, number]>> = {
  int16: [-0x8000, 0x7fff],
  uint16: [0, 0xffff],
  int32: [-0x80000000, 0x7fffffff],
  uint32: [0, 0xffffffff],
};

/** Registers a value of this type occupies (`length` for strings; a bool bit uses one register). */
export function registerCount(dataType: ModbusDataType, length = 1): number {
  switch (dataType) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'float64':
      return 4;
    case 'string':
      return length;
  }
}

function swaps(order: ByteOrder): { byteSwap: boolean; wordSwap: boolean } {
  return { byteSwap: order === 'BADC' || order === 'DCBA', wordSwap: order === 'CDAB' || order === 'DCBA' };
}

/** The registers as a big-endian (ABCD…) byte sequence. */
export function registersToBytes(registers: ArrayLike<number>, order: ByteOrder, applyWordSwap = true): Buffer {
  const { byteSwap, wordSwap } = swaps(order);
  const n = registers.length;
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) {
    const reg = registers[wordSwap && applyWordSwap ? n - 1 - i : i]! & 0xffff;
    const hi = reg >>> 8;
    const lo = reg & 0xff;
    out[i * 2] = byteSwap ? lo : hi;
    out[i * 2 + 1] = byteSwap ? hi : lo;
  }
  return out;
}

/** Big-endian bytes back to registers in the device's order (the inverse of registersToBytes). */
export function bytesToRegisters(bytes: Buffer, order: ByteOrder, applyWordSwap = true): number[] {
  const { byteSwap, wordSwap } = swaps(order);
  const n = bytes.length / 2;
  const out = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const hi = bytes[i * 2]!;
    const lo = bytes[i * 2 + 1]!;
    out[wordSwap && applyWordSwap ? n - 1 - i : i] = byteSwap ? (lo << 8) | hi : (hi << 8) | lo;
  }
  return out;
}

/**
 * The shortest decimal that is the same float32: a float32 holding 123.456 is
 * 123.45600128173828 as a double; users expect 123.456.
 */
export function shortestFloat32(f: number): number {
  if (!Number.isFinite(f) || f === 0) return f;
  for (let p = 1; p <= 9; p++) {
    const candidate = Number(f.toPrecision(p));
    if (Math.fround(candidate) === f) return candidate;
  }
  return f;
}

/**
 * Decodes the registers of one value. Returns NaN/±Infinity as they are for
 * floats (the caller decides what a non-finite reading means).
 */
export function decodeRegisters(registers: ArrayLike<number>, dataType: ModbusDataType, opts: CodecOptions = {}): ModbusValue {
  const order = opts.order ?? 'ABCD';
  const need = registerCount(dataType, opts.length ?? registers.length);
  if (registers.length < need) throw new Error(`${dataType} needs ${need} register(s), got ${registers.length}`);
  const regs = registers.length === need ? registers : Array.prototype.slice.call(registers, 0, need);
  if (dataType === 'string') {
    const bytes = registersToBytes(regs, order, false);
    const nul = bytes.indexOf(0);
    return bytes.toString('latin1', 0, nul === -1 ? bytes.length : nul);
  }
  const bytes = registersToBytes(regs, order);
  switch (dataType) {
    case 'bool': {
      const bit = opts.bit ?? 0;
      return ((bytes.readUInt16BE(0) >>> bit) & 1) === 1;
    }
    case 'int16':
      return bytes.readInt16BE(0);
    case 'uint16':
      return bytes.readUInt16BE(0);
    case 'int32':
      return bytes.readInt32BE(0);
    case 'uint32':
      return bytes.readUInt32BE(0);
    case 'float32':
      return shortestFloat32(bytes.readFloatBE(0));
    case 'float64':
      return bytes.readDoubleBE(0);
  }
}

/**
 * Encodes one value into registers in the device's order. Throws a
 * PlantwireError when the value does not fit the type (out of range, not a
 * whole number, string too long, wrong JS type).
 */
export function encodeValue(value: ModbusValue, dataType: ModbusDataType, opts: CodecOptions = {}): number[] {
  const order = opts.order ?? 'ABCD';
  if (dataType === 'bool') {
    throw new PlantwireError('bad-value', 'a bit inside a register cannot be written on its own (write the whole register as uint16)', 'register bits are read-only');
  }
  if (dataType === 'string') {
    if (typeof value !== 'string') throw new PlantwireError('bad-value', `a string register needs a string value, got ${typeof value} ${JSON.stringify(value)}`, 'value must be a string');
    const length = opts.length ?? Math.ceil(value.length / 2);
    if (value.length > length * 2) {
      throw new PlantwireError('bad-value', `"${value.slice(0, 20)}…" has ${value.length} characters but the string has room for ${length * 2} (${length} registers)`, 'string too long');
    }
    if (/[^\u0000-\u00ff]/.test(value)) throw new PlantwireError('bad-value', `"${value.slice(0, 20)}" has characters outside Latin-1; Modbus strings hold one byte per character`, 'string not Latin-1');
    const bytes = Buffer.alloc(length * 2);
    bytes.write(value, 'latin1');
    return bytesToRegisters(bytes, order, false);
  }
  if (typeof value !== 'number') throw new PlantwireError('bad-value', `a ${dataType} register needs a number, got ${typeof value} ${JSON.stringify(value)}`, 'value must be a number');
  if (!Number.isFinite(value)) throw new PlantwireError('bad-value', `value must be a finite number, got ${String(value)}`, 'value is not finite');
  const range = RANGES[dataType];
  if (range) {
    if (!Number.isInteger(value)) throw new PlantwireError('bad-value', `${dataType} needs a whole number, got ${value}`, `${dataType} needs a whole number`);
    if (value < range[0] || value > range[1]) throw new PlantwireError('bad-value', `${value} is out of range for ${dataType} (${range[0]}..${range[1]})`, `out of ${dataType} range`);
  }
  const bytes = Buffer.alloc(registerCount(dataType) * 2);
  switch (dataType) {
    case 'int16':
      bytes.writeInt16BE(value);
      break;
    case 'uint16':
      bytes.writeUInt16BE(value);
      break;
    case 'int32':
      bytes.writeInt32BE(value);
      break;
    case 'uint32':
      bytes.writeUInt32BE(value);
      break;
    case 'float32':
      if (Math.abs(value) > 3.4028234663852886e38) throw new PlantwireError('bad-value', `${value} is out of range for float32`, 'out of float32 range');
      bytes.writeFloatBE(value);
      break;
    case 'float64':
      bytes.writeDoubleBE(value);
      break;
  }
  return bytesToRegisters(bytes, order);
}

/** Engineering value from a raw reading: raw × scale + offset (binary noise like 1.2000000000000002 removed). */
export function applyScale(raw: number, scale: number, offset: number): number {
  if (scale === 1 && offset === 0) return raw;
  return Number((raw * scale + offset).toPrecision(15));
}

/** Raw value to write for an engineering value: (value − offset) / scale, rounded for integer types. */
export function removeScale(value: number, scale: number, offset: number, dataType: ModbusDataType): number {
  if (scale === 1 && offset === 0) return value;
  const raw = (value - offset) / scale;
  if (RANGES[dataType]) return Math.round(raw);
  return Number(raw.toPrecision(15));
}
