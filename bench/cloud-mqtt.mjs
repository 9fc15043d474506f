#!/usr/bin/env node
// Cloud MQTT targets benchmark: tag samples/s delivered (every PUBACK received)
// by the AWS IoT Core target (MQTT 5 over TLS, X.509 client certificate) and the
// Azure IoT Hub target (MQTT 3.1.1 over TLS, SAS token, property bag) into a
// Mosquitto started here (TLS listeners; certificates made with openssl in a
// temp dir), for batch sizes 1, 100 and 1000 — beside a baseline measured in the
// same run: a bare mqtt.js client on the same listener publishing the same
// payloads with QoS 1 and awaiting the same PUBACKs.
//
//   npm run bench:cloud-mqtt                 (builds dist/ if needed)
//   node bench/cloud-mqtt.mjs --samples 5000 --rounds 3
//
// Prints one JSON object (median samples/s of the rounds).
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const mqtt = require('mqtt');
const { AwsIotTarget } = require(path.join(root, 'dist/src/connectors/cloud/aws-iot.js'));
const { AzureIotTarget, azureEventTopic } = require(path.join(root, 'dist/src/connectors/cloud/azure-iot.js'));

const { values: args } = parseArgs({ options: { samples: { type: 'string' }, rounds: { type: 'string' } } });
const N = Number(args.samples ?? 5000);
const ROUNDS = Number(args.rounds ?? 3);
const SIZES = [1, 100, 1000];
const T0 = Date.UTC(2026, 0, 1);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const records = (n, offset) =>
  Array.from({ length: n }, (_, i) => ({
    key: `bench:${offset + i + 1}`,
    ts: T0 + offset + i,
    topic: `dt/berlin/line1/T${i % 50}`,
    properties: { line: 'acme/berlin/line1' },
    body: { tag: `Line1/Filler/T${i % 50}`, value: Math.round(Math.sin(i) * 1e4) / 100, quality: 'good', sourceTimestamp: new Date(T0 + i * 100).toISOString(), unit: '°C', asset: 'acme/berlin/line1' },
  }));

function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
async function waitPort(port) {
  for (let i = 0; i < 200; i++) {
    const ok = await new Promise((r) => {
      const c = net.connect(port, '127.0.0.1');
      c.once('connect', () => (c.destroy(), r(true)));
      c.once('error', () => r(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`mosquitto did not listen on ${port}`);
}

// Certificates (CA, server for 127.0.0.1, client) with the openssl CLI.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-cloud-'));
const f = (n) => path.join(dir, n);
const ssl = (...a) => execFileSync('openssl', a, { cwd: dir, stdio: 'pipe' });
ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=bench CA');
for (const [name, cn, ext] of [['server', 'localhost', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'], ['client', 'bench-thing', 'extendedKeyUsage=clientAuth\n']]) {
  ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
  fs.writeFileSync(f(`${name}.ext`), ext);
  ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
}
const certPort = await freePort();
const sasPort = await freePort();
fs.writeFileSync(
  f('mosquitto.conf'),
  [
    'per_listener_settings true',
    `user ${os.userInfo().username}`,
    'persistence false',
    `listener ${certPort} 127.0.0.1`,
    `cafile ${f('ca.pem')}`,
    `certfile ${f('server.pem')}`,
    `keyfile ${f('server.key')}`,
    'require_certificate true',
    'use_identity_as_username true',
    `listener ${sasPort} 127.0.0.1`,
    `certfile ${f('server.pem')}`,
    `keyfile ${f('server.key')}`,
    'allow_anonymous true',
    '',
  ].join('\n'),
);
const broker = spawn('mosquitto', ['-c', f('mosquitto.conf')], { stdio: 'ignore' });
const stop = () => {
  broker.kill('SIGTERM');
  fs.rmSync(dir, { recursive: true, force: true });
};
process.on('exit', stop);

try {
  await waitPort(certPort);
  await waitPort(sasPort);
  const ca = fs.readFileSync(f('ca.pem'));
  const deviceKey = crypto.randomBytes(32).toString('base64');

  const aws = new AwsIotTarget({ endpoint: `127.0.0.1:${certPort}`, thingName: 'bench-thing', cert: f('client.pem'), key: f('client.key'), ca: f('ca.pem'), timeoutMs: 10_000 });
  const azure = new AzureIotTarget({ hubHost: 'bench.azure-devices.net', deviceId: 'bench-device', deviceKey, gatewayHost: `127.0.0.1:${sasPort}`, ca: f('ca.pem'), timeoutMs: 10_000 });
  const bareAws = await mqtt.connectAsync(`mqtts://127.0.0.1:${certPort}`, { ca, cert: fs.readFileSync(f('client.pem')), key: fs.readFileSync(f('client.key')), clientId: 'bench-bare-aws', protocolVersion: 5, reconnectPeriod: 0 });
  const bareAzure = await mqtt.connectAsync(`mqtts://127.0.0.1:${sasPort}`, { ca, clientId: 'bench-bare-azure', protocolVersion: 4, reconnectPeriod: 0, username: 'u', password: 'p' });
  await aws.start();
  await azure.start();
  await aws.connection.whenConnected(10_000);
  await azure.connection.whenConnected(10_000);

  // The baselines publish exactly what the targets publish (same topic, payload, properties), with a bare client.
  const bare = (client, render) => (batch) => Promise.all(batch.map((r) => { const p = render(r); return client.publishAsync(p.topic, p.payload, p.opts); }));
  const runners = {
    'aws-iot target': (batch) => aws.deliver(batch),
    'aws-iot bare mqtt.js': bare(bareAws, (r) => ({ topic: r.topic, payload: JSON.stringify(r.body), opts: { qos: 1, properties: { contentType: 'application/json', userProperties: { ...r.properties, 'plantwire-id': r.key } } } })),
    'azure-iot target': (batch) => azure.deliver(batch),
    'azure-iot bare mqtt.js': bare(bareAzure, (r) => ({ topic: azureEventTopic('bench-device', r.properties, r.key), payload: JSON.stringify(r.body), opts: { qos: 1 } })),
  };

  const result = { samples: N, rounds: ROUNDS, unit: 'samples/s (median)', results: {} };
  for (const size of SIZES) {
    const n = size === 1 ? Math.min(N, 1000) : N;
    for (const [name, run] of Object.entries(runners)) {
      const rates = [];
      for (let round = 0; round < ROUNDS; round++) {
        const recs = records(n, round * n);
        const t = process.hrtime.bigint();
        for (let i = 0; i < recs.length; i += size) await run(recs.slice(i, i + size));
        const s = Number(process.hrtime.bigint() - t) / 1e9;
        rates.push(Math.round(n / s));
      }
      result.results[`${name}, batch ${size}`] = median(rates);
    }
  }
  console.log(JSON.stringify(result, null, 2));
  await aws.close();
  await azure.close();
  await bareAws.endAsync();
  await bareAzure.endAsync();
} finally {
  stop();
}
