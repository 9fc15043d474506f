#!/usr/bin/env node
// Cloud batch targets benchmark: tag samples/s written by the S3 target
// (SigV4, Content-MD5, NDJSON, optionally gzip) into an S3-compatible server
// (s3rver, in-process, temp dir) and by the webhook target into a local HTTP
// receiver, for batch sizes 1, 100 and 1000 — beside a baseline measured in
// the same run: the same bodies sent with a bare keep-alive http.request
// (no signing, no checksum, no gzip) to the same server.
//
//   npm run bench:cloud                      (builds dist/ if needed)
//   node bench/cloud-batch.mjs --samples 20000 --rounds 3
//
// Batches are written one after the other (as the buffer's forwarder does).
// Batch size 1 writes min(samples, 1000) samples. Prints one JSON object
// (median samples/s of the rounds).
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const S3rver = require('s3rver');
const { S3Target } = require(path.join(root, 'dist/src/connectors/cloud/s3.js'));
const { WebhookTarget } = require(path.join(root, 'dist/src/connectors/cloud/webhook.js'));
const { toNdjson, toJsonArray } = require(path.join(root, 'dist/src/connectors/cloud/batch-format.js'));

const { values: args } = parseArgs({ options: { samples: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(args.samples ?? 20_000);
const ROUNDS = Number(args.rounds ?? 3);
const SIZES = [1, 100, 1000];
const T0 = Date.UTC(2026, 0, 1);

const records = (n, offset) =>
  Array.from({ length: n }, (_, i) => ({
    key: `bench:${offset + i + 1}`,
    ts: T0 + offset + i,
    body: { tag: `Line1/Filler/T${i % 50}`, value: Math.round(Math.sin(i) * 1e4) / 100, quality: 'good', sourceTimestamp: new Date(T0 + i * 100).toISOString(), unit: '°C', asset: 'acme/berlin/line1' },
  }));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
function bare(port, method, urlPath, body, contentType) {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent, headers: { 'content-type': contentType, 'content-length': body.length } }, (res) => {
      res.resume();
      res.on('end', () => (res.statusCode >= 200 && res.statusCode < 300 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`))));
    });
    r.on('error', reject);
    r.end(body);
  });
}

async function timed(total, size, write) {
  const started = process.hrtime.bigint();
  for (let off = 0; off < total; off += size) await write(records(Math.min(size, total - off), off));
  const s = Number(process.hrtime.bigint() - started) / 1e9;
  return Math.round(total / s);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-cloud-'));
const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: 'bench' }], vhostBuckets: false });
const { port: s3Port } = await s3.run();
const receiver = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(204).end());
});
await new Promise((r) => receiver.listen(0, '127.0.0.1', r));
const hookPort = receiver.address().port;

const s3Settings = (gzip) => ({
  endpoint: `http://127.0.0.1:${s3Port}`,
  region: 'us-east-1',
  bucket: 'bench',
  pathStyle: true,
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  keyPattern: `b/${gzip ? 'gz' : 'plain'}/{seq}`,
  format: 'ndjson',
  gzip,
  flushCount: 1000,
  flushBytes: 0,
  flushMs: 1000,
  timeoutMs: 30_000,
});

const results = {};
const put = (name, size, v) => {
  results[name] ??= {};
  (results[name][`batch${size}`] ??= []).push(v);
};
let n = 0;
for (let round = 0; round < ROUNDS; round++) {
  for (const size of SIZES) {
    const total = size === 1 ? Math.min(N, 1000) : N;
    put('s3.bare', size, await timed(total, size, (recs) => bare(s3Port, 'PUT', `/bench/bare/${++n}.ndjson`, Buffer.from(toNdjson(recs)), 'application/x-ndjson')));
    for (const gzip of [false, true]) {
      const t = new S3Target(s3Settings(gzip));
      put(gzip ? 's3.target.gzip' : 's3.target', size, await timed(total, size, (recs) => t.deliver(recs)));
      await t.close();
    }
    put('webhook.bare', size, await timed(total, size, (recs) => bare(hookPort, 'POST', '/in', Buffer.from(toJsonArray(recs)), 'application/json')));
    const w = new WebhookTarget({ url: `http://127.0.0.1:${hookPort}/in`, method: 'POST', headers: {}, authHeaderValue: 'Bearer x', format: 'json', gzip: false, flushCount: 1000, flushBytes: 0, flushMs: 1000, timeoutMs: 30_000 });
    put('webhook.target', size, await timed(total, size, (recs) => w.deliver(recs)));
    await w.close();
  }
}
const sampleText = Buffer.from(toNdjson(records(1000, 0)));
const zlib = require('node:zlib');
const out = { samples: N, rounds: ROUNDS, unit: 'samples/s (median)', node: process.version, bytesPerSample: Math.round(sampleText.length / 1000), gzipSaves: `${Math.round((1 - zlib.gzipSync(sampleText).length / sampleText.length) * 100)} %` };
for (const [name, bySize] of Object.entries(results)) out[name] = Object.fromEntries(Object.entries(bySize).map(([k, v]) => [k, median(v)]));
console.log(JSON.stringify(out, null, 2));
agent.destroy();
await new Promise((r) => receiver.close(r));
await s3.close();
fs.rmSync(dir, { recursive: true, force: true });
