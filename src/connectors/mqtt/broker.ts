/**
 * What the `plantwire-mqtt-broker` config node owns and hands to its users
 * (mqtt-in, mqtt-out): the shared connection with its user registry, and one
 * Sparkplug edge-node session (own connection, NDEATH will) per edge node id.
 * Uses the runtime glue's types but not Node-RED itself.
 */
import { PlantwireError } from '../../model/errors';
import { ConnectionUsers } from '../../model/connection-users';
import { phaseLook, PHASE_STATUS, type ConnectionPhase, type StatusState } from '../../model/status';
import type { RedNode } from '../../model/node-red-types';
import { MqttConnection, type MqttPhase } from './connection';
import type { BrokerSettings } from './options';
import { EdgeSession, type EdgeSessionOptions, type EdgeSessionState } from './sparkplug/edge-session';
import { HostSession } from './sparkplug/host-session';

/** MQTT's phases are connection phases: their status colours are PHASE_STATUS's. */
export const CONNECTION_LOOK: Record<MqttPhase, StatusState> = PHASE_STATUS;

/** A Sparkplug edge session's states as connection phases. */
const EDGE_PHASE: Record<EdgeSessionState, ConnectionPhase> = {
  connecting: 'connecting',
  live: 'connected',
  'waiting for host': 'connecting',
  offline: 'offline',
  error: 'error',
  stopped: 'stopped',
};
export const EDGE_LOOK: Record<EdgeSessionState, StatusState> = phaseLook(EDGE_PHASE);

export interface EdgeHandle {
  session: EdgeSession;
  users: ConnectionUsers;
}

export interface HostHandle {
  session: HostSession;
  users: ConnectionUsers;
}

export class MqttBroker {
  readonly connection: MqttConnection;
  readonly users: ConnectionUsers;
  private readonly edges = new Map<string, { handle: EdgeHandle; signature: string }>();
  private readonly hosts = new Map<string, HostHandle>();
  /** Last bdSeq per edge node, so a redeployed mqtt-out continues the sequence. */
  private readonly bdSeqs = new Map<string, number>();

  constructor(
    readonly owner: RedNode,
    readonly settings: BrokerSettings,
  ) {
    const connection = new MqttConnection(settings);
    connection.logOutagesTo(owner, `MQTT broker ${settings.label}`);
    this.connection = connection;
    // The connection as a Connector: open() rejects when the first connect fails (the supervisor retries), MQTT's phases are connection phases.
    this.users = ConnectionUsers.of(owner, {
      start: () => connection.open(),
      stop: () => connection.end(),
      onState(listener) {
        const l = (s: { state: MqttPhase; text: string }): void => listener({ phase: s.state, text: s.text });
        connection.on('state', l);
        return () => void connection.off('state', l);
      },
    });
  }

  /**
   * The edge-node session for these options: created on first use, shared by
   * mqtt-out nodes publishing as the same edge node with the same settings,
   * refused when the same edge node id comes with different settings.
   */
  edgeSession(opts: EdgeSessionOptions): EdgeHandle {
    const key = `${opts.group}/${opts.edgeNode}`;
    const signature = JSON.stringify({ device: opts.device ?? '', aliases: opts.useAliases !== false, host: opts.primaryHost ?? '', metrics: opts.metrics ?? [] });
    const existing = this.edges.get(key);
    if (existing) {
      if (existing.signature !== signature) {
        throw new PlantwireError(
          'bad-config',
          `Sparkplug edge node ${key} is already published through this broker by another mqtt-out node with different settings (device, aliases, primary host or metrics): give them the same settings or another edge node id`,
          `edge node ${key} used twice`,
        );
      }
      return existing.handle;
    }
    const last = this.bdSeqs.get(key);
    const session = new EdgeSession(this.settings, { ...opts, bdSeq: last === undefined ? opts.bdSeq : last + 1 });
    session.conn.logOutagesTo(this.owner, `MQTT broker ${this.settings.label} (Sparkplug edge node ${key})`);
    const users = new ConnectionUsers(this.owner, {
      connect: () => session.start(),
      disconnect: async () => {
        this.bdSeqs.set(key, session.edge.bdSeq);
        this.edges.delete(key);
        await session.stop();
      },
    });
    session.on('state', (s: { state: EdgeSessionState; text: string }) => users.setState({ phase: EDGE_PHASE[s.state], text: s.text }));
    const handle = { session, users };
    this.edges.set(key, { handle, signature });
    return handle;
  }

  /**
   * The connection of a Sparkplug host application with this host id (STATE
   * as will and birth), shared by the mqtt-in nodes using that host id.
   */
  hostSession(hostId: string): HostHandle {
    const existing = this.hosts.get(hostId);
    if (existing) return existing;
    const session = new HostSession(this.settings, hostId);
    session.conn.logOutagesTo(this.owner, `MQTT broker ${this.settings.label} (Sparkplug host ${hostId})`);
    const users = new ConnectionUsers(this.owner, {
      connect: () => session.start(),
      disconnect: async () => {
        this.hosts.delete(hostId);
        await session.stop();
      },
    });
    session.conn.on('state', (s: { state: MqttPhase; text: string }) => users.setState({ phase: s.state, text: s.text }));
    const handle = { session, users };
    this.hosts.set(hostId, handle);
    return handle;
  }

  /** Config node close: every connection ends. */
  async close(): Promise<void> {
    const edges = [...this.edges.values()];
    const hosts = [...this.hosts.values()];
    await Promise.all([this.users.close(), this.connection.end(), ...edges.map((e) => e.handle.users.close()), ...hosts.map((h) => h.users.close())]);
  }
}
