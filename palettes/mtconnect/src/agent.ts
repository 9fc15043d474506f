/**
 * The agent connection an mtconnect-agent config node owns: one AgentClient
 * (one keep-alive socket pool) on the SDK's connection kit (ConnectionUsers:
 * the first user "connects" by reading /probe, retried on the kit's backoff,
 * logged once per outage), and with `simulate` the palette's simulated mill
 * served on a free loopback port, reached over real HTTP.
 */
import { ConnectionUsers, type ConnectionState, type Connector } from '@plantwire/sdk';
import { AgentClient } from './client';
import type { DeviceModel } from './mtconnect';
import { MTConnectSimulator } from './simulator';

export interface AgentSettings {
  url: string;
  timeoutMs: number;
  maxBytes: number;
  simulate: boolean;
  user?: string;
  password?: string;
}

/** What an mtconnect-in node gets from useConfig(RED, id, 'mtconnect-agent'). */
export interface AgentHandle {
  client: AgentClient;
  users: ConnectionUsers;
  /** The device model of the last /probe (undefined before the first). */
  model(): DeviceModel | undefined;
  /** Reads /probe again (after an agent restart the model may have changed). */
  reprobe(): Promise<DeviceModel>;
  close(): Promise<void>;
}

export function openAgent(node: { warn(m: string): void; log(m: string): void }, s: AgentSettings): AgentHandle {
  const client = new AgentClient({ url: s.url, timeoutMs: s.timeoutMs, maxBytes: s.maxBytes, user: s.user, password: s.password });
  const sim = s.simulate ? new MTConnectSimulator({ intervalMs: 500 }) : undefined;
  let model: DeviceModel | undefined;
  const listeners = new Set<(st: ConnectionState) => void>();
  const state = (st: ConnectionState): void => listeners.forEach((l) => l(st));
  const reprobe = async (): Promise<DeviceModel> => {
    model = await client.probe();
    return model;
  };
  const connector: Connector = {
    async start() {
      state({ phase: 'connecting', text: 'reading /probe' });
      if (sim) client.retarget(await sim.start());
      const m = await reprobe();
      state({ phase: 'connected', text: `${m.devices.map((d) => d.name).join(', ') || 'no device'}${sim ? ' (simulator)' : ''}` });
    },
    async stop() {
      await sim?.stop();
    },
    onState(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  const users = ConnectionUsers.of(node, connector, { what: `MTConnect agent ${sim ? 'simulator' : s.url}` });
  return {
    client,
    users,
    model: () => model,
    reprobe,
    async close() {
      await users.close();
      await sim?.stop();
      client.close();
    },
  };
}

