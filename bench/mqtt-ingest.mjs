#!/usr/bin/env node
// MQTT ingest benchmark: messages/s decoded into Plantwire tag samples, for
// JSON and Sparkplug B NDATA, beside the bare mqtt.js client's receive rate
// in the same run (same broker, same message count and sizes).
//
//   npm run bench:mqtt                         (builds dist/ if needed)
//   node bench/mqtt-ingest.mjs --messages 50000 --metrics 10
//
// Broker: the local Mosquitto on 127.0.0.1:1883, else an in-process aedes.
// A second client (in a worker thread) publishes QoS 0 messages as fast as it can; each consumer
// counts until it has all of them; the rate is messages / (last − first
// arrival). Prints one JSON object.
import crypto from 'node:crypto';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
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
  options: { messages: { type: 'string' }, metrics: { type: 'string' }, broker: { type: 'string' }, rounds: { type: 'string' } },
});
const N = Number(args.messages ?? 50_000);
const METRICS = Number(args.metrics ?? 10);
const ROUNDS = Number(args.rounds ?? 3);
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
// The publisher runs in a worker thread, so it does not share the consumer's event loop.
const PUBLISHER = `
const { parentPort, workerData } = require('node:worker_threads');
const mqtt = require(workerData.mqttPath);
(async () => {
  const { url, topics, payloads, count } = workerData;
  const pub = await mqtt.connectAsync(url, { reconnectPeriod: 0 });
  for (let i = 0; i < count; i++) {
    pub.publish(topics[i % topics.length], Buffer.from(payloads[i % payloads.length]), { qos: 0 });
    if (i % 1000 === 999) await new Promise((r) => setImmediate(r));
  }
  await new Promise((r) => pub.end(false, r));
  parentPort.postMessage('done');
})().catch((e) => parentPort.postMessage('error: ' + e.message));
`;
const { Worker } = require('node:worker_threads');
function publishAll(url, topics, payloads, count) {
  return new Promise((resolve, reject) => {
    const w = new Worker(PUBLISHER, { eval: true, workerData: { url, topics, payloads: payloads.map((p) => new Uint8Array(p)), count, mqttPath: require.resolve('mqtt') } });
    w.once('message', (m) => (m === 'done' ? resolve() : reject(new Error(m))));
    w.once('error', reject);
  });
}

/** Runs one consumer: `setup(onArrival)` subscribes and returns a closer; resolves with the measured rate. */
async function measure(url, name, topics, payloads, setup) {
  let got = 0;
  let first = 0;
  let last = 0;
  let samples = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  const onArrival = (sampleCount) => {
    const now = performance.now();
    if (got === 0) first = now;
    got += 1;
    samples += sampleCount;
    last = now;
    if (got === N) done();
  };
  const close = await setup(onArrival);
  const timeout = setTimeout(done, 60_000);
  await publishAll(url, topics, payloads, N);
  await finished;
  clearTimeout(timeout);
  await close();
  const seconds = (last - first) / 1000;
  return {
    consumer: name,
    received: got,
    lost: N - got,
    messagesPerSecond: Math.round(got / seconds),
    samplesPerSecond: Math.round(samples / seconds),
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

// Best round per consumer/payload (the machine is shared; the best is the least disturbed).
const best = {};
for (const r of results) {
  const k = `${r.payload} | ${r.consumer}`;
  if (!best[k] || r.messagesPerSecond > best[k].messagesPerSecond) best[k] = r;
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
        json: { bareMqttJsMsgPerS: jsonBare.messagesPerSecond, plantwireMsgPerS: jsonPw.messagesPerSecond, plantwireSamplesPerS: jsonPw.samplesPerSecond, ratioToBare: Number((jsonPw.messagesPerSecond / jsonBare.messagesPerSecond).toFixed(2)) },
        sparkplugNdata: {
          bareMqttJsMsgPerS: spBare.messagesPerSecond,
          plantwireMsgPerS: spPw.messagesPerSecond,
          plantwireSamplesPerS: spPw.samplesPerSecond,
          ratioToBare: Number((spPw.messagesPerSecond / spBare.messagesPerSecond).toFixed(2)),
        },
      },
      best: Object.values(best),
      all: results,
    },
    null,
    2,
  ),
);
