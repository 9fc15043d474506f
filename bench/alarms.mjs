#!/usr/bin/env node
// Throughput of plantwire-alarm and plantwire-condition (samples/s) next to
// the floor: a plain JavaScript loop doing the same arithmetic on the same
// samples in the same run (no validation, no state machine bookkeeping
// beyond what the figures need, no Node-RED). Goal (issue 20, as for the
// other transforms): the node in batch mode within 3× the floor.
//
//   floor           plain loop
//   nodeLogicBatch  readSamples + engine.process per message of 1,000 samples, no Node-RED
//   runtimeBatch    the real node in an embedded Node-RED, 1,000 batches of 1,000 samples;
//                   alarm with its state file off and on (an fsynced atomic write after
//                   every message that changed an alarm), condition with its state file on
//                   (written at most every 10 s and at events)
//
// Data: 100 tags at 1 Hz, 1,000,000 samples. Alarm: a noisy sine, an H and an L
// alarm per tag with deadband (200 alarms). Condition: Gaussian noise around a
// constant per tag, an EWMA + Western Electric 1 monitor per tag (learn 100).
// Times are this process's CPU time (the machine is shared), best of several
// runs; wall time is reported too.
// Run: node scripts/build.mjs && node bench/alarms.mjs   (prints JSON)
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

if (!global.gc) {
  v8.setFlagsFromString('--expose-gc');
  global.gc = vm.runInNewContext('gc');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(root, 'dist', 'src', p));
const { readSamples } = dist('transforms/samples.js');
const { AlarmEngine, alarmSettings } = dist('transforms/alarm.js');
const { ConditionEngine, conditionSettings } = dist('transforms/condition.js');
const { startHost } = dist('host/index.js');

const N = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const BATCH = 1000;
const TAGS = 100;
const T0 = Date.UTC(2026, 0, 1);
const H = 24000;
const L = 3000;
const DB = 500;
const LEARN = 100;
const LAMBDA = 0.2;
const LW = 3.5;

function lcg(seed) {
  let s = seed >>> 0;
  return () => (s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32;
}
const tagName = (k) => `Line${1 + (k % 4)}/TT${100 + k}/Temperature`;
function alarmSamples(n) {
  const rnd = lcg(12345);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % TAGS;
    out[i] = { tag: tagName(k), value: Math.round(13824 + 12000 * Math.sin(i / 5_000 + k) + (rnd() - 0.5) * 1200), quality: 'good', sourceTimestamp: new Date(T0 + i * (1000 / TAGS)).toISOString(), unit: '°C' };
  }
  return out;
}
function conditionSamples(n) {
  const rnd = lcg(777);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const k = i % TAGS;
    const g = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    out[i] = { tag: tagName(k), value: 500 + k + g, quality: 'good', sourceTimestamp: new Date(T0 + i * (1000 / TAGS)).toISOString(), unit: 'ml' };
  }
  return out;
}

const ALARM_CONFIG = { rules: Array.from({ length: TAGS }, (_, k) => [{ tag: tagName(k), kind: 'H', limit: String(H), deadband: String(DB) }, { tag: tagName(k), kind: 'L', limit: String(L), deadband: String(DB) }]).flat(), floodThreshold: '1000000', rateEvery: '0' };
const CONDITION_CONFIG = { monitors: Array.from({ length: TAGS }, (_, k) => ({ tag: tagName(k), rules: 'ewma, we1', learn: String(LEARN), lambda: String(LAMBDA), L: String(LW) })) };

// ------------------------------------------------------------ the floors

/** H and L with deadband per tag, raising and returning: counts the transitions. */
function alarmFloor(samples) {
  const st = new Map();
  let events = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    let a = st.get(s.tag);
    if (a === undefined) st.set(s.tag, (a = { h: false, l: false }));
    const v = s.value;
    const h = a.h ? v >= H - DB : v >= H;
    const l = a.l ? v <= L + DB : v <= L;
    if (h !== a.h) events++;
    if (l !== a.l) events++;
    a.h = h;
    a.l = l;
  }
  return events;
}

/**
 * Welford learning (mean, σ, lag-1 autocorrelation ρ), then the EWMA with
 * time-varying limits widened for ρ and the 3σ rule per tag; an event when a
 * rule starts to fire (drift and anomaly apart), and when none fired for 10
 * samples after a flag.
 */
function conditionFloor(samples) {
  const st = new Map();
  let events = 0;
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    let m = st.get(s.tag);
    if (m === undefined) st.set(s.tag, (m = { n: 0, mean: 0, m2: 0, first: 0, prev: 0, lag: 0, sd: 0, f: 1, z: 0, k: 0, ewma: false, we1: false, quiet: 0 }));
    const x = s.value;
    if (m.n < LEARN) {
      m.n++;
      if (m.n === 1) m.first = x;
      else m.lag += (x - m.first) * (m.prev - m.first);
      m.prev = x;
      const d = x - m.mean;
      m.mean += d / m.n;
      m.m2 += d * (x - m.mean);
      if (m.n === LEARN) {
        m.sd = Math.sqrt(m.m2 / (LEARN - 1));
        const c = m.mean - m.first;
        const sumY = LEARN * c;
        const rho = Math.min(0.95, Math.max(0, (m.lag - c * (2 * sumY - (m.prev - m.first)) + (LEARN - 1) * c * c) / ((LEARN - 1) * m.sd * m.sd)));
        const a = rho * (1 - LAMBDA);
        m.f = (1 + a) / (1 - a);
        m.z = m.mean;
        events++;
      }
      continue;
    }
    m.k++;
    m.z = LAMBDA * x + (1 - LAMBDA) * m.z;
    const lim = LW * m.sd * Math.sqrt((LAMBDA / (2 - LAMBDA)) * (1 - Math.pow(1 - LAMBDA, 2 * m.k)) * m.f);
    const ewma = Math.abs(m.z - m.mean) > lim;
    const we1 = Math.abs(x - m.mean) / m.sd > 3;
    if (ewma || we1) {
      m.quiet = 0;
      if (ewma && !m.ewma) events++;
      if (we1 && !m.we1) events++;
      m.ewma ||= ewma;
      m.we1 ||= we1;
    } else if ((m.ewma || m.we1) && ++m.quiet >= 10) {
      m.ewma = m.we1 = false;
      m.quiet = 0;
      events++;
    }
  }
  return { events, st };
}

// ------------------------------------------------------------ measuring

function measure(fn) {
  global.gc();
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const result = fn();
  const wallNs = Number(process.hrtime.bigint() - t);
  const c = process.cpuUsage(cpu);
  return { wallNs, cpuNs: (c.user + c.system) * 1000, result };
}
const rate = (n, m) => ({ samples: n, samplesPerSec: Math.round(n / (m.cpuNs / 1e9)), nsPerSample: Number((m.cpuNs / n).toFixed(1)), wallNsPerSample: Number((m.wallNs / n).toFixed(1)) });
function bestOf(rounds, fns) {
  const best = {};
  for (let r = 0; r < rounds; r++) {
    for (const [name, fn] of Object.entries(fns)) {
      const m = measure(fn);
      if (!best[name] || m.cpuNs < best[name].cpuNs) best[name] = m;
    }
  }
  return best;
}
const chunks = (arr, size) => Array.from({ length: Math.ceil(arr.length / size) }, (_, i) => arr.slice(i * size, (i + 1) * size));

function alarmLogic(batches) {
  const e = new AlarmEngine(alarmSettings(ALARM_CONFIG));
  let events = 0;
  for (const p of batches) events += e.process(readSamples(p), T0, true).length;
  return events;
}
function conditionLogic(batches) {
  const e = new ConditionEngine(conditionSettings(CONDITION_CONFIG));
  let events = 0;
  for (const p of batches) events += e.process(readSamples(p), T0, true).length;
  return { events, e };
}

// ------------------------------------------------------------ the runtime

async function withRuntime(fn) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-alarms-'));
  const host = await startHost({ userDir, port: 0, users: [{ username: 'bench', password: 'bench-password', permissions: '*' }], credentialSecret: 'bench', flows: [], logLevel: 'off', settings: { nodesDir: [root, path.join(root, 'bench', 'nodes')] } });
  for (const deadline = Date.now() + 20_000; !host.logs.some((l) => l.msg === 'Started flows') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  try {
    return await fn(host);
  } finally {
    await host.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

let seq = 0;
/** Sends the batches through the node, then a command whose answer (output 2) marks the end; returns CPU time per sample. */
async function runtimeRun(host, type, config, batches, expectedEvents, endCommand) {
  seq += 1;
  const nut = { id: `nut${seq}`, type, z: 'bt', name: '', version: 1, x: 300, y: 100, wires: [['sink'], ['sink']], ...config };
  const flows = [
    { id: 'bt', type: 'tab', label: 'bench' },
    { id: 'src', type: 'bench-source', z: 'bt', name: '', x: 150, y: 100, wires: [[nut.id]] },
    nut,
    { id: 'go', type: 'inject', z: 'bt', props: [{ p: 'payload' }], payload: '', payloadType: 'date', once: false, repeat: '', x: 50, y: 100, wires: [['src']] },
    { id: 'sink', type: 'bench-sink', z: 'bt', name: '', x: 450, y: 100, wires: [] },
  ];
  const before = host.logs.filter((l) => l.msg === 'Started flows').length;
  const res = await host.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' });
  if (res.status !== 204 && res.status !== 200) throw new Error(`deploy failed: ${res.status} ${JSON.stringify(res.body)}`);
  for (const deadline = Date.now() + 15_000; host.logs.filter((l) => l.msg === 'Started flows').length <= before; ) {
    if (Date.now() > deadline) throw new Error('flows did not start');
    await new Promise((r) => setTimeout(r, 10));
  }
  const messages = batches.map((payload) => ({ topic: 'plc', payload }));
  messages.push({ payload: { command: endCommand } });
  // The end command's answer is an object (counts 1) or, for the alarm list, an array (counts its length).
  const expected = expectedEvents + (endCommand === 'rate' ? 1 : 1);
  const run = { messages, chunk: 1, expected, received: 0, startedAt: 0n, finishedAt: 0n };
  const finished = new Promise((resolve, reject) => {
    run.done = resolve;
    setTimeout(() => reject(new Error(`${type}: ${run.received} of ${expected} messages within 300 s`)), 300_000).unref();
  });
  globalThis.__plantwireBench = run;
  global.gc();
  const cpu = process.cpuUsage();
  if ((await host.admin('POST', '/inject/go')).status !== 200) throw new Error('inject failed');
  await finished;
  const used = process.cpuUsage(cpu);
  await new Promise((r) => setTimeout(r, 200));
  if (run.received !== expected) throw new Error(`${type}: ${run.received} messages, expected ${expected}: the node and the floor disagree`);
  const n = batches.reduce((a, b) => a + b.length, 0);
  return { ...rate(n, { cpuNs: (used.user + used.system) * 1000, wallNs: Number(run.finishedAt - run.startedAt) }), events: expectedEvents };
}

// ------------------------------------------------------------------ main

const report = {
  bench: 'alarms',
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
  data: { samples: N, tags: TAGS, batchSize: BATCH },
  results: {},
  goals: {},
};

const aSamples = alarmSamples(N);
const aBatches = chunks(aSamples, BATCH);
const am = bestOf(5, { floor: () => alarmFloor(aSamples), batch: () => alarmLogic(aBatches) });
if (am.floor.result !== am.batch.result) throw new Error(`alarm: the engine sent ${am.batch.result} events, the floor counted ${am.floor.result}`);
report.results.alarm = { floor: { ...rate(N, am.floor), events: am.floor.result }, nodeLogicBatch: { ...rate(N, am.batch), events: am.batch.result } };

const cSamples = conditionSamples(N);
const cBatches = chunks(cSamples, BATCH);
const cm = bestOf(5, { floor: () => conditionFloor(cSamples), batch: () => conditionLogic(cBatches) });
if (cm.floor.result.events !== cm.batch.result.events) throw new Error(`condition: the engine sent ${cm.batch.result.events} events, the floor counted ${cm.floor.result.events}`);
for (const mon of cm.batch.result.e.list().monitors) {
  const f = cm.floor.result.st.get(mon.tag);
  if (Math.abs(f.z - mon.ewma) > 1e-3) throw new Error(`condition: EWMA of ${mon.tag}: engine ${mon.ewma}, floor ${f.z}`);
}
report.results.condition = { floor: { ...rate(N, cm.floor), events: cm.floor.result.events }, nodeLogicBatch: { ...rate(N, cm.batch), events: cm.batch.result.events } };

await withRuntime(async (host) => {
  const best = async (...args) => {
    const a = await runtimeRun(host, ...args);
    const b = await runtimeRun(host, ...args);
    return a.nsPerSample <= b.nsPerSample ? a : b;
  };
  // Warm-up (JIT), not measured.
  await runtimeRun(host, 'plantwire-alarm', { ...ALARM_CONFIG, persist: false }, aBatches.slice(0, 200), alarmLogic(aBatches.slice(0, 200)), 'rate');
  await runtimeRun(host, 'plantwire-condition', { ...CONDITION_CONFIG, persist: false }, cBatches.slice(0, 200), conditionLogic(cBatches.slice(0, 200)).events, 'list');
  report.results.alarm.runtimeBatch = await best('plantwire-alarm', { ...ALARM_CONFIG, persist: false }, aBatches, am.floor.result, 'rate');
  report.results.alarm.runtimeBatchStateFile = await best('plantwire-alarm', { ...ALARM_CONFIG, persist: true }, aBatches, am.floor.result, 'rate');
  report.results.condition.runtimeBatch = await best('plantwire-condition', { ...CONDITION_CONFIG, persist: true }, cBatches, cm.floor.result.events, 'list');
});

for (const kind of ['alarm', 'condition']) {
  const r = report.results[kind];
  const floorNs = r.floor.nsPerSample;
  report.goals[kind] = {
    batchNodeVsFloor: Number((r.runtimeBatch.nsPerSample / floorNs).toFixed(2)),
    batchNodeLogicVsFloor: Number((r.nodeLogicBatch.nsPerSample / floorNs).toFixed(2)),
    batchWithin3xFloor: r.runtimeBatch.nsPerSample <= 3 * floorNs,
  };
  if (r.runtimeBatchStateFile) report.goals[kind].batchNodeWithStateFileVsFloor = Number((r.runtimeBatchStateFile.nsPerSample / floorNs).toFixed(2));
}
console.log(JSON.stringify(report, null, 2));
process.exit(0);
