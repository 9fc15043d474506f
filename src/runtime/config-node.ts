/**
 * The connection kit's Node-RED side: how a config node is defined
 * (`defineConfigNode`) and how the nodes that use it find what it owns
 * (`useConfig`). Below it, in src/model/: ConnectionUsers (users register /
 * deregister(node, removed), the retry supervisor on the one backoff, one log
 * line per outage), the Connector contract (start/stop/state) and the one
 * mapping of a typed connection state to a status (connectionStatus).
 *
 * A config node attaches one handle under its type. A user looks the config
 * node up by the id in its configuration and gets the handle, typed by
 * ConfigHandles, or a PlantwireError that says what to do — for a config node
 * whose own settings are wrong, the problem itself (the user shows it in red).
 */
import { PlantwireError, toError } from '../model/errors';
import type { CloudConnection } from '../connectors/cloud/connection';
import type { SmtpServer } from '../connectors/email/server';
import type { HistorianConnection } from '../connectors/historian/connection';
import type { ModbusDeviceHandle } from '../connectors/modbus/device';
import type { MqttBroker } from '../connectors/mqtt/broker';
import type { NatsLink } from '../connectors/nats/connection';
import { onClose } from './close';
import { defineNode, type CredentialsSpec } from './define';
import type { ErpHandle } from './erp';
import type { VersionSpec } from './migrate';
import type { OpcUaEndpointHandle } from './opcua';
import { addConnectionTest, type ConnectionTest } from './test-connection';
import type { NodeConfig, RedApi, RedNode } from './types';

/** What each config node type hands its users. Other palettes' config nodes add theirs with `declare module`. */
export interface ConfigHandles {
  'plantwire-opcua-endpoint': OpcUaEndpointHandle;
  'plantwire-mqtt-broker': MqttBroker;
  'plantwire-modbus-device': ModbusDeviceHandle;
  'plantwire-historian-db': HistorianConnection;
  'plantwire-erp-connection': ErpHandle;
  'plantwire-cloud-connection': CloudConnection;
  'plantwire-smtp-server': SmtpServer;
  'plantwire-nats-connection': NatsLink;
}

const HANDLES = Symbol.for('plantwire.config-handles');
const PROBLEMS = Symbol.for('plantwire.config-problems');

type WithHandles = RedNode & { [HANDLES]?: Map<string, unknown>; [PROBLEMS]?: Map<string, Error> };

/** How users name a config node type in messages: "MQTT broker", and their dialog field, "broker". */
const NAMES = new Map<string, { label: string; field: string }>();

export function attachHandle(node: RedNode, key: string, handle: unknown): void {
  const n = node as WithHandles;
  n[HANDLES] ??= new Map();
  n[HANDLES].set(key, handle);
}

/** Records why a config node has no handle, so that its users can say it. */
export function attachProblem(node: RedNode, key: string, problem: Error): void {
  const n = node as WithHandles;
  n[PROBLEMS] ??= new Map();
  n[PROBLEMS].set(key, problem);
}

/**
 * The handle of the config node `id` attached under `key`. `label` names the
 * config node for messages (e.g. "Modbus device"), `field` the dialog field
 * (e.g. "device"). Kept for config nodes not (yet) defined with defineConfigNode.
 */
export function configHandle<T>(RED: RedApi, id: unknown, key: string, label: string, field: string): T {
  if (typeof id !== 'string' || id === '' || id === '_ADD_') {
    throw new PlantwireError('bad-config', `${field}: no ${label} selected; pick or add one in the node's dialog`, `no ${label} selected`);
  }
  const node = RED.nodes.getNode(id) as WithHandles | null;
  if (!node) throw new PlantwireError('bad-config', `${field}: the ${label} (${id}) is not deployed (deleted or disabled?); deploy it or pick another`, `${label} missing`);
  const handle = node[HANDLES]?.get(key);
  if (handle !== undefined) return handle as T;
  const name = node.name ? `"${node.name}"` : `(${id})`;
  const problem = node[PROBLEMS]?.get(key);
  if (problem) {
    const why = problem instanceof PlantwireError ? problem.status : problem.message;
    throw new PlantwireError('bad-config', `${field}: the ${label} ${name} is misconfigured: ${problem.message}`, `${field}: ${why}`);
  }
  if (node.type !== key && NAMES.has(key)) throw new PlantwireError('bad-config', `${field}: node ${name} is of type ${node.type}, not ${key}; pick one in the node's dialog`, `wrong ${field} type`);
  throw new PlantwireError('bad-config', `${field}: the ${label} ${name} has a configuration error; open it and fix the field its log entry names`, `${label} misconfigured`);
}

/**
 * The one lookup: what the config node `id` of type `type` owns, typed, or a
 * PlantwireError naming the problem (none selected, not deployed, another
 * type, or the config node's own configuration error).
 */
export function useConfig<K extends keyof ConfigHandles>(RED: RedApi, id: unknown, type: K): ConfigHandles[K];
export function useConfig<T>(RED: RedApi, id: unknown, type: string): T;
export function useConfig(RED: RedApi, id: unknown, type: string): unknown {
  const names = NAMES.get(type) ?? { label: type, field: 'configuration' };
  return configHandle(RED, id, type, names.label, names.field);
}

/** The handle of a deployed config node of that type, or undefined (no message): for admin routes that may also work without one. */
export function findConfig<K extends keyof ConfigHandles>(RED: RedApi, id: unknown, type: K): ConfigHandles[K] | undefined {
  if (typeof id !== 'string' || id === '') return undefined;
  const node = RED.nodes.getNode(id) as WithHandles | null;
  return node?.type === type ? (node[HANDLES]?.get(type) as ConfigHandles[K] | undefined) : undefined;
}

export interface ConfigNodeSpec<C extends NodeConfig, S, H> {
  type: string;
  /** What users call it in messages ("MQTT broker") and the field their dialogs select it in ("broker"). */
  label: string;
  field: string;
  version?: VersionSpec;
  /** Credentials, declared here and in the editor alike; their values reach `settings`. */
  credentials?: CredentialsSpec;
  /** Parses and checks the (migrated) configuration; a throw is the node's misconfiguration, passed to its users. */
  settings(config: C, credentials: Record<string, string | undefined>, RED: RedApi): S;
  /** Builds what the node owns (a connection is opened by its first user, through ConnectionUsers). */
  open(node: RedNode, settings: S, RED: RedApi): H;
  /** Ends it when the config node closes (default: `handle.close()`). */
  close?(handle: H): void | Promise<void>;
  /**
   * Optional, for a connection that works degraded while misconfigured: a
   * handle carrying the problem (e.g. cloud: deliveries wait in the users'
   * buffers until the credentials are entered).
   */
  misconfigured?(error: Error, config: C, node: RedNode): H;
  /** Problems not worth a log line or an inert node (credentials not entered yet); needs `misconfigured`. */
  quiet?(error: Error): boolean;
  /** The dialog's "Test connection" (POST /plantwire/test/<type>). */
  test?: Omit<ConnectionTest<string>, 'type'>;
  /** Admin routes of the dialogs, added once per runtime. */
  routes?(RED: RedApi): void;
}

/** Registers a config node type on the connection kit. */
export function defineConfigNode<C extends NodeConfig, S, H>(RED: RedApi, spec: ConfigNodeSpec<C, S, H>): void {
  NAMES.set(spec.type, { label: spec.label, field: spec.field });
  if (spec.test) addConnectionTest(RED, { ...spec.test, type: spec.type });
  spec.routes?.(RED);
  defineNode<C>(RED, {
    type: spec.type,
    version: spec.version ?? { current: 1 },
    credentials: spec.credentials,
    setup(node, config) {
      let handle: H;
      let problem: Error | null = null;
      try {
        const creds: Record<string, string | undefined> = {};
        for (const key of Object.keys(spec.credentials ?? {})) creds[key] = node.credentials?.[key];
        handle = spec.open(node, spec.settings(config, creds, RED), RED);
      } catch (err) {
        problem = toError(err);
        attachProblem(node, spec.type, problem);
        if (!spec.misconfigured) throw problem;
        handle = spec.misconfigured(problem, config, node);
        if (spec.quiet?.(problem)) problem = null;
      }
      attachHandle(node, spec.type, handle);
      onClose(node, () => (spec.close ? spec.close(handle) : (handle as { close?(): unknown }).close?.()) as void | Promise<void>);
      if (problem) throw problem;
    },
  });
}
