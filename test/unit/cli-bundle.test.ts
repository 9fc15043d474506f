import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleCommand, deployCommand, diffCommand, historyCommand, rollbackCommand } from '../../src/cli/bundle';

function io(env: NodeJS.ProcessEnv = {}): { out: string[]; err: string[]; io: { out: (l: string) => void; err: (l: string) => void; env: NodeJS.ProcessEnv } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l), env } };
}

describe('plantwire bundle/diff/deploy/rollback/history: help and usage errors', () => {
  it.each([
    ['bundle', () => bundleCommand, ['--help'], 'plantwire bundle pack <flows.json> --version <semver>'],
    ['bundle pack', () => bundleCommand, ['pack', '--help'], '--secrets-out FILE'],
    ['diff', () => diffCommand, ['--help'], 'nodes added (+), removed (-) and changed (~'],
    ['deploy', () => deployCommand, ['--help'], '--sync-modules'],
    ['rollback', () => rollbackCommand, ['--help'], 'Restores the flows that ran before the last deploy'],
    ['history', () => historyCommand, ['--help'], 'Lists the deploys and rollbacks'],
  ])('%s --help', async (_name, cmd, args, text) => {
    const t = io();
    expect(await cmd()(args, t.io)).toBe(0);
    expect(t.out.join('\n')).toContain(text);
  });

  it('names what is missing or wrong', async () => {
    await expect(deployCommand(['b.json'], io().io)).rejects.toThrow('no such file');
    await expect(bundleCommand(['pack', 'flows.json'], io().io)).rejects.toThrow('--version is required (semver, e.g. 1.4.0)');
    await expect(bundleCommand(['frobnicate'], io().io)).rejects.toThrow('unknown command "bundle frobnicate"');
    await expect(deployCommand(['--nope'], io().io)).rejects.toThrow(`Unknown option '--nope'`);
    await expect(rollbackCommand([], io().io)).rejects.toThrow('--target is required');
    await expect(rollbackCommand(['--target', 'http://127.0.0.1:1', '--user', 'admin'], io().io)).rejects.toThrow('--user admin needs the password in PLANTWIRE_PASSWORD or --password-file (never on the command line)');
    await expect(rollbackCommand(['--target', 'nowhere.json'], io().io)).rejects.toThrow('--target nowhere.json: not an http(s) URL and no such inventory file');
  });

  it('validate: a flows file with its env/ overlays, credentials flagged as warnings, exit code from errors', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-cli-'));
    fs.mkdirSync(path.join(dir, 'env'));
    fs.writeFileSync(path.join(dir, 'env', 'prod.json'), '{"LINE": "L1"}');
    const flows = [
      { id: 't', type: 'tab', label: 'L' },
      { id: 'c', type: 'change', z: 't', name: 'set', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: '${LINE}', tot: 'str' }], x: 1, y: 1, wires: [] },
      { id: 'b', type: 'mqtt-broker', name: 'broker', broker: 'h', credentials: { password: 'pw' } },
    ];
    fs.writeFileSync(path.join(dir, 'flows.json'), JSON.stringify(flows));
    const ok = io();
    expect(await bundleCommand(['validate', path.join(dir, 'flows.json')], ok.io)).toBe(0);
    expect(ok.out).toEqual([
      `warning ${'flows.json'} › mqtt-broker "broker" (b) › credentials.password: holds a credential value: pack replaces it with a \${secret:NAME} reference (--secrets-out keeps the value for deploy)`,
      `${path.join(dir, 'flows.json')}: 0 error(s), 1 warning(s) — the flows are valid`,
    ]);
    fs.writeFileSync(path.join(dir, 'env', 'prod.json'), '{}');
    const bad = io();
    expect(await bundleCommand(['validate', path.join(dir, 'flows.json'), '--json'], bad.io)).toBe(1);
    const doc = JSON.parse(bad.out.join('\n')) as { ok: boolean; errors: number; problems: Array<{ code: string; field?: string }> };
    expect(doc.ok).toBe(false);
    expect(doc.problems.map((p) => [p.code, p.field])).toEqual([
      ['undeclared-env', 'rules[0].to'],
      ['credential-value', 'credentials.password'],
    ]);
    fs.writeFileSync(path.join(dir, 'broken.json'), '[{"id": "a", "type": "inject",}]');
    const broken = io();
    expect(await bundleCommand(['validate', path.join(dir, 'broken.json')], broken.io)).toBe(1);
    expect(broken.err[0]).toBe('error   broken.json: not well-formed JSON at line 1, column 31: ' + (() => { try { JSON.parse('[{"id": "a", "type": "inject",}]'); return ''; } catch (e) { return (e as Error).message; } })());
  });
});
