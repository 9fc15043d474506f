/**
 * MQTT brokers for tests: the local Mosquitto on 127.0.0.1:1883 when it runs,
 * otherwise an embedded aedes broker (PLANTWIRE_REQUIRE_SERVICES=1 makes a
 * missing Mosquitto a failure instead; PLANTWIRE_MQTT_EMBEDDED=1 forces
 * aedes); embedded brokers the test controls
 * (TCP or TLS with client certificates, stoppable and restartable); and
 * certificates made with the openssl CLI into a temp dir.
 */
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { reachable, SERVICES } from './services';

export interface TestBroker {
  url: string;
  port: number;
  /** 'mosquitto' or 'aedes' */
  kind: 'mosquitto' | 'aedes';
  stop(): Promise<void>;
}

export interface EmbeddedBroker extends TestBroker {
  kind: 'aedes';
  /** Drops every client connection and stops listening (the broker "goes down"). */
  down(): Promise<void>;
  /** Listens again on the same port. */
  up(): Promise<void>;
  /**
   * Subscribes inside the broker (no network client): the handler sees every
   * message the broker accepted, in the broker's order, across down()/up().
   */
  tap(filter: string, handler: (topic: string, payload: Buffer) => void): Promise<void>;
}

interface AedesLike {
  handle: (conn: net.Socket) => void;
  close(cb?: () => void): void;
  subscribe(topic: string, func: (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void, done: () => void): void;
}

async function createAedes(): Promise<AedesLike> {
  const mod = (await import('aedes')) as unknown as { Aedes: { createBroker(opts?: object): Promise<AedesLike> } };
  return mod.Aedes.createBroker();
}

/** An aedes broker on a free port (or `port`), plain TCP or TLS. */
export async function startAedes(opts: { tls?: tls.TlsOptions; port?: number } = {}): Promise<EmbeddedBroker> {
  const aedes = await createAedes();
  const sockets = new Set<net.Socket>();
  const makeServer = (): net.Server => {
    const server = opts.tls ? tls.createServer(opts.tls, (s) => aedes.handle(s)) : net.createServer((s) => aedes.handle(s));
    server.on(opts.tls ? 'secureConnection' : 'connection', (s: net.Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    // TLS handshakes refused by the server (a client without a valid certificate) must not crash the test.
    server.on('tlsClientError', () => undefined);
    return server;
  };
  let server = makeServer();
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        const a = server.address();
        resolve(typeof a === 'object' && a ? a.port : port);
      });
    });
  const port = await listen(opts.port ?? 0);
  const closeServer = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  return {
    url: `${opts.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    kind: 'aedes',
    async down() {
      await closeServer();
    },
    async up() {
      server = makeServer();
      await listen(port);
    },
    tap(filter, handler) {
      return new Promise((resolve) => {
        aedes.subscribe(
          filter,
          (packet, cb) => {
            handler(packet.topic, Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload));
            cb();
          },
          () => resolve(),
        );
      });
    },
    async stop() {
      await closeServer();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/**
 * The broker for MQTT tests: Mosquitto when it runs, else an embedded aedes
 * (logged once) — or a failure under PLANTWIRE_REQUIRE_SERVICES=1.
 */
export async function sharedBroker(): Promise<TestBroker> {
  const m = SERVICES.mosquitto;
  // PLANTWIRE_MQTT_EMBEDDED=1 runs the MQTT tests on aedes even when Mosquitto is there (to check the fallback).
  if (process.env.PLANTWIRE_MQTT_EMBEDDED === '1') return startAedes();
  if (await reachable(m.host, m.port)) {
    return { url: `mqtt://${m.host}:${m.port}`, port: m.port, kind: 'mosquitto', stop: async () => undefined };
  }
  if (process.env.PLANTWIRE_REQUIRE_SERVICES === '1') {
    throw new Error(`Mosquitto is required (PLANTWIRE_REQUIRE_SERVICES=1) but nothing answers at ${m.host}:${m.port}`);
  }
  console.log(`no Mosquitto at ${m.host}:${m.port}: MQTT tests run against an embedded aedes broker`);
  return startAedes();
}

/** A topic prefix unique to this test run, so runs on a shared broker do not collide. */
export function uniquePrefix(name = 'run'): string {
  return `plantwire-test/${name}-${crypto.randomBytes(4).toString('hex')}`;
}

/** A plain mqtt.js client (test side), connected. */
export async function testClient(url: string, opts: IClientOptions = {}): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
}

export function closeClient(c: MqttClient | undefined, force = false): Promise<void> {
  if (!c) return Promise.resolve();
  return new Promise((resolve) => c.end(force, () => resolve()));
}

export interface Certs {
  dir: string;
  ca: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** The client key encrypted with `keyPassphrase`. */
  clientKeyEncrypted: string;
  keyPassphrase: string;
  /** A client certificate signed by another CA (must be refused). */
  rogueKey: string;
  rogueCert: string;
}

/** CA, server (localhost/127.0.0.1) and client certificates made with the openssl CLI. */
export function makeCerts(): Certs {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-tls-'));
  const f = (name: string): string => path.join(dir, name);
  const ssl = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  const ca = (name: string): void => {
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.pem`), '-days', '2', '-subj', `/CN=Plantwire test ${name}`);
  };
  const leaf = (name: string, caName: string, cn: string, ext: string): void => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f(`${caName}.pem`), '-CAkey', f(`${caName}.key`), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '2', '-extfile', f(`${name}.ext`));
  };
  ca('ca');
  ca('rogue-ca');
  leaf('server', 'ca', 'localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  leaf('client', 'ca', 'plantwire-client', 'extendedKeyUsage=clientAuth\n');
  leaf('rogue', 'rogue-ca', 'rogue-client', 'extendedKeyUsage=clientAuth\n');
  const keyPassphrase = crypto.randomBytes(8).toString('hex');
  ssl('pkey', '-in', f('client.key'), '-aes256', '-passout', `pass:${keyPassphrase}`, '-out', f('client-enc.key'));
  return {
    dir,
    ca: f('ca.pem'),
    serverKey: f('server.key'),
    serverCert: f('server.pem'),
    clientKey: f('client.key'),
    clientCert: f('client.pem'),
    clientKeyEncrypted: f('client-enc.key'),
    keyPassphrase,
    rogueKey: f('rogue.key'),
    rogueCert: f('rogue.pem'),
  };
}

/** Polls `check` until it returns true (generous default, no fixed sleeps in tests). */
export async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
