#!/usr/bin/env node
// Odoo driver benchmark: documents/s into the Odoo simulator (`plantwire sim
// odoo`, in its own process) over one kept-alive connection, beside the
// floor measured in the same run.
//
//   npm run bench:erp-odoo                    (builds dist/ if needed)
//   node bench/erp-odoo.mjs --documents 1000 --rounds 5
//
// Modes (maintenance.request creates, ~200-byte documents, one at a time):
//   raw          bare JSON-RPC execute_kw create through the shared HttpClient,
//                no login logic, no read-back: one call per document (the floor)
//   plain        OdooDriver create without an external key field:
//                create + read-back (2 calls)
//   idempotent   OdooDriver create with x_plantwire_key: search + create +
//                read-back (3 calls) — what erp-out does by default for Odoo
//   batch100     OdooDriver.executeBatch, 100 idempotent creates per call
//                (sequential over the same connection: Odoo has no $batch)
// The modes take turns within each round (order rotated per round); prints
// one JSON object with the medians of the rounds and every round's figure.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { HttpClient } = require(path.join(root, 'dist/src/connectors/http/index.js'));
const { OdooDriver } = require(path.join(root, 'dist/src/connectors/erp/odoo.js'));

const { values: args } = parseArgs({ options: { documents: { type: 'string' }, rounds: { type: 'string' } } });
let N = Number(args.documents ?? 1000);
const ROUNDS = Number(args.rounds ?? 5);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rate = (n, ms) => Math.round((n * 1000) / ms);

const child = spawn(process.execPath, [path.join(root, 'bin', 'plantwire.js'), 'sim', 'odoo', '--port', '0', '--empty'], { stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolve, reject) => {
  let out = '';
  child.stdout.on('data', (d) => {
    out += d.toString();
    const m = /listening on (http:\/\/[^/\s]+)\/jsonrpc/.exec(out);
    if (m) resolve(m[1]);
  });
  child.once('exit', (code) => reject(new Error(`simulator exited (${code}): ${out}`)));
});

const settings = { kind: 'odoo', url, database: 'plantwire', auth: 'none', user: 'admin', password: 'plantwire-odoo-demo-key', timeoutMs: 10_000 };
let seq = 0;
const doc = (i) => ({ name: `Reject alarm ${i}`, description: `Line1/Alarms/CapperJam raised at 2026-11-21T10:${String(i % 60).padStart(2, '0')}:00.000Z`, equipment_id: (i % 6) + 1, priority: '2', maintenance_type: 'corrective' });
const req = (i, ext) => ({ operation: 'create', entity: 'maintenance.request', data: doc(i), idempotencyKey: `bench-${++seq}`, firstSentAt: new Date(), ...(ext ? { externalKeyField: 'x_plantwire_key' } : {}) });

// every mode starts from an empty store (the simulator's search is a scan)
const reset = (http) => http.request({ method: 'POST', url: `${url}/plantwire/reset` });

async function raw(http) {
  await reset(http);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const res = await http.request({ method: 'POST', url: `${url}/jsonrpc`, json: { jsonrpc: '2.0', method: 'call', params: { service: 'object', method: 'execute_kw', args: ['plantwire', 2, 'plantwire-odoo-demo-key', 'maintenance.request', 'create', [doc(i)], {}] }, id: i } });
    if (typeof res.json().result !== 'number') throw new Error('raw create failed');
  }
  return rate(N, performance.now() - t0);
}
async function single(driver, ext) {
  await reset(driver.http);
  const t0 = performance.now();
  for (let i = 0; i < N; i++) await driver.execute(req(i, ext));
  return rate(N, performance.now() - t0);
}
async function batch(driver) {
  await reset(driver.http);
  const t0 = performance.now();
  for (let i = 0; i < N; i += 100) {
    const out = await driver.executeBatch(Array.from({ length: Math.min(100, N - i) }, (_, j) => req(i + j, true)));
    if (out.some((r) => r instanceof Error)) throw new Error('batch create refused');
  }
  return rate(N, performance.now() - t0);
}

const results = { raw: [], plain: [], idempotent: [], batch100: [] };
const http = new HttpClient({ timeoutMs: 10_000 });
const driver = new OdooDriver(settings, http);
const modes = { raw: () => raw(http), plain: () => single(driver, false), idempotent: () => single(driver, true), batch100: () => batch(driver) };
try {
  await driver.test();
  // warm-up (JIT, sockets), not counted
  const n = N;
  N = Math.min(200, n);
  for (const f of Object.values(modes)) await f();
  N = n;
  // the machine is shared: rotate the order of the modes every round so that load spikes spread over all of them
  const names = Object.keys(modes);
  for (let r = 0; r < ROUNDS; r++) {
    for (let j = 0; j < names.length; j++) {
      const name = names[(r + j) % names.length];
      results[name].push(await modes[name]());
    }
  }
} finally {
  http.close();
  child.kill('SIGINT');
}
const m = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, median(v)]));
console.log(
  JSON.stringify(
    {
      bench: 'erp-odoo',
      node: process.version,
      documents: N,
      rounds: ROUNDS,
      docsPerSecond: m,
      callsPerDocument: { raw: 1, plain: 2, idempotent: 3, batch100: 3 },
      idempotentVsRaw: Number((m.idempotent / m.raw).toFixed(2)),
      all: results,
    },
    null,
    2,
  ),
);
