/**
 * Node-RED glue shared by the ERP nodes: what plantwire-erp-connection owns
 * (one HTTP client + driver, its users, its state) and the admin routes of
 * the dialogs ("Test connection", mapping preview).
 */
import { erpSettings, openErp, type ErpConnection, type ErpCredentials } from '../connectors/erp/index';
import { PlantwireError, toError } from '../model/errors';
import { previewExpression } from '../transforms/map';
import { addAdminRoute } from './admin';
import { findConfig } from './config-node';
import { redUtil } from './red-util';
import { reuseSecrets } from './secret-origin';
import { ConnectionUsers } from './registry';
import type { StatusState } from './status';
import type { RedApi, RedNode } from './types';

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
 * What a config node owns for its users. The first user triggers
 * `driver.test()` (login, CSRF token, metadata): its answer is the users'
 * status. A failed check rejects, so the connection kit's supervisor
 * (ConnectionUsers: the shared backoff, 2 s doubling to 60 s, jittered; one
 * log line per outage) shows it in red on every user and repeats it until it
 * succeeds; buffered documents wait meanwhile.
 */
export function createErpHandle(conn: ErpConnection, node: Pick<RedNode, 'warn' | 'log'>, retry: { minMs?: number; maxMs?: number } = {}): ErpHandle {
  const users: ConnectionUsers = new ConnectionUsers(
    node,
    {
      async connect() {
        users.setState('ok', await conn.driver.test());
      },
      async disconnect() {
        users.setState('idle', 'disconnected');
      },
    },
    { minMs: retry.minMs ?? 2000, maxMs: retry.maxMs ?? 60_000, what: conn.label },
  );
  users.setState('idle', `${conn.label}: not used yet`);
  const offs = new Set<() => void>();
  return {
    conn,
    users,
    state: () => users.status,
    onUp(listener) {
      const off = users.onState((s) => {
        if (s.state === 'ok') listener();
      });
      offs.add(off);
      return () => {
        off();
        offs.delete(off);
      };
    },
    async close() {
      for (const off of offs) off();
      await users.close();
      conn.close();
    },
  };
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
  const deployed = findConfig(RED, b.id, 'plantwire-erp-connection')?.conn.settings;
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
