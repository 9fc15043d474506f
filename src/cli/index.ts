import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { PlantwireError, toError } from '../model/errors';
import { PACKAGE_ROOT } from '../host/index';
import { bundleCommand, deployCommand, diffCommand, historyCommand, rollbackCommand } from './bundle';
import { OPCUA_HELP } from './opcua';
import { start } from './start';

const HELP = `plantwire — tools of the Plantwire Node-RED palette

Usage:
  plantwire start [--port 1880] [--host 127.0.0.1] [--workspace .plantwire]
                  [--opcua-port 4840] [--modbus-port 5020] [--erp-port 4300] [--smtp-port 2525]
                  [--no-sim] [--reset-demo]
      Embedded Node-RED with the palette, the demo flow and the simulators
      (--no-sim: no simulators and no demo flow).
      Environment: PLANTWIRE_PORT, PLANTWIRE_ADMIN_USER, PLANTWIRE_ADMIN_PASSWORD.
  plantwire sim opcua [--port 4840] [--lines 2] [--tags 0] [--update-ms 1000]
      OPC UA bottling-plant simulator (--tags N adds N bench tags changing every 100 ms).
  plantwire sim modbus [--port 5020] [--host 127.0.0.1] [--units 2] [--update-ms 1000] [--verbose]
      Modbus TCP simulator: one bottling line per unit id plus known values in every
      data type and byte order (docs/simulators.md). --verbose logs every write.
  plantwire sim erp [--port 4300] [--host 127.0.0.1] [--sap-client 100] [--require-auth]
                    [--token-lifetime-s 3600] [--drop-rate 0] [--latency-ms 0] [--verbose]
                    [--tls-cert cert.pem --tls-key key.pem]
      SAP S/4HANA-style OData simulator: OData v2 services API_PROD_ORDER_CONFIRMATION_2_SRV,
      API_MAINTNOTIFICATION, API_PRODUCTION_ORDER_2_SRV (CSRF, $batch, ETags, repeatability),
      the same entity sets as OData v4 under /odata/v4/, OAuth2 at /oauth/token; received
      documents at http://host:port/ (docs/erp-sap.md). --drop-rate drops answers after commit.
  plantwire bundle pack <flows.json> | --from <url>  --version <semver> [--env-dir env/] …
  plantwire bundle validate <bundle.plantwire.json | flows.json> [--env prod]
      Versioned flow bundles: manifest, pinned modules, environment overlays, secret references.
  plantwire diff <bundle> --target <url|inventory.json> [--env prod]
  plantwire deploy <bundle> --target <url|inventory.json> [--env prod] [--secrets file] …
  plantwire rollback --target <url|inventory.json>
  plantwire history --target <url|inventory.json>
      Deploy to one Node-RED 4/5 or a fleet through the Admin API, with revision check,
      health check, automatic rollback and a deployment history (docs/deploying.md).
      Each command has --help and --json.
  plantwire sim sparkplug [--broker mqtt://127.0.0.1:1883] [--group Plantwire] [--lines 1]
                          [--interval-ms 1000] [--primary-host <host id>] [--no-aliases]
      Sparkplug B edge nodes Line1…LineN (one device per machine) publishing to the broker.
  plantwire sim odoo [--port 8069] [--host 127.0.0.1] [--database plantwire] [--drop-rate 0] [--empty] [--verbose]
      Odoo JSON-RPC simulator (mrp.production, maintenance.request); login admin with
      password "admin" or API key "plantwire-odoo-demo-key". Starts with the confirmed
      orders WH/MO/00001 and WH/MO/00002 (--empty: none). Stored records: GET /plantwire/records.
      --drop-rate 0.3 loses 30 % of the answers after committing (idempotency tests).
  plantwire sim smtp [--port 2525] [--host 127.0.0.1] [--outbox .plantwire/outbox]
                     [--http-port 2580] [--max-size 10485760]
      SMTP catcher: accepts every mail (any AUTH PLAIN/LOGIN/XOAUTH2), writes it as .eml
      into the outbox and lists the received mails on http://host:http-port/.
  ${OPCUA_HELP.trimEnd().replace(/\n/g, '\n  ')}
  plantwire check <palette dir | palette.tgz> [--json] [--node-red <dir> [--node <bin>]]…
      Conformance kit for Node-RED palettes (behaviour, not only metadata); see check --help.
  plantwire new palette <name> [--dir <parent>] [--sdk <spec>] [--plantwire <spec>]
  plantwire new node <type> --kind source|transform|sink|config
      Scaffold a palette repository on @plantwire/sdk (plantwire itself a devDependency), or add a node to one.
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
        'modbus-port': { type: 'string' },
        'erp-port': { type: 'string' },
        'smtp-port': { type: 'string' },
        'no-sim': { type: 'boolean' },
        'reset-demo': { type: 'boolean' },
      },
    });

    const running = await start({
      port: intOption(values.port ?? process.env.PLANTWIRE_PORT, 'port', 1880),
      host: values.host ?? '127.0.0.1',
      workspace: values.workspace ?? path.resolve('.plantwire'),
      opcuaPort: intOption(values['opcua-port'] ?? process.env.PLANTWIRE_OPCUA_PORT, 'opcua-port', 4840),
      modbusPort: intOption(values['modbus-port'] ?? process.env.PLANTWIRE_MODBUS_PORT, 'modbus-port', 5020),
      erpPort: intOption(values['erp-port'] ?? process.env.PLANTWIRE_ERP_PORT, 'erp-port', 4300),
      smtpPort: intOption(values['smtp-port'] ?? process.env.PLANTWIRE_SMTP_PORT, 'smtp-port', 2525),
      sims: !values['no-sim'],
      resetDemo: Boolean(values['reset-demo']),
      log,
    });
    waitForSignal(() => running.stop(), log);
    return -1;
  }
  if (command === 'sim') {
    const [kind, ...simArgs] = rest;
    if (kind === 'modbus') {
      const { values } = parseArgs({
        args: simArgs,
        options: { port: { type: 'string' }, host: { type: 'string' }, units: { type: 'string' }, 'update-ms': { type: 'string' }, verbose: { type: 'boolean' } },
      });
      const { startModbusSim } = require('../sim/modbus') as typeof import('../sim/modbus');
      const units = intOption(values.units, 'units', 2, 1, 247);
      const sim = await startModbusSim({
        port: intOption(values.port, 'port', 5020),
        host: values.host ?? '127.0.0.1',
        unitIds: Array.from({ length: units }, (_, i) => i + 1),
        updateMs: intOption(values['update-ms'], 'update-ms', 1000, 10, 3_600_000),
        log: values.verbose ? log : undefined,
      });
      log(`Modbus TCP simulator listening on ${sim.host}:${sim.port}, unit ids 1..${units} (one bottling line each). Ctrl-C stops it.`);
      waitForSignal(() => sim.stop(), log);
      return -1;
    }
    if (kind === 'sparkplug') return simSparkplug(simArgs, log);
    if (kind === 'odoo') return simOdoo(simArgs, log);
    if (kind === 'erp') return simErp(simArgs, log);
    if (kind === 'smtp') return simSmtp(simArgs, log);
    if (kind !== 'opcua') throw new PlantwireError('bad-command', `unknown simulator "${kind ?? ''}": try "plantwire sim opcua", "plantwire sim modbus", "plantwire sim sparkplug", "plantwire sim erp", "plantwire sim odoo" or "plantwire sim smtp"`);
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
  if (command === 'bundle') return bundleCommand(rest);
  if (command === 'diff') return diffCommand(rest);
  if (command === 'deploy') return deployCommand(rest);
  if (command === 'rollback') return rollbackCommand(rest);
  if (command === 'history') return historyCommand(rest);
  if (command === 'new') {
    const { newCommand } = require('./scaffold') as typeof import('./scaffold');
    return newCommand(rest);
  }
  if (command === 'check') {
    const { checkCommand } = require('./check') as typeof import('./check');
    return checkCommand(rest);
  }
  if (command === 'opcua') {
    const { opcuaCommand } = require('./opcua') as typeof import('./opcua');
    return opcuaCommand(rest);
  }
  throw new PlantwireError('bad-command', `unknown command "${command}"; run "plantwire --help"`);
}

function fractionOption(value: string | undefined, name: string, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n > 1) throw new PlantwireError('bad-option', `${name} must be a number from 0 to 1, got "${value}"`);
  return n;
}

async function simErp(args: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'sap-client': { type: 'string' },
      'require-auth': { type: 'boolean' },
      'token-lifetime-s': { type: 'string' },
      'drop-rate': { type: 'string' },
      'latency-ms': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      verbose: { type: 'boolean' },
    },
  });
  if (Boolean(values['tls-cert']) !== Boolean(values['tls-key'])) throw new PlantwireError('bad-option', 'HTTPS needs both --tls-cert and --tls-key (PEM files)');
  const readPem = (file: string, what: string): string => {
    try {
      return fs.readFileSync(file, 'utf8');
    } catch (err) {
      throw new PlantwireError('bad-option', `cannot read the ${what} ${file}: ${toError(err).message}`);
    }
  };
  const tls = values['tls-cert'] && values['tls-key'] ? { cert: readPem(values['tls-cert'], 'TLS certificate'), key: readPem(values['tls-key'], 'TLS key') } : undefined;
  const sapClient = values['sap-client'] ?? '100';
  if (!/^\d{3}$/.test(sapClient)) throw new PlantwireError('bad-option', `sap-client must be three digits (e.g. 100), got "${sapClient}"`);
  const { startErpSim } = require('../sim/erp-odata') as typeof import('../sim/erp-odata');
  const sim = await startErpSim({
    port: intOption(values.port, 'port', 4300),
    host: values.host ?? '127.0.0.1',
    sapClient,
    requireAuth: Boolean(values['require-auth']),
    tokenLifetimeS: intOption(values['token-lifetime-s'], 'token-lifetime-s', 3600, 1, 86_400),
    dropRate: fractionOption(values['drop-rate'], 'drop-rate', 0),
    latencyMs: intOption(values['latency-ms'], 'latency-ms', 0, 0, 600_000),
    tls,
    log: values.verbose ? log : undefined,
  });
  log(`ERP OData simulator on ${sim.url} (sap-client ${sapClient}; user PLANTWIRE / plantwire, OAuth2 client plantwire / plantwire-secret):`);
  log(`  SAP OData v2  ${sim.v2.confirmation}`);
  log(`                ${sim.v2.notification}`);
  log(`                ${sim.v2.productionOrder}`);
  log(`  OData v4      ${sim.v4}`);
  log(`  OAuth2 token  ${sim.tokenUrl}`);
  log(`  Documents     ${sim.url}/  (JSON: ${sim.url}/sim/documents)`);
  log('Ctrl-C stops it.');
  waitForSignal(() => sim.close(), log);
  return -1;
}

async function simSmtp(args: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' }, outbox: { type: 'string' }, 'http-port': { type: 'string' }, 'max-size': { type: 'string' } },
  });
  const { startSmtpCatcher } = require('../sim/smtp-catcher') as typeof import('../sim/smtp-catcher');
  const catcher = await startSmtpCatcher({
    port: intOption(values.port, 'port', 2525),
    host: values.host ?? '127.0.0.1',
    outbox: path.resolve(values.outbox ?? path.join('.plantwire', 'outbox')),
    httpPort: intOption(values['http-port'], 'http-port', 2580),
    maxSize: intOption(values['max-size'], 'max-size', 10 * 1024 * 1024, 1024, 1024 * 1024 * 1024),
    log,
  });
  log(`SMTP catcher listening on ${catcher.host}:${catcher.port}; mails go to ${catcher.outbox} and are listed on ${catcher.pageUrl}. Ctrl-C stops it.`);
  waitForSignal(() => catcher.stop(), log);
  return -1;
}

async function simSparkplug(args: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { broker: { type: 'string' }, group: { type: 'string' }, lines: { type: 'string' }, 'interval-ms': { type: 'string' }, 'primary-host': { type: 'string' }, 'no-aliases': { type: 'boolean' } },
  });
  const { startSparkplugEdgeSim } = require('../sim/sparkplug-edge') as typeof import('../sim/sparkplug-edge');
  const lines = intOption(values.lines, 'lines', 1, 1, 50);
  const broker = values.broker ?? 'mqtt://127.0.0.1:1883';
  const sims: Array<Awaited<ReturnType<typeof startSparkplugEdgeSim>>> = [];
  for (let line = 1; line <= lines; line++) {
    const sim = await startSparkplugEdgeSim({
      broker,
      group: values.group ?? 'Plantwire',
      line,
      intervalMs: intOption(values['interval-ms'], 'interval-ms', 1000, 10, 3_600_000),
      useAliases: !values['no-aliases'],
      primaryHost: values['primary-host'],
      log,
    });
    sims.push(sim);
    log(`Sparkplug edge node ${sim.group}/${sim.edgeNode} (devices ${sim.devices.join(', ')}; ${sim.metricCount} metrics) publishing to ${broker}.`);
  }
  log('Ctrl-C stops them (each publishes its NDEATH).');
  waitForSignal(async () => {
    await Promise.all(sims.map((s) => s.stop()));
  }, log);
  return -1;
}

async function simOdoo(args: string[], log: (line: string) => void): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { port: { type: 'string' }, host: { type: 'string' }, database: { type: 'string' }, 'drop-rate': { type: 'string' }, empty: { type: 'boolean' }, verbose: { type: 'boolean' } },
  });
  const dropRate = values['drop-rate'] === undefined ? 0 : Number(values['drop-rate']);
  if (!Number.isFinite(dropRate) || dropRate < 0 || dropRate > 1) throw new PlantwireError('bad-option', `drop-rate must be a number from 0 to 1, got "${values['drop-rate'] ?? ''}"`);
  const { startOdooSim } = require('../sim/odoo') as typeof import('../sim/odoo');
  const sim = await startOdooSim({
    port: intOption(values.port, 'port', 8069),
    host: values.host ?? '127.0.0.1',
    database: values.database || 'plantwire',
    dropRate,
    demoData: !values.empty,
    log: values.verbose ? log : undefined,
  });
  log(`Odoo JSON-RPC simulator listening on ${sim.url}/jsonrpc, database "${sim.database}" (user admin, password "admin" or API key "plantwire-odoo-demo-key"); records at ${sim.url}/plantwire/records. Ctrl-C stops it.`);
  waitForSignal(() => sim.close(), log);
  return -1;
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
