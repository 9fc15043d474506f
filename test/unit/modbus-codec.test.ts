import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyScale,
  BYTE_ORDERS,
  bytesToRegisters,
  decodeRegisters,
  encodeValue,
  registersToBytes,
  registerCount,
  removeScale,
  shortestFloat32,
  type ByteOrder,
  type ModbusDataType,
} from '../../src/connectors/modbus/codec';

/** Known register images, as a device sends them, for every numeric type and order. */
const VECTORS: Array<{ type: ModbusDataType; value: number | string; regs: Record<ByteOrder, number[]>; length?: number }> = [
  { type: 'float32', value: 123.456, regs: { ABCD: [0x42f6, 0xe979], CDAB: [0xe979, 0x42f6], BADC: [0xf642, 0x79e9], DCBA: [0x79e9, 0xf642] } },
  { type: 'int32', value: -123456789, regs: { ABCD: [0xf8a4, 0x32eb], CDAB: [0x32eb, 0xf8a4], BADC: [0xa4f8, 0xeb32], DCBA: [0xeb32, 0xa4f8] } },
  { type: 'uint32', value: 3123456789, regs: { ABCD: [0xba2c, 0x2b15], CDAB: [0x2b15, 0xba2c], BADC: [0x2cba, 0x152b], DCBA: [0x152b, 0x2cba] } },
  {
    type: 'float64',
    value: -9876.54321,
    regs: {
      ABCD: [0xc0c3, 0x4a45, 0x87e7, 0xc06e],
      CDAB: [0xc06e, 0x87e7, 0x4a45, 0xc0c3],
      BADC: [0xc3c0, 0x454a, 0xe787, 0x6ec0],
      DCBA: [0x6ec0, 0xe787, 0x454a, 0xc3c0],
    },
  },
  { type: 'int16', value: -2, regs: { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] } },
  { type: 'uint16', value: 0x1234, regs: { ABCD: [0x1234], CDAB: [0x1234], BADC: [0x3412], DCBA: [0x3412] } },
  {
    type: 'string',
    value: 'Plantwire',
    length: 5,
    regs: {
      ABCD: [0x506c, 0x616e, 0x7477, 0x6972, 0x6500],
      CDAB: [0x506c, 0x616e, 0x7477, 0x6972, 0x6500],
      BADC: [0x6c50, 0x6e61, 0x7774, 0x7269, 0x0065],
      DCBA: [0x6c50, 0x6e61, 0x7774, 0x7269, 0x0065],
    },
  },
];

describe('Modbus codec: known vectors', () => {
  for (const v of VECTORS) {
    for (const order of BYTE_ORDERS) {
      it(`${v.type} ${JSON.stringify(v.value)} in ${order} is ${v.regs[order].map((r) => `0x${r.toString(16).padStart(4, '0')}`).join(' ')}`, () => {
        expect(decodeRegisters(v.regs[order], v.type, { order, length: v.length })).toBe(v.value);
        expect(encodeValue(v.value, v.type, { order, length: v.length })).toEqual(v.regs[order]);
      });
    }
  }

  it('bool reads one bit of the register (after the byte order is applied)', () => {
    expect(decodeRegisters([0x0008], 'bool', { bit: 3 })).toBe(true);
    expect(decodeRegisters([0x0008], 'bool', { bit: 2 })).toBe(false);
    expect(decodeRegisters([0x8000], 'bool', { bit: 15 })).toBe(true);
    expect(decodeRegisters([0x0800], 'bool', { bit: 3, order: 'BADC' })).toBe(true);
    expect(decodeRegisters([0x0800], 'bool', { bit: 11, order: 'BADC' })).toBe(false);
  });

  it('a string stops at the first NUL and keeps Latin-1 characters', () => {
    expect(decodeRegisters([0x4142, 0x0043, 0x4400], 'string', { length: 3 })).toBe('AB');
    expect(decodeRegisters([0xc4d6], 'string', { length: 1 })).toBe('ÄÖ');
    expect(encodeValue('ÄÖ', 'string', { length: 1 })).toEqual([0xc4d6]);
  });

  it('float32 decodes to the shortest decimal of the same float (123.456, not 123.45600128173828)', () => {
    expect(shortestFloat32(Math.fround(0.1))).toBe(0.1);
    expect(shortestFloat32(Math.fround(1e-7))).toBe(1e-7);
    expect(decodeRegisters([0x3dcc, 0xcccd], 'float32')).toBe(0.1);
  });

  it('NaN and infinities come back as they are (the poller marks them bad)', () => {
    expect(decodeRegisters([0x7fc0, 0x0000], 'float32')).toBeNaN();
    expect(decodeRegisters([0x7f80, 0x0000], 'float32')).toBe(Infinity);
    expect(decodeRegisters([0xfff0, 0, 0, 0], 'float64')).toBe(-Infinity);
  });

  it('refuses values that do not fit, naming the type and range', () => {
    expect(() => encodeValue(70000, 'uint16')).toThrow(/70000 is out of range for uint16 \(0..65535\)/);
    expect(() => encodeValue(-1, 'uint32')).toThrow(/out of range for uint32/);
    expect(() => encodeValue(1.5, 'int16')).toThrow(/int16 needs a whole number, got 1.5/);
    expect(() => encodeValue('12', 'int32')).toThrow(/needs a number, got string "12"/);
    expect(() => encodeValue(NaN, 'float64')).toThrow(/finite/);
    expect(() => encodeValue(1e39, 'float32')).toThrow(/out of range for float32/);
    expect(() => encodeValue('too long for two', 'string', { length: 2 })).toThrow(/has 16 characters but the string has room for 4 \(2 registers\)/);
    expect(() => encodeValue('€', 'string', { length: 2 })).toThrow(/Latin-1/);
    expect(() => encodeValue(true, 'bool')).toThrow(/bit inside a register/);
  });

  it('registerCount per type', () => {
    expect([registerCount('bool'), registerCount('int16'), registerCount('uint32'), registerCount('float32'), registerCount('float64'), registerCount('string', 7)]).toEqual([1, 1, 2, 2, 4, 7]);
  });

  it('scale and offset: raw × scale + offset, without binary noise; the inverse rounds for integer types', () => {
    expect(applyScale(12, 0.1, 0)).toBe(1.2);
    expect(applyScale(5000, 0.1, -273.15)).toBe(226.85);
    expect(applyScale(7, 1, 0)).toBe(7);
    expect(removeScale(1.2, 0.1, 0, 'uint16')).toBe(12);
    expect(removeScale(226.85, 0.1, -273.15, 'int16')).toBe(5000);
    expect(removeScale(2.5, 0.5, 0, 'float32')).toBe(5);
  });
});

describe('Modbus codec: properties', () => {
  const order = fc.constantFrom(...BYTE_ORDERS);
  const roundTrip = (type: ModbusDataType, arb: fc.Arbitrary<number>) =>
    fc.assert(
      fc.property(arb, order, (value, o) => {
        const regs = encodeValue(value, type, { order: o });
        expect(regs).toHaveLength(registerCount(type));
        for (const r of regs) expect(r >= 0 && r <= 0xffff && Number.isInteger(r)).toBe(true);
        expect(decodeRegisters(regs, type, { order: o })).toBe(value);
      }),
      { numRuns: 300 },
    );

  it('int16 round trip in every order', () => roundTrip('int16', fc.integer({ min: -0x8000, max: 0x7fff })));
  it('uint16 round trip in every order', () => roundTrip('uint16', fc.integer({ min: 0, max: 0xffff })));
  it('int32 round trip in every order', () => roundTrip('int32', fc.integer({ min: -0x80000000, max: 0x7fffffff })));
  it('uint32 round trip in every order', () => roundTrip('uint32', fc.integer({ min: 0, max: 0xffffffff })));
  it('float64 round trip in every order (bit exact, including -0)', () => roundTrip('float64', fc.double({ noNaN: true, noDefaultInfinity: true })));

  it('float32 round trip in every order: the decoded value is the same float32', () => {
    fc.assert(
      fc.property(fc.float({ noNaN: true, noDefaultInfinity: true }), order, (value, o) => {
        const decoded = decodeRegisters(encodeValue(value, 'float32', { order: o }), 'float32', { order: o }) as number;
        expect(Object.is(Math.fround(decoded), Math.fround(value))).toBe(true);
        // …and never longer than the shortest round-tripping decimal.
        expect(String(decoded).replace(/^-/, '').length).toBeLessThanOrEqual(String(Math.fround(value)).replace(/^-/, '').length);
      }),
      { numRuns: 500 },
    );
  });

  it('string round trip in every order for Latin-1 text without NUL', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 40 }), fc.integer({ min: 0, max: 5 }), order, (s, extra, o) => {
        const length = Math.max(1, Math.ceil(s.length / 2) + extra);
        const regs = encodeValue(s, 'string', { order: o, length });
        expect(regs).toHaveLength(length);
        expect(decodeRegisters(regs, 'string', { order: o, length })).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('registersToBytes and bytesToRegisters are inverse for every order', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 0xffff }), { minLength: 1, maxLength: 8 }), order, fc.boolean(), (regs, o, words) => {
        expect(bytesToRegisters(registersToBytes(regs, o, words), o, words)).toEqual(regs);
      }),
    );
  });

  it('scale/offset: removeScale(applyScale(raw)) gives the raw integer back for sensible scales', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -0x8000, max: 0x7fff }),
        fc.constantFrom(0.001, 0.01, 0.1, 0.5, 2, 10, 100),
        fc.constantFrom(0, -273.15, 40, 1000.5),
        (raw, scale, offset) => {
          expect(removeScale(applyScale(raw, scale, offset), scale, offset, 'int16')).toBe(raw);
        },
      ),
      { numRuns: 500 },
    );
  });
});
