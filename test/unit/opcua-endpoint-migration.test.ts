/**
 * Issue 16: a new OPC UA endpoint defaults to SignAndEncrypt + Basic256Sha256;
 * an endpoint saved as version 1 keeps the mode it ran with (None when absent).
 */
import { describe, expect, it } from 'vitest';
import { endpointSettings } from '../../src/connectors/opcua';
import { migrateConfig } from '../../src/runtime/migrate';
import { ENDPOINT_MIGRATIONS, secureEndpointDefaults } from '../../src/runtime/opcua';

const spec = { current: 2, migrations: ENDPOINT_MIGRATIONS };
const settingsOf = (raw: Record<string, unknown>) => endpointSettings(secureEndpointDefaults(migrateConfig('plantwire-opcua-endpoint', raw, spec)), {});

describe('OPC UA endpoint security defaults and migration', () => {
  it('an old endpoint without a security mode keeps None', () => {
    const s = settingsOf({ url: 'opc.tcp://h:4840' });
    expect([s.securityMode, s.securityPolicy]).toEqual(['None', 'None']);
    const v1 = settingsOf({ url: 'opc.tcp://h:4840', version: 1, securityMode: '' });
    expect(v1.securityMode).toBe('None');
  });
  it('an old endpoint with an explicit mode keeps it (policy default as before)', () => {
    const s = settingsOf({ url: 'opc.tcp://h:4840', version: 1, securityMode: 'Sign' });
    expect([s.securityMode, s.securityPolicy]).toEqual(['Sign', 'Basic256Sha256']);
  });
  it('a version-2 endpoint without a mode gets SignAndEncrypt + Basic256Sha256', () => {
    const s = settingsOf({ url: 'opc.tcp://h:4840', version: 2 });
    expect([s.securityMode, s.securityPolicy]).toEqual(['SignAndEncrypt', 'Basic256Sha256']);
    expect(settingsOf({ url: 'opc.tcp://h:4840', version: 2, securityMode: 'None' }).securityMode).toBe('None');
  });
});
