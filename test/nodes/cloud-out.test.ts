/**
 * plantwire-cloud-connection + plantwire-cloud-out in a real Node-RED runtime:
 * AWS IoT style (a Mosquitto the test starts, TLS requiring client certificates)
 * with the durable buffer across a broker outage, Azure IoT Hub style (a broker
 * verifying the SAS token) unbuffered with message properties, and the
 * configuration/input errors users see.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { makeSample } from '../../src/model/sample';
import { cloudConnection, cloudOut, startAzureLikeBroker, startTlsMosquitto, type AzureLikeBroker, type TlsMosquitto } from '../helpers/cloud';
import { capture, catcher, inject, statusOf, TAB, withProp } from '../helpers/flows';
import { closeClient, makeCerts, testClient, until, type Certs } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { startTestS3, type TestS3 } from '../helpers/s3-server';

let certs: Certs;
let rt: TestRuntime;
let mosq: TlsMosquitto;
let azure: AzureLikeBroker;
const hub = 'plantwire-test.azure-devices.net';
const deviceKey = crypto.randomBytes(32).toString('base64');

beforeAll(async () => {
  certs = makeCerts();
  mosq = await startTlsMosquitto(certs, { persistence: true });
  azure = await startAzureLikeBroker(certs, (a) => {
    const m = /^SharedAccessSignature sr=([^&]+)&sig=([^&]+)&se=(\d+)$/.exec(a.password);
    if (!m) return false;
    const sig = crypto.createHmac('sha256', Buffer.from(deviceKey, 'base64')).update(`${m[1]}\n${m[3]}`).digest('base64');
    return a.username === `${hub}/${a.clientId}/?api-version=2021-04-12` && decodeURIComponent(m[2]!) === sig;
  });
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
  await mosq?.stop();
  await azure?.stop();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const sample = (tag: string, value: number) => makeSample(tag, value, { asset: 'acme/berlin/bottling/line1', sourceTimestamp: '2026-01-05T08:00:00.000Z' });
const statusTexts = (): string[] => rt.captured('status').map((c) => String(c.msg.status?.text ?? ''));
const press = async (id: string): Promise<void> => {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status).toBe(200);
};

describe('AWS IoT Core style (Mosquitto with require_certificate)', () => {
  let sub: MqttClient;
  const got: Array<{ topic: string; value: unknown }> = [];
  const props: Array<Record<string, unknown>> = [];
  beforeAll(async () => {
    // A persistent subscriber session: messages published while it is away are kept for it, across broker restarts.
    sub = await testClient(mosq.url, { ca: fs.readFileSync(certs.ca), cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey), clientId: 'trusted-sub', clean: false, reconnectPeriod: 200, protocolVersion: 5, properties: { sessionExpiryInterval: 300 } });
    sub.on('message', (topic, payload, packet) => {
      got.push({ topic, value: (JSON.parse(payload.toString()) as { value: unknown }).value });
      props.push(packet.properties?.userProperties ?? {});
    });
    await sub.subscribeAsync('dt/#', { qos: 1 });
  });
  afterAll(async () => {
    await closeClient(sub, true);
  });

  const flow = (bufferMode: string) => [
    TAB,
    cloudConnection('aws', { target: 'aws-iot', endpoint: `127.0.0.1:${mosq.port}`, thingName: 'filler-1', ca: fs.readFileSync(certs.ca, 'utf8') }, { cert: certs.clientCert, key: certs.clientKey }),
    cloudOut('out', 'aws', { bufferMode, properties: '{"line": "{asset}"}' }),
    inject('i1', 'out', [sample('Filler/Temperature', 1), sample('Filler/Speed', 2)]),
    inject('i2', 'out', sample('Filler/Temperature', 3)),
    statusOf('st', ['out'], 'status'),
    catcher('c', ['out'], 'errs'),
    capture('status'),
    capture('errs'),
  ];

  it('publishes each sample on its templated topic with MQTT 5 user properties; the status shows the connection', async () => {
    got.length = 0;
    props.length = 0;
    await rt.deploy(flow('off'));
    await until(() => statusTexts().some((t) => t === `connected to mqtts://127.0.0.1:${mosq.port}`), 'connected status');
    await press('i1');
    await until(() => got.length === 2, 'two messages');
    expect(got).toEqual([
      { topic: 'dt/berlin/line1/Filler/Temperature', value: 1 },
      { topic: 'dt/berlin/line1/Filler/Speed', value: 2 },
    ]);
    expect(props[0]).toMatchObject({ line: 'acme/berlin/bottling/line1', 'plantwire-id': expect.stringMatching(/-0$/) });
    expect(props[1]!['plantwire-id']).toMatch(/-1$/);
    expect(rt.captured('errs')).toEqual([]);
  });

  it('topic template read per message from msg or from env (typed input); a bad one is refused once before anything is stored', async () => {
    got.length = 0;
    process.env.PW_TEST_CLOUD_TOPIC = 'dt/env/{tag}';
    try {
      await rt.deploy([
        TAB,
        cloudConnection('aws', { target: 'aws-iot', endpoint: `127.0.0.1:${mosq.port}`, thingName: 'filler-1', ca: fs.readFileSync(certs.ca, 'utf8') }, { cert: certs.clientCert, key: certs.clientKey }),
        cloudOut('om', 'aws', { version: 2, topic: 'route', topicType: 'msg', bufferMode: 'memory' }),
        cloudOut('oe', 'aws', { version: 2, topic: 'PW_TEST_CLOUD_TOPIC', topicType: 'env' }),
        withProp(inject('im', 'om', sample('Filler/Temperature', 4)), 'route', 'dt/msg/{line}/{tag}'),
        withProp(inject('ibad', 'om', sample('Filler/Temperature', 5)), 'route', 'dt/{shift}/#'),
        inject('ie', 'oe', sample('Filler/Speed', 6)),
        statusOf('st', ['om', 'oe'], 'status'),
        catcher('c', ['om', 'oe'], 'errs'),
        capture('status'),
        capture('errs'),
      ]);
      await until(() => statusTexts().filter((t) => t.startsWith('connected to')).length >= 2, 'both connected');
      await press('im');
      await press('ie');
      await until(() => got.length === 2, 'two messages');
      expect(got.map((g) => [g.topic, g.value]).sort()).toEqual([
        ['dt/env/Filler/Speed', 6],
        ['dt/msg/line1/Filler/Temperature', 4],
      ]);
      await press('ibad');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/topic template from msg.route: unknown placeholder \{shift\}.*; topic template from msg.route must not contain the wildcards \+ or #/);
      await until(() => rt.captured('status').some((c) => c.msg.status.fill === 'red'), 'red status');
      await new Promise((r) => setTimeout(r, 300));
      expect(rt.captured('errs'), 'refused once').toHaveLength(1);
      expect(got, 'nothing published for the refused message').toHaveLength(2);
    } finally {
      delete process.env.PW_TEST_CLOUD_TOPIC;
    }
  });

  it('with the buffer: messages sent while the broker is down are buffered (status says so), then delivered in order', async () => {
    got.length = 0;
    await rt.deploy(flow('memory'));
    await until(() => statusTexts().some((t) => t.startsWith('connected to')), 'connected');
    await mosq.down();
    await until(() => statusTexts().some((t) => !t.startsWith('connected')), 'the outage in the status');
    await press('i1');
    await press('i2');
    await until(() => statusTexts().some((t) => /^buffering [1-9]/.test(t)), 'a buffering status', 15_000);
    expect(got).toEqual([]);
    await mosq.up();
    await until(() => got.length === 3, 'the buffered messages', 20_000);
    expect(got.map((g) => g.value)).toEqual([1, 2, 3]);
    expect(rt.captured('errs')).toEqual([]);
  });

  it('a device certificate from another CA: the status says the broker does not trust it', async () => {
    await rt.deploy([
      TAB,
      cloudConnection('aws', { target: 'aws-iot', endpoint: `127.0.0.1:${mosq.port}`, thingName: 'rogue', ca: certs.ca }, { cert: certs.rogueCert, key: certs.rogueKey }),
      cloudOut('out', 'aws'),
      statusOf('st', ['out'], 'status'),
      capture('status'),
    ]);
    await until(() => statusTexts().some((t) => /^TLS: the broker (does not trust|refused)/.test(t)), `a TLS refusal status (got ${statusTexts().join(' | ')})`);
  });
});

describe('Azure IoT Hub style (broker verifying the SAS token)', () => {
  it('sends unbuffered with the property bag (static, templated and msg.properties)', async () => {
    const before = azure.messages.length;
    await rt.deploy([
      TAB,
      cloudConnection('az', { target: 'azure-iot', hubHost: hub, deviceId: 'filler-1', gatewayHost: azure.address, ca: certs.ca }, { deviceKey }),
      cloudOut('out', 'az', { properties: '{"line": "{asset}", "source": "plantwire"}' }),
      { ...inject('i1', 'f', sample('Filler/Temperature', 21.5)), wires: [['f']] },
      { id: 'f', type: 'change', z: 'tab1', rules: [{ t: 'set', p: 'properties', pt: 'msg', to: '{"shift":"B"}', tot: 'json' }], x: 200, y: 100, wires: [['out']] },
      statusOf('st', ['out'], 'status'),
      catcher('c', ['out'], 'errs'),
      capture('status'),
      capture('errs'),
    ]);
    await until(() => statusTexts().some((t) => t.startsWith('connected to mqtts://127.0.0.1')), 'connected');
    await press('i1');
    await until(() => azure.messages.length === before + 1, 'the message at the hub');
    const m = azure.messages.at(-1)!;
    expect(m.topic).toMatch(/^devices\/filler-1\/messages\/events\/\$\.ct=application%2Fjson&\$\.ce=utf-8&\$\.mid=[^&]+&line=acme%2Fberlin%2Fbottling%2Fline1&source=plantwire&shift=B$/);
    expect(JSON.parse(m.payload)).toMatchObject({ tag: 'Filler/Temperature', value: 21.5 });
    expect(azure.attempts.at(-1)).toMatchObject({ clientId: 'filler-1', username: `${hub}/filler-1/?api-version=2021-04-12`, accepted: true });
    expect(rt.captured('errs')).toEqual([]);
  });
});

describe('S3 through the node (batch target: flush on count)', () => {
  let s3: TestS3;
  beforeAll(async () => {
    s3 = await startTestS3({ bucket: 'plant-data' });
  });
  afterAll(async () => {
    await s3?.close();
  });

  it('seven messages with flush count 3 become objects of 3, 3 and (after the flush time) 1 records, as NDJSON', async () => {
    await rt.deploy([
      TAB,
      cloudConnection('s3conn', { target: 's3', s3Endpoint: s3.endpoint, bucket: 'plant-data', region: 'us-east-1', keyPattern: 'plantwire/{asset}/{yyyy}{MM}{dd}-{seq}.ndjson', flushCount: 3, flushSeconds: 3 }, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }),
      cloudOut('out', 's3conn', { bufferMode: 'off' }),
      inject('i1', 'out', sample('Filler/Temperature', 1)),
      statusOf('st', ['out'], 'status'),
      catcher('c', ['out'], 'errs'),
      capture('status'),
      capture('errs'),
    ]);
    for (let i = 0; i < 7; i++) await press('i1');
    // What the store holds, read straight from s3rver: records per object.
    const stored = async (): Promise<Map<string, number>> => {
      const out = new Map<string, number>();
      for (const k of await s3.listKeys('plant-data')) {
        const lines = (await s3.getObject(k, 'plant-data')).body.toString('utf8').trim().split('\n');
        expect(lines.every((l) => (JSON.parse(l) as { tag: string }).tag === 'Filler/Temperature')).toBe(true);
        out.set(k, lines.length);
      }
      return out;
    };
    let objects = new Map<string, number>();
    const deadline = Date.now() + 20_000;
    while ([...objects.values()].reduce((a, b) => a + b, 0) < 7) {
      if (Date.now() > deadline) throw new Error(`timed out: objects ${JSON.stringify([...objects])}, requests ${JSON.stringify(s3.log.map((l) => `${l.method} ${l.verdict}`))}`);
      await new Promise((r) => setTimeout(r, 100));
      objects = await stored();
    }
    const keys = [...objects.keys()];
    expect(keys.every((k) => k.startsWith('plantwire/acme/berlin/bottling/line1/'))).toBe(true);
    const counts = [...objects.values()];
    expect(counts.sort(), `objects ${JSON.stringify([...objects])}, requests ${JSON.stringify(s3.log.map((l) => `${l.method} ${l.verdict}`))}`).toEqual([1, 3, 3]);
    expect(rt.captured('errs')).toEqual([]);
  });

  it('a redeploy of the out node in the middle of a batch on a slow S3: the old node stops sending, the new one sends the rest — each object PUT once', async () => {
    const assets = ['a1', 'a2', 'a3', 'a4', 'a5', 'a6'].map((a) => `acme/berlin/redeploy/${a}`);
    const flows = [
      TAB,
      cloudConnection('s3r', { target: 's3', s3Endpoint: s3.endpoint, bucket: 'plant-data', region: 'us-east-1', keyPattern: 'redeploy/{asset}/{seq}.ndjson', flushCount: assets.length, flushSeconds: 3 }, { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey }),
      cloudOut('outr', 's3r', { bufferMode: 'disk' }),
      ...assets.map((a, i) => inject(`ir${i}`, 'outr', makeSample('Filler/Temperature', i, { asset: a, sourceTimestamp: '2026-01-05T08:00:00.000Z' }))),
      catcher('cr', ['outr'], 'errs'),
      capture('errs'),
    ];
    await rt.deploy(flows);
    const puts = (verdict?: string): string[] => s3.log.filter((l) => l.method === 'PUT' && l.url.startsWith('/plant-data/redeploy/') && (!verdict || l.verdict === verdict)).map((l) => decodeURIComponent(l.url.split('/').slice(3, -1).join('/')));
    // One object per asset, 700 ms each: the batch takes 4.2 s, longer than the 2 s a stopping node waits for it.
    s3.delayMs = 700;
    try {
      for (let i = 0; i < assets.length; i++) await press(`ir${i}`);
      await until(() => puts('ok').length >= 1, 'the first object written', 10_000);
      // Its answer has arrived, the next object is under way: redeploy the out node alone (the connection stays open).
      await new Promise((r) => setTimeout(r, 300));
      const changed = flows.map((n) => (n === flows[2] ? { ...(n as Record<string, unknown>), name: 'renamed' } : n));
      const res = await rt.admin('POST', '/flows', changed, { 'Node-RED-Deployment-Type': 'nodes', 'Node-RED-API-Version': 'v1' });
      expect([200, 204]).toContain(res.status);
      // The new node finds the rest in the disk buffer and writes it (at the latest after the flush time).
      await until(() => puts('ok').length >= assets.length, `every object written (${JSON.stringify(puts())})`, 20_000);
      // Nothing the old node still had under way lands later.
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      s3.delayMs = 0;
    }
    expect(puts('ok').sort(), `requests ${JSON.stringify(s3.log.filter((l) => l.url.startsWith('/plant-data/redeploy/')).map((l) => `${l.url} ${l.verdict}`))}`).toEqual(assets);
    expect((await s3.listKeys('plant-data')).filter((k) => k.startsWith('redeploy/'))).toHaveLength(assets.length);
    expect(rt.captured('errs')).toEqual([]);
  }, 60_000);
});

describe('configuration and input errors', () => {
  it('missing credentials: "not set up" status, nothing logged; a message fails with the reason', async () => {
    const logsBefore = rt.logs.length;
    await rt.deploy([
      TAB,
      cloudConnection('aws', { target: 'aws-iot', endpoint: 'abc123-ats.iot.eu-central-1.amazonaws.com', thingName: 'filler-1' }),
      cloudOut('out', 'aws'),
      inject('i1', 'out', sample('Filler/Temperature', 1)),
      statusOf('st', ['out'], 'status'),
      catcher('c', ['out'], 'errs'),
      capture('status'),
      capture('errs'),
    ]);
    await until(() => statusTexts().includes('not set up: certificate and key missing'), `the not-set-up status (${statusTexts().join(' | ')})`);
    const errorLogs = rt.logs.slice(logsBefore).filter((l) => (l.level === 'error' || l.level === 'warn') && /plantwire-cloud/.test(String(l.type)));
    expect(errorLogs).toEqual([]);
    await press('i1');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/AWS IoT needs the device certificate and its private key/);
  });

  it('a wrong value: the connection logs it naming the field, the out node shows it and fails messages with it', async () => {
    const logsBefore = rt.logs.length;
    await rt.deploy([
      TAB,
      cloudConnection('az', { target: 'azure-iot', hubHost: hub, deviceId: 'filler-1' }, { deviceKey: 'HostName=x;DeviceId=y;SharedAccessKey=z' }),
      cloudOut('out', 'az'),
      inject('i1', 'out', sample('Filler/Temperature', 1)),
      statusOf('st', ['out'], 'status'),
      catcher('c', ['out'], 'errs'),
      capture('status'),
      capture('errs'),
    ]);
    await until(() => statusTexts().includes('device key is not base64'), `the out node status (${statusTexts().join(' | ')})`);
    const logged = rt.logs.slice(logsBefore).filter((l) => l.level === 'error' && l.type === 'plantwire-cloud-connection');
    expect(logged.map((l) => l.msg)).toEqual([expect.stringMatching(/^configuration error: Azure device key: not a base64 key; copy the primary/)]);
    await press('i1');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/Azure device key: not a base64 key/);
  });

  it('bad input (not a tag sample) goes to Catch with a status; a bad topic for the template too', async () => {
    await rt.deploy([
      TAB,
      cloudConnection('aws', { target: 'aws-iot', endpoint: `127.0.0.1:${mosq.port}`, thingName: 'filler-1', ca: certs.ca }, { cert: certs.clientCert, key: certs.clientKey }),
      cloudOut('out', 'aws', { bufferMode: 'memory' }),
      inject('bad', 'out', { foo: 1 }),
      inject('noasset', 'out', makeSample('Filler/Temperature', 1)),
      statusOf('st', ['out'], 'status'),
      catcher('c', ['out'], 'errs'),
      capture('status'),
      capture('errs'),
    ]);
    await press('bad');
    const [e1] = await rt.waitFor('errs', 1);
    expect(String(e1!.msg.error.message)).toMatch(/payload/);
    await press('noasset');
    const errs = await rt.waitFor('errs', 2);
    expect(String(errs[1]!.msg.error.message)).toMatch(/the topic template uses \{site\} but the asset path "" has no site level|has no asset path/);
    expect(statusTexts().length).toBeGreaterThan(0);
  });
});

describe('example flows', () => {
  for (const file of ['cloud-aws-iot.json', 'cloud-azure-iot.json']) {
    it(`${file} deploys without an error or warning and shows "not set up" until credentials are entered`, async () => {
      const flow = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', file), 'utf8')) as Array<Record<string, unknown>>;
      const out = flow.find((n) => n.type === 'plantwire-cloud-out')!;
      const logsBefore = rt.logs.length;
      const sim = flow.find((n) => n.type === 'plantwire-simulator')!;
      await rt.deploy([TAB, ...flow.filter((n) => n.type !== 'tab').map((n) => ({ ...n, z: 'tab1' })), inject('emit', String(sim.id), 'emit'), statusOf('st', [String(out.id)], 'status'), capture('status')]);
      await until(() => statusTexts().some((t) => t.startsWith('not set up:')), `the not-set-up status (${statusTexts().join(' | ')})`);
      // One simulator round: the disk buffer takes the samples (nothing can be sent yet).
      await press('emit');
      await until(() => statusTexts().some((t) => /^buffering [1-9]/.test(t)), `buffering (${statusTexts().join(' | ')})`);
      const bad = rt.logs.slice(logsBefore).filter((l) => l.level === 'error' || (l.level === 'warn' && /plantwire/.test(String(l.type))));
      // The buffer says once why it cannot deliver (a warning); on deploy alone nothing is logged.
      expect(bad.filter((l) => !/delivery failed, buffering: .*needs/.test(l.msg))).toEqual([]);
    });
  }
});
