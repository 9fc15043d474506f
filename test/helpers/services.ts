/**
 * Local services for integration tests. A test that needs one asks
 * `service('mosquitto')`: when it is down the test is skipped with a
 * "skipped: no Mosquitto at 127.0.0.1:1883" line — unless
 * PLANTWIRE_REQUIRE_SERVICES=1 (CI), where a missing service fails the run.
 */
import net from 'node:net';

export const SERVICES = {
  mosquitto: { label: 'Mosquitto', host: '127.0.0.1', port: 1883 },
  postgres: { label: 'PostgreSQL', host: '127.0.0.1', port: 5432 },
  rabbitmq: { label: 'RabbitMQ', host: '127.0.0.1', port: 5672 },
  redis: { label: 'Redis', host: '127.0.0.1', port: 6379 },
  nats: { label: 'NATS', host: '127.0.0.1', port: 4222 },
  mariadb: { label: 'MariaDB', host: '127.0.0.1', port: 3306 },
} as const;
export type ServiceName = keyof typeof SERVICES;

export function reachable(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('connect', () => finish(true));
    socket.once('error', () => finish(false));
  });
}

export interface ServiceCheck {
  name: ServiceName;
  available: boolean;
  host: string;
  port: number;
  /** Why it is skipped, or '' when available. */
  reason: string;
}

/**
 * Checks a service. Use with top-level await:
 *   const mqtt = await service('mosquitto');
 *   describe.skipIf(!mqtt.available)('…', () => { … });
 */
export async function service(name: ServiceName): Promise<ServiceCheck> {
  const s = SERVICES[name];
  const available = await reachable(s.host, s.port);
  const reason = available ? '' : `skipped: no ${s.label} at ${s.host}:${s.port}`;
  if (!available) {
    if (process.env.PLANTWIRE_REQUIRE_SERVICES === '1') {
      throw new Error(`${s.label} is required (PLANTWIRE_REQUIRE_SERVICES=1) but nothing answers at ${s.host}:${s.port}`);
    }
    console.log(reason);
  }
  return { name, available, host: s.host, port: s.port, reason };
}
