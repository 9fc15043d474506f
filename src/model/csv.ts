/**
 * The one CSV writer of the palette (cloud-out's CSV batches, email-out's
 * attachment): RFC 4180 — fields holding a comma, quote, CR, LF or
 * leading/trailing blanks are quoted with quotes doubled, every line ends
 * with CRLF — plus the OWASP formula-injection guard: a text cell starting
 * with = + - @ TAB or CR (that is not a plain number) gets a leading ', so a
 * spreadsheet shows it instead of running it. Hand-written because it is
 * twenty lines; a CSV library would add a dependency for no gain.
 */

const PLAIN_NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** One field: numbers, booleans and bigints as JavaScript writes them, objects as JSON, text guarded and quoted. */
export function csvField(value: unknown): string {
  let s: string;
  if (value === null || value === undefined) s = '';
  else if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') s = String(value);
  else {
    if (typeof value === 'string') s = value;
    else {
      try {
        s = JSON.stringify(value) ?? '';
      } catch {
        s = String(value);
      }
    }
    if (/^[=+\-@\t\r]/.test(s) && !PLAIN_NUMBER.test(s)) s = `'${s}`;
  }
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** One record (no line end). */
export function csvRow(cells: readonly unknown[]): string {
  return cells.map(csvField).join(',');
}

/** A whole document: the header row, then the rows, each line ended by CRLF. */
export function csvDocument(header: readonly string[], rows: Iterable<readonly unknown[]>): string {
  let out = `${csvRow(header)}\r\n`;
  for (const r of rows) out += `${csvRow(r)}\r\n`;
  return out;
}
