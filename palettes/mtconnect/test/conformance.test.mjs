// The conformance kit on this palette: loads it into the stock Node-RED of devDependencies and checks
// behaviour (malformed messages, close, partial deploy, examples) and the Flow Library scorecard.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(import.meta.url);
const bin = path.join(path.dirname(require.resolve('@plantwire/node-red/package.json')), 'bin', 'plantwire.js');

test('plantwire check passes', { timeout: 600_000 }, () => {
  let out;
  try {
    out = execFileSync(process.execPath, [bin, 'check', '.'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    assert.fail(`plantwire check failed:\n${err.stdout}\n${err.stderr}`);
  }
  assert.match(out, /^PASS: 0 error\(s\)/m);
});
