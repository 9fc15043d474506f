import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  DataType,
  DataValue,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  RegisterServerMethod,
  SecurityPolicy,
  StatusCodes,
  Variant,
  VariantArrayType,
  makeEUInformation,
  nodesets,
} from 'node-opcua';
import type { ISessionContext, Namespace, UAObject, UAVariable } from 'node-opcua';
import { PlantwireError, toError } from '../model/errors';
import { MACHINE_STATES, benchSignals, bottlingPlantSignals, createSignal } from './signals';
import type { SignalGenerator, SignalKind, SignalSpec } from './signals';
import type { SampleValue } from '../model/sample';

/**
 * OPC UA plant simulator: a real OPC UA server (node-opcua) that serves the
 * bottling-plant signals of `signals.ts` (and optionally thousands of bench
 * tags) so the Plantwire OPC UA nodes can be demonstrated and tested without
 * hardware. See docs/simulators.md.
 *
 * Address space (namespace `urn:plantwire:sim:plant`, string NodeIds equal to
 * the tag path, e.g. `ns=2;s=Line1/Filler/ProductTemperature`):
 *
 *   Objects/Plant                          folder        s=Plant
 *     Line1                                folder        s=Line1
 *       State                              Int32 (MultiStateValueDiscrete, index into MACHINE_STATES)
 *       StateName                          String (MACHINE_STATES[State])
 *       Speed                              Double (AnalogItem)
 *       Filler/ProductTemperature          Double (AnalogItem, °C)
 *       Filler/TemperatureSetpoint         Double, writable 0..20 °C
 *       Filler/FillCount                   UInt32 counter
 *       Alarms/CapperJam                   Boolean
 *       ResetCounters()                    method -> UInt32 counters reset
 *     Bench/Tag00001 …                     Double (only with benchTags > 0)
 *
 * Machine states are modelled twice, so both simple and type-aware clients are
 * served: `LineN/State` is an Int32 MultiStateValueDiscrete variable whose value
 * is the index into MACHINE_STATES (EnumValues and ValueAsText properties
 * describe it), and `LineN/StateName` is a String with the state's name.
 */

export interface OpcUaPlantOptions {
  /** TCP port; default 4840; 0 = pick a free port. */
  port?: number;
  /** Interface to listen on; default '127.0.0.1' (loopback only). */
  host?: string;
  /** Bottling lines, default 2 (52 signal tags). */
  lines?: number;
  /** Extra generated tags under Plant/Bench, default 0. */
  benchTags?: number;
  /** How often plant values change, default 1000 ms. */
  updateMs?: number;
  /** How often bench tags change, default 100 ms. */
  benchUpdateMs?: number;
  /** Seed of the signal generators, default 1. */
  seed?: number;
  /** Server PKI folder; default `<tmpdir>/plantwire-opcua-sim/pki`. */
  pkiDir?: string;
  /** Security modes offered; default all three (None, Sign, SignAndEncrypt with Basic256Sha256). */
  securityModes?: Array<'None' | 'Sign' | 'SignAndEncrypt'>;
  /** Allow anonymous sessions; default true. */
  allowAnonymous?: boolean;
  /** User name / password logins the server accepts (default none). */
  users?: Array<{ username: string; password: string }>;
  log?: (line: string) => void;
}

export interface OpcUaPlant {
  /** `opc.tcp://<host>:<port>` */
  readonly endpointUrl: string;
  readonly port: number;
  /** Variables created (plant + bench). */
  readonly tagCount: number;
  /** 'urn:plantwire:sim:plant' */
  readonly namespaceUri: string;
  /** The server's application certificate (DER), e.g. to trust it for SignAndEncrypt. */
  certificate(): Buffer;
  /** Stops the timers and shuts the server down. */
  stop(): Promise<void>;
  /** Client sessions open now. */
  sessionCount(): number;
  /** Client sessions created since the start (a new session after a reconnect counts again). */
  sessionsCreated(): number;
  /**
   * Closes every client session (and its subscriptions) on the server while
   * the connections stay up — as a server does after a restart of its OPC UA
   * stack or when it purges sessions. Returns how many were closed.
   */
  dropSessions(): number;
}

export type PlantTagDataType = 'Double' | 'UInt32' | 'Int32' | 'String' | 'Boolean';

/** One variable of the simulated plant, as `plantTags()` lists it. */
export interface PlantTag {
  /** Tag path, e.g. `Line1/Filler/ProductTemperature`. */
  tag: string;
  /** NodeId without the namespace index, e.g. `s=Line1/Filler/ProductTemperature`; prefix `ns=<idx>;`. */
  nodeId: string;
  /** Browse path from the Objects folder, e.g. `Plant/Line1/Filler/ProductTemperature`. */
  browsePath: string;
  dataType: PlantTagDataType;
  unit?: string;
  writable: boolean;
  /** The generator behind the value; 'setpoint' and 'stateName' are not generated. */
  kind: SignalKind | 'setpoint' | 'stateName';
  /** Normal operating range of analog values (the AnalogItem EURange). */
  range?: { low: number; high: number };
  /** Human readable behaviour, also used as the node Description. */
  description: string;
}

export const PLANT_NAMESPACE_URI = 'urn:plantwire:sim:plant';
export const PLANT_APPLICATION_URI = 'urn:plantwire:sim:plant:server';
export const PLANT_PRODUCT_NAME = 'Plantwire plant simulator';
/** Setpoint written by clients: initial value and accepted range (°C). */
export const SETPOINT_INITIAL = 4.5;
export const SETPOINT_MIN = 0;
export const SETPOINT_MAX = 20;
/** Number of per-nozzle fill corrections in `LineN/Filler/NozzleOffsets` (Double array, ml). */
export const NOZZLE_COUNT = 8;
/** Accepted range of one nozzle offset (ml). */
export const NOZZLE_OFFSET_LIMIT = 5;

/**
 * The structured DataType the simulator serves (`ns=<plant>;s=BatchRecord`,
 * a Structure with BatchId: String, Volume: Double, Good: UInt32 and its
 * Default Binary encoding), loaded as a NodeSet2 document so that clients can
 * read its DataTypeDefinition and decode it like a PLC's UDT.
 */
export const PLANT_TYPES_NODESET = `<?xml version="1.0" encoding="utf-8"?>
<UANodeSet xmlns="http://opcfoundation.org/UA/2011/03/UANodeSet.xsd">
  <NamespaceUris><Uri>${PLANT_NAMESPACE_URI}</Uri></NamespaceUris>
  <Models>
    <Model ModelUri="${PLANT_NAMESPACE_URI}" Version="1.0.0" PublicationDate="2026-01-01T00:00:00Z">
      <RequiredModel ModelUri="http://opcfoundation.org/UA/" Version="1.04.7" PublicationDate="2020-07-15T00:00:00Z"/>
    </Model>
  </Models>
  <Aliases>
    <Alias Alias="String">i=12</Alias>
    <Alias Alias="Double">i=11</Alias>
    <Alias Alias="UInt32">i=7</Alias>
    <Alias Alias="HasSubtype">i=45</Alias>
    <Alias Alias="HasEncoding">i=38</Alias>
    <Alias Alias="HasTypeDefinition">i=40</Alias>
  </Aliases>
  <UADataType NodeId="ns=1;s=BatchRecord" BrowseName="1:BatchRecord">
    <DisplayName>BatchRecord</DisplayName>
    <Description>One filling batch: its id, the volume filled (l) and the good bottles so far</Description>
    <References>
      <Reference ReferenceType="HasSubtype" IsForward="false">i=22</Reference>
      <Reference ReferenceType="HasEncoding">ns=1;s=BatchRecord/DefaultBinary</Reference>
    </References>
    <Definition Name="1:BatchRecord">
      <Field Name="BatchId" DataType="String"/>
      <Field Name="Volume" DataType="Double"/>
      <Field Name="Good" DataType="UInt32"/>
    </Definition>
  </UADataType>
  <UAObject NodeId="ns=1;s=BatchRecord/DefaultBinary" BrowseName="Default Binary" SymbolicName="DefaultBinary">
    <DisplayName>Default Binary</DisplayName>
    <References>
      <Reference ReferenceType="HasTypeDefinition">i=76</Reference>
    </References>
  </UAObject>
</UANodeSet>
`;

/** A BatchRecord value as the simulator serves it (OPC UA field names). */
export interface BatchRecord {
  BatchId: string;
  Volume: number;
  Good: number;
}
export const INITIAL_BATCH: BatchRecord = { BatchId: 'none', Volume: 0, Good: 0 };

/**
 * Variables and methods the simulator serves besides the signal tags of
 * `plantTags()` (not counted in `tagCount`), per line.
 */
export function plantExtras(lines = 2): Array<{ path: string; nodeId: string; kind: 'variable' | 'method'; dataType?: string; writable?: boolean; description: string }> {
  const out: Array<{ path: string; nodeId: string; kind: 'variable' | 'method'; dataType?: string; writable?: boolean; description: string }> = [];
  for (let i = 1; i <= lines; i++) {
    const l = `Line${i}`;
    out.push({ path: `${l}/Filler/NozzleOffsets`, nodeId: `s=${l}/Filler/NozzleOffsets`, kind: 'variable', dataType: `Double[${NOZZLE_COUNT}]`, writable: true, description: `Fill-volume correction per nozzle (ml), writable, each -${NOZZLE_OFFSET_LIMIT}..${NOZZLE_OFFSET_LIMIT}` });
    out.push({ path: `${l}/Batch/Current`, nodeId: `s=${l}/Batch/Current`, kind: 'variable', dataType: 'BatchRecord', writable: true, description: 'The running batch (BatchRecord structure), writable' });
    out.push({ path: `${l}/Batch/StartBatch`, nodeId: `s=${l}/Batch/StartBatch`, kind: 'method', description: 'StartBatch(BatchId: String, Volume: Double) → BatchNumber: UInt32; sets Batch/Current' });
  }
  return out;
}

const DEFAULT_PORT = 4840;
const DEFAULT_HOST = '127.0.0.1';

function checkCount(name: string, v: number | undefined, dflt: number, min: number, max: number): number {
  const n = v ?? dflt;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new PlantwireError('bad-option', `OPC UA plant simulator: ${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(v)}`, `bad ${name}`);
  }
  return n;
}

function dataTypeOf(kind: SignalKind): PlantTagDataType {
  switch (kind) {
    case 'counter':
      return 'UInt32';
    case 'state':
      return 'Int32';
    case 'alarm':
      return 'Boolean';
    default:
      return 'Double';
  }
}

function describe(spec: SignalSpec): string {
  const unit = spec.unit ? ` [${spec.unit}]` : '';
  switch (spec.kind) {
    case 'sine':
      return `Sine ${spec.min ?? 0}..${spec.max ?? 100} over ${spec.period ?? 60} s with noise${unit}`;
    case 'randomWalk':
      return `Mean-reverting random walk ${spec.min ?? 0}..${spec.max ?? 100}${unit}`;
    case 'counter':
      return `Counter, ~${spec.rate ?? 1}/s${spec.rollover !== undefined ? `, rolls over at ${spec.rollover}` : ''}${unit}`;
    case 'state':
      return `Machine state index: ${(spec.states ?? [...MACHINE_STATES]).map((s, i) => `${i}=${s}`).join(', ')}`;
    case 'alarm':
      return `Alarm flag, ~${spec.perHour ?? 2}/h, held ~${spec.holdSeconds ?? 30} s`;
    case 'constant':
      return `Constant${unit}`;
  }
}

function toPlantTag(spec: SignalSpec): PlantTag {
  const t: PlantTag = {
    tag: spec.tag,
    nodeId: `s=${spec.tag}`,
    browsePath: `Plant/${spec.tag}`,
    dataType: dataTypeOf(spec.kind),
    writable: false,
    kind: spec.kind,
    description: describe(spec),
  };
  if (spec.unit !== undefined) t.unit = spec.unit;
  if (spec.kind === 'sine' || spec.kind === 'randomWalk') t.range = { low: spec.min ?? 0, high: spec.max ?? 100 };
  return t;
}

/** The signal specs the simulator serves: plant lines first, then bench tags. */
function plantSpecs(lines: number, benchTags: number): SignalSpec[] {
  return [...bottlingPlantSignals(lines), ...(benchTags > 0 ? benchSignals(benchTags) : [])];
}

/**
 * Every variable the simulator creates (pure; no server needed), in creation
 * order: per line the 26 signals, `LineN/StateName` and
 * `LineN/Filler/TemperatureSetpoint`, then the bench tags.
 */
export function plantTags(opts: Pick<OpcUaPlantOptions, 'lines' | 'benchTags'> = {}): PlantTag[] {
  const lines = checkCount('lines', opts.lines, 2, 0, 1000);
  const benchTags = checkCount('benchTags', opts.benchTags, 0, 0, 1_000_000);
  const out: PlantTag[] = [];
  for (const spec of plantSpecs(lines, benchTags)) {
    out.push(toPlantTag(spec));
    if (spec.kind === 'state') {
      const tag = `${spec.tag}Name`;
      out.push({ tag, nodeId: `s=${tag}`, browsePath: `Plant/${tag}`, dataType: 'String', writable: false, kind: 'stateName', description: `Name of the machine state (${MACHINE_STATES.join(', ')})` });
    }
    if (/^Line\d+\/Filler\/ProductTemperature$/.test(spec.tag)) {
      const tag = spec.tag.replace(/ProductTemperature$/, 'TemperatureSetpoint');
      out.push({
        tag,
        nodeId: `s=${tag}`,
        browsePath: `Plant/${tag}`,
        dataType: 'Double',
        unit: '°C',
        writable: true,
        kind: 'setpoint',
        range: { low: SETPOINT_MIN, high: SETPOINT_MAX },
        description: `Product temperature setpoint, writable ${SETPOINT_MIN}..${SETPOINT_MAX} °C (BadOutOfRange outside)`,
      });
    }
  }
  return out;
}

/** UN/CEFACT common codes of the units the plant uses (OPC UA EngineeringUnits). */
const UNECE: Record<string, [code: string, name: string]> = {
  '°C': ['CEL', 'degree Celsius'],
  bar: ['BAR', 'bar'],
  '%': ['P1', 'percent'],
  'l/min': ['L2', 'litre per minute'],
  ml: ['MLT', 'millilitre'],
  'N·m': ['NU', 'newton metre'],
  kW: ['KWT', 'kilowatt'],
};

type EUInformation = ReturnType<typeof makeEUInformation>;

function engineeringUnits(unit: string): EUInformation {
  const known = UNECE[unit];
  if (known) return makeEUInformation(known[0], unit, known[1]);
  // No UN/CEFACT code (bottles/min, PU): unitId -1, as OPC 10000-8 prescribes.
  const eu = makeEUInformation('', unit, unit);
  eu.unitId = -1;
  return eu;
}

/** Finds a free TCP port on `host` (node-opcua cannot listen on port 0 and report it). */
function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

// Hot path (10,000 bench tags × 10 updates/s): compiled to CommonJS, every
// `DataType.Double` would go through node-opcua's chain of re-export getters;
// look the constants up once.
const VARIANT: typeof Variant = Variant;
const DT_DOUBLE = DataType.Double;
const DT_UINT32 = DataType.UInt32;
const DT_INT32 = DataType.Int32;
const DT_BOOLEAN = DataType.Boolean;
const DT_STRING = DataType.String;
const SCALAR = VariantArrayType.Scalar;
const GOOD = StatusCodes.Good;

type VariantMaker = (v: SampleValue) => Variant;
const doubleVariant: VariantMaker = (v) => new VARIANT({ dataType: DT_DOUBLE, arrayType: SCALAR, value: Number(v) });
const uint32Variant: VariantMaker = (v) => new VARIANT({ dataType: DT_UINT32, arrayType: SCALAR, value: Number(v) >>> 0 });
const booleanVariant: VariantMaker = (v) => new VARIANT({ dataType: DT_BOOLEAN, arrayType: SCALAR, value: v === true });
const stringVariant: VariantMaker = (v) => new VARIANT({ dataType: DT_STRING, arrayType: SCALAR, value: String(v) });

interface Live {
  gen: SignalGenerator;
  variable: UAVariable;
  /** Builds the Variant of a generated value. */
  make: VariantMaker;
  /** Also publishes a derived value (the StateName of a State). */
  also?: (v: SampleValue, ts: Date) => void;
}

interface LineState {
  counters: Live[];
  stateName: UAVariable | undefined;
}

/** Starts the simulated plant; resolves once the server listens. */
export async function startOpcUaPlant(opts: OpcUaPlantOptions = {}): Promise<OpcUaPlant> {
  const log = opts.log ?? ((): void => undefined);
  const host = opts.host ?? DEFAULT_HOST;
  const lines = checkCount('lines', opts.lines, 2, 0, 1000);
  const benchTags = checkCount('benchTags', opts.benchTags, 0, 0, 1_000_000);
  const updateMs = checkCount('updateMs', opts.updateMs, 1000, 10, 3_600_000);
  const benchUpdateMs = checkCount('benchUpdateMs', opts.benchUpdateMs, 100, 10, 3_600_000);
  const requestedPort = checkCount('port', opts.port, DEFAULT_PORT, 0, 65535);
  const seed = opts.seed ?? 1;
  if (!Number.isFinite(seed)) throw new PlantwireError('bad-option', `OPC UA plant simulator: seed must be a number, got ${JSON.stringify(opts.seed)}`, 'bad seed');
  const pkiDir = opts.pkiDir ?? path.join(os.tmpdir(), 'plantwire-opcua-sim', 'pki');
  const securityModes = opts.securityModes ?? ['None', 'Sign', 'SignAndEncrypt'];
  if (securityModes.length === 0 || securityModes.some((m) => !['None', 'Sign', 'SignAndEncrypt'].includes(m))) {
    throw new PlantwireError('bad-option', `OPC UA plant simulator: securityModes must list None, Sign and/or SignAndEncrypt, got ${JSON.stringify(opts.securityModes)}`, 'bad securityModes');
  }
  const allowAnonymous = opts.allowAnonymous ?? true;
  const users = opts.users ?? [];

  // Address-space state, filled by buildAddressSpace() for the server that starts.
  let plantLive: Live[] = [];
  let benchLive: Live[] = [];
  let lineStates = new Map<string, LineState>();
  let tagCount = 0;

  // Port 0: node-opcua builds its endpoint descriptions from the configured
  // port, so pick a free one first; retry when somebody takes it meanwhile.
  const attempts = requestedPort === 0 ? 3 : 1;
  let server: OPCUAServer | undefined;
  let certificateManager: OPCUACertificateManager | undefined;
  let port = requestedPort;
  for (let attempt = 1; attempt <= attempts; attempt++) {
    port = requestedPort === 0 ? await freePort(host) : requestedPort;
    const cm = new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: true, // a simulator: trust every client certificate
      disableFileWatchers: true,
    });
    const userCm = new OPCUACertificateManager({ rootFolder: path.join(pkiDir, 'user-pki'), automaticallyAcceptUnknownCertificate: true, disableFileWatchers: true });
    const candidate = new OPCUAServer({
      port,
      host,
      // The advertised endpoint URL uses `hostname`; with a wildcard bind let node-opcua use the machine name.
      ...(isWildcard(host) ? {} : { hostname: host }),
      serverInfo: {
        applicationUri: PLANT_APPLICATION_URI,
        productUri: 'urn:plantwire:sim',
        applicationName: { text: PLANT_PRODUCT_NAME, locale: 'en' },
      },
      buildInfo: {
        productName: PLANT_PRODUCT_NAME,
        productUri: 'urn:plantwire:sim',
        manufacturerName: 'Plantwire',
        softwareVersion: '0.1.0',
      },
      nodesets: [nodesets.standard, { name: 'plantwire-sim-types', source: PLANT_TYPES_NODESET }],
      allowAnonymous,
      securityModes: securityModes.map((m) => MessageSecurityMode[m]),
      ...(users.length > 0
        ? {
            userManager: {
              isValidUser: (username: string, password: string): boolean => users.some((u) => u.username === username && u.password === password),
            },
          }
        : {}),
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      serverCertificateManager: cm,
      // X.509 user certificates: accepted automatically too (kept under pkiDir, not in node-opcua's default folder).
      userCertificateManager: userCm,
      registerServerMethod: RegisterServerMethod.HIDDEN,
      isAuditing: false,
      maxConnectionsPerEndpoint: 50,
      serverCapabilities: {
        maxSessions: 50,
        maxSubscriptions: 200,
        maxSubscriptionsPerSession: 20,
        maxMonitoredItems: 200_000,
        maxMonitoredItemsPerSubscription: 100_000,
        operationLimits: {
          maxNodesPerRead: 10_000,
          maxNodesPerWrite: 1_000,
          maxNodesPerBrowse: 1_000,
          maxNodesPerMethodCall: 100,
          maxNodesPerRegisterNodes: 10_000,
          maxNodesPerTranslateBrowsePathsToNodeIds: 1_000,
          maxMonitoredItemsPerCall: 1_000,
          maxNodesPerHistoryReadData: 100,
          maxNodesPerHistoryReadEvents: 100,
          maxNodesPerHistoryUpdateData: 100,
          maxNodesPerHistoryUpdateEvents: 100,
          maxNodesPerNodeManagement: 100,
        },
      },
    });
    try {
      await candidate.initialize();
      buildAddressSpace(candidate);
      await candidate.start();
      server = candidate;
      certificateManager = cm;
      break;
    } catch (err) {
      await candidate.shutdown(0).catch(() => undefined);
      await cm.dispose().catch(() => undefined);
      await userCm.dispose().catch(() => undefined);
      const e = toError(err);
      const inUse = /EADDRINUSE/.test(e.message) || (err as { code?: unknown }).code === 'EADDRINUSE';
      if (inUse && attempt < attempts) continue;
      throw new PlantwireError(
        inUse ? 'port-in-use' : 'opcua-sim-start',
        inUse ? `OPC UA plant simulator: port ${port} on ${host} is already in use` : `OPC UA plant simulator could not start on ${host}:${port}: ${e.message}`,
        inUse ? `port ${port} in use` : 'simulator start failed',
      );
    }
  }
  if (!server) throw new PlantwireError('opcua-sim-start', 'OPC UA plant simulator could not start', 'simulator start failed');
  const running = server;
  const runningCm = certificateManager;

  function buildAddressSpace(srv: OPCUAServer): void {
    plantLive = [];
    benchLive = [];
    lineStates = new Map();
    tagCount = 0;
    const addressSpace = srv.engine.addressSpace;
    if (!addressSpace) throw new Error('address space missing after initialize()');
    // The namespace exists already: PLANT_TYPES_NODESET declares it (with the BatchRecord DataType).
    const ns = (addressSpace.getNamespace(PLANT_NAMESPACE_URI) ?? addressSpace.registerNamespace(PLANT_NAMESPACE_URI)) as Namespace;
    const nodeId = (s: string): string => `ns=${ns.index};s=${s}`;
    const folders = new Map<string, UAObject>();
    const plant = ns.addFolder(addressSpace.rootFolder.objects, { browseName: 'Plant', nodeId: nodeId('Plant') });

    const folderFor = (segments: string[]): UAObject => {
      let parent = plant;
      for (let i = 0; i < segments.length; i++) {
        const key = segments.slice(0, i + 1).join('/');
        let f = folders.get(key);
        if (!f) {
          f = ns.addFolder(parent, { browseName: segments[i] ?? key, nodeId: nodeId(key) });
          folders.set(key, f);
        }
        parent = f;
      }
      return parent;
    };

    const lineOf = (tag: string): LineState | undefined => {
      const m = /^(Line\d+)\//.exec(tag);
      if (!m || m[1] === undefined) return undefined;
      let s = lineStates.get(m[1]);
      if (!s) {
        s = { counters: [], stateName: undefined };
        lineStates.set(m[1], s);
      }
      return s;
    };

    const batchType = addressSpace.findDataType('BatchRecord', ns.index);
    if (!batchType) throw new Error('BatchRecord DataType missing: PLANT_TYPES_NODESET was not loaded');

    /** Writable extras of one line: nozzle offsets (Double array), the batch record (structure) and StartBatch(). */
    const addLineExtras = (lineName: string, filler: UAObject, batchFolder: UAObject): void => {
      const rw = { accessLevel: 'CurrentRead | CurrentWrite', userAccessLevel: 'CurrentRead | CurrentWrite', minimumSamplingInterval: 100 };
      let offsets = new Float64Array(NOZZLE_COUNT);
      let offsetsTs = new Date();
      ns.addVariable({
        componentOf: filler,
        browseName: 'NozzleOffsets',
        nodeId: nodeId(`${lineName}/Filler/NozzleOffsets`),
        description: `Fill-volume correction per nozzle (ml), ${NOZZLE_COUNT} values, each -${NOZZLE_OFFSET_LIMIT}..${NOZZLE_OFFSET_LIMIT}`,
        dataType: 'Double',
        valueRank: 1,
        arrayDimensions: [NOZZLE_COUNT],
        ...rw,
      }).bindVariable(
        {
          timestamped_get: () => new DataValue({ value: new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: offsets }), statusCode: GOOD, sourceTimestamp: offsetsTs, serverTimestamp: new Date() }),
          timestamped_set: async (dv: DataValue) => {
            const variant = dv.value;
            const v = variant.value as ArrayLike<number> | null;
            if (variant.arrayType !== VariantArrayType.Array || !v || v.length !== NOZZLE_COUNT) return StatusCodes.BadTypeMismatch;
            for (let i = 0; i < v.length; i++) {
              const x = Number(v[i]);
              if (!Number.isFinite(x) || Math.abs(x) > NOZZLE_OFFSET_LIMIT) return StatusCodes.BadOutOfRange;
            }
            offsets = Float64Array.from(v);
            offsetsTs = new Date();
            log(`[opcua-sim] ${lineName}/Filler/NozzleOffsets = [${Array.from(offsets).join(', ')}]`);
            return StatusCodes.Good;
          },
        },
        true,
      );

      let batch: BatchRecord = { ...INITIAL_BATCH };
      let batchTs = new Date();
      let batchCount = 0;
      const batchVariant = (): Variant =>
        new Variant({ dataType: DataType.ExtensionObject, value: addressSpace.constructExtensionObject(batchType, { batchId: batch.BatchId, volume: batch.Volume, good: batch.Good }) });
      ns.addVariable({
        componentOf: batchFolder,
        browseName: 'Current',
        nodeId: nodeId(`${lineName}/Batch/Current`),
        description: 'The running batch (BatchRecord: BatchId, Volume in l, Good bottles); writable',
        dataType: batchType,
        ...rw,
      }).bindVariable(
        {
          timestamped_get: () => new DataValue({ value: batchVariant(), statusCode: GOOD, sourceTimestamp: batchTs, serverTimestamp: new Date() }),
          timestamped_set: async (dv: DataValue) => {
            const eo = dv.value.value as { batchId?: unknown; volume?: unknown; good?: unknown } | null;
            if (!eo || typeof eo.batchId !== 'string' || typeof eo.volume !== 'number') return StatusCodes.BadTypeMismatch;
            if (!Number.isFinite(eo.volume) || eo.volume < 0) return StatusCodes.BadOutOfRange;
            batch = { BatchId: eo.batchId, Volume: eo.volume, Good: Number(eo.good ?? 0) >>> 0 };
            batchTs = new Date();
            log(`[opcua-sim] ${lineName}/Batch/Current = ${JSON.stringify(batch)}`);
            return StatusCodes.Good;
          },
        },
        true,
      );

      const start = ns.addMethod(batchFolder, {
        browseName: 'StartBatch',
        nodeId: nodeId(`${lineName}/Batch/StartBatch`),
        description: `Starts a batch on ${lineName}: sets Batch/Current to {BatchId, Volume, Good: 0}; returns the batch number`,
        inputArguments: [
          { name: 'BatchId', dataType: DataType.String, description: { text: 'batch id, not empty' } },
          { name: 'Volume', dataType: DataType.Double, description: { text: 'planned volume (l), > 0' } },
        ],
        outputArguments: [{ name: 'BatchNumber', dataType: DataType.UInt32, description: { text: 'batches started on this line since the simulator started' } }],
      });
      start.bindMethod(async (args: Variant[], _context: ISessionContext) => {
        const id = args[0]?.value as unknown;
        const volume = args[1]?.value as unknown;
        if (typeof id !== 'string' || id.trim() === '') return { statusCode: StatusCodes.BadInvalidArgument };
        if (typeof volume !== 'number' || !Number.isFinite(volume) || volume <= 0) return { statusCode: StatusCodes.BadOutOfRange };
        batchCount += 1;
        batch = { BatchId: id, Volume: volume, Good: 0 };
        batchTs = new Date();
        log(`[opcua-sim] ${lineName}: batch ${batchCount} started ${JSON.stringify(batch)}`);
        return { statusCode: StatusCodes.Good, outputArguments: [new Variant({ dataType: DataType.UInt32, value: batchCount })] };
      });
    };

    const specs = plantSpecs(lines, benchTags);
    const specByTag = new Map(specs.map((s) => [s.tag, s]));
    const now = Date.now();
    for (const info of plantTags({ lines, benchTags })) {
      const segments = info.tag.split('/');
      const browseName = segments.pop() ?? info.tag;
      const parent = folderFor(segments);
      const common = {
        componentOf: parent,
        browseName,
        nodeId: nodeId(info.tag),
        description: info.description,
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 0, // values are pushed by the simulator (exception-based)
      };
      const line = lineOf(info.tag);
      const spec = specByTag.get(info.tag);
      tagCount++;

      if (info.kind === 'setpoint') {
        // No getter/setter: node-opcua refuses writes outside the InstrumentRange
        // with BadOutOfRange (acceptValueOutOfRange false), the value stays exception-based.
        const sp = ns.addAnalogDataItem({
          ...common,
          dataType: 'Double',
          accessLevel: 'CurrentRead | CurrentWrite',
          userAccessLevel: 'CurrentRead | CurrentWrite',
          engineeringUnitsRange: { low: SETPOINT_MIN, high: SETPOINT_MAX },
          instrumentRange: { low: SETPOINT_MIN, high: SETPOINT_MAX },
          acceptValueOutOfRange: false,
          engineeringUnits: engineeringUnits('°C'),
          value: { dataType: DataType.Double, value: SETPOINT_INITIAL },
        });
        sp.on('value_changed', (dv) => {
          log(`[opcua-sim] ${info.tag} = ${String(dv.value.value)} °C`);
        });
        continue;
      }

      if (info.kind === 'stateName') {
        const v = ns.addVariable({ ...common, dataType: 'String', value: { dataType: DataType.String, value: MACHINE_STATES[0] } });
        if (line) line.stateName = v;
        continue;
      }

      if (!spec) continue;
      const gen = createSignal(spec, seed);
      const first = gen.next(now);
      let variable: UAVariable;
      let make: VariantMaker = doubleVariant;
      let also: Live['also'];
      switch (spec.kind) {
        case 'sine':
        case 'randomWalk':
          variable = ns.addAnalogDataItem({
            ...common,
            dataType: 'Double',
            engineeringUnitsRange: { low: spec.min ?? 0, high: spec.max ?? 100 },
            ...(spec.unit !== undefined ? { engineeringUnits: engineeringUnits(spec.unit) } : {}),
            value: { dataType: DataType.Double, value: Number(first) },
          });
          break;
        case 'counter':
          variable = ns.addVariable({ ...common, dataType: 'UInt32', value: { dataType: DataType.UInt32, value: Number(first) } });
          make = uint32Variant;
          break;
        case 'state': {
          const names: readonly string[] = spec.states ?? MACHINE_STATES;
          variable = ns.addMultiStateValueDiscrete({
            ...common,
            dataType: 'Int32',
            enumValues: names.map((name, i) => ({ value: i, displayName: name, description: name })),
            value: { dataType: DataType.Int32, value: 0 },
          });
          make = (v) => new VARIANT({ dataType: DT_INT32, arrayType: SCALAR, value: Math.max(0, names.indexOf(String(v))) });
          also = (v, ts) => line?.stateName?.setValueFromSource(stringVariant(v), GOOD, ts);
          break;
        }
        case 'alarm':
          variable = ns.addVariable({ ...common, dataType: 'Boolean', value: { dataType: DataType.Boolean, value: first === true } });
          make = booleanVariant;
          break;
        case 'constant':
          variable = ns.addVariable({ ...common, dataType: 'Double', value: { dataType: DataType.Double, value: Number(first) } });
          break;
      }
      const live: Live = also ? { gen, variable, make, also } : { gen, variable, make };
      if (spec.tag.startsWith('Bench/')) benchLive.push(live);
      else plantLive.push(live);
      if (spec.kind === 'counter' && line) line.counters.push(live);
    }

    for (const [lineName, state] of lineStates) {
      const folder = folders.get(lineName);
      if (!folder) continue;
      const method = ns.addMethod(folder, {
        browseName: 'ResetCounters',
        nodeId: nodeId(`${lineName}/ResetCounters`),
        description: `Resets the counters of ${lineName} to 0; returns how many were reset`,
        inputArguments: [],
        outputArguments: [{ name: 'CountersReset', dataType: DataType.UInt32, description: { text: 'number of counters reset' } }],
      });
      method.bindMethod(async (_inputArguments: Variant[], _context: ISessionContext) => {
        const t = Date.now();
        const ts = new Date(t);
        for (const c of state.counters) {
          // A fresh generator starts at 0 and counts on from now.
          c.gen = createSignal(c.gen.spec, seed);
          c.gen.next(t);
          c.variable.setValueFromSource(uint32Variant(0), GOOD, ts);
        }
        log(`[opcua-sim] ${lineName}: ${state.counters.length} counters reset`);
        return {
          statusCode: StatusCodes.Good,
          outputArguments: [new Variant({ dataType: DataType.UInt32, value: state.counters.length })],
        };
      });

      addLineExtras(lineName, folderFor([lineName, 'Filler']), folderFor([lineName, 'Batch']));
    }
  }

  // ---- value updates --------------------------------------------------------
  const publish = (items: Live[], t: number): void => {
    const ts = new Date(t); // one sourceTimestamp for the whole update
    for (const item of items) {
      const v = item.gen.next(t);
      item.variable.setValueFromSource(item.make(v), GOOD, ts);
      item.also?.(v, ts);
    }
  };

  const guard = (what: string, fn: () => void) => (): void => {
    try {
      fn();
    } catch (err) {
      log(`[opcua-sim] ${what} update failed: ${toError(err).message}`);
    }
  };
  // One timer for the plant, one for all bench tags. Measured with
  // process.cpuUsage over 10 s (Node 20, 2-core container): 10,000 bench tags
  // at 100 ms = 100,000 setValueFromSource/s used about 31-34 % of one core
  // without clients. With one client subscribed to all 10,000 the server ran at
  // about one full core, mostly node-opcua's subscription engine. With 1,000
  // subscribed it used about 50 %.
  const timers: NodeJS.Timeout[] = [];
  if (plantLive.length) timers.push(setInterval(guard('plant', () => publish(plantLive, Date.now())), updateMs));
  if (benchLive.length) timers.push(setInterval(guard('bench', () => publish(benchLive, Date.now())), benchUpdateMs));
  for (const t of timers) t.unref();

  const endpointUrl = isWildcard(host) ? running.getEndpointUrl() : `opc.tcp://${host.includes(':') ? `[${host}]` : host}:${port}`;
  log(`[opcua-sim] ${PLANT_PRODUCT_NAME} listening on ${endpointUrl} (${tagCount} tags, ${lines} lines, ${benchTags} bench tags)`);

  let stopping: Promise<void> | undefined;
  return {
    endpointUrl,
    port,
    tagCount,
    namespaceUri: PLANT_NAMESPACE_URI,
    certificate(): Buffer {
      return Buffer.from(running.getCertificate());
    },
    sessionCount(): number {
      return running.engine.getSessions().filter((x) => x.status === 'active').length;
    },
    sessionsCreated(): number {
      return running.engine.cumulatedSessionCount;
    },
    dropSessions(): number {
      const sessions = running.engine.getSessions().filter((x) => x.status === 'active');
      for (const session of sessions) running.engine.closeSession(session.authenticationToken, true, 'Terminated');
      log(`[opcua-sim] dropped ${sessions.length} session(s)`);
      return sessions.length;
    },
    stop(): Promise<void> {
      stopping ??= (async () => {
        for (const t of timers) clearInterval(t);
        await running.shutdown(0);
        await runningCm?.dispose().catch(() => undefined);
        log(`[opcua-sim] stopped ${endpointUrl}`);
      })();
      return stopping;
    },
  };
}
