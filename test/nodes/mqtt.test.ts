import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSample, sampleProblems } from '../../src/model/sample';
import { brokerNode, capture, catcher, inject, mqttIn, mqttOut, statusOf, TAB, withProp } from '../helpers/flows';
import { closeClient, sharedBroker, testClient, uniquePrefix, until, type TestBroker } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;
let broker: TestBroker;
let client: MqttClient;
const prefix = uniquePrefix('nodes');

beforeAll(async () => {
  broker = await sharedBroker();
  client = await testClient(broker.url);
  // runtimeState: flows can be stopped and started through the Admin API (POST /flows/state), as an operator would.
  rt = await startTestRuntime({ settings: { runtimeState: { enabled: true } } });
});
afterAll(async () => {
  await rt?.stop();
  await closeClient(client);
  await broker?.stop();
});

async function injectNow(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

/** Waits until the node is connected — an mqtt-in node until the broker acknowledged its subscriptions. */
async function connected(statusCapture: string, nodeId: string): Promise<void> {
  const ready = (text: string): boolean => (nodeId.startsWith('out') ? /^connected to/.test(text) : /^subscribed to|messages$/.test(text));
  await until(() => rt.captured(statusCapture).some((c) => c.msg.status?.source?.id === nodeId && c.msg.status?.fill === 'green' && ready(c.msg.status.text)), `${nodeId} connected`);
}

describe(`plantwire-mqtt-in / -out against ${'a broker'} (Mosquitto, else embedded)`, () => {
  it('JSON round trip: samples published to the Unified Namespace come back unchanged', async () => {
    const asset = `${prefix}/uns/acme/hamburg`;
    const sample = makeSample('Line1/Filler/Temperature', 4.87, { sourceTimestamp: '2026-01-05T08:00:00.123Z', unit: '°C', quality: 'uncertain', asset });
    const batch = [makeSample('Line1/Speed', 600, { asset, sourceTimestamp: '2026-01-05T08:00:01.000Z' }), makeSample('Line1/State', 'Running', { asset, sourceTimestamp: '2026-01-05T08:00:01.000Z' })];
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttIn('in1', 'b1', ['cap'], { topics: `${asset}/#` }),
      mqttOut('out1', 'b1'),
      inject('i-one', 'out1', sample),
      inject('i-batch', 'out1', batch),
      capture('cap'),
      statusOf('st', ['in1', 'out1'], 'status'),
      capture('status'),
    ]);
    await connected('status', 'in1');
    await injectNow('i-one');
    const [got] = await rt.waitFor('cap', 1);
    expect(got!.msg.payload).toEqual(sample);
    expect(got!.msg.topic).toBe('Line1/Filler/Temperature');
    expect(got!.msg.mqtt).toMatchObject({ topic: `${asset}/Line1/Filler/Temperature`, retain: false });
    await injectNow('i-batch');
    const all = await rt.waitFor('cap', 3);
    expect(all.slice(1).map((c) => c.msg.payload).sort((a, b) => a.tag.localeCompare(b.tag))).toEqual(batch);
    // Like historian-out, the status counts what went out (updated at most once a second).
    await until(() => rt.captured('status').some((c) => c.msg.status?.source?.id === 'out1' && c.msg.status?.fill === 'green' && c.msg.status?.text === '3 published'), 'out1 status "3 published"');
  });

  it('reads plain values and {value, timestamp, quality, unit} objects from other publishers; asset levels split the topic', async () => {
    const base = `${prefix}/plain`;
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttIn('in-plain', 'b1', ['plain'], { topics: `${base}/p/#`, format: 'plain' }),
      mqttIn('in-json', 'b1', ['json'], { topics: `${base}/j/#`, assetLevels: 4 }),
      capture('plain'),
      capture('json'),
      statusOf('st', ['in-plain', 'in-json'], 'status'),
      capture('status'),
    ]);
    await connected('status', 'in-plain');
    await connected('status', 'in-json');
    const before = Date.now();
    await client.publishAsync(`${base}/p/Tank1/Level`, '42.5', { qos: 1 });
    await client.publishAsync(`${base}/j/Pump1/Pressure`, JSON.stringify({ value: 3.2, timestamp: 1767600000000, quality: 'Bad', unit: 'bar' }), { qos: 1 });
    const [p] = await rt.waitFor('plain', 1);
    expect(p!.msg.payload).toMatchObject({ tag: `${base}/p/Tank1/Level`, value: 42.5, quality: 'good' });
    expect(Date.parse(p!.msg.payload.sourceTimestamp)).toBeGreaterThanOrEqual(before - 5);
    const [j] = await rt.waitFor('json', 1);
    // `${prefix}` is two levels, then "plain/j": the first four levels are the asset path.
    expect(j!.msg.payload).toEqual({ tag: 'Pump1/Pressure', value: 3.2, quality: 'bad', sourceTimestamp: new Date(1767600000000).toISOString(), unit: 'bar', asset: `${base}/j` });
    expect(sampleProblems(j!.msg.payload)).toEqual([]);
  });

  it('malformed JSON reaches a Catch node naming the topic, with a red status; the next good message clears it', async () => {
    const base = `${prefix}/bad`;
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttIn('in1', 'b1', ['cap'], { topics: `${base}/#` }),
      catcher('c', ['in1'], 'errs'),
      statusOf('st', ['in1'], 'status'),
      capture('cap'),
      capture('errs'),
      capture('status'),
    ]);
    await connected('status', 'in1');
    await client.publishAsync(`${base}/Tank1`, '{"value": 1', { qos: 1 });
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(new RegExp(`^${base}/Tank1: payload is not valid JSON`));
    expect(err!.msg.topic).toBe(`${base}/Tank1`);
    expect(err!.msg.payload).toBe('{"value": 1');
    await until(() => rt.captured('status').some((c) => c.msg.status.fill === 'red' && c.msg.status.text === 'payload is not JSON'), 'red status');
    await client.publishAsync(`${base}/Tank1`, '7', { qos: 1 });
    await rt.waitFor('cap', 1);
    await until(() => rt.captured('status').at(-1)!.msg.status.fill === 'green', 'status back to green');
    expect(rt.captured('errs')).toHaveLength(1);
  });

  it('mqtt-out refuses a sample without asset path (whole message, nothing published) and a bad value type', async () => {
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out1', 'b1'),
      inject('i-noasset', 'out1', [makeSample('A', 1, { asset: `${prefix}/x` }), makeSample('B', 2)]),
      inject('i-plain', 'out1', 'hello'),
      catcher('c', ['out1'], 'errs'),
      statusOf('st', ['out1'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    await connected('status', 'out1');
    const seen: string[] = [];
    const sub = `${prefix}/x/#`;
    await client.subscribeAsync(sub, { qos: 1 });
    const onMsg = (topic: string): void => void seen.push(topic);
    client.on('message', onMsg);
    await injectNow('i-noasset');
    await injectNow('i-plain');
    const errs = await rt.waitFor('errs', 2);
    expect(errs[0]!.msg.error.message).toMatch(/tag "B" has no asset path, so its Unified Namespace topic .* is unknown: set payload.asset or the node's default asset path/);
    expect(errs[1]!.msg.error.message).toMatch(/payload is a plain value \("hello"\) but no tag name is known: set msg.topic/);
    await until(() => rt.captured('status').some((c) => c.msg.status.fill === 'red'), 'red status');
    await new Promise((r) => setTimeout(r, 300));
    expect(seen, 'a refused message publishes nothing, not even its good samples').toEqual([]);
    client.off('message', onMsg);
    await client.unsubscribeAsync(sub);
  });

  it('mqtt-out: the default asset path read per message from msg, or from an environment variable (typed input)', async () => {
    process.env.PW_E2E_TYPED_ASSET = `${prefix}/typed/env`;
    const withSite = (id: string, site: unknown): Record<string, unknown> => ({
      ...inject(id, 'out-msg', 7, 'Line1/Speed'),
      props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }, { p: 'site', v: typeof site === 'string' ? site : JSON.stringify(site), vt: typeof site === 'string' ? 'str' : 'json' }],
    });
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-msg', 'b1', { asset: 'site', assetType: 'msg' }),
      mqttOut('out-env', 'b1', { asset: 'PW_E2E_TYPED_ASSET', assetType: 'env' }),
      withSite('i-msg', `${prefix}/typed/msg`),
      withSite('i-bad', 42),
      inject('i-env', 'out-env', 8, 'Line1/Speed'),
      catcher('c', ['out-msg'], 'errs'),
      statusOf('st', ['out-msg', 'out-env'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    await connected('status', 'out-msg');
    await connected('status', 'out-env');
    const seen: Array<{ topic: string; payload: { value: unknown } }> = [];
    const sub = `${prefix}/typed/#`;
    await client.subscribeAsync(sub, { qos: 1 });
    const onMsg = (topic: string, payload: Buffer): void => void seen.push({ topic, payload: JSON.parse(payload.toString()) as { value: unknown } });
    client.on('message', onMsg);
    try {
      await injectNow('i-msg');
      await injectNow('i-env');
      await until(() => seen.length >= 2, 'two messages published');
      expect(seen.map((m) => [m.topic, m.payload.value]).sort()).toEqual([
        [`${prefix}/typed/env/Line1/Speed`, 8],
        [`${prefix}/typed/msg/Line1/Speed`, 7],
      ]);
      await injectNow('i-bad');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/default asset path from msg.site must be text, got number/);
    } finally {
      client.off('message', onMsg);
      await client.unsubscribeAsync(sub);
      delete process.env.PW_E2E_TYPED_ASSET;
    }
  });

  it('mqtt-out template mode: the topic template read per message from msg or from env; a bad one is refused once', async () => {
    process.env.PW_E2E_TYPED_TEMPLATE = `${prefix}/tpl/env/{tag}`;
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url),
      mqttOut('out-tm', 'b1', { version: 2, mode: 'template', template: 'route', templateType: 'msg', asset: 'acme/hh/bottling/line1' }),
      mqttOut('out-te', 'b1', { version: 2, mode: 'template', template: 'PW_E2E_TYPED_TEMPLATE', templateType: 'env' }),
      withProp(inject('i-tm', 'out-tm', 3, 'Line1/Speed'), 'route', `${prefix}/tpl/msg/{line}/{tag}`),
      withProp(inject('i-tbad', 'out-tm', 4, 'Line1/Speed'), 'route', `${prefix}/tpl/+/{tag}`),
      inject('i-te', 'out-te', 5, 'Line1/Temp'),
      catcher('c', ['out-tm', 'out-te'], 'errs'),
      statusOf('st', ['out-tm', 'out-te'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    await connected('status', 'out-tm');
    await connected('status', 'out-te');
    const seen: Array<[string, unknown]> = [];
    const sub = `${prefix}/tpl/#`;
    await client.subscribeAsync(sub, { qos: 1 });
    const onMsg = (topic: string, payload: Buffer): void => void seen.push([topic, (JSON.parse(payload.toString()) as { value: unknown }).value]);
    client.on('message', onMsg);
    try {
      await injectNow('i-tm');
      await injectNow('i-te');
      await until(() => seen.length >= 2, 'two messages published');
      expect(seen.sort()).toEqual([
        [`${prefix}/tpl/env/Line1/Temp`, 5],
        [`${prefix}/tpl/msg/line1/Line1/Speed`, 3],
      ]);
      await injectNow('i-tbad');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/topic template from msg.route must not contain the wildcards \+ or #/);
      await until(() => rt.captured('status').some((c) => c.msg.status.fill === 'red'), 'red status');
      await new Promise((r) => setTimeout(r, 300));
      expect(rt.captured('errs'), 'refused once').toHaveLength(1);
      expect(seen, 'nothing published for the refused message').toHaveLength(2);
    } finally {
      client.off('message', onMsg);
      await client.unsubscribeAsync(sub);
      delete process.env.PW_E2E_TYPED_TEMPLATE;
    }
  });

  it('QoS 0 while the broker is unreachable: an error to Catch (nothing silently lost), yellow status while retrying', async () => {
    await rt.deploy([
      TAB,
      brokerNode('b1', 'mqtt://127.0.0.1:1'),
      mqttOut('out1', 'b1', { qos: '0', asset: 'a' }),
      inject('i1', 'out1', 5, 'T'),
      catcher('c', ['out1'], 'errs'),
      statusOf('st', ['out1'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    await until(() => rt.captured('status').some((c) => /refused|unreachable|reconnecting/.test(c.msg.status.text)), 'connection failure in status');
    await injectNow('i1');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/not connected to mqtt:\/\/127.0.0.1:1 .*1 QoS 0 message\(s\) not published; use QoS 1/);
  });

  it('a misconfigured broker leaves its users inert with a red status naming the problem', async () => {
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url, { clean: false, clientId: '' }),
      mqttIn('in1', 'b1', ['cap'], { topics: `${prefix}/never/#` }),
      catcher('c', ['in1'], 'errs'),
      statusOf('st', ['in1'], 'status'),
      capture('cap'),
      capture('errs'),
      capture('status'),
    ]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/broker: the MQTT broker \(b1\) is misconfigured: (client id: )?a persistent session \(clean session off\) needs a fixed client id/);
    await until(() => rt.captured('status').some((c) => c.msg.status.fill === 'red' && /persistent session needs a client id/.test(c.msg.status.text)), 'red status');
    expect((await rt.admin('GET', '/settings')).status, 'the runtime keeps running').toBe(200);
  });

  it('a bad topic filter is a configuration error naming it', async () => {
    await rt.deploy([TAB, brokerNode('b1', broker.url), mqttIn('in1', 'b1', ['cap'], { topics: 'a/#/b' }), catcher('c', ['in1'], 'errs'), capture('cap'), capture('errs')]);
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/topics: "#" must be the last level on its own in "a\/#\/b"/);
  });

  it('several mqtt-in nodes share one connection; each gets only its own topics', async () => {
    const base = `${prefix}/share`;
    // A fixed client id: were there two connections, the broker would keep throwing one out (status would flap).
    const clientId = `pw-share-${prefix.slice(-8)}`;
    await rt.deploy([
      TAB,
      brokerNode('b1', broker.url, { clientId }),
      mqttIn('in-a', 'b1', ['a'], { topics: `${base}/a/#` }),
      mqttIn('in-b', 'b1', ['b'], { topics: `${base}/b/+, ${base}/a/x` }),
      capture('a'),
      capture('b'),
      statusOf('st', ['in-a', 'in-b'], 'status'),
      capture('status'),
    ]);
    await connected('status', 'in-a');
    await connected('status', 'in-b');
    const settled = rt.captured('status').length;
    await client.publishAsync(`${base}/a/x`, '1', { qos: 1 });
    await client.publishAsync(`${base}/b/y`, '2', { qos: 1 });
    await rt.waitFor('a', 1);
    await rt.waitFor('b', 2);
    await new Promise((r) => setTimeout(r, 1500));
    expect(rt.captured('a').map((c) => c.msg.payload.value)).toEqual([1]);
    expect(rt.captured('b').map((c) => c.msg.payload.value).sort()).toEqual([1, 2]);
    const after = rt.captured('status').slice(settled).map((c) => c.msg.status.fill);
    expect(after.filter((f) => f !== 'green'), 'no reconnects: one connection for both nodes').toEqual([]);
  });

  it('persistent session: QoS 1 messages published while the flows were stopped arrive after they start again', async () => {
    const base = `${prefix}/persist`;
    const clientId = `pw-node-persist-${prefix.slice(-8)}`;
    const flow = [
      TAB,
      brokerNode('b1', broker.url, { clientId, clean: false }),
      mqttIn('in1', 'b1', ['cap'], { topics: `${base}/#`, qos: '1' }),
      capture('cap'),
      statusOf('st', ['in1'], 'status'),
      capture('status'),
    ];
    try {
      await rt.deploy(flow);
      await connected('status', 'in1');
      // Stop the flows (as Node-RED does on shutdown): the connection ends with a clean DISCONNECT, the session stays.
      const stop = await rt.admin('POST', '/flows/state', { state: 'stop' });
      expect(stop.status).toBe(200);
      await until(() => rt.logs.some((l) => l.msg === 'Stopped flows'), 'flows stopped');
      for (let i = 1; i <= 3; i++) await client.publishAsync(`${base}/Tank/Level`, String(i), { qos: 1 });
      expect(rt.captured('cap')).toEqual([]);
      const start = await rt.admin('POST', '/flows/state', { state: 'start' });
      expect(start.status).toBe(200);
      const got = await rt.waitFor('cap', 3);
      expect(got.map((c) => c.msg.payload.value)).toEqual([1, 2, 3]);
    } finally {
      await rt.deploy([TAB]);
      const c = await testClient(broker.url, { clientId, clean: true });
      await closeClient(c);
    }
  });

  it('deleting the node gives its topics up even with a persistent session', async () => {
    const base = `${prefix}/persist-del`;
    const clientId = `pw-node-del-${prefix.slice(-8)}`;
    const flow = [TAB, brokerNode('b1', broker.url, { clientId, clean: false }), mqttIn('in1', 'b1', ['cap'], { topics: `${base}/#` }), capture('cap'), statusOf('st', ['in1'], 'status'), capture('status')];
    try {
      await rt.deploy(flow);
      await connected('status', 'in1');
      // The node is deleted (the broker node stays with another user): the subscription ends.
      await rt.deploy([TAB, brokerNode('b1', broker.url, { clientId, clean: false }), mqttIn('in2', 'b1', ['cap2'], { topics: `${base}-other/#` }), capture('cap2'), statusOf('st', ['in2'], 'status'), capture('status')]);
      await connected('status', 'in2');
      await client.publishAsync(`${base}/x`, '1', { qos: 1 });
      await client.publishAsync(`${base}-other/x`, '2', { qos: 1 });
      await rt.waitFor('cap2', 1);
      await new Promise((r) => setTimeout(r, 300));
      expect(rt.captured('cap')).toEqual([]);
    } finally {
      await rt.deploy([TAB]);
      const c = await testClient(broker.url, { clientId, clean: true });
      await closeClient(c);
    }
  });
});
