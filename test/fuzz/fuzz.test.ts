/**
 * Issue 16 fuzz suite: the same corpus of malformed messages goes to EVERY
 * node type with an input listed in package.json, in a real Node-RED (the
 * embedded host, in this process so that Object.prototype and memory can be
 * checked). Per node: no uncaught error or unhandled rejection,
 * Object.prototype unchanged, every message answered exactly once (done() →
 * Complete, or done(err) → Catch), error texts bounded, a good message handled
 * afterwards, heap growth bounded. Then raw bytes into mqtt-in (JSON, auto,
 * Sparkplug) through a real broker, including a 20 MB message and a
 * 200,000-metric NBIRTH (refused, Catch names the limit, nothing kept).
 *
 * A node type joins by being in package.json: its configuration comes from its
 * editor defaults (the built dist/nodes/<type>.html, evaluated with a stub
 * RED), config nodes it references come from CONFIG_NODES keyed by config
 * type. A node whose defaults cannot run (and has no entry in OVERRIDES), or
 * that references a config type missing from CONFIG_NODES, fails with a
 * message saying what to add.
 */
import fs from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import v8 from 'node:v8';
import vm from 'node:vm';
import { corpus as sharedCorpus, goodSample as sharedGoodSample, type CorpusCase } from '../../src/conformance/corpus';
import { editorDefinitions } from '../../src/conformance/editor';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { encodeSparkplug } from '../../src/connectors/mqtt/sparkplug/payload';
import { startModbusSim, type ModbusSim } from '../../src/sim/modbus';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { startSmtpCatcher, type SmtpCatcher } from '../../src/sim/smtp-catcher';
import { brokerNode } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service } from '../helpers/services';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

// ------------------------------------------------------------ node types from package.json and their editor defaults

interface EditorDef {
  category?: string;
  inputs?: number;
  defaults?: Record<string, { value?: unknown; type?: string }>;
}

const PKG = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const TYPES = Object.keys(PKG['node-red'].nodes);

/** Every built editor script evaluated with a stub RED (shared with `plantwire check`). */
function editorDefs(): Map<string, EditorDef> {
  const { defs, errors } = editorDefinitions(Object.values(PKG['node-red'].nodes).map((js) => path.join(PACKAGE_ROOT, js.replace(/\.js$/, '.html'))));
  if (errors.length > 0) throw new Error(`fuzz: editor scripts failed: ${errors.join('; ')}`);
  return defs;
}

const DEFS = editorDefs();
const INPUT_TYPES = TYPES.filter((t) => DEFS.get(t)?.category !== 'config' && (DEFS.get(t)?.inputs ?? 0) > 0);

function defaultsOf(type: string): Record<string, unknown> {
  const d = DEFS.get(type);
  if (!d) throw new Error(`fuzz: ${type} is in package.json but its editor (dist/nodes/${type}.html) registers no such type`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(d.defaults ?? {})) out[k] = structuredClone(v.value);
  return out;
}

// ------------------------------------------------------------ what the suite needs to know beyond the defaults

interface Env {
  opcuaUrl: string;
  modbusHost: string;
  modbusPort: number;
  smtpPort: number;
  httpUrl: string;
}

/** Config nodes by config type: fields over the config type's own editor defaults. */
const CONFIG_NODES: Record<string, (env: Env) => Record<string, unknown>> = {
  'plantwire-mqtt-broker': () => ({ url: 'mqtt://127.0.0.1:1883' }),
  'plantwire-opcua-endpoint': (env) => ({ url: env.opcuaUrl, securityMode: 'None', securityPolicy: 'None', auth: 'anonymous' }),
  'plantwire-modbus-device': (env) => ({ host: env.modbusHost, port: env.modbusPort }),
  'plantwire-smtp-server': (env) => ({ host: '127.0.0.1', port: env.smtpPort, security: 'none' }),
  'plantwire-erp-connection': (env) => ({ kind: 'rest', url: `${env.httpUrl}/erp/`, auth: 'none' }),
  'plantwire-cloud-connection': (env) => ({ target: 'webhook', url: `${env.httpUrl}/hook`, flushSeconds: 1 }),
  'plantwire-historian-db': () => ({}),
  'plantwire-nats-connection': () => ({ servers: 'nats://127.0.0.1:4222' }),
};

/** Node types whose defaults alone cannot run (something to read or write must be chosen): the least that makes them run. */
const OVERRIDES: Record<string, (env: Env) => Record<string, unknown>> = {
  'plantwire-asset-map': () => ({ rules: [{ match: '**', enterprise: 'acme' }] }),
  'plantwire-alarm': () => ({ rules: [{ tag: 'Line1/Speed', kind: 'H', limit: '100', deadband: '0.5', priority: 'medium', onDelay: '0', offDelay: '0', message: 'speed high' }] }),
  'plantwire-condition': () => ({ counters: [], monitors: [{ tag: 'Line1/Speed', rules: 'ewma, we1', learn: '30', priority: 'high', description: 'speed drift' }] }),
  'plantwire-email-out': () => ({ to: 'ops@example.com' }),
  'plantwire-erp-out': () => ({ entity: 'orders' }),
  'plantwire-erp-query': () => ({ entity: 'orders' }),
  'plantwire-opcua-method': () => ({ objectId: '/Objects/Plant/Line1', methodId: '/Objects/Plant/Line1/ResetCounters' }),
  'plantwire-modbus-read': () => ({ registers: [{ tag: 'hr0', address: '0', function: 'holding', dataType: 'uint16' }], interval: 60_000 }),
  'plantwire-modbus-write': () => ({ registers: [{ tag: 'hr0', address: '0', function: 'holding', dataType: 'uint16', writable: true }] }),
};

const NOW_ISO = new Date().toISOString();
const goodSample = sharedGoodSample(NOW_ISO) as { tag: string };
const SETPOINT = '/Objects/Plant/Line1/Filler/TemperatureSetpoint';
/** The good message per node type: a tag sample, unless listed here. */
const GOOD: Record<string, Record<string, unknown>> = {
  'plantwire-simulator': { payload: 'emit' },
  'plantwire-modbus-write': { payload: { tag: 'hr0', value: 7, quality: 'good', sourceTimestamp: NOW_ISO } },
  'plantwire-opcua-in': { payload: SETPOINT },
  'plantwire-opcua-read': { topic: SETPOINT, payload: '' },
  'plantwire-opcua-write': { payload: { tag: SETPOINT, value: 5, quality: 'good', sourceTimestamp: NOW_ISO } },
  // A key no nats-in handed out (settled before or expired): warned about and passed on.
  'plantwire-nats-ack': { payload: 1, _nats: { key: 'PLANTWIRE/fuzz/1', ack: 'node' } },
};

// ------------------------------------------------------------ the corpus (shared with `plantwire check`)

/** Built fresh for each node (nodes may keep references); the fuzz suite includes the large cases. */
const corpus = (): CorpusCase[] => sharedCorpus({ large: true, now: NOW_ISO });

// ------------------------------------------------------------ harness

let rt: TestRuntime;
let plant: OpcUaPlant;
let modbus: ModbusSim;
let smtp: SmtpCatcher;
let httpServer: http.Server;
let env: Env;
let RED: { nodes: { getNode(id: string): { receive(msg: unknown): void } | null } };
const uncaught: string[] = [];
const onUncaught = (err: unknown): void => void uncaught.push(`uncaught: ${(err as Error)?.stack ?? String(err)}`);
const onRejection = (err: unknown): void => void uncaught.push(`unhandled rejection: ${(err as Error)?.stack ?? String(err)}`);
const protoSnapshot = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
const PROTO = protoSnapshot();

interface Outcome {
  fuzz: number;
  kind: 'catch' | 'complete';
  len?: number;
  text?: string;
}

/** A function node that keeps only what the assertions need (not the 5 MB payload). */
const reporter = (id: string, kind: Outcome['kind']): Record<string, unknown> => ({
  id,
  type: 'function',
  z: 'fz',
  name: '',
  func: `const m = msg.error ? String(msg.error.message) : ''; return { payload: { fuzz: msg.fuzz, kind: '${kind}', len: m.length, text: m.slice(0, 300) } };`,
  outputs: 1,
  wires: [['fz-cap']],
});

function outcomes(): Outcome[] {
  return rt.captured('fuzz').map((c) => c.msg.payload as Outcome);
}

async function until(cond: () => boolean, ms: number, what: () => string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(what());
    await new Promise((r) => setTimeout(r, 20));
  }
}

function flowFor(type: string): { flow: Record<string, unknown>[]; id: string } {
  const id = 'fz-node';
  const config: Record<string, unknown> = { ...defaultsOf(type), ...(OVERRIDES[type]?.(env) ?? {}) };
  const nodes: Record<string, unknown>[] = [{ id: 'fz', type: 'tab', label: 'fuzz' }];
  for (const [field, def] of Object.entries(DEFS.get(type)?.defaults ?? {})) {
    if (!def.type) continue;
    const make = CONFIG_NODES[def.type];
    if (!make) throw new Error(`fuzz: ${type}.${field} needs a ${def.type} config node and the fuzz suite has no entry for it: add ${def.type} to CONFIG_NODES in test/fuzz/fuzz.test.ts`);
    const cid = `fz-cfg-${field}`;
    nodes.push({ id: cid, type: def.type, ...defaultsOf(def.type), ...make(env) });
    config[field] = cid;
  }
  nodes.push({ id, type, z: 'fz', ...config, x: 300, y: 100, wires: [] });
  nodes.push({ id: 'fz-catch', type: 'catch', z: 'fz', scope: [id], uncaught: false, wires: [['fz-rc']] });
  nodes.push({ id: 'fz-complete', type: 'complete', z: 'fz', scope: [id], uncaught: false, wires: [['fz-rd']] });
  nodes.push(reporter('fz-rc', 'catch'), reporter('fz-rd', 'complete'));
  nodes.push({ id: 'fz-cap', type: 'test-capture', z: 'fz', name: 'fuzz', wires: [] });
  return { flow: nodes, id };
}

beforeAll(async () => {
  process.on('uncaughtException', onUncaught);
  process.on('unhandledRejection', onRejection);
  plant = await startOpcUaPlant({ port: 0, securityModes: ['None'], log: () => undefined });
  modbus = await startModbusSim({ port: 0 });
  smtp = await startSmtpCatcher({ port: 0, httpPort: 0, outbox: fs.mkdtempSync(path.join(os.tmpdir(), 'pw-fuzz-mail-')) });
  httpServer = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      res.end(req.method === 'GET' ? '{"value":[]}' : '{}');
    });
  });
  await new Promise<void>((r) => httpServer.listen(0, '127.0.0.1', r));
  env = { opcuaUrl: plant.endpointUrl, modbusHost: modbus.host, modbusPort: modbus.port, smtpPort: smtp.port, httpUrl: `http://127.0.0.1:${(httpServer.address() as AddressInfo).port}` };
  rt = await startTestRuntime({ settings: { plantwire: { bufferDir: fs.mkdtempSync(path.join(os.tmpdir(), 'pw-fuzz-buf-')) } } });
  RED = createRequire(require.resolve('node-red'))(require.resolve('node-red')) as typeof RED;
}, 120_000);

afterAll(async () => {
  await rt?.stop();
  await Promise.all([plant?.stop(), modbus?.stop(), smtp?.stop()]);
  httpServer?.close();
  process.off('uncaughtException', onUncaught);
  process.off('unhandledRejection', onRejection);
});

describe('fuzz: every node type with an input', () => {
  it('lists the node types with an input from package.json', () => {
    expect(INPUT_TYPES.length).toBeGreaterThan(0);
    for (const t of INPUT_TYPES) expect(TYPES).toContain(t);
    console.log(`fuzz suite covers ${INPUT_TYPES.length} node types: ${INPUT_TYPES.join(', ')}`);
  });

  it.each(INPUT_TYPES)('%s: every malformed message answered once, no crash, prototype intact, still works, memory bounded', async (type) => {
    const { flow, id } = flowFor(type);
    await rt.deploy(flow);
    // A configuration the defaults cannot run shows as a "configuration error" at start: say what to do.
    await new Promise((r) => setTimeout(r, 300));
    const configError = outcomes().find((o) => o.kind === 'catch' && /configuration error/.test(o.text ?? ''));
    if (configError) throw new Error(`fuzz: ${type} cannot run with its editor defaults (${configError.text}): add an entry for it to OVERRIDES in test/fuzz/fuzz.test.ts`);
    rt.clear();
    const node = RED.nodes.getNode(id);
    if (!node) throw new Error(`fuzz: ${type} was not created by the deploy`);
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const cases = corpus();
    for (let i = 0; i < cases.length; i++) {
      node.receive({ ...cases[i]!.msg, fuzz: i, _msgid: `fz${i}` });
      await until(
        () => outcomes().some((o) => o.fuzz === i),
        15_000,
        () => `fuzz: ${type} never answered message "${cases[i]!.name}" (no done(), no error to Catch within 15 s)`,
      );
    }
    cases.length = 0;
    const good = GOOD[type] ?? { topic: goodSample.tag, payload: { ...goodSample } };
    const goodId = 1000;
    node.receive({ ...good, fuzz: goodId, _msgid: 'fz-good' });
    await until(() => outcomes().some((o) => o.fuzz === goodId), 15_000, () => `fuzz: ${type} did not answer the good message after the corpus`);
    await new Promise((r) => setTimeout(r, 200));
    const all = outcomes();
    const byId = new Map<number, Outcome[]>();
    for (const o of all) byId.set(o.fuzz, [...(byId.get(o.fuzz) ?? []), o]);
    const names = corpus().map((c) => c.name);
    for (let i = 0; i < names.length; i++) {
      const got = byId.get(i) ?? [];
      expect({ message: names[i], answers: got.map((g) => g.kind) }).toEqual({ message: names[i], answers: [got[0]?.kind] });
      for (const g of got) if (g.kind === 'catch') expect({ message: names[i], errorLength: g.len! <= 2000 }).toEqual({ message: names[i], errorLength: true });
    }
    const goodAnswer = byId.get(goodId) ?? [];
    expect({ type, good: goodAnswer.map((g) => `${g.kind}${g.text ? `: ${g.text}` : ''}`) }).toEqual({ type, good: ['complete'] });
    expect(protoSnapshot()).toEqual(PROTO);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    rt.clear();
    await rt.deploy([{ id: 'fz', type: 'tab', label: 'fuzz' }]);
    gc();
    const grownMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;
    expect({ type, heapGrowthUnder64MB: grownMb < 64, grownMb: Math.round(grownMb) }).toMatchObject({ type, heapGrowthUnder64MB: true });
    expect(uncaught).toEqual([]);
  }, 240_000);
});

// ------------------------------------------------------------ raw bytes into mqtt-in

// Checked once per file (CommonJS: no top-level await); the test skips with the reason when the broker is down.
const brokerCheck = service('mosquitto');

describe('fuzz: raw bytes into mqtt-in (JSON, auto, Sparkplug)', () => {
  it('answers every bad message with at most one Catch, refuses what is over a limit naming it, keeps working', async (ctx) => {
    const broker = await brokerCheck;
    if (!broker.available) return ctx.skip(broker.reason);
    const run = `fz${Date.now().toString(36)}`;
    const T = Date.now();
    const flow = [
      { id: 'fz', type: 'tab', label: 'fuzz' },
      { ...brokerNode('fz-b', 'mqtt://127.0.0.1:1883'), clientId: '' },
      ...(['json', 'auto'] as const).map((format) => ({ id: `fz-in-${format}`, type: 'plantwire-mqtt-in', z: 'fz', ...defaultsOf('plantwire-mqtt-in'), broker: 'fz-b', format, topics: `${run}/${format}/#`, qos: '0', wires: [['fz-out']] })),
      { id: 'fz-in-sparkplug', type: 'plantwire-mqtt-in', z: 'fz', ...defaultsOf('plantwire-mqtt-in'), broker: 'fz-b', format: 'sparkplug', group: run, topics: '', qos: '0', rebirth: false, wires: [['fz-out']] },
      { id: 'fz-catch', type: 'catch', z: 'fz', scope: ['fz-in-json', 'fz-in-auto', 'fz-in-sparkplug'], uncaught: false, wires: [['fz-rc']] },
      { id: 'fz-rc', type: 'function', z: 'fz', func: 'const m = String(msg.error && msg.error.message); return { payload: { topic: msg.topic, len: m.length, text: m.slice(0, 300), kept: msg.payload === undefined ? 0 : (msg.payload.length || 1) } };', outputs: 1, wires: [['fz-errs']] },
      { id: 'fz-out', type: 'function', z: 'fz', func: 'return { payload: { topic: msg.topic } };', outputs: 1, wires: [['fz-data']] },
      { id: 'fz-errs', type: 'test-capture', z: 'fz', name: 'errs', wires: [] },
      { id: 'fz-data', type: 'test-capture', z: 'fz', name: 'data', wires: [] },
    ];
    await rt.deploy(flow);
    const client = await mqtt.connectAsync('mqtt://127.0.0.1:1883', { clientId: `${run}-pub` });
    try {
      // Let the subscriptions settle.
      await new Promise((r) => setTimeout(r, 1000));
      const raw: Array<{ name: string; bytes: Buffer }> = [
        { name: 'empty', bytes: Buffer.alloc(0) },
        { name: 'open brace', bytes: Buffer.from('{') },
        { name: 'NaN text', bytes: Buffer.from('NaN') },
        { name: 'value 1e999', bytes: Buffer.from('{"value":1e999}') },
        { name: '1000 deep', bytes: Buffer.from(`${'['.repeat(1000)}1${']'.repeat(1000)}`) },
        { name: '__proto__', bytes: Buffer.from('{"__proto__":{"polluted":"yes"},"value":{"__proto__":{"isAdmin":true}}}') },
        { name: 'constructor', bytes: Buffer.from('{"constructor":{"prototype":{"polluted":"yes"}},"value":1}') },
        { name: 'bad utf8', bytes: Buffer.from([0xff, 0xfe, 0xfd, 0x7b]) },
        { name: 'random', bytes: Buffer.from(Array.from({ length: 512 }, (_, i) => (i * 7919) % 256)) },
        { name: 'bad quality', bytes: Buffer.from('{"value":1,"quality":"excellent"}') },
        { name: 'bad timestamp', bytes: Buffer.from('{"value":1,"timestamp":"not a date"}') },
        { name: '5 MB text', bytes: Buffer.alloc(5 * 1024 * 1024, 0x61) },
      ];
      const twentyMb = Buffer.from(`{"value":"${'z'.repeat(20 * 1024 * 1024)}"}`);
      for (const format of ['json', 'auto']) {
        for (let i = 0; i < raw.length; i++) await client.publishAsync(`${run}/${format}/${i}`, raw[i]!.bytes, { qos: 0 });
        await client.publishAsync(`${run}/${format}/twenty`, twentyMb, { qos: 0 });
      }
      const sp = (type: string, edge: string): string => `spBv1.0/${run}/${type}/${edge}`;
      const birth = encodeSparkplug({ timestamp: T, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }, { name: 'm', alias: 1, type: 'Double', value: 1 }] });
      const sparkBad: Array<[string, Buffer]> = [
        [sp('NBIRTH', 'random'), raw[8]!.bytes],
        [sp('NBIRTH', 'truncated'), birth.subarray(0, 20)],
        [sp('NBIRTH', 'empty'), encodeSparkplug({ timestamp: T, seq: 0, metrics: [] })],
        [sp('NDATA', 'json'), Buffer.from('{"value":1}')],
        [sp('NBIRTH', 'huge'), encodeSparkplug({ timestamp: T, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }, ...Array.from({ length: 200_000 }, (_, i) => ({ name: `m${i}`, alias: i + 1, type: 'Double' as const, value: i }))] })],
        [sp('NBIRTH', 'many'), encodeSparkplug({ timestamp: T, seq: 0, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }, ...Array.from({ length: 20_000 }, (_, i) => ({ name: `m${i}`, alias: i + 1, type: 'Double' as const, value: i }))] })],
      ];
      for (const [topic, bytes] of sparkBad) await client.publishAsync(topic, bytes, { qos: 0 });
      // Good messages afterwards: one per node.
      await client.publishAsync(`${run}/json/good`, Buffer.from('{"value":42}'), { qos: 0 });
      await client.publishAsync(`${run}/auto/good`, Buffer.from('42'), { qos: 0 });
      await client.publishAsync(sp('NBIRTH', 'good'), birth, { qos: 0 });
      const data = (): string[] => rt.captured('data').map((c) => String(c.msg.payload.topic));
      await until(() => data().includes(`${run}/json/good`) && data().includes(`${run}/auto/good`) && data().includes(`${run}/good/m`), 30_000, () => `good messages did not come out of mqtt-in: ${JSON.stringify(data())}`);
      await new Promise((r) => setTimeout(r, 500));
      const errs = rt.captured('errs').map((c) => c.msg.payload as { topic: string; len: number; text: string; kept: number });
      const perTopic = new Map<string, number>();
      for (const e of errs) perTopic.set(e.topic, (perTopic.get(e.topic) ?? 0) + 1);
      for (const [topic, n] of perTopic) expect({ topic, catches: n }).toEqual({ topic, catches: 1 });
      for (const e of errs) expect({ topic: e.topic, boundedError: e.len <= 2000 }).toEqual({ topic: e.topic, boundedError: true });
      const errOf = (topic: string) => errs.find((e) => e.topic === topic);
      for (const format of ['json', 'auto']) {
        const twenty = errOf(`${run}/${format}/twenty`);
        expect(twenty?.text).toMatch(new RegExp(`^topic ${run}/${format}/twenty: 20 MiB \\(\\d+ bytes\\), over the limit of 4 MiB \\(settings\\.js plantwire\\.limits\\.mqttMessageBytes\\); the message was dropped`));
        expect(twenty?.kept).toBe(0);
        expect(errOf(`${run}/${format}/4`)?.text).toMatch(/plantwire\.limits\.jsonDepth/);
        expect(errOf(`${run}/${format}/11`)?.text).toMatch(/mqttMessageBytes|not valid JSON/);
      }
      expect(errOf(`${run}/json/1`)?.text).toMatch(/not valid JSON/);
      // The 200,000-metric NBIRTH (4.8 MiB) is over the byte limit before its metrics are counted; a 20,000-metric one over the metrics limit.
      expect(errOf(sp('NBIRTH', 'huge'))?.text).toMatch(new RegExp(`^topic spBv1\\.0/${run}/NBIRTH/huge: .*over the limit of .* \\(settings\\.js plantwire\\.limits\\.(mqttMessageBytes|sparkplugMetrics)\\); the message was dropped$`));
      expect(errOf(sp('NBIRTH', 'many'))?.text).toMatch(new RegExp(`^topic spBv1\\.0/${run}/NBIRTH/many: NBIRTH with more than 10000 metrics, over the limit of 10000 metrics per message \\(settings\\.js plantwire\\.limits\\.sparkplugMetrics\\); the message was dropped$`));
      expect(errOf(sp('NBIRTH', 'truncated'))?.text).toMatch(/truncated/);
      expect(errOf(sp('NBIRTH', 'empty'))?.text).toMatch(/malformed or truncated NBIRTH refused/);
      expect(data().filter((t) => t.endsWith('/twenty') || t.startsWith(`${run}/huge/`) || t.startsWith(`${run}/many/`))).toEqual([]);
      expect(protoSnapshot()).toEqual(PROTO);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(uncaught).toEqual([]);
    } finally {
      await client.endAsync();
      await rt.deploy([{ id: 'fz', type: 'tab', label: 'fuzz' }]);
    }
  }, 120_000);
});
