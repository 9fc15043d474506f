/**
 * Runs once before the suite: installs the Node-RED 5 / Node 22 fixture when
 * it is missing (a fresh clone), from its own package-lock.json; and makes the
 * temp dir of the run's one shared pack (test/helpers/pack.ts sharedPack),
 * removed again after the run; links @plantwire/sdk (packages/sdk) and
 * @plantwire/node-red (the root) into the palettes of palettes/
 * (test/helpers/palettes.ts).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { NR5_DIR, nr5Installed } from './nr5';
import { linkSdk, sdkPalettes } from './palettes';

export default function setup(project: TestProject): () => void {
  const packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-pack-run-'));
  project.provide('plantwirePackDir', packDir);
  const teardown = (): void => fs.rmSync(packDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
  try {
    installNr5();
    // The palettes in palettes/ import @plantwire/sdk and run @plantwire/node-red's kit: link both as their npm install would.
    for (const dir of sdkPalettes()) linkSdk(dir);
  } catch (err) {
    teardown();
    throw err;
  }
  return teardown;
}

function installNr5(): void {
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
