/**
 * Every example in flows/ (all but the demo) deploys green against `npm start`
 * with simulators on non-default ports: the examples read the simulator
 * addresses from environment variables (`${PLANTWIRE_OPCUA_URL}` …, defaults on
 * their tab) that `plantwire start` sets to where its simulators really run.
 *
 * Deployed as the editor's import puts them: each example on its own tab
 * (the example's tab, with its label and environment variables). Green means:
 * no node shows a red status, no error line in the log, no catch node fired,
 * and the nodes that talk to a simulator report a green status (connected /
 * data / sent).
 *
 * Examples that need an outside service:
 * - erp-odoo-maintenance: the Odoo simulator (npm start does not run it) is
 *   started here on a free port and given through PLANTWIRE_ODOO_URL.
 * - mqtt-*, sparkplug-*: Mosquitto on 127.0.0.1:1883 (skipped without it).
 * - historian-postgres: PostgreSQL on 127.0.0.1:5432, database `test`
 *   (skipped without it).
 * - skipped always: cloud-aws-iot and cloud-azure-iot (need an AWS IoT Core /
 *   Azure IoT Hub account and device credentials; nothing local speaks those
 *   endpoints) and historian-influx (needs InfluxDB 2 with an organisation,
 *   a bucket and an API token; only InfluxDB 1 is installable here, covered
 *   by test/integration/historian-influx.test.ts).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startOdooSim, type OdooSim } from '../../src/sim/odoo';
import { service, type ServiceCheck } from '../helpers/services';

type FlowNode = Record<string, unknown> & { id: string; type: string; z?: string; name?: string };
interface Status {
  fill?: string;
  shape?: string;
  text?: string;
}

const PASSWORD = 'examples-test-password';
const FLOWS_DIR = path.join(PACKAGE_ROOT, 'flows');
const ALWAYS_SKIPPED: Record<string, string> = {
  'cloud-aws-iot.json': 'needs an AWS IoT Core account and device certificate',
  'cloud-azure-iot.json': 'needs an Azure IoT Hub and a device key',
  'historian-influx.json': 'needs InfluxDB 2 (organisation, bucket, API token); none runs locally',
};
const ALL = fs
  .readdirSync(FLOWS_DIR)
  .filter((f) => f.endsWith('.json') && f !== 'demo.json')
  .sort();
// The test files are CommonJS (no top-level await): the services are checked in beforeAll.
const checks = Promise.all([service('mosquitto'), service('postgres')]);
let RUN: string[] = [];
let SKIPPED: string[] = [];
/** Node types that talk to a simulator or service: they must report a green status. */
const CONNECTED_TYPES = new Set([
  'plantwire-opcua-in',
  'plantwire-opcua-read',
  'plantwire-opcua-write',
  'plantwire-opcua-method',
  'plantwire-modbus-read',
  'plantwire-modbus-write',
  'plantwire-erp-out',
  'plantwire-erp-query',
  'plantwire-email-out',
  'plantwire-mqtt-out',
  'plantwire-mqtt-in',
  'plantwire-historian-out',
]);

let child: ChildProcess;
let output = '';
let url = '';
let token = '';
let workspace = '';
let odoo: OdooSim;
const read = (f: string): FlowNode[] => JSON.parse(fs.readFileSync(path.join(FLOWS_DIR, f), 'utf8')) as FlowNode[];

beforeAll(async () => {
  const [mqtt, postgres] = await checks;
  const needs = (f: string): ServiceCheck | undefined => (/^(mqtt-|sparkplug-)/.test(f) ? mqtt : f === 'historian-postgres.json' ? postgres : undefined);
  RUN = ALL.filter((f) => !ALWAYS_SKIPPED[f] && needs(f)?.available !== false);
  SKIPPED = ALL.filter((f) => !RUN.includes(f)).map((f) => `${f}: ${ALWAYS_SKIPPED[f] ?? needs(f)!.reason}`);
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-examples-'));
  odoo = await startOdooSim({ port: 0, demoData: true });
  // Port 0: every simulator lands on a port the examples cannot have hard-coded.
  child = spawn(
    process.execPath,
    [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'start', '--port', '0', '--opcua-port', '0', '--modbus-port', '0', '--erp-port', '0', '--smtp-port', '0', '--workspace', workspace],
    {
      cwd: PACKAGE_ROOT,
      env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: PASSWORD, PLANTWIRE_ODOO_URL: odoo.url },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const startedAt = Date.now();
  while (!/Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.test(output)) {
    if (child.exitCode !== null || Date.now() - startedAt > 90_000) throw new Error(`plantwire start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  url = /Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1]!;
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: PASSWORD }),
  });
  token = ((await res.json()) as { access_token: string }).access_token;
}, 120_000);

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 15_000))]);
    if (child.exitCode === null) child.kill('SIGKILL');
  }
  await odoo?.close();
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

describe('every example deploys green against npm start on non-default ports', () => {
  it('the simulators run on non-default ports (the examples cannot have them hard-coded)', () => {
    if (SKIPPED.length) console.log(`examples not deployed here:\n  ${SKIPPED.join('\n  ')}`);
    const ports = [...output.matchAll(/(?:opc\.tcp:\/\/|127\.0\.0\.1:)(\d+)/g)].map((m) => Number(m[1]));
    expect(ports.length).toBeGreaterThan(3);
    for (const p of [4840, 5020, 4300, 2525]) expect(ports, `a simulator on its default port ${p}`).not.toContain(p);
    expect(RUN.length, 'examples deployed').toBeGreaterThanOrEqual(ALL.length - 6);
  });

  it('each example carries its own tab, named; no example config node is global', () => {
    for (const f of ALL) {
      const flow = read(f);
      const tabs = flow.filter((n) => n.type === 'tab');
      expect(tabs.length, `${f}: one tab`).toBe(1);
      expect(String(tabs[0]!.label), `${f}: tab label`).not.toMatch(/^(Flow \d*|)$/);
      for (const n of flow.filter((x) => x.type !== 'tab')) expect(n.z, `${f}: ${n.id} sits on the example's tab`).toBe(tabs[0]!.id);
      // No simulator port written into the example: the tab's environment variables carry them.
      const text = JSON.stringify(flow.filter((n) => n.type !== 'tab' && n.type !== 'comment'));
      expect(text, `${f}: a hard-coded simulator address`).not.toMatch(/127\.0\.0\.1:(4840|5020|4300|2525|8069)\b|"port":\s*"?(5020|2525)\b/);
    }
  });

  it('deploys every example that can run here, each on its tab: no red status, no error, the connected nodes green', async () => {
    console.log(`deploying ${RUN.length} of ${ALL.length} examples`);
    const flows = RUN.flatMap((f) => read(f));
    const example = new Map<string, string>();
    for (const f of RUN) for (const n of read(f)) example.set(n.id, f);
    const statuses = new Map<string, Status[]>();
    const caught: string[] = [];
    const catchIds = new Set(flows.filter((n) => n.type === 'catch').map((n) => n.id));
    // Debug nodes wired from a catch node: a message there is a caught error.
    const caughtDebug = new Set(flows.filter((n) => catchIds.has(n.id)).flatMap((n) => (n.wires as string[][]).flat()));

    const ws = new WebSocket(`${url.replace('http', 'ws')}/comms`);
    await new Promise<void>((resolve, reject) => {
      ws.on('open', () => ws.send(JSON.stringify({ auth: token })));
      ws.on('message', (data: WebSocket.RawData) => {
        const parsed = JSON.parse(data.toString()) as Array<{ topic: string; data: Status & { id?: string; msg?: string } }> | { auth: string };
        if (!Array.isArray(parsed)) {
          if (parsed.auth === 'ok') {
            ws.send(JSON.stringify({ subscribe: 'status/#' }));
            ws.send(JSON.stringify({ subscribe: 'debug' }));
            resolve();
          }
          return;
        }
        for (const m of parsed) {
          if (m.topic.startsWith('status/')) {
            const id = m.topic.slice('status/'.length);
            statuses.set(id, [...(statuses.get(id) ?? []), m.data]);
          }
          if (m.topic === 'debug' && m.data.id && caughtDebug.has(m.data.id)) caught.push(`${example.get(m.data.id)}: ${String(m.data.msg).slice(0, 300)}`);
        }
      });
      ws.on('error', reject);
    });

    const logStart = output.length;
    const res = await fetch(`${url}/flows`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'Node-RED-Deployment-Type': 'full', 'Node-RED-API-Version': 'v1' },
      body: JSON.stringify(flows),
    });
    expect(res.status, await res.text()).toBeLessThan(300);

    const mustBeGreen = flows.filter((n) => CONNECTED_TYPES.has(n.type)).map((n) => n.id);
    const last = (id: string): Status | undefined => statuses.get(id)?.at(-1);
    const describeNode = (id: string): string => {
      const n = flows.find((x) => x.id === id)!;
      return `${example.get(id)}: ${n.type} "${n.name ?? ''}" (${id}) — ${JSON.stringify(statuses.get(id) ?? [])}`;
    };
    // Wait until every connected node has shown green (connections, first reads, first sends take a few seconds).
    await expect
      .poll(() => mustBeGreen.filter((id) => !statuses.get(id)?.some((s) => s.fill === 'green')).map(describeNode), { timeout: 30_000, interval: 250 })
      .toEqual([]);
    // Let every example run a little longer (simulator ticks, window nodes, polls) before the verdict.
    await new Promise((r) => setTimeout(r, 3_000));
    ws.close();

    console.log(`connected nodes, last status:\n  ${mustBeGreen.map((id) => `${example.get(id)} ${flows.find((n) => n.id === id)!.type}: ${last(id)?.fill} ${last(id)?.text ?? ''}`).join('\n  ')}`);
    const red = [...statuses.keys()].filter((id) => example.has(id) && last(id)?.fill === 'red').map(describeNode);
    expect(red, 'nodes with a red status').toEqual([]);
    const log = output.slice(logStart).split('\n');
    const errors = log.filter((l) => /\[error\]|Error:|Waiting for missing types|Unknown type/i.test(l));
    expect(errors, `error lines in the log after the deploy\n${output.slice(logStart).slice(-4000)}`).toEqual([]);
    expect(caught, 'messages at debug nodes behind a catch node').toEqual([]);
    // The examples reached the simulators npm start runs, on their moved ports.
    const erp = /ERP simulator \(SAP OData v2\/v4\): (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
    expect(erp).toBeDefined();
  }, 90_000);
});
