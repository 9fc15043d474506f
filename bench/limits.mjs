#!/usr/bin/env node
// Network input limits (issue 16): event-loop lag and RSS while mqtt-in's
// decoding path receives a 20 MB JSON message and a 200,000-metric Sparkplug
// NBIRTH through a real broker, with the default limits (refused before
// parsing) beside a baseline in the same run: the same path with the limits
// raised out of the way (what happened before the limits: parse everything).
//
//   npm run bench:limits            (builds dist/ if needed)
//   node bench/limits.mjs --rounds 3
//
// Broker: Mosquitto on 127.0.0.1:1883, else an in-process aedes. The
// publisher runs in a child process so its work is not measured. Lag: the
// largest event-loop stall while the message arrives and is handled (the
// handler's synchronous time, a 5 ms probe timer and perf_hooks' delay
// histogram; the largest counts). RSS: before, the peak, and 2 s after (after
// a GC when run with --expose-gc). Prints one JSON object. Figures, not assertions: the tests
// (test/unit/limits.test.ts, test/fuzz) assert refusal, Catch and nothing kept.
import net from 'node:net';
import path from 'node:path';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const mqtt = require('mqtt');
const { decodePayload } = require(path.join(root, 'dist/src/connectors/mqtt/decode.js'));
const { SparkplugHost } = require(path.join(root, 'dist/src/connectors/mqtt/sparkplug/host.js'));
const { encodeSparkplug } = require(path.join(root, 'dist/src/connectors/mqtt/sparkplug/payload.js'));
const { checkBytes, configureLimits } = require(path.join(root, 'dist/src/model/limits.js'));

const { values: args } = parseArgs({ options: { rounds: { type: 'string' }, publisher: { type: 'boolean' } } });
const ROUNDS = Number(args.rounds ?? 2);
const MB = 1024 * 1024;

function payloads() {
  const json = Buffer.from(`{"value":"${'z'.repeat(20 * MB)}"}`);
  const metrics = [{ name: 'bdSeq', type: 'Int64', value: 0 }];
  for (let i = 0; i < 200_000; i++) metrics.push({ name: `Area/Line/Machine/Signal${i}`, alias: i + 1, type: 'Double', value: i });
  const nbirth = encodeSparkplug({ timestamp: Date.now(), seq: 0, metrics });
  return { json, nbirth };
}

function reachable(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function startBroker() {
  if (await reachable('127.0.0.1', 1883)) return { url: 'mqtt://127.0.0.1:1883', kind: 'mosquitto', stop: async () => {} };
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `mqtt://127.0.0.1:${server.address().port}`, kind: 'aedes (in-process)', stop: () => new Promise((r) => server.close(() => aedes.close(r))) };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = () => Math.round(process.memoryUsage().rss / MB);

async function main() {
  const broker = await startBroker();
  const child = fork(fileURLToPath(import.meta.url), ['--publisher'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  process.on('exit', () => child.kill());
  const sizes = await new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ type: 'init', url: broker.url });
  });
  const sub = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0 });
  const topicBase = `plantwire-bench-limits/${process.pid}`;
  let handler = null;
  sub.on('message', (topic, payload) => handler?.(topic, payload));
  await sub.subscribeAsync([`${topicBase}/#`, `spBv1.0/BenchLimits/#`], { qos: 0 });

  /** One message through mqtt-in's path (same order as nodes/plantwire-mqtt-in/runtime.ts). */
  const run = async (kind, mode) => {
    configureLimits(mode === 'baseline' ? { mqttMessageBytes: 1024 * MB, sparkplugMetrics: 10_000_000, jsonDepth: 1_000_000 } : undefined);
    const host = new SparkplugHost();
    global.gc?.();
    await sleep(300);
    const before = rssMb();
    let peak = before;
    const peakTimer = setInterval(() => (peak = Math.max(peak, rssMb())), 20);
    // Lag probe: a 5 ms timer running from before the send; the largest gap beyond 5 ms is the stall.
    const h = monitorEventLoopDelay({ resolution: 10 });
    h.enable();
    let lastTick = performance.now();
    let probeMax = 0;
    const probe = setInterval(() => {
      const t = performance.now();
      probeMax = Math.max(probeMax, t - lastTick - 5);
      lastTick = t;
    }, 5);
    let outcome = '';
    let handleMs = 0;
    const done = new Promise((resolve) => {
      handler = (topic, payload) => {
        const t0 = performance.now();
        try {
          checkBytes(`topic ${topic}`, payload.length, 'mqttMessageBytes');
          const samples = kind === 'json' ? decodePayload(topic, payload, { format: 'json', now: Date.now() }) : host.handle(topic, payload, Date.now()).samples;
          outcome = `${samples.length} samples`;
        } catch (err) {
          outcome = `refused: ${err.message.slice(0, 140)}`;
        }
        handleMs = performance.now() - t0;
        setTimeout(() => {
          h.disable();
          clearInterval(probe);
          resolve();
        }, 50);
      };
    });
    child.send({ type: 'send', kind, topic: kind === 'json' ? `${topicBase}/json` : 'spBv1.0/BenchLimits/NBIRTH/E1' });
    await done;
    handler = null;
    // The stall: the handler's own synchronous time, the probe's largest gap, perf_hooks' max delay (the largest of the three).
    const lagMs = Math.round(Math.max(handleMs, probeMax, h.max / 1e6 - 10));
    await sleep(2000);
    global.gc?.();
    await sleep(200);
    clearInterval(peakTimer);
    const after = rssMb();
    return { lagMs, handleMs: Math.round(handleMs), rssBeforeMb: before, rssPeakMb: peak, rssAfterMb: after, rssKeptMb: after - before, outcome };
  };

  const results = {};
  for (const kind of ['json', 'nbirth']) {
    for (const mode of ['baseline', 'limits']) {
      const rounds = [];
      for (let r = 0; r < ROUNDS; r++) rounds.push(await run(kind, mode));
      results[`${kind}:${mode}`] = { maxLagMs: Math.max(...rounds.map((x) => x.lagMs)), maxPeakGrowthMb: Math.max(...rounds.map((x) => x.rssPeakMb - x.rssBeforeMb)), maxKeptMb: Math.max(...rounds.map((x) => x.rssKeptMb)), outcome: rounds[0].outcome, rounds };
    }
  }
  configureLimits(undefined);
  child.send({ type: 'end' });
  await sub.endAsync();
  await broker.stop();
  console.log(
    JSON.stringify(
      {
        bench: 'limits',
        broker: broker.kind,
        node: process.version,
        gc: typeof global.gc === 'function',
        messages: { jsonBytes: sizes.jsonBytes, nbirthBytes: sizes.nbirthBytes, nbirthMetrics: 200_001 },
        goal: 'limits: lag < 100 ms and RSS back within 50 MB; baseline = same path with the limits raised (the behaviour before them)',
        results,
      },
      null,
      2,
    ),
  );
}

if (args.publisher) {
  // Child: publish what the parent asks for.
  const { json, nbirth } = payloads();
  let client;
  process.on('message', async (m) => {
    if (m.type === 'init') {
      client = await mqtt.connectAsync(m.url, { reconnectPeriod: 0 });
      process.send({ type: 'ready', jsonBytes: json.length, nbirthBytes: nbirth.length });
    } else if (m.type === 'send') {
      await client.publishAsync(m.topic, m.kind === 'json' ? json : nbirth, { qos: 0 });
    } else if (m.type === 'end') {
      await client.endAsync();
      process.exit(0);
    }
  });
} else {
  await main();
}
