/**
 * The pieces every connection shares (src/model): the one backoff, the one
 * log line per outage, and ConnectionUsers keeping a connection across a
 * partial deploy (deregister(node, removed)).
 */
import { describe, expect, it, vi } from 'vitest';
import { Backoff, backoffDelay } from '../../src/model/backoff';
import { ConnectionUsers } from '../../src/model/connection-users';
import { OutageLog } from '../../src/model/outage-log';
import { fakeNode } from '../helpers/fake-node';

describe('Backoff', () => {
  it('doubles from initialMs to the cap, jitters down only, and starts again after reset()', () => {
    const exact = new Backoff({ initialMs: 100, maxMs: 800 }, () => 0);
    expect([1, 2, 3, 4, 5].map(() => exact.next())).toEqual([100, 200, 400, 800, 800]);
    expect(exact.attempts).toBe(5);
    exact.reset();
    expect(exact.next()).toBe(100);
    const jittered = new Backoff({ initialMs: 100, maxMs: 800, jitter: 0.3 }, () => 1);
    expect([1, 2, 3, 4].map(() => jittered.next())).toEqual([70, 140, 280, 560]);
    for (let a = 0; a < 80; a += 1) {
      const d = backoffDelay(a, { initialMs: 1000, maxMs: 30_000 });
      expect(d).toBeGreaterThanOrEqual(Math.round(Math.min(30_000, 1000 * 2 ** a) * 0.7));
      expect(d).toBeLessThanOrEqual(30_000);
    }
  });
});

describe('OutageLog: one line per outage', () => {
  function run(outageMs: number, opts: { initialMs: number; maxMs: number }, random: () => number): { lines: string[]; attempts: number } {
    let now = 0;
    const lines: string[] = [];
    const log = new OutageLog({ warn: (m) => lines.push(`warn ${m}`), log: (m) => lines.push(`info ${m}`) }, 'OPC UA opc.tcp://plc:4840', { now: () => now });
    const backoff = new Backoff(opts, random);
    let attempts = 0;
    while (now < outageMs) {
      log.failed('connection refused');
      attempts += 1;
      now += backoff.next();
    }
    log.succeeded();
    return { lines, attempts };
  }

  it('a 2-minute outage on the OPC UA endpoint defaults (0.5 s doubling to 5 s) logs at most 3 lines, whatever the jitter', () => {
    for (const r of [0, 0.5, 1]) {
      const { lines, attempts } = run(120_000, { initialMs: 500, maxMs: 5000 }, () => r);
      expect(attempts).toBeGreaterThanOrEqual(25);
      expect(lines.length, lines.join('\n')).toBeLessThanOrEqual(3);
      expect(lines[0]).toBe('info OPC UA opc.tcp://plc:4840 down: connection refused; retrying');
      expect(lines[1]).toMatch(/^warn OPC UA opc\.tcp:\/\/plc:4840 still down after 10 attempts \(\d+ s\): connection refused$/);
      expect(lines.at(-1)).toMatch(/^info OPC UA opc\.tcp:\/\/plc:4840 back after 2 min \(\d+ failed attempts\)$/);
    }
  });

  it('a day-long outage stays a handful of lines; a short one is two', () => {
    const day = run(24 * 3600_000, { initialMs: 500, maxMs: 5000 }, () => 0.5);
    expect(day.attempts).toBeGreaterThan(15_000);
    // down, still down (10 attempts), 10 min, 20, 40, 80, 160, 320, 640, 1280 min, back
    expect(day.lines.length, day.lines.join('\n')).toBeLessThanOrEqual(12);
    const short = run(2000, { initialMs: 500, maxMs: 5000 }, () => 0);
    expect(short.lines).toHaveLength(2);
    // Without an outage nothing is logged, and a success says so.
    const quiet = new OutageLog({ warn: () => expect.fail('no warning'), log: () => expect.fail('no line') }, 'x');
    expect(quiet.succeeded()).toBe(false);
  });
});

describe('ConnectionUsers.deregister(node, removed)', () => {
  const hooks = () => ({ connect: vi.fn(async () => undefined), disconnect: vi.fn(async () => undefined) });

  it('a restarted last user (removed = false) keeps the connection for its new instance', async () => {
    const h = hooks();
    const users = new ConnectionUsers(fakeNode('cfg'), h);
    users.register(fakeNode('a'));
    await vi.waitFor(() => expect(users.connected).toBe(true));
    await users.deregister(fakeNode('a'), false);
    expect(h.disconnect).not.toHaveBeenCalled();
    expect(users.connected).toBe(true);
    users.register(fakeNode('a'));
    await new Promise((r) => setTimeout(r, 20));
    expect(h.connect, 'no second connect').toHaveBeenCalledTimes(1);
    await users.close();
    expect(h.disconnect).toHaveBeenCalledTimes(1);
  });

  it('removing the last user (removed = true) closes it at once; a restarted user that never comes back closes it after lingerMs', async () => {
    const h = hooks();
    const users = new ConnectionUsers(fakeNode('cfg'), h, { lingerMs: 50 });
    users.register(fakeNode('a'));
    users.register(fakeNode('b'));
    await vi.waitFor(() => expect(users.connected).toBe(true));
    await users.deregister(fakeNode('a'), true);
    expect(h.disconnect, 'a user remains').not.toHaveBeenCalled();
    await users.deregister(fakeNode('b'), true);
    expect(h.disconnect).toHaveBeenCalledTimes(1);
    expect(users.connected).toBe(false);

    const h2 = hooks();
    const lingering = new ConnectionUsers(fakeNode('cfg'), h2, { lingerMs: 50 });
    lingering.register(fakeNode('a'));
    await vi.waitFor(() => expect(lingering.connected).toBe(true));
    await lingering.deregister(fakeNode('a'), false);
    expect(h2.disconnect).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(h2.disconnect).toHaveBeenCalledTimes(1));
    expect(lingering.connected).toBe(false);
  });

  it('logs a failing connect once per outage, not once per retry, and "back" when it works', async () => {
    const owner = fakeNode('cfg');
    const infos: unknown[] = [];
    owner.log = (m) => void infos.push(m);
    let attempts = 0;
    const users = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          attempts += 1;
          if (attempts <= 5) throw new Error('ECONNREFUSED 127.0.0.1:5432');
        },
        disconnect: async () => undefined,
      },
      { minMs: 5, maxMs: 10 },
    );
    users.register(fakeNode('a'));
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 3000 });
    expect(attempts).toBe(6);
    expect(owner.warnings).toEqual([]);
    expect(infos).toHaveLength(2);
    expect(infos[0]).toBe('connection down: ECONNREFUSED 127.0.0.1:5432; retrying');
    expect(String(infos[1])).toMatch(/^connection back after \d+ ms \(5 failed attempts\)$/);
    await users.close();
  });
});
