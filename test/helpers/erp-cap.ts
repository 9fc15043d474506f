/**
 * SAP's own CAP runtime in the test process: `@sap/cds` serving the model in
 * test/fixtures/erp-cap/model.cds over OData v4 with `@cap-js/sqlite` on an
 * in-memory database, and over OData v2 through
 * `@cap-js-community/odata-v2-adapter` (cov2ap) in the same express app, on a
 * free loopback port. The model has what the ERP nodes must cope with on a
 * real SAP system: a managed key (cuid: the server sets the UUID), a mandatory
 * field, an ETag (modifiedAt) and a bound action (`complete`).
 *
 * One server per test file (cds is a process-wide singleton; vitest runs each
 * file in its own process).
 *
 * Versions: @sap/cds 10 with @cap-js/sqlite 3, which runs on Node's built-in
 * node:sqlite (no native addon in the test worker), and
 * cov2ap 1.15. cov2ap with cds 9 needed an Accept-Language header on a v2
 * `$metadata` request (500 without); with cds 10 it answers without one, so
 * requests reach the server as the client sent them.
 */
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type http from 'node:http';

export interface CapServer {
  /** http://127.0.0.1:port */
  url: string;
  /** OData v4 service root (trailing slash). */
  v4: string;
  /** OData v2 service root through the adapter (trailing slash). */
  v2: string;
  /** Every stored notification (straight from the database). */
  rows(): Promise<Array<Record<string, unknown>>>;
  /** Empty the table. */
  clear(): Promise<void>;
  /** Requests seen by the server (method, path, selected headers). */
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders }>;
  stop(): Promise<void>;
}

export const CAP_ENTITY = 'Notifications';
export const CAP_ACTION = 'complete';

interface Cds {
  env: { requires: Record<string, unknown> };
  load(files: string): Promise<unknown>;
  compile: { for: { nodejs(csn: unknown): unknown } };
  connect: { to(name: string): Promise<unknown> };
  deploy(csn: unknown): { to(db: unknown): Promise<unknown> };
  serve(what: string, opts?: Record<string, unknown>): { in(app: unknown): Promise<unknown> };
  emit(event: string, ...args: unknown[]): Promise<void> | void;
  log(id: string, level?: number): unknown;
  model: unknown;
  db: { run(q: unknown): Promise<unknown> };
  services: Record<string, unknown>;
  ql: { SELECT: { from(e: string): unknown }; DELETE: { from(e: string): unknown } };
}

export async function startCap(): Promise<CapServer> {
  const cds = require('@sap/cds') as Cds;
  const express = require('express') as () => {
    use(fn: unknown): void;
    listen(port: number, host: string): http.Server;
  };
  const cov2ap = require('@cap-js-community/odata-v2-adapter') as (opts?: Record<string, unknown>) => unknown;
  // Quiet unless PLANTWIRE_TEST_LOG=1 (CAP logs every request and every refused document).
  if (process.env.PLANTWIRE_TEST_LOG !== '1') for (const id of ['cds', 'odata', 'serve', 'sqlite', 'db', 'cov2ap', 'cov2ap/hpm', 'hpm', 'error', 'app', 'server', 'deploy', 'cds.deploy']) cds.log(id, 0);
  cds.env.requires.db = { kind: 'sqlite', impl: '@cap-js/sqlite', credentials: { url: ':memory:' } };
  const dir = path.resolve(__dirname, '..', 'fixtures', 'erp-cap');
  const app = express();
  const requests: CapServer['requests'] = [];
  app.use((req: http.IncomingMessage, _res: unknown, next: () => void) => {
    requests.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers });
    next();
  });
  app.use(cov2ap({ target: 'auto' }));
  const csn = await cds.load(path.join(dir, 'model.cds'));
  cds.model = cds.compile.for.nodejs(csn);
  cds.db = (await cds.connect.to('db')) as Cds['db'];
  await cds.deploy(csn).to(cds.db);
  await cds.serve('all', { from: csn }).in(app);
  await cds.emit('served', cds.services);
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // cov2ap with target 'auto' learns the v4 backend's address from this event.
  await cds.emit('listening', { server, url });
  const table = 'plantwire.test.MaintNotifications';
  return {
    url,
    v4: `${url}/odata/v4/plant/`,
    v2: `${url}/odata/v2/plant/`,
    requests,
    rows: async () => (await cds.db.run(cds.ql.SELECT.from(table))) as Array<Record<string, unknown>>,
    clear: async () => {
      await cds.db.run(cds.ql.DELETE.from(table));
    },
    stop: async () => {
      await new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      });
      // Close the SQLite database before the test worker exits.
      await (cds.db as unknown as { disconnect?: () => Promise<void> }).disconnect?.();
    },
  };
}
