#!/usr/bin/env node
// Historian sink benchmark: samples/s into the real PostgreSQL (127.0.0.1:5432,
// database test, or PGHOST/PGPORT/PGDATABASE/PGUSER) for batch sizes 1, 100
// and 1,000, through the connector (src/connectors/historian/postgres.ts) and
// beside a bare `pg` insert loop in the same run, same table shape.
//
//   npm run bench:sinks                           (builds dist/ if needed)
//   node bench/sinks.mjs --rounds 3
//
// Variants (one batch awaited at a time, one fresh table each, same columns and
// the same hash(tag) and time indexes):
//   bare pg        client.query('INSERT … VALUES ($1…),(…)', values): an unnamed
//                  (not prepared) multi-row statement per batch, no ON CONFLICT
//   values         connector, multi-row VALUES as a named prepared statement per batch size
//   unnest         connector, INSERT … SELECT FROM unnest(7 array parameters), one prepared statement
//   copy           connector, COPY … FROM STDIN (text format, one CopyData message per batch)
//   auto+dedup     connector as configured by default: VALUES up to 100 rows, unnest above,
//                  unique (md5(tag), time) index and ON CONFLICT DO NOTHING
//   node           plantwire-historian-out in an embedded Node-RED (the `npm start` host):
//                  one sample per message from a function node, memory buffer, batch size =
//                  the batch; timed from the inject until the table holds every sample
// Prints a table and one JSON object (median of the rounds).
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const pg = require('pg');
const { PostgresHistorian, schemaStatements, valuesInsert, qualifiedTable } = require(path.join(root, 'dist/src/connectors/historian/postgres.js'));

const { values: args } = parseArgs({ options: { rounds: { type: 'string' } } });
const ROUNDS = Number(args.rounds ?? 1);
const CONN = { host: process.env.PGHOST ?? '127.0.0.1', port: Number(process.env.PGPORT ?? 5432), database: process.env.PGDATABASE ?? 'test', user: process.env.PGUSER ?? 'postgres' };
/** Samples per run for each batch size (batch 1 is one round trip per sample). */
const PLAN = [
  { batch: 1, samples: 3_000 },
  { batch: 100, samples: 50_000 },
  { batch: 1000, samples: 100_000 },
];
const RUN = crypto.randomBytes(3).toString('hex');
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

function samples(n) {
  const out = new Array(n);
  for (let i = 0; i < n; i++) out[i] = { tag: `Line${i % 4}/Filler/Temp${i % 25}`, value: i * 0.5, quality: 'good', sourceTimestamp: new Date(T0 + i).toISOString(), unit: '°C', asset: 'acme/hamburg/bottling/line1' };
  return out;
}

const admin = new pg.Client(CONN);
try {
  await admin.connect();
} catch (err) {
  console.log(`skipped: no PostgreSQL at ${CONN.host}:${CONN.port} (${err.message})`);
  process.exit(0);
}
const created = [];

async function bare(batch, data, table) {
  const settings = { schema: 'public', table, skipDuplicates: false };
  for (const s of schemaStatements(settings)) await admin.query(s);
  created.push(table);
  const client = new pg.Client(CONN);
  await client.connect();
  const qt = qualifiedTable('public', table);
  const rows = data.map((s) => [s.sourceTimestamp, s.tag, s.value, null, s.quality, s.unit, s.asset]);
  const t = process.hrtime.bigint();
  for (let i = 0; i < rows.length; i += batch) {
    const chunk = rows.slice(i, i + batch);
    await client.query(valuesInsert(qt, chunk.length, false), chunk.flat());
  }
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await client.end();
  return ms;
}

async function connector(batch, data, table, opts) {
  const h = new PostgresHistorian({ ...CONN, schema: 'public', table, ssl: false, ...opts });
  await h.open();
  created.push(table);
  const t = process.hrtime.bigint();
  for (let i = 0; i < data.length; i += batch) await h.write(h.encode(data.slice(i, i + batch)));
  const ms = Number(process.hrtime.bigint() - t) / 1e6;
  await h.close();
  return ms;
}

let host = null;
async function nodeVariant(batch, data, table) {
  if (!host) {
    const { startHost } = require(path.join(root, 'dist/src/host/index.js'));
    const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-sinks-'));
    host = await startHost({ userDir, port: 0, users: [{ username: 'bench', password: 'bench-password', permissions: '*' }], credentialSecret: 'bench', logLevel: 'off', settings: { nodesDir: [root] } });
    host.dir = userDir;
  }
  created.push(table);
  const func = `const d = msg.payload; for (let i = 0; i < d.n; i++) node.send({ payload: { tag: 'Line' + (i % 4) + '/Filler/Temp' + (i % 25), value: i * 0.5, quality: 'good', sourceTimestamp: new Date(d.t0 + i).toISOString(), unit: '°C', asset: 'acme/hamburg/bottling/line1' } }); return null;`;
  const flows = [
    { id: 'bt', type: 'tab', label: 'bench' },
    { id: 'bdb', type: 'plantwire-historian-db', version: 1, kind: 'postgres', host: CONN.host, port: CONN.port, database: CONN.database, schema: 'public', table, ssl: false, skipDuplicates: true, credentials: { user: CONN.user } },
    { id: 'bin', type: 'inject', z: 'bt', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 50, y: 50, wires: [['bgen']] },
    { id: 'bgen', type: 'function', z: 'bt', func, outputs: 1, x: 150, y: 50, wires: [['bout']] },
    { id: 'bout', type: 'plantwire-historian-out', z: 'bt', version: 1, db: 'bdb', batchSize: batch, bufferMode: 'memory', bufferMaxEntries: 1_000_000, bufferMaxMB: 1024, x: 300, y: 50, wires: [] },
  ];
  const res = await host.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' });
  if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: ${res.status}`);
  const q = `SELECT count(*)::int AS n FROM "${table}"`;
  for (let i = 0; ; i++) {
    const ok = await admin.query('SELECT to_regclass($1) AS r', [`public."${table}"`]);
    if (ok.rows[0].r) break;
    if (i > 300) throw new Error('the node did not create its table');
    await new Promise((r) => setTimeout(r, 20));
  }
  const t = process.hrtime.bigint();
  await host.admin('POST', '/inject/bin', { __user_inject_props__: [{ p: 'payload', v: JSON.stringify({ n: data.length, t0: T0 }), vt: 'json' }] });
  for (;;) {
    if ((await admin.query(q)).rows[0].n >= data.length) break;
    await new Promise((r) => setTimeout(r, 5));
  }
  return Number(process.hrtime.bigint() - t) / 1e6;
}

const VARIANTS = {
  'bare pg': (b, d, t) => bare(b, d, t),
  values: (b, d, t) => connector(b, d, t, { skipDuplicates: false, valuesMaxRows: 100_000, copyMinRows: 0 }),
  unnest: (b, d, t) => connector(b, d, t, { skipDuplicates: false, valuesMaxRows: 0, copyMinRows: 0 }),
  copy: (b, d, t) => connector(b, d, t, { skipDuplicates: false, copyMinRows: 1 }),
  'auto+dedup': (b, d, t) => connector(b, d, t, { skipDuplicates: true }),
  node: (b, d, t) => nodeVariant(b, d, t),
};

const result = {};
try {
  for (const { batch, samples: n } of PLAN) {
    const data = samples(n);
    for (const [name, run] of Object.entries(VARIANTS)) {
      const rates = [];
      for (let r = 0; r < ROUNDS; r++) {
        const table = `pw_bench_${RUN}_${name.replace(/\W/g, '')}_${batch}_${r}`;
        const ms = await run(batch, data, table);
        const stored = (await admin.query(`SELECT count(*)::int AS n FROM "${table}"`)).rows[0].n;
        if (stored !== n) throw new Error(`${name} batch ${batch}: ${stored} of ${n} rows stored`);
        rates.push(Math.round((n * 1000) / ms));
      }
      rates.sort((a, b) => a - b);
      (result[`batch ${batch}`] ??= {})[name] = rates[Math.floor(rates.length / 2)];
    }
  }
} finally {
  if (host) {
    await host.admin('POST', '/flows', [], { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' }).catch(() => undefined);
    await host.stop();
    fs.rmSync(host.dir, { recursive: true, force: true });
  }
  for (const t of created) await admin.query(`DROP TABLE IF EXISTS "${t}"`);
  await admin.end();
}

const names = Object.keys(VARIANTS);
const pad = (s, n) => String(s).padStart(n);
console.log(`PostgreSQL ${CONN.host}:${CONN.port}/${CONN.database}, samples/s (median of ${ROUNDS} round(s)), node ${process.version}`);
console.log(`${'batch'.padEnd(12)}${names.map((n) => pad(n, 14)).join('')}`);
for (const [k, v] of Object.entries(result)) console.log(`${k.padEnd(12)}${names.map((n) => pad(v[n].toLocaleString('en-US'), 14)).join('')}`);
console.log(JSON.stringify({ bench: 'sinks', target: 'postgresql', unit: 'samples/s', rounds: ROUNDS, plan: PLAN, result }));
