/**
 * Cloud connectors without a network: the Azure SAS token against published
 * vectors, the property bag, and the settings validation of the factory.
 */
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { azureEventTopic } from '../../src/connectors/cloud/azure-iot';
import { cloudConnectionFields } from '../../src/connectors/cloud/fields';
import { cloudOutFields } from '../../src/connectors/cloud/out-fields';
import { cloudSettings, createCloudTarget } from '../../src/connectors/cloud/index';
import { fieldOk } from '../../src/model/fields';
import { cloudOutSettings, partSettler, toCloudRecords } from '../../src/connectors/cloud/out';
import { deviceResourceUri, deviceSasToken, sasExpiry, sasToken } from '../../src/connectors/cloud/sas';
import { makeSample } from '../../src/model/sample';
import { nodeRule } from '../../src/bundle/rules';

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

describe('Azure property bag round trip (property-based)', () => {
  it('any property names and values decode back from the topic exactly, in order, after the system properties', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ minLength: 1 }).filter((k) => !k.startsWith('$')), fc.string()), fc.string({ minLength: 1 }), (props, mid) => {
        const topic = azureEventTopic('dev-1', props, mid);
        const prefix = 'devices/dev-1/messages/events/';
        expect(topic.startsWith(prefix)).toBe(true);
        const pairs = topic.slice(prefix.length).split('&').map((p) => p.split('='));
        // Every name and value is encoded: no raw "&", "=", "/" or "#" can break the bag.
        expect(pairs.every((p) => p.length === 2)).toBe(true);
        const decoded = pairs.map(([k, v]) => [decodeURIComponent(k!), decodeURIComponent(v!)]);
        expect(decoded).toEqual([['$.ct', 'application/json'], ['$.ce', 'utf-8'], ['$.mid', mid], ...Object.entries(props)]);
        expect(topic).not.toMatch(/[#+]/);
      }),
      { numRuns: 300 },
    );
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

  it('the field spec (src/connectors/cloud/fields.ts): a field counts for its targets only, the dialog and the deploy refuse alike', () => {
    const f = cloudConnectionFields.fields;
    expect(fieldOk(f.bucket, 'A_B', { target: 's3' })).toBe(false);
    expect(fieldOk(f.bucket, 'A_B', { target: 'webhook' })).toBe(true);
    expect(fieldOk(f.flushCount, '1.5', { target: 'webhook' })).toBe(false);
    expect(fieldOk(f.thingName, 'bad name', { target: 'aws-iot' })).toBe(false);
    expect(fieldOk(f.keyPattern, 'plant/{yyyy}/{asset}', { target: 's3' })).toBe(false);
    expect(fieldOk(f.ca, '/etc/ssl/ca.pem', { target: 'webhook' })).toBe(true);
    const hook = { target: 'webhook', url: 'https://x.example/hook' };
    expect(() => cloudSettings({ ...hook, flushCount: '1.5' })).toThrow('flush count must be a whole number, got 1.5');
    expect(() => cloudSettings({ ...hook, ca: 'not\na certificate' })).toThrow(/^CA certificate must be PEM text \(-----BEGIN CERTIFICATE----- …\) or one file path, got/);
    expect(cloudSettings({ ...hook, method: 'post' })).toMatchObject({ webhook: { method: 'POST' } });
    expect(cloudSettings({ ...hook, bucket: 'A_B' }).kind).toBe('webhook');
  });

  it('cloud-out field spec (src/connectors/cloud/out-fields.ts): a fixed topic without wildcards, properties a JSON object; an empty fixed topic is the default', () => {
    const f = cloudOutFields.fields;
    expect(fieldOk(f.topic, 'dt/#', { topicType: 'str' }, 'str')).toBe(false);
    expect(fieldOk(f.topic, 'cloudTopic', { topicType: 'msg' }, 'msg')).toBe(true);
    expect(fieldOk(f.properties, '["a"]', {})).toBe(false);
    expect(() => cloudOutSettings({ topic: 'dt/#' }, 'webhook')).toThrow('topic template must not be empty nor contain the MQTT wildcards + or #, got "dt/#"');
    expect(cloudOutSettings({ topic: '' }, 'webhook').topic).toBe('{asset}/{tag}');
    expect(() => cloudOutSettings({ topic: 'dt/{asset}', bufferMode: 'tape' } as Parameters<typeof cloudOutSettings>[0], 'webhook')).toThrow(/buffer must be one of off, memory, disk/);
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

  it('AWS IoT on port 443 asks for the ALPN protocol x-amzn-mqtt-ca; on 8883 it does not; client id = thing name', async () => {
    const options = (endpoint: string): Record<string, unknown> => {
      const t = createCloudTarget(cloudSettings({ target: 'aws-iot', endpoint, thingName: 'filler-1' }, { cert: pem, key: pem }));
      return (t as unknown as { brokerSettings(): { options: Record<string, unknown> } }).brokerSettings().options;
    };
    expect(options('abc-ats.iot.eu-central-1.amazonaws.com:443')).toMatchObject({ ALPNProtocols: ['x-amzn-mqtt-ca'], clientId: 'filler-1', protocolVersion: 5, rejectUnauthorized: true });
    expect(options('abc-ats.iot.eu-central-1.amazonaws.com').ALPNProtocols).toBeUndefined();
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

describe('cloud-out: settings and records of a message', () => {
  const s = (v: number, asset = 'acme/berlin/bottling/line1') => makeSample('Filler/Temperature', v, { asset, unit: '°C', sourceTimestamp: '2026-01-05T08:00:00.000Z' });

  it('AWS: one record per sample with its templated topic; a bad template is a configuration error', () => {
    const settings = cloudOutSettings({ topic: 'dt/{site}/{line}/{tag}' }, 'aws-iot');
    const recs = toCloudRecords({ payload: [s(1), s(2)] }, settings, 'aws-iot');
    expect(recs.map((r) => r.topic)).toEqual(['dt/berlin/line1/Filler/Temperature', 'dt/berlin/line1/Filler/Temperature']);
    expect(recs.map((r) => (r.body as { value: number }).value)).toEqual([1, 2]);
    expect(recs[0]!.asset).toBe('acme/berlin/bottling/line1');
    expect(() => cloudOutSettings({ topic: 'dt/#' }, 'aws-iot')).toThrow(/must not contain the wildcards/);
    expect(() => cloudOutSettings({ topic: 'dt/{plant}/{tag}' }, 'aws-iot')).toThrow(/unknown placeholder \{plant\}/);
    // A sample without the asset level the template needs rejects the whole message.
    expect(() => toCloudRecords({ payload: [s(1), s(2, 'acme')] }, settings, 'aws-iot')).toThrow(/the topic template uses \{site\} but the asset path "acme" has no site level/);
  });

  it('Azure: properties with placeholders, msg.properties added; no topic', () => {
    const settings = cloudOutSettings({ properties: '{"line": "{asset}", "unit": "{unit}", "n": 3}' }, 'azure-iot');
    const [r] = toCloudRecords({ payload: s(1), properties: { shift: 'B', n: 4 } }, settings, 'azure-iot');
    expect(r!.topic).toBeUndefined();
    expect(r!.properties).toEqual({ line: 'acme/berlin/bottling/line1', unit: '°C', n: '4', shift: 'B' });
  });

  it('bad properties in the dialog or the message are clear errors', () => {
    expect(() => cloudOutSettings({ properties: '{"a": ' }, 'azure-iot')).toThrow(/message properties must be a JSON object/);
    expect(() => cloudOutSettings({ properties: '{"$.ct": "x"}' }, 'azure-iot')).toThrow(/names starting with \$ are Azure system properties/);
    expect(() => cloudOutSettings({ properties: '{"a": "{site}"}' }, 'azure-iot')).toThrow(/unknown placeholder \{site\}/);
    const settings = cloudOutSettings({}, 'azure-iot');
    expect(() => toCloudRecords({ payload: s(1), properties: 'x' }, settings, 'azure-iot')).toThrow(/msg.properties must be an object of text values, got string/);
    expect(() => toCloudRecords({ payload: s(1), properties: { a: { b: 1 } } }, settings, 'azure-iot')).toThrow(/msg.properties.a must be text/);
  });
});

describe('bundle rules for the cloud nodes', () => {
  it('cloud-out must reference a cloud connection; a connection needs the fields of its target', () => {
    const out = nodeRule('plantwire-cloud-out');
    expect(out?.refs?.connection).toEqual({ types: ['plantwire-cloud-connection'], required: true });
    const conn = nodeRule('plantwire-cloud-connection')!;
    const ctx = { byId: new Map() };
    expect(conn.check!({ id: 'c', type: 'plantwire-cloud-connection', target: 'azure-iot', hubHost: 'h.azure-devices.net', deviceId: '' }, ctx)).toEqual([{ field: 'deviceId', message: 'deviceId is required for the azure-iot target' }]);
    expect(conn.check!({ id: 'c', type: 'plantwire-cloud-connection', target: 'gcp' }, ctx)[0]).toMatchObject({ field: 'target' });
    expect(conn.check!({ id: 'c', type: 'plantwire-cloud-connection', target: 'webhook', url: 'https://x.example/h' }, ctx)).toEqual([]);
  });
});

describe('partSettler (cloud-out: entries finished part by part)', () => {
  it('settles an entry once all its records landed, holding back entries that share a part with an unfinished one', () => {
    const settled: number[][] = [];
    // Entry 1: one record; entry 2: records in two parts (assets A and B); entry 3: one record.
    const part = partSettler(
      [
        { id: 1, keys: ['k1'] },
        { id: 2, keys: ['k2-0', 'k2-1'] },
        { id: 3, keys: ['k3'] },
      ],
      (ids) => settled.push(ids),
    );
    // Part A holds entry 1 and half of entry 2: settling entry 1 alone would make a retry form part A from entry 2's record (another object).
    part(['k1', 'k2-0']);
    expect(settled).toEqual([]);
    part(['k3']);
    expect(settled).toEqual([[3]]);
    // Part B completes entry 2: part A now holds only finished entries.
    part(['k2-1']);
    expect(settled).toEqual([[3], [1, 2]]);
    // A part confirmed twice (or an unknown key) settles nothing again.
    part(['k1', 'k2-0']);
    part(['other']);
    expect(settled).toEqual([[3], [1, 2]]);
  });

  it('one record per entry (MQTT targets, PUBACK per record): each entry as its record is confirmed', () => {
    const settled: number[] = [];
    const part = partSettler([1, 2, 3].map((id) => ({ id, keys: [`k${id}`] })), (ids) => settled.push(...ids));
    part(['k2']);
    part(['k1']);
    expect(settled).toEqual([2, 1]);
  });
});
