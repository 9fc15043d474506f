/** A tag's asset path (filled by the browse tree) reaches its samples; bad paths are refused. */
import { describe, expect, it } from 'vitest';
import { tagSpec, tagSpecs, withAssets } from '../../src/connectors/opcua';

describe('OPC UA tag asset', () => {
  it('keeps the asset of a tag row and gives it to samples without one', () => {
    const specs = tagSpecs([
      { nodeId: 'ns=2;s=Line1/Filler/Speed', browsePath: '/Objects/Plant/Line1/Filler/Speed', tag: 'Speed', asset: 'Plant/Line1/Filler' },
      { nodeId: 'ns=2;s=Line1/Count', tag: 'Count' },
    ]);
    expect(specs[0]).toMatchObject({ tag: 'Speed', asset: 'Plant/Line1/Filler' });
    expect(specs[1]?.asset).toBeUndefined();
    const samples = withAssets([{ tag: 'Speed' }, { tag: 'Count' }, { tag: 'Speed', asset: 'given/by/sample' }] as Array<{ tag: string; asset?: string }>, specs);
    expect(samples.map((s) => s.asset)).toEqual(['Plant/Line1/Filler', undefined, 'given/by/sample']);
  });

  it('refuses an asset path MQTT cannot carry', () => {
    for (const asset of ['a/+/b', 'a/#', 'a//b', '/a', 'a/']) {
      expect(() => tagSpec({ nodeId: 'i=2258', asset }), asset).toThrow(/asset .* must be a path/);
    }
  });
});
