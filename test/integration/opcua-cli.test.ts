/**
 * `plantwire opcua browse`: the CLI lists a level of the simulator's address
 * space as a table or as JSON (stdout carries only that), and fails with a
 * clear message and exit code 1 when nothing answers.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';

let plant: OpcUaPlant;
let tmp: string;

function cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [path.join(PACKAGE_ROOT, 'bin', 'plantwire.js'), ...args], { encoding: 'utf8', timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-cli-'));
  plant = await startOpcUaPlant({ port: 0, lines: 1, pkiDir: path.join(tmp, 'server-pki') });
}, 60_000);

afterAll(async () => {
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
});

describe('plantwire opcua browse', () => {
  it('prints a node’s children as JSON (stdout is only JSON) and as a table', async () => {
    const pki = path.join(tmp, 'client-pki');
    const json = await cli(['opcua', 'browse', plant.endpointUrl, '--node', 'ns=2;s=Line1/Batch', '--path', '/Objects/Plant/Line1/Batch', '--json', '--pki-dir', pki]);
    expect(json.code, json.stderr).toBe(0);
    const level = JSON.parse(json.stdout) as { items: Array<{ displayName: string; nodeClass: string; dataType?: string; browsePath?: string }> };
    expect(level.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ displayName: 'Current', nodeClass: 'Variable', dataType: 'BatchRecord', browsePath: '/Objects/Plant/Line1/Batch/Current' }),
        expect.objectContaining({ displayName: 'StartBatch', nodeClass: 'Method' }),
      ]),
    );
    const text = await cli(['opcua', 'browse', plant.endpointUrl, '--node', 'ns=2;s=Line1/Filler', '--pki-dir', pki]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^class\s+name\s+type\s+NodeId/m);
    expect(text.stdout).toMatch(/Variable\s+TemperatureSetpoint\s+Double rw\s+ns=2;s=Line1\/Filler\/TemperatureSetpoint/);
  }, 60_000);

  it('fails with exit code 1 and the reason when nothing listens', async () => {
    const res = await cli(['opcua', 'browse', 'opc.tcp://127.0.0.1:1', '--pki-dir', path.join(tmp, 'client-pki')]);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/plantwire: cannot connect to opc\.tcp:\/\/127\.0\.0\.1:1: .*refused the connection/);
    expect(res.stdout).toBe('');
  }, 60_000);
});
