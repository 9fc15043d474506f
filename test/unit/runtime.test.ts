import { describe, expect, it, vi } from 'vitest';
import { PlantwireError } from '../../src/model/errors';
import { onClose } from '../../src/runtime/close';
import { numberSetting } from '../../src/runtime/define';
import { onInput, reportError } from '../../src/runtime/input';
import { migrateConfig } from '../../src/runtime/migrate';
import { ConnectionUsers } from '../../src/runtime/registry';
import { statusObject } from '../../src/runtime/status';
import { fakeNode } from '../helpers/fake-node';

describe('onInput: the one input wrapper', () => {
  it('calls done() once on success and leaves the status alone', async () => {
    const node = fakeNode();
    onInput(node, (msg, send) => send({ payload: (msg.payload as number) * 2 }));
    const r = await node.receive({ payload: 21 });
    expect(r).toEqual({ err: undefined, calls: 1 });
    expect(node.sent).toEqual([{ payload: 42 }]);
    expect(node.statuses).toEqual([]);
  });

  it('a synchronous throw becomes done(err) once, a red status, and no node.error', async () => {
    const node = fakeNode();
    onInput(node, () => {
      throw new PlantwireError('bad-value', 'payload must be a number, got "abc"', 'value is not a number');
    });
    const r = await node.receive({ payload: 'abc' });
    expect(r.calls).toBe(1);
    expect(r.err?.message).toBe('payload must be a number, got "abc"');
    expect(node.statuses.at(-1)).toEqual({ fill: 'red', shape: 'ring', text: 'value is not a number' });
    expect(node.errors).toEqual([]);
  });

  it('a rejected promise becomes done(err) once and never escapes', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    const node = fakeNode();
    onInput(node, async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error('ERP unreachable');
    });
    const r = await node.receive({ payload: 1 });
    await new Promise((r) => setTimeout(r, 20));
    process.off('unhandledRejection', unhandled);
    expect(r.calls).toBe(1);
    expect(r.err?.message).toBe('ERP unreachable');
    expect(node.statuses.at(-1)?.fill).toBe('red');
    expect(unhandled).not.toHaveBeenCalled();
  });

  it('a non-Error rejection still yields a readable Error', async () => {
    const node = fakeNode();
    onInput(node, () => Promise.reject({ reason: 'nope' }));
    const r = await node.receive({});
    expect(r.err).toBeInstanceOf(Error);
    expect(r.err?.message).toBe('{"reason":"nope"}');
  });

  it('reportError (source nodes) calls node.error with a message so Catch nodes fire', () => {
    const node = fakeNode();
    reportError(node, new PlantwireError('x', 'server went away', 'disconnected'));
    expect(node.errors).toHaveLength(1);
    expect(node.errors[0]!.err).toBe('server went away');
    expect(node.errors[0]!.msg).toBeTypeOf('object');
    expect(node.statuses.at(-1)).toEqual({ fill: 'red', shape: 'ring', text: 'disconnected' });
  });
});

describe('onClose', () => {
  it('calls done once after an async cleanup', async () => {
    const node = fakeNode();
    const cleanup = vi.fn(async () => new Promise<void>((r) => setTimeout(r, 10)));
    onClose(node, cleanup);
    expect(await node.close(true)).toBe(1);
    expect(cleanup).toHaveBeenCalledWith(true);
  });
  it('a failing cleanup is a warning, not an escaped rejection', async () => {
    const node = fakeNode();
    onClose(node, async () => {
      throw new Error('socket already closed');
    });
    expect(await node.close()).toBe(1);
    expect(node.warnings).toEqual(['close failed: socket already closed']);
  });
  it('a hanging cleanup finishes at the timeout', async () => {
    const node = fakeNode();
    onClose(node, () => new Promise<void>(() => undefined), 50);
    const t0 = Date.now();
    expect(await node.close()).toBe(1);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(45);
    expect(node.warnings[0]).toMatch(/close took longer than 50 ms/);
  });
});

describe('migrateConfig', () => {
  const spec = {
    current: 3,
    migrations: {
      1: (c: Record<string, unknown>) => ({ ...c, interval: Number(c.rate ?? 1) * 1000, rate: undefined }),
      2: (c: Record<string, unknown>) => ({ ...c, output: c.output ?? 'each' }),
    },
  };
  it('treats a missing version as 1 and applies every step in order', () => {
    expect(migrateConfig('t', { id: 'a', type: 't', rate: 2, keep: 'me' }, spec)).toEqual({ id: 'a', type: 't', interval: 2000, rate: undefined, output: 'each', keep: 'me', version: 3 });
  });
  it('applies only the missing steps', () => {
    expect(migrateConfig('t', { id: 'a', type: 't', version: 2, interval: 5, output: 'batch' }, spec)).toEqual({ id: 'a', type: 't', version: 3, interval: 5, output: 'batch' });
  });
  it('keeps a current config as it is', () => {
    const c = { id: 'a', type: 't', version: 3, interval: 1 };
    expect(migrateConfig('t', c, spec)).toEqual(c);
  });
  it('refuses a newer or malformed version with a clear message', () => {
    expect(() => migrateConfig('plantwire-x', { id: 'a', type: 't', version: 4 }, spec)).toThrow(/plantwire-x: this flow was saved by a newer Plantwire \(node version 4, this palette knows up to 3\)/);
    expect(() => migrateConfig('plantwire-x', { id: 'a', type: 't', version: 'two' }, spec)).toThrow(/configuration version two is not a positive integer/);
  });
});

describe('numberSetting', () => {
  it('reads numbers typed as strings and names the field when wrong', () => {
    expect(numberSetting({ interval: '250' }, 'interval')).toBe(250);
    expect(numberSetting({}, 'interval', { default: 1000 })).toBe(1000);
    expect(() => numberSetting({ interval: 'fast' }, 'interval', { label: 'interval (ms)' })).toThrow('interval (ms) must be a number, got "fast"');
    expect(() => numberSetting({ interval: -5 }, 'interval', { min: 50 })).toThrow('interval must be at least 50, got -5');
    expect(() => numberSetting({ n: 2.5 }, 'n', { integer: true })).toThrow('n must be a whole number, got 2.5');
    expect(() => numberSetting({ n: 11 }, 'n', { max: 10 })).toThrow('n must be at most 10, got 11');
  });
});

describe('ConnectionUsers: the config-node user registry', () => {
  it('connects on the first user, pushes status to all users, disconnects after the last', async () => {
    const owner = fakeNode('cfg');
    const connect = vi.fn(async () => undefined);
    const disconnect = vi.fn(async () => undefined);
    const users = new ConnectionUsers(owner, { connect, disconnect });
    const a = fakeNode('a');
    const b = fakeNode('b');
    users.register(a);
    users.register(b);
    await vi.waitFor(() => expect(users.connected).toBe(true));
    expect(connect).toHaveBeenCalledTimes(1);
    users.setState('ok', 'connected');
    expect(a.statuses.at(-1)).toEqual(statusObject('ok', 'connected'));
    expect(b.statuses.at(-1)).toEqual(statusObject('ok', 'connected'));
    const c = fakeNode('c');
    users.register(c);
    expect(c.statuses.at(-1), 'a late user gets the current state').toEqual(statusObject('ok', 'connected'));
    await users.deregister(a);
    await users.deregister(b);
    expect(disconnect).not.toHaveBeenCalled();
    await users.deregister(c);
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(users.connected).toBe(false);
  });

  it('a failed connect becomes a red status on every user, never an escaped rejection', async () => {
    const owner = fakeNode('cfg');
    const users = new ConnectionUsers(owner, { connect: async () => Promise.reject(new Error('ECONNREFUSED 127.0.0.1:4840')), disconnect: async () => undefined });
    const a = fakeNode('a');
    users.register(a);
    await vi.waitFor(() => expect(a.statuses.at(-1)?.fill).toBe('red'));
    expect(a.statuses.at(-1)?.text).toBe('ECONNREFUSED 127.0.0.1:4840');
    expect(owner.warnings, 'an outage starts as an info line, not a warning').toEqual([]);
    await users.close();
  });

  it('retries a failed connect with backoff until it succeeds, and stops retrying when closed', async () => {
    let attempts = 0;
    const users = new ConnectionUsers(
      fakeNode('cfg'),
      {
        connect: async () => {
          attempts += 1;
          if (attempts < 3) throw new Error('ECONNREFUSED');
        },
        disconnect: async () => undefined,
      },
      { minMs: 10, maxMs: 40 },
    );
    const a = fakeNode('a');
    users.register(a);
    await vi.waitFor(() => expect(users.connected).toBe(true), { timeout: 2000 });
    expect(attempts).toBe(3);
    await users.close();

    let tries = 0;
    const never = new ConnectionUsers(fakeNode('cfg'), { connect: async () => Promise.reject(new Error(`down ${++tries}`)), disconnect: async () => undefined }, { minMs: 10, maxMs: 10 });
    never.register(fakeNode('b'));
    await vi.waitFor(() => expect(tries).toBeGreaterThanOrEqual(2), { timeout: 2000 });
    await never.close();
    const after = tries;
    await new Promise((r) => setTimeout(r, 60));
    expect(tries, 'no retries after close').toBe(after);
  });

  it('close during connect waits for it and then disconnects', async () => {
    let release!: () => void;
    const disconnect = vi.fn(async () => undefined);
    const users = new ConnectionUsers(fakeNode('cfg'), { connect: () => new Promise<void>((r) => (release = r)), disconnect });
    users.register(fakeNode('a'));
    const closing = users.close();
    release();
    await closing;
    expect(disconnect).toHaveBeenCalledTimes(1);
  });
});
