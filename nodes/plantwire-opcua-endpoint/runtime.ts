import { browseChildren, endpointSettings, isBrowsePath, isNodeIdString, OpcUaConnection, type EndpointSettings } from '../../src/connectors/opcua';
import { routeOpcuaLog } from '../../src/connectors/opcua/lib';
import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { defineConfigNode, findConfig, useConfig } from '../../src/runtime/config-node';
import { closeEndpointHandle, createEndpointHandle, ENDPOINT_MIGRATIONS, opcuaPkiDir, OPCUA_ENDPOINT_TYPE, secureEndpointDefaults, type OpcUaEndpointHandle } from '../../src/runtime/opcua';
import { reuseSecrets } from '../../src/runtime/secret-origin';
import type { AdminRequest, NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

const TYPE = OPCUA_ENDPOINT_TYPE;
const VERSION = spec.version;


interface EndpointConfig extends NodeConfig {
  url: string;
  securityMode: string;
  securityPolicy: string;
  allowDeprecated: boolean;
  auth: string;
  userCertificate: string;
  userPrivateKey: string;
}

/**
 * A connection for one admin request with the dialog's settings (endpoint not
 * deployed yet, or edited): opened for the request and closed before the route
 * answers, so a failed browse never keeps dialling the given host.
 */
async function withTemporaryConnection<T>(RED: RedApi, settings: EndpointSettings, start: boolean, fn: (c: OpcUaConnection) => Promise<T>): Promise<T> {
  const connection = new OpcUaConnection(settings, { pkiDir: opcuaPkiDir(RED), log: { info: () => undefined, warn: (m) => RED.log.warn(`[${TYPE}] ${m}`) } });
  if (start) connection.start();
  try {
    return await fn(connection);
  } finally {
    await connection.stop();
  }
}

function deployed(RED: RedApi, id: string | undefined): OpcUaEndpointHandle {
  const node = RED.nodes.getNode(id ?? '');
  if (!node || node.type !== TYPE) throw new PlantwireError('not-found', `no deployed ${TYPE} with id ${id}: deploy the flow first (or browse with the endpoint's settings)`, 'endpoint not deployed');
  return useConfig(RED, id, TYPE);
}

/**
 * The dialog's endpoint settings. The request carries its own user name and
 * password; a password left unchanged (`__PWRD__`) or absent is taken from the
 * deployed endpoint `id` only when the URL has its origin (scheme, host, port).
 */
function settingsFromBody(RED: RedApi, req: AdminRequest): EndpointSettings {
  const body = (req.body ?? {}) as { id?: unknown; endpoint?: Record<string, unknown>; credentials?: { username?: unknown; password?: unknown } };
  if (!body.endpoint || typeof body.endpoint !== 'object') throw new PlantwireError('bad-request', 'send {endpoint: {url, securityMode, securityPolicy, auth, …}, credentials?: {username, password}}', 'bad request');
  const node = typeof body.id === 'string' && body.id !== '' ? RED.nodes.getNode(body.id) : null;
  const dep = findConfig(RED, body.id, TYPE)?.settings;
  const creds = reuseSecrets({
    deployedUrl: dep?.url,
    requestedUrl: typeof body.endpoint.url === 'string' ? body.endpoint.url.trim() : '',
    stored: dep ? node?.credentials : undefined,
    sent: body.credentials,
    keys: ['username', 'password'] as const,
    what: 'OPC UA endpoint',
  });
  return endpointSettings(body.endpoint, creds);
}

function browseQuery(req: AdminRequest, body: Record<string, unknown> = {}): { node: string; path?: string } {
  const rawNode = body.node ?? req.query.node;
  const rawPath = body.path ?? req.query.path;
  const node = typeof rawNode === 'string' && rawNode !== '' ? rawNode : 'i=85';
  if (!isNodeIdString(node)) throw new PlantwireError('bad-request', `node must be a NodeId (ns=2;s=…, i=85), got ${JSON.stringify(rawNode)}`, 'bad node');
  if (rawPath !== undefined && rawPath !== '' && (typeof rawPath !== 'string' || !isBrowsePath(rawPath))) {
    throw new PlantwireError('bad-request', `path must be a browse path (/Objects/…), got ${JSON.stringify(rawPath)}`, 'bad path');
  }
  return typeof rawPath === 'string' && rawPath !== '' ? { node, path: rawPath } : { node };
}

async function browseWith(connection: OpcUaConnection, q: { node: string; path?: string }): Promise<unknown> {
  const ctx = await connection.session(Math.min(connection.settings.requestTimeoutMs, 15_000), { failFast: true });
  return browseChildren(ctx, q.node, q.path ? { browsePath: q.path } : {});
}

function statusBody(connection: OpcUaConnection): unknown {
  const s = connection.state;
  return { phase: s.phase, status: s.status, text: s.text, detail: s.detail, sessions: s.sessions, pendingCertificate: connection.pendingCertificate };
}

export = function register(RED: RedApi): void {
  // node-opcua's own console output goes to Node-RED's log at debug level (`logging.console.level: "debug"` shows it).
  routeOpcuaLog((line) => RED.log.debug(line));
  defineConfigNode<EndpointConfig, EndpointSettings, OpcUaEndpointHandle>(RED, {
    type: TYPE,
    label: 'OPC UA endpoint',
    field: 'endpoint',
    version: { current: VERSION, migrations: ENDPOINT_MIGRATIONS },
    credentials: spec.credentials,
    settings: (config, creds) => endpointSettings(secureEndpointDefaults(config), creds),
    open: (node, settings) => createEndpointHandle(RED, node, settings),
    close: closeEndpointHandle,
    // "Test connection" with the dialog's settings: a connection of its own, a session, one browse of Objects, closed again.
    test: {
      what: 'OPC UA endpoint',
      secretKeys: ['username', 'password'],
      address: (c) => String(c.url ?? '').trim(),
      async run(c, creds) {
        const settings = endpointSettings(c, creds);
        const connection = new OpcUaConnection(settings, { pkiDir: opcuaPkiDir(RED), log: { info: () => undefined, warn: () => undefined } });
        connection.start();
        try {
          const items = (await browseWith(connection, { node: 'i=85' })) as { items?: unknown[] };
          const n = items.items?.length ?? 0;
          return `connected to ${settings.url} (security ${settings.securityMode}${settings.securityMode === 'None' ? '' : ` ${settings.securityPolicy}`}); Objects holds ${n} node${n === 1 ? '' : 's'}`;
        } finally {
          await connection.stop().catch(() => undefined);
        }
      },
    },
  });

  // Browse a deployed endpoint (read permission): GET /plantwire/opcua/<id>/browse?node=<NodeId>&path=<browse path>
  addAdminRoute(RED, {
    method: 'get',
    path: 'opcua/:id/browse',
    permission: `${TYPE}.read`,
    async handler(req) {
      const handle = deployed(RED, req.params.id);
      const q = browseQuery(req);
      handle.lease();
      return browseWith(handle.connection, q);
    },
  });

  // Browse with settings from the dialog (endpoint not deployed yet; write permission: it opens connections).
  addAdminRoute(RED, {
    method: 'post',
    path: 'opcua/browse',
    permission: `${TYPE}.write`,
    async handler(req) {
      const settings = settingsFromBody(RED, req);
      const q = browseQuery(req, (req.body ?? {}) as Record<string, unknown>);
      return withTemporaryConnection(RED, settings, true, (c) => browseWith(c, q));
    },
  });

  // Connection state and the server certificate waiting to be trusted.
  addAdminRoute(RED, {
    method: 'get',
    path: 'opcua/:id/status',
    permission: `${TYPE}.read`,
    handler(req) {
      return statusBody(deployed(RED, req.params.id).connection);
    },
  });

  // Trust the server certificate a deployed endpoint was refused (write permission).
  addAdminRoute(RED, {
    method: 'post',
    path: 'opcua/:id/trust',
    permission: `${TYPE}.write`,
    async handler(req) {
      const handle = deployed(RED, req.params.id);
      const info = await handle.connection.trustServerCertificate();
      return { ok: true, trusted: info };
    },
  });

  // Trust the certificate of a server given by settings (endpoint not deployed yet).
  addAdminRoute(RED, {
    method: 'post',
    path: 'opcua/trust',
    permission: `${TYPE}.write`,
    async handler(req) {
      const settings = settingsFromBody(RED, req);
      const info = await withTemporaryConnection(RED, settings, false, (c) => c.trustServerCertificate());
      return { ok: true, trusted: info };
    },
  });
};
