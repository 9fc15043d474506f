/**
 * The behaviour half of `plantwire check`, run in a child process (one per
 * Node-RED under test, forked by check.ts with the Node.js that Node-RED is to
 * run on): a stock Node-RED embedded through src/host, the palette loaded
 * from its directory, flows deployed through the Admin API.
 *
 * What it watches, in this process:
 * - `onComplete` messaging hook: every `done()` / `done(err)` of the node under test;
 * - a Catch node scoped to it, wired to a probe node: every error a Catch node receives;
 * - `uncaughtException` / `unhandledRejection`;
 * - async_hooks: every timer, socket and server created by the palette's code
 *   (the stack at creation names a file under the palette or its dependencies)
 *   and whether it is still alive after the node was closed.
 *
 * Hand-written rather than built on node-red-node-test-helper: the helper
 * stubs the runtime's flows and cannot run a partial deploy, a real close or
 * the example flows; this runs the stock runtime.
 */
import async_hooks from 'node:async_hooks';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { generatePassword, startHost, type Host, type HostUser } from '../host/index';
import { corpus, goodSample } from './corpus';
import type { Finding } from './findings';

export interface TypeInfo {
  category?: string;
  inputs?: number;
  outputs?: number;
  defaults: Record<string, { value?: unknown; type?: string }>;
}

/** Per-palette settings of the check (package.json "plantwireCheck" or --config). */
export interface CheckConfig {
  /** Per node type: configuration over its editor defaults, and a good message it must handle with done(). */
  nodes?: Record<string, { config?: Record<string, unknown>; good?: Record<string, unknown>; skip?: string }>;
  /** Per config node type: configuration (and credentials) over its editor defaults. */
  configNodes?: Record<string, Record<string, unknown>>;
}

export interface RunnerJob {
  mode: 'behaviour' | 'credentials';
  nodeRedDir: string;
  userDir: string;
  /** Directories for Node-RED's nodesDir: the palette (when checked from a directory). */
  nodesDir: string[];
  pkgDir: string;
  module: string;
  /** Path prefixes of the palette's code and its dependencies (stack attribution). */
  roots: string[];
  nodeSets: Record<string, string>;
  types: Record<string, TypeInfo>;
  config: CheckConfig;
  examples: Array<{ file: string; flow: Array<Record<string, unknown>> }>;
  closeTimeoutMs: number;
  answerTimeoutMs: number;
  large: boolean;
  /** Behaviour checks left out (--skip): 'examples', 'partial-deploy'. */
  skip?: string[];
}

export interface Checked {
  check: string;
  runtime?: string;
  items: number;
  ms: number;
  /** loads: node modules installed with the palette that the runtime loaded beside it (module → its node types), e.g. a dependency with a "node-red" section. */
  alongside?: Record<string, string[]>;
}

export interface RunnerResult {
  runtime: string;
  findings: Finding[];
  checked: Checked[];
  /** credentials mode: runtime credentials per registered type (null: none declared). */
  registered?: Record<string, Record<string, string> | null>;
  error?: string;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ resource tracking

interface Tracked {
  type: string;
  phase: string;
  where: string;
}
const TRACKED_TYPES = new Set(['Timeout', 'TCPWRAP', 'TCPSERVERWRAP', 'UDPWRAP', 'PIPEWRAP', 'PIPESERVERWRAP', 'FSEVENTWRAP', 'STATWATCHER']);
/** Live tracked resources by async id; one resource may hold several ids until the old one's destroy arrives (asyncReset). */
const live = new Map<number, Tracked>();
const origin = new WeakMap<object, Tracked>();
/** The handle behind a resource: http.Agent's asyncReset passes a ReusedHandle wrapping the socket's handle. */
function resourceOf(resource: object): object {
  const r = resource as { constructor?: { name?: string }; handle?: unknown };
  return r.constructor?.name === 'ReusedHandle' && r.handle && typeof r.handle === 'object' ? r.handle : resource;
}
/** Each live resource once. */
const liveResources = (): Tracked[] => [...new Set(live.values())];
let phase = 'load';
let roots: string[] = [];

let nodeRedDirs: string[] = [];
const HARNESS = [__dirname + path.sep, path.join(__dirname, '..', 'host') + path.sep];

/**
 * The palette's own frame (file:line relative to the package) that created a
 * resource, or undefined when Node-RED created it. From the top of the stack:
 * Node.js internals and dependencies are passed over; the first frame in the
 * palette's own files decides for the palette, the first frame in Node-RED
 * against it.
 */
function paletteFrame(stack: string): string | undefined {
  for (const line of stack.split('\n').slice(1)) {
    if (line.includes('node:') || line.includes('AsyncHook.init')) continue;
    // The harness itself (this file, the embedded host): created by the check, not the palette.
    if (HARNESS.some((d) => line.includes(d))) return undefined;
    if (nodeRedDirs.some((d) => line.includes(d)) || /[\\/]node_modules[\\/](node-red|@node-red)[\\/]/.test(line)) return undefined;
    const root = roots.find((r) => line.includes(r) && !line.includes(`${r}${path.sep}node_modules${path.sep}`));
    if (root) {
      const m = /\(?([^()\s]+:\d+:\d+)\)?\s*$/.exec(line);
      return m ? path.relative(root, m[1]!) || m[1]! : line.trim();
    }
  }
  return undefined;
}

function startTracking(): void {
  async_hooks
    .createHook({
      init(asyncId, type, _trigger, resource) {
        if (!TRACKED_TYPES.has(type) || phase === 'load') return;
        // A handle given a new async id (a keep-alive socket that http.Agent hands to the next
        // request calls asyncReset: destroy of the old id, init of a new one, same handle) is the
        // same resource, created where it was first created — not a new socket, nor a closed one.
        const handle = resourceOf(resource);
        const earlier = origin.get(handle);
        if (earlier) {
          live.set(asyncId, earlier);
          return;
        }
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 40;
        const stack = new Error().stack ?? '';
        Error.stackTraceLimit = limit;
        const where = paletteFrame(stack);
        if (where) {
          const tracked = { type, phase, where };
          origin.set(handle, tracked);
          live.set(asyncId, tracked);
        }
      },
      destroy(asyncId) {
        live.delete(asyncId);
      },
    })
    .enable();
}

const KIND: Record<string, string> = { Timeout: 'timer', TCPWRAP: 'socket', TCPSERVERWRAP: 'server socket', UDPWRAP: 'UDP socket', PIPEWRAP: 'pipe', PIPESERVERWRAP: 'pipe server', FSEVENTWRAP: 'file watcher', STATWATCHER: 'file watcher' };

// ------------------------------------------------------------------ the probe node

const PROBE_TYPE = 'plantwire-check-probe';

function writeProbe(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(
    path.join(dir, 'plantwire-check-probe.js'),
    `module.exports = function (RED) {
  function Probe(config) {
    RED.nodes.createNode(this, config);
    this.on('input', (msg, send, done) => {
      const e = msg.error;
      (globalThis.__plantwireCheckProbe ||= []).push({ name: config.name, fuzz: msg.fuzz, error: e ? String(e.message || e).slice(0, 300) : undefined });
      done();
    });
  }
  RED.nodes.registerType('${PROBE_TYPE}', Probe);
};
`,
  );
  fs.writeFileSync(
    path.join(dir, 'plantwire-check-probe.html'),
    `<script type="text/javascript">RED.nodes.registerType('plantwire-check-probe', { category: 'config', defaults: { name: { value: '' } }, inputs: 1, outputs: 0, label: 'probe' });</script>
<script type="text/html" data-template-name="plantwire-check-probe"></script>
<script type="text/html" data-help-name="plantwire-check-probe"><p>conformance probe</p></script>
`,
  );
}

interface ProbeEntry {
  name: string;
  fuzz?: number;
  error?: string;
}
const probe = (): ProbeEntry[] => ((globalThis as Record<string, unknown>).__plantwireCheckProbe ??= []) as ProbeEntry[];

// ------------------------------------------------------------------ credentials mode

/** Loads each node set with a stub RED and records the credentials each registerType declares. */
async function runtimeCredentials(job: RunnerJob): Promise<Record<string, Record<string, string> | null>> {
  const registered: Record<string, Record<string, string> | null> = {};
  const noop = (): void => undefined;
  const log = { info: noop, warn: noop, error: noop, debug: noop, trace: noop, audit: noop, metric: () => false, log: noop };
  const routes = { get: noop, post: noop, put: noop, delete: noop, use: noop };
  const RED = {
    nodes: {
      createNode: noop,
      registerType(type: string, _ctor: unknown, opts?: { credentials?: Record<string, { type?: unknown }> }) {
        const c = opts?.credentials;
        registered[type] = c ? Object.fromEntries(Object.entries(c).map(([k, v]) => [k, String(v?.type)])) : null;
      },
      getNode: () => null,
      getCredentials: () => undefined,
      eachNode: noop,
    },
    httpAdmin: routes,
    httpNode: routes,
    server: undefined,
    auth: { needsPermission: () => (_req: unknown, _res: unknown, next: () => void) => next() },
    settings: { userDir: job.userDir, available: () => false },
    log,
    events: { on: noop, once: noop, off: noop, removeListener: noop, emit: noop },
    hooks: { add: noop, remove: noop },
    plugins: { registerPlugin: noop, get: noop, getByType: () => [] },
    util: {},
    version: () => '4.1.0',
    _: (key: string) => key,
  };
  const req = createRequire(path.join(job.pkgDir, 'package.json'));
  for (const file of Object.values(job.nodeSets)) {
    try {
      const mod = req(path.join(job.pkgDir, file)) as unknown;
      const register = (typeof mod === 'function' ? mod : (mod as { default?: unknown })?.default) as ((red: unknown) => unknown) | undefined;
      if (typeof register === 'function') await register(RED);
    } catch {
      /* a set that does not load is reported by the loads check */
    }
  }
  return registered;
}

// ------------------------------------------------------------------ behaviour mode

interface NodeRedApi {
  nodes: { getNode(id: string): { receive(msg: unknown): void } | null };
  hooks: { add(name: string, fn: (ev: unknown) => void): void; remove(name: string): void };
  version(): string;
}

async function behaviour(job: RunnerJob): Promise<RunnerResult> {
  const findings: Finding[] = [];
  const checked: Checked[] = [];
  roots = job.roots;
  nodeRedDirs = [job.nodeRedDir];
  const probeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-check-probe-'));
  writeProbe(probeDir);
  const uncaught: Array<{ phase: string; text: string }> = [];
  process.on('uncaughtException', (err) => void uncaught.push({ phase, text: String((err as Error)?.stack ?? err).slice(0, 800) }));
  process.on('unhandledRejection', (err) => void uncaught.push({ phase, text: `unhandled rejection: ${String((err as Error)?.stack ?? err).slice(0, 800)}` }));
  startTracking();

  const user: HostUser = { username: 'check', password: generatePassword(), permissions: '*' };
  let host: Host;
  const t0 = Date.now();
  try {
    host = await startHost({
      userDir: job.userDir,
      port: 0,
      users: [user],
      credentialSecret: 'plantwire-check',
      flows: [],
      logLevel: 'off',
      nodeRedDir: job.nodeRedDir,
      settings: { nodesDir: [...job.nodesDir, probeDir], nodeCloseTimeout: Math.max(job.closeTimeoutMs * 3, 15_000) },
    });
  } catch (err) {
    return { runtime: `Node-RED at ${job.nodeRedDir}`, findings, checked, error: `Node-RED did not start: ${(err as Error).message}` };
  }
  const RED = createRequire(path.join(job.nodeRedDir, 'package.json'))(job.nodeRedDir) as NodeRedApi;
  const runtime = `Node-RED ${RED.version()}`;
  const add = (x: Omit<Finding, 'runtime'>): void => void findings.push({ ...x, runtime });
  const paletteTypes = new Set(Object.keys(job.types));
  const count = (msg: string): number => host.logs.filter((l) => l.msg === msg).length;

  const completes: Array<{ fuzz?: number; error?: string }> = [];
  RED.hooks.add('onComplete.plantwireCheck', (ev: unknown) => {
    const e = ev as { node?: { id?: string }; msg?: { fuzz?: number }; error?: unknown };
    if (e.node?.id === 'pwc-node') completes.push({ fuzz: e.msg?.fuzz, error: e.error === undefined ? undefined : String((e.error as Error)?.message ?? e.error) });
  });

  try {
    // ------------------------------------------------------------ loads
    const sets = (await host.admin<Array<{ id: string; name: string; module: string; types: string[]; enabled: boolean; err?: unknown }>>('GET', '/nodes')).body;
    const ours = Array.isArray(sets) ? sets.filter((s) => s.module === job.module) : [];
    const loaded = new Set<string>();
    for (const [set, file] of Object.entries(job.nodeSets)) {
      const s = ours.find((x) => x.name === set);
      if (!s) add({ check: 'loads', level: 'error', type: set, message: `node set ${set} (${file}) is not known to ${runtime}`, fix: `check that "node-red".nodes.${set} points to a file in the package and that the package name is right` });
      else if (s.err) add({ check: 'loads', level: 'error', type: set, message: `node set ${set} failed to load: ${typeof s.err === 'string' ? s.err : JSON.stringify(s.err)}`, fix: `run node -e "require('./${file}')" in the package and fix the error; every dependency must be in "dependencies"` });
      else if (!s.enabled) add({ check: 'loads', level: 'error', type: set, message: `node set ${set} is disabled`, fix: 'enable it in the palette manager' });
      else for (const t of s.types) loaded.add(t);
    }
    for (const t of paletteTypes) if (!loaded.has(t) && ours.some((s) => !s.err)) add({ check: 'loads', level: 'error', type: t, message: `the editor registers ${t} but the runtime did not`, fix: `call RED.nodes.registerType('${t}', …) in the node's .js file` });
    for (const l of host.logs) if ((l.level === 'error' || l.level === 'warn') && /Failed to register|Error loading|error/i.test(l.msg) && (l.msg.includes(job.module) || [...paletteTypes].some((t) => l.msg.includes(t)))) add({ check: 'loads', level: 'error', message: `Node-RED logged at load: ${l.msg.slice(0, 300)}`, fix: 'fix the error the runtime logged while loading the palette' });
    // Node modules loaded beside the palette that came with its install (in the fresh user dir's node_modules, or
    // nested under the palette): a dependency with a "node-red" section puts its nodes into the user's editor too
    // (Node-RED loads every such package under <userDir>/node_modules). Modules the runtime finds next to its own
    // install (a Node-RED inside a project's node_modules scans the node_modules above it) are the checker's, not
    // the palette's, and are left out. A note, since a palette may mean it; the report lists them.
    const withPalette = (module: string): boolean =>
      [path.join(job.userDir, 'node_modules'), path.join(job.pkgDir, 'node_modules')].some((dir) => fs.existsSync(path.join(dir, ...module.split('/'), 'package.json')));
    const alongside: Record<string, string[]> = {};
    for (const s of Array.isArray(sets) ? sets : []) {
      if (s.module === job.module || s.module === 'node-red' || !withPalette(s.module)) continue;
      const types = s.types.filter((t) => t !== PROBE_TYPE);
      if (types.length > 0) (alongside[s.module] ??= []).push(...types);
    }
    for (const [module, types] of Object.entries(alongside)) {
      add({ check: 'loads', level: 'note', message: `${module}, installed with the palette, loaded beside it: its ${types.length} node type(s) (${types.slice(0, 4).join(', ')}${types.length > 4 ? ', …' : ''}) appear in the user's editor too`, fix: `if the palette needs only ${module}'s code, depend on a package of that code without a "node-red" section (for Plantwire's kits: @plantwire/sdk, not @plantwire/node-red)` });
    }
    checked.push({ check: 'loads', runtime, items: Object.keys(job.nodeSets).length, ms: Date.now() - t0, alongside });

    // ------------------------------------------------------------ help served by the runtime
    const th = Date.now();
    for (const [set] of Object.entries(job.nodeSets)) {
      if (!ours.some((s) => s.name === set && !s.err)) continue;
      const res = await fetch(`${host.url}/nodes/${job.module}/${set}`, { headers: { accept: 'text/html', authorization: `Bearer ${await host.token()}` } });
      const html = await res.text();
      for (const t of ours.find((s) => s.name === set)?.types ?? []) {
        if (!new RegExp(`data-help-name=["']${t}["']`).test(html)) add({ check: 'help', level: 'error', type: t, message: `${runtime} serves no help for ${t} (GET /nodes/${job.module}/${set})`, fix: `add locales/en-US/${path.basename(job.nodeSets[set]!, '.js')}.html with <script type="text/markdown" data-help-name="${t}">…</script> next to the node's .js` });
      }
    }
    checked.push({ check: 'help served', runtime, items: Object.keys(job.nodeSets).length, ms: Date.now() - th });

    // ------------------------------------------------------------ flows
    const deploy = async (flows: unknown[], type: 'full' | 'nodes' = 'full'): Promise<void> => {
      const started = type === 'full' ? count('Started flows') : count('Started modified nodes');
      const res = await host.admin('POST', '/flows', flows, { 'Node-RED-Deployment-Type': type, 'Node-RED-API-Version': 'v1' });
      if (res.status !== 200 && res.status !== 204) throw new Error(`deploy failed: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
      for (const deadline = Date.now() + 30_000; (type === 'full' ? count('Started flows') : count('Started modified nodes')) <= started; await sleep(10)) {
        if (Date.now() > deadline) throw new Error('deployed flows did not start within 30 s');
      }
    };
    const defaultsOf = (type: string): Record<string, unknown> => {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(job.types[type]?.defaults ?? {})) out[k] = structuredClone(v.value);
      return out;
    };
    /** Config nodes for the fields of `type` that reference one (recursively), with their ids set in `config`. */
    const configNodesFor = (type: string, config: Record<string, unknown>, prefix: string, depth = 0): Array<Record<string, unknown>> => {
      const out: Array<Record<string, unknown>> = [];
      for (const [field, def] of Object.entries(job.types[type]?.defaults ?? {})) {
        if (!def.type || depth > 3) continue;
        const id = `${prefix}-${field}`;
        const cfg: Record<string, unknown> = { ...defaultsOf(def.type), ...(job.config.configNodes?.[def.type] ?? {}) };
        out.push(...configNodesFor(def.type, cfg, id, depth + 1));
        out.push({ id, type: def.type, ...cfg });
        config[field] = id;
      }
      return out;
    };
    const closeTimes = (): number | undefined => {
      const stopping = host.logs.filter((l) => l.msg === 'Stopping flows').at(-1);
      const stopped = host.logs.filter((l) => l.msg === 'Stopped flows').at(-1);
      return stopping && stopped ? stopped.timestamp - stopping.timestamp : undefined;
    };
    const EMPTY = [{ id: 'pwc-tab', type: 'tab', label: 'plantwire check' }];

    /** Full deploy of the empty tab: measures the close and what the phase left alive. */
    const closeAndCheck = async (type: string, ph: string): Promise<void> => {
      phase = `closing:${type}`;
      const timedOut = host.logs.length;
      await deploy(EMPTY);
      const ms = closeTimes();
      if (ms !== undefined && ms > job.closeTimeoutMs) add({ check: 'close', level: 'error', type, message: `closing the flow took ${ms} ms (limit ${job.closeTimeoutMs} ms)`, fix: 'finish the close handler quickly: on(\'close\', (removed, done) => …) must call done() once its connections/timers are released; bound any wait with a timeout' });
      for (const l of host.logs.slice(timedOut)) if (/Close timed out|Error stopping node/i.test(l.msg)) add({ check: 'close', level: 'error', type, message: `Node-RED: ${l.msg.slice(0, 200)}`, fix: "call done() in the close handler (on('close', (removed, done) => { …; done(); }))" });
      await sleep(300);
      const left = liveResources().filter((r) => r.phase === ph);
      const byWhere = new Map<string, { kind: string; n: number }>();
      for (const r of left) {
        const key = `${KIND[r.type] ?? r.type} created at ${r.where}`;
        byWhere.set(key, { kind: KIND[r.type] ?? r.type, n: (byWhere.get(key)?.n ?? 0) + 1 });
      }
      for (const [key, { kind, n }] of byWhere) {
        add({
          check: 'close',
          level: 'error',
          type,
          message: `${n} ${kind}${n > 1 ? 's' : ''} still alive after the node was closed and removed: ${key}`,
          fix: kind === 'timer' ? 'clear the timer in the close handler (clearTimeout/clearInterval) — or use the SDK\'s onClose, which waits for it' : `close the ${kind} in the close handler (removed === true) or in the config node's close`,
        });
      }
      for (const [id, r] of [...live.entries()]) if (r.phase === ph) live.delete(id);
    };

    const skip = (type: string): string | undefined => job.config.nodes?.[type]?.skip;
    const nodeTypes = Object.keys(job.types).filter((t) => loaded.has(t) && job.types[t]?.category !== 'config');
    const inputTypes = nodeTypes.filter((t) => (job.types[t]?.inputs ?? 0) > 0);

    // ------------------------------------------------------------ corpus + close per node type
    const tc = Date.now();
    let corpusCount = 0;
    for (const type of nodeTypes) {
      if (skip(type)) {
        add({ check: 'corpus', level: 'note', type, message: `skipped: ${skip(type)}`, fix: 'remove the skip from "plantwireCheck" when the node can run in the check' });
        continue;
      }
      const ph = `run:${type}`;
      phase = ph;
      probe().length = 0;
      completes.length = 0;
      const uncaughtBefore = uncaught.length;
      const config: Record<string, unknown> = { ...defaultsOf(type), ...(job.config.nodes?.[type]?.config ?? {}) };
      const cfgNodes = configNodesFor(type, config, 'pwc-cfg');
      const outputs = Number(job.types[type]?.outputs ?? 0) || 0;
      const flow = [
        ...EMPTY,
        ...cfgNodes,
        { id: 'pwc-node', type, z: 'pwc-tab', ...config, x: 300, y: 100, wires: Array.from({ length: outputs }, () => []) },
        { id: 'pwc-catch', type: 'catch', z: 'pwc-tab', scope: ['pwc-node'], uncaught: false, x: 100, y: 200, wires: [['pwc-probe']] },
        { id: 'pwc-probe', type: 'plantwire-check-probe', z: 'pwc-tab', name: 'catch', x: 300, y: 200, wires: [] },
      ];
      try {
        await deploy(flow);
      } catch (err) {
        add({ check: 'corpus', level: 'error', type, message: `deploying ${type} with its editor defaults failed: ${(err as Error).message}`, fix: `make ${type} deployable with its defaults, or give its configuration in package.json "plantwireCheck".nodes["${type}"].config` });
        continue;
      }
      await sleep(200);
      const startupErrors = probe().filter((p) => p.fuzz === undefined);
      const inputs = (job.types[type]?.inputs ?? 0) > 0;
      if (inputs) {
        corpusCount++;
        const node = RED.nodes.getNode('pwc-node');
        if (!node) {
          add({ check: 'corpus', level: 'error', type, message: `${type} was not created by the deploy`, fix: 'the constructor must call RED.nodes.createNode(this, config) and must not throw' });
          continue;
        }
        const cases = corpus({ large: job.large });
        const answered = (i: number): boolean => completes.some((c) => c.fuzz === i) || probe().some((p) => p.fuzz === i);
        let slow = false;
        for (let i = 0; i < cases.length; i++) {
          try {
            node.receive({ ...cases[i]!.msg, fuzz: i, _msgid: `pwc${i}` });
          } catch (err) {
            uncaught.push({ phase: ph, text: `receive threw: ${(err as Error).message}` });
          }
          const deadline = Date.now() + (slow ? 100 : job.answerTimeoutMs);
          while (!answered(i) && Date.now() < deadline) await sleep(5);
          if (!answered(i)) slow = true;
        }
        const goodDeclared = job.config.nodes?.[type]?.good;
        const goodId = 1000;
        node.receive({ ...(goodDeclared ?? { topic: 'Line1/Speed', payload: goodSample() }), fuzz: goodId, _msgid: 'pwc-good' });
        for (const deadline = Date.now() + job.answerTimeoutMs; !answered(goodId) && Date.now() < deadline; ) await sleep(5);
        await sleep(250);
        const twice: string[] = [];
        const doneTwice: string[] = [];
        const never: string[] = [];
        const noDone: string[] = [];
        const long: string[] = [];
        for (let i = 0; i < cases.length; i++) {
          const name = cases[i]!.name;
          const catches = probe().filter((p) => p.fuzz === i);
          const dones = completes.filter((c) => c.fuzz === i);
          if (catches.length > 1) twice.push(`${name} (${catches.length}×: ${catches[0]?.error ?? ''})`);
          if (dones.length > 1) doneTwice.push(`${name} (${dones.length}×)`);
          if (catches.length === 0 && dones.length === 0) never.push(name);
          else if (dones.length === 0) noDone.push(`${name} (${catches[0]?.error ?? ''})`);
          for (const c of catches) if ((c.error?.length ?? 0) >= 300) long.push(name);
        }
        const list = (xs: string[]): string => `${xs.slice(0, 4).join('; ')}${xs.length > 4 ? ` (+${xs.length - 4} more)` : ''}`;
        if (twice.length) add({ check: 'corpus', level: 'error', type, message: `a Catch node received the error more than once for ${twice.length} of ${cases.length} malformed messages: ${list(twice)}`, fix: 'report each failure once: call done(err) only — not node.error(err, msg) as well (the SDK\'s onInput does this)' });
        if (doneTwice.length) add({ check: 'corpus', level: 'error', type, message: `done() was called more than once for ${list(doneTwice)}`, fix: 'call done() exactly once per message, on every path' });
        if (never.length) add({ check: 'corpus', level: 'error', type, message: `${never.length} of ${cases.length} malformed messages were never answered (no done(), no error to a Catch node within ${job.answerTimeoutMs} ms): ${list(never)}`, fix: "call done() when a message is handled and done(err) when it fails, on every path of the input handler (on('input', (msg, send, done) => …))" });
        if (noDone.length) add({ check: 'corpus', level: 'error', type, message: `done() was not called for ${noDone.length} malformed messages that reached a Catch node (thrown or node.error without done): ${list(noDone)}`, fix: 'catch the failure and call done(err) instead of throwing or calling node.error(err, msg)' });
        const goodCatches = probe().filter((p) => p.fuzz === goodId);
        const goodDones = completes.filter((c) => c.fuzz === goodId);
        if (goodDeclared) {
          if (goodCatches.length > 0 || goodDones.length !== 1 || goodDones[0]?.error) add({ check: 'corpus', level: 'error', type, message: `the good message was not handled after the corpus (${goodCatches[0]?.error ?? (goodDones.length ? `done ${goodDones.length}×` : 'no answer')})`, fix: 'a bad message must not break the node: keep no state from a failed message' });
        } else if (goodCatches.length === 0 && goodDones.length === 0) {
          add({ check: 'corpus', level: 'error', type, message: 'a message after the corpus got no answer: the node stopped working', fix: 'a bad message must not break the node; declare a good message in "plantwireCheck".nodes["' + type + '"].good to check it is handled' });
        }
        if (long.length) add({ check: 'corpus', level: 'warning', type, message: `error texts of 300+ characters for ${list(long)}`, fix: 'keep error texts short: say what is wrong, not the whole payload' });
      }
      const errs = uncaught.slice(uncaughtBefore);
      if (errs.length) add({ check: 'corpus', level: 'error', type, message: `${errs.length} uncaught error(s)/unhandled rejection(s): ${errs[0]!.text.split('\n').slice(0, 3).join(' | ')}`, fix: 'never let an error escape the input handler: catch it and call done(err); await or .catch() every promise' });
      if (startupErrors.length && !inputs) add({ check: 'corpus', level: 'note', type, message: `reported at start with its editor defaults: ${startupErrors[0]?.error}`, fix: `give a runnable configuration in "plantwireCheck".nodes["${type}"].config` });
      await closeAndCheck(type, ph);
    }
    checked.push({ check: 'corpus + close', runtime, items: nodeTypes.length, ms: Date.now() - tc });
    void corpusCount;
    void inputTypes;

    // ------------------------------------------------------------ partial deploy keeps connections
    const tp = Date.now();
    const configTypes = Object.keys(job.types).filter((t) => loaded.has(t) && job.types[t]?.category === 'config');
    let partial = 0;
    for (const cfgType of job.skip?.includes('partial-deploy') ? [] : configTypes) {
      const userType = nodeTypes.find((t) => !skip(t) && Object.values(job.types[t]?.defaults ?? {}).some((d) => d.type === cfgType));
      if (!userType) continue;
      partial++;
      const ph = `partial:${cfgType}`;
      phase = ph;
      const config: Record<string, unknown> = { ...defaultsOf(userType), ...(job.config.nodes?.[userType]?.config ?? {}) };
      const cfgNodes = configNodesFor(userType, config, 'pwc-cfg');
      const node = { id: 'pwc-node', type: userType, z: 'pwc-tab', ...config, x: 300, y: 100, wires: Array.from({ length: Number(job.types[userType]?.outputs ?? 0) || 0 }, () => []) };
      try {
        await deploy([...EMPTY, ...cfgNodes, node]);
        await sleep(1500);
        const before = liveResources().filter((r) => r.phase === ph && r.type === 'TCPWRAP');
        if (before.length === 0) {
          add({ check: 'partial-deploy', level: 'note', type: cfgType, message: `not checked: no connection was open with ${cfgType}'s defaults (user ${userType})`, fix: `point ${cfgType} at a reachable server through "plantwireCheck".configNodes["${cfgType}"] to check it` });
        } else {
          await deploy([...EMPTY, ...cfgNodes, { ...node, name: 'changed by plantwire check' }], 'nodes');
          await sleep(1000);
          const now = new Set(live.values());
          const kept = before.filter((r) => now.has(r));
          if (kept.length === 0) add({ check: 'partial-deploy', level: 'error', type: cfgType, message: `a "modified nodes" deploy that changed only ${userType} closed ${cfgType}'s ${before.length} connection(s)`, fix: 'own the connection in the config node: users deregister in close(removed, done) and the connection closes only when the last user is removed (ConnectionUsers / defineConfigNode in @plantwire/node-red/sdk)' });
        }
      } catch (err) {
        add({ check: 'partial-deploy', level: 'error', type: cfgType, message: `deploy failed: ${(err as Error).message}`, fix: 'make the node deployable with its defaults' });
      }
      await closeAndCheck(cfgType, ph);
    }
    checked.push({ check: 'partial deploy', runtime, items: partial, ms: Date.now() - tp });

    // ------------------------------------------------------------ examples
    const te = Date.now();
    for (const ex of job.skip?.includes('examples') ? [] : job.examples) {
      phase = `example:${ex.file}`;
      const from = host.logs.length;
      const uncaughtBefore = uncaught.length;
      const tabs = new Set(ex.flow.filter((n) => n.type === 'tab' || n.type === 'subflow').map((n) => n.id));
      const nodes = ex.flow.map((n) => (!tabs.has(n.z as string) && (n.wires !== undefined || n.x !== undefined) && n.type !== 'tab' && n.type !== 'subflow' ? { ...n, z: 'pwc-tab' } : n));
      try {
        await deploy([...EMPTY, ...nodes]);
        await sleep(1000);
      } catch (err) {
        add({ check: 'examples', level: 'error', message: `examples/${ex.file} did not deploy: ${(err as Error).message}`, fix: `re-export examples/${ex.file} from a working flow` });
        continue;
      }
      const bad = host.logs.slice(from).filter((l) => ((l.level === 'error' || l.level === 'warn') && (paletteTypes.has(l.type ?? '') || l.msg.includes(job.module))) || /Waiting for missing types/.test(l.msg));
      for (const l of bad.slice(0, 5)) add({ check: 'examples', level: 'error', type: l.type, message: `examples/${ex.file}: ${l.level} logged: ${l.msg.slice(0, 300)}`, fix: `make examples/${ex.file} run as shipped (with the palette's own simulator or defaults)` });
      for (const u of uncaught.slice(uncaughtBefore)) add({ check: 'examples', level: 'error', message: `examples/${ex.file}: ${u.text.split('\n')[0]}`, fix: 'never let an error escape a node' });
      await deploy(EMPTY);
    }
    checked.push({ check: 'examples', runtime, items: job.examples.length, ms: Date.now() - te });
  } catch (err) {
    return { runtime, findings, checked, error: `the check stopped: ${(err as Error).stack ?? String(err)}` };
  } finally {
    RED.hooks.remove('onComplete.plantwireCheck');
    await host.stop().catch(() => undefined);
    fs.rmSync(probeDir, { recursive: true, force: true });
  }
  return { runtime, findings, checked };
}

// ------------------------------------------------------------------ entry (forked)

if (require.main === module && process.send) {
  process.once('message', (job: RunnerJob) => {
    const work = job.mode === 'credentials' ? runtimeCredentials(job).then((registered) => ({ runtime: '', findings: [], checked: [], registered })) : behaviour(job);
    work.then(
      (result) => process.send!(result, () => process.exit(0)),
      (err: unknown) => process.send!({ runtime: '', findings: [], checked: [], error: String((err as Error)?.stack ?? err) }, () => process.exit(0)),
    );
  });
}
