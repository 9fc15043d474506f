/**
 * A client of the Node-RED Admin API (Node-RED 4 and 5): login (POST
 * /auth/token or a given bearer token), settings (version), flows with the
 * v2 API and its `rev`, the node list, module install, credentials metadata,
 * and the editor's comms websocket for node status and errors.
 */
import { PlantwireError, toError } from '../model/errors';
import type { FlowNode } from './types';

export type TargetAuth =
  | { kind: 'none' }
  | { kind: 'password'; username: string; password: string }
  | { kind: 'token'; token: string };

export interface Target {
  /** A name for output and the deployment history (inventory name, or host:port). */
  name: string;
  /** The Admin API root (where the editor is served), e.g. http://10.1.2.3:1880/ */
  url: string;
  auth: TargetAuth;
}

export interface NodeSet {
  id: string;
  name: string;
  types: string[];
  enabled: boolean;
  local?: boolean;
  user?: boolean;
  module: string;
  version?: string;
  err?: string;
}

export interface CommsMessage {
  topic: string;
  data: unknown;
  /** Arrival order on this connection. */
  seq: number;
}

/** The flows changed on the target between read and deploy (Node-RED answered 409). */
export class RevisionConflict extends PlantwireError {
  constructor(rev: string) {
    super('rev-conflict', `the flows changed after they were read (revision ${short(rev)} is no longer current): someone deployed in between. Run "plantwire diff" to see what changed, then deploy again (or use --force to overwrite)`, 'flows changed');
  }
}

export function short(rev: string | undefined): string {
  return rev ? rev.slice(0, 8) : '-';
}

const DEFAULT_TIMEOUT_MS = 30_000;
const INSTALL_TIMEOUT_MS = 600_000;

export class AdminClient {
  readonly target: Target;
  private token: string | null = null;
  private loggedIn = false;
  private readonly base: URL;
  private readonly timeoutMs: number;

  constructor(target: Target, opts: { timeoutMs?: number } = {}) {
    this.target = target;
    this.base = new URL(target.url.endsWith('/') ? target.url : `${target.url}/`);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (target.auth.kind === 'token') this.token = target.auth.token;
  }

  /** Logs in when the target asks for it (adminAuth); a wrong password is a clear error. */
  async login(): Promise<void> {
    if (this.token || this.loggedIn) return;
    const scheme = await this.raw('GET', 'auth/login');
    const type = (scheme.body as { type?: string } | undefined)?.type;
    if (scheme.status === 200 && !type) {
      // No adminAuth on this target: the Admin API is open.
      this.loggedIn = true;
      return;
    }
    if (type !== 'credentials') throw new PlantwireError('auth-unsupported', `the target uses ${type ? `"${type}"` : 'an unknown'} admin login: give a bearer token (inventory auth.tokenEnv/tokenFile, or PLANTWIRE_TOKEN / --token-file) instead of a password`);
    if (this.target.auth.kind !== 'password') throw new PlantwireError('auth-failed', `the Admin API needs a login: add auth to its inventory entry, or pass --user (password in PLANTWIRE_PASSWORD) or a token (PLANTWIRE_TOKEN or --token-file)`);
    const res = await this.raw('POST', 'auth/token', {
      client_id: 'node-red-admin',
      grant_type: 'password',
      scope: '*',
      username: this.target.auth.username,
      password: this.target.auth.password,
    });
    const token = (res.body as { access_token?: unknown } | undefined)?.access_token;
    if (res.status === 401 || res.status === 403) throw new PlantwireError('auth-failed', `login as "${this.target.auth.username}" was refused: check the user and password`);
    if (res.status !== 200 || typeof token !== 'string') throw this.httpError('POST /auth/token', res);
    this.token = token;
    this.loggedIn = true;
  }

  private async raw(method: string, route: string, body?: unknown, headers: Record<string, string> = {}, timeoutMs = this.timeoutMs): Promise<{ status: number; body: unknown }> {
    const url = new URL(route.replace(/^\//, ''), this.base);
    let res: Response;
    try {
      res = await fetch(url, {
        method,
        headers: {
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      const e = toError(err);
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = e.name === 'TimeoutError' ? `no answer within ${timeoutMs / 1000} s` : cause?.code ?? cause?.message ?? e.message;
      throw new PlantwireError('unreachable', `cannot reach ${url.origin}: ${why}`, 'target unreachable');
    }
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, body: parsed };
  }

  /** An authenticated call; 401 names the auth problem. */
  async request<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>, timeoutMs?: number): Promise<{ status: number; body: T }> {
    await this.login();
    const res = await this.raw(method, route, body, headers, timeoutMs);
    if (res.status === 401) throw new PlantwireError('auth-failed', `the target refused ${method} /${route.replace(/^\//, '')} (401): ${this.target.auth.kind === 'none' ? 'it needs a login: add auth to the inventory entry, or pass --user or a token' : 'the login or token is not accepted'}`);
    if (res.status === 403) throw new PlantwireError('forbidden', `the target refused ${method} /${route.replace(/^\//, '')} (403): the user lacks the permission; deploying needs a user with "*" permissions`);
    return res as { status: number; body: T };
  }

  private httpError(what: string, res: { status: number; body: unknown }): PlantwireError {
    const b = res.body as { message?: string; code?: string } | string | undefined;
    const detail = typeof b === 'string' ? b : b?.message ? `${b.code ? `${b.code}: ` : ''}${b.message}` : JSON.stringify(b);
    return new PlantwireError('http', `${what} failed with HTTP ${res.status}${detail ? ` (${detail})` : ''}`);
  }

  async version(): Promise<string> {
    const res = await this.request<{ version?: string }>('GET', 'settings');
    if (res.status !== 200 || typeof res.body?.version !== 'string') throw this.httpError('GET /settings', res);
    return res.body.version;
  }

  async getFlows(): Promise<{ rev: string; flows: FlowNode[] }> {
    const res = await this.request<{ rev: string; flows: FlowNode[] }>('GET', 'flows', undefined, { 'Node-RED-API-Version': 'v2' });
    if (res.status !== 200 || !Array.isArray(res.body?.flows)) throw this.httpError('GET /flows', res);
    return res.body;
  }

  /**
   * Deploys with the v2 API. With `rev`, Node-RED refuses (409) when its flows
   * are no longer that revision: thrown as RevisionConflict. Returns the new rev.
   */
  async setFlows(flows: FlowNode[], rev: string | null, type: 'full' | 'nodes' | 'flows' = 'full'): Promise<string> {
    const body = rev === null ? { flows } : { flows, rev };
    const res = await this.request<{ rev?: string }>('POST', 'flows', body, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': type });
    if (res.status === 409) throw new RevisionConflict(rev ?? '');
    if (res.status !== 200 || typeof res.body?.rev !== 'string') throw this.httpError('POST /flows', res);
    return res.body.rev;
  }

  async nodeSets(): Promise<NodeSet[]> {
    const res = await this.request<NodeSet[]>('GET', 'nodes');
    if (res.status !== 200 || !Array.isArray(res.body)) throw this.httpError('GET /nodes', res);
    return res.body;
  }

  /** Installs a module at a version (or from a URL) with POST /nodes; Node-RED runs npm on the target. */
  async installModule(name: string, version: string, url?: string): Promise<void> {
    // npm runs on the target: a large module takes minutes on a small gateway.
    const res = await this.request('POST', 'nodes', { module: name, version, ...(url ? { url } : {}) }, undefined, INSTALL_TIMEOUT_MS);
    if (res.status !== 200) {
      const b = res.body as { code?: string; message?: string } | undefined;
      const hint =
        res.status === 404 || b?.code === 'not_found'
          ? 'the module or version was not found in the npm registry the target uses (for a private module, give "url" in the bundle\'s module entry: pack --module-url)'
          : b?.code === 'invalid_request' || b?.code === 'module_already_loaded'
            ? 'Node-RED refused the request'
            : b?.code === 'install_failed'
              ? 'npm failed on the target: see its log'
              : 'see the target\'s log';
      throw new PlantwireError('module-install', `installing ${name}@${version}${url ? ` from ${url}` : ''} failed (HTTP ${res.status}${b?.message ? `: ${b.message}` : ''}): ${hint}`);
    }
  }

  /** Which credential fields a node has set: GET /credentials/<type>/<id> names them (`has_password`) without password values. */
  async credentialFields(type: string, id: string): Promise<string[]> {
    const res = await this.request<Record<string, unknown>>('GET', `credentials/${encodeURIComponent(type.replace(/\s+/g, '-'))}/${encodeURIComponent(id)}`);
    if (res.status !== 200 || !res.body || typeof res.body !== 'object') return [];
    const fields = new Set<string>();
    for (const [k, v] of Object.entries(res.body)) {
      if (k.startsWith('has_')) {
        if (v === true) fields.add(k.slice(4));
      } else if (typeof v === 'string' ? v !== '' : v !== undefined && v !== null) fields.add(k);
    }
    return [...fields].sort();
  }

  /** Opens the editor's comms websocket: authenticated, then every runtime message arrives in `messages`. */
  async comms(): Promise<Comms> {
    await this.login();
    const url = new URL('comms', this.base);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return Comms.open(url.toString(), this.token, this.timeoutMs);
  }
}

/** The comms websocket of one target. */
export class Comms {
  readonly messages: CommsMessage[] = [];
  private seq = 0;
  private closed = false;
  private waiters: Array<() => void> = [];

  private constructor(private readonly ws: WebSocket) {}

  static open(url: string, token: string | null, timeoutMs: number): Promise<Comms> {
    return new Promise((resolve, reject) => {
      // The WHATWG WebSocket built into Node.js ≥ 22 (no `ws` dependency).
      if (typeof globalThis.WebSocket !== 'function') {
        reject(new PlantwireError('comms', `this Node.js ${process.version} has no built-in WebSocket: use Node.js 22.13 or newer`));
        return;
      }
      const ws = new WebSocket(url);
      const comms = new Comms(ws);
      let settled = false;
      const finish = (err?: Error): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) {
          ws.close();
          reject(err);
        } else resolve(comms);
      };
      const timer = setTimeout(() => finish(new PlantwireError('comms', `the comms websocket did not open within ${timeoutMs / 1000} s`)), timeoutMs);
      ws.addEventListener('error', (ev: Event) => finish(new PlantwireError('comms', `comms websocket ${url}: ${(ev as { message?: string }).message || (ev as { error?: Error }).error?.message || 'connection failed'}`)));
      ws.addEventListener('close', () => {
        comms.closed = true;
        comms.wake();
        finish(new PlantwireError('comms', 'the comms websocket closed before it was ready'));
      });
      ws.addEventListener('open', () => {
        if (token) ws.send(JSON.stringify({ auth: token }));
        else finish();
      });
      ws.addEventListener('message', (ev: MessageEvent) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(typeof ev.data === 'string' ? ev.data : Buffer.from(ev.data as ArrayBuffer).toString());
        } catch {
          return;
        }
        if (parsed && typeof parsed === 'object' && 'auth' in parsed) {
          if ((parsed as { auth: string }).auth === 'ok') finish();
          else finish(new PlantwireError('auth-failed', 'the comms websocket refused the login'));
          return;
        }
        for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
          if (m && typeof m === 'object' && typeof (m as { topic?: unknown }).topic === 'string') {
            comms.messages.push({ topic: (m as { topic: string }).topic, data: (m as { data?: unknown }).data, seq: comms.seq++ });
          }
        }
        comms.wake();
      });
    });
  }

  /** Asks for retained messages of a topic (`status/#`, `notification/#`); all live messages arrive anyway. */
  subscribe(topic: string): void {
    this.ws.send(JSON.stringify({ subscribe: topic }));
  }

  private wake(): void {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }

  /** Resolves when a message after `fromSeq` matches, or with null at the deadline or when the socket closed. */
  async waitFor(pred: (m: CommsMessage) => boolean, deadline: number, fromSeq = 0): Promise<CommsMessage | null> {
    for (;;) {
      const hit = this.messages.find((m) => m.seq >= fromSeq && pred(m));
      if (hit) return hit;
      const left = deadline - Date.now();
      if (left <= 0 || this.closed) return null;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  get nextSeq(): number {
    return this.seq;
  }

  close(): void {
    this.closed = true;
    this.ws.close();
    this.wake();
  }
}
