import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModbusClient } from '../../src/connectors/modbus/client';
import { ModbusError } from '../../src/connectors/modbus/errors';
import { ModbusPoller } from '../../src/connectors/modbus/poller';
import { parseRegisterMap } from '../../src/connectors/modbus/register-map';
import type { ModbusRequest, ModbusResponse, ModbusTransport } from '../../src/connectors/modbus/transport';

type Behaviour = 'answer' | 'hang' | 'exception' | 'late' | 'drop';

/**
 * A scripted wire: each request takes the next behaviour from `script`
 * (default: answer). `hang` never settles, `late` answers after 10 s, `drop`
 * closes the connection. Records the most requests ever on the wire at once
 * that the client still waits for (sent less than the client's timeout ago;
 * an abandoned request may still be answered late, which Modbus TCP's
 * transaction ids sort out).
 */
class FakeWire {
  script: Behaviour[] = [];
  connectFails = 0;
  connects = 0;
  inFlight = 0;
  maxInFlight = 0;
  timeoutMs = 1000;
  openRequests = new Set<{ at: number }>();
  sent: ModbusRequest[] = [];
  transports: FakeTransport[] = [];

  factory = (): ModbusTransport => {
    const t = new FakeTransport(this);
    this.transports.push(t);
    return t;
  };
}

class FakeTransport implements ModbusTransport {
  closed = false;
  private onCloseHandler: ((reason: string) => void) | null = null;
  private pending = new Set<(e: Error) => void>();
  constructor(private readonly wire: FakeWire) {}

  connect(): Promise<void> {
    this.wire.connects += 1;
    if (this.wire.connectFails > 0) {
      this.wire.connectFails -= 1;
      return Promise.reject(new Error('connect ECONNREFUSED'));
    }
    return Promise.resolve();
  }

  request(req: ModbusRequest): Promise<ModbusResponse> {
    const w = this.wire;
    w.sent.push(req);
    const sentAt = { at: Date.now() };
    w.inFlight += 1;
    w.openRequests.add(sentAt);
    const awaited = [...w.openRequests].filter((t) => Date.now() - t.at < w.timeoutMs).length;
    w.maxInFlight = Math.max(w.maxInFlight, awaited);
    const behaviour = w.script.shift() ?? 'answer';
    return new Promise<ModbusResponse>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void): void => {
        if (settled) return;
        settled = true;
        w.inFlight -= 1;
        w.openRequests.delete(sentAt);
        this.pending.delete(fail);
        fn();
      };
      const fail = (e: Error): void => settle(() => reject(e));
      this.pending.add(fail);
      const answer = (): ModbusResponse => ('count' in req ? (req.fc <= 2 ? { bits: new Array(req.count).fill(true) } : { registers: new Array(req.count).fill(7) }) : {});
      switch (behaviour) {
        case 'answer':
          setTimeout(() => settle(() => resolve(answer())), 5);
          break;
        case 'late':
          setTimeout(() => settle(() => resolve({ registers: [0xdead] })), 10_000);
          break;
        case 'exception':
          setTimeout(() => settle(() => reject(ModbusError.exception(2, 'fake'))), 5);
          break;
        case 'drop':
          setTimeout(() => {
            this.close();
            this.onCloseHandler?.('the device closed the connection');
          }, 5);
          break;
        case 'hang':
          break;
      }
    });
  }

  close(): void {
    this.closed = true;
    for (const fail of [...this.pending]) fail(new ModbusError('closed', 'closed', 'connection closed'));
  }

  onClose(handler: (reason: string) => void): void {
    this.onCloseHandler = handler;
  }
}

const read = (address = 0, count = 1): ModbusRequest => ({ fc: 3, unitId: 1, address, count });

function settleAll<T>(ps: Promise<T>[]): { results: Array<{ ok: boolean; value?: T; err?: Error } | undefined>; count(): number } {
  const results: Array<{ ok: boolean; value?: T; err?: Error } | undefined> = new Array(ps.length);
  ps.forEach((p, i) =>
    p.then(
      (value) => (results[i] = { ok: true, value }),
      (err: Error) => (results[i] = { ok: false, err }),
    ),
  );
  return { results, count: () => results.filter(Boolean).length };
}

describe('Modbus client: one queue per device that never wedges', () => {
  let wire: FakeWire;
  let client: ModbusClient;

  beforeEach(() => {
    vi.useFakeTimers();
    wire = new FakeWire();
    client = new ModbusClient({ host: 'plc', port: 502, timeoutMs: 1000, resetAfterTimeouts: 3, reconnectMinMs: 100, reconnectMaxMs: 800, random: () => 0, maxQueue: 50, transport: wire.factory });
  });
  afterEach(() => {
    client.stop();
    vi.useRealTimers();
  });

  async function connected(): Promise<void> {
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toBe('connected');
  }

  it('sends one request at a time, in order', async () => {
    await connected();
    const all = settleAll(Array.from({ length: 20 }, (_, i) => client.request(read(i))));
    await vi.advanceTimersByTimeAsync(1000);
    expect(all.count()).toBe(20);
    expect(wire.maxInFlight).toBe(1);
    expect(wire.sent.map((r) => r.address)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('a hung request times out and the queue moves on to the next one', async () => {
    await connected();
    wire.script = ['hang'];
    const all = settleAll([client.request(read(1)), client.request(read(2))]);
    await vi.advanceTimersByTimeAsync(999);
    expect(all.count()).toBe(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(all.results[0]).toMatchObject({ ok: false, err: { kind: 'timeout', statusCode: 'timeout: no answer within 1000 ms' } });
    await vi.advanceTimersByTimeAsync(10);
    expect(all.results[1]).toMatchObject({ ok: true, value: { registers: [7] } });
    expect(client.state).toBe('connected');
  });

  it('a late answer to a timed-out request never reaches the next request', async () => {
    await connected();
    wire.script = ['late', 'hang', 'answer'];
    const all = settleAll([client.request(read(1)), client.request(read(2)), client.request(read(3))]);
    await vi.advanceTimersByTimeAsync(15_000);
    expect(all.results.map((r) => (r?.ok ? r.value : r?.err?.message))).toEqual([
      'unit 1 FC3 read holding registers 1: no answer within 1000 ms',
      'unit 1 FC3 read holding registers 2: no answer within 1000 ms',
      { registers: [7] },
    ]);
  });

  it('after N timeouts in a row the connection is reset, waiting requests fail at once, and it reconnects with backoff', async () => {
    await connected();
    wire.script = ['hang', 'hang', 'hang'];
    const all = settleAll(Array.from({ length: 10 }, (_, i) => client.request(read(i))));
    await vi.advanceTimersByTimeAsync(3000);
    expect(all.count()).toBe(10);
    expect(all.results.slice(0, 3).map((r) => r?.err?.message)).toEqual([0, 1, 2].map((i) => `unit 1 FC3 read holding registers ${i}: no answer within 1000 ms`));
    expect(all.results.slice(3).every((r) => r?.ok === false && (r.err as ModbusError).kind === 'not-connected')).toBe(true);
    expect((all.results[3]!.err as ModbusError).statusCode).toBe('not connected: no answer to 3 requests in a row');
    expect(client.stats).toMatchObject({ timeouts: 3, resets: 1 });
    expect(wire.transports[0]!.closed).toBe(true);
    expect(client.state).toBe('waiting');
    // While waiting, requests fail fast instead of piling up.
    const fast = settleAll([client.request(read(99))]);
    await vi.advanceTimersByTimeAsync(0);
    expect(fast.results[0]).toMatchObject({ ok: false, err: { kind: 'not-connected' } });
    await vi.advanceTimersByTimeAsync(100);
    expect(client.state).toBe('connected');
    expect(wire.connects).toBe(2);
    const after = settleAll([client.request(read(5))]);
    await vi.advanceTimersByTimeAsync(10);
    expect(after.results[0]).toMatchObject({ ok: true });
  });

  it('an exception answer counts as an answer: it resets the run of timeouts', async () => {
    await connected();
    wire.script = ['hang', 'hang', 'exception', 'hang', 'hang', 'answer'];
    const all = settleAll(Array.from({ length: 6 }, (_, i) => client.request(read(i))));
    await vi.advanceTimersByTimeAsync(5000);
    expect(all.count()).toBe(6);
    expect(client.stats.resets).toBe(0);
    expect(all.results.map((r) => (r?.ok ? 'ok' : (r?.err as ModbusError).kind))).toEqual(['timeout', 'timeout', 'exception', 'timeout', 'timeout', 'ok']);
  });

  it('refuses requests beyond the queue limit instead of growing without bound', async () => {
    await connected();
    wire.script = new Array(60).fill('hang');
    const all = settleAll(Array.from({ length: 52 }, (_, i) => client.request(read(i))));
    await vi.advanceTimersByTimeAsync(0);
    // One on the wire, 50 waiting: the 52nd is refused.
    expect(all.results[51]).toMatchObject({ ok: false, err: { kind: 'queue-full', statusCode: 'request queue full (50)' } });
    expect(client.queued).toBe(50);
  });

  it('reconnect delays double up to the cap; a success resets them', async () => {
    wire.connectFails = 6;
    const delays: string[] = [];
    client.on('state', (state: string, detail: string) => {
      if (state === 'waiting') delays.push(detail.replace(/^.*retrying in /, ''));
    });
    client.start();
    await vi.advanceTimersByTimeAsync(100 + 200 + 400 + 800 + 800 + 800);
    expect(delays).toEqual(['100 ms', '200 ms', '400 ms', '800 ms', '800 ms', '800 ms']);
    expect(client.state).toBe('connected');
    expect(client.stateDetail).toBe('connected to plc:502');
  });

  it('a connection lost mid-request fails that request and reconnects', async () => {
    await connected();
    wire.script = ['drop'];
    const all = settleAll([client.request(read(1))]);
    await vi.advanceTimersByTimeAsync(10);
    expect(all.results[0]).toMatchObject({ ok: false, err: { kind: 'closed' } });
    expect(client.state).toBe('waiting');
    await vi.advanceTimersByTimeAsync(100);
    expect(client.state).toBe('connected');
  });

  it('stop() fails everything at once and leaves no timer behind', async () => {
    await connected();
    wire.script = ['hang'];
    const all = settleAll(Array.from({ length: 5 }, (_, i) => client.request(read(i))));
    await vi.advanceTimersByTimeAsync(0);
    client.stop();
    await vi.advanceTimersByTimeAsync(0);
    expect(all.count()).toBe(5);
    expect(vi.getTimerCount()).toBe(0);
    expect(client.state).toBe('stopped');
  });

  it('under any mix of answers, hangs, late answers, exceptions and drops every request settles once, one on the wire at a time', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom<Behaviour>('answer', 'hang', 'exception', 'late', 'drop'), { minLength: 1, maxLength: 40 }), fc.integer({ min: 1, max: 40 }), async (script, n) => {
        const w = new FakeWire();
        w.script = [...script];
        const c = new ModbusClient({ host: 'plc', port: 502, timeoutMs: 1000, resetAfterTimeouts: 3, reconnectMinMs: 100, reconnectMaxMs: 800, random: () => 0, transport: w.factory });
        c.start();
        await vi.advanceTimersByTimeAsync(0);
        let calls = 0;
        const ps = Array.from({ length: n }, (_, i) =>
          c.request(read(i)).then(
            () => (calls += 1),
            () => (calls += 1),
          ),
        );
        // Worst case every request times out one after the other.
        await vi.advanceTimersByTimeAsync(n * 1000 + 2000);
        await Promise.all(ps);
        expect(calls).toBe(n);
        expect(w.maxInFlight).toBeLessThanOrEqual(1);
        c.stop();
        await vi.advanceTimersByTimeAsync(20_000);
        expect(c.queued).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});

describe('Modbus poller with a device that stops answering (fake wire)', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('marks every tag bad with the reason while the device is silent, and good again once it answers', async () => {
    const wire = new FakeWire();
    const client = new ModbusClient({ host: 'plc', port: 502, timeoutMs: 500, resetAfterTimeouts: 2, reconnectMinMs: 100, reconnectMaxMs: 100, random: () => 0, transport: wire.factory });
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    const rows = parseRegisterMap([
      { tag: 'a', address: 0, function: 'holding' },
      { tag: 'b', address: 1, function: 'holding' },
      { tag: 'c', address: 0, function: 'coil' },
    ]);
    const poller = new ModbusPoller(rows, client, { unitId: 1 });
    const poll = async () => {
      const p = poller.poll();
      await vi.advanceTimersByTimeAsync(2000);
      return p;
    };
    expect((await poll()).samples.map((s) => [s.tag, s.value, s.quality])).toEqual([
      ['a', 7, 'good'],
      ['b', 7, 'good'],
      ['c', true, 'good'],
    ]);
    wire.script = ['hang', 'hang'];
    const silent = await poll();
    expect(silent.samples.map((s) => [s.value, s.quality, s.statusCode])).toEqual([
      [null, 'bad', 'timeout: no answer within 500 ms'],
      [null, 'bad', 'timeout: no answer within 500 ms'],
      [null, 'bad', 'timeout: no answer within 500 ms'],
    ]);
    expect(client.stats.resets).toBe(1);
    // Reconnected after the backoff; the device answers again.
    expect(client.state).toBe('connected');
    expect((await poll()).samples.map((s) => [s.tag, s.value, s.quality])).toEqual([
      ['a', 7, 'good'],
      ['b', 7, 'good'],
      ['c', true, 'good'],
    ]);
    client.stop();
  });
});

describe('Modbus client: a transport that throws', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('a transport factory that throws becomes a retry, not an unhandled rejection', async () => {
    const unhandled = vi.fn();
    process.on('unhandledRejection', unhandled);
    let calls = 0;
    const wire = new FakeWire();
    const client = new ModbusClient({
      host: 'plc',
      port: 502,
      reconnectMinMs: 100,
      reconnectMaxMs: 100,
      random: () => 0,
      transport: () => {
        calls += 1;
        if (calls === 1) throw new Error('no sockets left');
        return wire.factory();
      },
    });
    client.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(client.state).toBe('waiting');
    expect(client.stateDetail).toMatch(/^no sockets left; retrying in 100 ms$/);
    await vi.advanceTimersByTimeAsync(100);
    expect(client.state).toBe('connected');
    client.stop();
    process.off('unhandledRejection', unhandled);
    expect(unhandled).not.toHaveBeenCalled();
  });
});
