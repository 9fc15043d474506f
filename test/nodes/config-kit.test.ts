/**
 * The connection kit passes a config node's misconfiguration to its users
 * (issue 15): for each of the config nodes, a user of a misconfigured
 * one stays inert, its Catch node receives "<field>: the <label> "<name>" is
 * misconfigured: <the problem>" and its status is red with "<field>:
 * <problem>" — the same words for every kind, found by the one lookup
 * (useConfig). Cloud is the degraded kind: its users keep running (buffering)
 * and show the problem instead. No service is needed: a misconfigured config
 * node never connects.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cloudConnection, cloudOut } from '../helpers/cloud';
import { erpConnection, erpQuery } from '../helpers/erp';
import { brokerNode, capture, catcher, emailOut, historianDb, historianOut, mqttIn, natsConnection, natsOut, smtpServerNode, statusOf, TAB } from '../helpers/flows';
import { endpoint, node as opcuaNode } from '../helpers/opcua';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

let rt: TestRuntime;

beforeAll(async () => {
  rt = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await rt?.stop();
}, 30_000);

const modbusDevice = { id: 'mb', type: 'plantwire-modbus-device', name: 'press', version: 1, host: 'http://plc', port: 502, unitId: 1, timeout: 250, resetAfter: 2, reconnectMax: 300, maxQueue: 100, maxRegisters: 125, maxBits: 2000, maxGap: 0 };
const modbusRead = { id: 'u-mb', type: 'plantwire-modbus-read', z: 'tab1', name: '', version: 1, device: 'mb', mapSource: 'table', registers: [{ tag: 'a', address: '0', function: 'holding', dataType: 'uint16' }], csv: '', interval: 1000, output: 'each', changesOnly: false, asset: '', x: 200, y: 100, wires: [] };

/** user id → [the user's dialog field, the config node's label and name, a piece of the problem]. */
const CASES: Record<string, [field: string, label: string, problem: RegExp]> = {
  'u-ua': ['endpoint', 'OPC UA endpoint "plant ua"', /opc\.tcp/],
  'u-mq': ['broker', 'MQTT broker "plant mq"', /persistent session \(clean session off\) needs a fixed client id/],
  'u-mb': ['device', 'Modbus device "press"', /host must be a host name or IP address/],
  'u-db': ['database', 'historian database "plant db"', /table "t; drop table x" is not a plain SQL name/],
  'u-erp': ['connection', 'ERP connection "plant erp"', /URL/i],
  'u-smtp': ['server', 'SMTP server "plant smtp"', /port/i],
  'u-nats': ['connection', 'NATS connection "plant nats"', /"http:\/\/plc:4222" is not a NATS server URL/],
};

describe('a user of a misconfigured config node names the problem', () => {
  it('all eight config nodes, one way', async () => {
    const users = Object.keys(CASES);
    await rt.deploy([
      TAB,
      endpoint('ua', 'http://plc:4840', { name: 'plant ua' }),
      opcuaNode('plantwire-opcua-read', 'u-ua', 'ua', { tags: [{ nodeId: 'ns=2;s=x', tag: 'x' }], output: 'batch' }, [[]]),
      brokerNode('mq', 'mqtt://127.0.0.1:1883', { name: 'plant mq', clean: false, clientId: '' }),
      mqttIn('u-mq', 'mq', [], { topics: 'plant/#' }),
      modbusDevice,
      modbusRead,
      historianDb('db', { name: 'plant db', table: 't; drop table x' }),
      historianOut('u-db', 'db', { bufferMode: 'off' }),
      erpConnection('erp', 'not a url', { name: 'plant erp' }),
      erpQuery('u-erp', 'erp', []),
      smtpServerNode('smtp', 0, { name: 'plant smtp', port: 'abc' }),
      emailOut('u-smtp', 'smtp'),
      natsConnection('nats', { name: 'plant nats', servers: 'http://plc:4222' }),
      natsOut('u-nats', 'nats'),
      cloudConnection('cl', { name: 'plant cl', target: 'azure-iot', hubHost: 'hub.azure-devices.net', deviceId: 'filler-1' }, { deviceKey: 'HostName=x;DeviceId=y;SharedAccessKey=z' }),
      cloudOut('u-cl', 'cl'),
      catcher('c', users, 'errs'),
      statusOf('st', [...users, 'u-cl'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    const errs = await rt.waitFor('errs', users.length, 15_000);
    const byUser = Object.fromEntries(errs.map((e) => [String(e.msg.error.source.id), String(e.msg.error.message)]));
    for (const [user, [field, label, problem]] of Object.entries(CASES)) {
      expect(byUser[user], user).toMatch(new RegExp(`^configuration error: ${field}: the ${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is misconfigured: `));
      expect(byUser[user], user).toMatch(problem);
    }
    const red = (id: string): string[] => rt.captured('status').filter((s) => s.msg.status.source.id === id && s.msg.status.fill === 'red').map((s) => String(s.msg.status.text));
    for (const [user, [field]] of Object.entries(CASES)) expect(red(user).some((t) => t.startsWith(`${field}: `)), `${user}: ${red(user).join(' | ')}`).toBe(true);
    // Cloud keeps its users running on a connection that says what is wrong (a sink's status is rate-limited: it may come up to a second later).
    for (const deadline = Date.now() + 10_000; !red('u-cl').includes('device key is not base64') && Date.now() < deadline; ) await new Promise((r) => setTimeout(r, 50));
    expect(red('u-cl')).toContain('device key is not base64');
  });
});
