/**
 * The OPC UA connector against the simulator, below the Node-RED nodes:
 * monitored items are created in batches (never more per CreateMonitoredItems
 * call than configured or than the server allows) in one subscription, and a
 * session the server drops comes back with every item, on the same endpoint.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpcUaConnection, TagSubscription, endpointSettings, tagSpecs, type SessionContext, type SubscriptionOptions } from '../../src/connectors/opcua';
import type { TagSample } from '../../src/model';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { until } from '../helpers/opcua';

let plant: OpcUaPlant;
let tmp: string;
const BENCH = 1200;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-conn-'));
  plant = await startOpcUaPlant({ port: 0, lines: 1, updateMs: 200, benchTags: BENCH, benchUpdateMs: 500, pkiDir: path.join(tmp, 'server-pki') });
}, 60_000);

afterAll(async () => {
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

const OPTS: SubscriptionOptions = { publishingInterval: 200, samplingInterval: 100, queueSize: 10, deadbandType: 'none', deadbandValue: 0, maxItemsPerCall: 200, readUnits: false };
const benchTags = (n: number) => tagSpecs(Array.from({ length: n }, (_, i) => `nsu=urn:plantwire:sim:plant;s=Bench/Tag${String(i + 1).padStart(5, '0')}`));

/** Records the CreateMonitoredItems and CreateSubscription calls of a session. */
function spy(ctx: SessionContext): { items: number[]; subscriptions: number } {
  const calls = { items: [] as number[], subscriptions: 0 };
  const s = ctx.session as unknown as Record<string, (...a: unknown[]) => unknown>;
  const createItems = s.createMonitoredItems!.bind(ctx.session);
  s.createMonitoredItems = (req: unknown, ...rest: unknown[]) => {
    calls.items.push(((req as { itemsToCreate?: unknown[] }).itemsToCreate ?? []).length);
    return createItems(req, ...rest);
  };
  const createSub = s.createSubscription!.bind(ctx.session);
  s.createSubscription = (...a: unknown[]) => {
    calls.subscriptions += 1;
    return createSub(...a);
  };
  return calls;
}

describe('OPC UA connector', () => {
  it('creates the items of one subscription in batches bounded by the setting and by the server limit', async () => {
    const conn = new OpcUaConnection(endpointSettings({ url: plant.endpointUrl }), { pkiDir: path.join(tmp, 'pki-1') });
    conn.start();
    try {
      const ctx = await conn.session(20_000);
      expect(ctx.limits.maxMonitoredItemsPerCall).toBe(1000);
      const calls = spy(ctx);
      const seen = new Set<string>();
      const run = async (n: number, perCall: number): Promise<void> => {
        seen.clear();
        calls.items.length = 0;
        calls.subscriptions = 0;
        const sub = new TagSubscription(conn, benchTags(n), { ...OPTS, maxItemsPerCall: perCall }, { onData: (s: TagSample[]) => s.forEach((x) => x.quality === 'good' && seen.add(x.tag)), onStatus: () => undefined, onItemErrors: () => undefined });
        sub.start();
        await until(`initial values of all ${n} tags`, () => seen.size === n, 30_000);
        expect(sub.itemCount).toBe(n);
        await sub.stop();
      };
      await run(450, 200);
      expect(calls.items).toEqual([200, 200, 50]);
      expect(calls.subscriptions, 'one subscription for all tags').toBe(1);
      await run(1200, 5000);
      expect(calls.items, "the server's MaxMonitoredItemsPerCall (1000) caps a batch").toEqual([1000, 200]);
      expect(calls.subscriptions).toBe(1);
    } finally {
      await conn.stop();
    }
  }, 90_000);

  it('a session dropped by the server comes back with all its items (no data lost for good)', async () => {
    const conn = new OpcUaConnection(endpointSettings({ url: plant.endpointUrl }), { pkiDir: path.join(tmp, 'pki-2') });
    const got: Array<{ at: number; s: TagSample }> = [];
    const sub = new TagSubscription(conn, tagSpecs(['ns=2;s=Line1/Filler/FillCount', 'ns=2;s=Line1/Speed', ...benchTags(50).map((t) => t.nodeId ?? '')]), OPTS, {
      onData: (s) => s.forEach((x) => got.push({ at: Date.now(), s: x })),
      onStatus: () => undefined,
      onItemErrors: () => undefined,
    });
    conn.start();
    sub.start();
    try {
      await until('data', () => got.some((g) => g.s.tag === 'ns=2;s=Line1/Filler/FillCount'), 20_000);
      expect(plant.sessionCount()).toBe(1);
      const droppedAt = Date.now();
      expect(plant.dropSessions()).toBe(1);
      // Every tag delivers good values again, from a live session.
      await until(
        'all 52 tags after the drop',
        () => new Set(got.filter((g) => g.at > droppedAt + 100 && g.s.quality === 'good').map((g) => g.s.tag)).size === 52,
        20_000,
      );
      const counts = got.filter((g) => g.at > droppedAt && g.s.tag === 'ns=2;s=Line1/Filler/FillCount').map((g) => Number(g.s.value));
      await until('the counter moving on', () => {
        const later = got.filter((g) => g.at > droppedAt && g.s.tag === 'ns=2;s=Line1/Filler/FillCount').map((g) => Number(g.s.value));
        return later.length > counts.length && later.at(-1)! > (counts[0] ?? 0);
      });
      expect(plant.sessionCount(), 'exactly one session again').toBe(1);
    } finally {
      await sub.stop();
      await conn.stop();
    }
  }, 60_000);
});
