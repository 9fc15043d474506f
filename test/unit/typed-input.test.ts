import { describe, expect, it } from 'vitest';
import { defaultAssetPath, mqttOutSettings } from '../../src/connectors/mqtt/node-settings';
import { describeTyped, evaluateTyped, typedSetting } from '../../src/runtime/typed-input';
import type { RedNode } from '../../src/runtime/types';
import { migrateConfig, typedFieldsMigration } from '../../src/runtime/migrate';
import { typedText, typedAssetPath } from '../../src/model/settings';
import { typedTemplate } from '../../src/connectors/mqtt/uns';
import { checkEntity, erpOutSettings } from '../../src/connectors/erp/node-settings';

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

  it('migrations to version 2: plain fields become fixed texts (str), the ERP key stays a JSONata expression; a saved source is kept', () => {
    const m = { current: 2, migrations: { 1: typedFieldsMigration({ entity: 'str', key: 'jsonata' }) } };
    expect(migrateConfig('plantwire-erp-out', { id: 'e', entity: 'orders/{key}', key: 'payload.order' }, m)).toMatchObject({ version: 2, entity: 'orders/{key}', entityType: 'str', key: 'payload.order', keyType: 'jsonata' });
    expect(migrateConfig('plantwire-erp-out', { id: 'e', version: 1, entity: 'x', entityType: 'msg', key: 'k', keyType: 'env' }, m)).toMatchObject({ version: 2, entityType: 'msg', keyType: 'env' });
    const old = migrateConfig('plantwire-erp-out', { id: 'e', version: 1, operation: 'update', entity: 'orders/{key}', key: 'payload.order', mapping: 'payload' }, m);
    expect(erpOutSettings(old, 'rest')).toMatchObject({ entity: 'orders/{key}', entitySource: { type: 'str' }, key: 'payload.order', keyType: 'jsonata' });
    // A flow saved without any version (before versions existed) too.
    const mail = { current: 2, migrations: { 1: typedFieldsMigration({ to: 'str', subject: 'str' }) } };
    expect(migrateConfig('plantwire-email-out', { id: 'm', to: 'a@example.com', subject: '{tag}' }, mail)).toMatchObject({ version: 2, toType: 'str', subjectType: 'str' });
  });

  it('values read per message: text, asset paths, topic templates and ERP entities are checked with a message naming the source', () => {
    const src = { value: 'x', type: 'msg' as const };
    expect(typedText(' a ', src, 'recipients')).toBe('a');
    expect(typedText(42, src, 'recipients')).toBe('42');
    expect(typedText(undefined, src, 'recipients')).toBe('');
    expect(() => typedText({}, src, 'recipients')).toThrow(/recipients from msg.x must be text, got object/);
    expect(() => typedText(['a'], src, 'recipients')).toThrow(/got array/);
    expect(typedAssetPath('/a/b/', src, 'asset path')).toBe('a/b');
    expect(() => typedAssetPath('a/#', src, 'asset path')).toThrow(/asset path "a\/#" from msg.x must not contain \+ or #/);
    expect(typedTemplate('plant/{line}/{tag}', src)).toBe('plant/{line}/{tag}');
    expect(() => typedTemplate('', src)).toThrow(/topic template from msg.x is empty/);
    expect(() => typedTemplate('a/{shift}', src)).toThrow(/topic template from msg.x: unknown placeholder \{shift\}/);
    expect(() => typedTemplate('a/+', src)).toThrow(expect.objectContaining({ code: 'bad-input' }));
    expect(checkEntity('orders/{key}', 'rest', 'bad-input', src)).toBe('orders/{key}');
    expect(() => checkEntity('orders/{key}', 'odoo', 'bad-input', src)).toThrow(/entity "orders\/\{key\}" from msg.x: \{placeholders\} are for REST paths/);
    expect(() => erpOutSettings({ entity: 'e', entityType: 'msg', operation: 'update', mapping: 'payload' }, 'sap-odata-v2')).toThrow(/update needs the document key/);
    expect(() => erpOutSettings({ entity: 'e', entityType: 'msg', operation: 'update', mapping: 'payload' }, 'rest')).not.toThrow();
    expect(() => erpOutSettings({ entity: 'e', key: '', keyType: 'msg', mapping: 'payload' })).toThrow(/key: name the msg property to read/);
  });
});
