/**
 * Node-RED glue shared by the OPC UA nodes: the endpoint config node's handle
 * (settings, the shared connection, its users) and how user nodes find it.
 * The protocol logic lives in src/connectors/opcua/.
 */
import os from 'node:os';
import path from 'node:path';
import { OpcUaConnection, pkiDirFor, type EndpointSettings } from '../connectors/opcua';
import { toError } from '../model/errors';
import { ConnectionUsers } from './registry';
import type { RedApi, RedNode } from './types';

export const OPCUA_ENDPOINT_TYPE = 'plantwire-opcua-endpoint';

/**
 * Version 2 made SignAndEncrypt + Basic256Sha256 the default of a new endpoint.
 * A version-1 endpoint saved without a security mode ran with None: it keeps
 * None explicitly, so existing flows work as before.
 */
export const ENDPOINT_MIGRATIONS = {
  1: (c: Record<string, unknown>): Record<string, unknown> => ({
    ...c,
    securityMode: c.securityMode === undefined || c.securityMode === null || c.securityMode === '' ? 'None' : c.securityMode,
  }),
};

/** A version-2 endpoint without a security mode (a hand-written flow) gets the secure default. */
export function secureEndpointDefaults<C extends { securityMode?: unknown; securityPolicy?: unknown }>(config: C): C {
  if (config.securityMode !== undefined && config.securityMode !== null && config.securityMode !== '') return config;
  return { ...config, securityMode: 'SignAndEncrypt', securityPolicy: config.securityPolicy || 'Basic256Sha256' } as C;
}

/** What a deployed endpoint config node offers its users. */
export interface OpcUaEndpointHandle {
  readonly id: string;
  readonly label: string;
  readonly settings: EndpointSettings;
  readonly connection: OpcUaConnection;
  readonly users: ConnectionUsers;
  /** Keeps the connection open for the editor's browsing for a while (no node needs to use it). */
  lease(): void;
}

/** The PKI folder: `settings.plantwire.opcuaPkiDir`, else `<userDir>/plantwire/opcua/pki`. */
export function opcuaPkiDir(RED: RedApi): string {
  const custom = (RED.settings.plantwire as { opcuaPkiDir?: unknown } | undefined)?.opcuaPkiDir;
  if (typeof custom === 'string' && custom.trim() !== '') return path.resolve(custom);
  return pkiDirFor(RED.settings.userDir ?? path.join(os.homedir(), '.node-red'));
}

const LEASE_MS = 60_000;

/** Builds the handle of an endpoint config node: one connection, opened for its first user. */
export function createEndpointHandle(RED: RedApi, node: RedNode, settings: EndpointSettings): OpcUaEndpointHandle {
  const connection = new OpcUaConnection(settings, {
    pkiDir: opcuaPkiDir(RED),
    log: { info: (m) => node.log(m), warn: (m) => node.warn(m) },
  });
  // The connection reconnects by itself (start() never rejects); its typed states reach every user.
  const users = ConnectionUsers.of(node, { start: async () => connection.start(), stop: () => connection.stop(), onState: (l) => connection.onState(l) });
  // A state reached while the flows were starting (e.g. a missing key file, found at once) is
  // sent again once every node runs, so that Status nodes created after the user see it.
  const repeat = (): void => {
    if (users.size > 0 && connection.state.phase !== 'connected' && connection.state.phase !== 'stopped') users.setState(connection.state);
  };
  RED.events?.once('flows:started', repeat);
  // A pseudo user standing for the editor's browse requests.
  const browser = {
    id: `${node.id}#editor`,
    type: 'editor',
    status: () => undefined,
    send: () => undefined,
    log: () => undefined,
    warn: () => undefined,
    error: () => undefined,
    debug: () => undefined,
    on: () => undefined,
  } as unknown as RedNode;
  let leaseTimer: NodeJS.Timeout | null = null;
  const label = node.name || settings.url;
  return {
    id: node.id,
    label,
    settings,
    connection,
    users,
    lease() {
      if (leaseTimer) clearTimeout(leaseTimer);
      else users.register(browser);
      leaseTimer = setTimeout(() => {
        leaseTimer = null;
        void users.deregister(browser).catch((err: unknown) => node.warn(`closing the browse connection failed: ${toError(err).message}`));
      }, LEASE_MS);
      leaseTimer.unref?.();
    },
  };
}

/** Stops the lease timer and the connection (config node close). */
export async function closeEndpointHandle(handle: OpcUaEndpointHandle): Promise<void> {
  await handle.users.close();
}
