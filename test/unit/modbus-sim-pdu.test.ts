import { describe, expect, it } from 'vitest';
import { handlePdu, type SimUnit } from '../../src/sim/modbus';

function unit(): SimUnit {
  return { id: 1, coils: new Uint8Array(200), discrete: new Uint8Array(200), holding: new Uint16Array(2000), input: new Uint16Array(2000) };
}
const pdu = (...bytes: number[]) => Buffer.from(bytes);
const hex = (b: Buffer) => [...b].map((x) => x.toString(16).padStart(2, '0')).join(' ');

describe('Modbus simulator PDU handling (the protocol, byte for byte)', () => {
  it('FC1/FC2 pack bits LSB first; FC3/FC4 answer big-endian registers', () => {
    const u = unit();
    [1, 0, 1, 1, 0, 0, 0, 0, 1].forEach((b, i) => (u.coils[10 + i] = b));
    expect(hex(handlePdu(u, pdu(1, 0, 10, 0, 9)))).toBe('01 02 0d 01');
    u.discrete[0] = 1;
    expect(hex(handlePdu(u, pdu(2, 0, 0, 0, 1)))).toBe('02 01 01');
    u.holding[5] = 0x1234;
    u.holding[6] = 0xabcd;
    expect(hex(handlePdu(u, pdu(3, 0, 5, 0, 2)))).toBe('03 04 12 34 ab cd');
    u.input[1999] = 7;
    expect(hex(handlePdu(u, pdu(4, 0x07, 0xcf, 0, 1)))).toBe('04 02 00 07');
  });

  it('FC5/FC6 echo the request; FC15/FC16 answer address and quantity', () => {
    const u = unit();
    expect(hex(handlePdu(u, pdu(5, 0, 3, 0xff, 0)))).toBe('05 00 03 ff 00');
    expect(u.coils[3]).toBe(1);
    expect(hex(handlePdu(u, pdu(6, 0, 9, 0x12, 0x34)))).toBe('06 00 09 12 34');
    expect(u.holding[9]).toBe(0x1234);
    expect(hex(handlePdu(u, pdu(15, 0, 20, 0, 10, 2, 0b1000_0101, 0b10)))).toBe('0f 00 14 00 0a');
    expect([...u.coils.subarray(20, 30)]).toEqual([1, 0, 1, 0, 0, 0, 0, 1, 0, 1]);
    expect(hex(handlePdu(u, pdu(16, 0, 100, 0, 2, 4, 0, 1, 0xff, 0xfe)))).toBe('10 00 64 00 02');
    expect([u.holding[100], u.holding[101]]).toEqual([1, 0xfffe]);
  });

  it.each([
    ['FC7 (not supported) → 01', [7], '87 01'],
    ['FC43 → 01', [43, 14, 1, 0], 'ab 01'],
    ['read past the mapped holding range → 02', [3, 0x07, 0xcf, 0, 2], '83 02'],
    ['read coils past 199 → 02', [1, 0, 199, 0, 2], '81 02'],
    ['write a register past 1999 → 02', [6, 0x07, 0xd0, 0, 1], '86 02'],
    ['write coils past 199 → 02', [15, 0, 199, 0, 2, 1, 3], '8f 02'],
    ['read 0 registers → 03', [3, 0, 0, 0, 0], '83 03'],
    ['read 126 registers → 03', [4, 0, 0, 0, 126], '84 03'],
    ['read 2001 coils → 03', [1, 0, 0, 0x07, 0xd1], '81 03'],
    ['coil value other than FF00/0000 → 03', [5, 0, 0, 0x12, 0x34], '85 03'],
    ['FC16 byte count that does not match → 03', [16, 0, 0, 0, 2, 3, 0, 1, 0], '90 03'],
    ['FC15 byte count that does not match → 03', [15, 0, 0, 0, 9, 1, 0xff], '8f 03'],
    ['truncated FC3 → 03', [3, 0, 0], '83 03'],
  ])('%s', (_what, bytes, answer) => {
    const u = unit();
    expect(hex(handlePdu(u, pdu(...(bytes as number[]))))).toBe(answer);
    expect([...u.holding.subarray(0, 4)], 'a refused write changes nothing').toEqual([0, 0, 0, 0]);
  });
});
