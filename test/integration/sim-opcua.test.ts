import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import {
  AttributeIds,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
} from 'node-opcua';
import type { ClientSession, ClientSubscription, DataValue } from 'node-opcua';
import { plantTags, startOpcUaPlant } from '../../src/sim/opcua-plant';
import type { OpcUaPlant } from '../../src/sim/opcua-plant';

const BENCH = 200;
const T = 30_000;

describe('OPC UA plant simulator', () => {
  let tmp = '';
  let plant: OpcUaPlant | undefined;
  let client: OPCUAClient | undefined;
  let clientCm: OPCUACertificateManager | undefined;
  let session: ClientSession | undefined;
  let subscription: ClientSubscription | undefined;
  let ns = -1;
  let stopped = false;
  const id = (tag: string): string => `ns=${ns};s=${tag}`;
  const s = (): ClientSession => {
    if (!session) throw new Error('no session');
    return session;
  };
  const read = async (tag: string): Promise<DataValue> => s().read({ nodeId: id(tag), attributeId: AttributeIds.Value });

  beforeAll(async () => {
    tmp = await fs.mkdtemp(path.join(os.tmpdir(), 'plantwire-sim-opcua-'));
    plant = await startOpcUaPlant({ port: 0, benchTags: BENCH, updateMs: 500, pkiDir: path.join(tmp, 'server-pki') });
    clientCm = new OPCUACertificateManager({ rootFolder: path.join(tmp, 'client-pki'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
    client = OPCUAClient.create({
      applicationName: 'plantwire-sim-test',
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 1, initialDelay: 100, maxDelay: 200 },
      clientCertificateManager: clientCm,
    });
    await client.connect(plant.endpointUrl);
    session = await client.createSession();
    const namespaces = await session.readNamespaceArray();
    ns = namespaces.indexOf(plant.namespaceUri);
  }, T);

  afterAll(async () => {
    // Once the plant is stopped the session is gone; only drop the connection then.
    if (!stopped) {
      await subscription?.terminate().catch(() => undefined);
      await session?.close().catch(() => undefined);
    }
    await client?.disconnect().catch(() => undefined);
    await clientCm?.dispose().catch(() => undefined);
    await plant?.stop().catch(() => undefined);
    if (tmp) await fs.rm(tmp, { recursive: true, force: true });
  }, T);

  it('listens on loopback and reports its shape', () => {
    if (!plant) throw new Error('plant did not start');
    expect(plant.endpointUrl).toBe(`opc.tcp://127.0.0.1:${plant.port}`);
    expect(plant.port).toBeGreaterThan(0);
    expect(plant.namespaceUri).toBe('urn:plantwire:sim:plant');
    // 2 lines × (26 signals + StateName + TemperatureSetpoint) + bench tags
    expect(plant.tagCount).toBe(2 * 28 + BENCH);
    expect(plant.tagCount).toBe(plantTags({ lines: 2, benchTags: BENCH }).length);
    expect(ns).toBeGreaterThan(0);
  });

  it('offers None and Basic256Sha256 Sign/SignAndEncrypt endpoints', async () => {
    if (!client) throw new Error('no client');
    const endpoints = await client.getEndpoints();
    const offered = endpoints.map((e) => `${MessageSecurityMode[e.securityMode]}:${e.securityPolicyUri?.split('#')[1] ?? ''}`);
    expect(offered).toEqual(expect.arrayContaining(['None:None', 'Sign:Basic256Sha256', 'SignAndEncrypt:Basic256Sha256']));
    expect(endpoints[0]?.server.applicationName.text).toBe('Plantwire plant simulator');
  }, T);

  it('browses Objects/Plant', async () => {
    const result = await s().browse(id('Plant'));
    const names = (result.references ?? []).map((r) => r.browseName.name);
    expect(names).toEqual(expect.arrayContaining(['Line1', 'Line2', 'Bench']));
    const filler = await s().browse(id('Line1/Filler'));
    expect((filler.references ?? []).map((r) => r.browseName.name)).toEqual(expect.arrayContaining(['ProductTemperature', 'FillCount', 'TemperatureSetpoint']));
  }, T);

  it('serves realistic, typed values', async () => {
    const temp = await read('Line1/Filler/ProductTemperature');
    expect(temp.statusCode.isGood()).toBe(true);
    expect(temp.value.dataType).toBe(DataType.Double);
    expect(temp.value.value).toBeGreaterThanOrEqual(3.5);
    expect(temp.value.value).toBeLessThanOrEqual(6.5);
    expect(temp.sourceTimestamp).toBeInstanceOf(Date);

    const [state, stateName, alarm] = await Promise.all([read('Line1/State'), read('Line1/StateName'), read('Line1/Alarms/CapperJam')]);
    expect(state.value.dataType).toBe(DataType.Int32);
    expect(stateName.value.dataType).toBe(DataType.String);
    expect(['Running', 'Idle', 'Starved', 'Blocked', 'Fault', 'Maintenance'][state.value.value as number]).toBe(stateName.value.value);
    expect(alarm.value.dataType).toBe(DataType.Boolean);
  }, T);

  it('counts bottles', async () => {
    const first = await read('Line1/Filler/FillCount');
    expect(first.value.dataType).toBe(DataType.UInt32);
    await new Promise((r) => setTimeout(r, 1500));
    const second = await read('Line1/Filler/FillCount');
    expect(second.value.value as number).toBeGreaterThan(first.value.value as number);
    expect(second.sourceTimestamp?.getTime() ?? 0).toBeGreaterThan(first.sourceTimestamp?.getTime() ?? 0);
  }, T);

  it('accepts setpoints in 0..20 °C and refuses others with BadOutOfRange', async () => {
    const tag = 'Line1/Filler/TemperatureSetpoint';
    expect((await read(tag)).value.value).toBe(4.5);
    const ok = await s().write({ nodeId: id(tag), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 5.5 } } });
    expect(ok.name).toBe('Good');
    expect((await read(tag)).value.value).toBe(5.5);
    const bad = await s().write({ nodeId: id(tag), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 25 } } });
    expect(bad).toBe(StatusCodes.BadOutOfRange);
    expect((await read(tag)).value.value).toBe(5.5);
    // Generated tags are read-only.
    const ro = await s().write({ nodeId: id('Line1/Filler/ProductTemperature'), attributeId: AttributeIds.Value, value: { value: { dataType: DataType.Double, value: 5 } } });
    expect(ro.isGood()).toBe(false);
  }, T);

  it('resets the counters of a line', async () => {
    const before = await read('Line2/Filler/FillCount');
    expect(before.value.value as number).toBeGreaterThan(0);
    const result = await s().call({ objectId: id('Line2'), methodId: id('Line2/ResetCounters'), inputArguments: [] });
    expect(result.statusCode.isGood()).toBe(true);
    expect(result.outputArguments?.[0]?.dataType).toBe(DataType.UInt32);
    expect(result.outputArguments?.[0]?.value).toBe(4);
    const after = await read('Line2/Filler/FillCount');
    expect(after.value.value as number).toBeLessThan(before.value.value as number);
  }, T);

  it(`streams changes of ${BENCH} bench tags in one subscription`, async () => {
    subscription = await s().createSubscription2({
      requestedPublishingInterval: 100,
      requestedLifetimeCount: 100,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    const items = plantTags({ lines: 2, benchTags: BENCH })
      .filter((t) => t.tag.startsWith('Bench/'))
      .map((t) => ({ nodeId: id(t.tag), attributeId: AttributeIds.Value }));
    expect(items).toHaveLength(BENCH);
    let changes = 0;
    const seen = new Set<number>();
    const started = Date.now();
    // monitorItems creates all monitored items with one CreateMonitoredItems call.
    const group = await subscription.monitorItems(items, { samplingInterval: 100, queueSize: 10, discardOldest: true }, TimestampsToReturn.Both);
    group.on('changed', (_item, dataValue: DataValue, index: number) => {
      if (dataValue.statusCode.isGood() && dataValue.sourceTimestamp) changes++;
      seen.add(index);
    });
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (changes >= 1000) {
          clearInterval(timer);
          resolve();
        } else if (Date.now() - started > 10_000) {
          clearInterval(timer);
          reject(new Error(`only ${changes} changes in 10 s`));
        }
      }, 50);
    });
    expect(changes).toBeGreaterThanOrEqual(1000);
    expect(seen.size).toBe(BENCH);
    expect(Date.now() - started).toBeLessThan(10_000);
  }, T);

  it('stops within 3 s', async () => {
    if (!plant) throw new Error('plant did not start');
    const t0 = Date.now();
    await plant.stop();
    stopped = true;
    expect(Date.now() - t0).toBeLessThan(3000);
  }, T);
});
