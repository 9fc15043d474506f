/**
 * Issue 16: where input becomes objects (normalize, map, register map and
 * asset table imports), `__proto__`, `constructor` and `prototype` stay plain
 * data or are refused; Object.prototype never changes.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { parseRegisterCsv, parseRegisterMap } from '../../src/connectors/modbus/register-map';
import { ownValue, safeCopy, setOwn } from '../../src/model/safe-object';
import { parseAssetTable } from '../../src/transforms/asset-map';
import { normalize, normalizeSettings } from '../../src/transforms/normalize';
import { mathUnitName } from '../../src/transforms/units';

const NOW = Date.UTC(2026, 0, 1);
const protoKeys = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const before = protoKeys();

afterEach(() => {
  expect(protoKeys()).toEqual(before);
  expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
});

describe('safe objects', () => {
  it('normalize: a __proto__ key in a value stays a field and serialises as it came', () => {
    const value = JSON.parse('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"a":1}');
    const [s] = normalize({ topic: 'plant/t', payload: { tag: 't', value, quality: 'good' } }, normalizeSettings({}), NOW);
    const v = s!.value as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(v.isAdmin).toBeUndefined();
    expect(Object.keys(v)).toEqual(['__proto__', 'constructor', 'a']);
    expect(JSON.stringify(v)).toBe('{"__proto__":{"isAdmin":true},"constructor":{"prototype":{"x":1}},"a":1}');
  });

  it('normalize: __proto__ and constructor as tag names are plain tag names', () => {
    const out = normalize({ topic: 'x', payload: JSON.parse('{"__proto__": 1, "constructor": 2}') }, normalizeSettings({}), NOW);
    expect(out.map((s) => [s.tag, s.value])).toEqual([
      ['x/__proto__', 1],
      ['x/constructor', 2],
    ]);
  });

  it('safeCopy: keeps own __proto__ as data, drops a swapped prototype, keeps Buffers and Dates, copies cycles once', () => {
    const swapped = Object.create({ polluted: true }) as Record<string, unknown>;
    swapped.a = 1;
    const withProtoKey: Record<string, unknown> = {};
    setOwn(withProtoKey, '__proto__', { isAdmin: true });
    const buf = Buffer.from('x');
    const cyclic: Record<string, unknown> = { b: buf };
    cyclic.self = cyclic;
    const out = safeCopy({ swapped, withProtoKey, cyclic, d: new Date(0) });
    expect(out.swapped.polluted).toBeUndefined();
    expect(out.swapped).toEqual({ a: 1 });
    expect(Object.getPrototypeOf(out.withProtoKey)).toBe(Object.prototype);
    expect(JSON.stringify(out.withProtoKey)).toBe('{"__proto__":{"isAdmin":true}}');
    expect((out.cyclic as Record<string, unknown>).self).toBe(out.cyclic);
    expect((out.cyclic as Record<string, unknown>).b).toBe(buf);
    expect(out.d).toBeInstanceOf(Date);
  });

  it('lookup tables answer only their own entries', () => {
    expect(ownValue({ a: 1 }, 'constructor')).toBeUndefined();
    expect(mathUnitName('constructor')).toBe('constructor');
    expect(mathUnitName('°C')).toBe('degC');
  });

  it('register map: function "constructor" or "__proto__" is refused as an unknown function, a __proto__ column is data', () => {
    expect(() => parseRegisterMap([{ tag: 'a', address: '0', function: 'constructor', dataType: 'uint16' }])).toThrow(/function/);
    expect(() => parseRegisterCsv('tag,address,function,dataType\n__proto__,0,__proto__,uint16\n')).toThrow(/function/);
    const rows = parseRegisterMap([JSON.parse('{"tag":"__proto__","address":"0","function":"holding","dataType":"uint16","__proto__":{"scale":1000}}')]);
    expect(rows[0]!.tag).toBe('__proto__');
    expect((rows[0] as unknown as Record<string, unknown>).scale).not.toBe(1000);
  });

  it('asset table: JSON rows with __proto__ keys are refused as unknown columns; CSV headers outside the columns too', () => {
    expect(() => parseAssetTable('[{"__proto__":{"match":"**","enterprise":"evil"}}]', 'json')).toThrow(/unknown column "__proto__"/);
    expect(() => parseAssetTable('[{"match":"a/*","enterprise":"acme","constructor":{"site":"evil"}}]', 'json')).toThrow(/unknown column "constructor"/);
    expect(Object.getPrototypeOf(parseAssetTable('[{"match":"a/*","enterprise":"acme"}]', 'json')[0])).toBe(Object.prototype);
    expect(() => parseAssetTable('match,__proto__\na,b\n', 'csv')).toThrow(/unknown column/);
  });
});
