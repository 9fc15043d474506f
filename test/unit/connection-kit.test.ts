/**
 * The pieces every connection shares (src/model): the one backoff, the one
 * log line per outage, and ConnectionUsers keeping a connection across a
 * partial deploy (deregister(node, removed)).
 */
import { describe, expect, it, vi } from 'vitest';
import { Backoff, backoffDelay } from '../../src/model/backoff';
import { ConnectionUsers } from '../../src/model/connection-users';
import { OutageLog } from '../../src/model/outage-log';
import type { Connector } from '../../src/model/connector';
import { PlantwireError } from '../../src/model/errors';
import { connectionStatus, type ConnectionState } from '../../src/model/status';
import { defineConfigNode, useConfig } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { fakeNode, type FakeNode } from '../helpers/fake-node';

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
    const a = fakeNode('a');
    users.register(a);
    await vi.waitFor(() => expect(users.connected).toBe(true));
    await users.deregister(a, false);
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
    const [a, b] = [fakeNode('a'), fakeNode('b')];
    users.register(a);
    users.register(b);
    await vi.waitFor(() => expect(users.connected).toBe(true));
    await users.deregister(a, true);
    expect(h.disconnect, 'a user remains').not.toHaveBeenCalled();
    await users.deregister(b, true);
    expect(h.disconnect).toHaveBeenCalledTimes(1);
    expect(users.connected).toBe(false);

    const h2 = hooks();
    const lingering = new ConnectionUsers(fakeNode('cfg'), h2, { lingerMs: 50 });
    const only = fakeNode('a');
    lingering.register(only);
    await vi.waitFor(() => expect(lingering.connected).toBe(true));
    await lingering.deregister(only, false);
    expect(h2.disconnect).not.toHaveBeenCalled();
    await vi.waitFor(() => expect(h2.disconnect).toHaveBeenCalledTimes(1));
    expect(lingering.connected).toBe(false);
  });

  it('a deploy that replaces the last user while a connect is in progress keeps the new user connected', async () => {
    let release: () => void = () => undefined;
    const h = {
      connect: vi.fn(() => new Promise<void>((r) => (release = r))),
      disconnect: vi.fn(async () => undefined),
    };
    const users = new ConnectionUsers(fakeNode('cfg'), h, { lingerMs: 20 });
    const old = fakeNode('a');
    users.register(old);
    // The old instance is removed while its connect hangs; the new one (same id) registers meanwhile.
    const closing = users.deregister(old, true);
    const fresh = fakeNode('a');
    users.register(fresh);
    release();
    await closing;
    expect(h.disconnect, 'the new user keeps the connection').not.toHaveBeenCalled();
    expect(users.connected).toBe(true);
    // A late close of the old instance does not remove the new one.
    await users.deregister(old, false);
    await new Promise((r) => setTimeout(r, 60));
    expect(h.disconnect).not.toHaveBeenCalled();
    await users.deregister(fresh, true);
    expect(h.disconnect).toHaveBeenCalledTimes(1);
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

describe('ConnectionUsers.lost(err): a connection gone for good after it was open', () => {
  it('goes back to the retry loop: red on every user, one line for the outage, connected again on the backoff; ignored after close', async () => {
    const owner = fakeNode('cfg');
    const infos: unknown[] = [];
    owner.log = (m) => void infos.push(m);
    let attempts = 0;
    let down = false;
    const users = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          attempts += 1;
          if (down) throw new Error('ECONNREFUSED 127.0.0.1:4222');
        },
        disconnect: async () => undefined,
      },
      { minMs: 5, maxMs: 10 },
    );
    const a = fakeNode('a');
    users.register(a);
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 3000 });
    expect(attempts).toBe(1);
    down = true;
    users.lost(new Error('connection closed (the client gave up reconnecting)'));
    expect(users.connected).toBe(false);
    expect(users.status).toEqual({ state: 'error', text: 'connection closed (the client gave up reconnecting)' });
    await vi.waitFor(() => expect(attempts).toBeGreaterThanOrEqual(4), { timeout: 3000 });
    down = false;
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 3000 });
    expect(infos[0]).toBe('connection down: connection closed (the client gave up reconnecting); retrying');
    expect(String(infos.at(-1))).toMatch(/^connection back after \d+ ms \(\d+ failed attempts\)$/);
    expect(infos).toHaveLength(2);
    // A second report of the same loss, or one after close: nothing happens.
    await users.close();
    const before = attempts;
    users.lost(new Error('late'));
    await new Promise((r) => setTimeout(r, 50));
    expect(attempts).toBe(before);
    expect(users.connected).toBe(false);
  });

  it('a connection lost while its connect is still finishing (the server closed it at once) is retried, not taken as open', async () => {
    const owner = fakeNode('cfg');
    let attempts = 0;
    // The connector's own view, as NatsLink's nc: set when its open() finished, cleared by its closed() handler.
    let live = false;
    const users: ConnectionUsers = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          attempts += 1;
          live = true;
          if (attempts === 1) {
            // The server closes the new connection before connect() resolved: the connector reports the loss now.
            live = false;
            users.lost(new Error('connection closed (server shut down)'));
          }
          await new Promise((r) => setTimeout(r, 5));
        },
        disconnect: async () => {
          live = false;
        },
      },
      { minMs: 5, maxMs: 10 },
    );
    users.register(fakeNode('a'));
    await vi.waitFor(() => expect(attempts).toBe(2), { timeout: 3000 });
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 3000 });
    expect(live, 'connected again for real').toBe(true);
    expect(users.status.state).not.toBe('error');
    await users.close();
  });

  it('a loss reported during a connect that then fails is not replayed later', async () => {
    const owner = fakeNode('cfg');
    let attempts = 0;
    const users: ConnectionUsers = new ConnectionUsers(
      owner,
      {
        connect: async () => {
          attempts += 1;
          if (attempts === 1) {
            users.lost(new Error('closed'));
            throw new Error('ECONNRESET');
          }
        },
        disconnect: async () => undefined,
      },
      { minMs: 5, maxMs: 10 },
    );
    users.register(fakeNode('a'));
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 3000 });
    await new Promise((r) => setTimeout(r, 50));
    expect(users.connected).toBe(true);
    expect(attempts).toBe(2);
    await users.close();
  });
});

describe('the connection kit in src/runtime: defineConfigNode, useConfig, Connector', () => {
  /** A Node-RED stand-in: registerType keeps the constructors, `deploy` creates nodes. */
  function fakeRed() {
    const types = new Map<string, (this: RedNode, c: NodeConfig) => void>();
    const nodes = new Map<string, RedNode>();
    const RED = {
      nodes: {
        createNode(node: object, config: NodeConfig) {
          Object.assign(node, fakeNode(config.id), { type: config.type, name: config.name, credentials: (config as { credentials?: unknown }).credentials });
        },
        registerType: (type: string, ctor: (this: RedNode, c: NodeConfig) => void) => void types.set(type, ctor),
        getNode: (id: string) => nodes.get(id) ?? null,
      },
      httpAdmin: { get: () => undefined, post: () => undefined, delete: () => undefined },
      auth: { needsPermission: () => () => undefined },
      settings: {},
      log: { info: () => undefined, warn: () => undefined, error: () => undefined, debug: () => undefined },
    } as unknown as RedApi;
    const deploy = (config: NodeConfig): FakeNode => {
      const node = {} as FakeNode;
      types.get(config.type)!.call(node as RedNode, config);
      nodes.set(config.id, node);
      return node;
    };
    return { RED, deploy };
  }

  class FakeConnector implements Connector {
    started = 0;
    failures: number;
    private listener: ((s: ConnectionState) => void) | null = null;
    constructor(failures = 0) {
      this.failures = failures;
    }
    async start(): Promise<void> {
      this.started += 1;
      if (this.failures-- > 0) throw new Error('ECONNREFUSED 127.0.0.1:9');
      this.listener?.({ phase: 'connected', text: 'connected to the thing' });
    }
    async stop(): Promise<void> {
      this.listener?.({ phase: 'stopped', text: 'disconnected' });
    }
    onState(listener: (s: ConnectionState) => void): () => void {
      this.listener = listener;
      return () => undefined;
    }
  }

  function defineThing(RED: RedApi, closed: string[]): void {
    defineConfigNode<NodeConfig & { port?: unknown }, { port: number }, { users: ConnectionUsers; connector: FakeConnector }>(RED, {
      type: 'test-thing',
      label: 'test thing',
      field: 'thing',
      credentials: { secret: { type: 'password' } },
      settings(config, creds) {
        const port = Number(config.port);
        if (!Number.isInteger(port) || port < 1) throw new PlantwireError('bad-config', `Port: must be a whole number ≥ 1, got ${String(config.port)}`, 'bad port');
        if (creds.secret !== 's3cret') throw new PlantwireError('bad-config', 'Secret: wrong', 'bad secret');
        return { port };
      },
      open(node) {
        const connector = new FakeConnector(1);
        return { connector, users: ConnectionUsers.of(node, connector, { minMs: 5, maxMs: 10 }) };
      },
      close: async (h) => {
        closed.push('closed');
        await h.users.close();
      },
    });
  }

  it('a user finds the handle; a user of a misconfigured config node gets the problem by name; the rest say what to pick', async () => {
    const { RED, deploy } = fakeRed();
    const closed: string[] = [];
    defineThing(RED, closed);
    const good = deploy({ id: 'c1', type: 'test-thing', name: 'line 1', port: 4, credentials: { secret: 's3cret' } } as NodeConfig);
    const bad = deploy({ id: 'c2', type: 'test-thing', name: 'line 2', port: 'x', credentials: { secret: 's3cret' } } as NodeConfig);
    expect(bad.statuses.at(-1)).toMatchObject({ fill: 'red', text: 'bad port' });
    const handle = useConfig<{ users: ConnectionUsers; connector: FakeConnector }>(RED, 'c1', 'test-thing');
    const user = fakeNode('u1');
    handle.users.register(user);
    // The first start() fails (retried on the backoff), the second works: the typed state becomes the user's status.
    await vi.waitFor(() => expect(user.statuses.at(-1)).toEqual({ fill: 'green', shape: 'dot', text: 'connected to the thing' }));
    expect(handle.connector.started).toBe(2);
    expect(user.statuses.some((s) => s.fill === 'red' && /ECONNREFUSED/.test(String(s.text)))).toBe(true);
    expect(() => useConfig(RED, 'c2', 'test-thing')).toThrow(
      expect.objectContaining({ message: 'thing: the test thing "line 2" is misconfigured: Port: must be a whole number ≥ 1, got x', status: 'thing: bad port' }),
    );
    expect(() => useConfig(RED, '', 'test-thing')).toThrow(expect.objectContaining({ status: 'no test thing selected' }));
    expect(() => useConfig(RED, 'nope', 'test-thing')).toThrow(expect.objectContaining({ status: 'test thing missing' }));
    await good.close(true);
    expect(closed).toEqual(['closed']);
    expect(handle.users.connected).toBe(false);
  });

  it('a misconfigured handle can stand in (degraded), and a quiet problem is not logged', () => {
    const { RED, deploy } = fakeRed();
    defineConfigNode<NodeConfig, string, { why: string }>(RED, {
      type: 'test-degraded',
      label: 'degraded thing',
      field: 'thing',
      settings: () => {
        throw new PlantwireError('not-set-up', 'fill in the key', 'not set up');
      },
      open: () => ({ why: 'never' }),
      misconfigured: (err) => ({ why: err.message }),
      quiet: (err) => (err as PlantwireError).code === 'not-set-up',
    });
    const node = deploy({ id: 'd1', type: 'test-degraded' } as NodeConfig);
    expect(node.statuses).toEqual([]);
    expect(useConfig<{ why: string }>(RED, 'd1', 'test-degraded').why).toBe('fill in the key');
  });

  it('maps a typed connection state to a status in one place', () => {
    expect(connectionStatus({ phase: 'retrying', text: 'ECONNREFUSED, retry in 2 s', detail: 'connect 127.0.0.1:502 failed' })).toEqual({ state: 'error', text: 'ECONNREFUSED, retry in 2 s' });
    expect(connectionStatus({ phase: 'connecting', text: 'connecting' }).state).toBe('busy');
    expect(connectionStatus({ phase: 'stopped', text: 'disconnected' }).state).toBe('idle');
  });
});
