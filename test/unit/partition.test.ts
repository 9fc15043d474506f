/** Source partitioning in the fleet inventory: every source to exactly one target, as that target's variable. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseInventory } from '../../src/bundle/inventory';
import { describePlan, planPartitions } from '../../src/bundle/partition';

const write = (obj: unknown): string => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-partition-'));
  const file = path.join(dir, 'fleet.json');
  fs.writeFileSync(file, JSON.stringify(obj));
  return file;
};

describe('source partitioning', () => {
  it('spreads the sources over the targets, pins first, each source exactly once, shares differ by at most one', () => {
    const sources = Array.from({ length: 7 }, (_, i) => `opc.tcp://plc-${i}:4840`);
    const plan = planPartitions({ OPCUA_ENDPOINTS: { targets: ['e1', 'e2', 'e3'], sources, assign: { 'opc.tcp://plc-6:4840': 'e3' } } }, ['e1', 'e2', 'e3', 'central'], 'fleet.json');
    const shares = plan.OPCUA_ENDPOINTS!;
    expect(shares.e3![0]).toBe('opc.tcp://plc-6:4840');
    const all = Object.values(shares).flat();
    expect(all.sort()).toEqual([...sources].sort());
    const sizes = Object.values(shares).map((l) => l.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
    // The same inventory gives the same plan.
    expect(planPartitions({ OPCUA_ENDPOINTS: { targets: ['e1', 'e2', 'e3'], sources, assign: { 'opc.tcp://plc-6:4840': 'e3' } } }, ['e1', 'e2', 'e3'], 'f')).toEqual(plan);
    expect(describePlan(plan)[0]).toBe('OPCUA_ENDPOINTS e1: opc.tcp://plc-0:4840, opc.tcp://plc-2:4840, opc.tcp://plc-5:4840');
  });

  it('the deploy gets each target its share as a variable (environment overlay)', () => {
    const file = write({
      defaults: { env: 'prod', auth: null },
      partitions: { MODBUS_DEVICES: { targets: ['edge-1', 'edge-2'], sources: ['10.0.0.1:502', '10.0.0.2:502', '10.0.0.3:502'] } },
      targets: [
        { name: 'edge-1', url: 'http://10.1.0.1:1880' },
        { name: 'edge-2', url: 'http://10.1.0.2:1880', vars: { LINE: '2' } },
        { name: 'central', url: 'http://10.1.0.9:1880' },
      ],
    });
    const inv = parseInventory(file, {});
    expect(inv.targets.map((t) => [t.name, t.vars])).toEqual([
      ['edge-1', { MODBUS_DEVICES: '10.0.0.1:502,10.0.0.3:502' }],
      ['edge-2', { LINE: '2', MODBUS_DEVICES: '10.0.0.2:502' }],
      ['central', {}],
    ]);
    expect(inv.partitions).toEqual({ MODBUS_DEVICES: { 'edge-1': ['10.0.0.1:502', '10.0.0.3:502'], 'edge-2': ['10.0.0.2:502'] } });
  });

  it('refuses a source listed twice, an unknown target, a pin outside the targets, a variable also set by hand', () => {
    const names = ['a', 'b'];
    expect(() => planPartitions({ X: { targets: ['a'], sources: ['s1', 's1'] } }, names, 'f')).toThrow('s1 is listed twice — it would be read by two instances');
    expect(() => planPartitions({ X: { targets: ['a', 'z'], sources: ['s1'] } }, names, 'f')).toThrow('no target named z');
    expect(() => planPartitions({ X: { targets: ['a'], sources: ['s1'], assign: { s1: 'b' } } }, names, 'f')).toThrow('pinned to "b", which is not in targets');
    expect(() => planPartitions({ X: { targets: ['a'], sources: ['s1'], assign: { s2: 'a' } } }, names, 'f')).toThrow('"s2" is not in sources');
    expect(() => planPartitions({ 'bad-name': { targets: ['a'], sources: ['s1'] } }, names, 'f')).toThrow('environment variable');
    expect(() => planPartitions({ X: { targets: ['a'], sources: ['s,1'] } }, names, 'f')).toThrow('contains a comma');
    const file = write({ partitions: { X: { targets: ['a'], sources: ['s1'] } }, targets: [{ name: 'a', url: 'http://x', vars: { X: 'mine' } }] });
    expect(() => parseInventory(file, {})).toThrow('a sets "X" in its vars, but partitions.X assigns it');
  });
});
