import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planPerRow, planReads, type ReadRequest } from '../../src/connectors/modbus/plan';
import { rowWidth, type ModbusFunction, type RegisterRow } from '../../src/connectors/modbus/register-map';
import type { ModbusDataType } from '../../src/connectors/modbus/codec';

function row(tag: string, address: number, fn: ModbusFunction = 'holding', dataType: ModbusDataType = 'uint16', extra: Partial<RegisterRow> = {}): RegisterRow {
  const bits = fn === 'coil' || fn === 'discrete';
  const length = dataType === 'float64' ? 4 : dataType.endsWith('32') ? 2 : 1;
  return { tag, address, function: fn, dataType: bits ? 'bool' : dataType, order: 'ABCD', length, scale: 1, offset: 0, writable: false, ...extra };
}

const brief = (reqs: ReadRequest[]) => reqs.map((r) => `${r.unitId}:${r.function}@${r.address}+${r.count}[${r.items.map((i) => `${i.index}:${i.offset}`).join(',')}]`);

describe('request planning', () => {
  it('merges adjacent rows of one function and unit into one request, keeping each row\'s offset', () => {
    const rows = [row('a', 10, 'holding', 'float32'), row('b', 12), row('c', 13, 'holding', 'float64'), row('d', 0, 'input'), row('e', 1, 'input')];
    expect(brief(planReads(rows, { unitId: 1 }))).toEqual(['1:holding@10+7[0:0,1:2,2:3]', '1:input@0+2[3:0,4:1]']);
  });

  it('does not read over gaps unless maxGap allows it', () => {
    const rows = [row('a', 0), row('b', 5), row('c', 9)];
    expect(brief(planReads(rows, { unitId: 1 }))).toEqual(['1:holding@0+1[0:0]', '1:holding@5+1[1:0]', '1:holding@9+1[2:0]']);
    expect(brief(planReads(rows, { unitId: 1, maxGap: 4 }))).toEqual(['1:holding@0+10[0:0,1:5,2:9]']);
    expect(brief(planReads(rows, { unitId: 1, maxGap: 3 }))).toEqual(['1:holding@0+1[0:0]', '1:holding@5+5[1:0,2:4]']);
  });

  it('keeps unit ids and functions apart, in a stable order (unit, then coil, discrete, holding, input)', () => {
    const rows = [row('h2', 0, 'holding', 'uint16', { unitId: 2 }), row('h1', 1), row('c1', 0, 'coil'), row('i1', 0, 'input'), row('d1', 3, 'discrete'), row('h1b', 0)];
    expect(brief(planReads(rows, { unitId: 1 }))).toEqual(['1:coil@0+1[2:0]', '1:discrete@3+1[4:0]', '1:holding@0+2[5:0,1:1]', '1:input@0+1[3:0]', '2:holding@0+1[0:0]']);
  });

  it('splits at 125 registers and 2000 bits, or at the device\'s lower limits', () => {
    const regs = Array.from({ length: 300 }, (_, i) => row(`r${i}`, i));
    expect(planReads(regs, { unitId: 1 }).map((r) => r.count)).toEqual([125, 125, 50]);
    expect(planReads(regs, { unitId: 1, maxRegisters: 100 }).map((r) => r.count)).toEqual([100, 100, 100]);
    const floats = Array.from({ length: 100 }, (_, i) => row(`f${i}`, i * 2, 'input', 'float32'));
    // A float32 never straddles two requests: 62 floats = 124 registers fit, the 63rd would need 126.
    expect(planReads(floats, { unitId: 1 }).map((r) => r.count)).toEqual([124, 76]);
    const coils = Array.from({ length: 4500 }, (_, i) => row(`c${i}`, i, 'coil'));
    expect(planReads(coils, { unitId: 1 }).map((r) => r.count)).toEqual([2000, 2000, 500]);
    expect(planReads(coils, { unitId: 1, maxBits: 1000 })).toHaveLength(5);
  });

  it('overlapping rows (bits of a status word and the word itself) share one read', () => {
    const rows = [row('word', 7), row('bit0', 7, 'holding', 'bool', { bit: 0 }), row('bit9', 7, 'holding', 'bool', { bit: 9 }), row('next', 8, 'holding', 'int32')];
    expect(brief(planReads(rows, { unitId: 1 }))).toEqual(['1:holding@7+3[0:0,1:0,2:0,3:1]']);
  });

  it('planPerRow gives one request per row (the baseline)', () => {
    const rows = [row('a', 0), row('b', 1, 'holding', 'float32')];
    expect(brief(planPerRow(rows, { unitId: 3 }))).toEqual(['3:holding@0+1[0:0]', '3:holding@1+2[1:0]']);
  });

  // -------------------------------------------------------------- properties

  const arbRows = fc
    .array(
      fc.record({
        fn: fc.constantFrom<ModbusFunction>('coil', 'holding', 'input'),
        type: fc.constantFrom<ModbusDataType>('uint16', 'float32', 'float64'),
        stride: fc.integer({ min: 0, max: 12 }),
        unitId: fc.constantFrom(1, 2),
      }),
      { minLength: 1, maxLength: 60 },
    )
    .map((specs) => {
      // Lay rows out without overlap, with random holes, per (unit, function).
      const next = new Map<string, number>();
      return specs.map((s, i) => {
        const key = `${s.unitId}:${s.fn}`;
        const at = (next.get(key) ?? 0) + s.stride;
        const r = row(`t${i}`, at, s.fn, s.type, { unitId: s.unitId });
        next.set(key, at + rowWidth(r));
        return r;
      });
    });
  const arbOpts = fc.record({ maxRegisters: fc.integer({ min: 4, max: 125 }), maxBits: fc.integer({ min: 1, max: 50 }), maxGap: fc.integer({ min: 0, max: 6 }) });

  it('every row is read exactly once, whole, by a request of its own unit and function within the limits', () => {
    fc.assert(
      fc.property(arbRows, arbOpts, (rows, o) => {
        const plan = planReads(rows, { unitId: 9, ...o });
        const seen = new Map<number, number>();
        for (const req of plan) {
          const limit = req.function === 'coil' ? o.maxBits : o.maxRegisters;
          expect(req.count).toBeLessThanOrEqual(limit);
          expect(req.count).toBeGreaterThan(0);
          for (const item of req.items) {
            const r = rows[item.index]!;
            seen.set(item.index, (seen.get(item.index) ?? 0) + 1);
            expect(r.function).toBe(req.function);
            expect(r.unitId).toBe(req.unitId);
            expect(req.address + item.offset).toBe(r.address);
            expect(item.offset + rowWidth(r)).toBeLessThanOrEqual(req.count);
          }
        }
        expect([...seen.keys()].sort((a, b) => a - b)).toEqual(rows.map((_, i) => i));
        expect([...seen.values()].every((n) => n === 1)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('no request reads a hole longer than maxGap', () => {
    fc.assert(
      fc.property(arbRows, arbOpts, (rows, o) => {
        for (const req of planReads(rows, { unitId: 1, ...o })) {
          const covered = new Array<boolean>(req.count).fill(false);
          for (const item of req.items) for (let k = 0; k < rowWidth(rows[item.index]!); k++) covered[item.offset + k] = true;
          let hole = 0;
          for (const c of covered) {
            hole = c ? 0 : hole + 1;
            expect(hole).toBeLessThanOrEqual(o.maxGap);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('uses the fewest requests possible (checked against an exhaustive search) and never more than one per row', () => {
    // Minimum number of groups over all partitions of the sorted rows into
    // runs that respect the limit and the gap (dynamic programming).
    const optimum = (rows: RegisterRow[], o: { maxRegisters: number; maxBits: number; maxGap: number }): number => {
      const groups = new Map<string, RegisterRow[]>();
      for (const r of rows) {
        const k = `${r.unitId}:${r.function}`;
        groups.set(k, [...(groups.get(k) ?? []), r]);
      }
      let total = 0;
      for (const g of groups.values()) {
        g.sort((a, b) => a.address - b.address);
        const limit = g[0]!.function === 'coil' ? o.maxBits : o.maxRegisters;
        const best = new Array<number>(g.length + 1).fill(Infinity);
        best[0] = 0;
        for (let j = 1; j <= g.length; j++) {
          for (let i = j - 1; i >= 0; i--) {
            const start = g[i]!.address;
            const end = g[j - 1]!.address + rowWidth(g[j - 1]!);
            let ok = end - start <= limit;
            for (let k = i + 1; k < j && ok; k++) ok = g[k]!.address - (g[k - 1]!.address + rowWidth(g[k - 1]!)) <= o.maxGap;
            if (ok) best[j] = Math.min(best[j]!, best[i]! + 1);
          }
        }
        total += best[g.length]!;
      }
      return total;
    };
    fc.assert(
      fc.property(arbRows, arbOpts, (rows, o) => {
        const plan = planReads(rows, { unitId: 1, ...o });
        expect(plan.length).toBe(optimum(rows, o));
        expect(plan.length).toBeLessThanOrEqual(planPerRow(rows, { unitId: 1 }).length);
      }),
      { numRuns: 300 },
    );
  });
});
