import type { ConnectionUsers } from '../../model/connection-users';
import type { StatusState } from '../../model/status';
import { ModbusClient, type ClientState } from './client';
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

/** Key under which the device config node attaches its handle (src/runtime/config-node.ts). */
export const MODBUS_DEVICE_HANDLE = 'plantwire-modbus-device';

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

/** The node status for a client state: short, and saying what is wrong. */
export function clientStatus(state: ClientState, detail: string, endpoint: string): { state: StatusState; text: string } {
  switch (state) {
    case 'connecting':
      return { state: 'busy', text: `connecting to ${endpoint}` };
    case 'connected':
      return { state: 'ok', text: `connected ${endpoint}` };
    case 'waiting': {
      // "connect 127.0.0.1:502 failed: connect ECONNREFUSED 127.0.0.1:502; retrying in 2 s" → "ECONNREFUSED, retry in 2 s"
      const errno = /\b(E[A-Z]{4,})\b/.exec(detail)?.[1];
      const retry = /retrying in (.+)$/.exec(detail)?.[1];
      const why = errno ?? (/no answer/.test(detail) ? 'no answer' : /timed out/.test(detail) ? 'connect timeout' : 'offline');
      return { state: 'error', text: `${why} ${endpoint}${retry ? `, retry ${retry}` : ''}` };
    }
    case 'stopped':
    case 'idle':
      return { state: 'idle', text: 'disconnected' };
  }
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
