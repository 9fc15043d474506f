/**
 * The NATS connection (NatsLink) and the shared consumer behind nats-in
 * against real nats-servers: the shared one on 127.0.0.1:4222 and, for the
 * outage, one this test runs itself on another loopback port (stopped and
 * started again; never the shared one).
 *
 * - A consumer stopped (node closed, redeployed) while the link was still
 *   connecting does nothing once the link connects: no pull, no delivery, no
 *   nak (a zombie would pull and nak every message, pushing them towards max
 *   deliver).
 * - A stream deleted under a running consumer is created again as configured
 *   (and its consumer), and what is published afterwards is consumed.
 * - A connection the client gives up (the server gone for longer than its
 *   reconnect attempts) goes back to the connection kit's supervisor, which
 *   opens a new one when the server is back; the consumer goes on there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NatsLink } from '../../src/connectors/nats/connection';
import { SharedConsumer, type Delivery } from '../../src/connectors/nats/consume';
import { natsConnectionSettings, natsInSettings } from '../../src/connectors/nats/settings';
import { until } from '../faults/harness';
import { freePort } from '../helpers/cloud';
import { service, type ServiceCheck } from '../helpers/services';

const NATS_SERVER = '/usr/sbin/nats-server';
const RUN = crypto.randomBytes(3).toString('hex');
const natsCheck = service('nats');
let nats: ServiceCheck = { name: 'nats', available: false, host: '127.0.0.1', port: 4222, reason: 'not checked yet' };

const owner = (logs: string[] = []): { warn(m: string): void; log(m: string): void } => ({ warn: (m) => logs.push(`warn ${m}`), log: (m) => logs.push(`log ${m}`) });
const user = (id: string): { id: string; status(): void } => ({ id, status: () => undefined });

interface Events {
  delivered: Delivery[];
  errors: string[];
}
function consumerOn(link: NatsLink, cfg: Record<string, unknown>): { consumer: SharedConsumer; ev: Events } {
  const ev: Events = { delivered: [], errors: [] };
  const consumer = new SharedConsumer(link, natsInSettings(cfg), {
    deliver: (d) => void ev.delivered.push(d),
    deadLetter: () => undefined,
    error: (e) => void ev.errors.push(e.message),
    running: () => undefined,
  });
  return { consumer, ev };
}

describe('NATS link and shared consumer (real nats-server)', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const streams: string[] = [];

  beforeAll(async () => {
    nats = await natsCheck;
    if (!nats.available) return;
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
  });
  afterAll(async () => {
    for (const s of streams) await jsm?.streams.delete(s).catch(() => false);
    await nc?.close();
  });

  it('a consumer stopped while the link is still connecting consumes nothing once it connects', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const stream = `PWL_zombie_${RUN}`;
    streams.push(stream);
    const prefix = `tl${RUN}.zombie`;
    await jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
    const js = jetstream(nc);
    for (let i = 0; i < 5; i++) await js.publish(`${prefix}.m`, String(i));
    const link = new NatsLink(owner(), natsConnectionSettings({ servers: 'nats://127.0.0.1:4222' }));
    const { consumer, ev } = consumerOn(link, { stream, subjects: `${prefix}.>`, durable: 'zombie', ackWait: 5, maxDeliver: 3 });
    try {
      // Started before the link has a user (not connecting yet), stopped (a redeploy), then the link connects.
      consumer.start();
      await new Promise((r) => setTimeout(r, 100));
      await consumer.stop();
      link.users.register(user('u1') as never);
      expect(await link.connectedWithin(5000)).toBe(true);
      await new Promise((r) => setTimeout(r, 2500));
      expect(ev.delivered, 'nothing handed to the flow').toEqual([]);
      const info = await jsm.consumers.info(stream, 'zombie').catch(() => null);
      // The durable may have been made (that step was under way at stop()); nothing was pulled from it.
      expect(info?.delivered.stream_seq ?? 0, 'no message delivered to the stopped consumer').toBe(0);
      expect(info?.num_redelivered ?? 0, 'no message nak-ed by it').toBe(0);
      expect(info?.num_waiting ?? 0, 'no pull request of it waiting').toBe(0);
    } finally {
      await consumer.stop();
      await link.close();
    }
  }, 30_000);

  it('a stream deleted under a running consumer is created again as configured, and consuming goes on', async (ctx) => {
    if (!nats.available) return ctx.skip(nats.reason);
    const stream = `PWL_gone_${RUN}`;
    streams.push(stream);
    const prefix = `tl${RUN}.gone`;
    const link = new NatsLink(owner(), natsConnectionSettings({ servers: 'nats://127.0.0.1:4222' }));
    const { consumer, ev } = consumerOn(link, { stream, subjects: `${prefix}.>`, durable: 'gone', ackMode: 'receive', maxAgeHours: 1 });
    link.users.register(user('u1') as never);
    try {
      consumer.start();
      // The consumer made the stream (as configured: its subjects and max age).
      await until(async () => (await jsm.streams.info(stream).catch(() => null)) !== null, 'the stream made by the consumer', 10_000);
      const js = jetstream(nc);
      await js.publish(`${prefix}.a`, '1');
      await until(() => ev.delivered.length === 1, 'the first message consumed', 10_000);
      await jsm.streams.delete(stream);
      // Made again by the consumer: the stream with its configured subjects and max age, and the durable on it.
      await until(async () => (await jsm.consumers.info(stream, 'gone').catch(() => null)) !== null, `the stream and consumer made again (errors: ${ev.errors.join(' | ')})`, 20_000);
      const info = await jsm.streams.info(stream);
      expect(info.config.subjects).toEqual([`${prefix}.>`]);
      expect(info.config.max_age).toBe(3600 * 1e9);
      await js.publish(`${prefix}.b`, '2');
      await until(() => ev.delivered.length === 2, 'the message published after the re-creation consumed', 15_000);
      expect(ev.delivered.map((d) => new TextDecoder().decode(d.data))).toEqual(['1', '2']);
    } finally {
      await consumer.stop();
      await link.close();
    }
  }, 60_000);
});

describe('NATS link: a connection the client gave up goes back to the supervisor (own nats-server)', () => {
  let server: ChildProcess | null = null;
  let dir = '';
  let port = 0;

  const startServer = async (): Promise<void> => {
    server = spawn(NATS_SERVER, ['-js', '-sd', dir, '-p', String(port), '-a', '127.0.0.1'], { stdio: 'ignore' });
    await until(
      () =>
        new Promise<boolean>((resolve) => {
          const s = net.connect(port, '127.0.0.1', () => {
            s.end();
            resolve(true);
          });
          s.on('error', () => resolve(false));
        }),
      `nats-server on 127.0.0.1:${port}`,
      10_000,
    );
  };
  const stopServer = async (): Promise<void> => {
    const s = server;
    server = null;
    if (!s || s.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      s.once('exit', () => resolve());
      s.kill('SIGTERM');
    });
  };

  beforeAll(async () => {
    if (!fs.existsSync(NATS_SERVER)) return;
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-nats-link-'));
    port = await freePort();
    await startServer();
  }, 20_000);
  afterAll(async () => {
    await stopServer();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('a connection closed for good under the link (the client gave up, the server closed it) is opened again by the supervisor', async (ctx) => {
    if (!fs.existsSync(NATS_SERVER)) return ctx.skip(`skipped: no ${NATS_SERVER}`);
    const link = new NatsLink(owner(), natsConnectionSettings({ servers: `nats://127.0.0.1:${port}` }));
    link.users.register(user('u1') as never);
    const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
      Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`not within ${ms} ms: ${what} (state ${JSON.stringify(link.state)})`)), ms).unref())]);
    try {
      const first = await within(link.connection(), 10_000, 'connected');
      await first.close();
      const second = await within(link.connection(), 10_000, 'a new connection');
      expect(second).not.toBe(first);
      expect(second.isClosed()).toBe(false);
      await until(() => link.connected && link.users.connected, 'connected again', 5000);
      const { jsm } = await within(link.jetstream(), 5000, 'JetStream');
      expect((await jsm.getAccountInfo()).streams).toBeGreaterThanOrEqual(0);
    } finally {
      await link.close();
    }
  }, 30_000);

  it('server gone longer than the client reconnects: the link reconnects on the supervisor backoff once the server is back; consuming goes on', async (ctx) => {
    if (!fs.existsSync(NATS_SERVER)) return ctx.skip(`skipped: no ${NATS_SERVER}`);
    const logs: string[] = [];
    const settings = { ...natsConnectionSettings({ servers: `nats://127.0.0.1:${port}`, reconnectWait: 100 }), reconnectAttempts: 3 };
    const link = new NatsLink(owner(logs), settings);
    const prefix = `own${RUN}`;
    const { consumer, ev } = consumerOn(link, { stream: 'PWL_OWN', subjects: `${prefix}.>`, durable: 'own', ackMode: 'receive' });
    link.users.register(user('u1') as never);
    try {
      expect(await link.connectedWithin(10_000)).toBe(true);
      consumer.start();
      const first = await link.connection();
      const { js } = await link.jetstream();
      await until(async () => (await link.ensureStream(natsInSettings({ stream: 'PWL_OWN', subjects: `${prefix}.>` }).stream).catch(() => null)) !== null, 'the stream', 10_000);
      await js.publish(`${prefix}.a`, 'before');
      await until(() => ev.delivered.length === 1, 'consumed before the outage', 10_000);

      await stopServer();
      // 3 reconnect attempts 100 ms apart: then the client closes the connection for good.
      await until(() => first.isClosed(), 'the client gave the connection up', 15_000);
      await until(() => link.state.phase === 'retrying', `the link retrying (state ${JSON.stringify(link.state)})`, 5000);
      expect(link.connected).toBe(false);
      expect(link.users.connected).toBe(false);
      // Down for a while: the supervisor's attempts fail meanwhile (one log line for the outage).
      await new Promise((r) => setTimeout(r, 2500));
      await startServer();
      expect(await link.connectedWithin(20_000), `reconnected by the supervisor (state ${JSON.stringify(link.state)})`).toBe(true);
      const second = await link.connection();
      expect(second).not.toBe(first);
      expect(link.users.connected).toBe(true);
      expect(logs.filter((l) => /closed|unreachable|fail|down/i.test(l)).length, `one line for the outage (${logs.join(' | ')})`).toBeGreaterThanOrEqual(1);
      // The consumer goes on on the new connection (the stream survived in the server's store).
      const { js: js2 } = await link.jetstream();
      await js2.publish(`${prefix}.b`, 'after');
      await until(() => ev.delivered.length === 2, `consumed after the outage (errors: ${ev.errors.join(' | ')})`, 20_000);
      expect(ev.delivered.map((d) => new TextDecoder().decode(d.data))).toEqual(['before', 'after']);
    } finally {
      await consumer.stop();
      await link.close();
    }
  }, 90_000);
});
