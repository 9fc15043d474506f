import { describe, expect, it } from 'vitest';
import { originOf, reuseSecrets, sameOrigin, UNCHANGED_SECRET } from '../../src/runtime/secret-origin';

describe('sameOrigin', () => {
  it.each([
    ['https://erp.example.com/sap/opu', 'https://ERP.example.com:443/other?x=1'],
    ['http://127.0.0.1/', 'http://127.0.0.1:80/a'],
    ['opc.tcp://Plant.local:4840/UA/Server', 'opc.tcp://plant.local/'],
    ['mqtt://broker', 'mqtt://broker:1883'],
    ['mqtts://broker.', 'mqtts://broker:8883'],
    ['smtp.example.com:587', 'SMTP.example.com:587'],
    ['[::1]:25', '[::1]:25'],
    ['http://[::1]:8080/', 'http://[::1]:8080/x'],
  ])('%s = %s', (a, b) => {
    expect(sameOrigin(a, b)).toBe(true);
  });
  it.each([
    ['https://erp.example.com', 'http://erp.example.com'],
    ['https://erp.example.com', 'https://erp.example.com:8443'],
    ['https://erp.example.com', 'https://erp.example.com.evil.net'],
    ['https://erp.example.com', 'https://erp.example.com@evil.net/'],
    ['opc.tcp://plant:4840', 'opc.tcp://plant:4841'],
    ['opc.tcp://plant:4840', 'opc.tcp://evil:4840'],
    ['mqtt://broker', 'mqtts://broker'],
    ['smtp.example.com:587', 'smtp.example.com:25'],
    ['smtp.example.com:587', 'smtp://smtp.example.com:587'],
    ['http://a\\@b/', 'http://a\\@b/'],
    ['', ''],
    ['not a url', 'not a url'],
    ['http://a:99999/', 'http://a:99999/'],
  ])('%s ≠ %s', (a, b) => {
    expect(sameOrigin(a, b)).toBe(false);
  });
  it('normalises', () => {
    expect(originOf('HTTPS://Example.COM/x')).toBe('https://example.com:443');
    expect(originOf('smtp.example.com')).toBe('//smtp.example.com');
  });
});

describe('reuseSecrets', () => {
  const stored = { user: 'u', password: 'secret' };
  it('reuses stored secrets for the deployed origin', () => {
    expect(reuseSecrets({ deployedUrl: 'https://a/x', requestedUrl: 'https://a:443/y', stored, sent: { password: UNCHANGED_SECRET }, keys: ['user', 'password'] })).toEqual(stored);
  });
  it('refuses the placeholder for another origin and names the field', () => {
    expect(() => reuseSecrets({ deployedUrl: 'https://a/x', requestedUrl: 'https://evil/', stored, sent: { user: 'u', password: UNCHANGED_SECRET }, keys: ['user', 'password'], what: 'ERP connection' })).toThrow(/stored password of this ERP connection is only reused for its deployed address https:\/\/a:443/);
  });
  it('leaves absent secrets out for another origin and uses what the request carries', () => {
    expect(reuseSecrets({ deployedUrl: 'https://a/x', requestedUrl: 'https://evil/', stored, sent: { password: 'typed' }, keys: ['user', 'password'] })).toEqual({ password: 'typed' });
  });
  it('without a deployed node only what the request carries counts', () => {
    expect(reuseSecrets({ deployedUrl: undefined, requestedUrl: 'https://a/', stored: undefined, sent: { user: 'x' }, keys: ['user', 'password'] })).toEqual({ user: 'x' });
  });
});
