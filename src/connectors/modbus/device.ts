import { ConnectionUsers } from '../../model/connection-users';
import type { Connector } from '../../model/connector';
import type { RedNode } from '../../model/node-red-types';
import { OutageLog } from '../../model/outage-log';
import type { ConnectionState } from '../../model/status';
import { ModbusClient, type ClientState, type WaitInfo } from './client';
import type { ModbusDeviceSettings } from './settings';
import type { TransportFactory } from './transport';

/**
 * What a plantwire-modbus-device config node owns and hands to its users:
 * the settings and the one client (one TCP connection, one request queue).
 */
export interface ModbusDevice {
  readonly settings: ModbusDeviceSettings;
  readonly client: ModbusClient;
  /** `host:port`, for labels and messages. */
  readonly endpoint: string;
}

/** What read and write nodes get from their device config node. */
export interface ModbusDeviceHandle {
  device: ModbusDevice;
  /** Register on setup, deregister on close: the connection opens with the first user and closes after the last. */
  users: Pick<ConnectionUsers, 'register' | 'deregister'>;
}

export function createModbusDevice(settings: ModbusDeviceSettings, transport?: TransportFactory): ModbusDevice {
  const client = new ModbusClient({
    host: settings.host,
    port: settings.port,
    timeoutMs: settings.timeoutMs,
    resetAfterTimeouts: settings.resetAfterTimeouts,
    reconnectMaxMs: settings.reconnectMaxMs,
    reconnectMinMs: Math.min(500, settings.reconnectMaxMs),
    maxQueue: settings.maxQueue,
    transport,
  });
  return { settings, client, endpoint: client.endpoint };
}

/** A client state as the typed connection state (its status colour comes from PHASE_STATUS): short, saying what is wrong. */
export function clientState(state: ClientState, endpoint: string, wait?: WaitInfo): ConnectionState {
  switch (state) {
    case 'connecting':
      return { phase: 'connecting', text: `connecting to ${endpoint}` };
    case 'connected':
      return { phase: 'connected', text: `connected ${endpoint}` };
    case 'waiting': {
      // The client always says why it waits; without that, the plain reconnecting text (both are status vocabulary entries).
      if (!wait) return { phase: 'retrying', text: `reconnecting to ${endpoint}` };
      const retry = wait.retryMs >= 1000 ? `${Math.round(wait.retryMs / 100) / 10} s` : `${wait.retryMs} ms`;
      return { phase: 'retrying', text: `${wait.cause} ${endpoint}, retry ${retry}`, detail: wait.reason };
    }
    case 'stopped':
    case 'idle':
      return { phase: 'stopped', text: 'disconnected' };
  }
}

/**
 * The device's users: the client connects with the first user and stops after
 * the last removed one; it reconnects on its own (the shared backoff), its
 * typed state reaches every user's status, and the log gets one line per
 * outage (down, still down after N attempts, back), not one per retry.
 */
export function modbusDeviceHandle(owner: Pick<RedNode, 'warn' | 'log'>, device: ModbusDevice): ModbusDeviceHandle & { users: ConnectionUsers } {
  const { client, endpoint } = device;
  const users = ConnectionUsers.of(owner, modbusConnector(device));
  const outage = new OutageLog(owner, `Modbus device ${endpoint}`);
  client.on('state', (state: ClientState, _detail: string, wait?: WaitInfo) => {
    if (state === 'connected') outage.succeeded();
    else if (state === 'waiting') outage.failed(wait?.reason ?? 'offline');
    else if (state === 'stopped') outage.clear();
  });
  return { device, users };
}

/** The client as a Connector (src/model/connector.ts): it reconnects by itself, so start() never rejects; its states are typed. */
export function modbusConnector(device: ModbusDevice): Connector {
  const { client, endpoint } = device;
  return {
    start: async () => client.start(),
    stop: async () => client.stop(),
    onState(listener) {
      const l = (state: ClientState, _detail: string, wait?: WaitInfo): void => listener(clientState(state, endpoint, wait));
      client.on('state', l);
      return () => void client.off('state', l);
    },
  };
}

/**
 * "Test connection": connects once and reads holding register 0 of the unit;
 * an answer or a Modbus exception both show that the device talks. Stops the
 * client in every case.
 */
export async function testModbusDevice(settings: ModbusDeviceSettings, transport?: TransportFactory): Promise<string> {
  const { client, endpoint } = createModbusDevice({ ...settings, reconnectMaxMs: 60_000 }, transport);
  try {
    await new Promise<void>((resolve, reject) => {
      client.on('state', (state: ClientState, detail: string) => {
        if (state === 'connected') resolve();
        else if (state === 'waiting') reject(new Error(`${endpoint}: ${detail}`));
      });
      client.start();
    });
    try {
      const res = await client.request({ fc: 3, unitId: settings.unitId, address: 0, count: 1 });
      return `connected to ${endpoint}; unit ${settings.unitId} answered (holding register 0 = ${res.registers?.[0] ?? '?'})`;
    } catch (err) {
      const e = err as { kind?: string; message?: string };
      if (e.kind === 'exception') return `connected to ${endpoint}; unit ${settings.unitId} answered with a Modbus exception for holding register 0 (${e.message})`;
      throw new Error(`connected to ${endpoint}, but unit ${settings.unitId} did not answer: ${e.message ?? String(err)}`);
    }
  } finally {
    client.stop();
  }
}
