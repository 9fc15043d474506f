/**
 * The MQTT cloud targets against brokers the test starts:
 * - AWS IoT Core style: the real Mosquitto binary with a TLS listener that
 *   requires a client certificate (require_certificate, use_identity_as_username);
 *   records arrive at a trusted subscriber (MQTT 5, with their user properties); a certificate from another CA is refused
 *   with a clear state text.
 * - Azure IoT Hub style: aedes on TLS whose authenticate hook checks the user name
 *   and verifies the SAS token like the hub does (HMAC over sr + "\n" + se with the
 *   device key); messages carry the events topic and the property bag; the token
 *   is fresh on every reconnect and the connection is renewed before expiry.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AwsIotTarget, type AwsIotSettings } from '../../src/connectors/cloud/aws-iot';
import { AzureIotTarget, type AzureIotSettings } from '../../src/connectors/cloud/azure-iot';
import type { CloudRecord } from '../../src/connectors/cloud/types';
import { makeSample } from '../../src/model/sample';
import { startAzureLikeBroker, startTlsMosquitto, type AzureLikeBroker, type TlsMosquitto } from '../helpers/cloud';
import { closeClient, makeCerts, testClient, until, type Certs } from '../helpers/mqtt';

let certs: Certs;
const targets: Array<{ close(): Promise<void> }> = [];

beforeAll(() => {
  certs = makeCerts();
});
afterAll(async () => {
  await Promise.all(targets.map((t) => t.close()));
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const record = (key: string, topic: string, value: number): CloudRecord => ({ key, ts: Date.now(), topic, body: makeSample('Filler/Temperature', value, { asset: 'acme/berlin/bottling/line1' }) });

describe('AWS IoT Core target against a Mosquitto requiring client certificates', () => {
  let broker: TlsMosquitto;
  beforeAll(async () => {
    broker = await startTlsMosquitto(certs);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const aws = (extra: Partial<AwsIotSettings> = {}): AwsIotTarget => {
    const t = new AwsIotTarget({ endpoint: `127.0.0.1:${broker.port}`, thingName: 'filler-1', cert: certs.clientCert, key: certs.clientKey, ca: certs.ca, timeoutMs: 3000, reconnectPeriodMs: 300, ...extra });
    targets.push(t);
    return t;
  };

  it('publishes each record QoS 1 on its topic with the thing name as client id; a trusted subscriber receives them', async () => {
    const sub = await testClient(broker.url, { ca: fs.readFileSync(certs.ca), cert: fs.readFileSync(certs.clientCert), key: fs.readFileSync(certs.clientKey), clientId: 'trusted-subscriber', protocolVersion: 5 });
    const got: Array<{ topic: string; payload: string; qos: number; props: unknown }> = [];
    sub.on('message', (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos, props: packet.properties }));
    await sub.subscribeAsync('dt/plant/#', { qos: 1 });
    const t = aws();
    const states: string[] = [];
    t.onState((s) => states.push(`${s.state}: ${s.text}`));
    await t.start();
    const recs = [{ ...record('k1', 'dt/plant/line1/temp', 1), properties: { line: 'Line 1' } }, record('k2', 'dt/plant/line1/temp', 2), record('k3', 'dt/plant/line2/temp', 3)];
    await t.deliver(recs);
    await until(() => got.length === 3, 'three messages at the subscriber');
    expect(got.map((g) => g.topic)).toEqual(['dt/plant/line1/temp', 'dt/plant/line1/temp', 'dt/plant/line2/temp']);
    expect(got.map((g) => JSON.parse(g.payload).value)).toEqual([1, 2, 3]);
    expect(got.every((g) => g.qos === 1)).toBe(true);
    // MQTT 5: content type, the record's properties and its stable key as user properties.
    expect(got[0]!.props).toMatchObject({ contentType: 'application/json', userProperties: { line: 'Line 1', 'plantwire-id': 'k1' } });
    expect(got[1]!.props).toMatchObject({ userProperties: { 'plantwire-id': 'k2' } });
    expect(t.connection?.clientId).toBe('filler-1');
    expect(states).toContain(`connected: connected to mqtts://127.0.0.1:${broker.port}`);
    await closeClient(sub);
    await t.close();
  });

  it('a device certificate from another CA is refused: a clear TLS state, and deliver fails (to be retried)', async () => {
    const t = aws({ cert: certs.rogueCert, key: certs.rogueKey, timeoutMs: 1500 });
    await t.start();
    await until(() => t.state.state === 'error', 'the refusal', 10_000);
    expect(t.state.text).toMatch(/^TLS: the broker (does not trust the CA of|refused) the client certificate/);
    await expect(t.deliver([record('k9', 'dt/plant/x', 9)])).rejects.toThrow(/aws-iot: not connected \(TLS: the broker/);
    await t.close();
  });

  it('while the broker is down deliver fails at once (the buffer keeps the records); after the reconnect it succeeds', async () => {
    const t = aws({ timeoutMs: 8000 });
    await t.start();
    await until(() => t.state.state === 'connected', 'connected');
    await broker.down();
    await until(() => t.state.state !== 'connected' && t.state.state !== 'connecting', 'the outage noticed');
    await expect(t.deliver([record('k5', 'dt/plant/late', 5)])).rejects.toThrow(/aws-iot: not connected \(broker mqtts:\/\/127\.0\.0\.1:\d+ unreachable\)/);
    await broker.up();
    await until(() => t.state.state === 'connected', 'reconnected', 15_000);
    await t.deliver([record('k5', 'dt/plant/late', 5)]);
    await t.close();
  });
});

describe('Azure IoT Hub target against a broker verifying the SAS token', () => {
  const hub = 'plantwire-test.azure-devices.net';
  const device = 'filler-1';
  const deviceKey = crypto.randomBytes(32).toString('base64');
  let broker: AzureLikeBroker;
  /** What IoT Hub checks: user name, client id, sr, a valid HMAC signature, an expiry in the future. */
  const verify = (a: { clientId: string; username: string; password: string }): boolean => {
    const m = /^SharedAccessSignature sr=([^&]+)&sig=([^&]+)&se=(\d+)$/.exec(a.password);
    if (!m) return false;
    const [, sr, sig, se] = m;
    const expected = crypto.createHmac('sha256', Buffer.from(deviceKey, 'base64')).update(`${sr}\n${se}`).digest('base64');
    return a.clientId === device && a.username === `${hub}/${device}/?api-version=2021-04-12` && sr === encodeURIComponent(`${hub}/devices/${device}`) && decodeURIComponent(sig!) === expected && Number(se) > clock() / 1000;
  };
  let offset = 0;
  const clock = (): number => Date.now() + offset;

  beforeAll(async () => {
    broker = await startAzureLikeBroker(certs, verify);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const azure = (extra: Partial<AzureIotSettings> = {}): AzureIotTarget => {
    const t = new AzureIotTarget({ hubHost: hub, deviceId: device, deviceKey, gatewayHost: broker.address, ca: certs.ca, sasTtlS: 3600, timeoutMs: 3000, reconnectPeriodMs: 200, now: clock, ...extra });
    targets.push(t);
    return t;
  };

  it('connects with user name {hub}/{device}/?api-version=… and a valid SAS token; messages carry the events topic with the property bag', async () => {
    const t = azure();
    await t.start();
    await until(() => t.state.state === 'connected', `connected (${t.state.text})`);
    const att = broker.attempts.at(-1)!;
    expect(att).toMatchObject({ clientId: device, username: `${hub}/${device}/?api-version=2021-04-12`, accepted: true });
    expect(att.password).toBe(t.token);
    const before = broker.messages.length;
    await t.deliver([{ key: 'rec-1', ts: Date.now(), body: { tag: 'Temperature', value: 21.5 }, properties: { line: 'Line 1', unit: '°C' } }]);
    await until(() => broker.messages.length === before + 1, 'the message');
    const msg = broker.messages.at(-1)!;
    expect(msg.topic).toBe(`devices/${device}/messages/events/$.ct=application%2Fjson&$.ce=utf-8&$.mid=rec-1&line=Line%201&unit=%C2%B0C`);
    expect(JSON.parse(msg.payload)).toEqual({ tag: 'Temperature', value: 21.5 });
    await t.close();
  });

  it('a wrong device key is refused with a clear state text', async () => {
    const t = azure({ deviceKey: crypto.randomBytes(32).toString('base64') });
    await t.start();
    await until(() => t.state.state === 'error', 'the refusal');
    expect(t.state.text).toMatch(/connection refused: (not authorised|bad user name or password)/);
    await t.close();
  });

  it('a reconnect presents a fresh token; the connection is renewed with a new token before the old one expires', async () => {
    const t = azure({ renewMs: 400 });
    await t.start();
    await until(() => t.state.state === 'connected', 'connected');
    const first = t.token;
    // Renewal: a new accepted connect with a later expiry.
    offset += 5000;
    const n = broker.attempts.length;
    await until(() => broker.attempts.length > n && broker.attempts.at(-1)!.accepted && t.state.state === 'connected', 'the renewal');
    const renewed = broker.attempts.at(-1)!.password;
    expect(renewed).not.toBe(first);
    expect(Number(/se=(\d+)/.exec(renewed)![1])).toBeGreaterThan(Number(/se=(\d+)/.exec(first)![1]));
    await t.close();

    // Reconnect after an outage: mqtt.js reconnects with the token made just before.
    const r = azure();
    await r.start();
    await until(() => r.state.state === 'connected', 'connected');
    const tokenBefore = r.token;
    await broker.down();
    offset += 5000;
    await broker.up();
    const m = broker.attempts.length;
    await until(() => broker.attempts.length > m && r.state.state === 'connected', 'the reconnect');
    const after = broker.attempts.at(-1)!;
    expect(after.accepted).toBe(true);
    expect(after.password).not.toBe(tokenBefore);
    await r.deliver([{ key: 'after-reconnect', ts: Date.now(), body: 1 }]);
    await r.close();
  });
});
