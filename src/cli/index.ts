import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlantwireError, toError } from '../model/errors';
import { PACKAGE_ROOT } from '../host/index';
import { OPCUA_HELP } from './opcua';
import { start } from './start';

const HELP = `plantwire — tools of the Plantwire Node-RED palette

Usage:
  plantwire start [--port 1880] [--host 127.0.0.1] [--workspace .plantwire]
                  [--opcua-port 4840] [--no-sim] [--reset-demo]
      Embedded Node-RED with the palette, the demo flow and the simulators.
      Environment: PLANTWIRE_PORT, PLANTWIRE_ADMIN_USER, PLANTWIRE_ADMIN_PASSWORD.
  plantwire sim opcua [--port 4840] [--lines 2] [--tags 0] [--update-ms 1000]
      OPC UA bottling-plant simulator (--tags N adds N bench tags changing every 100 ms).
  ${OPCUA_HELP.trimEnd().replace(/\n/g, '\n  ')}
  plantwire --version | --help
`;

function intOption(value: string | undefined, name: string, fallback: number, min = 0, max = 65535): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new PlantwireError('bad-option', `${name} must be a whole number from ${min} to ${max}, got "${value}"`);
  return n;
}

function waitForSignal(stop: () => Promise<void>, log: (s: string) => void): void {
  let count = 0;
  const onSignal = (sig: string): void => {
    count += 1;
    if (count > 1) process.exit(130);
    log(`\n${sig}: stopping…`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(toError(err).message);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
}

export async function main(argv: string[]): Promise<number> {
  const log = (line: string): void => console.log(line);
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(HELP);
    return command ? 0 : 1;
  }
  if (command === '--version' || command === '-v') {
    log((JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version);
    return 0;
  }
  if (command === 'start') {
    const { values } = parseArgs({
      args: rest,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        workspace: { type: 'string' },
        'opcua-port': { type: 'string' },
        'no-sim': { type: 'boolean' },
        'reset-demo': { type: 'boolean' },
      },
    });

    const running = await start({
      port: intOption(values.port ?? process.env.PLANTWIRE_PORT, 'port', 1880),
      host: values.host ?? '127.0.0.1',
      workspace: values.workspace ?? path.resolve('.plantwire'),
      opcuaPort: intOption(values['opcua-port'] ?? process.env.PLANTWIRE_OPCUA_PORT, 'opcua-port', 4840),
      sims: !values['no-sim'],
      resetDemo: Boolean(values['reset-demo']),
      log,
    });
    waitForSignal(() => running.stop(), log);
    return -1;
  }
  if (command === 'sim') {
    const [kind, ...simArgs] = rest;
    if (kind !== 'opcua') throw new PlantwireError('bad-command', `unknown simulator "${kind ?? ''}": try "plantwire sim opcua"`);
    const { values } = parseArgs({
      args: simArgs,
      options: { port: { type: 'string' }, host: { type: 'string' }, lines: { type: 'string' }, tags: { type: 'string' }, 'update-ms': { type: 'string' }, 'pki-dir': { type: 'string' } },
    });
    const { startOpcUaPlant } = require('../sim/opcua-plant') as typeof import('../sim/opcua-plant');
    const plant = await startOpcUaPlant({
      port: intOption(values.port, 'port', 4840),
      host: values.host ?? '127.0.0.1',
      lines: intOption(values.lines, 'lines', 2, 1, 50),
      benchTags: intOption(values.tags, 'tags', 0, 0, 1_000_000),
      updateMs: intOption(values['update-ms'], 'update-ms', 1000, 10, 3_600_000),
      pkiDir: values['pki-dir'],
    });
    log(`OPC UA plant simulator listening on ${plant.endpointUrl} with ${plant.tagCount} tags. Ctrl-C stops it.`);
    waitForSignal(() => plant.stop(), log);
    return -1;
  }
  if (command === 'opcua') {
    const { opcuaCommand } = require('./opcua') as typeof import('./opcua');
    return opcuaCommand(rest);
  }
  throw new PlantwireError('bad-command', `unknown command "${command}"; run "plantwire --help"`);
}

/** Entry point for bin/plantwire.js: exit code on finish; long-running commands keep the process alive. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => {
      if (code >= 0) process.exitCode = code;
    },
    (err: unknown) => {
      const e = toError(err);
      console.error(`plantwire: ${e.message}`);
      process.exitCode = 1;
    },
  );
}
