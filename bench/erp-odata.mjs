#!/usr/bin/env node
// ERP OData driver throughput: maintenance notifications created through the
// SAP OData v2 driver and the OData v4 driver against the ERP simulator, which
// runs in its own process (`plantwire sim erp`), as an ERP would. Per protocol:
//   floor        bare keep-alive HTTP POSTs of the same documents, 16 in flight
//                (v2: with one CSRF token and cookie fetched beforehand) — what
//                the wire and the simulator allow, with no driver in between
//   serial       driver.execute(), one document at a time
//   parallel     driver.execute(), 16 documents in flight
//   batch        driver.executeBatch() with 100 documents per $batch, one at a time
// The bench checks that the simulator holds exactly the documents sent; it fails otherwise.
// A warm-up pass runs every mode once; the rounds interleave the modes (the machine may be shared).
// Run `node scripts/build.mjs` first (npm run bench:erp-odata does). Prints JSON (median of the rounds).
//   node bench/erp-odata.mjs [--docs 2000] [--rounds 3] [--latency-ms 0]
import { spawn } from 'node:child_process';
import http from 'node:http';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { HttpClient } = require(path.join(root, 'dist/src/connectors/http/index.js'));
const { SapODataV2Driver } = require(path.join(root, 'dist/src/connectors/erp/odata-v2.js'));
const { ODataV4Driver } = require(path.join(root, 'dist/src/connectors/erp/odata-v4.js'));

const { values } = parseArgs({ options: { docs: { type: 'string' }, rounds: { type: 'string' }, 'latency-ms': { type: 'string' } } });
const DOCS = Number(values.docs ?? 2000);
const ROUNDS = Number(values.rounds ?? 3);
const LATENCY = Number(values['latency-ms'] ?? 0);
const SERIAL = Math.max(50, Math.round(DOCS / 10));
const BATCH = 100;
const WIDTH = 16;

const sim = spawn(process.execPath, [path.join(root, 'bin/plantwire.js'), 'sim', 'erp', '--port', '0', '--latency-ms', String(LATENCY)], { stdio: ['ignore', 'pipe', 'inherit'] });
const base = await new Promise((resolve, reject) => {
  let out = '';
  sim.stdout.on('data', (d) => {
    out += d;
    const m = /ERP OData simulator on (https?:\/\/[\d.:]+)/.exec(out);
    if (m) resolve(m[1]);
  });
  sim.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${out}`)));
});
const v2Url = `${base}/sap/opu/odata/sap/API_MAINTNOTIFICATION/`;
const v4Url = `${base}/odata/v4/`;
const settings = { auth: 'basic', user: 'PLANTWIRE', password: 'plantwire', sapClient: '100', timeoutMs: 30_000 };
const authorization = `Basic ${Buffer.from('PLANTWIRE:plantwire').toString('base64')}`;

let seq = 0;
const doc = (tag) => ({ NotificationText: `${tag} ${seq}`, NotificationType: 'M2', MaintPriority: '3', TechnicalObject: 'FILLER-01' });
const request = (tag) => ({ operation: 'create', entity: 'MaintenanceNotification', data: doc(tag), idempotencyKey: `bench-${process.pid}-${seq++}`, firstSentAt: new Date() });

async function pool(n, width, fn) {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, n) }, async () => {
    while (next < n) {
      next += 1;
      await fn();
    }
  }));
}

async function stored(tag) {
  const res = await fetch(`${base}/sim/documents/MaintenanceNotification`);
  const docs = await res.json();
  return docs.filter((d) => String(d.NotificationText).startsWith(`${tag} `)).length;
}

async function floor(version, tag, n) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: WIDTH });
  const url = new URL(version === 2 ? `${v2Url}MaintenanceNotification?sap-client=100` : `${v4Url}MaintenanceNotification`);
  const headers = { 'content-type': 'application/json', accept: 'application/json', authorization };
  if (version === 2) {
    const r = await fetch(`${v2Url}?sap-client=100`, { headers: { 'x-csrf-token': 'Fetch', authorization } });
    headers['x-csrf-token'] = r.headers.get('x-csrf-token');
    headers.cookie = r.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  }
  const post = () =>
    new Promise((resolve, reject) => {
      const body = JSON.stringify(doc(tag));
      seq += 1;
      const req = http.request(url, { method: 'POST', agent, headers: { ...headers, 'content-length': Buffer.byteLength(body) } }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 201 ? resolve() : reject(new Error(`floor POST answered ${res.statusCode}`))));
      });
      req.on('error', reject);
      req.end(body);
    });
  const t = performance.now();
  await pool(n, WIDTH, post);
  const ms = performance.now() - t;
  agent.destroy();
  return ms;
}

async function measure(version, mode, n) {
  const tag = `bench-${version}-${mode}-${process.pid}-${seq}`;
  let ms;
  if (mode === 'floor') ms = await floor(version, tag, n);
  else {
    const client = new HttpClient({ timeoutMs: 30_000, maxSockets: WIDTH });
    const driver = version === 2 ? new SapODataV2Driver({ kind: 'sap-odata-v2', url: v2Url, ...settings }, client) : new ODataV4Driver({ kind: 'odata-v4', url: v4Url, ...settings }, client);
    await driver.test(); // session, metadata and CSRF token outside the timing
    if (version === 2) await driver.propertyTypes('MaintenanceNotification');
    const t = performance.now();
    if (mode === 'serial') for (let i = 0; i < n; i++) await driver.execute(request(tag));
    else if (mode === 'parallel') await pool(n, WIDTH, () => driver.execute(request(tag)));
    else {
      for (let i = 0; i < n; i += BATCH) {
        const out = await driver.executeBatch(Array.from({ length: Math.min(BATCH, n - i) }, () => request(tag)));
        const bad = out.find((r) => r instanceof Error);
        if (bad) throw bad;
      }
    }
    ms = performance.now() - t;
    driver.close();
    client.close();
  }
  const got = await stored(tag);
  if (got !== n) throw new Error(`${version}/${mode}: the simulator holds ${got} documents, ${n} were sent`);
  return (n / ms) * 1000;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const results = {};
try {
  const MODES = ['floor', 'serial', 'parallel', 'batch'];
  for (const version of [2, 4]) {
    // Warm-up (JIT, sockets) for every mode, then the rounds interleaved so that load from
    // elsewhere on the machine spreads over all modes alike.
    for (const mode of MODES) await measure(version, mode, mode === 'serial' ? 20 : 200);
    const rates = Object.fromEntries(MODES.map((m) => [m, []]));
    for (let r = 0; r < ROUNDS; r++) for (const mode of MODES) rates[mode].push(await measure(version, mode, mode === 'serial' ? SERIAL : DOCS));
    const row = {};
    for (const mode of MODES) row[mode] = Math.round(median(rates[mode]));
    row.batchVsParallel = Number((row.batch / row.parallel).toFixed(2));
    row.parallelVsFloor = Number((row.parallel / row.floor).toFixed(2));
    results[version === 2 ? 'sapODataV2' : 'odataV4'] = row;
  }
} finally {
  sim.kill('SIGTERM');
}

console.log(
  JSON.stringify(
    {
      bench: 'erp-odata',
      unit: 'documents/s (median of rounds)',
      docs: DOCS,
      serialDocs: SERIAL,
      batchSize: BATCH,
      inFlight: WIDTH,
      latencyMs: LATENCY,
      rounds: ROUNDS,
      node: process.version,
      cpus: os.cpus().length,
      ...results,
    },
    null,
    2,
  ),
);
