import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BYTE_ORDERS, DATA_TYPES } from '../../src/connectors/modbus/codec';
import {
  parseModiconAddress,
  parseRegisterCsv,
  parseRegisterMap,
  registerMapToCsv,
  RegisterMapError,
  splitCsv,
  type RegisterRow,
} from '../../src/connectors/modbus/register-map';

function errorOf(fn: () => unknown): RegisterMapError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RegisterMapError);
    return err as RegisterMapError;
  }
  throw new Error('expected a RegisterMapError');
}

describe('register map from the dialog', () => {
  it('normalises rows: defaults, numbers from strings, derived length, optional fields', () => {
    const rows = parseRegisterMap([
      { tag: 'Tank/Level', address: '100', function: 'holding', dataType: 'float32', order: 'cdab', scale: '', offset: '', unit: 'm', writable: false },
      { tag: 'Pump/Run', address: 0, function: 'coil', dataType: '', writable: 'true' },
      { tag: 'Name', address: '0x10', function: 'input', dataType: 'string', length: '8' },
      { tag: 'Status/Ready', address: 5, function: 'holding', dataType: 'bool', bit: '3', unitId: '2' },
      { tag: 'Temp', address: 7, function: 'input', dataType: 'int16', scale: '0,1', offset: '-40' },
    ]);
    expect(rows).toEqual<RegisterRow[]>([
      { tag: 'Tank/Level', address: 100, function: 'holding', dataType: 'float32', order: 'CDAB', length: 2, scale: 1, offset: 0, unit: 'm', writable: false },
      { tag: 'Pump/Run', address: 0, function: 'coil', dataType: 'bool', order: 'ABCD', length: 1, scale: 1, offset: 0, writable: true },
      { tag: 'Name', address: 16, function: 'input', dataType: 'string', order: 'ABCD', length: 8, scale: 1, offset: 0, writable: false },
      { tag: 'Status/Ready', address: 5, function: 'holding', dataType: 'bool', order: 'ABCD', length: 1, bit: 3, unitId: 2, scale: 1, offset: 0, writable: false },
      { tag: 'Temp', address: 7, function: 'input', dataType: 'int16', order: 'ABCD', length: 1, scale: 0.1, offset: -40, writable: false },
    ]);
  });

  it.each([
    [{ tag: '', address: 1 }, 'tag', /row 2 \(no tag\): tag is empty/],
    [{ tag: 'x', address: 'abc' }, 'address', /row 2 \(tag "x"\): address must be a whole number from 0 to 65535 \(or 0x… hex\), got "abc"/],
    [{ tag: 'x', address: 70000, function: 'holding' }, 'address', /address must be a whole number from 0 to 65535.*got "70000"/],
    [{ tag: 'x', address: '', function: 'holding' }, 'address', /address is empty/],
    [{ tag: 'x', address: 1, function: 'register' }, 'function', /function must be coil, discrete, holding or input, got "register"/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'float' + '16' }, 'dataType', /dataType must be one of bool, int16, uint16, int32, uint32, float32, float64, string, got "float16"/],
    [{ tag: 'x', address: 1, function: 'coil', dataType: 'int16' }, 'dataType', /a coil is a single bit, so dataType must be bool/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'uint32', order: 'ABDC' }, 'order', /order must be ABCD, CDAB, BADC or DCBA, got "ABDC"/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'string' }, 'length', /a string needs its length in registers/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'string', length: 200 }, 'length', /length must be a whole number of registers from 1 to 123, got "200"/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'float32', length: 4 }, 'length', /length "4" does not fit float32 \(2 registers\)/],
    [{ tag: 'x', address: 65535, function: 'holding', dataType: 'float32' }, 'address', /address 65535 \+ 2 registers runs past 65535/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'bool' }, 'bit', /bool in a holding register needs the bit/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'bool', bit: 16 }, 'bit', /bit must be a whole number from 0 to 15, got "16"/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'int16', scale: 'x' }, 'scale', /scale must be a number, got "x"/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'int16', scale: 0 }, 'scale', /scale must not be 0/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'int16', offset: '1.2.3' }, 'offset', /offset must be a number/],
    [{ tag: 'x', address: 1, function: 'coil', scale: 2 }, 'scale', /scale and offset apply to numbers, not to bool/],
    [{ tag: 'x', address: 1, function: 'holding', unitId: 300 }, 'unitId', /unitId must be a whole number from 0 to 255, got "300"/],
    [{ tag: 'x', address: 1, function: 'input', writable: true }, 'writable', /an input register is read-only; only coils and holding registers are writable/],
    [{ tag: 'x', address: 1, function: 'holding', writable: 'maybe' }, 'writable', /writable must be true or false/],
    [{ tag: 'x', address: 1, function: 'holding', dataType: 'bool', bit: 2, writable: true }, 'writable', /a single bit of a register cannot be written/],
  ])('a malformed row 2 (%j) is rejected naming row 2 and the field %s', (bad, field, message) => {
    const err = errorOf(() => parseRegisterMap([{ tag: 'ok', address: 0, function: 'holding' }, bad]));
    expect(err.message).toMatch(message);
    expect(err.message).toMatch(/^register map row 2 /);
    expect(err.problems[0]).toMatchObject({ row: 2, field });
    expect(err.status).toBe(`register map row 2: bad ${field}`);
    expect(err.status.length).toBeLessThanOrEqual(48);
  });

  it('reports every problem of every row, and duplicate tags with the row they clash with', () => {
    const err = errorOf(() =>
      parseRegisterMap([
        { tag: 'a', address: 1, function: 'holding' },
        { tag: 'b', address: -1, function: 'holding', dataType: 'nope' },
        { tag: 'a', address: 2, function: 'holding' },
      ]),
    );
    expect(err.message).toMatch(/^3 problems in the register map: /);
    expect(err.problems.map((p) => [p.row, p.field])).toEqual([
      [2, 'address'],
      [2, 'dataType'],
      [3, 'tag'],
    ]);
    expect(err.message).toMatch(/row 3 \(tag "a"\): tag is already used by row 1/);
  });

  it('refuses an empty map and rows that are not objects', () => {
    expect(() => parseRegisterMap([])).toThrow(/register map is empty: add at least one row/);
    expect(() => parseRegisterMap('x')).toThrow(/must be a list of rows/);
    expect(() => parseRegisterMap([null])).toThrow(/register map row 1: must be an object/);
  });

  it('with the function left empty, reads Modicon addresses (40001 = holding 0)', () => {
    expect(parseModiconAddress('40001')).toEqual({ function: 'holding', address: 0 });
    expect(parseModiconAddress('30010')).toEqual({ function: 'input', address: 9 });
    expect(parseModiconAddress('100001')).toEqual({ function: 'discrete', address: 0 });
    expect(parseModiconAddress('00005')).toEqual({ function: 'coil', address: 4 });
    expect(parseModiconAddress('465536')).toEqual({ function: 'holding', address: 65535 });
    expect(parseModiconAddress('40000')).toBeUndefined();
    expect(parseModiconAddress('20001')).toBeUndefined();
    const [row] = parseRegisterMap([{ tag: 't', address: '40101', dataType: 'float32' }]);
    expect(row).toMatchObject({ function: 'holding', address: 100 });
    expect(() => parseRegisterMap([{ tag: 't', address: '20001' }])).toThrow(/function is empty and address "20001" is not a Modicon address/);
  });
});

describe('register map from CSV', () => {
  const CSV = [
    'Tag;Address;Function;Data type;Order;Length;Scale;Offset;Unit;Writable',
    'Line1/Temp;0;input;float32;ABCD;;;;°C;',
    '# a comment line',
    '',
    'Line1/Name;20;holding;string;BADC;8;;;;',
    '"Line1/Speed; set";2;holding;uint16;;;0,1;;bottles/min;yes',
  ].join('\r\n');

  it('reads a header row (any case, ; or , separated), quotes, comments, blank lines and decimal commas', () => {
    expect(parseRegisterCsv(CSV)).toEqual<RegisterRow[]>([
      { tag: 'Line1/Temp', address: 0, function: 'input', dataType: 'float32', order: 'ABCD', length: 2, scale: 1, offset: 0, unit: '°C', writable: false },
      { tag: 'Line1/Name', address: 20, function: 'holding', dataType: 'string', order: 'BADC', length: 8, scale: 1, offset: 0, writable: false },
      { tag: 'Line1/Speed; set', address: 2, function: 'holding', dataType: 'uint16', order: 'ABCD', length: 1, scale: 0.1, offset: 0, unit: 'bottles/min', writable: true },
    ]);
  });

  it('a malformed row is rejected naming the row number, the CSV line and the field', () => {
    const csv = 'tag,address,function,dataType\nA,0,holding,int16\nB,1,holding,int16\n\nC,x12,holding,int16\nD,3,holding,int16\n';
    const err = errorOf(() => parseRegisterCsv(csv));
    expect(err.message).toBe('register map row 3 (CSV line 5, tag "C"): address must be a whole number from 0 to 65535 (or 0x… hex), got "x12"');
    expect(err.problems).toEqual([expect.objectContaining({ row: 3, line: 5, field: 'address' })]);
    expect(err.status).toBe('register map row 3: bad address');
  });

  it('rejects unknown columns, missing tag/address columns, surplus cells and unclosed quotes', () => {
    expect(() => parseRegisterCsv('tag,address,colour\nA,1,red')).toThrow(/CSV line 1: unknown column\(s\) "colour"/);
    expect(() => parseRegisterCsv('tag,function\nA,holding')).toThrow(/the header has no "address" column/);
    expect(() => parseRegisterCsv('tag,address\nA,1,holding')).toThrow(/register map row 1 \(CSV line 2\): 3 cells but the header has 2 columns/);
    expect(() => parseRegisterCsv('tag,address\n"A,1\n')).toThrow(/CSV line 2: a quoted cell is not closed/);
    expect(() => parseRegisterCsv('  ')).toThrow(/CSV is empty/);
    expect(() => parseRegisterCsv('tag,address\n')).toThrow(/has a header but no rows/);
  });

  it('splitCsv keeps quoted separators, doubled quotes and line breaks inside quotes', () => {
    expect(splitCsv('a,b\n"x,1","say ""hi"""\n"multi\nline",2').map((r) => [r.line, r.cells])).toEqual([
      [1, ['a', 'b']],
      [2, ['x,1', 'say "hi"']],
      [3, ['multi\nline', '2']],
    ]);
  });

  it('registerMapToCsv → parseRegisterCsv is the identity for any valid map', () => {
    const row = fc
      .record({
        tag: fc.string({ minLength: 1, maxLength: 12 }).filter((s) => s.trim() === s && s !== '' && !s.startsWith('#') && !/[\r\n]/.test(s)),
        address: fc.integer({ min: 0, max: 60000 }),
        function: fc.constantFrom('coil' as const, 'discrete' as const, 'holding' as const, 'input' as const),
        dataType: fc.constantFrom(...DATA_TYPES),
        order: fc.constantFrom(...BYTE_ORDERS),
        length: fc.integer({ min: 1, max: 123 }),
        bit: fc.integer({ min: 0, max: 15 }),
        scale: fc.constantFrom(1, 0.1, 2.5, -1),
        offset: fc.constantFrom(0, -40, 1.5),
        unit: fc.constantFrom(undefined, '°C', 'l/min', 'a,b'),
        unitId: fc.option(fc.integer({ min: 0, max: 255 }), { nil: undefined }),
        writable: fc.boolean(),
      })
      .map((r): RegisterRow => {
        const bits = r.function === 'coil' || r.function === 'discrete';
        const dataType = bits ? 'bool' : r.dataType;
        const out: RegisterRow = {
          tag: r.tag,
          address: r.address,
          function: r.function,
          dataType,
          order: bits ? 'ABCD' : r.order,
          length: dataType === 'string' ? r.length : dataType === 'float64' ? 4 : dataType.endsWith('32') ? 2 : 1,
          scale: dataType === 'bool' || dataType === 'string' ? 1 : r.scale,
          offset: dataType === 'bool' || dataType === 'string' ? 0 : r.offset,
          writable: r.writable && (r.function === 'coil' || r.function === 'holding') && !(dataType === 'bool' && !bits),
        };
        if (dataType === 'bool' && !bits) out.bit = r.bit;
        if (r.unit !== undefined) out.unit = r.unit;
        if (r.unitId !== undefined) out.unitId = r.unitId;
        return out;
      });
    fc.assert(
      fc.property(fc.uniqueArray(row, { minLength: 1, maxLength: 10, selector: (r) => r.tag }), (rows) => {
        expect(parseRegisterCsv(registerMapToCsv(rows))).toEqual(rows);
      }),
      { numRuns: 200 },
    );
  });
});
