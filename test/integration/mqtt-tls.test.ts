/**
 * TLS with client certificates against a broker the test starts: an aedes
 * broker over tls.createServer with requestCert and rejectUnauthorized, and
 * a CA, server and client certificates made with the openssl CLI in a temp
 * dir (deleted afterwards; no key is ever committed).
 */
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttConnection } from '../../src/connectors/mqtt/connection';
import { brokerSettings, type BrokerConfig } from '../../src/connectors/mqtt/options';
import { makeSample } from '../../src/model/sample';
import { brokerNode, capture, inject, mqttIn, mqttOut, statusOf, TAB } from '../helpers/flows';
import { makeCerts, startAedes, until, type Certs, type EmbeddedBroker } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let certs: Certs;
let broker: EmbeddedBroker;
const opened: MqttConnection[] = [];

beforeAll(async () => {
  certs = makeCerts();
  broker = await startAedes({
    tls: {
      key: fs.readFileSync(certs.serverKey),
      cert: fs.readFileSync(certs.serverCert),
      ca: fs.readFileSync(certs.ca),
      requestCert: true,
      rejectUnauthorized: true,
    },
  });
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.end(true)));
  await broker?.stop();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

function connection(config: BrokerConfig, creds: { passphrase?: string } = {}): MqttConnection {
  const c = new MqttConnection(brokerSettings({ url: broker.url, reconnectPeriod: 300, connectTimeout: 3000, ...config }, creds));
  opened.push(c);
  return c;
}

/** Resolves with the first error state text (the connection must not come up). */
async function refusal(c: MqttConnection): Promise<string> {
  let connected = false;
  c.on('connect', () => void (connected = true));
  await c.open();
  await until(() => c.state.state === 'error' || connected, 'a refusal', 10_000);
  expect(connected, 'must not connect').toBe(false);
  const text = c.state.text;
  await c.end(true);
  return text;
}

describe('MQTT over TLS with client certificates (embedded broker requiring them)', () => {
  it('connects with CA, client certificate and key given as file paths, and round-trips a QoS 1 message', async () => {
    const c = connection({ ca: certs.ca, cert: certs.clientCert, key: certs.clientKey });
    const got: string[] = [];
    c.subscribe('tls/test', (_t, p) => void got.push(p.toString()), { qos: 1 });
    await c.open();
    await c.whenConnected(10_000);
    expect(c.settings.url).toMatch(/^mqtts:/);
    await c.publish('tls/test', 'over TLS', { qos: 1 });
    await until(() => got.length === 1, 'the message');
    expect(got).toEqual(['over TLS']);
  });

  it('an encrypted client key works with its passphrase (a credential)', async () => {
    const c = connection({ ca: fs.readFileSync(certs.ca, 'utf8'), cert: certs.clientCert, key: certs.clientKeyEncrypted }, { passphrase: certs.keyPassphrase });
    await c.open();
    await c.whenConnected(10_000);
  });

  it('the broker refuses a client without certificate and one whose certificate another CA signed', async () => {
    const none = connection({ ca: certs.ca });
    expect(await refusal(none)).toMatch(/TLS: the broker requires a client certificate|broker closed the connection before accepting it|connection reset/);
    const rogue = connection({ ca: certs.ca, cert: certs.rogueCert, key: certs.rogueKey });
    expect(await refusal(rogue)).toMatch(/broker closed the connection before accepting it: check the TLS client certificate|does not trust|refused the client certificate|connection reset/);
  });

  it('the client refuses a broker whose certificate it cannot verify (no CA given)', async () => {
    const c = connection({ cert: certs.clientCert, key: certs.clientKey });
    const text = await refusal(c);
    expect(text).toBe("TLS: cannot verify the broker's certificate (self-signed certificate in the chain): set the CA certificate");
  });

  describe('in Node-RED: broker node with TLS settings (CA as pasted PEM, certificate and key as files)', () => {
    let rt: TestRuntime;
    beforeAll(async () => {
      rt = await startTestRuntime();
    });
    afterAll(async () => {
      await rt?.stop();
    });

    it('mqtt-out → TLS broker → mqtt-in round trip; a missing certificate file is a clear configuration error', async () => {
      const sample = makeSample('Filler/Temperature', 4.2, { asset: 'tls/plant', sourceTimestamp: '2026-01-05T08:00:00.000Z' });
      const tlsSettings = { tls: true, ca: fs.readFileSync(certs.ca, 'utf8'), cert: certs.clientCert, key: certs.clientKey };
      await rt.deploy([
        TAB,
        brokerNode('b1', broker.url.replace('mqtts:', 'mqtt:'), tlsSettings),
        mqttIn('in1', 'b1', ['cap'], { topics: 'tls/plant/#' }),
        mqttOut('out1', 'b1'),
        inject('i1', 'out1', sample),
        capture('cap'),
        statusOf('st', ['in1'], 'status'),
        capture('status'),
      ]);
      await until(() => rt.captured('status').some((c) => /^subscribed to/.test(c.msg.status.text)), 'subscribed over TLS');
      const res = await rt.admin('POST', '/inject/i1');
      expect(res.status).toBe(200);
      const [got] = await rt.waitFor('cap', 1);
      expect(got!.msg.payload).toEqual(sample);

      await rt.deploy([
        TAB,
        brokerNode('b2', broker.url, { ...tlsSettings, cert: `${certs.dir}/missing.pem` }),
        mqttIn('in2', 'b2', ['cap'], { topics: 'tls/plant/#' }),
        { id: 'c2', type: 'catch', z: 'tab1', scope: ['in2'], uncaught: false, x: 50, y: 200, wires: [['errs']] },
        capture('errs'),
        capture('cap'),
      ]);
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/TLS client certificate: cannot read ".*missing.pem" \(ENOENT\); give a readable file path or paste the PEM text/);
    });
  });
});
