import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT, startHost, type Host } from '../host/index';
import { DASHBOARD_MODULE, localizeDemo, openWorkspace, seedDemo, withoutDashboard, type SeedResult } from '../host/workspace';
import type { ErpSim } from '../sim/erp-odata';
import type { ModbusSim } from '../sim/modbus';
import type { OpcUaPlant } from '../sim/opcua-plant';
import type { SmtpCatcher } from '../sim/smtp-catcher';

export interface StartOptions {
  port: number;
  host: string;
  workspace: string;
  resetDemo: boolean;
  sims: boolean;
  opcuaPort: number;
  modbusPort: number;
  /** The ERP (SAP OData) simulator's port (default 4300). */
  erpPort?: number;
  /** SMTP catcher port (default 2525; when taken, any free port and the demo follows). */
  smtpPort?: number;
  log: (line: string) => void;
}

export interface Running {
  host: Host;
  plant: OpcUaPlant | null;
  modbus: ModbusSim | null;
  erp: ErpSim | null;
  smtp: SmtpCatcher | null;
  stop(): Promise<void>;
}

/** `plantwire start`: simulators + embedded Node-RED with the palette and the demo flow. */
export async function start(opts: StartOptions): Promise<Running> {
  const ws = openWorkspace(path.resolve(opts.workspace));
  let plant: OpcUaPlant | null = null;
  let modbus: ModbusSim | null = null;
  let erp: ErpSim | null = null;
  let smtp: SmtpCatcher | null = null;
  const stopSims = async (): Promise<void> => {
    await Promise.all([plant?.stop(), modbus?.stop(), erp?.close(), smtp?.stop()]);
  };
  let host: Host;
  let seeded: SeedResult;
  let dashboard = false;
  try {
    if (opts.sims) {
      const { startOpcUaPlant } = require('../sim/opcua-plant') as typeof import('../sim/opcua-plant');
      const { startModbusSim } = require('../sim/modbus') as typeof import('../sim/modbus');
      plant = await startOpcUaPlant({ port: opts.opcuaPort, pkiDir: path.join(ws.dir, 'sim-pki') });
      opts.log(`OPC UA plant simulator: ${plant.endpointUrl} (${plant.tagCount} tags)`);
      modbus = await startModbusSim({ port: opts.modbusPort });
      opts.log(`Modbus TCP simulator: ${modbus.host}:${modbus.port} (unit ids 1 and 2)`);
      const { startErpSim } = require('../sim/erp-odata') as typeof import('../sim/erp-odata');
      // A port already taken (e.g. a `plantwire sim erp` running) moves it to a free one; the demo follows.
      erp = await startErpSim({ port: opts.erpPort ?? 4300 }).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'EADDRINUSE') throw err;
        opts.log(`ERP simulator: port ${opts.erpPort ?? 4300} is taken, using a free one`);
        return startErpSim({ port: 0 });
      });
      opts.log(`ERP simulator (SAP OData v2/v4): ${erp.url}/ shows what the ERP received`);
      smtp = await startCatcher(path.join(ws.dir, 'outbox'), opts.smtpPort ?? 2525, opts.log);
    }
    const demoFile = path.join(PACKAGE_ROOT, 'flows', 'demo.json');
    let demoText = localizeDemo(fs.readFileSync(demoFile, 'utf8'), { opcuaUrl: plant?.endpointUrl, modbusHost: modbus?.host, modbusPort: modbus?.port, erpUrl: erp?.url, smtpPort: smtp?.port });
    dashboard = dashboardInstalled();
    if (!dashboard) {
      demoText = withoutDashboard(demoText);
      opts.log(`Plant dashboard: skipped — ${DASHBOARD_MODULE} is not installed next to node-red (run \`npm install ${DASHBOARD_MODULE}\` to get it)`);
    }
    seeded = seedDemo(ws.userDir, demoText, opts.resetDemo);
    host = await startHost({
      userDir: ws.userDir,
      port: opts.port,
      host: opts.host,
      users: [{ username: ws.secrets.adminUser, password: ws.secrets.adminPassword, permissions: '*' }],
      credentialSecret: ws.secrets.credentialSecret,
      logLevel: 'info',
      settings: { plantwire: { opcuaSimEndpoint: plant?.endpointUrl, modbusSim: modbus ? `${modbus.host}:${modbus.port}` : undefined, erpSim: erp?.url } },
    });
  } catch (err) {
    await stopSims();
    throw err;
  }
  opts.log('');
  const seededText: Record<SeedResult, string> = {
    seeded: 'demo flow deployed',
    updated: 'demo flow updated to this version',
    reset: 'demo flow reset',
    kept: 'your flows were kept (run `npm start -- --reset-demo` to load the latest demo)',
  };
  opts.log(`Plantwire is running: ${host.url}/  (${seededText[seeded]})`);
  if (dashboard) {
    opts.log(`  plant dashboard (OEE, alarms, trends): ${host.url}/api/dashboard/plant`);
    if (!/^(127\.|localhost$|::1$)/.test(opts.host)) opts.log(`  note: the dashboard has no login (its acknowledge buttons change alarm states) and ${opts.host} is not loopback: put it behind a proxy with a login, or set httpNodeAuth`);
  }
  if (ws.generatedPassword) {
    opts.log(`  log in as "${ws.secrets.adminUser}" with password: ${ws.secrets.adminPassword}`);
    opts.log(`  (generated once and kept in ${path.join(ws.dir, 'admin.json')}; set PLANTWIRE_ADMIN_PASSWORD to choose your own)`);
  } else {
    opts.log(`  log in as "${ws.secrets.adminUser}" (password from ${process.env.PLANTWIRE_ADMIN_PASSWORD ? 'PLANTWIRE_ADMIN_PASSWORD' : path.join(ws.dir, 'admin.json')})`);
  }
  opts.log('  Ctrl-C stops everything.');

  let stopping: Promise<void> | null = null;
  return {
    host,
    plant,
    modbus,
    erp,
    smtp,
    stop() {
      stopping ??= (async () => {
        await host.stop();
        await stopSims();
      })();
      return stopping;
    },
  };
}

/** True when Node-RED can load the dashboard module (it scans the node_modules holding node-red and the user directory). */
export function dashboardInstalled(): boolean {
  try {
    const fromRed = createRequire(require.resolve('node-red'));
    fromRed.resolve(`${DASHBOARD_MODULE}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/** The SMTP catcher for the demo's alarm mails; a port already taken falls back to a free one (the demo follows it). */
async function startCatcher(outbox: string, port: number, log: (line: string) => void): Promise<SmtpCatcher | null> {
  const { startSmtpCatcher } = require('../sim/smtp-catcher') as typeof import('../sim/smtp-catcher');
  const busy = (err: unknown): boolean => (err as NodeJS.ErrnoException).code === 'EADDRINUSE';
  let catcher: SmtpCatcher;
  try {
    catcher = await startSmtpCatcher({ port, outbox, httpPort: 2580 }).catch((err: unknown) => {
      if (busy(err)) return startSmtpCatcher({ port, outbox, httpPort: 0 });
      throw err;
    });
  } catch (err) {
    if (!busy(err) || port === 0) throw err;
    catcher = await startSmtpCatcher({ port: 0, outbox, httpPort: 0 });
  }
  log(`SMTP catcher: ${catcher.host}:${catcher.port} (received mails: ${catcher.pageUrl} and ${outbox})`);
  return catcher;
}
