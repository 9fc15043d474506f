/**
 * Node-RED 5 on Node 22, for tests that prove Plantwire keeps working there.
 * The machine's Node is 20; the fixture in test/fixtures/nr5 pins the npm
 * registry's `node@22` package (a Node 22 binary) and `node-red@5`. It is
 * installed by vitest's global setup (test/helpers/global-setup.ts) when missing.
 */
import fs from 'node:fs';
import path from 'node:path';

export const NR5_DIR = path.resolve(__dirname, '..', 'fixtures', 'nr5');
export const NODE22 = path.join(NR5_DIR, 'node_modules', 'node', 'bin', 'node');
export const NR5_RED_JS = path.join(NR5_DIR, 'node_modules', 'node-red', 'red.js');

export function nr5Installed(): boolean {
  return fs.existsSync(NODE22) && fs.existsSync(NR5_RED_JS);
}
