/**
 * The NATS JetStream nodes in a real Node-RED runtime against the real
 * nats-server on 127.0.0.1:4222 (JetStream on): nats-out creates the stream,
 * publishes samples on UNS subjects with Nats-Msg-Id from the sample key (a
 * sample published twice is stored once); nats-in consumes through a durable
 * consumer and a nats-ack node acknowledges after the flow; a nak is
 * delivered again, an unsettled message after the ack wait, and a message
 * that reaches max deliver leaves on the dead-letter output; bad input goes
 * to a Catch node. Each test has its own stream (deleted afterwards).
 */
import crypto from 'node:crypto';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../faults/harness';
import { capture, catcher, fn, natsAck, natsConnection, natsIn, natsOut, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service, type ServiceCheck } from '../helpers/services';

const natsCheck = service('nats');
let nats: ServiceCheck = { name: 'nats', available: false, host: '127.0.0.1', port: 4222, reason: 'not checked yet' };
const RUN = crypto.randomBytes(3).toString('hex');
const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);

const sample = (i: number, tag = 'Filler/Speed'): Record<string, unknown> => ({ tag, value: i, quality: 'good', sourceTimestamp: new Date(T0 + i).toISOString(), asset: 'acme/hh/bottling/line1' });

describe('plantwire-nats-out / nats-in / nats-ack (real runtime, real NATS JetStream)', () => {
  let rt: TestRuntime;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];
  const stream = (name: string): { stream: string; subjects: string } => {
    const s = `PWT_${name}_${RUN}`;
    streams.push(s);
    return { stream: s, subjects: `t${RUN}.${name}.>` };
  };

  beforeAll(async () => {
    nats = await natsCheck;
    if (!nats.available) return;
    rt = await startTestRuntime();
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    await rt?.stop();
    for (const s of streams) await jsm?.streams.delete(s).catch(() => false);
    await nc?.close();
  });

  it('creates the stream, publishes on UNS subjects with de-duplication ids: a sample published twice is stored once', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const st = stream('out');
    const prefix = st.subjects.replace(/\.>$/, '');
    const batch = [sample(1), sample(2), { ...sample(3), tag: 'Filler/Temp.PV' }];
    await rt.deploy([
      TAB,
      natsConnection('nc1'),
      natsOut('out', 'nc1', { ...st, subject: `${prefix}.{asset}.{tag}`, duplicateWindow: 60, maxAgeHours: 2 }),
      fn('gen', `node.send({ payload: ${JSON.stringify(batch)} }); node.send({ payload: ${JSON.stringify(batch)} }); return null;`, 'out'),
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 50, y: 40, wires: [['gen']] },
      catcher('c', ['out'], 'errors'),
      capture('errors'),
    ]);
    await until(() => rt.admin('POST', '/inject/go').then((r) => r.status === 200), 'inject');
    await until(async () => (await jsm.streams.info(st.stream).catch(() => null))?.state.messages === 3, 'three messages in the stream', 10_000);
    await new Promise((r) => setTimeout(r, 300));
    const info = await jsm.streams.info(st.stream);
    expect(info.state.messages).toBe(3);
    expect(info.config.subjects).toEqual([st.subjects]);
    expect(info.config.duplicate_window).toBe(60 * 1e9);
    expect(info.config.max_age).toBe(2 * 3600 * 1e9);
    const first = await jsm.streams.getMessage(st.stream, { seq: 1 });
    expect(first?.subject).toBe(`${prefix}.acme.hh.bottling.line1.Filler.Speed`);
    expect(first?.header?.get('Nats-Msg-Id')).toBe(`acme/hh/bottling/line1|Filler/Speed|${new Date(T0 + 1).toISOString()}`);
    expect(first?.json()).toEqual(sample(1));
    const third = await jsm.streams.getMessage(st.stream, { seq: 3 });
    expect(third?.subject).toBe(`${prefix}.acme.hh.bottling.line1.Filler.Temp_PV`);
    expect(rt.captured('errors')).toEqual([]);
  });

  it('a stream deleted after nats-out made it is made again (as configured) by the next publish, not a failure for ever', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const st = stream('again');
    const prefix = st.subjects.replace(/\.>$/, '');
    await rt.deploy([
      TAB,
      natsConnection('nc1'),
      natsOut('out', 'nc1', { ...st, subject: `${prefix}.{asset}.{tag}`, duplicateWindow: 60, maxAgeHours: 2, bufferMode: 'off' }),
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '{}', payloadType: 'json', x: 50, y: 40, wires: [['out']] },
      catcher('c', ['out'], 'errors'),
      { id: 'cmp', type: 'complete', z: 'tab1', scope: ['out'], uncaught: false, x: 50, y: 200, wires: [['published']] },
      capture('errors'),
      capture('published'),
    ]);
    const send = (i: number): Promise<unknown> => rt.admin('POST', '/inject/go', { __user_inject_props__: [{ p: 'payload', v: JSON.stringify(sample(i)), vt: 'json' }] });
    await until(() => send(1).then((r) => (r as { status: number }).status === 200), 'inject');
    await rt.waitFor('published', 1, 10_000);
    expect((await jsm.streams.info(st.stream)).state.messages).toBe(1);
    await jsm.streams.delete(st.stream);
    await send(2);
    await until(() => rt.captured('published').length + rt.captured('errors').length >= 2, 'the second message done', 15_000);
    expect(rt.captured('errors').map((e) => e.msg.error?.message)).toEqual([]);
    const info = await jsm.streams.info(st.stream);
    expect(info.state.messages).toBe(1);
    expect(info.config.subjects).toEqual([st.subjects]);
    expect(info.config.duplicate_window).toBe(60 * 1e9);
    expect(info.config.max_age).toBe(2 * 3600 * 1e9);
    expect((await jsm.streams.getMessage(st.stream, { seq: 1 }))?.json()).toEqual(sample(2));
  });

  it('refuses bad input to a Catch node: a sample without asset, a subject outside the stream', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const st = stream('bad');
    await rt.deploy([
      TAB,
      natsConnection('nc1'),
      natsOut('out', 'nc1', { ...st, subject: 'elsewhere.{tag}' }),
      natsOut('out2', 'nc1', { ...st, subject: `${st.subjects.replace(/\.>$/, '')}.{asset}.{tag}` }),
      fn('gen', `node.send([{ payload: { tag: 'x', value: 1, quality: 'good', sourceTimestamp: new Date().toISOString() } }]); return null;`, 'out2'),
      fn('gen2', `node.send({ payload: { tag: 'x', value: 1, quality: 'good', sourceTimestamp: new Date().toISOString() } }); return null;`, 'out'),
      { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '', payloadType: 'date', x: 50, y: 40, wires: [['gen', 'gen2']] },
      catcher('c', ['out', 'out2'], 'errors'),
      capture('errors'),
    ]);
    await until(() => rt.admin('POST', '/inject/go').then((r) => r.status === 200), 'inject');
    const errs = await rt.waitFor('errors', 2, 10_000);
    const texts = errs.map((e) => String(e.msg.error?.message)).sort();
    expect(texts[0]).toMatch(/subject "elsewhere\.x" is not in stream/);
    expect(texts[1]).toMatch(/has no asset path/);
  });

  it('nats-in hands each message on once and nats-ack acknowledges it after the flow; nak redelivers; max deliver → dead letter', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const st = stream('in');
    const prefix = st.subjects.replace(/\.>$/, '');
    await jsm.streams.add({ name: st.stream, subjects: [st.subjects] });
    const { jetstream } = await import('@nats-io/jetstream');
    const js = jetstream(nc);
    for (let i = 0; i < 200; i++) await js.publish(`${prefix}.ok.${i % 5}`, JSON.stringify(sample(i, `T${i % 5}`)));
    // value 7 fails in the flow: the Catch path naks it; after 3 deliveries it is a dead letter.
    await js.publish(`${prefix}.poison`, JSON.stringify(sample(7, 'Poison')));
    await rt.deploy([
      TAB,
      natsConnection('nc1'),
      natsIn('in', 'nc1', [['work'], ['dead']], { ...st, durable: 'workers', maxDeliver: 3, nakDelay: 0.05, ackWait: 5 }),
      { id: 'work', type: 'function', z: 'tab1', func: "if (msg.payload.tag === 'Poison') throw new Error('cannot handle'); return msg;", outputs: 1, x: 200, y: 100, wires: [['ack']] },
      natsAck('ack', ['done']),
      capture('done'),
      capture('dead'),
      { id: 'c', type: 'catch', z: 'tab1', scope: ['work'], uncaught: false, x: 50, y: 200, wires: [['nak']] },
      natsAck('nak', ['naked'], { action: 'nak' }),
      capture('naked'),
    ]);
    const done = await rt.waitFor('done', 200, 20_000);
    const dead = await rt.waitFor('dead', 1, 20_000);
    expect(new Set(done.map((c) => c.msg.payload.value)).size).toBe(200);
    expect(done[0]!.msg._nats).toMatchObject({ stream: st.stream, consumer: 'workers', deliveries: 1, redelivered: false, ack: 'node' });
    expect(rt.captured('naked').length).toBe(3);
    expect(dead[0]!.msg.deadLetter).toEqual({ reason: 'max-deliveries' });
    expect(dead[0]!.msg.payload).toMatchObject({ tag: 'Poison', value: 7 });
    expect(dead[0]!.msg._nats).toMatchObject({ stream: st.stream, consumer: 'workers', deliveries: 3 });
    await until(async () => (await jsm.consumers.info(st.stream, 'workers')).num_ack_pending === 0, 'nothing pending', 10_000);
    const ci = await jsm.consumers.info(st.stream, 'workers');
    expect(ci.ack_floor.stream_seq).toBe(200);
    expect(ci.num_pending).toBe(0);
  });

  it('a message nobody settles is delivered again after the ack wait', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const st = stream('wait');
    const prefix = st.subjects.replace(/\.>$/, '');
    await jsm.streams.add({ name: st.stream, subjects: [st.subjects] });
    const { jetstream } = await import('@nats-io/jetstream');
    await jetstream(nc).publish(`${prefix}.a`, JSON.stringify(sample(1)));
    // The first delivery is dropped by the flow (no ack); the second is acknowledged.
    await rt.deploy([
      TAB,
      natsConnection('nc1'),
      natsIn('in', 'nc1', [['gate'], []], { ...st, durable: 'slow', ackWait: 1 }),
      { id: 'gate', type: 'function', z: 'tab1', func: 'return msg._nats.deliveries >= 2 ? msg : null;', outputs: 1, x: 200, y: 100, wires: [['ack']] },
      natsAck('ack', ['done']),
      capture('done'),
    ]);
    const done = await rt.waitFor('done', 1, 15_000);
    expect(done[0]!.msg._nats).toMatchObject({ deliveries: 2, redelivered: true });
    await until(async () => (await jsm.consumers.info(st.stream, 'slow')).num_ack_pending === 0, 'acknowledged', 10_000);
  });

  it('a message without msg._nats.key is an error for a Catch node at nats-ack', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    await rt.deploy([TAB, natsAck('ack', []), { id: 'go', type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload: '1', payloadType: 'num', x: 50, y: 40, wires: [['ack']] }, catcher('c', ['ack'], 'errors'), capture('errors')]);
    await until(() => rt.admin('POST', '/inject/go').then((r) => r.status === 200), 'inject');
    const errs = await rt.waitFor('errors', 1);
    expect(String(errs[0]!.msg.error.message)).toMatch(/msg\._nats\.key is missing/);
  });
});
