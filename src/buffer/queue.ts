/**
 * A durable FIFO queue per sink node: SQLite in WAL mode (the built-in node:sqlite,
 * through ./sqlite), or the same API in memory. Enqueues that arrive within a few milliseconds are
 * committed in one transaction; each enqueue's promise resolves only once its
 * transaction committed, so a caller that calls `done()` then has a durable
 * message. Entries keep their original timestamp and get a stable, monotonic
 * id (SQLite AUTOINCREMENT: never reused, even after deletion) that sinks use
 * as their idempotency key together with the queue name.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PlantwireError } from '../model/errors';
import { openSqlite, type SqlDatabase, type SqlStatement } from './sqlite';
import { ensurePrivateDir, ensurePrivateFile } from '../model/private-fs';

export type BufferMode = 'off' | 'memory' | 'disk';
export type OverflowPolicy = 'drop-oldest' | 'drop-newest' | 'reject';
export const OVERFLOW_POLICIES: readonly OverflowPolicy[] = ['drop-oldest', 'drop-newest', 'reject'];

export interface QueueOptions {
  /** Folder of the database file (disk mode). */
  dir?: string;
  /** Queue name, usually the sink node's id: file `<dir>/<name>.sqlite` and the idempotency key prefix. */
  name: string;
  mode: 'memory' | 'disk';
  /** At most this many entries (default 100,000). */
  maxEntries?: number;
  /** At most this many bytes of entry bodies (default 64 MiB). */
  maxBytes?: number;
  overflow?: OverflowPolicy;
  /**
   * SQLite `synchronous`: 'full' (default) fsyncs each commit, so an accepted
   * entry survives a power loss; 'normal' (WAL) survives a process crash
   * (SIGKILL) but may lose the last commits on power loss.
   */
  sync?: 'full' | 'normal';
  /** Enqueues arriving within this many ms share one transaction (default 2). */
  commitDelayMs?: number;
  /** At most this many entries per transaction (default 5,000). */
  maxBatch?: number;
}

export interface QueueEntry<T = unknown> {
  /** Monotonic per queue, never reused. */
  id: number;
  /** `<name>:<id>`: the idempotency key sinks pass on. */
  key: string;
  /** When the entry was enqueued (ms since epoch), kept through restarts. */
  ts: number;
  body: T;
  bytes: number;
}

export interface EnqueueResult {
  /** false when the overflow policy 'drop-newest' dropped this entry. */
  accepted: boolean;
  id?: number;
}

export interface QueueMetrics {
  depth: number;
  bytes: number;
  oldestTs: number | null;
  dropped: number;
  delivered: number;
  deadLettered: number;
}

export interface Queue<T = unknown> {
  readonly name: string;
  readonly mode: 'memory' | 'disk';
  readonly file: string | null;
  /** Resolves once the entry is durable (disk: committed) or dropped by 'drop-newest'; rejects for 'reject' when full. */
  enqueue(body: T, ts?: number): Promise<EnqueueResult>;
  /** The oldest `n` committed entries (FIFO), without removing them. */
  peek(n: number, afterId?: number): QueueEntry<T>[];
  /** Removes delivered entries; returns how many were still there. */
  ack(ids: number[], outcome?: 'delivered' | 'dead-letter'): number;
  metrics(): QueueMetrics;
  /** Commits pending enqueues now. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Pending<T> {
  body: T;
  text: string;
  bytes: number;
  ts: number;
  resolve(r: EnqueueResult): void;
  reject(e: Error): void;
}

function limits(opts: QueueOptions): { maxEntries: number; maxBytes: number; overflow: OverflowPolicy } {
  const maxEntries = opts.maxEntries ?? 100_000;
  const maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
  const overflow = opts.overflow ?? 'drop-oldest';
  if (!Number.isInteger(maxEntries) || maxEntries < 1) throw new PlantwireError('bad-config', `buffer max entries must be a whole number ≥ 1, got ${maxEntries}`, 'bad buffer max entries');
  if (!Number.isFinite(maxBytes) || maxBytes < 1) throw new PlantwireError('bad-config', `buffer max size must be ≥ 1 byte, got ${maxBytes}`, 'bad buffer max size');
  if (!OVERFLOW_POLICIES.includes(overflow)) throw new PlantwireError('bad-config', `buffer overflow policy must be one of ${OVERFLOW_POLICIES.join(', ')}, got ${JSON.stringify(overflow)}`, 'bad overflow policy');
  return { maxEntries, maxBytes, overflow };
}

export function bufferFullError(name: string, m: QueueMetrics, maxEntries: number, maxBytes: number): PlantwireError {
  return new PlantwireError(
    'buffer-full',
    `buffer full (${m.depth} entries, ${m.bytes} bytes; limits ${maxEntries} entries, ${maxBytes} bytes) and the overflow policy is "reject": the message was not accepted; the sink must come back or raise the limits`,
    'buffer full: message rejected',
  );
}

/**
 * The shared batching and overflow logic; the store (SQLite or arrays) is
 * supplied by the subclass.
 */
abstract class BaseQueue<T> implements Queue<T> {
  abstract readonly mode: 'memory' | 'disk';
  abstract readonly file: string | null;
  protected pending: Pending<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  protected closed = false;
  protected readonly maxEntries: number;
  protected readonly maxBytes: number;
  protected readonly overflow: OverflowPolicy;
  protected readonly commitDelayMs: number;
  protected readonly maxBatch: number;

  constructor(readonly name: string, opts: QueueOptions) {
    const l = limits(opts);
    this.maxEntries = l.maxEntries;
    this.maxBytes = l.maxBytes;
    this.overflow = l.overflow;
    this.commitDelayMs = opts.commitDelayMs ?? 2;
    this.maxBatch = opts.maxBatch ?? 5000;
  }

  enqueue(body: T, ts = Date.now()): Promise<EnqueueResult> {
    if (this.closed) return Promise.reject(new PlantwireError('buffer-closed', `buffer ${this.name} is closed (the node is stopping)`, 'buffer closed'));
    let text: string;
    try {
      text = JSON.stringify(body);
    } catch (err) {
      return Promise.reject(new PlantwireError('bad-input', `the message cannot be buffered: ${(err as Error).message}`, 'message not serialisable'));
    }
    if (text === undefined) return Promise.reject(new PlantwireError('bad-input', 'the message cannot be buffered: nothing to store', 'nothing to buffer'));
    const bytes = Buffer.byteLength(text);
    if (bytes > this.maxBytes) {
      return Promise.reject(new PlantwireError('buffer-too-big', `the message (${bytes} bytes) is larger than the whole buffer (${this.maxBytes} bytes); raise the buffer size`, 'message larger than buffer'));
    }
    return new Promise<EnqueueResult>((resolve, reject) => {
      this.pending.push({ body, text, bytes, ts, resolve, reject });
      if (this.pending.length >= this.maxBatch) this.schedule(0);
      else this.schedule(this.commitDelayMs);
    });
  }

  private schedule(delay: number): void {
    if (this.flushing) return; // the running flush picks the rest up
    if (this.timer && delay > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, delay);
  }

  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => (this.pending.length ? this.flush() : undefined));
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.flushing = (async () => {
      while (this.pending.length) {
        const batch = this.pending.splice(0, this.maxBatch);
        let results: EnqueueResult[];
        try {
          results = this.commit(batch);
        } catch (err) {
          const e = err instanceof Error ? err : new Error(String(err));
          const wrapped = e instanceof PlantwireError ? e : new PlantwireError('buffer-write', `writing to the buffer ${this.file ?? this.name} failed: ${e.message}`, 'buffer write failed');
          for (const p of batch) p.reject(wrapped);
          continue;
        }
        batch.forEach((p, i) => {
          const r = results[i]!;
          if (r instanceof Error) p.reject(r);
          else p.resolve(r);
        });
        // Let the event loop run between big batches.
        if (this.pending.length) await new Promise((r) => setImmediate(r));
      }
    })().finally(() => {
      this.flushing = null;
      // Entries enqueued while the last batch resolved (after the loop looked) get their own commit.
      if (this.pending.length) this.schedule(this.pending.length >= this.maxBatch ? 0 : this.commitDelayMs);
    });
    return this.flushing;
  }

  /**
   * Stores a batch in one transaction applying the overflow policy; returns
   * one result per entry (an Error for 'reject').
   */
  protected abstract commit(batch: Pending<T>[]): Array<EnqueueResult>;
  abstract peek(n: number, afterId?: number): QueueEntry<T>[];
  abstract ack(ids: number[], outcome?: 'delivered' | 'dead-letter'): number;
  abstract metrics(): QueueMetrics;
  protected abstract release(): void;

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    this.release();
  }

  /**
   * Decides for one incoming entry given the current depth/bytes: how many of
   * the oldest entries to drop first (drop-oldest), or to drop/reject it.
   */
  protected decide(depth: number, bytes: number, oldestBytes: (i: number) => number, incoming: number): { drop: number; verdict: 'store' | 'drop-newest' | 'reject' } {
    if (depth + 1 <= this.maxEntries && bytes + incoming <= this.maxBytes) return { drop: 0, verdict: 'store' };
    if (this.overflow === 'drop-newest') return { drop: 0, verdict: 'drop-newest' };
    if (this.overflow === 'reject') return { drop: 0, verdict: 'reject' };
    let drop = 0;
    let d = depth;
    let b = bytes;
    while (d > 0 && (d + 1 > this.maxEntries || b + incoming > this.maxBytes)) {
      b -= oldestBytes(drop);
      d -= 1;
      drop += 1;
    }
    return { drop, verdict: 'store' };
  }
}

class MemoryQueue<T> extends BaseQueue<T> {
  readonly mode = 'memory' as const;
  readonly file = null;
  private entries: QueueEntry<T>[] = [];
  private head = 0;
  private nextId = 1;
  private bytes = 0;
  private dropped = 0;
  private delivered = 0;
  private deadLettered = 0;

  protected commit(batch: Pending<T>[]): EnqueueResult[] {
    return batch.map((p) => {
      const depth = this.entries.length - this.head;
      const d = this.decide(depth, this.bytes, (i) => this.entries[this.head + i]!.bytes, p.bytes);
      if (d.verdict === 'reject') return bufferFullError(this.name, this.metrics(), this.maxEntries, this.maxBytes) as unknown as EnqueueResult;
      if (d.verdict === 'drop-newest') {
        this.dropped += 1;
        return { accepted: false };
      }
      for (let i = 0; i < d.drop; i++) this.bytes -= this.entries[this.head + i]!.bytes;
      this.head += d.drop;
      this.dropped += d.drop;
      const id = this.nextId++;
      this.entries.push({ id, key: `${this.name}:${id}`, ts: p.ts, body: JSON.parse(p.text) as T, bytes: p.bytes });
      this.bytes += p.bytes;
      this.compact();
      return { accepted: true, id };
    });
  }

  private compact(): void {
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  peek(n: number, afterId = 0): QueueEntry<T>[] {
    const out: QueueEntry<T>[] = [];
    for (let i = this.head; i < this.entries.length && out.length < n; i++) {
      const e = this.entries[i]!;
      if (e.id > afterId) out.push(e);
    }
    return out;
  }

  ack(ids: number[], outcome: 'delivered' | 'dead-letter' = 'delivered'): number {
    // The usual case: the acknowledged entries are the oldest ones, in order: move the head.
    if (ids.length > 0 && ids.every((id, i) => this.entries[this.head + i]?.id === id)) {
      for (let i = 0; i < ids.length; i++) this.bytes -= this.entries[this.head + i]!.bytes;
      this.head += ids.length;
      if (outcome === 'delivered') this.delivered += ids.length;
      else this.deadLettered += ids.length;
      this.compact();
      return ids.length;
    }
    const set = new Set(ids);
    let n = 0;
    const kept: QueueEntry<T>[] = [];
    for (let i = this.head; i < this.entries.length; i++) {
      const e = this.entries[i]!;
      if (set.has(e.id)) {
        n += 1;
        this.bytes -= e.bytes;
      } else kept.push(e);
    }
    this.entries = kept;
    this.head = 0;
    if (outcome === 'delivered') this.delivered += n;
    else this.deadLettered += n;
    return n;
  }

  metrics(): QueueMetrics {
    const first = this.entries[this.head];
    return { depth: this.entries.length - this.head, bytes: this.bytes, oldestTs: first ? first.ts : null, dropped: this.dropped, delivered: this.delivered, deadLettered: this.deadLettered };
  }

  protected release(): void {
    this.entries = [];
    this.head = 0;
  }
}

interface Row {
  id: number;
  ts: number;
  bytes: number;
  body: string;
}

class SqliteQueue<T> extends BaseQueue<T> {
  readonly mode = 'disk' as const;
  readonly file: string;
  private db: SqlDatabase;
  private depth = 0;
  private bytes = 0;
  private counters = { dropped: 0, delivered: 0, deadLettered: 0 };
  private readonly st: {
    insert: SqlStatement<[number, number, string]>;
    oldest: SqlStatement<[number, number], Row>;
    oldestSizes: SqlStatement<[number], { id: number; bytes: number }>;
    del: SqlStatement<[number], { bytes: number }>;
    delUpTo: SqlStatement<[number]>;
    setCounter: SqlStatement<[string, number]>;
    first: SqlStatement<[], { ts: number }>;
  };
  private readonly insertBatch: (batch: Pending<T>[]) => EnqueueResult[];
  private readonly ackTx: (ids: number[], outcome: 'delivered' | 'dead-letter') => number;

  constructor(name: string, opts: QueueOptions) {
    super(name, opts);
    if (!opts.dir) throw new PlantwireError('bad-config', 'a disk buffer needs a folder', 'no buffer folder');
    if (!/^[A-Za-z0-9._-]{1,128}$/.test(name)) throw new PlantwireError('bad-config', `buffer name "${name}" may only contain letters, digits, . _ -`, 'bad buffer name');
    ensurePrivateDir(opts.dir);
    this.file = path.join(opts.dir, `${name}.sqlite`);
    ensurePrivateFile(this.file, ['-wal', '-shm']);
    try {
      this.db = openSqlite(this.file);
    } catch (err) {
      // No SQLite backend (or a broken one): a clear status on this node, nothing else fails.
      if (err instanceof PlantwireError) throw err;
      throw new PlantwireError('buffer-open', `cannot open the buffer file ${this.file}: ${(err as Error).message}`, 'buffer file cannot be opened');
    }
    try {
      this.db.exec('PRAGMA journal_mode = WAL');
      this.db.exec(`PRAGMA synchronous = ${opts.sync === 'normal' ? 'NORMAL' : 'FULL'}`);
      this.db.exec(
        'CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL);' +
          'CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);',
      );
    } catch (err) {
      this.db.close();
      throw new PlantwireError('buffer-open', `cannot open the buffer file ${this.file}: ${(err as Error).message}`, 'buffer file cannot be opened');
    }
    const db = this.db;
    this.st = {
      insert: db.prepare<[number, number, string]>('INSERT INTO entries (ts, bytes, body) VALUES (?, ?, ?)'),
      oldest: db.prepare<[number, number], Row>('SELECT id, ts, bytes, body FROM entries WHERE id > ? ORDER BY id LIMIT ?'),
      oldestSizes: db.prepare<[number], { id: number; bytes: number }>('SELECT id, bytes FROM entries ORDER BY id LIMIT ?'),
      del: db.prepare<[number], { bytes: number }>('DELETE FROM entries WHERE id = ? RETURNING bytes'),
      delUpTo: db.prepare<[number]>('DELETE FROM entries WHERE id <= ?'),
      setCounter: db.prepare<[string, number]>('INSERT INTO counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = excluded.value'),
      first: db.prepare<[], { ts: number }>('SELECT ts FROM entries ORDER BY id LIMIT 1'),
    };
    const agg = db.prepare('SELECT COUNT(*) AS n, COALESCE(SUM(bytes), 0) AS b FROM entries').get() as { n: number; b: number };
    this.depth = agg.n;
    this.bytes = agg.b;
    for (const r of db.prepare('SELECT name, value FROM counters').all() as Array<{ name: string; value: number }>) {
      if (r.name in this.counters) this.counters[r.name as keyof typeof this.counters] = r.value;
    }
    this.insertBatch = db.transaction((batch: Pending<T>[]) => {
      const out: EnqueueResult[] = [];
      const droppedBefore = this.counters.dropped;
      // A prefix of the table's oldest entries (id, bytes), fetched only when drop-oldest needs it.
      let sizes: Array<{ id: number; bytes: number }> = [];
      for (const p of batch) {
        const d = this.decide(this.depth, this.bytes, (i) => {
          if (i >= sizes.length) sizes = this.st.oldestSizes.all(i + 1024);
          return sizes[i]?.bytes ?? 0;
        }, p.bytes);
        if (d.verdict === 'reject') {
          out.push(bufferFullError(this.name, this.metrics(), this.maxEntries, this.maxBytes) as unknown as EnqueueResult);
          continue;
        }
        if (d.verdict === 'drop-newest') {
          this.counters.dropped += 1;
          out.push({ accepted: false });
          continue;
        }
        if (d.drop > 0) {
          const gone = sizes.splice(0, d.drop);
          const last = gone[gone.length - 1];
          if (!last || gone.length !== d.drop) throw new Error('buffer bookkeeping out of step');
          for (const g of gone) this.bytes -= g.bytes;
          this.st.delUpTo.run(last.id);
          this.depth -= d.drop;
          this.counters.dropped += d.drop;
        }
        const info = this.st.insert.run(p.ts, p.bytes, p.text);
        this.depth += 1;
        this.bytes += p.bytes;
        out.push({ accepted: true, id: Number(info.lastInsertRowid) });
      }
      if (this.counters.dropped !== droppedBefore) this.st.setCounter.run('dropped', this.counters.dropped);
      return out;
    });
    this.ackTx = db.transaction((ids: number[], outcome: 'delivered' | 'dead-letter') => {
      let n = 0;
      for (const id of ids) {
        const row = this.st.del.get(id);
        if (!row) continue;
        n += 1;
        this.depth -= 1;
        this.bytes -= row.bytes;
      }
      const key = outcome === 'delivered' ? 'delivered' : 'deadLettered';
      this.counters[key] += n;
      if (n) this.st.setCounter.run(key, this.counters[key]);
      return n;
    });
  }

  protected commit(batch: Pending<T>[]): EnqueueResult[] {
    const depth = this.depth;
    const bytes = this.bytes;
    const counters = { ...this.counters };
    try {
      return this.insertBatch(batch);
    } catch (err) {
      // The transaction rolled back: so does the bookkeeping.
      this.depth = depth;
      this.bytes = bytes;
      this.counters = counters;
      throw err;
    }
  }

  peek(n: number, afterId = 0): QueueEntry<T>[] {
    if (this.closed) return [];
    return this.st.oldest.all(afterId, n).map((r) => ({ id: r.id, key: `${this.name}:${r.id}`, ts: r.ts, bytes: r.bytes, body: JSON.parse(r.body) as T }));
  }

  ack(ids: number[], outcome: 'delivered' | 'dead-letter' = 'delivered'): number {
    if (this.closed || ids.length === 0) return 0;
    return this.ackTx(ids, outcome);
  }

  metrics(): QueueMetrics {
    const first = this.closed || this.depth === 0 ? undefined : this.st.first.get();
    return { depth: this.depth, bytes: this.bytes, oldestTs: first ? first.ts : null, ...this.counters };
  }

  protected release(): void {
    this.db.close();
  }
}

/** Opens (or creates) a queue; `mode: 'disk'` stores it in `<dir>/<name>.sqlite`. */
export function openQueue<T = unknown>(opts: QueueOptions): Queue<T> {
  if (opts.mode === 'memory') return new MemoryQueue<T>(opts.name, opts);
  if (opts.mode === 'disk') return new SqliteQueue<T>(opts.name, opts);
  throw new PlantwireError('bad-config', `buffer mode must be off, memory or disk, got ${JSON.stringify((opts as { mode: unknown }).mode)}`, 'bad buffer mode');
}

/** Deletes a disk queue's files (the node was removed from the flows). */
export function removeQueueFiles(dir: string, name: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(path.join(dir, `${name}.sqlite${suffix}`), { force: true });
}
