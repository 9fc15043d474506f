/**
 * Flow bundles end to end, against three real Node-RED instances on loopback
 * ports with their own user dirs and adminAuth: two Node-RED 4.1 on this
 * machine's Node 20 and one Node-RED 5 on Node 22 (test/fixtures/nr5). The
 * CLI runs as an admin would run it (node bin/plantwire.js …); the
 * concurrent-edit test drives the library to edit the target between read and deploy.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { sealBundle } from '../../src/bundle/archive';
import { deploy, type DeployResult, type DeployTarget } from '../../src/bundle/deploy';
import { readSecretsFile } from '../../src/bundle/secrets';
import type { Bundle, FlowNode } from '../../src/bundle/types';
import { NODE_RED_DIR, childEnv } from '../helpers/pack';
import { startInstance, type Instance } from '../helpers/node-red-instance';
import { NODE22, NR5_RED_JS, nr5Installed } from '../helpers/nr5';

const NR5 = nr5Installed();
if (!NR5) console.log('skipped: no Node-RED 5 / Node 22 fixture (test/fixtures/nr5 not installed): the Node-RED 5 target is left out');

const ERP_USER = 'erp-service-user';
const ERP_PASSWORD = 'S3cret-Erp-Pa55word!';

let work = '';
let stateDir = '';
let instances: Instance[] = [];
let byName: Record<string, Instance> = {};
let cliEnv: NodeJS.ProcessEnv = {};

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), ...args], { cwd: work, env: { ...cliEnv, ...env }, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const r = { code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout: String(stdout), stderr: String(stderr) };
      // PLANTWIRE_TEST_LOG=1 prints every CLI transcript (what an admin would see).
      if (process.env.PLANTWIRE_TEST_LOG === '1') console.log(`$ plantwire ${args.join(' ')}\n${r.stdout}${r.stderr}(exit ${r.code})`);
      resolve(r);
    });
  });
}

const show = (r: CliResult): string => `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;

/** Line 1: a simulator, /line answering the environment's LINE_NAME, /whoami calling /echo-auth with the ERP credentials. */
function line1Flows(extra: FlowNode[] = []): FlowNode[] {
  return [
    { id: 'l1-tab', type: 'tab', label: 'Line 1', disabled: false, info: '' },
    { id: 'l1-sim', type: 'plantwire-simulator', z: 'l1-tab', name: 'Filler', version: 1, source: 'bottling', lines: 1, signals: [], interval: 1000, output: 'batch', asset: 'acme/hamburg/line1', autostart: true, seed: 1, x: 140, y: 60, wires: [[]] },
    { id: 'l1-line-in', type: 'http in', z: 'l1-tab', name: 'GET /line', url: '/line', method: 'get', upload: false, swaggerDoc: '', x: 120, y: 120, wires: [['l1-line-set']] },
    { id: 'l1-line-set', type: 'change', z: 'l1-tab', name: 'line name', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '${LINE_NAME}', tot: 'str' }], action: '', property: '', from: '', to: '', reg: false, x: 300, y: 120, wires: [['l1-line-out']] },
    { id: 'l1-line-out', type: 'http response', z: 'l1-tab', name: '', statusCode: '', headers: {}, x: 460, y: 120, wires: [] },
    { id: 'l1-who-in', type: 'http in', z: 'l1-tab', name: 'GET /whoami', url: '/whoami', method: 'get', upload: false, swaggerDoc: '', x: 120, y: 180, wires: [['l1-who-req']] },
    {
      id: 'l1-who-req',
      type: 'http request',
      z: 'l1-tab',
      name: 'ERP login',
      method: 'GET',
      ret: 'txt',
      paytoqs: 'ignore',
      url: '${ECHO_URL}',
      tls: '',
      persist: false,
      proxy: '',
      insecureHTTPParser: false,
      authType: 'basic',
      senderr: false,
      headers: [],
      credentials: { user: '${secret:ERP_USER}', password: '${secret:ERP_PASSWORD}' },
      x: 300,
      y: 180,
      wires: [['l1-who-out']],
    },
    { id: 'l1-who-out', type: 'http response', z: 'l1-tab', name: '', statusCode: '', headers: {}, x: 460, y: 180, wires: [] },
    { id: 'l1-echo-in', type: 'http in', z: 'l1-tab', name: 'GET /echo-auth', url: '/echo-auth', method: 'get', upload: false, swaggerDoc: '', x: 120, y: 240, wires: [['l1-echo-set']] },
    { id: 'l1-echo-set', type: 'change', z: 'l1-tab', name: 'authorization header', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'req.headers.authorization', tot: 'msg' }], action: '', property: '', from: '', to: '', reg: false, x: 320, y: 240, wires: [['l1-echo-out']] },
    { id: 'l1-echo-out', type: 'http response', z: 'l1-tab', name: '', statusCode: '', headers: {}, x: 500, y: 240, wires: [] },
    ...extra,
  ];
}

/** v1.1: also answers /version. */
const versionEndpoint: FlowNode[] = [
  { id: 'l1-ver-in', type: 'http in', z: 'l1-tab', name: 'GET /version', url: '/version', method: 'get', upload: false, swaggerDoc: '', x: 120, y: 300, wires: [['l1-ver-set']] },
  { id: 'l1-ver-set', type: 'change', z: 'l1-tab', name: 'version', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '1.1.0', tot: 'str' }], action: '', property: '', from: '', to: '', reg: false, x: 300, y: 300, wires: [['l1-ver-out']] },
  { id: 'l1-ver-out', type: 'http response', z: 'l1-tab', name: '', statusCode: '', headers: {}, x: 460, y: 300, wires: [] },
];

/** v2 (broken at run time, fine on paper): an inject sends the simulator a command it does not know. */
const brokenCommand: FlowNode[] = [
  { id: 'l1-bad-inject', type: 'inject', z: 'l1-tab', name: 'bad command', props: [{ p: 'payload' }], repeat: '', crontab: '', once: true, onceDelay: 0.1, topic: '', payload: 'reboot-plc', payloadType: 'str', x: 120, y: 360, wires: [['l1-sim']] },
];

function writeJson(file: string, value: unknown): string {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
  return file;
}

const passwordEnv = (name: string): string => `BUNDLE_TEST_PW_${name.replace(/\W/g, '_').toUpperCase()}`;

function target(inst: Instance): DeployTarget {
  return {
    name: inst.label,
    url: inst.url,
    auth: { kind: 'password', username: inst.username, password: inst.password },
    env: 'prod',
    vars: { ECHO_URL: `${inst.url}/api/echo-auth` },
    secrets: { file: readSecretsFile(path.join(work, 'secrets', 'prod.json')) },
  };
}

async function flowsOf(inst: Instance): Promise<{ rev: string; flows: FlowNode[] }> {
  const res = await inst.admin<{ rev: string; flows: FlowNode[] }>('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
  expect(res.status).toBe(200);
  return res.body;
}

/** Polls an HTTP-in endpoint until it answers `expected` (flows start asynchronously). */
async function answers(inst: Instance, route: string, expected: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const r = await inst.get(route).catch((e: Error) => ({ status: 0, text: e.message }));
    last = `${r.status} ${r.text}`;
    if (r.status === 200 && r.text === expected) return;
    if (Date.now() > deadline) throw new Error(`${inst.label} GET /api${route}: expected 200 "${expected}", last answer ${last}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

let bundleV1 = '';

/** The inventory's order: Node-RED 5 first, so the rolling deploy that fails there stops before the others. */
const fleetOrder = (): Instance[] => [...instances].reverse();

beforeAll(async () => {
  if (!fs.existsSync(path.join(PACKAGE_ROOT, 'dist', 'nodes'))) throw new Error('dist/ is missing: run `npm run build` (npm test does it first)');
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bundle-'));
  stateDir = path.join(work, 'state');
  const specs = [
    { label: 'nr4-a', node: process.execPath, redJs: path.join(NODE_RED_DIR, 'red.js') },
    { label: 'nr4-b', node: process.execPath, redJs: path.join(NODE_RED_DIR, 'red.js') },
    ...(NR5 ? [{ label: 'nr5', node: NODE22, redJs: NR5_RED_JS }] : []),
  ];
  const started = await Promise.allSettled(specs.map((s) => startInstance(s)));
  instances = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = started.find((s) => s.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
  byName = Object.fromEntries(instances.map((i) => [i.label, i]));

  cliEnv = { ...childEnv(), PLANTWIRE_STATE_DIR: stateDir };
  for (const i of instances) cliEnv[passwordEnv(i.label)] = i.password;

  // The admin's project: flows, overlays, secrets (kept apart), inventory.
  writeJson(path.join(work, 'line1.json'), line1Flows());
  writeJson(path.join(work, 'env', 'dev.json'), { LINE_NAME: 'Line 1 (dev)', ECHO_URL: null });
  writeJson(path.join(work, 'env', 'prod.json'), { LINE_NAME: 'Line 1', ECHO_URL: null });
  writeJson(path.join(work, 'secrets', 'prod.json'), { ERP_USER, ERP_PASSWORD });
  writeJson(path.join(work, 'fleet.json'), {
    defaults: { env: 'prod', secretsFile: 'secrets/prod.json' },
    targets: fleetOrder().map((i) => ({ name: i.label, url: i.url, auth: { username: i.username, passwordEnv: passwordEnv(i.label) }, vars: { ECHO_URL: `${i.url}/api/echo-auth` } })),
  });
}, 180_000);

afterAll(async () => {
  await Promise.all(instances.map((i) => i.stop()));
  if (work) fs.rmSync(work, { recursive: true, force: true });
}, 60_000);

describe('plantwire bundles against Node-RED 4.1 (Node 20) and Node-RED 5 (Node 22)', () => {
  it('pack → validate → deploy to all three → diff shows nothing', async () => {
    const packed = await cli(['bundle', 'pack', 'line1.json', '--version', '1.0.0', '--description', 'Line 1 monitoring', '--out', 'dist-bundles']);
    expect(packed.code, show(packed)).toBe(0);
    bundleV1 = path.join(work, 'dist-bundles', 'line1-1.0.0.plantwire.json');
    expect(packed.stdout).toContain(`packed line1@1.0.0 → ${path.join('dist-bundles', 'line1-1.0.0.plantwire.json')}`);
    expect(packed.stdout).toMatch(/modules: {6}@plantwire\/node-red@0\.1\.0 \(plantwire-simulator\)/);
    expect(packed.stdout).toContain('environments: dev, prod — variables ECHO_URL, LINE_NAME');
    expect(packed.stdout).toContain('secrets:      ERP_PASSWORD, ERP_USER (values supplied at deploy time)');

    const bundle = JSON.parse(fs.readFileSync(bundleV1, 'utf8')) as Bundle;
    expect(bundle.manifest).toMatchObject({ name: 'line1', version: '1.0.0', nodeRed: { range: '>=4.0.0' }, modules: [{ name: '@plantwire/node-red', version: '0.1.0', types: ['plantwire-simulator'] }] });

    const validated = await cli(['bundle', 'validate', bundleV1, '--env', 'prod']);
    expect(validated.code, show(validated)).toBe(0);
    expect(validated.stdout).toContain('0 error(s), 0 warning(s) — the bundle is valid');

    const deployed = await cli(['deploy', bundleV1, '--target', 'fleet.json', '--grace', '1', '--parallel', '2']);
    expect(deployed.code, show(deployed)).toBe(0);
    // The summary table: one row per target, all deployed.
    for (const i of instances) expect(deployed.stdout).toMatch(new RegExp(`^${i.label}\\s+${i.url.replace(/[.]/g, '\\.')}\\s+prod\\s+deployed\\s+${i.label === 'nr5' ? '5\\.' : '4\\.1\\.'}`, 'm'));
    expect(deployed.stdout).toContain(`to ${instances.length} target(s), 2 at a time`);
    expect(deployed.stdout).toContain(`${instances.length} target(s): ${instances.length} deployed`);

    for (const i of instances) {
      // The environment's value and the per-target variable are injected; the secrets reach the node's credentials.
      await answers(i, '/line', 'Line 1');
      await answers(i, '/whoami', `Basic ${Buffer.from(`${ERP_USER}:${ERP_PASSWORD}`).toString('base64')}`);
      const creds = await i.admin<Record<string, unknown>>('GET', '/credentials/http-request/l1-who-req');
      expect(creds.body).toEqual({ user: ERP_USER, has_password: true });
    }

    const diff = await cli(['diff', bundleV1, '--target', 'fleet.json', '--json']);
    expect(diff.code, show(diff)).toBe(0);
    const doc = JSON.parse(diff.stdout) as { targets: Array<{ target: string; same: boolean; added: unknown[]; removed: unknown[]; changed: unknown[]; unchanged: number }> };
    expect(doc.targets.map((t) => [t.target, t.same, t.added.length, t.removed.length, t.changed.length])).toEqual(fleetOrder().map((i) => [i.label, true, 0, 0, 0]));
    // Every node of the bundle plus the global environment node.
    for (const t of doc.targets) expect(t.unchanged).toBe(bundle.flows.length + 1);
    const human = await cli(['diff', bundleV1, '--target', 'fleet.json']);
    expect(human.stdout).toContain(`nr4-a (${byName['nr4-a']!.url}, revision `);
    expect(human.stdout).toMatch(/: no differences — 12 unchanged/);
  }, 120_000);

  it('a bundle with a bad wire, an unknown type, an undeclared ${VAR} and a plaintext password fails validation with four precise messages', async () => {
    const flows = line1Flows([
      { id: 'l1-frob', type: 'acme-frobnicator', z: 'l1-tab', name: 'Frobnicator', x: 120, y: 420, wires: [] },
      { id: 'l1-shift', type: 'change', z: 'l1-tab', name: 'shift', rules: [{ t: 'set', p: 'shift', pt: 'msg', to: '${SHIFT_PLAN}', tot: 'str' }], x: 300, y: 420, wires: [['l1-gone']] },
      { id: 'l1-mes', type: 'http request', z: 'l1-tab', name: 'MES', method: 'POST', ret: 'txt', url: 'https://mes-writer:Winter2026!@mes.example.com/api/orders', x: 460, y: 420, wires: [[]] },
    ]);
    // pack refuses to write such a bundle …
    writeJson(path.join(work, 'broken.json'), flows);
    const packed = await cli(['bundle', 'pack', 'broken.json', '--version', '1.0.0', '--env-dir', 'env', '--out', 'dist-bundles']);
    expect(packed.code, show(packed)).toBe(1);
    // (pack checks every environment: the undeclared variable counts for dev and prod)
    expect(packed.stderr).toContain('pack refused: the bundle would not validate (5 error(s))');
    expect(fs.existsSync(path.join(work, 'dist-bundles', 'broken-1.0.0.plantwire.json'))).toBe(false);

    // … and one assembled by hand is refused by validate and deploy.
    const good = JSON.parse(fs.readFileSync(bundleV1, 'utf8')) as Bundle;
    const file = writeJson(path.join(work, 'dist-bundles', 'broken-1.0.0.plantwire.json'), sealBundle({ ...good.manifest, name: 'broken' }, flows, good.env));
    const v = await cli(['bundle', 'validate', file, '--env', 'prod']);
    expect(v.code, show(v)).toBe(1);
    const errors = v.stderr.split('\n').filter((l) => l.startsWith('error'));
    expect(errors).toEqual([
      'error   flows.json › acme-frobnicator "Frobnicator" (l1-frob) › type: unknown node type "acme-frobnicator": not a Node-RED core type, not a Plantwire type, and no declared module provides it. Declare its module (pack --module <name>@<version>:acme-frobnicator)',
      'error   flows.json › change "shift" (l1-shift) › wires[0][0]: output 1 is wired to node "l1-gone", which is not in the flows',
      'error   flows.json › change "shift" (l1-shift) › rules[0].to: uses ${SHIFT_PLAN}, which is not declared for environment "prod": add "SHIFT_PLAN" to env/prod.json',
      "error   flows.json › http request \"MES\" (l1-mes) › url: plaintext secret: a https:// connection string with a password. Move it into the node's credentials as ${secret:NAME} (or a credential-type env variable) and supply the value at deploy time",
    ]);
    expect(v.stderr).toContain(`${file}: 4 error(s)`);
    const json = JSON.parse((await cli(['bundle', 'validate', file, '--env', 'prod', '--json'])).stdout) as { ok: boolean; errors: number; problems: Array<{ file: string; nodeId: string; nodeName: string; field: string }> };
    expect(json.ok).toBe(false);
    expect(json.problems.map((p) => [p.file, p.nodeId, p.nodeName, p.field])).toEqual([
      ['flows.json', 'l1-frob', 'Frobnicator', 'type'],
      ['flows.json', 'l1-shift', 'shift', 'wires[0][0]'],
      ['flows.json', 'l1-shift', 'shift', 'rules[0].to'],
      ['flows.json', 'l1-mes', 'MES', 'url'],
    ]);

    const inst = byName['nr4-a']!;
    const before = await flowsOf(inst);
    const d = await cli(['deploy', file, '--target', inst.url, '--user', inst.username, '--env', 'prod', '--name', inst.label], { PLANTWIRE_PASSWORD: inst.password });
    expect(d.code, show(d)).toBe(1);
    expect(d.stdout).toContain('the bundle does not validate for environment "prod"');
    expect((await flowsOf(inst)).rev, 'a refused deploy changes nothing').toBe(before.rev);

    // A wrong or missing login is named as such.
    const wrong = await cli(['diff', bundleV1, '--target', inst.url, '--user', inst.username, '--env', 'prod'], { PLANTWIRE_PASSWORD: 'not-the-password' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(`login as "${inst.username}" was refused: check the user and password`);
    const anonymous = await cli(['diff', bundleV1, '--target', inst.url, '--env', 'prod']);
    expect(anonymous.stderr).toContain('the Admin API needs a login: add auth to its inventory entry, or pass --user (password in PLANTWIRE_PASSWORD) or a token (PLANTWIRE_TOKEN or --token-file)');
  }, 60_000);

  it('a deploy whose health check fails is rolled back automatically and the old flows run again; the fleet stops there', async () => {
    const inst = byName.nr5 ?? byName['nr4-b']!;
    writeJson(path.join(work, 'line1-v2.json'), line1Flows(brokenCommand));
    const packed = await cli(['bundle', 'pack', 'line1-v2.json', '--name', 'line1', '--version', '2.0.0', '--out', 'dist-bundles']);
    expect(packed.code, show(packed)).toBe(0);
    const before = await flowsOf(inst);
    const othersBefore = await Promise.all(fleetOrder().filter((i) => i !== inst).map(async (i) => [i.label, (await flowsOf(i)).rev]));

    // A rolling deploy to the whole fleet: the first target (Node-RED 5) fails its health check.
    const d = await cli(['deploy', path.join('dist-bundles', 'line1-2.0.0.plantwire.json'), '--target', 'fleet.json', '--grace', '2', '--json']);
    expect(d.code, show(d)).toBe(1);
    const results = (JSON.parse(d.stdout) as { results: DeployResult[] }).results;
    expect(results.map((x) => [x.target, x.outcome])).toEqual([[inst.label, 'rolled-back'], ...othersBefore.map(([name]) => [name, 'skipped'])]);
    for (const [name, rev] of othersBefore) expect((await flowsOf(byName[name!]!)).rev, `${name} untouched`).toBe(rev);
    const r = results[0];
    expect(r!.outcome, r!.message).toBe('rolled-back');
    expect(r!.health!.healthy).toBe(false);
    expect(r!.health!.problems).toEqual([
      'plantwire-simulator "Filler" (l1-sim) logged an error: unknown command "reboot-plc": send msg.payload "start", "stop" or "emit"',
      'plantwire-simulator "Filler" (l1-sim) shows a red status: unknown command',
    ]);
    expect(r!.message).toMatch(/^health check failed \(plantwire-simulator "Filler" \(l1-sim\) logged an error: .*, \+1 more\); rolled back automatically: revision [0-9a-f]{8} is running again$/);
    expect(r!.rollbackHealth?.healthy).toBe(true);

    // The old flows run again: same revision, same nodes, endpoints answer.
    const after = await flowsOf(inst);
    expect(after.rev).toBe(before.rev);
    expect(after.flows.map((n) => n.id)).not.toContain('l1-bad-inject');
    await answers(inst, '/line', 'Line 1');
    await answers(inst, '/whoami', `Basic ${Buffer.from(`${ERP_USER}:${ERP_PASSWORD}`).toString('base64')}`);

    const history = await cli(['history', '--target', 'fleet.json', '--select', inst.label, '--json']);
    const entries = (JSON.parse(history.stdout) as { targets: Array<{ entries: Array<{ action: string; outcome: string; bundle?: { version: string }; problems?: string[] }> }> }).targets[0]!.entries;
    expect(entries.map((e) => [e.action, e.outcome, e.bundle?.version])).toEqual([
      ['deploy', 'deployed', '1.0.0'],
      ['deploy', 'rolled-back', '2.0.0'],
    ]);
  }, 60_000);

  it('a concurrent edit between read and deploy is refused (and the next deploy refuses to overwrite it without --force)', async () => {
    const inst = byName['nr4-a']!;
    const good = JSON.parse(fs.readFileSync(bundleV1, 'utf8')) as Bundle;
    const before = await flowsOf(inst);
    const hotfix = { id: 'hotfix-note', type: 'comment', z: 'l1-tab', name: 'hotfix by the night shift', info: '', x: 600, y: 60, wires: [] };
    const r = await deploy({
      bundle: good,
      target: target(inst),
      stateDir,
      graceMs: 500,
      async afterRead() {
        // Someone deploys in the editor right after plantwire read the flows.
        const res = await inst.admin('POST', '/flows', { flows: [...before.flows, hotfix] }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' });
        expect(res.status).toBe(200);
      },
    });
    expect(r.outcome).toBe('refused');
    expect(r.message).toBe(`the flows changed after they were read (revision ${before.rev.slice(0, 8)} is no longer current): someone deployed in between. Run "plantwire diff" to see what changed, then deploy again (or use --force to overwrite)`);
    const now = await flowsOf(inst);
    expect(now.flows.map((n) => n.id), 'the concurrent edit was kept').toContain('hotfix-note');

    // The next deploy sees the flows changed since plantwire's last deploy there: refused unless --force.
    const d = await cli(['deploy', bundleV1, '--target', 'fleet.json', '--select', 'nr4-a', '--grace', '1']);
    expect(d.code, show(d)).toBe(1);
    expect(d.stdout).toMatch(/nr4-a: the flows were changed on the target since plantwire deployed line1@1\.0\.0 at .* \(revision [0-9a-f]{8} → [0-9a-f]{8}\): run "plantwire diff" to see the changes, then deploy with --force to overwrite them/);
    const diff = await cli(['diff', bundleV1, '--target', 'fleet.json', '--select', 'nr4-a']);
    expect(diff.code).toBe(1);
    expect(diff.stdout).toContain('  - comment "hotfix by the night shift" (hotfix-note) on "Line 1"');
    // The same target by URL (login, per-target value and secrets from options), named as in the inventory to share its history.
    const forced = await cli(
      ['deploy', bundleV1, '--target', inst.url, '--name', 'nr4-a', '--user', inst.username, '--env', 'prod', '--var', `ECHO_URL=${inst.url}/api/echo-auth`, '--secrets', 'secrets/prod.json', '--grace', '1', '--force'],
      { PLANTWIRE_PASSWORD: inst.password },
    );
    expect(forced.code, show(forced)).toBe(0);
    expect(forced.stdout).toMatch(/nr4-a: deployed line1@1\.0\.0 \(prod\) — revision [0-9a-f]{8} → [0-9a-f]{8}, healthy/);
    await answers(inst, '/whoami', `Basic ${Buffer.from(`${ERP_USER}:${ERP_PASSWORD}`).toString('base64')}`);
    expect((await flowsOf(inst)).flows.map((n) => n.id)).not.toContain('hotfix-note');
  }, 60_000);

  it('rollback restores the previous revision', async () => {
    const inst = byName['nr4-b']!;
    const v1 = await flowsOf(inst);
    writeJson(path.join(work, 'line1-v1.1.json'), line1Flows(versionEndpoint));
    const packed = await cli(['bundle', 'pack', 'line1-v1.1.json', '--name', 'line1', '--version', '1.1.0', '--out', 'dist-bundles']);
    expect(packed.code, show(packed)).toBe(0);
    const d = await cli(['deploy', path.join('dist-bundles', 'line1-1.1.0.plantwire.json'), '--target', 'fleet.json', '--select', 'nr4-b', '--grace', '1']);
    expect(d.code, show(d)).toBe(0);
    await answers(inst, '/version', '1.1.0');
    const v11 = await flowsOf(inst);
    expect(v11.rev).not.toBe(v1.rev);

    const rb = await cli(['rollback', '--target', 'fleet.json', '--select', 'nr4-b', '--grace', '1']);
    expect(rb.code, show(rb)).toBe(0);
    expect(rb.stdout).toContain(`nr4-b: rolled back line1@1.1.0: revision ${v11.rev.slice(0, 8)} → ${v1.rev.slice(0, 8)} (the revision before that deploy), healthy`);
    const back = await flowsOf(inst);
    expect(back.rev).toBe(v1.rev);
    expect(back.flows).toEqual(v1.flows);
    expect((await inst.get('/version')).status, '/version is gone with v1.1').toBe(404);
    await answers(inst, '/whoami', `Basic ${Buffer.from(`${ERP_USER}:${ERP_PASSWORD}`).toString('base64')}`);

    // One more rollback undoes the first deploy (to the empty flows the instance started with) —
    // this time by URL with a bearer token (as a CI job would hold one), named as in the inventory.
    const login = await fetch(`${inst.url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: inst.username, password: inst.password }),
    });
    const token = ((await login.json()) as { access_token: string }).access_token;
    const rb2 = await cli(['rollback', '--target', inst.url, '--name', 'nr4-b', '--grace', '1'], { PLANTWIRE_TOKEN: token });
    expect(rb2.code, show(rb2)).toBe(0);
    expect((await flowsOf(inst)).flows).toEqual([]);
    const none = await cli(['rollback', '--target', 'fleet.json', '--select', 'nr4-b']);
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('no deploy to roll back');
  }, 60_000);

  it('a bundle never contains a secret value (packed from a running instance whose nodes hold real credentials)', async () => {
    const inst = byName['nr4-b']!;
    const brokerUser = 'plant-broker-user-7f3a';
    const brokerPassword = 'Br0ker-Pa55-9c1e-xyz';
    const tlsPass = 'tls-passphrase-42ab';
    const flows = [
      { id: 's-tab', type: 'tab', label: 'Secrets' },
      { id: 's-broker', type: 'mqtt-broker', name: 'Plant broker', broker: '127.0.0.1', port: '1', clientid: '', autoConnect: false, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true, credentials: { user: brokerUser, password: brokerPassword } },
      { id: 's-tls', type: 'tls-config', name: 'certs', cert: '', key: '', ca: '', certname: '', keyname: '', caname: '', servername: '', verifyservercert: true, credentials: { passphrase: tlsPass } },
      { id: 's-req', type: 'http request', z: 's-tab', name: 'ERP', method: 'GET', ret: 'txt', url: 'http://127.0.0.1:1/', authType: 'basic', x: 200, y: 100, wires: [[]], credentials: { user: ERP_USER, password: ERP_PASSWORD } },
    ];
    const set = await inst.admin('POST', '/flows', { flows }, { 'Node-RED-API-Version': 'v2', 'Node-RED-Deployment-Type': 'full' });
    expect(set.status).toBe(200);
    expect((await inst.admin<Record<string, unknown>>('GET', '/credentials/mqtt-broker/s-broker')).body).toEqual({ user: brokerUser, has_password: true });

    const packed = await cli(['bundle', 'pack', '--from', inst.url, '--user', inst.username, '--name', 'secrets-test', '--version', '0.1.0', '--out', 'dist-bundles'], { PLANTWIRE_PASSWORD: inst.password });
    expect(packed.code, show(packed)).toBe(0);
    const file = path.join(work, 'dist-bundles', 'secrets-test-0.1.0.plantwire.json');
    const text = fs.readFileSync(file, 'utf8');
    for (const secret of [brokerUser, brokerPassword, tlsPass, ERP_USER, ERP_PASSWORD, inst.password]) expect(text, `the bundle holds "${secret}"`).not.toContain(secret);
    const bundle = JSON.parse(text) as Bundle;
    expect(bundle.manifest.source).toEqual({ kind: 'instance', ref: inst.url });
    expect(bundle.manifest.nodeRed.version).toMatch(/^4\.1\./);
    expect(bundle.manifest.secrets.map((s) => s.name)).toEqual(['CERTS_PASSPHRASE', 'ERP_PASSWORD', 'ERP_USER', 'PLANT_BROKER_PASSWORD', 'PLANT_BROKER_USER']);
    expect(bundle.flows.find((n) => n.id === 's-broker')?.credentials).toEqual({ password: '${secret:PLANT_BROKER_PASSWORD}', user: '${secret:PLANT_BROKER_USER}' });

    // Packed from a flows file that carries values: references in the bundle, values only in --secrets-out.
    writeJson(path.join(work, 'with-creds.json'), flows);
    const fromFile = await cli(['bundle', 'pack', 'with-creds.json', '--version', '0.1.0', '--out', 'dist-bundles', '--secrets-out', 'extracted.json']);
    expect(fromFile.code, show(fromFile)).toBe(0);
    const text2 = fs.readFileSync(path.join(work, 'dist-bundles', 'with-creds-0.1.0.plantwire.json'), 'utf8');
    for (const secret of [brokerUser, brokerPassword, tlsPass, ERP_USER, ERP_PASSWORD]) expect(text2).not.toContain(secret);
    expect(JSON.parse(fs.readFileSync(path.join(work, 'extracted.json'), 'utf8'))).toEqual({ PLANT_BROKER_USER: brokerUser, PLANT_BROKER_PASSWORD: brokerPassword, CERTS_PASSPHRASE: tlsPass, ERP_USER, ERP_PASSWORD });
    expect(fs.statSync(path.join(work, 'extracted.json')).mode & 0o777).toBe(0o600);
    // Nor does the deployment history hold a value.
    const stateText = fs
      .readdirSync(stateDir, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile())
      .map((e) => fs.readFileSync(path.join(e.parentPath, e.name), 'utf8'))
      .join('\n');
    for (const secret of [ERP_USER, ERP_PASSWORD]) expect(stateText).not.toContain(secret);
  }, 60_000);

  it('modules: a missing module is installed at its pinned version (POST /nodes); one that cannot be installed stops the deploy with a clear message', async () => {
    const inst = byName['nr4-a']!;
    // A tiny node module, packed as a tarball the target can install offline.
    const modDir = path.join(work, 'lamp-module');
    writeJson(path.join(modDir, 'package.json'), { name: 'plantwire-test-lamp', version: '1.2.3', description: 'test node', license: 'MIT', 'node-red': { nodes: { lamp: 'lamp.js' } } });
    fs.writeFileSync(path.join(modDir, 'lamp.js'), "module.exports = function (RED) { function Lamp(c) { RED.nodes.createNode(this, c); this.status({ fill: 'green', shape: 'dot', text: 'on' }); } RED.nodes.registerType('test-lamp', Lamp); };\n");
    fs.writeFileSync(path.join(modDir, 'lamp.html'), '<script type="text/javascript">RED.nodes.registerType("test-lamp",{category:"function",defaults:{name:{value:""}},inputs:1,outputs:0,label:function(){return this.name||"lamp";}});</script>\n');
    const npm = await new Promise<string>((resolve, reject) =>
      execFile('npm', ['pack', '--silent', '--pack-destination', work], { cwd: modDir, env: childEnv() }, (err, stdout) => (err ? reject(err) : resolve(String(stdout).trim().split('\n').pop()!))),
    );
    const tarball = path.join(work, npm);
    const flows = line1Flows([{ id: 'l1-lamp', type: 'test-lamp', z: 'l1-tab', name: 'andon', x: 600, y: 60, wires: [] }]);
    writeJson(path.join(work, 'line1-lamp.json'), flows);

    const bad = await cli(['bundle', 'pack', 'line1-lamp.json', '--name', 'line1-lamp-bad', '--version', '1.0.0', '--module', '@plantwire-test/no-such-module@9.9.9:test-lamp', '--out', 'dist-bundles']);
    expect(bad.code, show(bad)).toBe(0);
    const before = await flowsOf(inst);
    const d1 = await cli(['deploy', path.join('dist-bundles', 'line1-lamp-bad-1.0.0.plantwire.json'), '--target', 'fleet.json', '--select', 'nr4-a', '--grace', '1', '--json']);
    expect(d1.code, show(d1)).toBe(1);
    const r1 = (JSON.parse(d1.stdout) as { results: DeployResult[] }).results[0]!;
    expect(r1.outcome).toBe('refused');
    expect(r1.message).toMatch(/^installing @plantwire-test\/no-such-module@9\.9\.9 failed \(HTTP 404: Module not found\): the module or version was not found in the npm registry the target uses .*; the flows were not deployed$/);
    expect((await flowsOf(inst)).rev, 'nothing deployed').toBe(before.rev);

    const good = await cli(['bundle', 'pack', 'line1-lamp.json', '--name', 'line1-lamp', '--version', '1.0.0', '--module', 'plantwire-test-lamp@1.2.3:test-lamp', '--module-url', `plantwire-test-lamp=${tarball}`, '--out', 'dist-bundles']);
    expect(good.code, show(good)).toBe(0);
    const d2 = await cli(['deploy', path.join('dist-bundles', 'line1-lamp-1.0.0.plantwire.json'), '--target', 'fleet.json', '--select', 'nr4-a', '--grace', '1', '--json']);
    expect(d2.code, show(d2)).toBe(0);
    const r2 = (JSON.parse(d2.stdout) as { results: DeployResult[] }).results[0]!;
    expect(r2.modulesInstalled).toEqual(['plantwire-test-lamp@1.2.3']);
    const sets = await inst.admin<Array<{ module: string; version: string; types: string[]; enabled: boolean }>>('GET', '/nodes');
    expect(sets.body.find((s) => s.module === 'plantwire-test-lamp')).toMatchObject({ version: '1.2.3', types: ['test-lamp'], enabled: true });
    await answers(inst, '/line', 'Line 1');
  }, 120_000);
  it('a bundle without environment overlays deploys with its own values, without --env, and says which environment it used', async () => {
    writeJson(path.join(work, 'plain', 'plain.json'), [
      { id: 'pl-tab', type: 'tab', label: 'Plain', disabled: false, info: '' },
      { id: 'pl-in', type: 'http in', z: 'pl-tab', name: 'GET /plain', url: '/plain', method: 'get', upload: false, swaggerDoc: '', x: 120, y: 60, wires: [['pl-set']] },
      { id: 'pl-set', type: 'change', z: 'pl-tab', name: '', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'own values', tot: 'str' }], action: '', property: '', from: '', to: '', reg: false, x: 300, y: 60, wires: [['pl-out']] },
      { id: 'pl-out', type: 'http response', z: 'pl-tab', name: '', statusCode: '', headers: {}, x: 460, y: 60, wires: [] },
    ]);
    const packed = await cli(['bundle', 'pack', path.join('plain', 'plain.json'), '--version', '1.0.0', '--out', 'dist-bundles']);
    expect(packed.code, show(packed)).toBe(0);
    expect(packed.stdout).toContain('environments: none');
    const target = byName['nr4-b']!;
    const deployed = await cli(['deploy', path.join('dist-bundles', 'plain-1.0.0.plantwire.json'), '--target', target.url, '--user', target.username, '--grace', '1', '--state-dir', path.join(work, 'state-plain')], { PLANTWIRE_PASSWORD: target.password });
    expect(deployed.code, show(deployed)).toBe(0);
    expect(deployed.stdout).toContain("environment: none (the bundle has no overlays): deploying the bundle's own values");
    await answers(target, '/plain', 'own values');
    // An environment asked for is named, and still deploys the bundle's own values.
    const again = await cli(['deploy', path.join('dist-bundles', 'plain-1.0.0.plantwire.json'), '--target', target.url, '--user', target.username, '--env', 'dev', '--grace', '1', '--state-dir', path.join(work, 'state-plain')], { PLANTWIRE_PASSWORD: target.password });
    expect(again.code, show(again)).toBe(0);
    expect(again.stdout).toContain('environment "dev" asked for, but the bundle has no environment overlays');
  }, 60_000);
});
