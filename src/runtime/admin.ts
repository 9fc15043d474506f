import { PlantwireError, toError } from '../model/errors';
import type { AdminRequest, AdminResponse, RedApi } from './types';

export interface AdminRoute {
  method: 'get' | 'post' | 'delete';
  /** Path under `/plantwire/`, e.g. `simulator/:id/:action`. */
  path: string;
  /** Node-RED permission, e.g. `plantwire-simulator.write`; `.read` for reads. */
  permission: string;
  handler: (req: AdminRequest) => unknown | Promise<unknown>;
}

/** Route parameters may only be ids or plain words: no paths, no traversal. */
const SAFE_PARAM = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * Adds an admin HTTP route that always checks the caller's permission first
 * (Node-RED's `needsPermission`), rejects unsafe route parameters, answers
 * JSON, and maps a PlantwireError to 400 with its message, anything else to
 * 500; a handler's rejected promise never escapes.
 */
export function addAdminRoute(RED: RedApi, route: AdminRoute): void {
  if (!/^[a-z]/.test(route.path)) throw new Error(`admin route path must be relative to /plantwire/: ${route.path}`);
  if (!/\.(read|write)$/.test(route.permission)) throw new Error(`admin route permission must end in .read or .write: ${route.permission}`);
  const full = `/plantwire/${route.path}`;
  RED.httpAdmin[route.method](full, RED.auth.needsPermission(route.permission), (req, res) => {
    for (const [name, value] of Object.entries(req.params ?? {})) {
      if (!SAFE_PARAM.test(value)) {
        res.status(400).json({ error: `invalid ${name}` });
        return;
      }
    }
    Promise.resolve()
      .then(() => route.handler(req))
      .then(
        (body) => res.status(200).json(body ?? { ok: true }),
        (err: unknown) => {
          const e = toError(err);
          if (e instanceof PlantwireError) {
            res.status(e.code === 'not-found' ? 404 : 400).json({ error: e.message, code: e.code });
          } else {
            RED.log.warn(`plantwire admin ${route.method.toUpperCase()} ${full} failed: ${e.message}`);
            res.status(500).json({ error: e.message });
          }
        },
      );
  });
}
