#!/usr/bin/env node
// Store-and-forward buffer benchmark: durable enqueue and replay (dequeue)
// messages/s with 200-byte payloads, beside the raw insert rate of the same
// store in the same run (a bare prepared INSERT on the same SQLite the queue
// uses — the built-in node:sqlite — one transaction per batch: the floor the
// queue is measured against).
//
//   npm run bench:buffer                      (builds dist/ if needed)
//   node bench/buffer.mjs --messages 100000 --rounds 3
//
// For each SQLite `synchronous` setting (FULL: fsync per commit, survives
// power loss; NORMAL in WAL: survives a process crash) it measures:
//   raw      bare INSERTs, one transaction per 1,000 rows
//   enqueue  Queue.enqueue() for every message at once (as Node-RED delivers
//            them: input handlers do not wait for each other), each promise
//            resolved when its batched transaction committed
//   serial   enqueue awaited one by one (the worst case: one commit each)
//   replay   Forwarder draining a full queue into a no-op sink (peek batch,
//            deliver, delete in one transaction per batch)
// Prints one JSON object (median of the rounds).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { openSqlite, sqliteBackend } = require(path.join(root, 'dist/src/buffer/sqlite.js'));
const { openQueue } = require(path.join(root, 'dist/src/buffer/queue.js'));
const { Forwarder } = require(path.join(root, 'dist/src/buffer/forwarder.js'));

const { values: args } = parseArgs({ options: { messages: { type: 'string' }, rounds: { type: 'string' }, serial: { type: 'string' }, dir: { type: 'string' } } });
const N = Number(args.messages ?? 100_000);
const ROUNDS = Number(args.rounds ?? 3);
const SERIAL = Number(args.serial ?? 300);
const work = fs.mkdtempSync(path.join(args.dir ?? os.tmpdir(), 'plantwire-bench-buffer-'));

// A body whose JSON is exactly 200 bytes.
function body(i) {
  const b = { tag: `Line1/Filler/T${i % 100}`, value: i, ts: 1767600000000 + i, pad: '' };
  b.pad = 'x'.repeat(200 - JSON.stringify(b).length);
  return b;
}
if (JSON.stringify(body(12345)).length !== 200) throw new Error('payload is not 200 bytes');

let seq = 0;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n * 1000) / ms);

function raw(sync) {
  const file = path.join(work, `raw-${++seq}.sqlite`);
  const db = openSqlite(file);
  db.exec('PRAGMA journal_mode = WAL');
  db.exec(`PRAGMA synchronous = ${sync}`);
  db.exec('CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, ts INTEGER NOT NULL, bytes INTEGER NOT NULL, body TEXT NOT NULL)');
  const insert = db.prepare('INSERT INTO entries (ts, bytes, body) VALUES (?, ?, ?)');
  const tx = db.transaction((rows) => {
    for (const r of rows) insert.run(r.ts, r.bytes, r.text);
  });
  const texts = Array.from({ length: N }, (_, i) => ({ ts: Date.now(), text: JSON.stringify(body(i)), bytes: 200 }));
  const t0 = performance.now();
  for (let i = 0; i < N; i += 1000) tx(texts.slice(i, i + 1000));
  const ms = performance.now() - t0;
  db.close();
  return rate(N, ms);
}

async function enqueue(sync) {
  const q = openQueue({ dir: work, name: `enq-${++seq}`, mode: 'disk', sync, maxEntries: N * 2, maxBytes: N * 1000 });
  const bodies = Array.from({ length: N }, (_, i) => body(i));
  const t0 = performance.now();
  await Promise.all(bodies.map((b) => q.enqueue(b)));
  const ms = performance.now() - t0;
  if (q.metrics().depth !== N) throw new Error('not all enqueued');
  await q.close();
  return rate(N, ms);
}

async function serial(sync) {
  const q = openQueue({ dir: work, name: `ser-${++seq}`, mode: 'disk', sync });
  const t0 = performance.now();
  for (let i = 0; i < SERIAL; i++) await q.enqueue(body(i));
  const ms = performance.now() - t0;
  await q.close();
  return rate(SERIAL, ms);
}

async function replay(sync) {
  const name = `rep-${++seq}`;
  let q = openQueue({ dir: work, name, mode: 'disk', sync, maxEntries: N * 2, maxBytes: N * 1000 });
  await Promise.all(Array.from({ length: N }, (_, i) => q.enqueue(body(i))));
  await q.close();
  // Reopen: replay after a restart reads what is on disk.
  q = openQueue({ dir: work, name, mode: 'disk', sync, maxEntries: N * 2, maxBytes: N * 1000 });
  let delivered = 0;
  let last = -1;
  const f = new Forwarder(q, {
    batchSize: 500,
    deliver: async (batch) => {
      for (const e of batch) {
        if (e.body.value !== last + 1) throw new Error(`out of order: ${e.body.value} after ${last}`);
        last = e.body.value;
      }
      delivered += batch.length;
    },
  });
  const t0 = performance.now();
  f.start();
  while (q.metrics().depth > 0) await new Promise((r) => setImmediate(r));
  const ms = performance.now() - t0;
  await f.stop();
  await q.close();
  if (delivered !== N) throw new Error(`replayed ${delivered} of ${N}`);
  return rate(N, ms);
}

const out = { messages: N, payloadBytes: 200, rounds: ROUNDS, node: process.version, sqlite: sqliteBackend(), cpus: os.cpus().length, dir: work, results: {} };
try {
  for (const sync of ['full', 'normal']) {
    const r = { raw: [], enqueue: [], serial: [], replay: [] };
    for (let round = 0; round < ROUNDS; round++) {
      r.raw.push(raw(sync.toUpperCase()));
      r.enqueue.push(await enqueue(sync));
      r.serial.push(await serial(sync));
      r.replay.push(await replay(sync));
    }
    out.results[sync] = {
      rawInsertPerSec: median(r.raw),
      enqueuePerSec: median(r.enqueue),
      enqueueVsRaw: Number((median(r.enqueue) / median(r.raw)).toFixed(2)),
      serialEnqueuePerSec: median(r.serial),
      replayPerSec: median(r.replay),
      rounds: r,
    };
  }
  out.goals = { enqueuePerSec: 20_000, replayPerSec: 20_000, metFull: out.results.full.enqueuePerSec >= 20_000 && out.results.full.replayPerSec >= 20_000 };
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
console.log(JSON.stringify(out, null, 2));
