/**
 * Fault injection for plantwire-nats-out with the durable buffer, against the
 * real nats-server on 127.0.0.1:4222 (JetStream on): the node reaches it
 * through a TCP relay on loopback that the test cuts (every socket destroyed,
 * the port closed: connection refused) and opens again on the same port, so
 * the shared server itself is never stopped. Messages sent during the outage
 * are stored in the buffer, done() at once, and published after NATS.js has
 * reconnected; the stream's content is read back sample by sample.
 *
 * Duplicates: every publish carries Nats-Msg-Id from the sample key, so a
 * publish repeated after a lost PubAck is stored once — the stream holds each
 * sample exactly once.
 */
import crypto from 'node:crypto';
import net from 'node:net';
import { jetstreamManager, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, natsConnection, natsOut, statusOf, TAB } from '../helpers/flows';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { service } from '../helpers/services';
import { check, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received } from './harness';

const RUN = crypto.randomBytes(3).toString('hex');
const STREAM = `PWF_${RUN}`;

/** A TCP relay to NATS that can be cut and opened again on the same port. */
class Relay {
  private server: net.Server | null = null;
  private readonly sockets = new Set<net.Socket>();
  port = 0;

  async up(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(4222, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('error', () => undefined);
        s.on('close', () => {
          this.sockets.delete(s);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', () => r()));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}

describe('nats-out durable buffer under faults (real NATS behind a relay)', () => {
  let rt: TestRuntime;
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  let skip = '';
  const relay = new Relay();

  beforeAll(async () => {
    const nats = await service('nats');
    if (!nats.available) {
      skip = nats.reason;
      return;
    }
    nc = await connect({ servers: 'nats://127.0.0.1:4222' });
    jsm = await jetstreamManager(nc);
    await relay.up();
    rt = await startTestRuntime();
  }, 60_000);
  afterAll(async () => {
    await rt?.stop();
    await relay.down();
    await jsm?.streams.delete(STREAM).catch(() => false);
    await nc?.close();
  }, 30_000);

  /** What the stream holds, sample by sample. */
  const received = async (): Promise<Received[]> => {
    const info = await jsm.streams.info(STREAM).catch(() => null);
    const out: Received[] = [];
    for (let seq = info?.state.first_seq ?? 1; info && seq <= info.state.last_seq; seq++) {
      const m = await jsm.streams.getMessage(STREAM, { seq });
      const s = m!.json<{ tag: string; value: number; sourceTimestamp: string }>();
      out.push({ tag: s.tag, seq: s.value, sourceTimestamp: s.sourceTimestamp });
    }
    return out;
  };
  const count = async (): Promise<number> => (await jsm.streams.info(STREAM).catch(() => null))?.state.messages ?? 0;

  it('NATS unreachable for a while, then back: every accepted message stored once in the stream, in order per tag', async (ctx) => {
    if (skip) return ctx.skip(skip);
    await rt.deploy([
      TAB,
      natsConnection('nc1', { servers: `nats://127.0.0.1:${relay.port}`, reconnectWait: 250 }),
      natsOut('sink', 'nc1', { stream: STREAM, subjects: `pwf${RUN}.>`, subject: `pwf${RUN}.{tag}`, ackTimeout: 2, bufferMode: 'memory' }),
      ...generatorNodes('accepted', 'refused'),
      capture('accepted'),
      capture('refused'),
      statusOf('st', ['sink'], 'status'),
      capture('status'),
    ]);
    await until(() => rt.captured('status').some((c) => /^connected /.test(c.msg.status?.text ?? '')), 'nats-out connected', 15_000);
    await rt.admin('POST', '/inject/go', generate(0, 100));
    await until(async () => (await count()) >= 100, 'live messages stored', 30_000);

    await relay.down();
    await rt.admin('POST', '/inject/go', generate(100, 300));
    // Stored in the buffer: done() for every message although NATS is away.
    await rt.waitFor('accepted', 400, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d/.test(c.msg.status?.text ?? '')), 'status says buffering', 30_000);
    const during = await sinkMetrics(rt);
    expect(during.depth).toBeGreaterThan(0);
    expect(await count()).toBeLessThan(400);

    await relay.up();
    await rt.admin('POST', '/inject/go', generate(400, 100));
    await until(async () => (await count()) >= 500, 'all stored after recovery', 60_000);
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained', 30_000);
    const m = await sinkMetrics(rt);
    expect(rt.captured('refused')).toEqual([]);
    const report = check({ scenario: 'NATS unreachable then back', kind: 'nats-out', sent: range(0, 500), accepted: seqs(rt.captured('accepted')), received: await received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 500) });
    // De-duplicated by Nats-Msg-Id: the stream holds each sample exactly once.
    expect(await count()).toBe(500);
    console.log(`[faults] nats-out: ${JSON.stringify(report)}; buffered at the outage's peak: ${during.depth}`);
  }, 120_000);
});
