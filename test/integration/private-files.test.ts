/**
 * Issue 16, private files: after `plantwire start` and one login, the
 * workspace and the Node-RED user dir are 700 and the files holding secrets or
 * message bodies (.sessions.json, flows_cred.json, admin.json, every disk
 * buffer file) are 600 — also when the workspace was made by an older version
 * with looser modes, and the start tells the user what it changed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { ensurePrivateDir, ensurePrivateFile, makeTreePrivate } from '../../src/model/private-fs';

const PASSWORD = 'private-files-test-password';
const mode = (p: string): string => (fs.statSync(p).mode & 0o777).toString(8);
let child: ChildProcess;
let output = '';
let url = '';
let workspace = '';

beforeAll(async () => {
  workspace = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-private-'));
  // A workspace as older versions left it: readable by everyone.
  fs.chmodSync(workspace, 0o755);
  fs.mkdirSync(path.join(workspace, 'node-red', 'plantwire', 'buffer'), { recursive: true, mode: 0o755 });
  fs.chmodSync(path.join(workspace, 'node-red'), 0o755);
  fs.writeFileSync(path.join(workspace, 'node-red', '.sessions.json'), '{}', { mode: 0o644 });
  fs.writeFileSync(path.join(workspace, 'node-red', 'plantwire', 'buffer', 'old.sqlite'), '', { mode: 0o644 });
  child = spawn(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), 'start', '--port', '0', '--no-sim', '--workspace', workspace], {
    cwd: PACKAGE_ROOT,
    env: { ...process.env, PLANTWIRE_ADMIN_USER: 'admin', PLANTWIRE_ADMIN_PASSWORD: PASSWORD },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
  const startedAt = Date.now();
  while (!/Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.test(output)) {
    if (child.exitCode !== null || Date.now() - startedAt > 60_000) throw new Error(`plantwire start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  url = /Plantwire is running: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output)![1]!;
}, 90_000);

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
});

describe('private files of plantwire start', () => {
  it('tells the user which permissions it tightened on the existing workspace', () => {
    expect(output).toMatch(/Made the workspace private to you \(folders 700, files 600[^)]*\): .*\. 755 → 700/);
    expect(output).toMatch(/node-red\/\.sessions\.json 644 → 600/);
  });

  it('after one login and a deploy with a password and a disk buffer: workspace and user dir 700, secret and buffer files 600', async () => {
    const login = await fetch(`${url}/auth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope: '*', username: 'admin', password: PASSWORD }),
    });
    expect(login.status).toBe(200);
    const token = ((await login.json()) as { access_token: string }).access_token;
    const flows = [
      { id: 'tab', type: 'tab', label: 'private' },
      { id: 'brk', type: 'plantwire-mqtt-broker', name: 'b', url: 'mqtt://127.0.0.1:1', credentials: { username: 'u', password: 'secret-pw' } },
      { id: 'out', type: 'plantwire-mqtt-out', z: 'tab', broker: 'brk', mode: 'uns', template: '{asset}/{tag}', payload: 'sample', qos: '1', bufferMode: 'disk', bufferMaxEntries: 100, bufferMaxMB: 1, bufferOverflow: 'drop-oldest', wires: [] },
    ];
    const dep = await fetch(`${url}/flows`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'node-red-deployment-type': 'full' }, body: JSON.stringify(flows) });
    expect(dep.status).toBe(204);
    const userDir = path.join(workspace, 'node-red');
    const bufferDir = path.join(userDir, 'plantwire', 'buffer');
    const deadline = Date.now() + 15_000;
    while (!fs.existsSync(path.join(bufferDir, 'out.sqlite')) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(mode(workspace)).toBe('700');
    expect(mode(userDir)).toBe('700');
    expect(mode(bufferDir)).toBe('700');
    for (const f of ['admin.json']) expect([f, mode(path.join(workspace, f))]).toEqual([f, '600']);
    for (const f of ['.sessions.json', 'flows_cred.json', 'flows.json']) expect([f, mode(path.join(userDir, f))]).toEqual([f, '600']);
    expect(fs.readFileSync(path.join(userDir, '.sessions.json'), 'utf8')).toContain(token);
    const bufferFiles = fs.readdirSync(bufferDir);
    expect(bufferFiles).toContain('out.sqlite');
    for (const f of bufferFiles) expect([f, mode(path.join(bufferDir, f))]).toEqual([f, '600']);
  });
});

describe('private-fs helpers', () => {
  it('create private folders and files and tighten existing ones, keeping an owner-executable bit', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-priv-'));
    const old = process.umask(0o022);
    try {
      ensurePrivateDir(path.join(root, 'a', 'b'));
      expect(mode(path.join(root, 'a'))).toBe('700');
      expect(mode(path.join(root, 'a', 'b'))).toBe('700');
      const db = path.join(root, 'a', 'b', 'q.sqlite');
      fs.writeFileSync(`${db}-wal`, '', { mode: 0o644 });
      ensurePrivateFile(db, ['-wal', '-shm']);
      expect([mode(db), mode(`${db}-wal`)]).toEqual(['600', '600']);
      fs.writeFileSync(path.join(root, 'run.sh'), '', { mode: 0o755 });
      fs.mkdirSync(path.join(root, 'node_modules', 'x'), { recursive: true, mode: 0o755 });
      const changes = makeTreePrivate(root);
      expect(mode(path.join(root, 'run.sh'))).toBe('700');
      expect(mode(path.join(root, 'node_modules', 'x'))).toBe('755');
      expect(changes.map((c) => path.basename(c.path))).toContain('run.sh');
      expect(makeTreePrivate(root)).toEqual([]);
    } finally {
      process.umask(old);
    }
  });
});
