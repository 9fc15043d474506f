#!/usr/bin/env node
// MQTT ingest benchmark: messages/s decoded into Plantwire tag samples, for
// JSON and Sparkplug B NDATA, beside the bare mqtt.js client's receive rate
// in the same run (same broker, same message count and sizes).
//
//   npm run bench:mqtt                         (builds dist/ if needed)
//   node bench/mqtt-ingest.mjs --messages 50000 --metrics 10
//
// Broker: the local Mosquitto on 127.0.0.1:1883, else an in-process aedes.
// A publisher in a child process sends QoS 0 messages in batches of 500, at
// most two batches ahead of the consumer (so the broker never has to drop
// messages for a slow consumer). Per consumer the run reports the arrival
// rate (messages / (last − first arrival)) and — steadier on a shared
// machine — the consumer's own CPU time per message, as messages per
// CPU-second. Prints one JSON object.
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fork } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const mqtt = require('mqtt');
const { MqttConnection } = require(path.join(root, 'dist/src/connectors/mqtt/connection.js'));
const { brokerSettings } = require(path.join(root, 'dist/src/connectors/mqtt/options.js'));
const { decodePayload } = require(path.join(root, 'dist/src/connectors/mqtt/decode.js'));
const { SparkplugHost } = require(path.join(root, 'dist/src/connectors/mqtt/sparkplug/host.js'));
const { SparkplugEdge } = require(path.join(root, 'dist/src/connectors/mqtt/sparkplug/edge.js'));
const { makeSample } = require(path.join(root, 'dist/src/model/sample.js'));

const { values: args } = parseArgs({
  options: { messages: { type: 'string' }, metrics: { type: 'string' }, broker: { type: 'string' }, rounds: { type: 'string' }, publisher: { type: 'boolean' } },
});
const N = Number(args.messages ?? 50_000);
const METRICS = Number(args.metrics ?? 10);
const ROUNDS = Number(args.rounds ?? 5);
const prefix = `plantwire-bench/${crypto.randomBytes(4).toString('hex')}`;

function reachable(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(1000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

async function startBroker() {
  if (args.broker) return { url: args.broker, kind: 'given', stop: async () => {} };
  if (await reachable('127.0.0.1', 1883)) return { url: 'mqtt://127.0.0.1:1883', kind: 'mosquitto', stop: async () => {} };
  const { Aedes } = await import('aedes');
  const aedes = await Aedes.createBroker();
  const server = net.createServer(aedes.handle);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const port = server.address().port;
  return { url: `mqtt://127.0.0.1:${port}`, kind: 'aedes (in-process)', stop: () => new Promise((r) => server.close(() => aedes.close(r))) };
}

// ------------------------------------------------------------- payloads
const t0 = Date.UTC(2026, 0, 5, 8);
const jsonPayloads = Array.from({ length: 64 }, (_, i) => Buffer.from(JSON.stringify({ value: 20 + (i % 10) / 10, timestamp: t0 + i, quality: 'good', unit: '°C' })));

const edge = new SparkplugEdge({ group: 'Bench', edgeNode: 'E1' });
const tags = Array.from({ length: METRICS }, (_, i) => `Line1/Machine/Signal${String(i).padStart(2, '0')}`);
edge.update(tags.map((t, i) => makeSample(t, i, { sourceTimestamp: t0 })));
const [nbirth] = edge.birth(t0);
// Every NDATA changes every metric (report by exception sends them all), by alias.
const ndataPayloads = [];
for (let k = 1; k <= 256; k++) {
  const r = edge.update(tags.map((t, i) => makeSample(t, i + k / 1000, { sourceTimestamp: t0 + k })), t0 + k);
  ndataPayloads.push(r.messages[0].payload);
}

// ------------------------------------------------------------- publisher
const BATCH = 500;

/** Child process role: publish the batches the parent asks for. */
async function publisherProcess() {
  let pub;
  let topics = [];
  let payloads = [];
  process.on('message', async (m) => {
    if (m.type === 'init') {
      topics = m.topics;
      payloads = m.payloads.map((b) => Buffer.from(b, 'base64'));
      pub = await mqtt.connectAsync(m.url, { reconnectPeriod: 0 });
      process.send({ type: 'ready' });
    } else if (m.type === 'batch') {
      for (let i = m.from; i < m.to; i++) pub.publish(topics[i % topics.length], payloads[i % payloads.length], { qos: 0 });
    } else if (m.type === 'end') {
      pub.end(false, () => process.exit(0));
    }
  });
}

async function startPublisher(url, topics, payloads) {
  const child = fork(fileURLToPath(import.meta.url), ['--publisher'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  await new Promise((resolve) => {
    child.once('message', resolve);
    child.send({ type: 'init', url, topics, payloads: payloads.map((p) => Buffer.from(p).toString('base64')) });
  });
  return child;
}

/** Runs one consumer: `setup(onArrival)` subscribes and returns a closer. */
async function measure(url, name, topics, payloads, setup) {
  let got = 0;
  let first = 0;
  let last = 0;
  let samples = 0;
  let requested = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const publisher = await startPublisher(url, topics, payloads);
  const request = () => {
    if (requested >= N) return;
    const to = Math.min(N, requested + BATCH);
    publisher.send({ type: 'batch', from: requested, to });
    requested = to;
  };
  const onArrival = (sampleCount) => {
    const now = performance.now();
    if (got === 0) first = now;
    got += 1;
    samples += sampleCount;
    last = now;
    // Keep two batches in flight: when one has fully arrived, ask for the next.
    if (got % BATCH === 0) request();
    if (got === N) done();
  };
  const close = await setup(onArrival);
  const cpu0 = process.cpuUsage();
  // If messages get lost, the batch never completes: the stall timer asks for the next one.
  let lastGot = -1;
  const stall = setInterval(() => {
    if (got === lastGot) {
      if (requested < N) request();
      else done();
    }
    lastGot = got;
  }, 2000);
  request();
  request();
  await finished;
  clearInterval(stall);
  const cpu = process.cpuUsage(cpu0);
  publisher.send({ type: 'end' });
  await close();
  const seconds = (last - first) / 1000;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  return {
    consumer: name,
    received: got,
    lost: N - got,
    messagesPerSecond: Math.round(got / seconds),
    samplesPerSecond: Math.round(samples / seconds),
    consumerCpuMicrosPerMessage: Number(((cpuSeconds * 1e6) / got).toFixed(2)),
    messagesPerCpuSecond: Math.round(got / cpuSeconds),
  };
}

async function bare(url, filter, onArrival) {
  const c = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  c.on('message', () => onArrival(0));
  await c.subscribeAsync(filter, { qos: 0 });
  return () => new Promise((r) => c.end(false, r));
}

async function plantwire(url, filter, handle) {
  const conn = new MqttConnection(brokerSettings({ url }));
  await new Promise((resolve, reject) => {
    conn.subscribe(filter, handle, { qos: 0, onSubscribed: resolve, onError: reject });
    conn.open().catch(reject);
  });
  return () => conn.end();
}

if (process.argv.includes('--publisher')) {
  await publisherProcess();
} else {
  await main();
}

async function main() {
const broker = await startBroker();
const results = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    const jsonTopic = Array.from({ length: 50 }, (_, i) => `${prefix}/json/Line1/Machine/Signal${i}`);
    const spTopic = ['spBv1.0/Bench/NDATA/E1'];
    const spBench = `spBv1.0/Bench/NDATA/E1`;

    results.push({ round, payload: 'json', ...(await measure(broker.url, 'bare mqtt.js (receive only)', jsonTopic, jsonPayloads, (on) => bare(broker.url, `${prefix}/json/#`, on))) });
    results.push({
      round,
      payload: 'json',
      ...(await measure(broker.url, 'plantwire: MqttConnection + JSON decode → tag samples', jsonTopic, jsonPayloads, (on) =>
        plantwire(broker.url, `${prefix}/json/#`, (topic, payload) => on(decodePayload(topic, payload, { format: 'json', now: Date.now() }).length)),
      )),
    });

    results.push({ round, payload: `sparkplug NDATA (${METRICS} metrics by alias)`, ...(await measure(broker.url, 'bare mqtt.js (receive only)', spTopic, ndataPayloads, (on) => bare(broker.url, spBench, on))) });
    results.push({
      round,
      payload: `sparkplug NDATA (${METRICS} metrics by alias)`,
      ...(await measure(broker.url, 'plantwire: MqttConnection + Sparkplug host → tag samples', spTopic, ndataPayloads, (on) => {
        const host = new SparkplugHost({ rebirthHoldoffMs: 3_600_000 });
        host.handle('spBv1.0/Bench/NBIRTH/E1', nbirth.payload, t0);
        return plantwire(broker.url, spBench, (topic, payload) => {
          // The bench publisher repeats 256 NDATA payloads, so seq numbers continue (0..255 wrap) and nothing warns.
          const r = host.handle(topic, payload);
          on(r ? r.samples.length : 0);
        });
      })),
    });
  }
} finally {
  await broker.stop();
}

function summary(bareRun, pw) {
  return {
    bareMqttJs: { messagesPerSecond: bareRun.messagesPerSecond, messagesPerCpuSecond: bareRun.messagesPerCpuSecond, lost: bareRun.lost },
    plantwire: { messagesPerSecond: pw.messagesPerSecond, tagSamplesPerSecond: pw.samplesPerSecond, messagesPerCpuSecond: pw.messagesPerCpuSecond, tagSamplesPerCpuSecond: Math.round((pw.samplesPerSecond / pw.messagesPerSecond) * pw.messagesPerCpuSecond), lost: pw.lost },
    plantwireToBare: { arrivalRate: Number((pw.messagesPerSecond / bareRun.messagesPerSecond).toFixed(2)), perCpuSecond: Number((pw.messagesPerCpuSecond / bareRun.messagesPerCpuSecond).toFixed(2)) },
  };
}

// Median round per consumer/payload (the machine may be shared: the median is robust to a disturbed round).
const groups = {};
for (const r of results) (groups[`${r.payload} | ${r.consumer}`] ??= []).push(r);
const median = (xs) => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2] : Math.round((a[a.length / 2 - 1] + a[a.length / 2]) / 2);
};
const best = {};
for (const [k, rs] of Object.entries(groups)) {
  best[k] = {
    payload: rs[0].payload,
    consumer: rs[0].consumer,
    rounds: rs.length,
    lost: rs.reduce((n, r) => n + r.lost, 0),
    messagesPerSecond: median(rs.map((r) => r.messagesPerSecond)),
    samplesPerSecond: median(rs.map((r) => r.samplesPerSecond)),
    messagesPerCpuSecond: median(rs.map((r) => r.messagesPerCpuSecond)),
  };
}
const pick = (payload, consumer) => Object.values(best).find((r) => r.payload.startsWith(payload) && r.consumer.startsWith(consumer));
const jsonBare = pick('json', 'bare');
const jsonPw = pick('json', 'plantwire');
const spBare = pick('sparkplug', 'bare');
const spPw = pick('sparkplug', 'plantwire');

console.log(
  JSON.stringify(
    {
      bench: 'mqtt-ingest',
      date: new Date().toISOString(),
      node: process.version,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model,
      broker: broker.kind,
      messagesPerRun: N,
      metricsPerNdata: METRICS,
      rounds: ROUNDS,
      summary: {
        json: summary(jsonBare, jsonPw),
        sparkplugNdata: summary(spBare, spPw),
      },
      medians: Object.values(best),
      all: results,
    },
    null,
    2,
  ),
);
}
