/**
 * Sparkplug B edge node simulator: one bottling line of `signals.ts` as a
 * Sparkplug edge node `<group>/Line<n>` with one device per machine
 * (Filler, Capper, …; line-level tags such as State and Speed are the edge
 * node's own metrics), publishing NBIRTH/DBIRTH on connect, DDATA/NDATA by
 * exception every interval, NDEATH as will, and answering rebirth requests.
 * For tests it can skip sequence numbers, send an unknown alias, or drop
 * its connection as a crash would. See docs/simulators.md.
 */
import { makeSample, type TagSample } from '../model/sample';
import { brokerSettings, type BrokerConfig, type BrokerCredentials } from '../connectors/mqtt/options';
import { EdgeSession, type EdgeSessionState } from '../connectors/mqtt/sparkplug/edge-session';
import type { DataTypeName } from '../connectors/mqtt/sparkplug/payload';
import { PlantwireError } from '../model/errors';
import { bottlingLineSignals, createSignal, type SignalGenerator } from './signals';

export interface SparkplugEdgeSimOptions {
  /** Broker URL, default mqtt://127.0.0.1:1883; `brokerConfig` for TLS, versions etc. */
  broker?: string;
  brokerConfig?: BrokerConfig;
  credentials?: BrokerCredentials;
  group?: string;
  /** The line number: edge node id `Line<n>`, default 1. */
  line?: number;
  /** Edge node id, default `Line<line>`. */
  edgeNode?: string;
  /** ms between rounds, default 1000; 0 = only `tick()` publishes. */
  intervalMs?: number;
  seed?: number;
  useAliases?: boolean;
  /** Wait for this host application's STATE before publishing (store and forward meanwhile). */
  primaryHost?: string;
  log?: (line: string) => void;
}

export interface SparkplugEdgeSim {
  readonly session: EdgeSession;
  readonly group: string;
  readonly edgeNode: string;
  readonly devices: string[];
  /** Metric count (edge node and devices). */
  readonly metricCount: number;
  /** Rebirths done on request (NCMD/DCMD). */
  readonly rebirths: number;
  /** Publishes one round of values now. */
  tick(): Promise<void>;
  /** The next DATA message will skip `n` sequence numbers. */
  skipSeq(n?: number): void;
  /** Publishes an NDATA with an alias no BIRTH declared. */
  sendUnknownAlias(alias?: number): Promise<void>;
  /** Resolves when the edge node is live (connected and born). */
  whenLive(timeoutMs?: number): Promise<void>;
  /** Drops the connection without NDEATH, like a crash (the broker publishes the will). */
  kill(): Promise<void>;
  /** Clean stop: NDEATH, then disconnect. */
  stop(): Promise<void>;
}

/** Line-level tag → edge node metric; machine tag → device metric. */
function placement(tag: string): { device?: string; metric: string } {
  const parts = tag.split('/');
  if (parts.length <= 2) return { metric: parts.slice(1).join('/') || tag };
  return { device: parts[1], metric: parts.slice(2).join('/') };
}

export async function startSparkplugEdgeSim(opts: SparkplugEdgeSimOptions = {}): Promise<SparkplugEdgeSim> {
  const line = opts.line ?? 1;
  const group = opts.group ?? 'Plantwire';
  const edgeNode = opts.edgeNode ?? `Line${line}`;
  const intervalMs = opts.intervalMs ?? 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 0) throw new PlantwireError('bad-option', `intervalMs must be 0 or more, got ${intervalMs}`);
  const settings = brokerSettings({ ...(opts.brokerConfig ?? {}), url: opts.broker ?? opts.brokerConfig?.url ?? 'mqtt://127.0.0.1:1883' }, opts.credentials ?? {});
  const specs = bottlingLineSignals(line);
  const generators: Array<{ gen: SignalGenerator; device?: string; metric: string }> = specs.map((spec) => ({ gen: createSignal(spec, opts.seed ?? 1), ...placement(spec.tag) }));
  const devices = [...new Set(generators.map((g) => g.device).filter((d): d is string => d !== undefined))];
  const metrics: Array<{ name: string; type: DataTypeName; device?: string }> = [];
  for (const g of generators) {
    const type: DataTypeName = g.gen.spec.kind === 'counter' ? 'UInt32' : g.gen.spec.kind === 'state' ? 'String' : g.gen.spec.kind === 'alarm' ? 'Boolean' : 'Double';
    const m: { name: string; type: DataTypeName; device?: string } = { name: g.metric, type };
    if (g.device !== undefined) m.device = g.device;
    metrics.push(m);
  }
  const sessionOpts: ConstructorParameters<typeof EdgeSession>[1] = { group, edgeNode, devices, metrics, useAliases: opts.useAliases !== false };
  if (opts.primaryHost) sessionOpts.primaryHost = opts.primaryHost;
  const session = new EdgeSession(settings, sessionOpts);
  const log = opts.log ?? ((): void => undefined);
  let rebirths = 0;
  session.on('birth', (why: string) => {
    if (why !== 'connected' && !why.startsWith('host')) rebirths += 1;
    log(`${group}/${edgeNode}: BIRTH (${why}), bdSeq ${session.edge.bdSeq}`);
  });
  session.on('warning', (w: string) => log(`${group}/${edgeNode}: ${w}`));

  const values = (): Map<string | undefined, TagSample[]> => {
    const now = Date.now();
    const byDevice = new Map<string | undefined, TagSample[]>();
    for (const g of generators) {
      const list = byDevice.get(g.device) ?? [];
      list.push(makeSample(g.metric, g.gen.next(now), { sourceTimestamp: now }));
      byDevice.set(g.device, list);
    }
    return byDevice;
  };
  const round = async (): Promise<void> => {
    for (const [device, samples] of values()) await session.publish(samples, device);
  };
  // Values exist before the first BIRTH (so it carries real values), without counting as buffered data.
  for (const [device, samples] of values()) session.edge.update(samples, Date.now(), device);
  await session.start();
  let timer: NodeJS.Timeout | null = null;
  if (intervalMs > 0) {
    timer = setInterval(() => {
      round().catch((err: unknown) => log(`${group}/${edgeNode}: ${(err as Error).message}`));
    }, intervalMs);
  }
  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
  };

  return {
    session,
    group,
    edgeNode,
    devices,
    get metricCount() {
      return session.edge.metricCount;
    },
    get rebirths() {
      return rebirths;
    },
    tick: round,
    skipSeq(n = 1) {
      session.edge.skipSeq(n);
    },
    sendUnknownAlias(alias = 60_000) {
      return session.publishRaw(session.edge.unknownAliasMessage(alias, Date.now(), undefined));
    },
    whenLive(timeoutMs = 10_000) {
      if (session.state.state === 'live') return Promise.resolve();
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          session.off('state', onState);
          reject(new Error(`edge node ${group}/${edgeNode} not live within ${timeoutMs} ms: ${session.state.text}`));
        }, timeoutMs);
        const onState = (s: { state: EdgeSessionState }): void => {
          if (s.state !== 'live') return;
          clearTimeout(t);
          session.off('state', onState);
          resolve();
        };
        session.on('state', onState);
      });
    },
    async kill() {
      stopTimer();
      await session.kill();
    },
    async stop() {
      stopTimer();
      await session.stop();
    },
  };
}
