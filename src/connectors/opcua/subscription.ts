/**
 * One OPC UA subscription carrying many monitored items (never one
 * subscription per tag), rebuilt from its desired state on every new session.
 *
 * - Tags are resolved (NodeIds, browse paths), then monitored items are
 *   created in batches of at most min(items per call, the server's
 *   MaxMonitoredItemsPerCall) — one CreateMonitoredItems call per batch.
 * - Deadband is a server-side DataChangeFilter (absolute or percent); items
 *   whose type cannot take the filter (strings, booleans, non-analog values
 *   for percent) are created again without it and said so once.
 * - Changes are delivered per publish cycle: every notification of one
 *   PublishResponse ends up in one `onData` call.
 * - On connection loss every tag is reported once with quality bad and
 *   Bad_NoCommunication, keeping its last value; after reconnecting the
 *   initial values of the new items follow.
 * - A subscription that goes silent (no data, no keep-alive) for longer than
 *   its keep-alive period allows, or that the server times out, makes the
 *   connection start over.
 */
import type { ClientMonitoredItemGroup, ClientSubscription, DataValue, NodeId } from 'node-opcua';
import { toError, type SampleValue, type TagSample } from '../../model';
import { chunks, resolveTags } from './browse';
import type { ConnectionOwner, OpcUaConnection, SessionContext } from './connection';
import { opcua } from './lib';
import type { TagSpec } from './tags';
import { BAD_NO_COMMUNICATION, badSample, dataValueToSample, statusText } from './values';

export type DeadbandType = 'none' | 'absolute' | 'percent';

export interface SubscriptionOptions {
  /** Requested publishing interval (ms). */
  publishingInterval: number;
  /** Requested sampling interval (ms); 0 = as fast as the server can. */
  samplingInterval: number;
  /** Queue size per monitored item (values kept between two publishes). */
  queueSize: number;
  deadbandType: DeadbandType;
  deadbandValue: number;
  /** Items per CreateMonitoredItems call (the server's limit applies too). */
  maxItemsPerCall: number;
  /** Read each variable's EngineeringUnits property for the samples' unit. */
  readUnits: boolean;
}

export interface ItemError {
  tag: string;
  address: string;
  statusCode: number;
  message: string;
}

export interface SubscriptionEvents {
  /** The changes of one publish cycle (or the bad samples of a connection loss). */
  onData(samples: TagSample[]): void;
  /** Subscription status for the node (ok: all items created; error: some failed). */
  onStatus(state: 'ok' | 'busy' | 'error', text: string): void;
  /** Items the server refused (or that do not exist), after each restore. */
  onItemErrors(errors: ItemError[]): void;
  /** Something worth a log line (deadband not applicable…). */
  onNotice?(text: string): void;
}

interface ItemMeta {
  tag: string;
  unit?: string;
  /** Index into `last`. */
  index: number;
}

const BAD_FILTER_CODES = new Set([0x80450000 /* BadFilterNotAllowed */, 0x80440000 /* BadMonitoredItemFilterUnsupported */, 0x80430000 /* BadMonitoredItemFilterInvalid */, 0x808e0000 /* BadDeadbandFilterInvalid */]);

function keepAliveCount(publishingInterval: number): number {
  // About one keep-alive every 10 s when nothing changes.
  return Math.max(3, Math.min(100, Math.ceil(10_000 / Math.max(1, publishingInterval))));
}

export class TagSubscription implements ConnectionOwner {
  private tags: TagSpec[];
  private ctx: SessionContext | null = null;
  private sub: ClientSubscription | null = null;
  private groups: ClientMonitoredItemGroup[] = [];
  private epoch = 0;
  private queue: Promise<void> = Promise.resolve();
  private pending: TagSample[] = [];
  private flushScheduled = false;
  private last: SampleValue[] = [];
  private units: Array<string | undefined> = [];
  private watchdog: NodeJS.Timeout | null = null;
  private lastActivity = 0;
  private stopped = false;
  private filterNoticeGiven = false;
  /** Monitored items created on the server in the last restore. */
  itemCount = 0;
  /** Publishing interval the server granted. */
  revisedPublishingInterval = 0;

  constructor(
    private readonly conn: OpcUaConnection,
    tags: readonly TagSpec[],
    private readonly opts: SubscriptionOptions,
    private readonly events: SubscriptionEvents,
  ) {
    this.tags = [...tags];
  }

  get tagList(): readonly TagSpec[] {
    return this.tags;
  }

  start(): void {
    this.stopped = false;
    this.conn.addOwner(this);
  }

  /** Replaces the tag list; a live subscription is rebuilt with it. */
  setTags(tags: readonly TagSpec[]): Promise<void> {
    this.tags = [...tags];
    return this.enqueue(async () => {
      const ctx = this.ctx;
      if (!ctx || ctx.closed) return;
      await this.teardown();
      await this.build(ctx, ++this.epoch);
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.epoch++;
    this.conn.removeOwner(this);
    this.stopWatchdog();
    await this.enqueue(() => this.teardown());
    this.ctx = null;
  }

  // ------------------------------------------------------------ ConnectionOwner

  restore(ctx: SessionContext): Promise<void> {
    this.ctx = ctx;
    const epoch = ++this.epoch;
    return this.enqueue(async () => {
      if (epoch !== this.epoch || ctx.closed || this.stopped) return;
      // A subscription of an older session is gone with it; just forget it.
      this.sub = null;
      this.groups = [];
      await this.build(ctx, epoch);
    });
  }

  lost(reason: string): void {
    this.epoch++;
    this.ctx = null;
    this.sub = null;
    this.groups = [];
    this.stopWatchdog();
    this.flush();
    if (this.stopped || this.tags.length === 0) return;
    const at = Date.now();
    const samples = this.tags.map((t, i) => badSample(t.tag, this.last[i] ?? null, BAD_NO_COMMUNICATION, this.units[i], at));
    void reason;
    this.events.onData(samples);
  }

  // ------------------------------------------------------------------- build

  private enqueue(job: () => Promise<void>): Promise<void> {
    const next = this.queue.then(job, job);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private alive(ctx: SessionContext, epoch: number): boolean {
    return !ctx.closed && epoch === this.epoch && !this.stopped;
  }

  private async build(ctx: SessionContext, epoch: number): Promise<void> {
    const O = opcua();
    const tags = this.tags;
    this.last = new Array<SampleValue>(tags.length).fill(null);
    this.units = new Array<string | undefined>(tags.length);
    this.itemCount = 0;
    if (tags.length === 0) {
      this.events.onStatus('ok', 'no tags yet');
      return;
    }
    this.events.onStatus('busy', `subscribing ${tags.length} tag${tags.length === 1 ? '' : 's'}`);

    const resolved = await resolveTags(ctx, tags);
    if (!this.alive(ctx, epoch)) return;
    const errors: ItemError[] = [];
    const ok: Array<{ i: number; nodeId: NodeId }> = [];
    resolved.forEach((r, i) => {
      if (r.nodeId) ok.push({ i, nodeId: r.nodeId });
      else errors.push({ tag: r.spec.tag, address: r.spec.nodeId ?? r.spec.browsePath ?? '', statusCode: r.error?.statusCode ?? 0x80340000, message: r.error?.message ?? 'not found' });
    });

    if (this.opts.readUnits && ok.length > 0) {
      const units = await this.readUnits(ctx, ok.map((x) => x.nodeId)).catch(() => [] as Array<string | undefined>);
      if (!this.alive(ctx, epoch)) return;
      ok.forEach((x, k) => (this.units[x.i] = units[k]));
    }

    const sub = await ctx.session.createSubscription2({
      requestedPublishingInterval: this.opts.publishingInterval,
      requestedMaxKeepAliveCount: keepAliveCount(this.opts.publishingInterval),
      requestedLifetimeCount: keepAliveCount(this.opts.publishingInterval) * 6,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    if (!this.alive(ctx, epoch)) {
      await sub.terminate().catch(() => undefined);
      return;
    }
    this.sub = sub;
    this.revisedPublishingInterval = sub.publishingInterval;
    this.watch(ctx, epoch, sub);

    const perCall = Math.max(1, Math.min(this.opts.maxItemsPerCall, ctx.limits.maxMonitoredItemsPerCall));
    const filter =
      this.opts.deadbandType === 'none'
        ? null
        : new O.DataChangeFilter({
            trigger: O.DataChangeTrigger.StatusValue,
            deadbandType: this.opts.deadbandType === 'absolute' ? O.DeadbandType.Absolute : O.DeadbandType.Percent,
            deadbandValue: this.opts.deadbandValue,
          });
    const retryWithoutFilter: Array<{ i: number; nodeId: NodeId }> = [];

    const createBatch = async (batch: Array<{ i: number; nodeId: NodeId }>, withFilter: boolean): Promise<void> => {
      const metas: ItemMeta[] = batch.map(({ i }) => {
        const m: ItemMeta = { tag: tags[i]?.tag ?? '', index: i };
        const u = this.units[i];
        if (u) m.unit = u;
        return m;
      });
      const group = await sub.monitorItems(
        batch.map(({ nodeId }) => ({ nodeId, attributeId: O.AttributeIds.Value })),
        { samplingInterval: this.opts.samplingInterval, queueSize: this.opts.queueSize, discardOldest: true, ...(withFilter && filter ? { filter } : {}) },
        O.TimestampsToReturn.Both,
      );
      if (!this.alive(ctx, epoch)) return;
      this.groups.push(group);
      group.on('changed', (_item: unknown, dv: DataValue, index: number) => this.onChange(epoch, metas[index], dv));
      group.monitoredItems.forEach((item, k) => {
        const code = item.statusCode?.value ?? 0;
        const b = batch[k];
        if (!b) return;
        if (code === 0 || (code & 0x80000000) === 0) {
          this.itemCount++;
          return;
        }
        if (withFilter && BAD_FILTER_CODES.has(code)) {
          retryWithoutFilter.push(b);
          return;
        }
        const t = tags[b.i];
        errors.push({ tag: t?.tag ?? '', address: t?.nodeId ?? t?.browsePath ?? '', statusCode: code, message: `the server refused the item: ${statusText(code, item.statusCode?.name)}` });
      });
    };

    for (const batch of chunks(ok, perCall)) {
      await createBatch(batch, filter !== null);
      if (!this.alive(ctx, epoch)) return;
    }
    if (retryWithoutFilter.length > 0) {
      if (!this.filterNoticeGiven) {
        this.filterNoticeGiven = true;
        const names = retryWithoutFilter.slice(0, 5).map((r) => tags[r.i]?.tag);
        this.events.onNotice?.(
          `${this.opts.deadbandType} deadband does not apply to ${retryWithoutFilter.length} tag(s) (${names.join(', ')}${retryWithoutFilter.length > 5 ? ', …' : ''}): not numeric${this.opts.deadbandType === 'percent' ? ' or without EURange' : ''}; they report every change`,
        );
      }
      for (const batch of chunks(retryWithoutFilter, perCall)) {
        await createBatch(batch, false);
        if (!this.alive(ctx, epoch)) return;
      }
    }

    if (errors.length > 0) {
      const at = Date.now();
      const byTag = new Map(tags.map((t, i) => [t.tag, i]));
      this.events.onData(errors.map((e) => badSample(e.tag, null, e.statusCode, this.units[byTag.get(e.tag) ?? -1], at)));
      this.events.onItemErrors(errors);
      this.events.onStatus('error', `${errors.length} of ${tags.length} tags failed`);
    } else {
      this.events.onStatus('ok', `${tags.length} tag${tags.length === 1 ? '' : 's'} @ ${formatMs(this.revisedPublishingInterval)}`);
    }
  }

  private onChange(epoch: number, meta: ItemMeta | undefined, dv: DataValue): void {
    if (epoch !== this.epoch || !meta) return;
    const sample = dataValueToSample(meta.tag, dv, meta.unit);
    this.last[meta.index] = sample.value;
    this.pending.push(sample);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      // All notifications of one PublishResponse are dispatched synchronously: flush after them.
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.pending.length === 0) return;
    const samples = this.pending;
    this.pending = [];
    try {
      this.events.onData(samples);
    } catch (err) {
      this.events.onNotice?.(`delivering samples failed: ${toError(err).message}`);
    }
  }

  private watch(ctx: SessionContext, epoch: number, sub: ClientSubscription): void {
    this.lastActivity = Date.now();
    const touch = (): void => {
      this.lastActivity = Date.now();
    };
    sub.on('keepalive', touch);
    sub.on('received_notifications', touch);
    sub.on('status_changed', (status: { value?: number; name?: string }) => {
      if (status?.value === 0x800a0000 /* BadTimeout */ && epoch === this.epoch) this.conn.reportLoss(ctx, `the server timed out subscription ${sub.subscriptionId}`);
    });
    sub.on('terminated', () => {
      if (epoch === this.epoch && !ctx.closed && !this.stopped && this.sub === sub) this.conn.reportLoss(ctx, `subscription ${sub.subscriptionId} was terminated`);
    });
    this.stopWatchdog();
    const period = Math.max(1, sub.publishingInterval) * Math.max(1, sub.maxKeepAliveCount);
    const allowed = 2 * period + this.conn.settings.requestTimeoutMs;
    this.watchdog = setInterval(
      () => {
        if (epoch !== this.epoch || ctx.closed) return this.stopWatchdog();
        if (Date.now() - this.lastActivity > allowed) {
          this.conn.reportLoss(ctx, `no publish response for ${Math.round((Date.now() - this.lastActivity) / 1000)} s on subscription ${sub.subscriptionId}`);
        }
      },
      Math.max(1000, Math.min(period, 10_000)),
    );
    this.watchdog.unref?.();
  }

  private stopWatchdog(): void {
    if (this.watchdog) clearInterval(this.watchdog);
    this.watchdog = null;
  }

  private async teardown(): Promise<void> {
    this.stopWatchdog();
    this.flush();
    const sub = this.sub;
    this.sub = null;
    this.groups = [];
    const ctx = this.ctx;
    if (sub && ctx && !ctx.closed) {
      await Promise.race([sub.terminate().catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref?.())]);
    }
  }

  /** The EngineeringUnits display name of each variable (undefined where it has none). */
  private async readUnits(ctx: SessionContext, nodeIds: NodeId[]): Promise<Array<string | undefined>> {
    const O = opcua();
    const out: Array<string | undefined> = new Array<string | undefined>(nodeIds.length);
    const targets: Array<{ k: number; nodeId: NodeId }> = [];
    let k = 0;
    for (const part of chunks(nodeIds, ctx.limits.maxNodesPerTranslate)) {
      const results = await ctx.session.translateBrowsePath(part.map((n) => O.makeBrowsePath(n, '.EngineeringUnits')));
      results.forEach((r, j) => {
        const t = r.statusCode.isGood() ? r.targets?.[0]?.targetId : undefined;
        if (t) targets.push({ k: k + j, nodeId: t as unknown as NodeId });
      });
      k += part.length;
    }
    for (const part of chunks(targets, ctx.limits.maxNodesPerRead)) {
      const dvs = await ctx.session.read(part.map((t) => ({ nodeId: t.nodeId, attributeId: O.AttributeIds.Value })));
      dvs.forEach((dv, j) => {
        const eu = dv.value.value as { displayName?: { text?: string | null } } | null;
        const text = eu?.displayName?.text;
        const target = part[j];
        if (target && text) out[target.k] = text;
      });
    }
    return out;
  }
}

function formatMs(ms: number): string {
  return ms >= 1000 && ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}
