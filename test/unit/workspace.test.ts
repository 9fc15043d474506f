import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { localizeDemo, openWorkspace, seedDemo, unseedDemo } from '../../src/host/workspace';
import { demoFlowFile } from '../../src/cli/start';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pw-ws-'));

describe('workspace secrets', () => {
  it('generates a password once, keeps it (mode 600) and reuses it', () => {
    const dir = tmp();
    const first = openWorkspace(dir, {});
    expect(first.generatedPassword).toBe(true);
    expect(first.secrets.adminUser).toBe('admin');
    expect(first.secrets.adminPassword).toMatch(/^[A-Za-z0-9_-]{18}$/);
    expect(fs.statSync(path.join(dir, 'admin.json')).mode & 0o777).toBe(0o600);
    const second = openWorkspace(dir, {});
    expect(second.generatedPassword).toBe(false);
    expect(second.secrets).toEqual(first.secrets);
  });
  it('takes user and password from the environment and never writes that password', () => {
    const dir = tmp();
    const ws = openWorkspace(dir, { PLANTWIRE_ADMIN_USER: 'ops', PLANTWIRE_ADMIN_PASSWORD: 'from-env-123' });
    expect(ws.secrets.adminUser).toBe('ops');
    expect(ws.secrets.adminPassword).toBe('from-env-123');
    expect(ws.generatedPassword).toBe(false);
    expect(fs.readFileSync(path.join(dir, 'admin.json'), 'utf8')).not.toContain('from-env-123');
  });
});

describe('demo seeding', () => {
  it('seeds when empty, updates an untouched demo, keeps a changed flow, resets on request', () => {
    const dir = tmp();
    const file = path.join(dir, 'flows.json');
    expect(seedDemo(dir, '[1]')).toBe('seeded');
    expect(seedDemo(dir, '[1]')).toBe('kept');
    expect(seedDemo(dir, '[1,2]')).toBe('updated');
    expect(fs.readFileSync(file, 'utf8')).toBe('[1,2]');
    fs.writeFileSync(file, '["mine"]');
    expect(seedDemo(dir, '[1,2,3]')).toBe('kept');
    expect(fs.readFileSync(file, 'utf8')).toBe('["mine"]');
    expect(seedDemo(dir, '[1,2,3]', true)).toBe('reset');
    expect(fs.readFileSync(file, 'utf8')).toBe('[1,2,3]');
  });

  it('without simulators (--no-sim) takes out an unchanged seeded demo, keeps a changed flow, starts empty when there is none', () => {
    const dir = tmp();
    const file = path.join(dir, 'flows.json');
    expect(unseedDemo(dir)).toBe('no-demo');
    expect(fs.existsSync(file)).toBe(false);
    seedDemo(dir, '[1]');
    expect(unseedDemo(dir)).toBe('no-demo');
    expect(fs.readFileSync(file, 'utf8')).toBe('[]\n');
    expect(seedDemo(dir, '[1]'), 'a later start with simulators seeds the demo again').toBe('kept');
    const other = tmp();
    seedDemo(other, '[1]');
    fs.writeFileSync(path.join(other, 'flows.json'), '["mine"]');
    expect(unseedDemo(other)).toBe('kept');
    expect(fs.readFileSync(path.join(other, 'flows.json'), 'utf8')).toBe('["mine"]');
  });

  it('finds the demo flow in a clone (flows/) and in the installed package (examples/)', () => {
    const root = tmp();
    expect(() => demoFlowFile(root)).toThrow(/the demo flow is missing/);
    fs.mkdirSync(path.join(root, 'examples'));
    fs.writeFileSync(path.join(root, 'examples', 'demo.json'), '[]');
    expect(demoFlowFile(root)).toBe(path.join(root, 'examples', 'demo.json'));
    fs.mkdirSync(path.join(root, 'flows'));
    fs.writeFileSync(path.join(root, 'flows', 'demo.json'), '[]');
    expect(demoFlowFile(root)).toBe(path.join(root, 'flows', 'demo.json'));
  });
});

describe('demo localisation', () => {
  const demo = JSON.stringify([
    { id: 'ep', type: 'plantwire-opcua-endpoint', url: 'opc.tcp://127.0.0.1:4840' },
    { id: 'dev', type: 'plantwire-modbus-device', host: '127.0.0.1', port: 5020 },
    { id: 'x', type: 'debug' },
  ]);
  it('keeps the demo as it is when the simulators run at the default addresses', () => {
    expect(localizeDemo(demo, { opcuaUrl: 'opc.tcp://127.0.0.1:4840', modbusHost: '127.0.0.1', modbusPort: 5020 })).toBe(demo);
    expect(localizeDemo(demo, {})).toBe(demo);
  });
  it('points the demo at simulators that moved', () => {
    const out = JSON.parse(localizeDemo(demo, { opcuaUrl: 'opc.tcp://127.0.0.1:49999', modbusHost: '127.0.0.1', modbusPort: 40123 })) as Array<Record<string, unknown>>;
    expect(out[0]!.url).toBe('opc.tcp://127.0.0.1:49999');
    expect(out[1]!.port).toBe(40123);
    expect(out[2]).toEqual({ id: 'x', type: 'debug' });
  });
});
