/**
 * One poison message, the same test for all five sinks (the sink kit,
 * src/runtime/sink.ts): a message that can never be delivered is refused at
 * input or dead-lettered exactly once, and the good message sent right
 * behind it is delivered at once — counted at the real service: PostgreSQL
 * (historian-out), Mosquitto (mqtt-out; a second Mosquitto of the test's own
 * whose ACL denies one topic, so the broker refuses a publish with MQTT 5
 * reason code 0x87), an SMTP server on loopback that
 * refuses one mail with 554 (email-out), an HTTP webhook receiver on loopback
 * that answers 400 to a batch holding the bad record (cloud-out), and the ERP
 * simulator's SAP OData v2 service that refuses an unknown order (erp-out).
 *
 * The retry backoff is set to 30 s: a sink that retried the poison, or kept
 * the good message waiting behind it, would not deliver it within the 5 s
 * this test allows. Poison and good message arrive back to back, so batch
 * sinks get them in one batch (the kit splits a batch refused as a whole).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect as natsConnect, type NatsConnection } from '@nats-io/transport-node';
import mqtt from 'mqtt';
import pg from 'pg';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startErpSim, type ErpSim } from '../../src/sim/erp-odata';
import { cloudConnection, cloudOut, freePort } from '../helpers/cloud';
import { erpConnection, erpOut } from '../helpers/erp';
import { brokerNode, capture, emailOut, historianDb, historianOut, mqttOut, natsConnection, natsOut, smtpServerNode, statusOf, TAB } from '../helpers/flows';
import { service } from '../helpers/services';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { until } from '../faults/harness';

const RUN = crypto.randomBytes(4).toString('hex');
/** Within this a good message counts as delivered "at once" (the backoff is 30 s). */
const AT_ONCE_MS = 5000;

interface PoisonCase {
  kind: string;
  /** Buffer modes to run (the sink's own default first). */
  modes: string[];
  /** Where the poison is stopped: at input (never stored) or at delivery (stored, then dead-lettered). */
  at: 'input' | 'delivery';
  /** Dead letters on output 2 instead of Catch (erp-out). */
  output2?: boolean;
  /** Why the case is skipped, or '' when its service is there. */
  skip(): string;
  /** Config node(s) and the sink node `sink` (wires to `ok`/`dead` where it has outputs). */
  nodes(mode: string): Array<Record<string, unknown>>;
  poison: { payload: unknown; topic?: string };
  good: { payload: unknown; topic?: string };
  /** What reached the service for the good message (count) and how often the poison was tried there. */
  arrived(): Promise<{ good: number; poisonAttempts: number }>;
  reset(mode: string): Promise<void>;
}

const sample = (tag: string, value: unknown): Record<string, unknown> => ({ tag, value, quality: 'good', sourceTimestamp: new Date().toISOString() });

// ---- the services -------------------------------------------------------------------------------
let rt: TestRuntime;
let pgUp = '';
let mqttUp = '';
let pgClient: pg.Client | null = null;
let sub: mqtt.MqttClient | null = null;
const mqttSeen: string[] = [];
let aclBroker: ChildProcess | null = null;
let aclPort = 0;
let aclDir = '';
let aclUp = '';
let aclSub: mqtt.MqttClient | null = null;
const aclSeen: string[] = [];
let smtp: SMTPServer | null = null;
let smtpPort = 0;
const mails: string[] = [];
let smtpAttemptsPoison = 0;
let web: http.Server | null = null;
let webPort = 0;
const webRecords: string[] = [];
let webPoisonAttempts = 0;
/** How long the webhook receiver takes per request (a slow but working target). */
let webDelayMs = 0;
let erp: ErpSim | null = null;

let table = '';
let natsUp = '';
let nc: NatsConnection | null = null;
let jsm: JetStreamManager | null = null;
let natsStream = '';

const cases: PoisonCase[] = [
  {
    kind: 'historian-out',
    modes: ['memory', 'off'],
    at: 'delivery',
    skip: () => pgUp,
    nodes: (mode) => [{ ...historianDb('hdb', { table }), credentials: { user: 'postgres' } }, historianOut('sink', 'hdb', { bufferMode: mode })],
    // The table's CHECK constraint (a DBA's plausibility rule) refuses the value: SQLSTATE 23514, which no retry fixes.
    poison: { payload: sample('poison', 5_000_000) },
    good: { payload: sample('good', 42) },
    async arrived() {
      const exists = (await pgClient!.query('SELECT to_regclass($1) AS r', [`public."${table}"`])).rows[0].r;
      if (!exists) return { good: 0, poisonAttempts: 0 };
      const r = await pgClient!.query(`SELECT tag FROM "${table}"`);
      return { good: r.rows.filter((x) => x.tag === 'good').length, poisonAttempts: 0 };
    },
    async reset(mode) {
      table = `pw_poison_${RUN}_${mode}`;
      await pgClient!.query(`CREATE TABLE "${table}" (time timestamptz NOT NULL, tag text NOT NULL, value double precision CHECK (value < 1000000), value_text text, quality text NOT NULL, unit text, asset text)`);
    },
  },
  {
    kind: 'mqtt-out',
    modes: ['off', 'memory'],
    at: 'input',
    skip: () => mqttUp,
    nodes: (mode) => [brokerNode('b1', 'mqtt://127.0.0.1:1883'), mqttOut('sink', 'b1', { mode: 'template', template: `pw-poison-${RUN}/{tag}`, bufferMode: mode })],
    // A "+" in the tag would make a wildcard topic: no broker takes it, so it is refused before it is stored.
    poison: { payload: sample('line+1', 1) },
    good: { payload: sample('good', 42) },
    async arrived() {
      return { good: mqttSeen.filter((t) => t.endsWith('/good')).length, poisonAttempts: mqttSeen.filter((t) => t.includes('line')).length };
    },
    async reset() {
      mqttSeen.length = 0;
    },
  },
  {
    kind: 'mqtt-out refused by the broker',
    modes: ['memory', 'off'],
    at: 'delivery',
    skip: () => aclUp,
    nodes: (mode) => [brokerNode('b2', `mqtt://127.0.0.1:${aclPort}`, { protocolVersion: '5' }), mqttOut('sink', 'b2', { mode: 'template', template: `pw-acl-${RUN}/{tag}`, bufferMode: mode })],
    // The broker's ACL denies pw-acl-…/denied: its PUBACK says 0x87 "not authorized", which no retry changes.
    poison: { payload: sample('denied', 1) },
    good: { payload: sample('good', 42) },
    async arrived() {
      return { good: aclSeen.filter((t) => t.endsWith('/good')).length, poisonAttempts: 0 };
    },
    async reset() {
      aclSeen.length = 0;
    },
  },
  {
    kind: 'nats-out',
    modes: ['off', 'memory'],
    at: 'delivery',
    skip: () => natsUp,
    nodes: (mode) => [natsConnection('nc1'), natsOut('sink', 'nc1', { stream: natsStream, subjects: `pwp${RUN}.${mode}.good`, subject: `pwp${RUN}.${mode}.{tag}`, bufferMode: mode })],
    // The stream holds only the good subject: the poison's subject is refused before anything is published (never retried).
    poison: { payload: sample('poison', 1) },
    good: { payload: sample('good', 42) },
    async arrived() {
      const info = await jsm!.streams.info(natsStream).catch(() => null);
      return { good: info?.state.messages ?? 0, poisonAttempts: 0 };
    },
    async reset(mode) {
      natsStream = `PWP_${RUN}_${mode}`;
    },
  },
  {
    kind: 'email-out',
    modes: ['memory'],
    at: 'delivery',
    skip: () => '',
    nodes: (mode) => [smtpServerNode('smtp', smtpPort), emailOut('sink', 'smtp', { bufferMode: mode, subject: '{{first.tag}} alarm' })],
    poison: { payload: sample('poison', 1) },
    good: { payload: sample('good', 42) },
    async arrived() {
      return { good: mails.filter((s) => s.includes('good')).length, poisonAttempts: smtpAttemptsPoison };
    },
    async reset() {
      mails.length = 0;
      smtpAttemptsPoison = 0;
    },
  },
  {
    kind: 'cloud-out',
    modes: ['memory'],
    at: 'delivery',
    skip: () => '',
    // Batches of 2: poison and good message go out in one request, which the receiver refuses as a whole.
    nodes: (mode) => [cloudConnection('cc', { target: 'webhook', url: `http://127.0.0.1:${webPort}/ingest`, flushCount: 2, flushSeconds: 1 }), cloudOut('sink', 'cc', { bufferMode: mode })],
    poison: { payload: sample('poison', 1) },
    good: { payload: sample('good', 42) },
    async arrived() {
      return { good: webRecords.filter((r) => r === 'good').length, poisonAttempts: webPoisonAttempts };
    },
    async reset() {
      webRecords.length = 0;
      webPoisonAttempts = 0;
    },
  },
  {
    kind: 'erp-out',
    modes: ['disk', 'off'],
    at: 'delivery',
    output2: true,
    skip: () => '',
    nodes: (mode) => [
      { ...erpConnection('ec', erp!.v2.confirmation, { kind: 'sap-odata-v2', sapClient: '100', auth: 'basic' }), credentials: { user: 'PLANTWIRE', password: 'plantwire' } },
      erpOut('sink', 'ec', [['ok'], ['dead']], { entity: 'ProdnOrdConf2', mapping: '{"OrderID": payload.order, "ConfirmationYieldQuantity": $string(payload.good)}', bufferMode: mode }),
      capture('ok'),
      capture('dead'),
    ],
    // SAP refuses a confirmation for an order that does not exist (HTTP 400 RU/103): a business refusal, never retried.
    poison: { payload: { order: '4711', good: 5 } },
    good: { payload: { order: '1000103', good: 480 } },
    async arrived() {
      const docs = erp!.documents('ProdnOrdConf2');
      return { good: docs.filter((d) => d.OrderID === '1000103').length, poisonAttempts: 0 };
    },
    async reset() {
      erp!.reset();
    },
  },
];

beforeAll(async () => {
  const [p, m, n] = await Promise.all([service('postgres'), service('mosquitto'), service('nats')]);
  pgUp = p.available ? '' : p.reason;
  mqttUp = m.available ? '' : m.reason;
  natsUp = n.available ? '' : n.reason;
  if (n.available) {
    nc = await natsConnect({ servers: 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  }
  if (p.available) {
    pgClient = new pg.Client({ host: '127.0.0.1', port: 5432, user: 'postgres', database: 'test' });
    await pgClient.connect();
  }
  if (m.available) {
    sub = mqtt.connect('mqtt://127.0.0.1:1883', { clientId: `pw-poison-${RUN}` });
    await new Promise<void>((resolve, reject) => {
      sub!.once('connect', () => sub!.subscribe(`pw-poison-${RUN}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      sub!.once('error', reject);
    });
    sub.on('message', (topic) => mqttSeen.push(topic));
  }
  // A Mosquitto of this test's own whose ACL denies one topic (MQTT 5 answers a denied QoS 1 publish with PUBACK 0x87).
  if (fs.existsSync('/usr/sbin/mosquitto') || fs.existsSync('/usr/bin/mosquitto')) {
    aclPort = await freePort();
    aclDir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-poison-acl-'));
    // Mosquitto started as root reads its files as the mosquitto user.
    fs.chmodSync(aclDir, 0o755);
    fs.writeFileSync(path.join(aclDir, 'acl'), `topic deny pw-acl-${RUN}/denied\ntopic readwrite #\n`);
    fs.writeFileSync(path.join(aclDir, 'mosquitto.conf'), `listener ${aclPort} 127.0.0.1\nallow_anonymous true\nacl_file ${path.join(aclDir, 'acl')}\npersistence false\n`);
    aclBroker = spawn(fs.existsSync('/usr/sbin/mosquitto') ? '/usr/sbin/mosquitto' : '/usr/bin/mosquitto', ['-c', path.join(aclDir, 'mosquitto.conf')], { stdio: 'ignore' });
    for (let i = 0; i < 50 && !aclSub; i++) {
      const c = mqtt.connect(`mqtt://127.0.0.1:${aclPort}`, { reconnectPeriod: 0, connectTimeout: 500 });
      const ok = await new Promise<boolean>((r) => {
        c.once('connect', () => r(true));
        c.once('error', () => r(false));
        c.once('close', () => r(false));
      });
      if (ok) aclSub = c;
      else {
        c.end(true);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    if (aclSub) {
      await new Promise<void>((resolve, reject) => aclSub!.subscribe(`pw-acl-${RUN}/#`, { qos: 1 }, (err) => (err ? reject(err) : resolve())));
      aclSub.on('message', (topic) => aclSeen.push(topic));
    } else aclUp = `skipped: the test's own Mosquitto did not start on 127.0.0.1:${aclPort}`;
  } else aclUp = 'skipped: no mosquitto binary';
  // A real SMTP server on loopback that refuses the poison alarm's mail at DATA with 554 (a permanent refusal).
  smtp = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    closeTimeout: 100,
    onData(stream, _session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const subject = /^Subject: (.*)$/m.exec(text)?.[1] ?? '';
        if (subject.includes('poison')) {
          smtpAttemptsPoison += 1;
          cb(Object.assign(new Error('5.7.1 message content rejected'), { responseCode: 554 }));
          return;
        }
        mails.push(subject);
        cb();
      });
    },
  });
  await new Promise<void>((r) => smtp!.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  // A webhook receiver on loopback: 400 for a batch holding the poison record, 200 otherwise.
  web = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Array<Record<string, unknown>>;
      const tags = body.map((r) => String((r.payload as { tag?: unknown } | undefined)?.tag ?? r.tag ?? ''));
      const answer = (): void => {
        if (tags.includes('poison')) {
          webPoisonAttempts += 1;
          res.writeHead(400, { 'content-type': 'text/plain' }).end('record "poison": value refused');
          return;
        }
        webRecords.push(...tags);
        res.writeHead(204).end();
      };
      if (webDelayMs > 0) setTimeout(answer, webDelayMs);
      else answer();
    });
  });
  await new Promise<void>((r) => web!.listen(0, '127.0.0.1', () => r()));
  webPort = (web.address() as AddressInfo).port;
  erp = await startErpSim({ port: 0 });
  rt = await startTestRuntime({ settings: { plantwire: { retryMinMs: 30_000, retryMaxMs: 60_000 } } });
}, 60_000);

afterAll(async () => {
  await rt?.stop();
  for (const mode of ['off', 'memory']) await jsm?.streams.delete(`PWP_${RUN}_${mode}`).catch(() => false);
  await nc?.close();
  sub?.end(true);
  aclSub?.end(true);
  aclBroker?.kill();
  if (aclDir) fs.rmSync(aclDir, { recursive: true, force: true });
  if (pgClient) {
    for (const mode of ['memory', 'off']) await pgClient.query(`DROP TABLE IF EXISTS "pw_poison_${RUN}_${mode}"`).catch(() => undefined);
    await pgClient.end();
  }
  await new Promise<void>((r) => (smtp ? smtp.close(() => r()) : r()));
  await new Promise<void>((r) => (web ? web.close(() => r()) : r()));
  await erp?.close();
}, 30_000);

describe('every sink: a poison message is refused or dead-lettered once, and the next good one is delivered at once', () => {
  for (const c of cases) {
    for (const mode of c.modes) {
      it(`${c.kind} (buffer ${mode})`, async (ctx) => {
        if (c.skip()) return ctx.skip(c.skip());
        await c.reset(mode);
        const send = { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '[]', payloadType: 'json', once: false, repeat: '', x: 50, y: 40, wires: [['split']] };
        // Poison first, the good message right behind it (the same tick).
        const split = { id: 'split', type: 'function', z: 'tab1', func: 'for (const m of msg.payload) node.send(m); return null;', outputs: 1, x: 150, y: 40, wires: [['sink']] };
        await rt.deploy([
          TAB,
          ...c.nodes(mode),
          send,
          split,
          { id: 'complete', type: 'complete', z: 'tab1', scope: ['sink'], uncaught: false, x: 50, y: 200, wires: [['accepted']] },
          { id: 'catch', type: 'catch', z: 'tab1', scope: ['sink'], uncaught: false, x: 50, y: 260, wires: [['refused']] },
          statusOf('st', ['sink'], 'status'),
          capture('accepted'),
          capture('refused'),
          capture('status'),
        ]);
        await new Promise((r) => setTimeout(r, 300));
        const started = Date.now();
        const res = await rt.admin('POST', '/inject/go', { __user_inject_props__: [{ p: 'payload', v: JSON.stringify([c.poison, c.good]), vt: 'json' }] });
        expect(res.status).toBe(200);

        // The good message arrives at once: nothing retries the poison or waits behind it (the backoff is 30 s).
        const why = (): string => JSON.stringify({ refused: rt.captured('refused').map((x) => x.msg.error?.message), dead: rt.captured('dead').map((x) => x.msg.error?.message), status: rt.captured('status').map((x) => x.msg.status?.text) });
        await until(async () => (await c.arrived()).good >= 1, `${c.kind}: the good message at the service within ${AT_ONCE_MS} ms (${why()})`, AT_ONCE_MS);
        const deliveredAfter = Date.now() - started;
        const deadLetters = (): Array<{ msg: Record<string, any> }> => (c.output2 ? rt.captured('dead') : rt.captured('refused'));
        await until(() => deadLetters().length >= 1, `${c.kind}: the poison refused or dead-lettered`, AT_ONCE_MS);
        // Nothing more may come: no second dead letter, no retry, no second delivery.
        await new Promise((r) => setTimeout(r, 1500));
        const after = await c.arrived();
        expect(after.good, 'the good message arrived exactly once').toBe(1);
        expect(deadLetters(), `the poison is refused or dead-lettered exactly once (${why()})`).toHaveLength(1);
        if (c.output2) expect(rt.captured('refused'), 'nothing at Catch (the dead letter is on output 2)').toEqual([]);
        const accepted = rt.captured('accepted');
        if (c.at === 'input') {
          // Refused at input: done(err) once (Catch), never stored, never at the service.
          expect(accepted, 'done() once, for the good message only').toHaveLength(1);
          expect(deadLetters()[0]!.msg.error.message).toMatch(/topic|tag/);
          expect(after.poisonAttempts, 'the poison never reached the service').toBe(0);
        } else {
          // Accepted (stored, or answered on output 2) and dead-lettered: done() once each, the dead letter once.
          // Unbuffered, a refusal at delivery is done(err) (Catch); buffered, done() came when it was stored (or answered on output 2).
          expect(accepted, `done() once per message (${why()})`).toHaveLength(mode === 'off' && !c.output2 ? 1 : 2);
          expect(c.output2 ? deadLetters()[0]!.msg.error.message : deadLetters()[0]!.msg.error.message, 'the dead letter names the refusal').toMatch(/refused|does not exist|rejected|check constraint|not authorized/i);
          // Tried at most twice at the service (in its batch, then alone) and never again.
          expect(after.poisonAttempts).toBeLessThanOrEqual(2);
        }
        if (mode !== 'off') {
          const m = await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/sink');
          expect(m.body.depth, 'nothing left in the buffer').toBe(0);
        }
        // The refusal's red status stays visible: it is not replaced by the next delivery status within 2 s.
        const statuses = rt.captured('status');
        const red = statuses.findIndex((s) => s.msg.status?.fill === 'red');
        expect(red, `a red status for the refusal (got ${statuses.map((s) => s.msg.status?.text).join(' | ')})`).toBeGreaterThanOrEqual(0);
        const next = statuses.slice(red + 1).find((s) => s.msg.status?.fill !== 'red');
        if (next) expect(next.at - statuses[red]!.at, `the red status was replaced after ${next.at - statuses[red]!.at} ms`).toBeGreaterThanOrEqual(2000);
        console.log(`[poison] ${c.kind} buffer ${mode}: good message delivered after ${deliveredAfter} ms, poison ${c.at === 'input' ? 'refused at input' : 'dead-lettered'} once`);
      }, 30_000);
    }
  }
});

describe('a big batch split into parts on a slow target: each part gets its own delivery timeout', () => {
  it('cloud-out (webhook): 80 entries with one poison, 100 ms per request, 6 s timeout → every good entry once, the poison dead-lettered once', async () => {
    webRecords.length = 0;
    webPoisonAttempts = 0;
    webDelayMs = 100;
    const N = 80;
    try {
      // timeout 1 s per request: the kit's delivery timeout is 1 s + 5 s; the batch refused as a whole is sent again entry by
      // entry (80 requests × 100 ms = 8 s), more than one timeout but each entry well within its own.
      await rt.deploy([
        TAB,
        cloudConnection('cc', { target: 'webhook', url: `http://127.0.0.1:${webPort}/ingest`, flushCount: N, flushSeconds: 60, timeout: 1 }),
        cloudOut('sink', 'cc', { bufferMode: 'memory' }),
        { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '[]', payloadType: 'json', once: false, repeat: '', x: 50, y: 40, wires: [['split']] },
        { id: 'split', type: 'function', z: 'tab1', func: 'for (const m of msg.payload) node.send(m); return null;', outputs: 1, x: 150, y: 40, wires: [['sink']] },
        { id: 'catch', type: 'catch', z: 'tab1', scope: ['sink'], uncaught: false, x: 50, y: 260, wires: [['refused']] },
        capture('refused'),
      ]);
      await new Promise((r) => setTimeout(r, 300));
      const msgs = Array.from({ length: N }, (_, i) => ({ payload: sample(i === 10 ? 'poison' : `g${i}`, i) }));
      const started = Date.now();
      const res = await rt.admin('POST', '/inject/go', { __user_inject_props__: [{ p: 'payload', v: JSON.stringify(msgs), vt: 'json' }] });
      expect(res.status).toBe(200);
      // Every good entry at the receiver and the buffer empty: the depth alone is 0 also before the 80 messages are stored.
      await until(
        async () => new Set(webRecords).size >= N - 1 && (await rt.admin<{ depth: number }>('GET', '/plantwire/buffer/sink')).body.depth === 0,
        'the batch delivered (every good entry at the receiver, the buffer empty)',
        40_000,
      );
      const took = Date.now() - started;
      await new Promise((r) => setTimeout(r, 1500));
      const counts = new Map<string, number>();
      for (const t of webRecords) counts.set(t, (counts.get(t) ?? 0) + 1);
      const twice = [...counts].filter(([, n]) => n > 1).map(([t]) => t);
      expect(twice, 'no entry delivered twice').toEqual([]);
      expect(counts.size, 'every good entry arrived').toBe(N - 1);
      expect(rt.captured('refused'), 'the poison dead-lettered once').toHaveLength(1);
      expect(webPoisonAttempts, 'the poison sent as part of the batch and once alone').toBe(2);
      console.log(`[poison] cloud-out webhook, ${N} entries at ${webDelayMs} ms per request: delivered after ${took} ms, each once`);
    } finally {
      webDelayMs = 0;
    }
  }, 60_000);
});
