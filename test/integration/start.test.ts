/**
 * `npm start` as a newcomer runs it: the CLI starts the OPC UA simulator and
 * the embedded Node-RED with adminAuth, the palette and the demo flow; data
 * moves (debug messages and node status over the editor's websocket); Ctrl-C
 * stops everything cleanly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';

const PASSWORD = 'start-test-password';
let child: ChildProcess;
let output = '';
let url = '';
let workspace = '';
let token = '';

async function api<T>(route: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${url}${route}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' } });
  return { status: res.status, body: (await res.json()) as T };
}

beforeAll(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-start-'));
  const startedAt = Date.now();
  child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'start', '--port', '0', '--opcua-port', '0', '--modbus-port', '0', '--erp-port', '0', '--workspace', workspace], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (m) {
        clearInterval(timer);
        url = m[1]!;
        resolve();
      } else if (child.exitCode !== null || Date.now() - startedAt > 60_000) {
        clearInterval(timer);
        reject(new Error(`plantwire start did not come up within 60 s:\n${output}`));
      }
    }, 50);
  });
  const res = await fetch(`${url}/auth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: PASSWORD }),
  });
  expect(res.status).toBe(200);
  token = ((await res.json()) as { access_token: string }).access_token;
}, 90_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

describe('npm start (plantwire start)', () => {
  it('requires a login: the Admin API refuses anonymous calls', async () => {
    const res = await fetch(`${url}/flows`);
    expect(res.status).toBe(401);
  });

  it('serves the palette and runs the demo flow', async () => {
    const nodes = await api<Array<{ types: string[]; module: string }>>('/nodes');
    expect(nodes.status).toBe(200);
    expect(nodes.body.filter((s) => s.module === '@plantwire/node-red').flatMap((s) => s.types)).toContain('plantwire-simulator');
    const flows = await api<Array<{ id: string; type: string }>>('/flows');
    expect(flows.body.map((n) => n.id)).toContain('pw-demo-sim');
    const demo = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', 'demo.json'), 'utf8')) as Array<{ id: string }>;
    expect(flows.body.map((n) => n.id).sort()).toEqual(demo.map((n) => n.id).sort());
    expect(output).toMatch(/OPC UA plant simulator: opc\.tcp:\/\/127\.0\.0\.1:\d+ \(\d+ tags\)/);
    // The demo's endpoint is secure by default; the start trusts the simulator's certificate and says so.
    expect(output).toMatch(/the demo connects with SignAndEncrypt \(Basic256Sha256\): trusted the simulator certificate ".+" \(SHA-1 [0-9a-f]{40}\) in .+trusted\/certs/);
    expect(flows.body.find((n) => n.id === 'pw-demo-ua-ep')).toMatchObject({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256' });
    // The SMTP catcher runs for the demo's alarm mail, and the demo's SMTP server node points at it.
    const smtpPort = Number(/SMTP catcher: 127\.0\.0\.1:(\d+) \(received mails: http/.exec(output)?.[1]);
    expect(smtpPort).toBeGreaterThan(0);
    expect((flows.body as Array<{ id: string; port?: unknown }>).find((n) => n.id === 'pw-demo-smtp')?.port).toBe(smtpPort);
    expect(output, 'an env password is not printed').not.toContain(PASSWORD);
  });

  it('data visibly moves: debug messages and node status reach the editor within 30 s', async () => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/comms`);
    const seen = { debug: 0, status: 0 };
    // The demo's OPC UA subscription and Modbus poll reach the simulators npm start runs (on moved ports here).
    const green = new Set<string>();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`within 30 s saw ${JSON.stringify(seen)}, green: ${[...green].join(', ')}`)), 30_000);
      ws.addEventListener('open', () => ws.send(JSON.stringify({ auth: token })));
      ws.addEventListener('message', (ev: MessageEvent) => {
        const parsed = JSON.parse(String(ev.data)) as Array<{ topic: string; data: { msg?: string; text?: string } }> | { auth: string };
        if (!Array.isArray(parsed) && parsed.auth === 'ok') {
          // The editor subscribes only once the runtime accepted its token.
          ws.send(JSON.stringify({ subscribe: 'debug' }));
          ws.send(JSON.stringify({ subscribe: 'status/#' }));
        }
        for (const m of Array.isArray(parsed) ? parsed : []) {
          if (m.topic === 'debug' && typeof m.data.msg === 'string' && m.data.msg.includes('Line1/')) seen.debug += 1;
          if (m.topic.startsWith('status/') && m.data.text) seen.status += 1;
          if (m.topic.startsWith('status/') && (m.data as { fill?: string }).fill === 'green') green.add(m.topic.slice('status/'.length));
        }
        if (seen.debug >= 3 && seen.status >= 3 && green.has('pw-demo-ua-in') && green.has('pw-demo-mb-read')) {
          clearTimeout(timer);
          resolve();
        }
      });
      ws.addEventListener('error', () => reject(new Error('comms websocket error')));
    });
    ws.close();
  }, 40_000);

  it('the demo posts to the ERP simulator npm start runs: the reject alarm and the confirmation arrive there', async () => {
    const erp = /ERP simulator \(SAP OData v2\/v4\): (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)?.[1];
    expect(erp, 'the ERP simulator address is printed').toBeDefined();
    const post = (id: string): Promise<Response> => fetch(`${url}/inject/${id}`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    expect((await post('pw-demo-erp-try-alarm')).status).toBe(200);
    expect((await post('pw-demo-erp-try-conf')).status).toBe(200);
    const received = async (): Promise<Record<string, Array<Record<string, unknown>>>> => (await (await fetch(`${erp}/sim/documents`)).json()) as Record<string, Array<Record<string, unknown>>>;
    await expect.poll(async () => (await received()).MaintenanceNotification?.length ?? 0, { message: 'notification in the ERP', timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => (await received()).ProdnOrdConf2?.length ?? 0, { message: 'confirmation in the ERP', timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    const docs = await received();
    expect(docs.MaintenanceNotification).toContainEqual(expect.objectContaining({ NotificationText: 'Line1 reject rate 2.3 %' }));
    expect(docs.ProdnOrdConf2).toContainEqual(expect.objectContaining({ OrderID: '1000103', ConfirmationText: 'Line1 good count 08:00-09:00' }));
  }, 30_000);

  it('stops everything cleanly on Ctrl-C (SIGINT)', async () => {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 15_000))]);
    expect(code, output.slice(-2000)).toBe(0);
    await expect(fetch(`${url}/`)).rejects.toThrow();
  }, 20_000);
});
