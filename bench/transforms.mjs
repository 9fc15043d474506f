#!/usr/bin/env node
// Throughput of plantwire-scale, -deadband, -window and -oee (samples/s), in batch
// and per-message mode, next to
//   - the floor: a plain JavaScript loop doing the same arithmetic on the same
//     samples (no validation, no Node-RED), and
//   - Node-RED's core function node running that same code in an embedded
//     Node-RED (the host `npm start` uses).
// Run: npm run bench:transforms  (builds dist/ if needed). Prints JSON.
//
// Sizes: the floor and the node logic run on 1,000,000 samples; the runtime
// paths send 1,000,000 samples as 1,000 batches of 1,000 (batch mode) and
// 100,000 single-sample messages (per-message mode; Node-RED's per-message
// cost makes 1,000,000 take minutes and measures the same thing).
// Times are this process's CPU time (the machine is shared; waiting for a
// core is not counted), best of several runs; wall time is reported too.
// Data: 100 tags at 1 Hz (1,000,000 samples = 10,000 s), a noisy sine,
// ISO 8601 timestamps as every Plantwire source writes them. OEE: 25 lines
// sending their machine state, fill counter and reject counter every second
// (1,000,000 samples = 13,333 s, OEE per hour), with random stops of 10 s to
// 10 min (micro-stops under 2 min).
// BENCH_KINDS=oee (comma-separated) runs only some transforms.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import vm from 'node:vm';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

// A full GC before each measured run, so that one run's garbage (and the
// prepared messages, moved to the old generation first) does not bill the
// next: the script runs as `node bench/transforms.mjs`, without --expose-gc.
if (!global.gc) {
  v8.setFlagsFromString('--expose-gc');
  global.gc = vm.runInNewContext('gc');
}

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (p) => require(path.join(root, 'dist', 'src', p));
const { readSamples } = dist('transforms/samples.js');
const { Scaler, scaleSettings } = dist('transforms/scale.js');
const { compileUnitConversion } = dist('transforms/units.js');
const { DeadbandFilter, deadbandSettings } = dist('transforms/deadband.js');
const { WindowAggregator, windowSettings } = dist('transforms/window.js');
const { OeeCalculator, oeeSettings } = dist('transforms/oee.js');
const { startHost } = dist('host/index.js');

const N = Number(process.env.BENCH_SAMPLES ?? 1_000_000);
const N_RUNTIME_EACH = Number(process.env.BENCH_RUNTIME_MESSAGES ?? 100_000);
const BATCH = 1000;
const TAGS = 100;
const T0 = Date.UTC(2026, 0, 1);
const KINDS = (process.env.BENCH_KINDS ?? 'scale,deadband,window,oee').split(',').map((k) => k.trim()).filter(Boolean);
const OEE_LINES = 25;

// ------------------------------------------------------------------ data

function makeSamples(n) {
  let seed = 12345;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const out = new Array(n);
  for (let i = 0; i < n; i++) {
    const tag = i % TAGS;
    const raw = Math.round(13824 + 12000 * Math.sin(i / 50_000 + tag) + (rnd() - 0.5) * 400);
    out[i] = { tag: `Line${1 + (tag % 4)}/TT${100 + tag}/Temperature`, value: raw, quality: 'good', sourceTimestamp: new Date(T0 + i * (1000 / TAGS)).toISOString(), unit: '°C' };
  }
  return out;
}

function makeOeeSamples(n) {
  let seed = 4242;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  const out = new Array(n);
  const lines = Array.from({ length: OEE_LINES }, (_, i) => ({ name: `Line${i + 1}`, state: 'Running', until: 0, total: 0, reject: 0 }));
  let i = 0;
  for (let sec = 0; i < n; sec++) {
    const ts = new Date(T0 + sec * 1000).toISOString();
    for (const l of lines) {
      if (l.state === 'Running') {
        if (rnd() < 1 / 600) {
          l.state = rnd() < 0.5 ? 'Starved' : 'Fault';
          l.until = sec + 10 + Math.floor(rnd() * 590);
        } else {
          l.total += rnd() < 0.9 ? 2 : 1;
          if (rnd() < 0.02) l.reject += 1;
        }
      } else if (sec >= l.until) l.state = 'Running';
      const row = [
        { tag: `${l.name}/State`, value: l.state, quality: 'good', sourceTimestamp: ts },
        { tag: `${l.name}/Filler/FillCount`, value: l.total, quality: 'good', sourceTimestamp: ts, unit: 'bottles' },
        { tag: `${l.name}/Inspector/RejectCount`, value: l.reject, quality: 'good', sourceTimestamp: ts, unit: 'bottles' },
      ];
      for (const x of row) if (i < n) out[i++] = x;
    }
  }
  return out;
}

// ------------------------------------------------------------- the kernels
// The same arithmetic as the nodes, as source text: the floor compiles it
// with new Function, the core function node runs it as its code.

const conv = compileUnitConversion('°C', '°F');
const SCALE = { mode: 'range', rawMin: 0, rawMax: 27648, engMin: 0, engMax: 100, clamp: true, engUnit: '°C', toUnit: '°F', decimals: 1 };
const SCALE_KERNEL = `
const GAIN = ${100 / 27648}, LO = 0, HI = 100, A = ${conv.a}, B = ${conv.b}, F = 10;
function scaleOne(s) {
  let v = s.value * GAIN + 0;
  let q = s.quality;
  if (v < LO) { v = LO; if (q === 'good') q = 'uncertain'; } else if (v > HI) { v = HI; if (q === 'good') q = 'uncertain'; }
  v = A * v + B;
  const r = Math.round(Math.abs(v) * F * (1 + Number.EPSILON)) / F;
  return { tag: s.tag, value: v < 0 ? -r : r, quality: q, sourceTimestamp: s.sourceTimestamp, unit: '°F' };
}`;

const DEADBAND = { mode: 'absolute', deadband: 500, heartbeat: 0 };
const DEADBAND_KERNEL = `
const DB = ${DEADBAND.deadband};
function deadbandOne(st, s) {
  const last = st.get(s.tag);
  if (last !== undefined && s.quality === last.quality && s.unit === last.unit && Math.abs(s.value - last.value) <= DB) return false;
  st.set(s.tag, s);
  return true;
}`;

const WINDOW = { kind: 'tumbling', by: 'time', size: 60, aggregates: ['mean', 'twa', 'max'], closeOn: 'data', grace: 0, output: 'batch' };
const WINDOW_KERNEL = `
const SIZE = 60000;
function d(s, i, n) { let x = 0; for (let k = i; k < i + n; k++) x = x * 10 + (s.charCodeAt(k) - 48); return x; }
function ms(s) { return s.length === 24 ? Date.UTC(d(s, 0, 4), d(s, 5, 2) - 1, d(s, 8, 2), d(s, 11, 2), d(s, 14, 2), d(s, 17, 2), d(s, 20, 3)) : Date.parse(s); }
function iso(t) { return new Date(t).toISOString(); }
function closeWindow(tag, w, out) {
  let integral = w.integral, covered = w.covered;
  if (w.holdV === w.holdV && w.end > w.holdT) { integral += w.holdV * (w.end - w.holdT); covered += w.end - w.holdT; }
  const twa = covered > 0 ? integral / covered : w.lastV;
  out.push({ tag, value: { mean: w.sum / w.n, twa, max: w.max }, quality: w.quality, sourceTimestamp: iso(w.end), unit: w.unit,
    window: { start: iso(w.start), end: iso(w.end), count: w.n, aggregate: 'mean,twa,max' } });
  w.open = false;
  w.carry = w.lastV;
}
function windowOne(st, s, out) {
  const t = ms(s.sourceTimestamp), v = s.value;
  let w = st.get(s.tag);
  if (w === undefined) { w = { open: false, carry: NaN }; st.set(s.tag, w); }
  if (w.open && t >= w.end) closeWindow(s.tag, w, out);
  if (!w.open) {
    const start = Math.floor(t / SIZE) * SIZE;
    w.open = true; w.start = start; w.end = start + SIZE; w.n = 0; w.sum = 0; w.max = -Infinity;
    w.integral = 0; w.covered = 0; w.holdT = start; w.holdV = w.carry; w.quality = 'good';
  }
  if (w.holdV === w.holdV) { const dt = t - w.holdT; w.integral += w.holdV * dt; w.covered += dt; }
  w.holdT = t; w.holdV = v; w.n++; w.sum += v; if (v > w.max) w.max = v; w.lastV = v; w.unit = s.unit;
  if (s.quality !== 'good') w.quality = s.quality === 'bad' || w.quality === 'bad' ? 'bad' : 'uncertain';
}
function windowFlush(st, out) { for (const [tag, w] of st) if (w.open) closeWindow(tag, w, out); }`;

const OEE = { stateTag: '+/State', totalTag: '+/Filler/FillCount', rejectTag: '+/Inspector/RejectCount', idealCycle: 0.45, microStop: 120, runningStates: 'Running', align: 'interval', size: 3600, closeOn: 'data', grace: 0, update: 0, output: 'batch' };
// The bare OEE loop: one period per line at a time, state held until the next
// state sample, stops under 2 min are micro-stops (a stop open at a period
// close is judged by its length so far), counter increases per period.
const OEE_KERNEL = `
const SIZE = 3600000, IDEAL = 0.45, MICRO = 120000;
function d(s, i, n) { let x = 0; for (let k = i; k < i + n; k++) x = x * 10 + (s.charCodeAt(k) - 48); return x; }
function ms(s) { return s.length === 24 ? Date.UTC(d(s, 0, 4), d(s, 5, 2) - 1, d(s, 8, 2), d(s, 11, 2), d(s, 14, 2), d(s, 17, 2), d(s, 20, 3)) : Date.parse(s); }
function iso(t) { return new Date(t).toISOString(); }
function oeeLine(st, name) {
  let l = st.get(name);
  if (l === undefined) {
    l = { name, state: null, stop: false, stopStart: 0, acc: NaN, start: NaN, end: NaN, runMs: 0, downMs: 0, pendMs: 0, total: 0, reject: 0, baseT: NaN, baseR: NaN };
    st.set(name, l);
  }
  return l;
}
function oeeAccrue(l, to) { if (to > l.acc) { if (l.stop) l.pendMs += to - l.acc; else l.runMs += to - l.acc; l.acc = to; } }
function oeeJudge(l, micro) { if (micro) l.runMs += l.pendMs; else l.downMs += l.pendMs; l.pendMs = 0; }
function oeeClose(l, t, out) {
  oeeAccrue(l, l.end);
  if (l.stop && l.pendMs > 0) oeeJudge(l, t - l.stopStart < MICRO);
  const planned = (l.runMs + l.downMs) / 1000, run = l.runMs / 1000, good = Math.max(0, l.total - l.reject);
  out.push({ tag: l.name + '/OEE', value: { oee: planned > 0 ? IDEAL * good / planned : null, availability: planned > 0 ? run / planned : null, performance: run > 0 ? IDEAL * l.total / run : null, quality: l.total > 0 ? good / l.total : null },
    quality: 'good', sourceTimestamp: iso(l.end), window: { start: iso(l.start), end: iso(l.end), aggregate: 'oee' } });
  l.start = l.end; l.end = l.start + SIZE; l.runMs = 0; l.downMs = 0; l.total = 0; l.reject = 0;
}
function oeeOne(st, s, out) {
  const tag = s.tag, k = tag.indexOf('/'), t = ms(s.sourceTimestamp);
  const l = oeeLine(st, tag.slice(0, k));
  if (l.start !== l.start) { l.start = Math.floor(t / SIZE) * SIZE; l.end = l.start + SIZE; }
  while (t >= l.end) oeeClose(l, t, out);
  const role = tag.slice(k + 1);
  if (role === 'State') {
    if (l.acc !== l.acc) l.acc = t; else oeeAccrue(l, t);
    const v = s.value;
    if (v !== l.state) {
      if (l.stop) oeeJudge(l, t - l.stopStart < MICRO);
      l.stop = v !== 'Running';
      if (l.stop) l.stopStart = t;
      l.state = v;
    }
  } else if (role === 'Filler/FillCount') { if (l.baseT === l.baseT) l.total += s.value - l.baseT; l.baseT = s.value; }
  else if (role === 'Inspector/RejectCount') { if (l.baseR === l.baseR) l.reject += s.value - l.baseR; l.baseR = s.value; }
}
function oeeFlush(st, out) {
  for (const l of st.values()) {
    const asOf = l.acc;
    oeeAccrue(l, asOf);
    if (l.stop && l.pendMs > 0) oeeJudge(l, asOf - l.stopStart < MICRO);
    const end = l.end; l.end = asOf; oeeClose(l, asOf, out); out[out.length - 1].window.end = iso(end);
  }
}`;

const kernel = (src, name) => new Function(`${src}\nreturn ${name};`)();
const scaleOne = kernel(SCALE_KERNEL, 'scaleOne');
const deadbandOne = kernel(DEADBAND_KERNEL, 'deadbandOne');
const { windowOne, windowFlush } = kernel(WINDOW_KERNEL, '{ windowOne, windowFlush }');
const { oeeOne, oeeFlush } = kernel(OEE_KERNEL, '{ oeeOne, oeeFlush }');

// The core function node's code (the same kernels; state in the node context).
const FUNCTION_CODE = {
  scale: `${SCALE_KERNEL}
if (Array.isArray(msg.payload)) { const a = msg.payload, out = new Array(a.length); for (let i = 0; i < a.length; i++) out[i] = scaleOne(a[i]); msg.payload = out; }
else { msg.payload = scaleOne(msg.payload); msg.topic = msg.payload.tag; }
return msg;`,
  deadband: `${DEADBAND_KERNEL}
let st = context.get('st'); if (!st) { st = new Map(); context.set('st', st); }
if (Array.isArray(msg.payload)) { const out = []; for (const s of msg.payload) if (deadbandOne(st, s)) out.push(s); if (!out.length) return null; msg.payload = out; return msg; }
return deadbandOne(st, msg.payload) ? msg : null;`,
  window: `${WINDOW_KERNEL}
let st = context.get('st'); if (!st) { st = new Map(); context.set('st', st); }
const out = [];
if (msg.payload === 'flush') windowFlush(st, out);
else if (Array.isArray(msg.payload)) { for (const s of msg.payload) windowOne(st, s, out); }
else windowOne(st, msg.payload, out);
if (!out.length) return null;
if (Array.isArray(msg.payload) || msg.payload === 'flush') return { topic: 'window', payload: out };
return [out.map((s) => ({ topic: s.tag, payload: s }))];`,
  oee: `${OEE_KERNEL}
let st = context.get('st'); if (!st) { st = new Map(); context.set('st', st); }
const out = [];
if (msg.payload === 'flush') oeeFlush(st, out);
else if (Array.isArray(msg.payload)) { for (const s of msg.payload) oeeOne(st, s, out); }
else oeeOne(st, msg.payload, out);
if (!out.length) return null;
if (Array.isArray(msg.payload) || msg.payload === 'flush') return { topic: 'oee', payload: out };
return [out.map((s) => ({ topic: s.tag, payload: s }))];`,
};

// ------------------------------------------------------------ measurements

/**
 * Wall and CPU time of fn. The machine is shared (other test runs load both
 * cores), so ratios are computed on this process's CPU time, which waiting
 * for a core does not inflate; wall time is reported next to it.
 */
function measure(fn) {
  if (global.gc) global.gc();
  const cpu = process.cpuUsage();
  const t = process.hrtime.bigint();
  const result = fn();
  const wallNs = Number(process.hrtime.bigint() - t);
  const c = process.cpuUsage(cpu);
  return { wallNs, cpuNs: (c.user + c.system) * 1000, result };
}
const rate = (n, m) => ({
  samples: n,
  samplesPerSec: Math.round(n / (m.cpuNs / 1e9)),
  nsPerSample: Number((m.cpuNs / n).toFixed(1)),
  wallNsPerSample: Number((m.wallNs / n).toFixed(1)),
});
/** Runs the measurements in turn, `rounds` times, and keeps each one's best (least disturbed) run. */
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

/** The plain loops. Timing runs keep only a window of results (as the node's per-message arrays do); the check collects all. */
const floors = {
  scale: (samples, collect = false) => {
    const out = new Array(collect ? samples.length : BATCH);
    for (let i = 0; i < samples.length; i++) out[collect ? i : i % BATCH] = scaleOne(samples[i]);
    return collect ? out : samples.length;
  },
  deadband: (samples, collect = false) => {
    const st = new Map();
    const out = [];
    let n = 0;
    for (let i = 0; i < samples.length; i++) {
      if (deadbandOne(st, samples[i])) {
        n++;
        if (collect) out.push(samples[i]);
      }
    }
    return collect ? out : n;
  },
  window: (samples) => {
    const st = new Map();
    const out = [];
    for (let i = 0; i < samples.length; i++) windowOne(st, samples[i], out);
    windowFlush(st, out);
    return out;
  },
  oee: (samples) => {
    const st = new Map();
    const out = [];
    for (let i = 0; i < samples.length; i++) oeeOne(st, samples[i], out);
    oeeFlush(st, out);
    return out;
  },
};
const floorCount = (kind, samples) => floors[kind](samples, true).length;

/** What the node's input handler does for one message, without Node-RED around it. */
const nodeLogic = {
  scale: () => {
    const scaler = new Scaler(scaleSettings(SCALE));
    return { batch: (payload) => scaler.batch(readSamples(payload), Array.isArray(payload)), end: () => [] };
  },
  deadband: () => {
    const f = new DeadbandFilter(deadbandSettings(DEADBAND));
    return { batch: (payload) => f.filter(readSamples(payload), T0), end: () => [] };
  },
  window: () => {
    const w = new WindowAggregator(windowSettings(WINDOW));
    return { batch: (payload) => w.add(readSamples(payload), T0, Array.isArray(payload)).aggregates, end: () => w.flush() };
  },
  oee: () => {
    const c = new OeeCalculator(oeeSettings(OEE));
    return { batch: (payload) => c.add(readSamples(payload), T0, Array.isArray(payload)).results, end: () => c.flush() };
  },
};

/** Runs the node logic over the messages; collects the outputs only when asked (the check), so timing runs measure the node's work alone. */
function runLogic(kind, messages, collect = false) {
  const logic = nodeLogic[kind]();
  const out = [];
  let count = 0;
  for (const p of messages) {
    const r = logic.batch(p);
    count += r.length;
    if (collect) for (let i = 0; i < r.length; i++) out.push(r[i]);
  }
  const end = logic.end();
  count += end.length;
  if (collect) out.push(...end);
  return collect ? out : count;
}

function sameOutput(kind, a, b) {
  if (a.length !== b.length) return `count ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x.tag !== y.tag || x.quality !== y.quality || x.sourceTimestamp !== y.sourceTimestamp) return `sample ${i}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`;
    if (kind === 'oee') {
      for (const k of ['oee', 'availability', 'performance', 'quality']) if (Math.abs(x.value[k] - y.value[k]) > 1e-9 || (x.value[k] === null) !== (y.value[k] === null)) return `period ${i} ${k}: ${x.value[k]} vs ${y.value[k]}`;
      if (x.window.start !== y.window.start || x.window.end !== y.window.end) return `period ${i} window`;
    } else if (kind === 'window') {
      for (const k of ['mean', 'twa', 'max']) if (Math.abs(x.value[k] - y.value[k]) > 1e-9 * Math.max(1, Math.abs(x.value[k]))) return `window ${i} ${k}: ${x.value[k]} vs ${y.value[k]}`;
      if (x.window.count !== y.window.count) return `window ${i} count`;
    } else if (x.value !== y.value) return `sample ${i}: value ${x.value} vs ${y.value}`;
  }
  return 'ok';
}

// --------------------------------------------------------------- runtime

async function withRuntime(fn) {
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-'));
  const host = await startHost({
    userDir,
    port: 0,
    users: [{ username: 'bench', password: 'bench-password', permissions: '*' }],
    credentialSecret: 'bench',
    flows: [],
    logLevel: 'off',
    settings: { nodesDir: [root, path.join(root, 'bench', 'nodes')] },
  });
  // The initial (empty) flows may finish starting after startHost resolves.
  for (const deadline = Date.now() + 20_000; !host.logs.some((l) => l.msg === 'Started flows') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 10));
  try {
    return await fn(host);
  } finally {
    await host.stop();
    fs.rmSync(userDir, { recursive: true, force: true });
  }
}

let runSeq = 0;
function nodeUnderTest(kind, impl, mode) {
  // A fresh id per run: an unchanged node would keep its per-tag state across the redeploy (on purpose).
  runSeq += 1;
  const base = { id: `nut${runSeq}`, z: 'bt', name: '', x: 300, y: 100, wires: [['sink']] };
  if (impl === 'function') return { ...base, type: 'function', func: FUNCTION_CODE[kind], outputs: 1, timeout: 0, noerr: 0, initialize: '', finalize: '', libs: [] };
  const config = { scale: SCALE, deadband: DEADBAND, window: { ...WINDOW, output: mode === 'batch' ? 'batch' : 'each' }, oee: { ...OEE, output: mode === 'batch' ? 'batch' : 'each' } }[kind];
  const wires = kind === 'window' ? [['sink'], []] : kind === 'oee' ? [['sink'], [], []] : [['sink']];
  return { ...base, type: `plantwire-${kind}`, version: 1, ...Object.fromEntries(Object.entries(config).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v])), wires };
}

async function runtimeRun(host, kind, impl, mode, samples, expected) {
  const nut = nodeUnderTest(kind, impl, mode);
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
  const errors = host.logs.filter((l) => l.level === 'error').length;
  const messages = mode === 'batch' ? chunks(samples, BATCH).map((payload) => ({ topic: 'plc', payload })) : samples.map((s) => ({ topic: s.tag, payload: s }));
  if (kind === 'window' || kind === 'oee') messages.push({ payload: 'flush' });
  // Batches: one per event-loop turn; single samples: 100 per turn.
  const run = { messages, chunk: mode === 'batch' ? 1 : 100, expected, received: 0, startedAt: 0n, finishedAt: 0n };
  const finished = new Promise((resolve, reject) => {
    run.done = resolve;
    setTimeout(() => reject(new Error(`${kind}/${impl}/${mode}: ${run.received} of ${expected} samples arrived within 120 s`)), 120_000).unref();
  });
  globalThis.__plantwireBench = run;
  if (global.gc) global.gc();
  const cpu = process.cpuUsage();
  const fire = await host.admin('POST', '/inject/go');
  if (fire.status !== 200) throw new Error(`inject failed: ${fire.status}`);
  await finished;
  const used = process.cpuUsage(cpu);
  const newErrors = host.logs.filter((l) => l.level === 'error').slice(errors);
  if (newErrors.length) throw new Error(`${kind}/${impl}/${mode} logged errors: ${newErrors.map((l) => l.msg).join('; ')}`);
  // Give a surplus a moment to show up: more samples than expected would mean the implementations differ.
  await new Promise((r) => setTimeout(r, 200));
  // CPU time from the inject request to the last result (the request itself is a few hundred µs).
  return { ...rate(samples.length, { cpuNs: (used.user + used.system) * 1000, wallNs: Number(run.finishedAt - run.startedAt) }), outputs: run.received, expectedOutputs: expected };
}

// ------------------------------------------------------------------ main

const tagSamples = KINDS.some((k) => k !== 'oee') ? makeSamples(N) : [];
const oeeSamples = KINDS.includes('oee') ? makeOeeSamples(N) : [];
const dataOf = (kind) => (kind === 'oee' ? oeeSamples : tagSamples);
const report = {
  bench: 'transforms',
  date: new Date().toISOString(),
  machine: { node: process.version, cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? '', loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
  data: { samples: N, tags: TAGS, oeeLines: OEE_LINES, batchSize: BATCH, runtimePerMessageSamples: N_RUNTIME_EACH },
  config: { scale: SCALE, deadband: DEADBAND, window: WINDOW, oee: OEE },
  results: {},
  goals: {},
};

for (const kind of KINDS) {
  const samples = dataOf(kind);
  const batches = chunks(samples, BATCH);
  const m = bestOf(5, {
    floor: () => floors[kind](samples),
    batch: () => runLogic(kind, batches),
    each: () => runLogic(kind, samples),
  });
  // The node logic must compute exactly what the plain loop computes (batch and per sample).
  const expected = floors[kind](samples, true);
  const check = sameOutput(kind, expected, runLogic(kind, batches, true));
  const checkEach = sameOutput(kind, expected, runLogic(kind, samples, true));
  if (check !== 'ok' || checkEach !== 'ok') throw new Error(`${kind}: the node logic and the plain loop disagree: batch ${check}, per sample ${checkEach}`);
  report.results[kind] = {
    floor: { ...rate(N, m.floor), outputs: expected.length },
    nodeLogicBatch: { ...rate(N, m.batch), note: `readSamples + transform per message of ${BATCH} samples, no Node-RED` },
    nodeLogicPerSample: { ...rate(N, m.each), note: 'readSamples + transform per single sample, no Node-RED' },
  };
}

await withRuntime(async (host) => {
  for (const kind of KINDS) {
    const samples = dataOf(kind);
    const eachSamples = samples.slice(0, N_RUNTIME_EACH);
    const expectedBatch = floorCount(kind, samples);
    const expectedEach = floorCount(kind, eachSamples);
    // Warm-up (JIT) of each path, not measured.
    const warmBatch = samples.slice(0, Math.min(N, 200_000));
    const warmEach = samples.slice(0, Math.min(N_RUNTIME_EACH, 20_000));
    for (const impl of ['plantwire', 'function']) {
      await runtimeRun(host, kind, impl, 'each', warmEach, floorCount(kind, warmEach));
      await runtimeRun(host, kind, impl, 'batch', warmBatch, floorCount(kind, warmBatch));
    }
    const r = report.results[kind];
    const best = async (impl, mode, data, expected) => {
      const a = await runtimeRun(host, kind, impl, mode, data, expected);
      const b = await runtimeRun(host, kind, impl, mode, data, expected);
      return a.nsPerSample <= b.nsPerSample ? a : b;
    };
    r.runtimeBatchPlantwire = await best('plantwire', 'batch', samples, expectedBatch);
    r.runtimeBatchFunctionNode = await best('function', 'batch', samples, expectedBatch);
    r.runtimePerMessagePlantwire = await best('plantwire', 'each', eachSamples, expectedEach);
    r.runtimePerMessageFunctionNode = await best('function', 'each', eachSamples, expectedEach);
    const floorNs = r.floor.nsPerSample;
    report.goals[kind] = {
      batchNodeVsFloor: Number((r.runtimeBatchPlantwire.nsPerSample / floorNs).toFixed(2)),
      batchNodeLogicVsFloor: Number((r.nodeLogicBatch.nsPerSample / floorNs).toFixed(2)),
      batchWithin3xFloor: r.runtimeBatchPlantwire.nsPerSample <= 3 * floorNs,
      perMessageSpeedupVsFunctionNode: Number((r.runtimePerMessageFunctionNode.nsPerSample / r.runtimePerMessagePlantwire.nsPerSample).toFixed(2)),
      perMessageFasterThanFunctionNode: r.runtimePerMessagePlantwire.nsPerSample < r.runtimePerMessageFunctionNode.nsPerSample,
    };
  }
});

console.log(JSON.stringify(report, null, 2));
// Node-RED leaves internal timers behind after stop(); the bench is done.
process.exit(0);
