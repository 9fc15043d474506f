import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { reachable, service, SERVICES } from '../helpers/services';

describe('service checks', () => {
  const saved = process.env.PLANTWIRE_REQUIRE_SERVICES;
  const savedPort = SERVICES.redis.port;
  afterEach(() => {
    process.env.PLANTWIRE_REQUIRE_SERVICES = saved;
    (SERVICES.redis as { port: number }).port = savedPort;
  });

  it('reachable tells an open port from a closed one', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    expect(await reachable('127.0.0.1', port)).toBe(true);
    server.close();
    await new Promise((r) => server.once('close', r));
    expect(await reachable('127.0.0.1', port)).toBe(false);
  });

  it('a missing service is skipped with a clear line, or fails when services are required', async () => {
    const server = net.createServer().listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as net.AddressInfo).port;
    server.close();
    await new Promise((r) => server.once('close', r));
    (SERVICES.redis as { port: number }).port = port;
    delete process.env.PLANTWIRE_REQUIRE_SERVICES;
    const check = await service('redis');
    expect(check.available).toBe(false);
    expect(check.reason).toBe(`skipped: no Redis at 127.0.0.1:${port}`);
    process.env.PLANTWIRE_REQUIRE_SERVICES = '1';
    await expect(service('redis')).rejects.toThrow(`Redis is required (PLANTWIRE_REQUIRE_SERVICES=1) but nothing answers at 127.0.0.1:${port}`);
  });
});
