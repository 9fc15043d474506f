/**
 * The embedded Node-RED host: Node-RED 4/5 inside express on loopback, with
 * the Plantwire palette preloaded from this package, `adminAuth` on, and an
 * optional initial flow. Used by `plantwire start` (npm start) and by the
 * node tests, which deploy flows through the Admin API.
 */
import { randomBytes, createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PlantwireError } from '../model/errors';
import { ensurePrivateDir, makeTreePrivate } from '../model/private-fs';

export const PACKAGE_ROOT = findPackageRoot(__dirname);

function findPackageRoot(from: string): string {
  let dir = from;
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && (JSON.parse(fs.readFileSync(pkg, 'utf8')) as { name?: string }).name === '@plantwire/node-red') return dir;
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the @plantwire/node-red package above ${from}`);
    dir = up;
  }
}

export interface HostUser {
  username: string;
  password: string;
  /** Node-RED permissions: '*' (all) or 'read'. */
  permissions: '*' | 'read';
}

export interface LogEntry {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'audit' | 'metric';
  msg: string;
  type?: string;
  id?: string;
  timestamp: number;
}

export interface HostOptions {
  userDir: string;
  /** 0 picks a free port. Default 1880. */
  port?: number;
  /** Default 127.0.0.1: the editor is never exposed beyond loopback unless asked. */
  host?: string;
  users: HostUser[];
  credentialSecret: string;
  /** Written as the flow file before start (replacing any). */
  flows?: unknown[];
  /** Console log level; everything is also kept in `host.logs`. Default 'info'. */
  logLevel?: 'off' | 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';
  /** Extra Node-RED settings, merged over the defaults. */
  settings?: Record<string, unknown>;
  /**
   * Environment variables for the flows (`${NAME}` in node fields, env typedInputs),
   * set in this process before Node-RED starts: Node-RED reads them from process.env.
   */
  env?: Record<string, string>;
  /** The node-red package directory to run (default: the `node-red` next to this package). */
  nodeRedDir?: string;
}

export interface Host {
  readonly url: string;
  readonly port: number;
  readonly userDir: string;
  readonly logs: LogEntry[];
  /** An Admin API bearer token for a user (default: the first). */
  token(user?: HostUser): Promise<string>;
  /** Calls the Admin API as the first user; parses JSON answers. */
  admin<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

const LEVELS: Record<number, LogEntry['level']> = { 10: 'fatal', 20: 'error', 30: 'warn', 40: 'info', 50: 'debug', 60: 'trace', 98: 'audit', 99: 'metric' };

interface NodeRedModule {
  init(server: http.Server, settings: Record<string, unknown>): void;
  start(): Promise<void>;
  stop(): Promise<void>;
  httpAdmin: http.RequestListener;
  httpNode: http.RequestListener;
  version(): string;
}

type StorageModule = Record<string, unknown>;

function loadNodeRed(nodeRedDir?: string): { RED: NodeRedModule; bcrypt: { hashSync(pw: string, rounds: number): string }; express: () => ExpressApp; storage: StorageModule | null } {
  let redPath: string;
  try {
    redPath = nodeRedDir ? require.resolve(nodeRedDir) : require.resolve('node-red');
  } catch {
    throw new PlantwireError('no-node-red', 'node-red is not installed next to @plantwire/node-red: run `npm install node-red@4` to use `plantwire start`', 'node-red missing');
  }
  const fromRed = createRequire(redPath);
  return {
    RED: fromRed(redPath) as NodeRedModule,
    bcrypt: fromRed('bcryptjs') as { hashSync(pw: string, rounds: number): string },
    express: fromRed('express') as () => ExpressApp,
    storage: loadLocalStorage(fromRed),
  };
}

/** Node-RED's own file storage, or null when this Node-RED keeps it elsewhere. */
function loadLocalStorage(fromRed: NodeJS.Require): StorageModule | null {
  try {
    return fromRed('@node-red/runtime/lib/storage/localfilesystem') as StorageModule;
  } catch {
    return null;
  }
}

/**
 * Node-RED's file storage, unchanged except that after every write the user
 * dir is made private again: Node-RED writes `.sessions.json` (admin tokens),
 * `flows_cred.json` and the rest with the process umask (usually 644).
 */
export function privateStorage(local: StorageModule, userDir: string): StorageModule {
  const wrapped: StorageModule = { ...local };
  for (const name of ['init', 'saveFlows', 'saveCredentials', 'saveSettings', 'saveSessions', 'saveLibraryEntry']) {
    const fn = local[name];
    if (typeof fn !== 'function') continue;
    wrapped[name] = async (...args: unknown[]): Promise<unknown> => {
      const result: unknown = await (fn as (...a: unknown[]) => unknown).apply(local, args);
      makeTreePrivate(userDir);
      return result;
    };
  }
  return wrapped;
}

interface ExpressApp extends http.RequestListener {
  use(path: string, handler: http.RequestListener): void;
  use(handler: http.RequestListener): void;
}

/** Starts Node-RED with the palette; resolves once flows are started. */
export async function startHost(opts: HostOptions): Promise<Host> {
  const { RED, bcrypt, express, storage } = loadNodeRed(opts.nodeRedDir);
  ensurePrivateDir(opts.userDir);
  const flowFile = path.join(opts.userDir, 'flows.json');
  if (opts.flows) fs.writeFileSync(flowFile, `${JSON.stringify(opts.flows, null, 2)}\n`, { mode: 0o600 });

  for (const [name, value] of Object.entries(opts.env ?? {})) process.env[name] = value;
  const logs: LogEntry[] = [];
  const consoleLevel = opts.logLevel ?? 'info';
  const app = express();
  const server = http.createServer(app);
  const settings: Record<string, unknown> = {
    userDir: opts.userDir,
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: opts.credentialSecret,
    nodesDir: [PACKAGE_ROOT],
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    uiHost: opts.host ?? '127.0.0.1',
    uiPort: opts.port ?? 1880,
    adminAuth: {
      type: 'credentials',
      users: opts.users.map((u) => ({ username: u.username, password: bcrypt.hashSync(u.password, 8), permissions: u.permissions })),
    },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: false, ui: false },
    editorTheme: { tours: false },
    // Private files (700/600) in the user dir; without Node-RED's file storage module, the start command's umask 077 still applies.
    ...(storage ? { storageModule: privateStorage(storage, opts.userDir) } : {}),
    logging: {
      console: { level: consoleLevel, metrics: false, audit: false },
      plantwire: {
        level: 'debug',
        metrics: false,
        audit: false,
        handler: () => (m: { level: number; msg: unknown; type?: string; id?: string; timestamp: number }) => {
          logs.push({ level: LEVELS[m.level] ?? 'info', msg: typeof m.msg === 'string' ? m.msg : String((m.msg as Error)?.stack ?? JSON.stringify(m.msg)), type: m.type, id: m.id, timestamp: m.timestamp });
          if (logs.length > 5000) logs.splice(0, logs.length - 5000);
        },
      },
    },
    ...opts.settings,
  };
  RED.init(server, settings);
  app.use('/api', RED.httpNode);
  app.use('/', RED.httpAdmin);
  // As stock Node-RED does: the port opens only once the runtime has started, so
  // an editor or Admin API client never meets a half-started runtime (a 500 on
  // GET /flows, "Node-RED runtime not started").
  await RED.start();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(err.code === 'EADDRINUSE' ? new PlantwireError('port-in-use', `port ${opts.port} is already in use: stop the other process or set PLANTWIRE_PORT`) : err),
      );
      server.listen(opts.port ?? 1880, opts.host ?? '127.0.0.1', () => resolve());
    });
  } catch (err) {
    await RED.stop().catch(() => undefined);
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const url = `http://${opts.host ?? '127.0.0.1'}:${port}`;

  const tokens = new Map<string, string>();
  const token = async (user: HostUser | undefined = opts.users[0]): Promise<string> => {
    if (!user) throw new Error('host has no users');
    const cached = tokens.get(user.username);
    if (cached) return cached;
    const res = await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: user.permissions, username: user.username, password: user.password }),
    });
    if (!res.ok) throw new Error(`login as ${user.username} failed: HTTP ${res.status}`);
    const body = (await res.json()) as { access_token: string };
    tokens.set(user.username, body.access_token);
    return body.access_token;
  };
  const admin = async <T>(method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { authorization: `Bearer ${await token()}`, 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON: keep the text */
    }
    return { status: res.status, body: parsed as T };
  };
  let stopped = false;
  return {
    url,
    port,
    userDir: opts.userDir,
    logs,
    token,
    admin,
    async stop() {
      if (stopped) return;
      stopped = true;
      await RED.stop();
      server.closeAllConnections?.();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A random password that is easy to copy: 18 URL-safe characters. */
export function generatePassword(): string {
  return randomBytes(14).toString('base64url').slice(0, 18);
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
