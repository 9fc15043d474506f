import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { PACKAGE_ROOT, startHost, type Host } from '../host/index';
import { DASHBOARD_MODULE, localizeDemo, openWorkspace, seedDemo, simEnv, unseedDemo, withoutDashboard, type SeedResult } from '../host/workspace';
import { describeChanges } from '../model/private-fs';
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
  // Whatever this process writes (Node-RED's files, buffers, PKI, the catcher's mails) is the user's alone.
  try {
    process.umask(0o077);
  } catch {
    /* worker thread: the storage wrapper and the explicit modes still apply */
  }
  const ws = openWorkspace(path.resolve(opts.workspace));
  if (ws.madePrivate.length > 0) {
    opts.log(`Made the workspace private to you (folders 700, files 600; it holds passwords, session tokens and message bodies): ${describeChanges(ws.madePrivate, ws.dir)}`);
  }
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
      opts.log(await trustPlantCertificate(plant, ws.userDir));
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
    const sims = { opcuaUrl: plant?.endpointUrl, modbusHost: modbus?.host, modbusPort: modbus?.port, erpUrl: erp?.url, smtpPort: smtp?.port };
    if (opts.sims) {
      let demoText = localizeDemo(fs.readFileSync(demoFlowFile(), 'utf8'), sims);
      dashboard = dashboardInstalled();
      if (!dashboard) {
        demoText = withoutDashboard(demoText);
        opts.log(`Plant dashboard: skipped — ${DASHBOARD_MODULE} is not installed next to node-red (run \`npm install ${DASHBOARD_MODULE}\` to get it)`);
      }
      seeded = seedDemo(ws.userDir, demoText, opts.resetDemo);
    } else {
      // No simulators: no demo that would dial them. A demo seeded earlier and left unchanged is taken out;
      // flows the user changed are theirs and stay.
      seeded = unseedDemo(ws.userDir);
    }
    host = await startHost({
      userDir: ws.userDir,
      port: opts.port,
      host: opts.host,
      users: [{ username: ws.secrets.adminUser, password: ws.secrets.adminPassword, permissions: '*' }],
      credentialSecret: ws.secrets.credentialSecret,
      logLevel: 'info',
      settings: { plantwire: { opcuaSimEndpoint: plant?.endpointUrl, modbusSim: modbus ? `${modbus.host}:${modbus.port}` : undefined, erpSim: erp?.url } },
      // Imported examples follow the simulators wherever they run.
      env: simEnv(sims),
    });
  } catch (err) {
    await stopSims();
    throw err;
  }
  opts.log('');
  const seededText: Record<SeedResult, string> = {
    'no-demo': 'no simulators (--no-sim): no demo flow; import examples from the menu (Import → Examples → @plantwire/node-red)',
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

/**
 * The demo flow: flows/demo.json in a clone; examples/demo.json in the
 * installed package (the tarball ships flows/ as examples/).
 */
export function demoFlowFile(root = PACKAGE_ROOT): string {
  const candidates = [path.join(root, 'flows', 'demo.json'), path.join(root, 'examples', 'demo.json')];
  const found = candidates.find((f) => fs.existsSync(f));
  if (!found) throw new Error(`the demo flow is missing: looked for ${candidates.join(' and ')}`);
  return found;
}

/**
 * The demo's OPC UA endpoint signs and encrypts (SignAndEncrypt, Basic256Sha256),
 * as a new endpoint does by default: the simulator's certificate is put in the
 * Node-RED PKI's trusted list here — the step a user does once with "Trust server
 * certificate" for a real server — and the line says so.
 */
async function trustPlantCertificate(plant: OpcUaPlant, userDir: string): Promise<string> {
  const { acquirePki, certificateInfo, pkiDirFor, trustCertificate } = require('../connectors/opcua') as typeof import('../connectors/opcua');
  const der = plant.certificate();
  const info = certificateInfo(der);
  const pki = await acquirePki(pkiDirFor(userDir));
  try {
    await trustCertificate(pki, der);
  } finally {
    await pki.release();
  }
  return `  the demo connects with SignAndEncrypt (Basic256Sha256): trusted the simulator certificate "${info.subject}" (SHA-1 ${info.thumbprint}) in ${path.join(pkiDirFor(userDir), 'trusted', 'certs')}`;
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
