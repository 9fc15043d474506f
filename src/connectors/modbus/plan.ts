import type { ModbusFunction, RegisterRow } from './register-map';
import { rowWidth } from './register-map';

/**
 * Request planning: groups the rows of a register map into the fewest
 * contiguous read requests per (unit id, function), honouring the protocol's
 * size limits and an optional gap that may be read over.
 */
export interface PlanOptions {
  /** Unit id for rows without their own. */
  unitId: number;
  /** Most registers per FC3/FC4 read (protocol maximum 125; some devices accept fewer). */
  maxRegisters?: number;
  /** Most bits per FC1/FC2 read (protocol maximum 2000). */
  maxBits?: number;
  /**
   * Unused registers (or bits) between two rows that may be read over to
   * save a request. 0 (default) reads only mapped addresses: safest, as many
   * devices answer a read over an unmapped address with exception 02.
   */
  maxGap?: number;
}

export interface PlannedItem {
  /** Index of the row in the register map. */
  index: number;
  /** Position of the row's first register (or bit) in the response. */
  offset: number;
}

export interface ReadRequest {
  unitId: number;
  function: ModbusFunction;
  address: number;
  /** Registers (holding/input) or bits (coil/discrete). */
  count: number;
  items: PlannedItem[];
}

export const MAX_READ_REGISTERS = 125;
export const MAX_READ_BITS = 2000;

const FUNCTION_ORDER: Record<ModbusFunction, number> = { coil: 0, discrete: 1, holding: 2, input: 3 };

export function isBitFunction(fn: ModbusFunction): boolean {
  return fn === 'coil' || fn === 'discrete';
}

/** One request per row: what a naive poller does (for comparison and for splitting a failed block). */
export function planPerRow(rows: RegisterRow[], opts: PlanOptions, indexes?: number[]): ReadRequest[] {
  return (indexes ?? rows.map((_, i) => i)).map((index) => {
    const row = rows[index]!;
    return { unitId: row.unitId ?? opts.unitId, function: row.function, address: row.address, count: rowWidth(row), items: [{ index, offset: 0 }] };
  });
}

/**
 * Plans the reads for `rows` (or the subset `indexes`). Rows are grouped per
 * unit id and function, sorted by address, and merged greedily while the
 * request stays within the size limit and the hole before the next row is at
 * most `maxGap`. For rows that do not overlap this gives the fewest requests
 * (the unit tests check it against an exhaustive search); overlapping rows
 * (a bit row over a uint16 row) share their registers.
 */
export function planReads(rows: RegisterRow[], opts: PlanOptions, indexes?: number[]): ReadRequest[] {
  const maxRegisters = Math.min(MAX_READ_REGISTERS, Math.max(1, opts.maxRegisters ?? MAX_READ_REGISTERS));
  const maxBits = Math.min(MAX_READ_BITS, Math.max(1, opts.maxBits ?? MAX_READ_BITS));
  const maxGap = Math.max(0, opts.maxGap ?? 0);
  const groups = new Map<string, number[]>();
  for (const index of indexes ?? rows.map((_, i) => i)) {
    const row = rows[index]!;
    const unitId = row.unitId ?? opts.unitId;
    const key = `${unitId}:${row.function}`;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(index);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    const [ua, fa] = a.split(':') as [string, ModbusFunction];
    const [ub, fb] = b.split(':') as [string, ModbusFunction];
    return Number(ua) - Number(ub) || FUNCTION_ORDER[fa] - FUNCTION_ORDER[fb];
  });
  const out: ReadRequest[] = [];
  for (const key of keys) {
    const members = groups.get(key)!.slice().sort((a, b) => rows[a]!.address - rows[b]!.address || rowWidth(rows[b]!) - rowWidth(rows[a]!) || a - b);
    const first = rows[members[0]!]!;
    const unitId = first.unitId ?? opts.unitId;
    const limit = isBitFunction(first.function) ? maxBits : maxRegisters;
    let current: { start: number; end: number; members: number[] } | null = null;
    const flush = (): void => {
      if (!current) return;
      const start = current.start;
      out.push({
        unitId,
        function: first.function,
        address: start,
        count: current.end - start,
        items: current.members.map((index) => ({ index, offset: rows[index]!.address - start })),
      });
    };
    for (const index of members) {
      const row = rows[index]!;
      const end = row.address + rowWidth(row);
      if (current && row.address - current.end <= maxGap && Math.max(current.end, end) - current.start <= limit) {
        current.end = Math.max(current.end, end);
        current.members.push(index);
      } else {
        flush();
        current = { start: row.address, end, members: [index] };
      }
    }
    flush();
  }
  return out;
}
