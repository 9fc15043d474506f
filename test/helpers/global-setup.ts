/**
 * Runs once before the suite: installs the Node-RED 5 / Node 22 fixture when
 * it is missing (a fresh clone), from its own package-lock.json.
 */
import { execFileSync } from 'node:child_process';
import { NR5_DIR, nr5Installed } from './nr5';

export default function setup(): void {
  if (nr5Installed()) return;
  console.log('global setup: installing the Node-RED 5 / Node 22 fixture (test/fixtures/nr5)…');
  try {
    execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--prefix', NR5_DIR], { stdio: 'inherit', timeout: 300_000 });
  } catch (err) {
    const message = `could not install the Node-RED 5 fixture: ${(err as Error).message}`;
    if (process.env.PLANTWIRE_REQUIRE_SERVICES === '1') throw new Error(message);
    console.log(`skipped: ${message}`);
  }
}
