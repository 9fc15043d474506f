#!/usr/bin/env node
// Modbus polling throughput: 1,000 holding registers (1,000 uint16 tags) read
// through Plantwire's client and poller from the Modbus TCP simulator, in two modes:
//   planned  - rows grouped into the fewest requests (125 registers each: 8 requests)
//   perRow   - one request per tag, what a poller without planning does (the baseline)
// The simulator runs in its own process (`plantwire sim modbus`), as a device would.
// Run `node scripts/build.mjs` first. Prints JSON.
//   node bench/modbus-poll.mjs [--seconds 5] [--tags 1000]
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { ModbusClient, ModbusPoller, parseRegisterMap } = require(path.join(root, 'dist/src/connectors/modbus/index.js'));

const { values } = parseArgs({ options: { seconds: { type: 'string' }, tags: { type: 'string' } } });
const seconds = Number(values.seconds ?? 5);
const tags = Number(values.tags ?? 1000);
if (!(tags >= 1 && tags <= 2000)) throw new Error('--tags must be 1..2000 (the simulator maps holding registers 0..1999)');

const sim = spawn(process.execPath, [path.join(root, 'bin/plantwire.js'), 'sim', 'modbus', '--port', '0', '--units', '1'], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise((resolve, reject) => {
  let out = '';
  sim.stdout.on('data', (d) => {
    out += d;
    const m = /listening on [\d.]+:(\d+)/.exec(out);
    if (m) resolve(Number(m[1]));
  });
  sim.once('exit', (code) => reject(new Error(`simulator exited (${code})`)));
});

const rows = parseRegisterMap(Array.from({ length: tags }, (_, i) => ({ tag: `Bench/R${String(i).padStart(4, '0')}`, address: i, function: 'holding', dataType: 'uint16' })));
const client = new ModbusClient({ host: '127.0.0.1', port, timeoutMs: 2000 });
client.start();
while (client.state !== 'connected') await new Promise((r) => setTimeout(r, 10));

async function run(mode) {
  const poller = new ModbusPoller(rows, client, { unitId: 1, perRow: mode === 'perRow' });
  await poller.poll(); // warm-up
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  let polls = 0;
  let bad = 0;
  while (Number(process.hrtime.bigint() - t0) / 1e9 < seconds) {
    const r = await poller.poll();
    polls += 1;
    bad += r.bad;
  }
  const elapsed = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(cpu0);
  return {
    requestsPerPoll: poller.requests.length,
    polls,
    pollsPerSecond: Math.round((polls / elapsed) * 10) / 10,
    registersPerSecond: Math.round((polls * tags) / elapsed),
    msPerPoll: Math.round((elapsed / polls) * 1000 * 100) / 100,
    clientCpuPercent: Math.round(((cpu.user + cpu.system) / 1e6 / elapsed) * 1000) / 10,
    badSamples: bad,
  };
}

const planned = await run('planned');
const perRow = await run('perRow');
client.stop();
sim.kill('SIGINT');
console.log(
  JSON.stringify(
    {
      bench: 'modbus-poll',
      registers: tags,
      seconds,
      machine: { cpus: os.cpus().length, node: process.version },
      planned,
      baseline_perRow: perRow,
      speedup: Math.round((planned.registersPerSecond / perRow.registersPerSecond) * 10) / 10,
    },
    null,
    2,
  ),
);
