/**
 * Cloud connectors without a network: the Azure SAS token against published
 * vectors, the property bag, and the settings validation of the factory.
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { azureEventTopic } from '../../src/connectors/cloud/azure-iot';
import { cloudSettings, createCloudTarget } from '../../src/connectors/cloud/index';
import { deviceResourceUri, deviceSasToken, sasExpiry, sasToken } from '../../src/connectors/cloud/sas';

describe('Azure SAS token (Microsoft documented algorithm)', () => {
  it('matches the known vector of the Azure IoT SDK for Node (azure-iot-common shared_access_signature tests)', () => {
    // Azure/azure-iot-sdk-node common/core/test/_shared_access_signature_test.js:
    // create('uri', null, base64('password'), 12345).toString() ===
    // 'SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345'
    const key = Buffer.from('password').toString('base64');
    expect(sasToken('uri', key, 12345)).toBe('SharedAccessSignature sr=uri&sig=kcWxXAK2OAaAoq2oCkaGzX2NMqDB8nCyNuq2fPYCDhk%3D&se=12345');
  });

  it('a device token signs the URL-encoded "{hub}/devices/{device}" and equals an HMAC computed independently with openssl', () => {
    const hub = 'plantwire-test.azure-devices.net';
    const device = 'line-1:filler';
    const key = Buffer.from('0123456789abcdef0123456789abcdef').toString('base64');
    const expiry = 1_893_456_000; // 2030-01-01T00:00:00Z
    const sr = encodeURIComponent(`${hub}/devices/${device}`);
    expect(deviceResourceUri(hub, device)).toBe('plantwire-test.azure-devices.net%2Fdevices%2Fline-1%3Afiller');
    const hexKey = Buffer.from(key, 'base64').toString('hex');
    const digest = execFileSync('openssl', ['dgst', '-sha256', '-mac', 'HMAC', '-macopt', `hexkey:${hexKey}`, '-binary'], { input: `${sr}\n${expiry}` });
    const sig = encodeURIComponent(digest.toString('base64'));
    const token = deviceSasToken(hub, device, key, expiry);
    expect(token).toBe(`SharedAccessSignature sr=${sr}&sig=${sig}&se=${expiry}`);
    expect(sasExpiry(token)).toBe(expiry);
  });

  it('refuses a key that is not base64 (e.g. a pasted connection string) with a clear message', () => {
    expect(() => sasToken('uri', 'HostName=x;DeviceId=y;SharedAccessKey=z', 1)).toThrow(/not a base64 key; copy the primary/);
  });
});

describe('Azure event topic and property bag', () => {
  it('carries content type, encoding, message id and URL-encoded user properties', () => {
    const t = azureEventTopic('dev1', { line: 'Line 1', 'unit/x': '°C&%', '$.ct': 'ignored' }, 'k-1');
    expect(t).toBe('devices/dev1/messages/events/$.ct=application%2Fjson&$.ce=utf-8&$.mid=k-1&line=Line%201&unit%2Fx=%C2%B0C%26%25');
  });
});

describe('cloudSettings: validation with clear messages', () => {
  const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----';
  it('AWS IoT: endpoint, thing name, certificate and key', () => {
    const s = cloudSettings({ target: 'aws-iot', endpoint: 'abc-ats.iot.eu-central-1.amazonaws.com', thingName: 'filler-1', timeout: '5' }, { cert: pem, key: pem });
    expect(s.kind).toBe('aws-iot');
    if (s.kind === 'aws-iot') expect(s.aws).toMatchObject({ endpoint: 'abc-ats.iot.eu-central-1.amazonaws.com', thingName: 'filler-1', timeoutMs: 5000, rejectUnauthorized: true });
    expect(() => cloudSettings({ target: 'aws-iot', endpoint: '', thingName: 't' }, { cert: pem, key: pem })).toThrow(/AWS endpoint is empty/);
    expect(() => cloudSettings({ target: 'aws-iot', endpoint: 'h', thingName: 'bad name' }, { cert: pem, key: pem })).toThrow(/thing name "bad name" is not valid/);
    expect(() => cloudSettings({ target: 'aws-iot', endpoint: 'h', thingName: 't' }, { cert: pem })).toThrow(/needs the device certificate and its private key/);
    expect(() => cloudSettings({ target: 'aws-iot', endpoint: 'h:99999', thingName: 't' }, { cert: pem, key: pem })).toThrow(/port 99999 is out of range/);
  });

  it('Azure IoT: hub host, device id, key, API version and token lifetime', () => {
    const key = Buffer.from('k'.repeat(32)).toString('base64');
    const s = cloudSettings({ target: 'azure-iot', hubHost: 'hub.azure-devices.net', deviceId: 'd1', sasTtl: '600' }, { deviceKey: key });
    if (s.kind !== 'azure-iot') throw new Error('kind');
    expect(s.azure).toMatchObject({ hubHost: 'hub.azure-devices.net', deviceId: 'd1', apiVersion: '2021-04-12', sasTtlS: 600 });
    expect(() => cloudSettings({ target: 'azure-iot', hubHost: 'hub', deviceId: 'd1' }, {})).toThrow(/needs the device key/);
    expect(() => cloudSettings({ target: 'azure-iot', hubHost: 'hub', deviceId: 'd/1' }, { deviceKey: key })).toThrow(/device id "d\/1" is not valid/);
    expect(() => cloudSettings({ target: 'azure-iot', hubHost: 'hub', deviceId: 'd1', sasTtl: 10 }, { deviceKey: key })).toThrow(/SAS token lifetime \(s\) must be at least 60/);
    expect(() => cloudSettings({ target: 'azure-iot', hubHost: 'hub', deviceId: 'd1', apiVersion: 'latest' }, { deviceKey: key })).toThrow(/API version "latest" is not a date/);
  });

  it('unknown target, bad webhook headers, bad S3 bucket', () => {
    expect(() => cloudSettings({ target: 'gcp' })).toThrow(/target must be one of aws-iot, azure-iot, s3, webhook, got "gcp"/);
    expect(() => cloudSettings({ target: 'webhook', url: 'https://x.example/hook', headers: '{bad' })).toThrow(/webhook headers must be a JSON object/);
    expect(() => cloudSettings({ target: 's3', s3Endpoint: 'http://127.0.0.1:9000', bucket: 'A_B' }, { accessKeyId: 'a', secretAccessKey: 'b' })).toThrow(/S3: bucket "A_B" is not a valid bucket name/);
    expect(() => cloudSettings({ target: 's3', s3Endpoint: 'http://127.0.0.1:9000', bucket: 'plant-data' })).toThrow(expect.objectContaining({ code: 'not-set-up', status: 'not set up: S3 access keys missing' }));
    expect(() => cloudSettings({ target: 'webhook', url: 'ftp://x', method: 'GET' })).toThrow(/webhook: URL ftp:\/\/x must start with http:\/\/ or https:\/\/; method must be POST, PUT or PATCH/);
    const w = cloudSettings({ target: 'webhook', url: 'https://x.example/hook', authHeaderName: 'X-Key' }, { authHeader: 'secret' });
    if (w.kind !== 'webhook') throw new Error('kind');
    expect(w.webhook).toMatchObject({ method: 'POST', format: 'json', authHeaderName: 'X-Key', authHeaderValue: 'secret' });
  });

  it('createCloudTarget makes the target of the kind, idle until started', async () => {
    const key = Buffer.from('k'.repeat(32)).toString('base64');
    const t = createCloudTarget(cloudSettings({ target: 'azure-iot', hubHost: 'hub.azure-devices.net', deviceId: 'd1' }, { deviceKey: key }));
    expect(t.kind).toBe('azure-iot');
    expect(t.batching).toBe(false);
    expect(t.state.state).toBe('idle');
    await t.close();
  });
});
