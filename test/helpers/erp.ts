/**
 * ERP test helpers: flow builders for the three ERP nodes and a small REST/JSON
 * order service that keeps what it receives (idempotency keys honoured, Link
 * paging, JSON error bodies, and switches for outages and lost responses).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export function erpConnection(id: string, url: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-erp-connection', name: '', version: 1, kind: 'rest', url, sapClient: '', database: '', auth: 'none', tokenUrl: '', scope: '', apiKeyHeader: 'x-api-key', headers: '', timeout: 5, ca: '', rejectUnauthorized: true, ...extra };
}

export function erpOut(id: string, connection: string, wires: string[][] = [[], []], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    type: 'plantwire-erp-out',
    z: 'tab1',
    name: '',
    version: 1,
    connection,
    operation: 'create',
    entity: 'orders',
    key: '',
    action: '',
    mapping: 'payload',
    externalKeyField: '',
    batchSize: 1,
    batchMs: 0,
    bufferMode: 'memory',
    bufferMaxEntries: 100000,
    bufferMaxMB: 64,
    bufferOverflow: 'reject',
    bufferReplayRate: 0,
    x: 300,
    y: 100,
    wires,
    ...extra,
  };
}

export function erpQuery(id: string, connection: string, wires: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { id, type: 'plantwire-erp-query', z: 'tab1', name: '', version: 1, connection, entity: 'orders', filter: '', select: '', expand: '', orderby: '', top: '', x: 300, y: 200, wires: [wires], ...extra };
}

/** A function node that sends `n` messages built by `body` (JS expression of i) when triggered. */
export function burst(id: string, n: number, body: string, target: string): Record<string, unknown> {
  return { id, type: 'function', z: 'tab1', func: `for (let i = 0; i < ${n}; i++) node.send({ payload: ${body}, topic: 'doc-' + i });\nreturn null;`, outputs: 1, x: 150, y: 100, wires: [[target]] };
}

export interface RestOrder {
  id: string;
  [k: string]: unknown;
}

export interface RestService {
  url: string;
  orders: Map<string, RestOrder>;
  /** Requests seen (method + path). */
  requests: Array<{ method: string; path: string; headers: http.IncomingHttpHeaders; body: unknown }>;
  /** Answer 503 (with Retry-After: 0) to everything while true. */
  down: boolean;
  /** Share of creates whose response is lost after the order was stored (socket destroyed). */
  dropAfterCommit: number;
  /** Closes the listening socket and every connection: connections are refused until `listenAgain()`. */
  stopListening(): Promise<void>;
  /** Listens again on the same port. */
  listenAgain(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * /api/orders: POST create (Idempotency-Key: a repeated key returns the first answer with
 * Idempotent-Replayed: true), GET list (?status=…; 2 rows per page with Link rel="next"),
 * /api/orders/:id GET/PATCH/PUT/DELETE, POST /api/orders/:id/confirm.
 * An order with "material": "UNKNOWN" or a confirm of a missing order is refused with 422 and a JSON error.
 */
export async function startRestService(opts: { user?: string; password?: string } = {}): Promise<RestService> {
  const orders = new Map<string, RestOrder>();
  const byKey = new Map<string, { status: number; body: unknown }>();
  let seq = 0;
  const svc: RestService = { url: '', orders, requests: [], down: false, dropAfterCommit: 0, stopListening: async () => undefined, listenAgain: async () => undefined, stop: async () => undefined };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = null;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = text;
      }
      const url = new URL(req.url ?? '/', 'http://x');
      const method = req.method ?? 'GET';
      svc.requests.push({ method, path: url.pathname + url.search, headers: req.headers, body });
      const send = (status: number, payload: unknown, headers: Record<string, string> = {}): void => {
        const out = payload === undefined ? '' : JSON.stringify(payload);
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(out);
      };
      if (opts.user !== undefined) {
        const expected = `Basic ${Buffer.from(`${opts.user}:${opts.password ?? ''}`).toString('base64')}`;
        if (req.headers.authorization !== expected) return send(401, { error: 'unauthorized', error_description: 'wrong user or password' });
      }
      if (svc.down) return send(503, { message: 'maintenance window' }, { 'retry-after': '0' });
      const parts = url.pathname.split('/').filter(Boolean);
      if (parts[0] !== 'api') return send(404, { message: `no route ${url.pathname}` });
      if (parts.length === 1) return send(200, { service: 'orders', version: 1 });
      if (parts[1] !== 'orders') return send(404, { message: `no collection ${parts[1]}` });
      const id = parts[2] ? decodeURIComponent(parts[2]) : undefined;
      if (!id && method === 'POST') {
        const key = String(req.headers['idempotency-key'] ?? '');
        const earlier = key ? byKey.get(key) : undefined;
        if (earlier) return send(earlier.status, earlier.body, { 'idempotent-replayed': 'true' });
        const doc = (body ?? {}) as Record<string, unknown>;
        if (doc.material === 'UNKNOWN') return send(422, { error: { code: 'MAT_UNKNOWN', message: `Material UNKNOWN does not exist in plant ${String(doc.plant ?? '?')}` } });
        seq += 1;
        const order: RestOrder = { ...doc, id: String(doc.id ?? `O-${seq}`), status: doc.status ?? 'created' };
        orders.set(order.id, order);
        if (key) byKey.set(key, { status: 201, body: order });
        if (svc.dropAfterCommit > 0 && Math.random() < svc.dropAfterCommit) {
          // Committed, but the answer never arrives.
          req.socket.destroy();
          return;
        }
        return send(201, order, { location: `/api/orders/${order.id}` });
      }
      if (!id && method === 'GET') {
        const status = url.searchParams.get('status');
        const rows = [...orders.values()].filter((o) => !status || o.status === status);
        const page = Number(url.searchParams.get('page') ?? '1');
        const slice = rows.slice((page - 1) * 2, page * 2);
        const headers: Record<string, string> = {};
        if (page * 2 < rows.length) {
          const next = new URL(url.href);
          next.searchParams.set('page', String(page + 1));
          headers.link = `<${next.pathname}${next.search}>; rel="next"`;
        }
        return send(200, slice, headers);
      }
      if (id && parts[3] === 'confirm' && method === 'POST') {
        const o = orders.get(id);
        if (!o) return send(422, { error: { code: 'ORDER_UNKNOWN', message: `Order ${id} does not exist` } });
        o.status = 'confirmed';
        o.confirmed = ((o.confirmed as number | undefined) ?? 0) + Number((body as Record<string, unknown> | null)?.quantity ?? 0);
        return send(200, o);
      }
      const o = id ? orders.get(id) : undefined;
      if (method === 'PUT' && id) {
        const created = !o;
        const order: RestOrder = { ...((body ?? {}) as Record<string, unknown>), id };
        orders.set(id, order);
        return send(created ? 201 : 200, order);
      }
      if (!o) return send(404, { message: `Order ${id} not found` });
      if (method === 'GET') return send(200, o);
      if (method === 'PATCH') {
        Object.assign(o, body as Record<string, unknown>);
        return send(200, o);
      }
      if (method === 'DELETE') {
        orders.delete(o.id);
        res.writeHead(204);
        return res.end();
      }
      return send(405, { message: `${method} not allowed` });
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  svc.url = `http://127.0.0.1:${port}/api/`;
  svc.stopListening = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  svc.listenAgain = () => new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  svc.stop = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      if (!server.listening) return r();
      server.close(() => r());
    });
  return svc;
}
