/**
 * The MQTT connection's reconnects and outage lines (#15: one backoff for every
 * retry path, one log line per outage), against an embedded aedes broker taken
 * down and brought back: mqtt.js's fixed reconnect period becomes the first
 * delay of the one backoff (doubling, capped, jittered down, reset once the
 * broker accepts us again), and an outage is logged as down / back, not once
 * per attempt.
 */
import * as net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../src/connectors/mqtt/connection';
import { brokerSettings } from '../../src/connectors/mqtt/options';
import { startAedes, until, type EmbeddedBroker } from '../helpers/mqtt';

let broker: EmbeddedBroker;

beforeAll(async () => {
  broker = await startAedes();
});
afterAll(async () => {
  await broker?.stop();
});

/** Records the logger's lines and the times of mqtt.js's reconnect attempts. */
function watch(conn: MqttConnection): { lines: string[]; attempts: number[] } {
  const lines: string[] = [];
  conn.logOutagesTo({ log: (m) => void lines.push(`info ${m}`), warn: (m) => void lines.push(`warn ${m}`) }, 'MQTT broker test');
  return { lines, attempts: [] };
}

describe('MQTT reconnects on the one backoff, one log line per outage', () => {
  it('an unreachable broker: the waits between attempts double from the reconnect period (not a fixed period), one "down" line', async () => {
    const conn = new MqttConnection(brokerSettings({ url: 'mqtt://127.0.0.1:1', reconnectPeriod: 100 }));
    const w = watch(conn);
    await conn.open();
    conn.raw!.on('reconnect', () => void w.attempts.push(Date.now()));
    try {
      await until(() => w.attempts.length >= 5, 'five reconnect attempts', 15_000);
      const gaps = w.attempts.slice(1).map((t, i) => t - w.attempts[i]!);
      // Delays 200, 400, 800, 1600 ms before attempts 2–5, each drawn from [0.7 × base, base]; a fixed period would give ~100 ms each.
      expect(gaps[0], `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(140 - 5);
      expect(gaps[2], `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(560 - 5);
      expect(gaps[3], `gaps ${gaps.join(', ')} ms`).toBeGreaterThanOrEqual(1120 - 5);
      expect(w.lines, 'one line for the whole outage so far').toEqual(['info MQTT broker test down: connection refused: is the broker running?; retrying']);
    } finally {
      await conn.end();
    }
    expect(w.lines, 'an end on purpose logs no "back" line').toHaveLength(1);
  }, 30_000);

  it('a broker outage: one "down" line, one "back" line, and the backoff starts again from the reconnect period after the broker accepted us', async () => {
    const conn = new MqttConnection(brokerSettings({ url: broker.url, reconnectPeriod: 100 }));
    const w = watch(conn);
    await conn.open();
    await conn.whenConnected(5000);
    expect(w.lines, 'a first connect logs nothing').toEqual([]);
    conn.raw!.on('reconnect', () => void w.attempts.push(Date.now()));
    try {
      await broker.down();
      await until(() => w.attempts.length >= 4, 'reconnect attempts while down', 15_000);
      await broker.up();
      await until(() => conn.connected, 'connected again', 15_000);
      expect(w.lines).toHaveLength(2);
      expect(w.lines[0]).toMatch(/^info MQTT broker test down: .*; retrying$/);
      expect(w.lines[1]).toMatch(/^info MQTT broker test back after .* \(\d+ failed attempts?\)$/);
      // Lost again: the first attempt comes after about the reconnect period again, not after the last (longer) delay.
      const before = w.attempts.length;
      const lostAt = Date.now();
      await broker.down();
      await until(() => w.attempts.length > before, 'first attempt after the second loss', 10_000);
      expect(w.attempts[before]! - lostAt, 'reset on success: the first wait is the reconnect period').toBeLessThan(700);
      await broker.up();
      await until(() => conn.connected, 'connected again', 15_000);
      expect(w.lines.filter((l) => / down: /.test(l)), 'one down line per outage').toHaveLength(2);
      expect(w.lines.filter((l) => / back after /.test(l)), 'one back line per outage').toHaveLength(2);
    } finally {
      await conn.end();
    }
  }, 60_000);

  it('a refused login is a warning at once (only the user can fix it), and is not repeated per attempt', async () => {
    // A broker that answers every CONNECT with CONNACK "not authorised" (MQTT 3.1.1 return code 5).
    const server = net.createServer((s) => {
      s.once('data', () => s.end(Buffer.from([0x20, 0x02, 0x00, 0x05])));
      s.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    const conn = new MqttConnection(brokerSettings({ url: `mqtt://127.0.0.1:${port}`, reconnectPeriod: 100 }));
    const w = watch(conn);
    await conn.open();
    conn.raw!.on('reconnect', () => void w.attempts.push(Date.now()));
    try {
      await until(() => w.attempts.length >= 3, 'attempts after the refusal', 10_000);
      expect(w.lines).toEqual(['warn MQTT broker test down: connection refused: not authorised: check user name and password; retrying']);
    } finally {
      await conn.end();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('a connection lost to the keepalive (a half-open link) after a grown backoff: the first attempt comes after the first delay again', async () => {
    // A relay in front of the broker: refuses logins, passes traffic, or swallows it (a dead link that stays open).
    let mode: 'refuse' | 'pass' | 'blackhole' = 'refuse';
    const sockets = new Set<net.Socket>();
    const relay = net.createServer((c) => {
      sockets.add(c);
      c.on('error', () => undefined);
      // Refused: CONNACK "not authorised" (a login fixed at the broker meanwhile is picked up: refusals are retried).
      if (mode === 'refuse') return void c.once('data', () => c.end(Buffer.from([0x20, 0x02, 0x00, 0x05])));
      const up = net.connect(broker.port, '127.0.0.1');
      up.on('error', () => undefined);
      c.on('data', (d) => void (mode === 'pass' && up.write(d)));
      up.on('data', (d) => void (mode === 'pass' && c.write(d)));
      c.on('close', () => up.destroy());
      // A dead link stays open on the client's side (the broker side gives up on its own keepalive).
      up.on('close', () => void (mode !== 'blackhole' && c.destroy()));
    });
    await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
    const port = (relay.address() as net.AddressInfo).port;
    const conn = new MqttConnection(brokerSettings({ url: `mqtt://127.0.0.1:${port}`, reconnectPeriod: 100, keepalive: 1, connectTimeout: 2000 }));
    const w = watch(conn);
    let lostAt = 0;
    await conn.open();
    conn.raw!.on('reconnect', () => void w.attempts.push(Date.now()));
    // mqtt.js goes offline the moment it gives the connection up (here: the keepalive timed out), and schedules the reconnect then.
    conn.raw!.on('offline', () => void (lostAt = Date.now()));
    try {
      await until(() => w.attempts.length >= 5, 'refused attempts (the backoff grows to ~1.6 s)', 15_000);
      mode = 'pass';
      await until(() => conn.connected, 'connected through the relay', 15_000);
      const before = w.attempts.length;
      mode = 'blackhole';
      await until(() => w.attempts.length > before, 'an attempt after the keepalive gave up', 15_000);
      expect(w.attempts[before]! - lostAt, 'the first wait after a loss is the reconnect period again (100 ms, not the last grown delay)').toBeLessThan(700);
    } finally {
      mode = 'refuse';
      for (const c of sockets) c.destroy();
      await conn.end(true);
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  }, 60_000);
});
