#!/usr/bin/env node
// NATS JetStream scale-out benchmark (issue 21).
//
//   npm run bench:nats                                  (builds dist/ if needed)
//   node bench/nats.mjs --samples 100000 --instances 1,2,3
//
// 1. Consumers: M samples are put into a stream once; then 1, 2 and 3
//    Node-RED processes (embedded hosts from dist/, each a child process)
//    drain it through one shared durable consumer (a fresh one per round,
//    from the start of the stream): nats-in → nats-ack → a counting function.
//    Per round: samples/s (first deploy to the consumer's ack floor reaching
//    M), and per instance the samples it handled and its CPU time per sample
//    (process.cpuUsage of that process over the round, start-up excluded).
// 2. Publishing: the same M samples through plantwire-nats-out (embedded
//    Node-RED, messages of 100 samples, 8 messages in flight — a Complete node
//    asks for the next) beside the bare @nats-io client (the same subjects,
//    payloads and Nats-Msg-Id headers, batches of 100, 8 in flight) in the
//    same run, into fresh streams. Reported: samples/s and CPU per sample.
//
// Needs NATS with JetStream at 127.0.0.1:4222 (--url). Prints one JSON object.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { connect } = require('@nats-io/transport-node');
const { jetstream, jetstreamManager } = require('@nats-io/jetstream');

const { values: args } = parseArgs({
  options: { samples: { type: 'string' }, instances: { type: 'string' }, url: { type: 'string' }, worker: { type: 'string' }, 'in-flight': { type: 'string' } },
});
const URL = args.url ?? 'nats://127.0.0.1:4222';
const M = Number(args.samples ?? 100_000);
const IN_FLIGHT = Number(args['in-flight'] ?? 500);
const RUN = Math.random().toString(36).slice(2, 8);
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const sampleAt = (i) => ({ tag: `Filler/Tag${i % 100}`, value: i, quality: 'good', sourceTimestamp: new Date(T0 + i).toISOString(), asset: `acme/hh/bottling/line${i % 4}` });

// ------------------------------------------------------------------ worker: one embedded Node-RED
if (args.worker) {
  const { startHost } = require(path.join(root, 'dist/src/host/index.js'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-nats-'));
  // The counting function node reaches this object through the global context (functionGlobalContext).
  const counter = { n: 0 };
  const host = await startHost({ userDir, port: 0, users: [{ username: 'bench', password: 'bench-password', permissions: '*' }], credentialSecret: 'bench', flows: [], logLevel: 'off', settings: { functionGlobalContext: { benchCounter: counter } } });
  let cpu0 = process.cpuUsage();
  process.on('message', async (m) => {
    if (m.type === 'deploy') {
      counter.n = 0;
      const res = await host.admin('POST', '/flows', m.flows, { 'Node-RED-Deployment-Type': 'full' });
      cpu0 = process.cpuUsage();
      process.send({ type: 'deployed', status: res.status });
    } else if (m.type === 'report') {
      const c = process.cpuUsage(cpu0);
      process.send({ type: 'report', count: counter.n, cpuMs: (c.user + c.system) / 1000 });
    } else if (m.type === 'stop') {
      await host.stop();
      fs.rmSync(userDir, { recursive: true, force: true });
      process.exit(0);
    }
  });
  process.send({ type: 'ready' });
  await new Promise(() => undefined);
}

function startWorker(label) {
  const child = fork(fileURLToPath(import.meta.url), ['--worker', label], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, PLANTWIRE_BENCH_COUNT: '1' } });
  const waiting = new Map();
  child.on('message', (m) => {
    const w = waiting.get(m.type);
    if (w) {
      waiting.delete(m.type);
      w(m);
    }
  });
  const ask = (type, msg, answer) => new Promise((r) => {
    waiting.set(answer, r);
    if (msg) child.send(msg);
  });
  return {
    label,
    ready: ask('ready', null, 'ready'),
    deploy: (flows) => ask('deploy', { type: 'deploy', flows }, 'deployed'),
    report: () => ask('report', { type: 'report' }, 'report'),
    stop: () => new Promise((r) => { child.once('exit', r); child.send({ type: 'stop' }); }),
  };
}

const conn = { id: 'nc', type: 'plantwire-nats-connection', name: '', version: 1, servers: URL, clientName: '', reconnectWait: 500, tls: false, ca: '', cert: '', key: '' };

function consumerFlow(stream, subjects, durable) {
  return [
    { id: 't', type: 'tab', label: 'bench' },
    conn,
    { id: 'in', type: 'plantwire-nats-in', z: 't', version: 1, connection: 'nc', stream, subjects, durable, filter: '', ackMode: 'node', ackWait: 30, maxDeliver: -1, maxAckPending: 20_000, inFlight: IN_FLIGHT, nakDelay: 1, deliverFrom: 'all', json: true, x: 100, y: 100, wires: [['ack'], []] },
    { id: 'ack', type: 'plantwire-nats-ack', z: 't', version: 1, action: 'ack', nakDelay: '', x: 250, y: 100, wires: [['count']] },
    { id: 'count', type: 'function', z: 't', func: "global.get('benchCounter').n++; return null;", outputs: 1, libs: [], x: 400, y: 100, wires: [[]] },
  ];
}

const nc = await connect({ servers: URL });
const jsm = await jetstreamManager(nc);
const js = jetstream(nc);
const streams = [];
const cpuMs = () => {
  const c = process.cpuUsage();
  return (c.user + c.system) / 1000;
};

async function bareFill(stream, prefix, window = 8, batch = 100) {
  const t0 = Date.now();
  const c0 = cpuMs();
  let next = 0;
  const lane = async () => {
    for (;;) {
      const from = next;
      if (from >= M) return;
      next += batch;
      const acks = [];
      for (let i = from; i < Math.min(from + batch, M); i++) {
        const s = sampleAt(i);
        acks.push(js.publish(`${prefix}.${s.asset.replace(/\//g, '.')}.${s.tag.replace(/\//g, '.')}`, JSON.stringify(s), { msgID: `${s.asset}|${s.tag}|${s.sourceTimestamp}` }));
      }
      await Promise.all(acks);
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  return { seconds: (Date.now() - t0) / 1000, cpuMs: cpuMs() - c0 };
}

const out = { samples: M, inFlightPerInstance: IN_FLIGHT, cpus: os.cpus().length, loadavg: os.loadavg().map((l) => Number(l.toFixed(2))), consumers: [], publish: {} };
const counts = (args.instances ?? '1,2,3').split(',').map(Number);
const workers = [];
try {
  // ---------------------------------------------------------------- the stream to consume
  const stream = `PWBENCH_${RUN}`;
  const prefix = `bench${RUN}`;
  streams.push(stream);
  await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`], duplicate_window: 600 * 1e9 });
  const fill = await bareFill(stream, prefix);
  process.stderr.write(`filled ${M} samples in ${fill.seconds.toFixed(1)} s\n`);

  for (let k = 0; k < Math.max(...counts); k++) workers.push(startWorker(String.fromCharCode(65 + k)));
  await Promise.all(workers.map((w) => w.ready));

  for (const k of counts) {
    const durable = `bench${k}`;
    const active = workers.slice(0, k);
    const t0 = Date.now();
    await Promise.all(active.map((w) => w.deploy(consumerFlow(stream, `${prefix}.>`, durable))));
    for (;;) {
      const ci = await jsm.consumers.info(stream, durable).catch(() => null);
      if (ci && ci.ack_floor.stream_seq >= M && ci.num_ack_pending === 0) break;
      await sleep(100);
    }
    const seconds = (Date.now() - t0) / 1000;
    const reports = await Promise.all(active.map((w) => w.report()));
    // Stop consuming: an empty flow.
    await Promise.all(active.map((w) => w.deploy([])));
    const round = {
      instances: k,
      seconds: Number(seconds.toFixed(2)),
      samplesPerSecond: Math.round(M / seconds),
      perInstance: reports.map((r, i) => ({ instance: active[i].label, samples: r.count, cpuSeconds: Number((r.cpuMs / 1000).toFixed(2)), cpuMicrosPerSample: r.count ? Math.round((r.cpuMs * 1000) / r.count) : null })),
    };
    out.consumers.push(round);
    process.stderr.write(`${k} instance(s): ${round.samplesPerSecond}/s ${JSON.stringify(round.perInstance)}\n`);
    await jsm.consumers.delete(stream, durable).catch(() => false);
  }

  // ---------------------------------------------------------------- publishing: bare client vs nats-out
  const bareStream = `PWBENCHB_${RUN}`;
  const barePrefix = `bareb${RUN}`;
  streams.push(bareStream);
  await jsm.streams.add({ name: bareStream, subjects: [`${barePrefix}.>`], duplicate_window: 600 * 1e9 });
  const bare = await bareFill(bareStream, barePrefix);
  out.publish.bareClient = { samplesPerSecond: Math.round(M / bare.seconds), seconds: Number(bare.seconds.toFixed(2)), cpuMicrosPerSample: Math.round((bare.cpuMs * 1000) / M), batches: '100 samples, 8 in flight' };

  const outStream = `PWBENCHO_${RUN}`;
  const outPrefix = `benchout${RUN}`;
  streams.push(outStream);
  const w = workers[0];
  const gen = `
const next = context.get('next') || 0;
if (next >= ${M}) return null;
context.set('next', next + 100);
const T0 = ${T0};
const batch = [];
for (let i = next; i < Math.min(next + 100, ${M}); i++) batch.push({ tag: 'Filler/Tag' + (i % 100), value: i, quality: 'good', sourceTimestamp: new Date(T0 + i).toISOString(), asset: 'acme/hh/bottling/line' + (i % 4) });
return { payload: batch };`;
  const t0 = Date.now();
  await w.deploy([
    { id: 't', type: 'tab', label: 'bench out' },
    conn,
    { id: 'go', type: 'inject', z: 't', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: true, onceDelay: 0.1, repeat: '', x: 50, y: 100, wires: [['fan']] },
    { id: 'fan', type: 'function', z: 't', func: 'for (let i = 0; i < 8; i++) node.send({}); return null;', outputs: 1, libs: [], x: 150, y: 100, wires: [['gen']] },
    { id: 'gen', type: 'function', z: 't', func: gen, outputs: 1, libs: [], x: 250, y: 100, wires: [['out']] },
    { id: 'out', type: 'plantwire-nats-out', z: 't', version: 1, connection: 'nc', subject: `${outPrefix}.{asset}.{tag}`, asset: '', payload: 'sample', dedup: 'sample', ackTimeout: 30, stream: outStream, subjects: `${outPrefix}.>`, retention: 'limits', replicas: 1, storage: 'file', maxAgeHours: 1, duplicateWindow: 600, x: 400, y: 100, wires: [] },
    { id: 'next', type: 'complete', z: 't', scope: ['out'], uncaught: false, x: 400, y: 200, wires: [['gen']] },
  ]);
  for (;;) {
    const si = await jsm.streams.info(outStream).catch(() => null);
    if (si && si.state.messages >= M) break;
    await sleep(100);
  }
  const seconds = (Date.now() - t0) / 1000;
  const r = await w.report();
  out.publish.natsOut = { samplesPerSecond: Math.round(M / seconds), seconds: Number(seconds.toFixed(2)), cpuMicrosPerSample: Math.round((r.cpuMs * 1000) / M), batches: 'messages of 100 samples, 8 in flight (Complete → next)', note: 'includes the deploy and stream creation' };
  await w.deploy([]);
} finally {
  await Promise.all(workers.map((w) => w.stop()));
  for (const s of streams) await jsm.streams.delete(s).catch(() => false);
  await nc.close();
}
console.log(JSON.stringify(out, null, 2));
