/**
 * COPY … FROM STDIN for node-postgres through `pg-copy-streams` (the
 * COPY package node-postgres documents, on pg's public "submittable" query
 * interface): the statement holds only validated, quoted identifiers; the
 * batch travels in the COPY stream in COPY text format — escaped here
 * (backslash, tab, newline, carriage return; NULL as \N), never as SQL.
 */
import { finished } from 'node:stream/promises';
import { from as copyFromStdin } from 'pg-copy-streams';
import type pg from 'pg';

/** One field in COPY text format. */
export function copyField(v: unknown): string {
  if (v === null || v === undefined) return '\\N';
  const s = typeof v === 'string' ? v : String(v);
  return s.replace(/[\\\t\n\r]/g, (c) => (c === '\\' ? '\\\\' : c === '\t' ? '\\t' : c === '\n' ? '\\n' : '\\r'));
}

/** Rows in COPY text format (tab-separated, one line per row). */
export function copyText(rows: ReadonlyArray<ReadonlyArray<unknown>>): string {
  let out = '';
  for (const row of rows) out += `${row.map(copyField).join('\t')}\n`;
  return out;
}

/** Runs `COPY <table> (<columns>) FROM STDIN` with the rows; resolves with the number of rows copied. */
export async function copyFrom(client: pg.ClientBase, statement: string, rows: ReadonlyArray<ReadonlyArray<unknown>>): Promise<number> {
  const stream = client.query(copyFromStdin(statement));
  // A refused COPY (bad column, constraint) fails the stream; `finished` rejects with the server's error.
  stream.end(Buffer.from(copyText(rows), 'utf8'));
  await finished(stream);
  return stream.rowCount ?? 0;
}
