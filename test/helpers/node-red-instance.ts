/**
 * A separate Node-RED process for deployment tests: its own user dir, a
 * generated settings.js with adminAuth (the Admin API must be authenticated,
 * as on a real gateway), the Plantwire palette from this package (nodesDir:
 * dist/ must be built) and a loopback port. Node-RED 4.1 runs on this
 * machine's Node 20, Node-RED 5 on the Node 22 of the test/fixtures/nr5 fixture.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PACKAGE_ROOT } from '../../src/host/index';
import { childEnv } from './pack';

export interface InstanceOptions {
  label: string;
  /** The node binary. */
  node: string;
  /** Options for that node binary (e.g. --no-experimental-sqlite: a Node.js without node:sqlite). */
  nodeArgs?: string[];
  /** node-red/red.js of the Node-RED to run. */
  redJs: string;
  username?: string;
  password?: string;
  /** Reuse this user dir (its flows, credentials and Plantwire buffers) instead of a new one; stop() then keeps it. */
  userDir?: string;
}

export interface Instance {
  label: string;
  url: string;
  port: number;
  userDir: string;
  username: string;
  password: string;
  /** Console output so far. */
  output(): string;
  /** Calls the Admin API as the admin user. */
  admin<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  /** GET on the instance's HTTP-in endpoints (httpNodeRoot /api). */
  get(route: string): Promise<{ status: number; text: string }>;
  stop(): Promise<void>;
  /** Kills the process with SIGKILL (no close handlers run); the user dir stays. */
  kill(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function bcryptHash(password: string): string {
  const fromRed = createRequire(require.resolve('node-red'));
  return (fromRed('bcryptjs') as { hashSync(pw: string, rounds: number): string }).hashSync(password, 8);
}

export async function startInstance(opts: InstanceOptions): Promise<Instance> {
  const username = opts.username ?? 'admin';
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}`;
  const reuse = opts.userDir !== undefined && fs.existsSync(path.join(opts.userDir, 'flows.json'));
  const userDir = opts.userDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-nr-'));
  fs.mkdirSync(userDir, { recursive: true });
  const port = await freePort();
  const settingsFile = path.join(userDir, 'settings.js');
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: port,
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: 'bundle-test-credential-secret',
    nodesDir: [PACKAGE_ROOT],
    httpNodeRoot: '/api',
    adminAuth: { type: 'credentials', users: [{ username, password: bcryptHash(password), permissions: '*' }] },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false },
    externalModules: { palette: { allowInstall: true } },
    logging: { console: { level: 'info', metrics: false, audit: false } },
  };
  fs.writeFileSync(settingsFile, `module.exports = ${JSON.stringify(settings, null, 2)};\n`);
  if (!reuse) fs.writeFileSync(path.join(userDir, 'flows.json'), '[]\n');

  let output = '';
  let exited: string | null = null;
  const child: ChildProcess = spawn(opts.node, [...(opts.nodeArgs ?? []), opts.redJs, '--userDir', userDir, '--settings', settingsFile, '--port', String(port)], {
    cwd: userDir,
    env: childEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (output += d));
  child.on('exit', (code, signal) => (exited = `code ${code}, signal ${signal}`));

  const url = `http://127.0.0.1:${port}`;
  const tail = (): string => output.split('\n').slice(-30).join('\n');
  const deadline = Date.now() + 90_000;
  for (;;) {
    if (exited) throw new Error(`${opts.label} exited (${exited}) before it was ready:\n${tail()}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`${opts.label} was not ready within 90 s:\n${tail()}`);
    }
    const ok = await fetch(`${url}/auth/login`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok && output.includes('Started flows')) break;
    await sleep(200);
  }

  let token: string | null = null;
  const admin = async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    if (!token) {
      const res = await fetch(`${url}/auth/token`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username, password }),
      });
      token = ((await res.json()) as { access_token: string }).access_token;
    }
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* keep text */
    }
    return { status: res.status, body: parsed as T };
  };

  return {
    label: opts.label,
    url,
    port,
    userDir,
    username,
    password,
    output: () => output,
    admin,
    async get(route) {
      const res = await fetch(`${url}/api${route}`);
      return { status: res.status, text: await res.text() };
    },
    async stop() {
      if (!exited) {
        const gone = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => {
          if (!exited) child.kill('SIGKILL');
        }, 5_000);
        await gone;
        clearTimeout(timer);
      }
      if (opts.userDir === undefined) fs.rmSync(userDir, { recursive: true, force: true });
    },
    async kill() {
      if (exited) return;
      const gone = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGKILL');
      await gone;
    },
  };
}
