import fs from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT, startHost, type Host } from '../host/index';
import { openWorkspace, seedDemo } from '../host/workspace';
import type { ModbusSim } from '../sim/modbus';
import type { OpcUaPlant } from '../sim/opcua-plant';

export interface StartOptions {
  port: number;
  host: string;
  workspace: string;
  resetDemo: boolean;
  sims: boolean;
  opcuaPort: number;
  modbusPort: number;
  log: (line: string) => void;
}

export interface Running {
  host: Host;
  plant: OpcUaPlant | null;
  modbus: ModbusSim | null;
  stop(): Promise<void>;
}

/** `plantwire start`: simulators + embedded Node-RED with the palette and the demo flow. */
export async function start(opts: StartOptions): Promise<Running> {
  const ws = openWorkspace(path.resolve(opts.workspace));
  const demoFile = path.join(PACKAGE_ROOT, 'flows', 'demo.json');
  const seeded = seedDemo(ws.userDir, fs.readFileSync(demoFile, 'utf8'), opts.resetDemo);
  const seededText: Record<typeof seeded, string> = {
    seeded: 'demo flow deployed',
    updated: 'demo flow updated to this version',
    reset: 'demo flow reset',
    kept: 'your flows were kept (run `npm start -- --reset-demo` to load the latest demo)',
  };

  let plant: OpcUaPlant | null = null;
  let modbus: ModbusSim | null = null;
  const stopSims = async (): Promise<void> => {
    await Promise.all([plant?.stop(), modbus?.stop()]);
  };
  let host: Host;
  try {
    if (opts.sims) {
      const { startOpcUaPlant } = require('../sim/opcua-plant') as typeof import('../sim/opcua-plant');
      const { startModbusSim } = require('../sim/modbus') as typeof import('../sim/modbus');
      plant = await startOpcUaPlant({ port: opts.opcuaPort, pkiDir: path.join(ws.dir, 'sim-pki') });
      opts.log(`OPC UA plant simulator: ${plant.endpointUrl} (${plant.tagCount} tags)`);
      modbus = await startModbusSim({ port: opts.modbusPort });
      opts.log(`Modbus TCP simulator: ${modbus.host}:${modbus.port} (unit ids 1 and 2)`);
    }
    // The demo flow addresses the simulators through these, so it works on any port.
    process.env.PLANTWIRE_SIM_OPCUA_URL = plant?.endpointUrl ?? `opc.tcp://127.0.0.1:${opts.opcuaPort}`;
    process.env.PLANTWIRE_SIM_MODBUS_HOST = modbus?.host ?? '127.0.0.1';
    process.env.PLANTWIRE_SIM_MODBUS_PORT = String(modbus?.port ?? opts.modbusPort);
    host = await startHost({
      userDir: ws.userDir,
      port: opts.port,
      host: opts.host,
      users: [{ username: ws.secrets.adminUser, password: ws.secrets.adminPassword, permissions: '*' }],
      credentialSecret: ws.secrets.credentialSecret,
      logLevel: 'info',
      settings: { plantwire: { opcuaSimEndpoint: plant?.endpointUrl, modbusSim: modbus ? `${modbus.host}:${modbus.port}` : undefined } },
    });
  } catch (err) {
    await stopSims();
    throw err;
  }
  opts.log('');
  opts.log(`Plantwire is running: ${host.url}/  (${seededText[seeded]})`);
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
    stop() {
      stopping ??= (async () => {
        await host.stop();
        await stopSims();
      })();
      return stopping;
    },
  };
}
