/**
 * The session manager of one OPC UA endpoint: one OPCUAClient and one session
 * shared by every user of the endpoint (subscriptions, reads, writes, calls,
 * browsing), kept alive for as long as the endpoint is in use.
 *
 * Every (re)connection takes the same path: connect → create and activate a
 * session → read the namespace array and the server's operation limits →
 * hand the new session to every owner (subscriptions), which recreate their
 * subscriptions and monitored items from their own desired state. The first
 * connect and the hundredth reconnect are the same code, so "after any
 * reconnect or session loss every subscription and monitored item is
 * restored" holds by construction.
 *
 * Loss is detected from node-opcua's events (`connection_lost`, `close`,
 * session `session_closed` and `keepalive_failure`) and from owners (a
 * subscription that stops receiving publish responses or is timed out by the
 * server). On loss the whole client is discarded — no half-repaired session
 * is trusted — owners mark their tags bad, and reconnecting starts with a
 * capped, jittered backoff. node-opcua's own reconnection is switched off
 * (`maxRetry: 0`) so that exactly one mechanism is in charge.
 */
import type { ClientSession, OPCUAClient, UserIdentityInfo } from 'node-opcua';
import { PlantwireError, toError } from '../../model';
import { backoffDelay } from '../../model/backoff';
import { OutageLog } from '../../model/outage-log';
import { PHASE_STATUS, type ConnectionPhase, type ConnectionState, type StatusState } from '../../model/status';
import { opcua } from './lib';
import { acquirePki, certificateInfo, readCertificateFile, rejectedFile, trustCertificate, type CertificateInfo, type Pki } from './pki';
import { describeEndpoint, type EndpointSettings } from './settings';
import fs from 'node:fs';

export interface Limits {
  maxMonitoredItemsPerCall: number;
  maxNodesPerRead: number;
  maxNodesPerWrite: number;
  maxNodesPerBrowse: number;
  maxNodesPerTranslate: number;
  maxNodesPerMethodCall: number;
}

export interface SessionContext {
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  /** 1 for the first session, +1 for every new one. */
  readonly generation: number;
  readonly namespaces: string[];
  readonly limits: Limits;
  /** Per-session caches (type information, browse results): a new session starts empty. */
  readonly cache: Map<string, unknown>;
  /** True once this session is gone; work started on it must stop. */
  closed: boolean;
}

/** Something that lives on the session and must be rebuilt on every new one (a subscription). */
export interface ConnectionOwner {
  /** A new session is up (first connect or reconnect): recreate everything. */
  restore(ctx: SessionContext): Promise<void>;
  /** The session is gone: mark tags bad, stop using it. */
  lost(reason: string): void;
}

/** The phases of an OPC UA connection: a subset of the one connection vocabulary (src/model/status.ts). */
export type OpcUaPhase = Extract<ConnectionPhase, 'stopped' | 'connecting' | 'connected' | 'retrying' | 'untrusted' | 'refused'>;

/** The model's ConnectionState with what the OPC UA endpoint adds (attempts, next retry, session count). */
export interface OpcUaState extends ConnectionState {
  phase: OpcUaPhase;
  /** Status look for the users' nodes: PHASE_STATUS of the phase (the one mapping). */
  status: StatusState;
  /** The full explanation (log, admin route). */
  detail: string;
  /** Consecutive failed attempts. */
  attempt: number;
  /** When the next attempt starts (epoch ms), while retrying. */
  retryAt?: number;
  /** Sessions created so far. */
  sessions: number;
}

export interface ConnectionLogger {
  info(msg: string): void;
  warn(msg: string): void;
}

export interface ConnectionOptions {
  pkiDir: string;
  log?: ConnectionLogger;
  /** Random source for the backoff jitter (tests). */
  random?: () => number;
  /** Delay before retrying after a certificate or login refusal (ms), default 60 s. */
  refusedRetryMs?: number;
  /** @deprecated ignored: outages are logged by OutageLog (down, still down after `stillDownAfter` attempts, back). */
  warnAfterMs?: number;
  /** Failed attempts after which "still down" is logged (then 2N, 4N, …), default 10. */
  stillDownAfter?: number;
}

const DEFAULT_LIMITS: Limits = {
  maxMonitoredItemsPerCall: 1000,
  maxNodesPerRead: 1000,
  maxNodesPerWrite: 1000,
  maxNodesPerBrowse: 500,
  maxNodesPerTranslate: 500,
  maxNodesPerMethodCall: 100,
};

type ErrorKind = 'untrusted' | 'auth' | 'security' | 'client-cert' | 'config' | 'network' | 'timeout' | 'stopped' | 'other';

interface Classified {
  kind: ErrorKind;
  short: string;
  message: string;
}

/** What a connect/session error means for the user, with a short status and the fix. */
export function classifyConnectError(err: unknown, settings: Pick<EndpointSettings, 'url' | 'securityMode' | 'securityPolicy' | 'auth'>): Classified {
  const msg = toError(err).message;
  const code = (err as { code?: string }).code ?? '';
  if (err instanceof PlantwireError && err.code === 'bad-config') return { kind: 'config', short: err.status, message: err.message };
  if (/BadCertificateUntrusted|certificate verification failed/i.test(msg)) {
    return { kind: 'untrusted', short: 'untrusted server cert: Trust in endpoint', message: `the server certificate of ${settings.url} is not trusted` };
  }
  if (/BadUserAccessDenied|BadIdentityToken|BadUserSignatureInvalid|BadIdentityTokenRejected/i.test(msg)) {
    return {
      kind: 'auth',
      short: 'login refused: check user identity',
      message: `${settings.url} refused the user identity (${settings.auth}): check the user name and password (or certificate) in the endpoint configuration`,
    };
  }
  if (/BadSecurityPolicyRejected|BadSecurityModeRejected|cannot find endpoint|no endpoint|Cannot find an Endpoint/i.test(msg)) {
    return {
      kind: 'security',
      short: `server refuses ${settings.securityMode}/${settings.securityPolicy}`,
      message: `${settings.url} does not accept security mode ${settings.securityMode} with policy ${settings.securityPolicy}: choose one the server offers (${msg})`,
    };
  }
  if (/BadSecurityChecksFailed|BadCertificateInvalid|BadCertificate[A-Za-z]*/i.test(msg)) {
    return {
      kind: 'client-cert',
      short: "server rejects Plantwire's certificate",
      message: `${settings.url} rejected Plantwire's client certificate: trust it on the server (it is in the PKI folder under own/certs/) (${msg})`,
    };
  }
  if (code === 'ECONNREFUSED' || /ECONNREFUSED/.test(msg)) return { kind: 'network', short: 'connection refused', message: `${settings.url} refused the connection (is the server running?)` };
  if (/ENOTFOUND|EAI_AGAIN/.test(code + msg)) return { kind: 'network', short: 'host not found', message: `the host of ${settings.url} was not found (check the endpoint URL)` };
  if (/EHOSTUNREACH|ENETUNREACH|ECONNRESET|EPIPE|socket|disconnected|closed/i.test(code + msg)) return { kind: 'network', short: 'server unreachable', message: `${settings.url} is unreachable: ${msg}` };
  if (/timeout|timed out/i.test(msg)) return { kind: 'timeout', short: 'server did not answer', message: `${settings.url} did not answer in time: ${msg}` };
  return { kind: 'other', short: msg.length > 40 ? 'connection failed (see log)' : msg, message: `connecting to ${settings.url} failed: ${msg}` };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    t.unref?.();
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(toError(e));
      },
    );
  });
}

function seconds(ms: number): string {
  return ms < 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 100) / 10} s`;
}

export class OpcUaConnection {
  private ctx: SessionContext | null = null;
  private readonly owners = new Set<ConnectionOwner>();
  private readonly stateListeners = new Set<(s: OpcUaState) => void>();
  private readonly readyWaiters = new Set<() => void>();
  private current: OpcUaState;
  private stopped = true;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private signalLoss: ((reason: string) => void) | null = null;
  private opening: OPCUAClient | null = null;
  private pki: Pki | null = null;
  private generation = 0;
  /** One log line per outage (src/model/outage-log.ts). */
  private readonly outage: OutageLog;
  private lastDetail = '';
  /** Failed connection attempts so far (for failFast waiters). */
  private failures = 0;
  /** The server certificate refused last (for "trust this server"). */
  private pending: { der: Buffer; info: CertificateInfo } | null = null;

  constructor(
    readonly settings: EndpointSettings,
    private readonly opts: ConnectionOptions,
  ) {
    this.current = { phase: 'stopped', status: PHASE_STATUS.stopped, text: 'not connected', detail: 'not connected', attempt: 0, sessions: 0 };
    this.outage = new OutageLog({ warn: (m) => opts.log?.warn(m), log: (m) => opts.log?.info(m) }, `OPC UA ${settings.url}`, { stillDownAfter: opts.stillDownAfter });
  }

  get state(): OpcUaState {
    return this.current;
  }

  /** The live session, if any. */
  get context(): SessionContext | null {
    return this.ctx && !this.ctx.closed ? this.ctx : null;
  }

  /** The server certificate waiting to be trusted, if the last attempt refused one. */
  get pendingCertificate(): CertificateInfo | null {
    return this.pending?.info ?? null;
  }

  onState(fn: (s: OpcUaState) => void): () => void {
    this.stateListeners.add(fn);
    return () => this.stateListeners.delete(fn);
  }

  /** Starts connecting (and keeps reconnecting) until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.outage.clear();
    this.loop = this.run().catch((err: unknown) => {
      // The loop handles its own errors; this is a last resort so nothing escapes.
      this.opts.log?.warn(`OPC UA connection loop failed: ${toError(err).message}`);
    });
  }

  /** Closes the session (deleting its subscriptions) and the connection. */
  async stop(): Promise<void> {
    if (this.stopped) {
      await this.loop;
      // Never started (e.g. only a certificate fetched for trusting): release the PKI it took.
      if (this.pki) {
        const p = this.pki;
        this.pki = null;
        await p.release();
      }
      return;
    }
    this.stopped = true;
    this.wake?.();
    this.signalLoss?.('stopping');
    const opening = this.opening;
    if (opening) void opening.disconnect().catch(() => undefined);
    // The loop closes the session (≤ 5 s); a Node-RED close (10 s) must not wait longer than that.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.loop, new Promise<void>((r) => (timer = setTimeout(r, 5500)))]);
    clearTimeout(timer);
    this.loop = null;
    for (const w of this.readyWaiters) w();
    this.readyWaiters.clear();
    if (this.pki) {
      const p = this.pki;
      this.pki = null;
      await p.release();
    }
    this.setState({ phase: 'stopped', text: 'disconnected', detail: `disconnected from ${this.settings.url}`, attempt: 0 });
  }

  addOwner(owner: ConnectionOwner): void {
    this.owners.add(owner);
    const ctx = this.context;
    if (ctx) void this.restoreOne(owner, ctx);
  }

  removeOwner(owner: ConnectionOwner): void {
    this.owners.delete(owner);
  }

  /** An owner found the session broken (e.g. a subscription went silent): reconnect. */
  reportLoss(ctx: SessionContext, reason: string): void {
    if (ctx === this.ctx && !ctx.closed) this.signalLoss?.(reason);
  }

  /** Skips the wait before the next attempt (after trusting a certificate). */
  reconnectNow(): void {
    this.current = { ...this.current, attempt: 0 };
    this.wake?.();
  }

  /**
   * The live session, waiting up to `timeoutMs` for one; throws a clear
   * PlantwireError when there is none (connection down, certificate not trusted…).
   */
  async session(timeoutMs = this.settings.requestTimeoutMs, opts: { failFast?: boolean } = {}): Promise<SessionContext> {
    const deadline = Date.now() + timeoutMs;
    const attemptsBefore = this.failures;
    for (;;) {
      const ctx = this.context;
      if (ctx) return ctx;
      if (this.stopped) throw new PlantwireError('not-connected', `the OPC UA endpoint ${this.settings.url} is not connected`, 'not connected');
      if (this.current.phase === 'untrusted' || this.current.phase === 'refused') {
        throw new PlantwireError('not-connected', `not connected to ${this.settings.url}: ${this.current.detail}`, this.current.text);
      }
      // failFast (browsing, CLI): one failed attempt is the answer, no waiting for the retries.
      if (opts.failFast && this.failures > attemptsBefore) {
        throw new PlantwireError('not-connected', `cannot connect to ${this.settings.url}: ${this.lastDetail}`, this.current.text);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new PlantwireError('not-connected', `not connected to ${this.settings.url} (waited ${seconds(timeoutMs)}): ${this.lastDetail || this.current.detail}`, 'not connected');
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, left);
        function done(): void {
          clearTimeout(t);
          resolve();
        }
        this.readyWaiters.add(done);
      });
    }
  }

  /**
   * Trusts the server certificate the last attempt refused (or, when none was
   * refused yet, the one the server presents now) and reconnects at once.
   */
  async trustServerCertificate(): Promise<CertificateInfo & { file?: string }> {
    const pki = await this.ensurePki();
    let pending = this.pending;
    if (!pending) {
      const der = await this.fetchServerCertificate();
      if (!der) throw new PlantwireError('no-certificate', `${this.settings.url} presents no certificate for ${this.settings.securityMode}/${this.settings.securityPolicy}`, 'no server certificate');
      pending = { der, info: certificateInfo(der) };
    }
    await trustCertificate(pki, pending.der);
    this.pending = null;
    this.opts.log?.info(`trusted the server certificate "${pending.info.subject}" (SHA-1 ${pending.info.thumbprint}) of ${this.settings.url}`);
    if (!this.stopped && !this.context) {
      this.setState({ phase: 'connecting', text: 'connecting', detail: `server certificate trusted, connecting to ${this.settings.url}`, attempt: 0 });
    }
    this.reconnectNow();
    return pending.info;
  }

  // ------------------------------------------------------------------ loop

  private setState(s: Omit<OpcUaState, 'sessions' | 'status'>): void {
    this.current = { ...s, status: PHASE_STATUS[s.phase], sessions: this.generation };
    for (const fn of this.stateListeners) {
      try {
        fn(this.current);
      } catch (err) {
        this.opts.log?.warn(`status listener failed: ${toError(err).message}`);
      }
    }
  }

  private async ensurePki(): Promise<Pki> {
    this.pki ??= await acquirePki(this.opts.pkiDir);
    return this.pki;
  }

  private async run(): Promise<void> {
    let attempt = 0;
    while (!this.stopped) {
      let ctx: SessionContext | null = null;
      let refusedFor: ErrorKind | null = null;
      try {
        this.setState({ phase: 'connecting', text: this.generation === 0 ? 'connecting' : 'reconnecting', detail: `connecting to ${describeEndpoint(this.settings)}`, attempt });
        ctx = await this.open();
        if (this.stopped) {
          await this.close(ctx, true);
          break;
        }
        attempt = 0;
        this.ctx = ctx;
        this.pending = null;
        if (!this.outage.succeeded()) this.opts.log?.info(`connected to ${describeEndpoint(this.settings)} (session ${ctx.generation})`);
        const lost = this.watch(ctx);
        this.setState({ phase: 'connected', text: 'connected', detail: `connected to ${describeEndpoint(this.settings)}`, attempt: 0 });
        for (const w of this.readyWaiters) w();
        this.readyWaiters.clear();
        for (const owner of this.owners) void this.restoreOne(owner, ctx);
        const reason = await lost;
        ctx.closed = true;
        this.ctx = null;
        if (this.stopped) {
          await this.close(ctx, true);
          break;
        }
        this.lastDetail = `connection lost: ${reason}`;
        this.outage.failed(`connection lost: ${reason}`);
        for (const owner of this.owners) this.safeLost(owner, reason);
        await this.close(ctx, false);
        this.setState({ phase: 'retrying', text: 'connection lost, reconnecting', detail: this.lastDetail, attempt });
      } catch (err) {
        if (ctx) {
          ctx.closed = true;
          this.ctx = null;
          await this.close(ctx, false);
        }
        if (this.stopped) break;
        const c = classifyConnectError(err, this.settings);
        this.lastDetail = c.message;
        this.failures += 1;
        if (c.kind === 'untrusted') {
          refusedFor = c.kind;
          await this.recordUntrusted();
        } else {
          if (c.kind === 'auth' || c.kind === 'security' || c.kind === 'client-cert' || c.kind === 'config') refusedFor = c.kind;
          this.outage.failed(c.message, refusedFor !== null);
        }
        attempt += 1;
        const refusedMs = this.opts.refusedRetryMs ?? 60_000;
        const delay = refusedFor ? backoffDelay(0, { initialMs: refusedMs, maxMs: refusedMs }, this.opts.random) : backoffDelay(attempt - 1, { initialMs: this.settings.reconnectInitialMs, maxMs: this.settings.reconnectMaxMs }, this.opts.random);
        const text = refusedFor === 'untrusted' ? c.short : refusedFor ? c.short : `${c.short}, retry in ${seconds(delay)}`;
        const detail = refusedFor === 'untrusted' ? this.untrustedDetail() : c.message;
        this.setState({ phase: refusedFor === 'untrusted' ? 'untrusted' : refusedFor ? 'refused' : 'retrying', text, detail, attempt, retryAt: Date.now() + delay });
        for (const w of this.readyWaiters) w();
        this.readyWaiters.clear();
        await this.sleep(delay);
        continue;
      }
      // Lost after having been connected: first retry after the initial delay.
      if (this.stopped) break;
      const delay = backoffDelay(attempt, { initialMs: this.settings.reconnectInitialMs, maxMs: this.settings.reconnectMaxMs }, this.opts.random);
      attempt += 1;
      await this.sleep(delay);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(finish, ms);
      const self = this;
      function finish(): void {
        clearTimeout(t);
        if (self.wake === finish) self.wake = null;
        resolve();
      }
      this.wake = finish;
    });
  }

  private identity(): UserIdentityInfo {
    const O = opcua();
    const s = this.settings;
    if (s.auth === 'username') return { type: O.UserTokenType.UserName, userName: s.username ?? '', password: s.password ?? '' };
    if (s.auth === 'certificate') {
      let certificateData: Buffer;
      let privateKey: string;
      try {
        certificateData = readCertificateFile(s.userCertificateFile ?? '');
        privateKey = fs.readFileSync(s.userPrivateKeyFile ?? '', 'utf8');
      } catch (err) {
        throw new PlantwireError('bad-config', `cannot read the user certificate or key (${s.userCertificateFile}, ${s.userPrivateKeyFile}): ${toError(err).message}`, 'user certificate unreadable');
      }
      return { type: O.UserTokenType.Certificate, certificateData, privateKey };
    }
    return { type: O.UserTokenType.Anonymous };
  }

  private createClient(pki: Pki): OPCUAClient {
    const O = opcua();
    const s = this.settings;
    return O.OPCUAClient.create({
      applicationName: s.applicationName,
      clientName: `plantwire ${s.url}`,
      securityMode: O.MessageSecurityMode[s.securityMode],
      securityPolicy: O.SecurityPolicy[s.securityPolicy],
      endpointMustExist: false,
      // Reconnecting is this class's job: node-opcua gives up at the first failure.
      connectionStrategy: { maxRetry: 0, initialDelay: s.reconnectInitialMs, maxDelay: s.reconnectMaxMs },
      clientCertificateManager: pki.cm,
      requestedSessionTimeout: s.sessionTimeoutMs,
      keepSessionAlive: true,
      keepAliveInterval: Math.max(1000, Math.min(5000, Math.floor(s.sessionTimeoutMs / 3))),
      transportSettings: { maxMessageSize: s.maxMessageSize, maxChunkCount: s.maxChunkCount },
      transportTimeout: s.requestTimeoutMs,
    });
  }

  private async open(): Promise<SessionContext> {
    const identity = this.identity();
    const pki = await this.ensurePki();
    await pki.cm.reloadCertificates().catch(() => undefined);
    const client = this.createClient(pki);
    this.opening = client;
    try {
      const timeout = Math.max(5000, this.settings.requestTimeoutMs);
      await withTimeout(client.connect(this.settings.url), timeout, 'connect');
      if (this.stopped) throw new PlantwireError('stopped', 'stopped');
      const session = await withTimeout(client.createSession(identity), timeout, 'create session');
      const namespaces = await withTimeout(session.readNamespaceArray(), timeout, 'read namespace array');
      const limits = await this.readLimits(session);
      this.generation += 1;
      return { client, session, generation: this.generation, namespaces, limits, cache: new Map(), closed: false };
    } catch (err) {
      await withTimeout(client.disconnect(), 3000, 'disconnect').catch(() => undefined);
      throw err;
    } finally {
      this.opening = null;
    }
  }

  private async readLimits(session: ClientSession): Promise<Limits> {
    const O = opcua();
    try {
      const l = await withTimeout(O.readOperationLimits(session), this.settings.requestTimeoutMs, 'read operation limits');
      const pick = (v: number | undefined, d: number): number => (v && v > 0 ? v : d);
      return {
        maxMonitoredItemsPerCall: pick(l.maxMonitoredItemsPerCall, DEFAULT_LIMITS.maxMonitoredItemsPerCall),
        maxNodesPerRead: pick(l.maxNodesPerRead, DEFAULT_LIMITS.maxNodesPerRead),
        maxNodesPerWrite: pick(l.maxNodesPerWrite, DEFAULT_LIMITS.maxNodesPerWrite),
        maxNodesPerBrowse: pick(l.maxNodesPerBrowse, DEFAULT_LIMITS.maxNodesPerBrowse),
        maxNodesPerTranslate: pick(l.maxNodesPerTranslateBrowsePathsToNodeIds, DEFAULT_LIMITS.maxNodesPerTranslate),
        maxNodesPerMethodCall: pick(l.maxNodesPerMethodCall, DEFAULT_LIMITS.maxNodesPerMethodCall),
      };
    } catch {
      // Servers without the OperationLimits object: conservative defaults.
      return { ...DEFAULT_LIMITS };
    }
  }

  /** Resolves with the reason once the session is lost (or stop() asks). */
  private watch(ctx: SessionContext): Promise<string> {
    return new Promise<string>((resolve) => {
      let done = false;
      const finish = (reason: string): void => {
        if (done) return;
        done = true;
        if (this.signalLoss === finish) this.signalLoss = null;
        resolve(reason);
      };
      this.signalLoss = finish;
      ctx.client.on('connection_lost', () => finish('the connection broke'));
      ctx.client.on('close', (err?: Error | null) => finish(err ? err.message : 'the connection was closed'));
      ctx.session.on('session_closed', (statusCode: { name?: string }) => finish(`the server closed the session (${statusCode?.name ?? 'unknown'})`));
      ctx.session.on('keepalive_failure', () => finish('the server did not answer the keep-alive'));
      // node-opcua recreates a session the server dropped (Bad_SessionIdInvalid) on the same
      // connection, with its subscriptions; if that fails, start over here.
      ctx.session.on('session_restored', () => this.opts.log?.info(`the server had dropped the session; node-opcua restored it on ${this.settings.url}`));
      ctx.session.on('session_repaired_failed', (err?: Error) => finish(`restoring the session failed${err ? `: ${err.message}` : ''}`));
    });
  }

  private async restoreOne(owner: ConnectionOwner, ctx: SessionContext): Promise<void> {
    try {
      await owner.restore(ctx);
    } catch (err) {
      if (!ctx.closed) this.opts.log?.warn(`restoring a subscription failed: ${toError(err).message}`);
    }
  }

  private safeLost(owner: ConnectionOwner, reason: string): void {
    try {
      owner.lost(reason);
    } catch (err) {
      this.opts.log?.warn(`marking tags bad failed: ${toError(err).message}`);
    }
  }

  private async close(ctx: SessionContext, graceful: boolean): Promise<void> {
    ctx.closed = true;
    if (graceful) {
      // deleteSubscriptions: the server frees them now instead of at their lifetime's end.
      await withTimeout(ctx.session.close(true), 2500, 'close session').catch(() => undefined);
    }
    await withTimeout(ctx.client.disconnect(), 2500, 'disconnect').catch(() => undefined);
  }

  // ------------------------------------------------------------ certificates

  /** Gets the server certificate over an unsecured GetEndpoints call (discovery is always open). */
  private async fetchServerCertificate(): Promise<Buffer | null> {
    const O = opcua();
    const pki = await this.ensurePki();
    const client = O.OPCUAClient.create({
      applicationName: this.settings.applicationName,
      clientName: `plantwire discovery ${this.settings.url}`,
      endpointMustExist: false,
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      clientCertificateManager: pki.cm,
      transportTimeout: this.settings.requestTimeoutMs,
    });
    try {
      await withTimeout(client.connect(this.settings.url), this.settings.requestTimeoutMs, 'connect for discovery');
      const endpoints = await withTimeout(client.getEndpoints(), this.settings.requestTimeoutMs, 'get endpoints');
      const wanted = endpoints.find(
        (e) => e.securityMode === O.MessageSecurityMode[this.settings.securityMode] && (e.securityPolicyUri ?? '').endsWith(`#${this.settings.securityPolicy}`),
      );
      const cert = (wanted ?? endpoints.find((e) => e.serverCertificate && e.serverCertificate.length > 0))?.serverCertificate;
      return cert && cert.length > 0 ? Buffer.from(cert) : null;
    } finally {
      await withTimeout(client.disconnect(), 3000, 'disconnect').catch(() => undefined);
    }
  }

  private async recordUntrusted(): Promise<void> {
    try {
      const der = await this.fetchServerCertificate();
      if (der) {
        const first = !this.pending || this.pending.info.thumbprint !== certificateInfo(der).thumbprint;
        this.pending = { der, info: certificateInfo(der) };
        if (first) this.opts.log?.warn(this.untrustedDetail());
        return;
      }
    } catch {
      // The reason shown stays "not trusted"; the certificate details are a bonus.
    }
    this.opts.log?.warn(this.untrustedDetail());
  }

  private untrustedDetail(): string {
    const p = this.pending;
    const where = p && this.pki ? rejectedFile(this.pki, p.info) : undefined;
    const cert = p ? `"${p.info.subject}" (SHA-1 ${p.info.thumbprint}, valid until ${p.info.validTo.slice(0, 10)})` : '';
    return (
      `the server certificate ${cert} of ${this.settings.url} is not trusted, so Plantwire does not connect. ` +
      `If it is the right server, open the endpoint configuration and press "Trust server certificate"` +
      (where && this.pki ? `, or move ${where} to ${this.pki.dir}/trusted/certs/` : this.pki ? `, or copy the certificate into ${this.pki.dir}/trusted/certs/` : '')
    );
  }
}
