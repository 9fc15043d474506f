/**
 * "Test connection" for the connection config nodes' dialogs: one admin route
 * per type, `POST /plantwire/test/<type>` with `{id?, config, credentials}`
 * (the dialog's current values, not yet deployed), answering `{ok, message}`
 * or `{error}` — the same format as the ERP and SMTP tests, shown by the
 * editor's PlantwireEditor.testButton.
 *
 * Secrets: a credential field the dialog left unchanged (`__PWRD__`) takes
 * the deployed node's stored value only when the test contacts the deployed
 * address (same scheme, host and port: secret-origin.ts); for another address
 * the user must type it again. The route needs the type's write permission,
 * as it makes network requests with the values it is given.
 */
import { PlantwireError, toError } from '../model/errors';
import { addAdminRoute } from './admin';
import { reuseSecrets } from './secret-origin';
import type { RedApi } from './types';

/** A test must answer within this time, whatever the library's own timeouts. */
export const TEST_TIMEOUT_MS = 20_000;

export interface ConnectionTest<K extends string> {
  /** The config node type; the route is `test/<type>` with permission `<type>.write`. */
  type: string;
  /** What the user calls it, for messages: "historian database". */
  what: string;
  /** Credential fields that may be reused from the deployed node. */
  secretKeys: readonly K[];
  /** The address the test contacts, for the same-origin check (URL or `host:port`). */
  address(config: Record<string, unknown>): string;
  /** Connects with these settings, checks, disconnects; resolves with what was seen, e.g. "connected to …". */
  run(config: Record<string, unknown>, credentials: Partial<Record<K, string>>, signal: AbortSignal): Promise<string>;
}

interface RedWithFlows {
  nodes: { eachNode?(cb: (n: Record<string, unknown>) => void): void; getNode(id: string): { credentials?: Record<string, unknown> } | null };
}

/** The deployed configuration of node `id`, if any. */
function deployedConfig(RED: RedApi, id: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  (RED as unknown as RedWithFlows).nodes.eachNode?.((n) => {
    if (n.id === id) found = n;
  });
  return found;
}

/** Adds the route for one type (once per runtime). */
export function addConnectionTest<K extends string>(RED: RedApi, test: ConnectionTest<K>): void {
  const admin = RED.httpAdmin as unknown as { [key: symbol]: boolean };
  const mark = Symbol.for(`plantwire.test.${test.type}`);
  if (admin[mark]) return;
  admin[mark] = true;
  addAdminRoute(RED, {
    method: 'post',
    path: `test/${test.type}`,
    permission: `${test.type}.write`,
    async handler(req) {
      const body = (req.body ?? {}) as { id?: unknown; config?: unknown; credentials?: unknown };
      if (!body.config || typeof body.config !== 'object') throw new PlantwireError('bad-request', 'send {id?, config: {…the dialog fields}, credentials: {…}}', 'bad request');
      const config = body.config as Record<string, unknown>;
      const id = typeof body.id === 'string' ? body.id : '';
      const deployed = id ? deployedConfig(RED, id) : undefined;
      const credentials = reuseSecrets<K>({
        deployedUrl: deployed ? safeAddress(test, deployed) : undefined,
        requestedUrl: test.address(config),
        stored: id ? ((RED.nodes.getNode(id)?.credentials ?? undefined) as Partial<Record<K, unknown>> | undefined) : undefined,
        sent: (body.credentials ?? {}) as Record<string, unknown>,
        keys: test.secretKeys,
        what: test.what,
      });
      const ctl = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          ctl.abort();
          reject(new PlantwireError('test-timeout', `no answer within ${TEST_TIMEOUT_MS / 1000} s from ${test.address(config)}`, 'test timed out'));
        }, TEST_TIMEOUT_MS);
      });
      try {
        const message = await Promise.race([test.run(config, credentials, ctl.signal), timeout]);
        return { ok: true, message };
      } catch (err) {
        const e = toError(err);
        throw e instanceof PlantwireError ? e : new PlantwireError('test-failed', e.message, 'test failed');
      } finally {
        clearTimeout(timer);
        ctl.abort();
      }
    },
  });
}

function safeAddress<K extends string>(test: ConnectionTest<K>, config: Record<string, unknown>): string | undefined {
  try {
    return test.address(config);
  } catch {
    return undefined;
  }
}
