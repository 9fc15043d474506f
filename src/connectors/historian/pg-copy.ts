/**
 * COPY … FROM STDIN for node-postgres without an extra package: a minimal
 * "submittable" query (the interface pg-copy-streams and pg-cursor use) that
 * sends the COPY statement, then the whole batch as one CopyData message in
 * COPY text format, then CopyDone. The statement holds only validated, quoted
 * identifiers; the data travels in the COPY stream, escaped per the text
 * format (backslash, tab, newline, carriage return; NULL as \N), never as SQL.
 */
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

interface PgConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
  endCopyFrom(): void;
}

/** A submittable COPY FROM STDIN; `client.query(copy)` then `await copy.done`. */
class CopyFromStdin {
  callback?: (err: Error | null, res?: { rowCount: number }) => void;
  private rowCount = 0;
  private error: Error | null = null;

  constructor(
    readonly text: string,
    private readonly data: Buffer,
  ) {}

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFromChunk(this.data);
    connection.endCopyFrom();
  }

  handleCommandComplete(msg: { text?: string }): void {
    const m = /^COPY (\d+)/.exec(msg.text ?? '');
    if (m) this.rowCount = Number(m[1]);
  }

  handleReadyForQuery(): void {
    const cb = this.callback;
    this.callback = undefined;
    cb?.(this.error, { rowCount: this.rowCount });
  }

  handleError(err: Error): void {
    // pg clears the active query on an error: ReadyForQuery will not reach us, so answer now.
    this.error = err;
    const cb = this.callback;
    this.callback = undefined;
    cb?.(err);
  }

  // Not expected for COPY FROM; present so that pg never calls a missing handler.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyData(): void {}
}

/** Runs `COPY <table> (<columns>) FROM STDIN` with the rows; resolves with the number of rows copied. */
export function copyFrom(client: pg.ClientBase, statement: string, rows: ReadonlyArray<ReadonlyArray<unknown>>): Promise<number> {
  const copy = new CopyFromStdin(statement, Buffer.from(copyText(rows), 'utf8'));
  return new Promise<number>((resolve, reject) => {
    copy.callback = (err, res) => (err ? reject(err) : resolve(res?.rowCount ?? 0));
    (client as unknown as { query(q: unknown): unknown }).query(copy);
  });
}
