/**
 * Local stand-ins for the cloud MQTT front doors, started by the tests:
 * - an "AWS IoT Core"-style Mosquitto (the real binary, `mosquitto -c <tmp
 *   conf>`) with a TLS listener that requires a client certificate from the
 *   test CA and uses its CN as the user name;
 * - an "Azure IoT Hub"-style broker: aedes on TLS with an authenticate hook
 *   that records (and checks) the client id, user name and password.
 * Both can go down and come back on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { Certs } from './mqtt';
import { reachable } from './services';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TlsMosquitto {
  url: string;
  port: number;
  log(): string;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

/** Mosquitto with `require_certificate true` and `use_identity_as_username true` on a free loopback port. */
export async function startTlsMosquitto(certs: Certs, opts: { persistence?: boolean } = {}): Promise<TlsMosquitto> {
  const port = await freePort();
  const store = path.join(certs.dir, `mosquitto-${port}-db`);
  if (opts.persistence) fs.mkdirSync(store, { recursive: true });
  const conf = path.join(certs.dir, `mosquitto-${port}.conf`);
  fs.writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${certs.ca}`,
      `certfile ${certs.serverCert}`,
      `keyfile ${certs.serverKey}`,
      'require_certificate true',
      'use_identity_as_username true',
      'allow_anonymous false',
      // With persistence, a persistent subscriber's session (and its queued QoS 1 messages) survives down()/up().
      ...(opts.persistence ? ['persistence true', `persistence_location ${store}/`, 'autosave_interval 1'] : ['persistence false']),
      // Started as root, mosquitto would drop to the "mosquitto" user, which cannot read the test's 0600 key files.
      `user ${os.userInfo().username}`,
      'log_dest stderr',
      'log_type error',
      'log_type warning',
      'log_type notice',
      '',
    ].join('\n'),
  );
  let proc: ChildProcess | null = null;
  let output = '';
  const up = async (): Promise<void> => {
    const p = spawn('mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    p.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    proc = p;
    await waitFor(async () => {
      if (p.exitCode !== null) throw new Error(`mosquitto exited: ${output}`);
      return reachable('127.0.0.1', port, 300);
    }, `mosquitto on :${port}`);
  };
  const down = async (): Promise<void> => {
    const p = proc;
    proc = null;
    if (!p || p.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      p.once('exit', () => resolve());
      p.kill('SIGTERM');
    });
  };
  await up();
  return { url: `mqtts://127.0.0.1:${port}`, port, log: () => output, up, down, stop: down };
}

export interface ConnectAttempt {
  clientId: string;
  username: string;
  password: string;
  accepted: boolean;
}

export interface AzureLikeBroker {
  /** host:port to use as gatewayHost */
  address: string;
  port: number;
  attempts: ConnectAttempt[];
  /** Every message accepted, in order. */
  messages: Array<{ topic: string; payload: string }>;
  down(): Promise<void>;
  up(): Promise<void>;
  stop(): Promise<void>;
}

interface AedesAuth {
  handle: (conn: net.Socket) => void;
  close(cb?: () => void): void;
  subscribe(topic: string, func: (packet: { topic: string; payload: Buffer | string }, cb: () => void) => void, done: () => void): void;
  authenticate: (client: { id: string }, username: string | undefined, password: Buffer | undefined, cb: (err: Error | null, ok: boolean) => void) => void;
}

/**
 * aedes over TLS whose authenticate hook accepts a connect only when
 * `check(attempt)` says so (e.g. user name and SAS token as expected).
 */
export async function startAzureLikeBroker(certs: Certs, check: (a: Omit<ConnectAttempt, 'accepted'>) => boolean): Promise<AzureLikeBroker> {
  const mod = (await import('aedes')) as unknown as { Aedes: { createBroker(opts?: object): Promise<AedesAuth> } };
  const attempts: ConnectAttempt[] = [];
  const messages: Array<{ topic: string; payload: string }> = [];
  const aedes = await mod.Aedes.createBroker({
    authenticate: (client: { id: string }, username: string | undefined, password: Buffer | undefined, cb: (err: Error | null, ok: boolean) => void) => {
      const a = { clientId: client.id, username: username ?? '', password: password ? password.toString('utf8') : '' };
      const accepted = check(a);
      attempts.push({ ...a, accepted });
      if (accepted) cb(null, true);
      else cb(Object.assign(new Error('not authorized'), { returnCode: 5 }), false);
    },
  });
  await new Promise<void>((resolve) =>
    aedes.subscribe(
      'devices/#',
      (packet, cb) => {
        messages.push({ topic: packet.topic, payload: Buffer.isBuffer(packet.payload) ? packet.payload.toString('utf8') : String(packet.payload) });
        cb();
      },
      () => resolve(),
    ),
  );
  const sockets = new Set<net.Socket>();
  const opts: tls.TlsOptions = { key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert) };
  let server: tls.Server;
  const port = await freePort();
  const up = (): Promise<void> =>
    new Promise((resolve, reject) => {
      server = tls.createServer(opts, (s) => aedes.handle(s));
      server.on('secureConnection', (s: net.Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
      });
      server.on('tlsClientError', () => undefined);
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const down = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  await up();
  return {
    address: `127.0.0.1:${port}`,
    port,
    attempts,
    messages,
    up,
    down,
    async stop() {
      await down();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
    },
  };
}

/** Flow node builders (tab `tab1`) for the cloud nodes. */
export function cloudConnection(id: string, config: Record<string, unknown>, credentials: Record<string, string> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-cloud-connection',
    name: '',
    version: 1,
    target: 'aws-iot',
    endpoint: '',
    thingName: '',
    hubHost: '',
    deviceId: '',
    apiVersion: '2021-04-12',
    sasTtl: 3600,
    gatewayHost: '',
    s3Endpoint: '',
    region: 'us-east-1',
    bucket: '',
    pathStyle: true,
    keyPattern: '',
    format: 'ndjson',
    gzip: false,
    url: '',
    method: 'POST',
    headers: '',
    webhookFormat: 'json',
    authHeaderName: 'Authorization',
    flushCount: 500,
    flushBytes: 1048576,
    flushSeconds: 60,
    timeout: 5,
    ca: '',
    rejectUnauthorized: true,
    ...config,
    credentials,
  };
}

export function cloudOut(id: string, connection: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-cloud-out',
    z: 'tab1',
    name: '',
    version: 1,
    connection,
    topic: 'dt/{site}/{line}/{tag}',
    properties: '',
    bufferMode: 'off',
    bufferMaxEntries: 100000,
    bufferMaxMB: 64,
    bufferOverflow: 'drop-oldest',
    bufferReplayRate: 0,
    x: 300,
    y: 100,
    wires: [],
    ...extra,
  };
}
