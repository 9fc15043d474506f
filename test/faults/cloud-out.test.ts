/**
 * Fault injection for plantwire-cloud-out (Azure IoT Hub target) with the
 * durable buffer, through the shared harness: the hub (an aedes broker on TLS
 * that verifies the SAS token, stopped and started on its port by the test)
 * unreachable for a while, and the disk queue at its size limit.
 *
 * Every record carries its buffer key as Azure message id (`$.mid`); a record
 * whose PUBACK was lost with the connection is sent again with the same id
 * (at-least-once): the receiver counts a second arrival as a duplicate.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudConnection, cloudOut, startAzureLikeBroker, type AzureLikeBroker } from '../helpers/cloud';
import { capture, statusOf, TAB } from '../helpers/flows';
import { makeCerts, type Certs } from '../helpers/mqtt';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { check, dropOldestScenario, generate, generatorNodes, range, seqs, sinkMetrics, until, type Received, type SinkAdapter } from './harness';

const hub = 'faults.azure-devices.net';
const deviceKey = crypto.randomBytes(32).toString('base64');
let certs: Certs;
let broker: AzureLikeBroker;
let from = 0;
let scenario = 'none';

const azureAdapter: SinkAdapter = {
  kind: 'cloud-out (Azure IoT Hub)',
  // Each scenario is its own device, so the hub's messages can be told apart.
  nodes: (buffer) => [
    cloudConnection('hubconn', { target: 'azure-iot', hubHost: hub, deviceId: `dev-${scenario}`, gatewayHost: broker.address, ca: certs.ca }, { deviceKey }),
    cloudOut('sink', 'hubconn', buffer),
  ],
  down: () => broker.down(),
  up: () => broker.up(),
  received: () =>
    broker.messages
      .slice(from)
      .filter((m) => m.topic.startsWith(`devices/dev-${scenario}/messages/events/`))
      .map((m) => {
        const s = JSON.parse(m.payload) as { tag: string; value: number; sourceTimestamp: string };
        return { tag: s.tag, seq: s.value, sourceTimestamp: s.sourceTimestamp } satisfies Received;
      }),
  reset: (name) => {
    scenario = name;
    from = broker.messages.length;
  },
};

beforeAll(async () => {
  certs = makeCerts();
  broker = await startAzureLikeBroker(certs, (a) => {
    const m = /^SharedAccessSignature sr=([^&]+)&sig=([^&]+)&se=(\d+)$/.exec(a.password);
    if (!m) return false;
    const sig = crypto.createHmac('sha256', Buffer.from(deviceKey, 'base64')).update(`${m[1]}\n${m[3]}`).digest('base64');
    return a.username === `${hub}/${a.clientId}/?api-version=2021-04-12` && decodeURIComponent(m[2]!) === sig;
  });
});
afterAll(async () => {
  await broker?.stop();
  if (certs) fs.rmSync(certs.dir, { recursive: true, force: true });
});

const unique = (): number => new Set(azureAdapter.received().map((r) => r.seq)).size;

describe('cloud-out (Azure IoT Hub) durable buffer under faults', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
  });


  it('1. hub unreachable for a while, then back: every accepted message delivered (a resend keeps its $.mid), in order per tag', async () => {
    azureAdapter.reset('unreachable');
    await rt.deploy([TAB, ...azureAdapter.nodes({ bufferMode: 'disk' }), ...generatorNodes('accepted', 'refused'), capture('accepted'), capture('refused'), statusOf('st', ['sink'], 'status'), capture('status')]);
    await until(() => rt.captured('status').some((c) => /^connected to/.test(c.msg.status?.text ?? '')), 'cloud-out connected');
    await rt.admin('POST', '/inject/go', generate(0, 100));
    await until(() => unique() >= 100, 'live messages delivered', 30_000);
    await azureAdapter.down();
    await rt.admin('POST', '/inject/go', generate(100, 200));
    await rt.waitFor('accepted', 300, 30_000);
    await until(() => rt.captured('status').some((c) => /^buffering \d/.test(c.msg.status?.text ?? '')), 'status says buffering');
    expect(unique()).toBeLessThan(300);
    await azureAdapter.up();
    await rt.admin('POST', '/inject/go', generate(300, 100));
    await until(() => unique() >= 400, 'all delivered after recovery');
    await until(async () => (await sinkMetrics(rt)).depth === 0, 'buffer drained');
    const m = await sinkMetrics(rt);
    expect(rt.captured('refused')).toEqual([]);
    check({ scenario: 'hub unreachable then back', kind: azureAdapter.kind, sent: range(0, 400), accepted: seqs(rt.captured('accepted')), received: azureAdapter.received(), dropped: m.dropped, expectedDropped: 0, expectedDelivered: range(0, 400) });
  }, 120_000);

  it('3a. disk queue at its size limit, drop-oldest: the newest entries delivered, the drop counter exact', async () => {
    azureAdapter.reset('size-drop-oldest');
    await dropOldestScenario(rt, azureAdapter, azureAdapter.kind, unique);
  }, 120_000);
});
