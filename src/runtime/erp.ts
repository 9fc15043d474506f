/**
 * Node-RED glue shared by the ERP nodes: what plantwire-erp-connection owns
 * (one HTTP client + driver, its users, its state) and the admin routes of
 * the dialogs ("Test connection", mapping preview).
 */
import { erpSettings, openErp, type ErpConnection, type ErpCredentials } from '../connectors/erp/index';
import { Backoff } from '../model/backoff';
import { PlantwireError, toError } from '../model/errors';
import { previewExpression } from '../transforms/map';
import { addAdminRoute } from './admin';
import { attachHandle, configHandle } from './config-node';
import { redUtil } from './red-util';
import { reuseSecrets } from './secret-origin';
import { ConnectionUsers } from './registry';
import type { StatusState } from './status';
import type { RedApi, RedNode } from './types';

const KEY = 'erp';

export interface ErpHandle {
  readonly conn: ErpConnection;
  readonly users: ConnectionUsers;
  /** The connection's last state (for a sink's idle status). */
  state(): { state: StatusState; text: string };
  /** Called whenever the connection check succeeds (sinks retry their buffer then). */
  onUp(listener: () => void): () => void;
  close(): Promise<void>;
}

/**
 * Opens the connection for a config node and attaches it for its users. The
 * first user triggers `driver.test()` (login, CSRF token, metadata): its answer
 * is the users' status. A failed check is shown in red on every user and
 * repeated on the shared backoff (src/model/backoff.ts: 2 s doubling to
 * 60 s, or settings.js `plantwire.retryMinMs/retryMaxMs`) until it succeeds; like the other
 * connection nodes it logs one line per outage (info level), not one per try.
 */
export function createErpHandle(node: RedNode, conn: ErpConnection, retry: { minMs?: number; maxMs?: number } = {}): ErpHandle {
  let current: { state: StatusState; text: string } = { state: 'idle', text: `${conn.label}: not used yet` };
  const listeners = new Set<() => void>();
  let running = false;
  let timer: NodeJS.Timeout | null = null;
  const backoff = new Backoff({ initialMs: retry.minMs ?? 2000, maxMs: retry.maxMs ?? 60_000 });
  let wasUp = true;
  const check = async (): Promise<void> => {
    timer = null;
    try {
      const text = await conn.driver.test();
      if (!running) return;
      if (!wasUp) node.log(`${conn.label}: reachable again (${text})`);
      wasUp = true;
      backoff.reset();
      current = { state: 'ok', text };
      users.setState('ok', text);
      for (const l of listeners) l();
    } catch (err) {
      if (!running) return;
      const text = toError(err).message;
      const delay = backoff.next();
      if (wasUp) node.log(`${conn.label}: ${text} (checking again with backoff; buffered documents wait)`);
      wasUp = false;
      current = { state: 'error', text };
      users.setState('error', text);
      timer = setTimeout(() => void check(), delay);
      timer.unref?.();
    }
  };
  const users: ConnectionUsers = new ConnectionUsers(node, {
    // Never rejects: the check repeats itself until the ERP answers (its state reaches every user).
    async connect() {
      running = true;
      void check();
    },
    async disconnect() {
      running = false;
      if (timer) clearTimeout(timer);
      timer = null;
      current = { state: 'idle', text: 'disconnected' };
    },
  });
  const handle: ErpHandle = {
    conn,
    users,
    state: () => current,
    onUp(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      listeners.clear();
      await users.close();
      if (timer) clearTimeout(timer);
      conn.close();
    },
  };
  attachHandle(node, KEY, handle);
  return handle;
}

/** The handle of a user node's `connection` setting, or a PlantwireError saying what to fix. */
export function erpOf(RED: RedApi, id: unknown): ErpHandle {
  return configHandle<ErpHandle>(RED, id, KEY, 'ERP connection', 'connection');
}

const ROUTES = Symbol.for('plantwire.erp-routes');

/**
 * The dialog's current values. A secret left unchanged (`__PWRD__`) or absent
 * is taken from the deployed node only when the dialog's URL (token URL for
 * the OAuth client secret) has the deployed origin — scheme, host, port —
 * so the stored password can never be sent to another address.
 */
export function dialogErpSettings(RED: RedApi, body: unknown): ReturnType<typeof erpSettings> {
  const b = (body ?? {}) as { id?: unknown; config?: Record<string, unknown>; credentials?: Record<string, unknown> };
  if (!b.config || typeof b.config !== 'object') throw new PlantwireError('bad-request', 'send {id?, config: {kind, url, …}, credentials: {user, password, …}}', 'bad request');
  const deployedNode = typeof b.id === 'string' && b.id !== '' ? RED.nodes.getNode(b.id) : null;
  const deployed = deployedNode ? tryErpHandle(RED, b.id)?.conn.settings : undefined;
  const stored = deployedNode?.credentials ?? {};
  const str = (v: unknown): string => (typeof v === 'string' ? v.trim() : '');
  const creds: ErpCredentials = {
    ...reuseSecrets({ deployedUrl: deployed?.url, requestedUrl: str(b.config.url), stored, sent: b.credentials, keys: ['user', 'password', 'apiKey'] as const, what: 'ERP connection' }),
    ...reuseSecrets({ deployedUrl: deployed?.tokenUrl ?? deployed?.url, requestedUrl: str(b.config.tokenUrl) || str(b.config.url), stored, sent: b.credentials, keys: ['clientId', 'clientSecret'] as const, what: 'ERP connection' }),
  };
  const s = erpSettings(b.config, creds);
  // A dialog button should answer within seconds.
  s.timeoutMs = Math.min(s.timeoutMs, 15_000);
  return s;
}

function tryErpHandle(RED: RedApi, id: unknown): ErpHandle | undefined {
  try {
    return erpOf(RED, id);
  } catch {
    return undefined;
  }
}

/** The dialogs' admin routes, added once per runtime. */
export function addErpRoutes(RED: RedApi): void {
  const admin = RED.httpAdmin as unknown as { [ROUTES]?: boolean };
  if (admin[ROUTES]) return;
  admin[ROUTES] = true;
  // "Test connection" with the dialog's values, credentials not yet deployed included:
  // it makes requests with them, so it needs write permission.
  addAdminRoute(RED, {
    method: 'post',
    path: 'erp/test',
    permission: 'plantwire-erp-connection.write',
    async handler(req) {
      const conn = openErp(dialogErpSettings(RED, req.body));
      try {
        const message = await conn.driver.test();
        return { ok: true, message };
      } catch (err) {
        const e = toError(err);
        throw new PlantwireError('erp-test-failed', `${conn.label}: ${e.message}`, 'test failed');
      } finally {
        conn.close();
      }
    },
  });
  // The mapping (and key) preview of plantwire-erp-out: evaluates JSONata on the server with Node-RED's own JSONata.
  addAdminRoute(RED, {
    method: 'post',
    path: 'erp/preview',
    permission: 'plantwire-erp-out.write',
    async handler(req) {
      const body = (req.body ?? {}) as { mapping?: unknown; key?: unknown; message?: unknown };
      const util = redUtil(RED);
      const mapping = await previewExpression(util, body.mapping, body.message);
      const key = typeof body.key === 'string' && body.key.trim() !== '' ? await previewExpression(util, body.key, body.message) : null;
      return { mapping, key };
    },
  });
}
