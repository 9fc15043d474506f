#!/usr/bin/env node
// Install figures as a Node-RED user sees them: the palette manager's own
// command (`npm install --save --save-prefix=~ --omit=dev --engine-strict`,
// as @node-red/registry runs it) into a fresh, stock Node-RED user dir, with
// and without --ignore-scripts, for the packed Plantwire tarball and — in the
// same run, the same way — the baseline node-red-contrib-opcua from the
// registry. Each install gets an EMPTY npm cache (--cache <new dir>), so every
// package is fetched from the registry: the figures include the download.
//
// Prints per install: wall time, packages installed (package-lock.json
// entries), node_modules size on disk (du), and whether npm ran install
// scripts that compiled anything (node-gyp in the output).
//
//   node bench/install.mjs [--rounds 1] [--tarball plantwire.tgz] [--baseline node-red-contrib-opcua@0.2.354]
//
// Without --tarball the project is packed first (npm pack, which builds).
// Run it with the Node.js the users run (22 or 24) first on PATH: --engine-strict applies.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '1' },
    tarball: { type: 'string' },
    baseline: { type: 'string', default: 'node-red-contrib-opcua' },
    registry: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const root = path.resolve(import.meta.dirname, '..');
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-bench-install-'));
const PALETTE_MANAGER = ['install', '--no-audit', '--no-update-notifier', '--no-fund', '--save', '--save-prefix=~', '--omit=dev', '--engine-strict'];

let tarball = values.tarball && path.resolve(values.tarball);
if (!tarball) {
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', work], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  tarball = path.join(work, JSON.parse(out.slice(out.search(/^\[/m)))[0].filename);
}
const baselineVersion = execFileSync('npm', ['view', values.baseline, 'version'], { encoding: 'utf8' }).trim().split('\n').pop().replace(/^.*'(.+)'$/, '$1');
const baseline = `${values.baseline.replace(/@[^@/]+$/, '')}@${baselineVersion}`;

function duMB(dir) {
  if (!fs.existsSync(dir)) return 0;
  return Number(execFileSync('du', ['-sk', dir], { encoding: 'utf8' }).split('\t')[0]) / 1024;
}

function install(label, spec, ignoreScripts, n) {
  const userDir = path.join(work, `${label.replace(/\W+/g, '-')}-${ignoreScripts ? 'noscripts' : 'scripts'}-${n}`);
  const cache = path.join(work, `cache-${label.replace(/\W+/g, '-')}-${ignoreScripts}-${n}`);
  fs.mkdirSync(userDir, { recursive: true });
  // What Node-RED writes into a new user dir.
  fs.writeFileSync(path.join(userDir, 'package.json'), JSON.stringify({ name: 'node-red-project', description: 'A Node-RED Project', version: '0.0.1', private: true }, null, 2));
  const args = [...PALETTE_MANAGER, '--cache', cache, ...(values.registry ? ['--registry', values.registry] : []), ...(ignoreScripts ? ['--ignore-scripts'] : []), '--foreground-scripts', spec];
  const t0 = performance.now();
  const r = spawnSync('npm', args, { cwd: userDir, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  const seconds = (performance.now() - t0) / 1000;
  const lock = path.join(userDir, 'package-lock.json');
  const packages = fs.existsSync(lock) ? Object.keys(JSON.parse(fs.readFileSync(lock, 'utf8')).packages ?? {}).filter((k) => k !== '').length : 0;
  const mb = duMB(path.join(userDir, 'node_modules'));
  const out = `${r.stdout}\n${r.stderr}`;
  const compiled = /gyp info ok|node-gyp rebuild|CXX\(target\)/.test(out);
  const row = { label, scripts: ignoreScripts ? 'no (--ignore-scripts)' : 'yes', exit: r.status, seconds, packages, mb, compiled };
  if (r.status !== 0) row.error = out.split('\n').filter((l) => /ERR!|error/i.test(l)).slice(0, 5).join(' | ');
  fs.rmSync(cache, { recursive: true, force: true });
  fs.rmSync(userDir, { recursive: true, force: true });
  return row;
}

console.log(`node ${process.version}, npm ${execFileSync('npm', ['--version'], { encoding: 'utf8' }).trim()}, ${os.cpus().length} CPUs; registry ${values.registry ?? execFileSync('npm', ['config', 'get', 'registry'], { encoding: 'utf8' }).trim()}`);
console.log(`Plantwire: ${path.basename(tarball)}; baseline: ${baseline}; ${rounds} round(s), every install with an empty npm cache`);
const rows = [];
for (let n = 0; n < rounds; n++) {
  for (const ignore of [true, false]) {
    rows.push(install('Plantwire', tarball, ignore, n));
    rows.push(install(baseline, baseline, ignore, n));
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log('\n| package | install scripts | exit | time (s, median) | packages | node_modules (MB) | compiled |');
console.log('|---|---|---|---|---|---|---|');
for (const key of [...new Set(rows.map((r) => `${r.label}\u0000${r.scripts}`))]) {
  const rs = rows.filter((r) => `${r.label}\u0000${r.scripts}` === key);
  const r0 = rs[0];
  console.log(`| ${r0.label} | ${r0.scripts} | ${rs.map((r) => r.exit).join(',')} | ${median(rs.map((r) => r.seconds)).toFixed(1)} (${rs.map((r) => r.seconds.toFixed(1)).join(', ')}) | ${r0.packages} | ${median(rs.map((r) => r.mb)).toFixed(0)} | ${rs.some((r) => r.compiled) ? 'yes' : 'no'} |`);
  for (const r of rs) if (r.error) console.log(`  ${r.label}: ${r.error}`);
}
fs.rmSync(work, { recursive: true, force: true });
