import { PlantwireError } from '../../model/errors';
import { ownValue } from '../../model/safe-object';
import { BYTE_ORDERS, DATA_TYPES, MAX_STRING_REGISTERS, registerCount, type ByteOrder, type ModbusDataType } from './codec';

/**
 * The register map: which tag lives where in a Modbus device, and how to
 * read it. Rows come from the node dialog (an editable table) or from CSV;
 * both go through the same validation, which names the row and the field of
 * every problem.
 */
export const FUNCTIONS = ['coil', 'discrete', 'holding', 'input'] as const;
export type ModbusFunction = (typeof FUNCTIONS)[number];

export interface RegisterRow {
  /** Tag path of the samples, e.g. `Line1/Filler/ProductTemperature`. */
  tag: string;
  /** 0-based protocol address (the number on the wire). */
  address: number;
  function: ModbusFunction;
  dataType: ModbusDataType;
  /** Byte/word order (see codec.ts); ignored for coils and discrete inputs. */
  order: ByteOrder;
  /** Registers occupied (derived from the type; the string length for strings). */
  length: number;
  /** For `bool` in a holding/input register: the bit, 0 = least significant. */
  bit?: number;
  /** Engineering value = raw × scale + offset (numbers only). */
  scale: number;
  offset: number;
  unit?: string;
  /** Unit id (slave id) when it differs from the device's default. */
  unitId?: number;
  /** The write node may write this tag (coils and holding registers only). */
  writable: boolean;
}

/** A row as the dialog or a CSV line delivers it: strings or numbers, fields may be missing. */
export type RawRow = Record<string, unknown>;

/** Where a row came from, for messages: `row 3` or `row 3 (CSV line 5)`. */
interface RowOrigin {
  row: number;
  line?: number;
}

const COLUMN_ALIASES: Record<string, keyof RegisterRow> = {
  tag: 'tag',
  name: 'tag',
  address: 'address',
  addr: 'address',
  register: 'address',
  function: 'function',
  fc: 'function',
  table: 'function',
  area: 'function',
  datatype: 'dataType',
  type: 'dataType',
  order: 'order',
  byteorder: 'order',
  wordorder: 'order',
  endianness: 'order',
  length: 'length',
  len: 'length',
  registers: 'length',
  bit: 'bit',
  scale: 'scale',
  factor: 'scale',
  offset: 'offset',
  unit: 'unit',
  unitid: 'unitId',
  slaveid: 'unitId',
  slave: 'unitId',
  writable: 'writable',
  write: 'writable',
  access: 'writable',
};

const FUNCTION_ALIASES: Record<string, ModbusFunction> = {
  coil: 'coil',
  coils: 'coil',
  '0x': 'coil',
  '1': 'coil',
  fc1: 'coil',
  discrete: 'discrete',
  'discrete input': 'discrete',
  discreteinput: 'discrete',
  input_status: 'discrete',
  '1x': 'discrete',
  '2': 'discrete',
  fc2: 'discrete',
  holding: 'holding',
  'holding register': 'holding',
  holdingregister: 'holding',
  '4x': 'holding',
  '3': 'holding',
  fc3: 'holding',
  input: 'input',
  'input register': 'input',
  inputregister: 'input',
  '3x': 'input',
  '4': 'input',
  fc4: 'input',
};

const TRUE_WORDS = new Set(['true', 'yes', 'y', '1', 'x', 'rw', 'w', 'wr', 'read/write', 'readwrite']);
const FALSE_WORDS = new Set(['false', 'no', 'n', '0', '', 'r', 'ro', 'read', 'readonly', 'read-only']);

function where(origin: RowOrigin, tag: unknown): string {
  const line = origin.line !== undefined ? `CSV line ${origin.line}, ` : '';
  const name = typeof tag === 'string' && tag.trim() !== '' ? `tag "${tag.trim()}"` : 'no tag';
  return `register map row ${origin.row} (${line}${name})`;
}

function text(v: unknown): string {
  if (v === undefined || v === null) return '';
  return String(v).trim();
}

function show(v: unknown): string {
  const t = text(v);
  return t === '' ? 'nothing' : JSON.stringify(t);
}

function intField(raw: unknown, min: number, max: number): number | undefined {
  const t = text(raw);
  if (t === '') return undefined;
  const n = /^0x[0-9a-f]+$/i.test(t) ? parseInt(t, 16) : /^[+-]?\d+$/.test(t) ? Number(t) : NaN;
  return Number.isInteger(n) && n >= min && n <= max ? n : NaN;
}

function numField(raw: unknown): number | undefined {
  const t = text(raw);
  if (t === '') return undefined;
  // Accept a decimal comma as spreadsheets in many locales write it (0,1).
  const n = Number(/^[+-]?\d+,\d+$/.test(t) ? t.replace(',', '.') : t);
  return Number.isFinite(n) ? n : NaN;
}

/**
 * Modicon notation (when the function is left empty): 0xxxx coil, 1xxxx
 * discrete input, 3xxxx input register, 4xxxx holding register, 1-based;
 * five digits (up to 9999) or six (up to 65536).
 */
export function parseModiconAddress(t: string): { function: ModbusFunction; address: number } | undefined {
  const m = /^([0134])(\d{4,5})$/.exec(t);
  if (!m) return undefined;
  const n = Number(m[2]);
  if (n < 1 || n > 65536) return undefined;
  const fn: ModbusFunction = m[1] === '0' ? 'coil' : m[1] === '1' ? 'discrete' : m[1] === '3' ? 'input' : 'holding';
  return { function: fn, address: n - 1 };
}

/**
 * Validates one raw row. Returns the row, or the list of problems, each
 * naming the row and the field.
 */
export interface RowProblem {
  /** 1-based row number (CSV: data rows, the header not counted). */
  row: number;
  /** CSV line number, when the row came from CSV. */
  line?: number;
  /** The field at fault: tag, address, function, dataType, order, length, bit, scale, offset, unitId, writable, or `row`. */
  field: string;
  /** The full sentence: `register map row 3 (tag "x"): address must be …`. */
  message: string;
}

export function normalizeRow(raw: RawRow, origin: RowOrigin): { row?: RegisterRow; problems: RowProblem[] } {
  const w = where(origin, raw.tag);
  const problems: RowProblem[] = [];
  const add = (field: string, message: string): void => {
    problems.push({ row: origin.row, line: origin.line, field, message: `${w}: ${message}` });
  };
  const tag = text(raw.tag);
  if (tag === '') add('tag', `tag is empty; give every row a tag name`);

  let fn: ModbusFunction | undefined;
  let address: number | undefined;
  const fnText = text(raw.function).toLowerCase();
  const addrText = text(raw.address);
  if (fnText === '') {
    const modicon = parseModiconAddress(addrText);
    if (modicon) {
      fn = modicon.function;
      address = modicon.address;
    } else if (!/^\d{5,6}$/.test(addrText)) {
      // A plain 0-based address (or a malformed one, which the address check names) defaults to a holding register.
      fn = 'holding';
    } else {
      add('function', `function is empty and address ${show(raw.address)} is not a Modicon address (40001 etc.); set function to coil, discrete, holding or input`);
    }
  } else {
    fn = ownValue(FUNCTION_ALIASES, fnText);
    if (!fn) add('function', `function must be coil, discrete, holding or input, got ${show(raw.function)}`);
  }
  if (address === undefined) {
    const a = intField(raw.address, 0, 65535);
    if (a === undefined) add('address', `address is empty; give the 0-based register address (0–65535)`);
    else if (Number.isNaN(a)) add('address', `address must be a whole number from 0 to 65535 (or 0x… hex), got ${show(raw.address)}`);
    else address = a;
  }

  const bitFunction = fn === 'coil' || fn === 'discrete';
  const typeText = text(raw.dataType).toLowerCase();
  let dataType: ModbusDataType | undefined;
  if (typeText === '') dataType = bitFunction ? 'bool' : 'uint16';
  else {
    const aliases: Record<string, ModbusDataType> = { boolean: 'bool', bit: 'bool', short: 'int16', int: 'int16', word: 'uint16', ushort: 'uint16', dint: 'int32', long: 'int32', udint: 'uint32', dword: 'uint32', ulong: 'uint32', float: 'float32', real: 'float32', double: 'float64', lreal: 'float64', str: 'string' };
    dataType = (DATA_TYPES as readonly string[]).includes(typeText) ? (typeText as ModbusDataType) : aliases[typeText];
    if (!dataType) add('dataType', `dataType must be one of ${DATA_TYPES.join(', ')}, got ${show(raw.dataType)}`);
  }
  if (bitFunction && dataType && dataType !== 'bool') add('dataType', `a ${fn} is a single bit, so dataType must be bool, got ${show(raw.dataType)}`);

  const orderText = text(raw.order).toUpperCase();
  let order: ByteOrder = 'ABCD';
  if (orderText !== '') {
    if ((BYTE_ORDERS as readonly string[]).includes(orderText)) order = orderText as ByteOrder;
    else add('order', `order must be ABCD, CDAB, BADC or DCBA, got ${show(raw.order)}`);
  }

  let length = dataType ? registerCount(dataType) : 1;
  const lengthValue = intField(raw.length, 1, MAX_STRING_REGISTERS);
  if (dataType === 'string') {
    if (lengthValue === undefined) add('length', `a string needs its length in registers (1–${MAX_STRING_REGISTERS}, two characters each)`);
    else if (Number.isNaN(lengthValue)) add('length', `length must be a whole number of registers from 1 to ${MAX_STRING_REGISTERS}, got ${show(raw.length)}`);
    else length = lengthValue;
  } else if (lengthValue !== undefined && dataType) {
    if (lengthValue !== length) add('length', `length ${show(raw.length)} does not fit ${dataType} (${length} register${length === 1 ? '' : 's'}); leave it empty`);
  }
  if (address !== undefined && address + length - 1 > 65535) add('address', `address ${address} + ${length} registers runs past 65535`);

  let bit: number | undefined;
  const bitValue = intField(raw.bit, 0, 15);
  if (bitValue !== undefined) {
    if (Number.isNaN(bitValue)) add('bit', `bit must be a whole number from 0 to 15, got ${show(raw.bit)}`);
    else if (bitFunction) add('bit', `bit applies to bool in holding or input registers, not to a ${fn}; leave it empty`);
    else if (dataType !== 'bool') add('bit', `bit applies to dataType bool only, got ${dataType}`);
    else bit = bitValue;
  } else if (dataType === 'bool' && !bitFunction && fn) {
    add('bit', `bool in a ${fn} register needs the bit (0–15)`);
  }

  const scaleValue = numField(raw.scale);
  const offsetValue = numField(raw.offset);
  let scale = 1;
  let offset = 0;
  if (Number.isNaN(scaleValue)) add('scale', `scale must be a number, got ${show(raw.scale)}`);
  else if (scaleValue === 0) add('scale', `scale must not be 0`);
  else if (scaleValue !== undefined) scale = scaleValue;
  if (Number.isNaN(offsetValue)) add('offset', `offset must be a number, got ${show(raw.offset)}`);
  else if (offsetValue !== undefined) offset = offsetValue;
  if ((dataType === 'bool' || dataType === 'string') && (scale !== 1 || offset !== 0)) add('scale', `scale and offset apply to numbers, not to ${dataType}; leave them empty`);

  let unitId: number | undefined;
  const unitIdValue = intField(raw.unitId, 0, 255);
  if (Number.isNaN(unitIdValue)) add('unitId', `unitId must be a whole number from 0 to 255, got ${show(raw.unitId)}`);
  else unitId = unitIdValue;

  let writable = false;
  if (typeof raw.writable === 'boolean') writable = raw.writable;
  else {
    const wt = text(raw.writable).toLowerCase();
    if (TRUE_WORDS.has(wt)) writable = true;
    else if (!FALSE_WORDS.has(wt)) add('writable', `writable must be true or false (yes/no, rw/r), got ${show(raw.writable)}`);
  }
  if (writable && (fn === 'discrete' || fn === 'input')) add('writable', `${fn === 'input' ? 'an input register' : 'a discrete input'} is read-only; only coils and holding registers are writable`);
  if (writable && bit !== undefined) add('writable', `a single bit of a register cannot be written; map the whole register as uint16 to write it`);

  if (problems.length > 0 || !fn || address === undefined || !dataType) return { problems };
  const row: RegisterRow = { tag, address, function: fn, dataType, order, length, scale, offset, writable };
  if (bit !== undefined) row.bit = bit;
  if (unitId !== undefined) row.unitId = unitId;
  const unit = text(raw.unit);
  if (unit !== '') row.unit = unit;
  return { row, problems: [] };
}

/** The error for an invalid register map: every problem in the message, the first one's row and field in the status. */
export class RegisterMapError extends PlantwireError {
  readonly problems: RowProblem[];
  constructor(problems: RowProblem[]) {
    const first = problems[0]!;
    const head = problems.length > 1 ? `${problems.length} problems in the register map: ` : '';
    super('bad-register-map', `${head}${problems.map((p) => p.message).join('; ')}`, `register map row ${first.row}: bad ${first.field}`);
    this.name = 'RegisterMapError';
    this.problems = problems;
  }
}

function checkTags(rows: Array<{ row: RegisterRow; origin: RowOrigin }>): RowProblem[] {
  const seen = new Map<string, number>();
  const problems: RowProblem[] = [];
  for (const { row, origin } of rows) {
    const first = seen.get(row.tag);
    if (first !== undefined) problems.push({ row: origin.row, line: origin.line, field: 'tag', message: `${where(origin, row.tag)}: tag is already used by row ${first}; tag names must be unique` });
    else seen.set(row.tag, origin.row);
  }
  return problems;
}

/**
 * Validates the register map from the dialog (an array of row objects).
 * Throws a PlantwireError listing every problem, each naming its row.
 */
export function parseRegisterMap(rows: unknown): RegisterRow[] {
  if (!Array.isArray(rows)) throw new PlantwireError('bad-register-map', 'register map must be a list of rows', 'register map missing');
  if (rows.length === 0) throw new PlantwireError('bad-register-map', 'register map is empty: add at least one row (tag, address, function, data type)', 'register map is empty');
  const ok: Array<{ row: RegisterRow; origin: RowOrigin }> = [];
  const problems: RowProblem[] = [];
  rows.forEach((raw, i) => {
    const origin = { row: i + 1 };
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      problems.push({ row: i + 1, field: 'row', message: `register map row ${i + 1}: must be an object with tag, address, function, dataType` });
      return;
    }
    const r = normalizeRow(raw as RawRow, origin);
    if (r.row) ok.push({ row: r.row, origin });
    problems.push(...r.problems);
  });
  problems.push(...checkTags(ok));
  if (problems.length) throw new RegisterMapError(problems);
  return ok.map((r) => r.row);
}

/** Splits CSV text into records (RFC 4180 quoting; `,` or `;` separated, detected from the header). */
export function splitCsv(textIn: string): Array<{ line: number; cells: string[] }> {
  const src = textIn.replace(/^\uFEFF/, '');
  const firstLine = src.split(/\r?\n/, 1)[0] ?? '';
  const sep = (firstLine.match(/;/g)?.length ?? 0) > (firstLine.match(/,/g)?.length ?? 0) ? ';' : firstLine.includes('\t') && !firstLine.includes(',') ? '\t' : ',';
  const records: Array<{ line: number; cells: string[] }> = [];
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  let line = 1;
  let recordLine = 1;
  let cellWasQuoted = false;
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    if (quoted) {
      if (c === '"') {
        if (src[i + 1] === '"') {
          cell += '"';
          i++;
        } else quoted = false;
      } else {
        if (c === '\n') line++;
        cell += c;
      }
      continue;
    }
    if (c === '"' && cell.trim() === '') {
      quoted = true;
      cellWasQuoted = true;
      cell = '';
    } else if (c === sep) {
      cells.push(cellWasQuoted ? cell : cell.trim());
      cell = '';
      cellWasQuoted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && src[i + 1] === '\n') i++;
      cells.push(cellWasQuoted ? cell : cell.trim());
      records.push({ line: recordLine, cells });
      cells = [];
      cell = '';
      cellWasQuoted = false;
      line++;
      recordLine = line;
    } else cell += c;
  }
  if (quoted) throw new PlantwireError('bad-register-map', `CSV line ${recordLine}: a quoted cell is not closed (missing ")`, `CSV line ${recordLine}: unclosed quote`);
  if (cell !== '' || cells.length > 0) {
    cells.push(cellWasQuoted ? cell : cell.trim());
    records.push({ line: recordLine, cells });
  }
  // Blank lines and # comments are skipped.
  return records.filter((r) => !(r.cells.every((c) => c === '') || (r.cells[0] ?? '').startsWith('#')));
}

/**
 * Parses a register map from CSV with a header row naming the columns
 * (case-insensitive; order free): tag, address, function, dataType, order,
 * length, bit, scale, offset, unit, unitId, writable. Throws a PlantwireError
 * listing every problem with its row and CSV line.
 */
export function parseRegisterCsv(csv: string): RegisterRow[] {
  if (typeof csv !== 'string' || csv.trim() === '') throw new PlantwireError('bad-register-map', 'register map CSV is empty: paste a header row (tag,address,function,dataType,…) and one line per tag', 'register map CSV is empty');
  const records = splitCsv(csv);
  const header = records.shift();
  if (!header) throw new PlantwireError('bad-register-map', 'register map CSV has no header row', 'CSV header missing');
  const columns: Array<keyof RegisterRow | undefined> = header.cells.map((h) => COLUMN_ALIASES[h.toLowerCase().replace(/[\s_-]/g, '')]);
  const unknown = header.cells.filter((h, i) => columns[i] === undefined && h !== '');
  if (unknown.length) {
    throw new PlantwireError('bad-register-map', `CSV line ${header.line}: unknown column(s) ${unknown.map((u) => JSON.stringify(u)).join(', ')}; the header may name tag, address, function, dataType, order, length, bit, scale, offset, unit, unitId, writable`, 'CSV header: unknown column');
  }
  for (const need of ['tag', 'address'] as const) {
    if (!columns.includes(need)) throw new PlantwireError('bad-register-map', `CSV line ${header.line}: the header has no "${need}" column (found ${header.cells.join(', ')})`, `CSV header: no ${need} column`);
  }
  if (records.length === 0) throw new PlantwireError('bad-register-map', 'register map CSV has a header but no rows', 'register map is empty');
  const ok: Array<{ row: RegisterRow; origin: RowOrigin }> = [];
  const problems: RowProblem[] = [];
  records.forEach((rec, i) => {
    const origin = { row: i + 1, line: rec.line };
    if (rec.cells.length > header.cells.length && rec.cells.slice(header.cells.length).some((c) => c !== '')) {
      problems.push({ row: origin.row, line: rec.line, field: 'row', message: `register map row ${origin.row} (CSV line ${rec.line}): ${rec.cells.length} cells but the header has ${header.cells.length} columns (quote cells that contain the separator)` });
      return;
    }
    const raw: RawRow = {};
    columns.forEach((col, c) => {
      if (col) raw[col] = rec.cells[c] ?? '';
    });
    const r = normalizeRow(raw, origin);
    if (r.row) ok.push({ row: r.row, origin });
    problems.push(...r.problems);
  });
  problems.push(...checkTags(ok));
  if (problems.length) throw new RegisterMapError(problems);
  return ok.map((r) => r.row);
}

const CSV_COLUMNS = ['tag', 'address', 'function', 'dataType', 'order', 'length', 'bit', 'scale', 'offset', 'unit', 'unitId', 'writable'] as const;

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",;\r\n]/.test(s) || s !== s.trim() ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Writes rows as CSV (the format parseRegisterCsv reads). */
export function registerMapToCsv(rows: RegisterRow[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const r of rows) {
    lines.push(
      [
        r.tag,
        r.address,
        r.function,
        r.dataType,
        r.function === 'coil' || r.function === 'discrete' ? '' : r.order,
        r.dataType === 'string' ? r.length : '',
        r.bit ?? '',
        r.scale === 1 ? '' : r.scale,
        r.offset === 0 ? '' : r.offset,
        r.unit ?? '',
        r.unitId ?? '',
        r.writable ? 'true' : '',
      ]
        .map(csvCell)
        .join(','),
    );
  }
  return `${lines.join('\n')}\n`;
}

/** Bits (coil/discrete) or registers (holding/input) a row reads. */
export function rowWidth(row: RegisterRow): number {
  return row.function === 'coil' || row.function === 'discrete' ? 1 : row.length;
}
