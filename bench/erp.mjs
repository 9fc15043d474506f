#!/usr/bin/env node
// ERP sink benchmark: documents/s posted to the SAP S/4HANA OData simulator
// (src/sim/erp-odata.ts, in this process, loopback) by the SAP OData v2 driver
// the plantwire-erp-out node uses — one request per document (batchSize 1,
// the baseline) against one $batch per 10 and per 100 documents (batchSize
// 10 / 100: one changeset per document), all in the same run. Every document
// is a MaintenanceNotification create with its own Repeatability-Request-ID,
// sent one call after the other as the node's forwarder does.
//
//   npm run bench:erp                          (builds dist/ if needed)
//   node bench/erp.mjs --documents 2000 --rounds 3 [--latency-ms 0]
//
// --latency-ms delays every answer of the simulator (a WAN / loaded ERP):
// that is where batching pays most. Prints one JSON object (median of the rounds).
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startErpSim } = require(path.join(root, 'dist/src/sim/erp-odata.js'));
const { erpSettings, openErp } = require(path.join(root, 'dist/src/connectors/erp/index.js'));

const { values: args } = parseArgs({ options: { documents: { type: 'string' }, rounds: { type: 'string' }, 'latency-ms': { type: 'string' } } });
const N = Number(args.documents ?? 2000);
const ROUNDS = Number(args.rounds ?? 3);
const LATENCY = Number(args['latency-ms'] ?? 0);

const sim = await startErpSim({ port: 0, latencyMs: LATENCY });
const settings = erpSettings({ kind: 'sap-odata-v2', url: sim.v2.notification, sapClient: '100', auth: 'basic', timeout: 30 }, { user: 'PLANTWIRE', password: 'plantwire' });
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
let seq = 0;
const doc = (i) => ({
  operation: 'create',
  entity: 'MaintenanceNotification',
  data: { NotificationText: `bench ${i}`, TechnicalObject: 'FILLER-01', MaintPriority: '2' },
  idempotencyKey: `bench-${process.pid}-${++seq}`,
  firstSentAt: new Date(),
});

async function run(batch) {
  sim.reset();
  const erp = openErp(settings);
  try {
    await erp.driver.test(); // login, CSRF token: as the node does before its first document
    const started = process.hrtime.bigint();
    for (let i = 0; i < N; i += batch) {
      const reqs = Array.from({ length: Math.min(batch, N - i) }, (_, k) => doc(i + k));
      if (batch === 1) await erp.driver.execute(reqs[0]);
      else {
        const results = await erp.driver.executeBatch(reqs);
        const failed = results.filter((r) => r instanceof Error);
        if (failed.length) throw new Error(`${failed.length} documents refused: ${failed[0].message}`);
      }
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const stored = sim.documents('MaintenanceNotification').length;
    if (stored !== N) throw new Error(`the simulator stored ${stored} of ${N} documents`);
    return { ms, rate: Math.round((N * 1000) / ms), requests: Math.ceil(N / batch) };
  } finally {
    erp.close();
  }
}

const modes = [
  ['single posts (baseline)', 1],
  ['$batch of 10', 10],
  ['$batch of 100', 100],
];
const out = { documents: N, rounds: ROUNDS, latencyMs: LATENCY, node: process.version, results: {} };
await run(1); // warm-up (JIT, sockets)
for (const [name, batch] of modes) {
  const rounds = [];
  for (let r = 0; r < ROUNDS; r++) rounds.push(await run(batch));
  const m = median(rounds.map((x) => x.rate));
  out.results[name] = { docsPerSecond: m, requests: rounds[0].requests, msMedian: Math.round(median(rounds.map((x) => x.ms))) };
}
const base = out.results['single posts (baseline)'].docsPerSecond;
for (const name of Object.keys(out.results)) out.results[name].vsBaseline = `${(out.results[name].docsPerSecond / base).toFixed(1)}×`;
await sim.close();
console.log(JSON.stringify(out, null, 2));
