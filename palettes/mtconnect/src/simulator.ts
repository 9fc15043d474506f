/**
 * A simulated MTConnect agent for a small 3-axis mill, over HTTP, answering
 * as a real agent does: /probe (MTConnectDevices), /current and
 * /sample?from=&count= (MTConnectStreams, standard 2.0 XML), also under the
 * device name (/Mill1/current), with MTConnectError documents for bad
 * requests (OUT_OF_RANGE when `from` left the ring buffer or lies in the
 * future, NO_DEVICE, INVALID_REQUEST, UNSUPPORTED).
 *
 * Data items: availability, Execution, ControllerMode, program, PartCount,
 * a SYSTEM condition, spindle speed (RotaryVelocity) and load, and the
 * actual positions Xact/Yact/Zact. A machining cycle of 20 ticks moves the
 * axes, runs the spindle and counts a part at its end. `tick()` advances it
 * by hand (tests); `intervalMs` > 0 ticks on a timer. `restart()` is an
 * agent restart (new instanceId, sequences from 1); `setAvailable(false)`
 * makes everything UNAVAILABLE, as an agent does when its adapter is gone.
 *
 * Hand-written: a real agent (cppagent) is a C++ build we cannot ship with a
 * palette; this one is small enough to read and serves the example flow, the
 * conformance check and the tests. No Node-RED import.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

interface ItemDef {
  id: string;
  name?: string;
  category: 'SAMPLE' | 'EVENT' | 'CONDITION';
  type: string;
  element: string;
  subType?: string;
  units?: string;
  /** Component id the item belongs to. */
  component: string;
}

interface ComponentDef {
  id: string;
  name: string;
  element: string;
  parent?: string;
}

const DEVICE = { id: 'mill', name: 'Mill1', uuid: 'plantwire-sim-mill-1' };

const COMPONENTS: ComponentDef[] = [
  { id: 'mill', name: 'Mill1', element: 'Device' },
  { id: 'axes', name: 'Axes', element: 'Axes', parent: 'mill' },
  { id: 'x', name: 'X', element: 'Linear', parent: 'axes' },
  { id: 'y', name: 'Y', element: 'Linear', parent: 'axes' },
  { id: 'z', name: 'Z', element: 'Linear', parent: 'axes' },
  { id: 'c', name: 'C', element: 'Rotary', parent: 'axes' },
  { id: 'controller', name: 'Controller', element: 'Controller', parent: 'mill' },
  { id: 'path', name: 'Path', element: 'Path', parent: 'controller' },
];

const ITEMS: ItemDef[] = [
  { id: 'avail', name: 'availability', category: 'EVENT', type: 'AVAILABILITY', element: 'Availability', component: 'mill' },
  { id: 'Xact', name: 'Xact', category: 'SAMPLE', type: 'POSITION', element: 'Position', subType: 'ACTUAL', units: 'MILLIMETER', component: 'x' },
  { id: 'Yact', name: 'Yact', category: 'SAMPLE', type: 'POSITION', element: 'Position', subType: 'ACTUAL', units: 'MILLIMETER', component: 'y' },
  { id: 'Zact', name: 'Zact', category: 'SAMPLE', type: 'POSITION', element: 'Position', subType: 'ACTUAL', units: 'MILLIMETER', component: 'z' },
  { id: 'Sspeed', name: 'SpindleSpeed', category: 'SAMPLE', type: 'ROTARY_VELOCITY', element: 'RotaryVelocity', subType: 'ACTUAL', units: 'REVOLUTION/MINUTE', component: 'c' },
  // No name: the tag falls back to the id.
  { id: 'Sload', category: 'SAMPLE', type: 'LOAD', element: 'Load', units: 'PERCENT', component: 'c' },
  { id: 'execution', name: 'Execution', category: 'EVENT', type: 'EXECUTION', element: 'Execution', component: 'path' },
  { id: 'mode', name: 'ControllerMode', category: 'EVENT', type: 'CONTROLLER_MODE', element: 'ControllerMode', component: 'path' },
  { id: 'program', name: 'program', category: 'EVENT', type: 'PROGRAM', element: 'Program', component: 'path' },
  { id: 'partcount', name: 'PartCount', category: 'EVENT', type: 'PART_COUNT', element: 'PartCount', component: 'path' },
  { id: 'system', name: 'system', category: 'CONDITION', type: 'SYSTEM', element: 'System', component: 'controller' },
];

export const SIM_DATA_ITEMS = ITEMS.map((i) => ({ id: i.id, name: i.name, category: i.category, type: i.type, units: i.units }));

interface Obs {
  item: ItemDef;
  sequence: number;
  timestamp: string;
  /** Text, 'UNAVAILABLE', or for a condition its level: Normal | Warning | Fault | Unavailable. */
  value: string;
}

export interface SimulatorOptions {
  /** 0: any free port. */
  port?: number;
  host?: string;
  /** Ticks on a timer every intervalMs (0: only by `tick()`). Default 500. */
  intervalMs?: number;
  /** Ring buffer size (observations kept), default 1024. */
  bufferSize?: number;
  /** Largest `count` a /sample accepts, default 10,000. */
  maxCount?: number;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const NS = (doc: string): string => `xmlns:m="urn:mtconnect.org:${doc}:2.0" xmlns="urn:mtconnect.org:${doc}:2.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:schemaLocation="urn:mtconnect.org:${doc}:2.0 http://schemas.mtconnect.org/schemas/${doc}_2.0.xsd"`;

export class MTConnectSimulator {
  private server: http.Server | null = null;
  private timer: NodeJS.Timeout | null = null;
  private buffer: Obs[] = [];
  private latest = new Map<string, Obs>();
  private seq = 1;
  private ticks = 0;
  private parts = 0;
  private available = true;
  instanceId = 0;
  readonly bufferSize: number;
  private readonly maxCount: number;
  private readonly intervalMs: number;
  /** Requests answered, by path (tests). */
  readonly requests: string[] = [];

  constructor(private readonly opts: SimulatorOptions = {}) {
    this.bufferSize = Math.max(16, opts.bufferSize ?? 1024);
    this.maxCount = opts.maxCount ?? 10_000;
    this.intervalMs = opts.intervalMs ?? 500;
    this.restart();
  }

  /** The base URL once listening. */
  get url(): string {
    const a = this.server?.address() as AddressInfo | null;
    if (!a) throw new Error('simulator not listening');
    return `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}/`;
  }

  get nextSequence(): number {
    return this.seq;
  }

  get firstSequence(): number {
    return this.buffer[0]?.sequence ?? this.seq;
  }

  async start(): Promise<string> {
    if (this.server) return this.url;
    const server = http.createServer((req, res) => this.answer(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    if (this.intervalMs > 0) this.timer = setInterval(() => this.tick(), this.intervalMs);
    return this.url;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const server = this.server;
    this.server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** An agent restart: a new instanceId, the buffer emptied, sequences from 1, every item observed again. */
  restart(): void {
    this.instanceId = Math.max(this.instanceId + 1, Math.floor(Date.now() / 1000));
    this.buffer = [];
    this.latest.clear();
    this.seq = 1;
    for (const item of ITEMS) this.observe(item, this.valueOf(item));
  }

  /** The adapter went away (false: everything UNAVAILABLE) or came back (true). */
  setAvailable(available: boolean): void {
    this.available = available;
    for (const item of ITEMS) this.observe(item, this.valueOf(item));
  }

  /** Advances the machining cycle by n ticks; records every value that changed. */
  tick(n = 1): void {
    for (let i = 0; i < n; i++) {
      this.ticks += 1;
      if (this.available && this.ticks % 20 === 0) this.parts += 1;
      for (const item of ITEMS) this.observe(item, this.valueOf(item));
    }
  }

  private valueOf(item: ItemDef): string {
    if (!this.available) return item.category === 'CONDITION' ? 'Unavailable' : item.type === 'AVAILABILITY' ? 'UNAVAILABLE' : 'UNAVAILABLE';
    const phase = this.ticks % 20; // 0–2 loading, 3–17 cutting, 18–19 unloading
    const cutting = phase >= 3 && phase <= 17;
    const t = (phase - 3) / 14;
    switch (item.id) {
      case 'avail':
        return 'AVAILABLE';
      case 'Xact':
        return cutting ? (50 + 40 * Math.cos(2 * Math.PI * t)).toFixed(3) : '0.000';
      case 'Yact':
        return cutting ? (50 + 40 * Math.sin(2 * Math.PI * t)).toFixed(3) : '0.000';
      case 'Zact':
        return cutting ? '-5.000' : '100.000';
      case 'Sspeed':
        return cutting ? '8000' : '0';
      case 'Sload':
        return cutting ? String(30 + (phase % 5) * 4) : '0';
      case 'execution':
        return cutting ? 'ACTIVE' : 'READY';
      case 'mode':
        return 'AUTOMATIC';
      case 'program':
        return 'O1001';
      case 'partcount':
        return String(this.parts);
      case 'system':
        return 'Normal';
      default:
        return 'UNAVAILABLE';
    }
  }

  private observe(item: ItemDef, value: string): void {
    const last = this.latest.get(item.id);
    if (last && last.value === value) return;
    const obs: Obs = { item, sequence: this.seq++, timestamp: new Date().toISOString(), value };
    this.latest.set(item.id, obs);
    this.buffer.push(obs);
    if (this.buffer.length > this.bufferSize) this.buffer.splice(0, this.buffer.length - this.bufferSize);
  }

  // ------------------------------------------------------------------ HTTP

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://sim');
    this.requests.push(`${url.pathname}${url.search}`);
    const send = (status: number, body: string): void => {
      // Our own Date header: Node's cached one arms a 1 s timer per second of traffic, which outlives stop().
      res.sendDate = false;
      res.writeHead(status, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(body), date: new Date().toUTCString() });
      res.end(body);
    };
    if (req.method !== 'GET') return send(400, this.error('UNSUPPORTED', `${req.method} is not supported`));
    const parts = url.pathname.split('/').filter(Boolean);
    let request = parts.pop() ?? 'probe';
    if (parts.length > 1) return send(404, this.error('UNSUPPORTED', `unknown path ${url.pathname}`));
    if (parts.length === 1 && decodeURIComponent(parts[0]!) !== DEVICE.name && decodeURIComponent(parts[0]!) !== DEVICE.uuid) {
      if (['probe', 'current', 'sample'].includes(request)) return send(404, this.error('NO_DEVICE', `no device ${decodeURIComponent(parts[0]!)}`));
    }
    if (parts.length === 0 && request === DEVICE.name) request = 'probe';
    if (request === 'probe') return send(200, this.probe());
    if (request === 'current') return send(200, this.streams([...this.latest.values()].sort((a, b) => a.sequence - b.sequence), this.seq));
    if (request === 'sample') {
      const fromRaw = url.searchParams.get('from');
      const countRaw = url.searchParams.get('count') ?? '100';
      const count = Number(countRaw);
      if (!Number.isSafeInteger(count) || count < 1 || count > this.maxCount) return send(400, this.error('OUT_OF_RANGE', `'count' must be from 1 to ${this.maxCount}, got ${countRaw}`));
      const from = fromRaw === null ? this.firstSequence : Number(fromRaw);
      if (!Number.isSafeInteger(from)) return send(400, this.error('INVALID_REQUEST', `'from' must be a whole number, got ${fromRaw}`));
      if (from < this.firstSequence || from > this.seq) return send(400, this.error('OUT_OF_RANGE', `'from' must be greater than or equal to ${this.firstSequence} and less than or equal to ${this.seq}`));
      const picked = this.buffer.filter((o) => o.sequence >= from).slice(0, count);
      const next = picked.length ? picked[picked.length - 1]!.sequence + 1 : from;
      return send(200, this.streams(picked, next));
    }
    send(400, this.error('UNSUPPORTED', `unknown request ${request}`));
  }

  private header(extra: string): string {
    return `<Header creationTime="${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}" sender="plantwire-mtconnect-sim" instanceId="${this.instanceId}" version="2.0.0.0" bufferSize="${this.bufferSize}"${extra}/>`;
  }

  private error(code: string, text: string): string {
    return `<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectError ${NS('MTConnectError')}>\n  ${this.header('')}\n  <Errors><Error errorCode="${code}">${esc(text)}</Error></Errors>\n</MTConnectError>\n`;
  }

  private probe(): string {
    const render = (c: ComponentDef, indent: string): string => {
      const items = ITEMS.filter((i) => i.component === c.id);
      const children = COMPONENTS.filter((k) => k.parent === c.id);
      const attrs = c.element === 'Device' ? `id="${c.id}" name="${esc(c.name)}" uuid="${DEVICE.uuid}"` : `id="${c.id}" name="${esc(c.name)}"`;
      const di = items.length
        ? `\n${indent}  <DataItems>\n${items
            .map((i) => `${indent}    <DataItem category="${i.category}" id="${i.id}"${i.name ? ` name="${esc(i.name)}"` : ''} type="${i.type}"${i.subType ? ` subType="${i.subType}"` : ''}${i.units ? ` units="${i.units}"` : ''}/>`)
            .join('\n')}\n${indent}  </DataItems>`
        : '';
      const comps = children.length ? `\n${indent}  <Components>\n${children.map((k) => render(k, `${indent}    `)).join('\n')}\n${indent}  </Components>` : '';
      return `${indent}<${c.element} ${attrs}>${di}${comps}\n${indent}</${c.element}>`;
    };
    return `<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectDevices ${NS('MTConnectDevices')}>\n  ${this.header(' assetBufferSize="0" assetCount="0"')}\n  <Devices>\n${render(COMPONENTS[0]!, '    ')}\n  </Devices>\n</MTConnectDevices>\n`;
  }

  private streams(obs: Obs[], next: number): string {
    const last = this.seq - 1;
    const byComponent = new Map<string, Obs[]>();
    for (const o of obs) byComponent.set(o.item.component, [...(byComponent.get(o.item.component) ?? []), o]);
    const comps = COMPONENTS.filter((c) => byComponent.has(c.id)).map((c) => {
      const list = byComponent.get(c.id)!;
      const group = (cat: ItemDef['category'], tag: string): string => {
        const xs = list.filter((o) => o.item.category === cat);
        if (!xs.length) return '';
        const body = xs
          .map((o) => {
            const a = `dataItemId="${o.item.id}"${o.item.name ? ` name="${esc(o.item.name)}"` : ''} sequence="${o.sequence}" timestamp="${o.timestamp}"${o.item.subType ? ` subType="${o.item.subType}"` : ''}`;
            if (cat === 'CONDITION') return o.value === 'Normal' || o.value === 'Unavailable' ? `<${o.value} ${a} type="${o.item.type}"/>` : `<${o.value} ${a} type="${o.item.type}">${esc(o.value)}</${o.value}>`;
            return `<${o.item.element} ${a}>${esc(o.value)}</${o.item.element}>`;
          })
          .join('\n            ');
        return `\n          <${tag}>\n            ${body}\n          </${tag}>`;
      };
      return `        <ComponentStream component="${c.element}" name="${esc(c.name)}" componentId="${c.id}">${group('SAMPLE', 'Samples')}${group('EVENT', 'Events')}${group('CONDITION', 'Condition')}\n        </ComponentStream>`;
    });
    return `<?xml version="1.0" encoding="UTF-8"?>\n<MTConnectStreams ${NS('MTConnectStreams')}>\n  ${this.header(` nextSequence="${next}" firstSequence="${this.firstSequence}" lastSequence="${last}"`)}\n  <Streams>\n    <DeviceStream name="${DEVICE.name}" uuid="${DEVICE.uuid}">\n${comps.join('\n')}\n    </DeviceStream>\n  </Streams>\n</MTConnectStreams>\n`;
  }
}

/** `node dist/src/simulator.js [port]`: the simulator on its own (default port 5000, as an agent's). */
if (typeof require !== 'undefined' && require.main === module) {
  const port = Number(process.argv[2] ?? 5000);
  const sim = new MTConnectSimulator({ port, host: process.env.MTCONNECT_SIM_HOST ?? '127.0.0.1' });
  void sim.start().then((url) => console.log(`MTConnect simulator (Mill1) at ${url} — try ${url}current`));
  process.on('SIGINT', () => void sim.stop().then(() => process.exit(0)));
}
