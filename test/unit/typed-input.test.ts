import { describe, expect, it } from 'vitest';
import { defaultAssetPath, mqttOutSettings } from '../../src/connectors/mqtt/node-settings';
import { describeTyped, evaluateTyped, typedSetting } from '../../src/runtime/typed-input';
import type { RedNode } from '../../src/runtime/types';

const node = { id: 'n1' } as unknown as RedNode;

describe('typed inputs (str / msg / flow / global / env)', () => {
  it('reads the field and its type; a missing type is str (flows saved before the field was typed)', () => {
    expect(typedSetting('acme/hh', undefined, 'asset')).toEqual({ value: 'acme/hh', type: 'str' });
    expect(typedSetting('site', 'msg', 'asset')).toEqual({ value: 'site', type: 'msg' });
    expect(() => typedSetting('x', 'jsonata', 'default asset path')).toThrow(/default asset path: unknown source type "jsonata"; use one of str, msg, flow, global, env/);
    expect(() => typedSetting('  ', 'env', 'default asset path')).toThrow(/name the environment variable to read/);
    expect(describeTyped({ value: 'site', type: 'msg' })).toBe('msg.site');
    expect(describeTyped({ value: 'PLANT', type: 'env' })).toBe('env PLANT');
  });

  it('evaluates through Node-RED\'s evaluateNodeProperty, passing its errors on as rejections', async () => {
    const calls: unknown[] = [];
    const evaluate = (v: string, t: string, _n: RedNode, msg: Record<string, unknown>, cb: (e: Error | null, r: unknown) => void): void => {
      calls.push([v, t]);
      if (v === 'boom') cb(new Error('context store down'), undefined);
      else cb(null, msg[v]);
    };
    expect(await evaluateTyped(evaluate, { value: 'site', type: 'msg' }, node, { site: 'acme/hh' })).toBe('acme/hh');
    await expect(evaluateTyped(evaluate, { value: 'boom', type: 'flow' }, node, {})).rejects.toThrow(/context store down/);
    expect(await evaluateTyped(undefined, { value: 'fixed', type: 'str' }, node, {})).toBe('fixed');
    await expect(evaluateTyped(undefined, { value: 'site', type: 'msg' }, node, {})).rejects.toThrow(/cannot read msg.site/);
    expect(calls).toEqual([['site', 'msg'], ['boom', 'flow']]);
  });

  it('mqtt-out: the default asset path is fixed or typed; evaluated values are checked', () => {
    expect(mqttOutSettings({ id: 'o1', type: 'plantwire-mqtt-out', asset: '/acme/hh/' }).asset).toBe('acme/hh');
    expect(mqttOutSettings({ id: 'o1', type: 'plantwire-mqtt-out', asset: '/acme/hh/' }).assetSource).toEqual({ value: '/acme/hh/', type: 'str' });
    const typed = mqttOutSettings({ id: 'o1', type: 'plantwire-mqtt-out', asset: 'site', assetType: 'msg' });
    expect(typed.asset).toBe('');
    expect(typed.assetSource).toEqual({ value: 'site', type: 'msg' });
    expect(() => mqttOutSettings({ id: 'o1', type: 'plantwire-mqtt-out', asset: 'a/+/b' })).toThrow(/must not contain \+ or #/);
    const src = { value: 'site', type: 'msg' as const };
    expect(defaultAssetPath(' /acme/hh/ ', src)).toBe('acme/hh');
    expect(defaultAssetPath(undefined, src)).toBeUndefined();
    expect(defaultAssetPath('', src)).toBeUndefined();
    expect(() => defaultAssetPath(42, src)).toThrow(/default asset path from msg.site must be text, got number/);
    expect(() => defaultAssetPath('a/#', src)).toThrow(/default asset path "a\/#" from msg.site must not contain \+ or #/);
  });
});
