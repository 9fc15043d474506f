#!/usr/bin/env node
// Benchmark (issue #3): OPC UA ingest of 10,000 tags changing every 100 ms.
//
//   npm run bench:opcua  [-- --tags 10000 --seconds 20 --warmup 5 --rounds 3]
//
// The plant simulator runs in a child process (its CPU is not counted). Each
// client runs in its own child process too, so CPU and memory are its alone:
//   bare      — a bare node-opcua client: one subscription, the same items
//               (created in batches of the server's MaxMonitoredItemsPerCall),
//               counting 'changed' events. The floor.
//   plantwire — an embedded Node-RED (startHost from dist/) with the flow
//               plantwire-opcua-endpoint → plantwire-opcua-in (batch) → a
//               counting node.
// Same items, sampling 100 ms, publishing 1000 ms, queue size 10 for both.
// Rounds alternate bare / plantwire (default 3); the medians are compared.
// Prints JSON: {machine, params, rounds, bare, plantwire, ratio, goals}.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const dist = (p) => path.join(root, 'dist', p);

const SAMPLING_MS = 100;
const PUBLISHING_MS = 1000;
const QUEUE_SIZE = 10;

function arg(name, dflt) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : dflt;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// ------------------------------------------------------------------ children

/** PW_BENCH_PROFILE=<dir>: a CPU profile of the measured window (not of start-up). */
async function startProfile() {
  const dir = process.env.PW_BENCH_PROFILE;
  if (!dir) return null;
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return {
    async stop() {
      const { profile } = await session.post('Profiler.stop');
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, `${process.argv[3] ?? 'child'}-${process.pid}.cpuprofile`), JSON.stringify(profile));
      session.disconnect();
    },
  };
}

/** Measures this process while `count()` grows: warm-up, then a window. */
async function measure(count, warmupS, seconds) {
  const t0 = Date.now();
  while (count() === 0) {
    if (Date.now() - t0 > 120_000) throw new Error('no notifications within 120 s');
    await sleep(100);
  }
  await sleep(warmupS * 1000);
  // Notifications arrive in large steps (one PublishResponse carries thousands):
  // the window starts and ends right after a step, so no response is half counted.
  const step = async () => {
    const c = count();
    while (count() === c) await sleep(2);
    return count();
  };
  const c0 = await step();
  const profiler = await startProfile();
  const cpu0 = process.cpuUsage();
  const w0 = process.hrtime.bigint();
  let rssMax = 0;
  const deadline = Date.now() + seconds * 1000;
  while (Date.now() < deadline) {
    rssMax = Math.max(rssMax, process.memoryUsage().rss);
    await sleep(250);
  }
  const c1 = await step();
  const cpu = process.cpuUsage(cpu0);
  await profiler?.stop();
  const wallS = Number(process.hrtime.bigint() - w0) / 1e9;
  const n = c1 - c0;
  const cpuUs = cpu.user + cpu.system;
  return {
    notifications: n,
    seconds: round(wallS, 2),
    notificationsPerSec: round(n / wallS, 0),
    cpuPercent: round((cpuUs / 1e6 / wallS) * 100, 1),
    cpuPerNotificationUs: round(cpuUs / Math.max(1, n), 2),
    rssMB: round(rssMax / 1024 / 1024, 0),
  };
}

async function childBare(url, tags, warmupS, seconds) {
  const O = require('node-opcua');
  const cm = new O.OPCUACertificateManager({ rootFolder: fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-bare-')), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
  const client = O.OPCUAClient.create({ applicationName: 'bench-bare', endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, clientCertificateManager: cm, transportSettings: { maxMessageSize: 16 * 1024 * 1024, maxChunkCount: 2048 } });
  await client.connect(url);
  const session = await client.createSession();
  const ns = (await session.readNamespaceArray()).indexOf('urn:plantwire:sim:plant');
  const limits = await O.readOperationLimits(session);
  const sub = await session.createSubscription2({ requestedPublishingInterval: PUBLISHING_MS, requestedMaxKeepAliveCount: 10, requestedLifetimeCount: 60, maxNotificationsPerPublish: 0, publishingEnabled: true, priority: 10 });
  let n = 0;
  const ids = Array.from({ length: tags }, (_, i) => `ns=${ns};s=Bench/Tag${String(i + 1).padStart(5, '0')}`);
  const per = limits.maxMonitoredItemsPerCall || 1000;
  for (let i = 0; i < ids.length; i += per) {
    const group = await sub.monitorItems(
      ids.slice(i, i + per).map((nodeId) => ({ nodeId, attributeId: O.AttributeIds.Value })),
      { samplingInterval: SAMPLING_MS, queueSize: QUEUE_SIZE, discardOldest: true },
      O.TimestampsToReturn.Both,
    );
    group.on('changed', () => {
      n++;
    });
  }
  const result = await measure(() => n, warmupS, seconds);
  await sub.terminate().catch(() => undefined);
  await session.close().catch(() => undefined);
  await client.disconnect().catch(() => undefined);
  return result;
}

async function childPlantwire(url, tags, warmupS, seconds) {
  const { startHost } = require(dist('src/host/index.js'));
  const userDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-nr-'));
  // A minimal counting node (adds payload.length, no cloning): the flow's sink.
  const nodesDir = path.join(userDir, 'bench-nodes');
  fs.mkdirSync(nodesDir);
  fs.writeFileSync(path.join(nodesDir, 'package.json'), JSON.stringify({ name: 'pw-bench-nodes', version: '0.0.0', 'node-red': { nodes: { 'bench-count': 'count.js' } } }));
  fs.writeFileSync(
    path.join(nodesDir, 'count.js'),
    `module.exports = function (RED) {
  function Count(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => { globalThis.__pwBenchCount = (globalThis.__pwBenchCount || 0) + (Array.isArray(msg.payload) ? msg.payload.length : 1); done(); });
  }
  RED.nodes.registerType('bench-count', Count);
};`,
  );
  fs.writeFileSync(path.join(nodesDir, 'count.html'), `<script type="text/javascript">RED.nodes.registerType('bench-count',{category:'bench',defaults:{},inputs:1,outputs:0});</script>`);
  const tagRows = Array.from({ length: tags }, (_, i) => ({ nodeId: `nsu=urn:plantwire:sim:plant;s=Bench/Tag${String(i + 1).padStart(5, '0')}` }));
  const flows = [
    { id: 'tab', type: 'tab', label: 'bench' },
    { id: 'ep', type: 'plantwire-opcua-endpoint', version: 1, url, securityMode: 'None', auth: 'anonymous' },
    { id: 'in', type: 'plantwire-opcua-in', z: 'tab', version: 1, endpoint: 'ep', tags: tagRows, publishingInterval: PUBLISHING_MS, samplingInterval: SAMPLING_MS, queueSize: QUEUE_SIZE, deadbandType: 'none', output: 'batch', units: false, x: 100, y: 100, wires: [['count']] },
    { id: 'count', type: 'bench-count', z: 'tab', x: 300, y: 100, wires: [] },
  ];
  const host = await startHost({
    userDir,
    port: 0,
    users: [{ username: 'admin', password: 'bench-password', permissions: '*' }],
    credentialSecret: 'bench',
    flows,
    logLevel: 'warn',
    settings: { nodesDir: [root, nodesDir] },
  });
  const result = await measure(() => globalThis.__pwBenchCount || 0, warmupS, seconds);
  await host.stop();
  fs.rmSync(userDir, { recursive: true, force: true });
  return result;
}

async function childSim(tags) {
  const { startOpcUaPlant } = require(dist('src/sim/opcua-plant.js'));
  const plant = await startOpcUaPlant({ port: 0, lines: 1, benchTags: tags, benchUpdateMs: 100, pkiDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pw-bench-sim-')) });
  process.stdout.write(`URL ${plant.endpointUrl}\n`);
  process.on('SIGTERM', () => plant.stop().then(() => process.exit(0)));
}

// -------------------------------------------------------------- orchestrator

/** CPU seconds a process used so far (Linux /proc), or null elsewhere. */
function procCpuSeconds(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
    return ticks / 100; // USER_HZ
  } catch {
    return null;
  }
}

function runChild(args, onLine) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (onLine) for (const line of d.split('\n')) if (line) onLine(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (d) => (err += d));
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${args[1]} child exited with ${code}\n${err.slice(-2000)}\n${out.slice(-2000)}`))));
  });
}

async function main() {
  if (process.argv[2] === '--child') {
    const [, , , kind, url, tags, warmup, seconds] = process.argv;
    // node-opcua prints its own warnings on stdout: keep stdout for the result.
    console.log = (...a) => console.error(...a);
    if (kind === 'sim') return childSim(Number(url));
    const fn = kind === 'bare' ? childBare : childPlantwire;
    const result = await fn(url, Number(tags), Number(warmup), Number(seconds));
    process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
    process.exit(0);
  }
  if (!fs.existsSync(dist('src/host/index.js'))) throw new Error('dist/ is missing: run `node scripts/build.mjs` (npm run bench:opcua does)');
  const tags = Number(arg('tags', 10_000));
  const seconds = Number(arg('seconds', 20));
  const warmup = Number(arg('warmup', 5));
  const rounds = Number(arg('rounds', 3));

  let sim;
  const url = await new Promise((resolve, reject) => {
    runChild(['--child', 'sim', String(tags)], (line, child) => {
      sim = child;
      const m = /^URL (\S+)/.exec(line);
      if (m) resolve(m[1]);
    }).catch(reject);
  });
  const results = { bare: [], plantwire: [] };
  try {
    for (let r = 0; r < rounds; r++) {
      for (const kind of ['bare', 'plantwire']) {
        const simCpu0 = procCpuSeconds(sim.pid);
        const t0 = Date.now();
        const out = await runChild(['--child', kind, url, String(tags), String(warmup), String(seconds)]);
        const simCpu1 = procCpuSeconds(sim.pid);
        const line = out.split('\n').find((l) => l.startsWith('RESULT '));
        if (!line) throw new Error(`${kind} printed no result:\n${out}`);
        const res = JSON.parse(line.slice(7));
        // The simulator's CPU over the whole client run (start-up included): is the server the bottleneck?
        if (simCpu0 !== null && simCpu1 !== null) res.simulatorCpuPercent = round(((simCpu1 - simCpu0) / ((Date.now() - t0) / 1000)) * 100, 0);
        results[kind].push(res);
        process.stderr.write(`round ${r + 1} ${kind}: ${JSON.stringify(res)}\n`);
      }
    }
  } finally {
    sim?.kill('SIGTERM');
  }
  const summary = (list) => ({
    notificationsPerSec: median(list.map((x) => x.notificationsPerSec)),
    cpuPerNotificationUs: median(list.map((x) => x.cpuPerNotificationUs)),
    cpuPercent: median(list.map((x) => x.cpuPercent)),
    rssMB: Math.max(...list.map((x) => x.rssMB)),
    simulatorCpuPercent: list.every((x) => x.simulatorCpuPercent !== undefined) ? median(list.map((x) => x.simulatorCpuPercent)) : null,
  });
  const bare = summary(results.bare);
  const plantwire = summary(results.plantwire);
  const ratio = {
    notificationsPerSec: round(plantwire.notificationsPerSec / bare.notificationsPerSec, 3),
    cpuPerNotification: round(plantwire.cpuPerNotificationUs / bare.cpuPerNotificationUs, 3),
  };
  const report = {
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memGB: round(os.totalmem() / 2 ** 30, 1), node: process.version, loadavg: os.loadavg().map((x) => round(x, 2)) },
    params: { tags, changeEveryMs: 100, samplingMs: SAMPLING_MS, publishingMs: PUBLISHING_MS, queueSize: QUEUE_SIZE, warmupS: warmup, windowS: seconds, rounds },
    rounds: results,
    bare,
    plantwire,
    ratio,
    goals: {
      notificationsPerSecAtLeast95PercentOfBare: ratio.notificationsPerSec >= 0.95,
      cpuPerNotificationAtMost150PercentOfBare: ratio.cpuPerNotification <= 1.5,
      plantwireRssUnder400MB: plantwire.rssMB < 400,
    },
  };
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
}

main().catch((err) => {
  console.error(err.stack || String(err));
  process.exit(1);
});
