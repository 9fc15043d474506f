/**
 * plantwire-window: per-tag aggregation over tumbling or sliding windows, by
 * time (aligned to the wall clock) or by count. Pure: the node passes the
 * clock (`now`, epoch ms) and gets the aggregates to send back.
 *
 * Rules (also in the node's help):
 * - Time is the samples' sourceTimestamp (event time). A tag's samples must
 *   arrive in time order; equal timestamps are fine.
 * - TWA (time-weighted average): each value holds until the next sample of
 *   its tag (step / zero-order hold); the last value holds until the window
 *   end. The value known from before the window (the previous sample of the
 *   tag) holds from the window start until the first sample; when no earlier
 *   value is known, the average starts at the first sample. For count
 *   windows the average runs from the first to the last sample.
 * - delta (counters): the increase from the last value before the window
 *   (else the window's first sample) to its last sample, step by step. A
 *   decrease is a rollover when a rollover value R is set and the wrapped
 *   increase (R − previous + current) is at most R/2; otherwise it is a reset
 *   to 0 and the increase is the current value.
 * - Aggregates over samples (count, sum, mean, stddev, min, max, first,
 *   last) use the samples inside the window only. stddev is the sample
 *   standard deviation (n − 1; 0 for a single sample).
 * - Booleans count as 0/1 in numeric aggregates (TWA of a running flag is
 *   the utilisation). A `bad` sample without a numeric value is counted but
 *   left out of numeric aggregates and interrupts the TWA (its interval
 *   counts for nothing); the result's quality is then at most `uncertain`.
 *   Any other non-numeric value is an input error when a numeric aggregate
 *   is configured.
 * - Quality of an aggregate = worst quality of the samples it used.
 * - A time window [start, end) closes at end + grace: when a newer sample of
 *   the same tag arrives (any close mode) or when the node's clock passes it
 *   (close mode "clock"). Count windows close after N samples. `flush`
 *   closes every open window now.
 * - Late data: a sample older than the newest sample of its tag, or whose
 *   window has already been emitted, is never merged: it is returned in
 *   `late` with the reason (the node sends it to output 2).
 * - Empty windows (no samples) are skipped, or — with `emitEmpty` — emitted
 *   from the held value (TWA, min, max, first, last, mean = held value;
 *   count, sum, delta, stddev = 0).
 * - The aggregate sample: the tag, value (a number, or an object holding
 *   one result per aggregate when several are configured), quality,
 *   sourceTimestamp = window end (or start, configurable), unit and asset
 *   of the tag's last sample (no unit for count), and
 *   `window: {start, end, count, aggregate}`.
 */
import { PlantwireError } from '../model/errors';
import type { Quality, SampleValue, TagSample } from '../model/sample';
import { defineFields, mustBeOneOf, parseFields } from '../model/fields';
import { checkTimeZone, intervalCalendar, parseShiftStarts, shiftCalendar, type Calendar, type Span } from './calendar';
import { isoOf, numericValue, sampleWhere, timestampMs, worse } from './samples';
import { DEFAULT_MAX_TAGS, MAX_MAX_TAGS, TagTable } from './tag-table';

export const AGGREGATES = ['min', 'max', 'mean', 'twa', 'sum', 'count', 'first', 'last', 'delta', 'stddev'] as const;
export type AggregateName = (typeof AGGREGATES)[number];
const NON_NUMERIC: ReadonlySet<AggregateName> = new Set(['count', 'first', 'last']);

/** At most this many empty windows are emitted for one gap (a clock jump must not flood the flow). */
export const MAX_EMPTY_WINDOWS = 1000;
/** A sliding time window keeps at most this many samples per tag. */
export const MAX_POINTS_PER_TAG = 100_000;

export interface WindowConfig {
  kind?: 'tumbling' | 'sliding' | string;
  by?: 'time' | 'count' | string;
  /** Time windows: length in seconds. */
  size?: number | string;
  /** Sliding time windows: emit every `hop` seconds. */
  hop?: number | string;
  /** Count windows: N samples. */
  count?: number | string;
  /** Sliding count windows: emit every K samples. */
  hopCount?: number | string;
  align?: 'interval' | 'shifts' | string;
  /** Interval alignment: offset in seconds from the epoch-aligned boundary. */
  offset?: number | string;
  shifts?: string;
  timezone?: string;
  aggregates?: string[] | string;
  /** Counter rollover value (0/blank: none; a decrease is a reset). */
  rollover?: number | string;
  /** Seconds a window stays open after its end for delayed samples. */
  grace?: number | string;
  closeOn?: 'clock' | 'data' | string;
  emitEmpty?: boolean;
  timestamp?: 'end' | 'start' | string;
  maxTags?: number | string;
  output?: string;
}

export interface WindowSettings {
  kind: 'tumbling' | 'sliding';
  by: 'time' | 'count';
  sizeMs: number;
  hopMs: number;
  count: number;
  hopCount: number;
  align: 'interval' | 'shifts';
  offsetMs: number;
  shifts: number[];
  timezone: string;
  aggregates: AggregateName[];
  rollover: number;
  graceMs: number;
  closeOn: 'clock' | 'data';
  emitEmpty: boolean;
  timestamp: 'end' | 'start';
  /** Aggregates of one close: one message each, or one batch. */
  output: 'each' | 'batch';
  maxTags: number;
}

const enumOf = <T extends string>(options: readonly T[], label: string) => ({ kind: 'enum' as const, options, default: options[0]!, label, explain: mustBeOneOf(options), status: `bad ${label}` });
const isTime = (c: Record<string, unknown>): boolean => c.by === 'time';
const isShifts = (c: Record<string, unknown>): boolean => isTime(c) && c.kind === 'tumbling' && c.align === 'shifts';

/**
 * The settings of plantwire-window, declared once: the dialog's defaults and
 * validators (nodes/plantwire-window/fields.ts), the check at deploy
 * (`windowSettings`) and the help's settings table come from here.
 */
export const windowFields = defineFields('plantwire-window', 1, {
  kind: { ...enumOf(['tumbling', 'sliding'] as const, 'window kind'), required: true },
  by: { ...enumOf(['time', 'count'] as const, 'window by'), required: true },
  // Shift alignment needs tumbling time windows (the dialog switches back to interval for sliding ones).
  align: { ...enumOf(['interval', 'shifts'] as const, 'alignment'), check: (v, c) => v !== 'shifts' || !isTime(c) || c.kind === 'tumbling', explain: (v) => (v === 'shifts' ? 'shift alignment works with tumbling time windows only: choose tumbling, or interval alignment' : mustBeOneOf(['interval', 'shifts'])), status: 'shifts need tumbling windows' },
  size: { kind: 'number', default: 60, min: 0.001, max: 366 * 86_400, unit: 's', required: true, label: 'window size (s)', message: 'size', when: (c) => isTime(c) && !isShifts(c) },
  hop: { kind: 'number', default: 10, min: 0.001, unit: 's', required: true, label: 'emit every (s)', message: 'hop', when: (c) => isTime(c) && c.kind === 'sliding', check: (v, c) => Number(v) <= Number(c.size), explain: (v, c) => `a sliding window must emit at least once per window: "emit every" (${Number(v)} s) is longer than the window (${Number(c.size)} s)`, status: 'hop longer than window' },
  count: { kind: 'number', default: 10, min: 1, max: MAX_POINTS_PER_TAG, integer: true, required: true, label: 'window count', message: 'count', when: (c) => c.by === 'count' },
  hopCount: { kind: 'number', default: 1, min: 1, integer: true, required: true, label: 'emit every (samples)', labelKey: 'label.hop', message: 'hopCount', when: (c) => c.by === 'count' && c.kind === 'sliding', check: (v, c) => Number(v) <= Number(c.count), explain: (v, c) => `"emit every" (${Number(v)} samples) is more than the window (${Number(c.count)} samples)`, status: 'hop longer than window' },
  offset: { kind: 'number', default: 0, unit: 's', label: 'offset (s)', message: 'offset' },
  shifts: { kind: 'string', default: '06:00, 14:00, 22:00', pattern: /^\s*\d{1,2}:\d{2}(\s*[,;\s]\s*\d{1,2}:\d{2})*\s*$/, label: 'shift starts', message: 'shifts', when: isShifts },
  timezone: { kind: 'string', default: 'UTC', label: 'time zone' },
  // A list from the dialog's checkboxes (or "mean, twa" written by hand).
  aggregates: { kind: 'value', default: ['mean'], label: 'aggregates', message: 'aggregates', explain: 'no aggregate selected: pick at least one (e.g. mean or twa)', status: 'no aggregate selected', check: (v) => v === undefined || (Array.isArray(v) ? v.length > 0 : String(v ?? '').trim() !== '') },
  rollover: { kind: 'number', default: '', min: 0, label: 'rollover', message: 'rollover' },
  grace: { kind: 'number', default: 2, min: 0, max: 86_400, unit: 's', label: 'grace (s)', message: 'grace' },
  closeOn: enumOf(['clock', 'data'] as const, 'close on'),
  emitEmpty: { kind: 'boolean', default: false, label: 'emit empty windows' },
  timestamp: enumOf(['end', 'start'] as const, 'timestamp'),
  output: enumOf(['each', 'batch'] as const, 'output'),
  maxTags: { kind: 'number', default: DEFAULT_MAX_TAGS, min: 1, max: MAX_MAX_TAGS, integer: true, label: 'max tags', message: 'maxTags' },
});

/** Checks the saved settings once, by the field spec, and derives the aggregator's settings. */
export function windowSettings(config: WindowConfig): WindowSettings {
  const p = parseFields(windowFields, config as Record<string, unknown>);
  const kind = p.kind as WindowSettings['kind'];
  const by = p.by as WindowSettings['by'];
  const align = p.align as WindowSettings['align'];
  const rawAggs = Array.isArray(p.aggregates) ? (p.aggregates as unknown[]).map(String) : String(p.aggregates ?? 'mean').split(/[,\s]+/).filter(Boolean);
  const aggregates: AggregateName[] = [];
  for (const a of rawAggs) {
    if (!(AGGREGATES as readonly string[]).includes(a)) throw new PlantwireError('bad-config', `unknown aggregate "${a}": use ${AGGREGATES.join(', ')}`, `unknown aggregate "${a}"`);
    if (!aggregates.includes(a as AggregateName)) aggregates.push(a as AggregateName);
  }
  const time = by === 'time';
  const shifts = time && kind === 'tumbling' && align === 'shifts';
  const sliding = kind === 'sliding';
  return {
    kind,
    by,
    sizeMs: time && !shifts ? Math.round(p.size * 1000) : 0,
    hopMs: time && !shifts && sliding ? Math.round(p.hop * 1000) : 0,
    count: time ? 0 : p.count,
    hopCount: !time && sliding ? p.hopCount : 0,
    align,
    offsetMs: time && !shifts ? Math.round(p.offset * 1000) : 0,
    // Shift starts are checked as times of day, the zone against the runtime's time zone data.
    shifts: shifts ? parseShiftStarts(p.shifts) : [],
    timezone: shifts ? checkTimeZone(p.timezone || 'UTC') : 'UTC',
    aggregates,
    rollover: Number.isNaN(p.rollover) ? 0 : p.rollover,
    // The dialog starts a node with 2 s of grace; settings given without one (from code, not a saved flow) close at once, as they always did.
    graceMs: config.grace === undefined ? 0 : Math.round(p.grace * 1000),
    closeOn: p.closeOn as WindowSettings['closeOn'],
    emitEmpty: p.emitEmpty,
    timestamp: p.timestamp as WindowSettings['timestamp'],
    output: p.output as WindowSettings['output'],
    maxTags: p.maxTags,
  };
}

/** A sample as the window keeps it. `num` is NaN when it has no numeric value (then it is a bad-quality gap). */
interface Point {
  t: number;
  value: SampleValue;
  num: number;
  quality: Quality;
}

/** Counter increase from `prev` to `cur` under the rollover/reset rule. */
export function counterIncrease(prev: number, cur: number, rollover: number): number {
  if (cur >= prev) return cur - prev;
  if (rollover > 0) {
    const wrapped = rollover - prev + cur;
    if (wrapped <= rollover / 2) return wrapped;
  }
  return cur;
}

/** The running aggregates of one window. */
class Accumulator {
  count = 0;
  numCount = 0;
  excluded = 0;
  sum = 0;
  mean = 0;
  m2 = 0;
  min = Infinity;
  max = -Infinity;
  first: Point | null = null;
  last: Point | null = null;
  lastNum = NaN;
  integral = 0;
  covered = 0;
  holdT: number;
  holdV: number;
  prevCounter: number;
  delta = 0;
  /** Worst quality of the numeric samples. */
  quality: Quality = 'good';
  /** Worst quality of all samples. */
  allQuality: Quality = 'good';

  constructor(
    readonly start: number,
    carry: Point | null,
    private readonly rollover: number,
    holdFromCarry: boolean,
  ) {
    this.holdT = start;
    this.holdV = holdFromCarry && carry ? carry.num : NaN;
    this.prevCounter = carry ? (carry.num === carry.num ? carry.num : NaN) : NaN;
  }

  add(p: Point): void {
    this.count += 1;
    this.allQuality = worse(this.allQuality, p.quality);
    if (this.first === null) this.first = p;
    this.last = p;
    const hv = this.holdV;
    if (hv === hv) {
      const dt = p.t - this.holdT;
      this.integral += hv * dt;
      this.covered += dt;
    }
    this.holdT = p.t;
    this.holdV = p.num;
    const x = p.num;
    if (x !== x) {
      this.excluded += 1;
      return;
    }
    this.quality = worse(this.quality, p.quality);
    this.numCount += 1;
    this.lastNum = x;
    this.sum += x;
    const d = x - this.mean;
    this.mean += d / this.numCount;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
    const pc = this.prevCounter;
    if (pc === pc) this.delta += counterIncrease(pc, x, this.rollover);
    this.prevCounter = x;
  }

  /** Closes the hold interval at `end`; returns the TWA (NaN without numeric data). */
  twa(end: number): number {
    let integral = this.integral;
    let covered = this.covered;
    const hv = this.holdV;
    if (hv === hv && end > this.holdT) {
      integral += hv * (end - this.holdT);
      covered += end - this.holdT;
    }
    if (covered > 0) return integral / covered;
    return this.numCount > 0 ? this.lastNum : NaN;
  }
}

export interface LateSample {
  sample: TagSample;
  reason: 'out-of-order' | 'window-closed' | 'tag-limit' | 'buffer-full';
  /** Readable explanation for msg.late.message. */
  message: string;
}

export interface WindowResult {
  aggregates: TagSample[];
  late: LateSample[];
}

interface TagState {
  /** Newest sample time accepted. */
  lastTs: number;
  /** End of the last emitted (time) window: samples before it are late. */
  closedUntil: number;
  /** The last sample before the open window / buffer (held value, counter base). */
  carry: Point | null;
  /** Newest point accepted. */
  last: Point | null;
  unit: string | undefined;
  asset: string | undefined;
  // tumbling time / tumbling count
  acc: Accumulator | null;
  span: Span | null;
  // sliding (time and count): points in time order
  points: Point[];
  /** Sliding time: the next boundary to emit. */
  nextB: number;
  /** Sliding count: samples since the last emission. */
  sinceEmit: number;
}

export class WindowAggregator {
  readonly tags: TagTable<TagState>;
  private readonly calendar: Calendar | null;
  private readonly needsNumbers: boolean;
  private readonly aggregateLabel: string;
  /** Late samples seen (for the status). */
  lateCount = 0;

  constructor(readonly settings: WindowSettings) {
    this.tags = new TagTable<TagState>(settings.maxTags);
    this.calendar =
      settings.by !== 'time'
        ? null
        : settings.align === 'shifts'
          ? shiftCalendar(settings.shifts, settings.timezone)
          : intervalCalendar(settings.kind === 'sliding' ? settings.hopMs : settings.sizeMs, settings.offsetMs);
    this.needsNumbers = settings.aggregates.some((a) => !NON_NUMERIC.has(a));
    this.aggregateLabel = settings.aggregates.join(',');
  }

  /** Describes the windows for the status text. */
  describe(): string {
    const s = this.settings;
    const what = s.aggregates.join('/');
    if (s.by === 'count') return `${what} of ${s.count} samples${s.kind === 'sliding' ? ` every ${s.hopCount}` : ''}`;
    if (s.align === 'shifts') return `${what} per shift`;
    return `${what} per ${fmtDuration(s.sizeMs)}${s.kind === 'sliding' ? ` every ${fmtDuration(s.hopMs)}` : ''}`;
  }

  /**
   * Adds samples (already validated as tag samples). In close mode "clock",
   * windows due at `now` are closed first. All-or-nothing: a value that no
   * configured aggregate can use throws before any state changes.
   */
  add(samples: TagSample[], now: number, isBatch = true): WindowResult {
    const points: Point[] = new Array(samples.length);
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      points[i] = this.point(s, i, isBatch);
    }
    const out: WindowResult = { aggregates: this.settings.closeOn === 'clock' ? this.advance(now) : [], late: [] };
    for (let i = 0; i < samples.length; i++) this.addPoint(samples[i]!, points[i]!, now, out);
    return out;
  }

  private point(s: TagSample, i: number, isBatch: boolean): Point {
    const t = timestampMs(s.sourceTimestamp);
    const v = s.value;
    let num: number;
    if (typeof v === 'number') num = v;
    else if (typeof v === 'boolean') num = v ? 1 : 0;
    else if (s.quality === 'bad' || !this.needsNumbers) num = NaN;
    else num = numericValue(s, sampleWhere(isBatch, i), `compute ${this.aggregateLabel}`, true);
    if (this.settings.rollover > 0 && this.settings.aggregates.includes('delta') && num === num && (num < 0 || num >= this.settings.rollover)) {
      throw new PlantwireError('bad-value', `${sampleWhere(isBatch, i)}.value ${num} (tag ${s.tag}) is outside the counter range 0 … ${this.settings.rollover} (the rollover value)`, 'counter outside rollover range');
    }
    return { t, value: v, num, quality: s.quality };
  }

  private state(s: TagSample): TagState | null {
    let st = this.tags.get(s.tag);
    if (st) return st;
    st = { lastTs: -Infinity, closedUntil: -Infinity, carry: null, last: null, unit: undefined, asset: undefined, acc: null, span: null, points: [], nextB: NaN, sinceEmit: 0 };
    return this.tags.add(s.tag, st) ? st : null;
  }

  private addPoint(s: TagSample, p: Point, now: number, out: WindowResult): void {
    const st = this.state(s);
    if (!st) {
      this.late(out, s, 'tag-limit', `tag limit of ${this.settings.maxTags} tags reached: ${s.tag} is not aggregated (raise "max tags")`);
      return;
    }
    if (p.t < st.lastTs) {
      this.late(out, s, 'out-of-order', `${s.tag}: sample of ${s.sourceTimestamp} is older than the newest sample of this tag (${isoOf(st.lastTs)})`);
      return;
    }
    if (p.t < st.closedUntil) {
      this.late(out, s, 'window-closed', `${s.tag}: the window holding ${s.sourceTimestamp} was already emitted (it closed at ${isoOf(st.closedUntil)} + grace)`);
      return;
    }
    const set = this.settings;
    if (set.by === 'time' && set.closeOn === 'clock') {
      // add() has closed every window due at `now`, so a sample whose (first) window is due is late.
      const span = this.calendar!.windowAt(p.t);
      if (span.end + set.graceMs <= now) {
        this.late(out, s, 'window-closed', `${s.tag}: sample of ${s.sourceTimestamp} arrived after its window closed (${isoOf(span.end)} + ${set.graceMs / 1000} s grace)`);
        return;
      }
    }
    if (set.by === 'time' && set.kind === 'sliding' && st.points.length >= MAX_POINTS_PER_TAG) {
      this.late(out, s, 'buffer-full', `${s.tag}: the sliding window already holds ${MAX_POINTS_PER_TAG} samples: use a shorter window or fewer samples`);
      return;
    }
    st.lastTs = p.t;
    if (s.unit !== undefined) st.unit = s.unit;
    if (s.asset !== undefined) st.asset = s.asset;
    if (set.by === 'time') {
      if (set.kind === 'tumbling') this.addTumblingTime(s.tag, st, p, out.aggregates);
      else this.addSlidingTime(s.tag, st, p, out.aggregates);
    } else if (set.kind === 'tumbling') {
      this.addTumblingCount(s.tag, st, p, out.aggregates);
    } else {
      this.addSlidingCount(s.tag, st, p, out.aggregates);
    }
    st.last = p;
  }

  private late(out: WindowResult, sample: TagSample, reason: LateSample['reason'], message: string): void {
    this.lateCount += 1;
    out.late.push({ sample, reason, message });
  }

  // ---------------------------------------------------------------- tumbling time

  private addTumblingTime(tag: string, st: TagState, p: Point, emit: TagSample[]): void {
    if (st.acc && st.span && p.t >= st.span.end) this.closeTumbling(tag, st, emit);
    if (!st.acc) {
      const span = this.calendar!.windowAt(p.t);
      if (this.settings.emitEmpty && st.carry && Number.isFinite(st.closedUntil)) this.emitHeldUntil(tag, st, span.start, emit);
      st.span = span;
      st.acc = new Accumulator(span.start, st.carry, this.settings.rollover, true);
    }
    st.acc.add(p);
  }

  /** Emits the open window; its last sample becomes the carry (held value, counter base). */
  private closeTumbling(tag: string, st: TagState, emit: TagSample[]): void {
    const acc = st.acc!;
    const span = st.span!;
    emit.push(this.aggregateSample(tag, st, acc, span.start, span.end));
    st.carry = st.last;
    st.closedUntil = span.end;
    st.acc = null;
  }

  /** Emits held-value windows from closedUntil up to (not including) `until`. */
  private emitHeldUntil(tag: string, st: TagState, until: number, emit: TagSample[]): void {
    let n = 0;
    while (st.closedUntil < until && st.carry) {
      const span = this.calendar!.windowAt(st.closedUntil);
      if (span.end > until) break;
      if (n >= MAX_EMPTY_WINDOWS) {
        st.closedUntil = until;
        break;
      }
      emit.push(this.aggregateSample(tag, st, new Accumulator(span.start, st.carry, this.settings.rollover, true), span.start, span.end));
      st.closedUntil = span.end;
      n += 1;
    }
  }

  // ----------------------------------------------------------------- sliding time

  private addSlidingTime(tag: string, st: TagState, p: Point, emit: TagSample[]): void {
    if (st.nextB !== st.nextB) st.nextB = this.calendar!.windowAt(p.t).end;
    if (p.t >= st.nextB) this.emitSlidingUntil(tag, st, p.t, emit);
    st.points.push(p);
  }

  /** Emits every sliding window whose boundary is ≤ t (a point at t belongs to later windows). */
  private emitSlidingUntil(tag: string, st: TagState, t: number, emit: TagSample[]): void {
    const { sizeMs, hopMs, emitEmpty } = this.settings;
    let empties = 0;
    while (st.nextB <= t) {
      const b = st.nextB;
      const start = b - sizeMs;
      // Points before the window move into the carry.
      let drop = 0;
      while (drop < st.points.length && st.points[drop]!.t < start) drop++;
      if (drop > 0) {
        st.carry = st.points[drop - 1]!;
        st.points.splice(0, drop);
      }
      const hasPoints = st.points.length > 0 && st.points[0]!.t < b;
      if (hasPoints || (emitEmpty && st.carry && empties < MAX_EMPTY_WINDOWS)) {
        const acc = new Accumulator(start, st.carry, this.settings.rollover, true);
        for (const q of st.points) {
          if (q.t >= b) break;
          acc.add(q);
        }
        emit.push(this.aggregateSample(tag, st, acc, start, b));
        if (!hasPoints) empties++;
      }
      st.closedUntil = b;
      st.nextB = b + hopMs;
      const nextHasPoints = st.points.length > 0 && st.points[st.points.length - 1]!.t >= st.nextB - sizeMs;
      const holdable = st.carry !== null || st.points.length > 0;
      if (!nextHasPoints && (!emitEmpty || !holdable || empties >= MAX_EMPTY_WINDOWS)) {
        // Every window up to t's is empty: skip them.
        if (st.points.length > 0) {
          st.carry = st.points[st.points.length - 1]!;
          st.points = [];
        }
        const jump = this.calendar!.windowAt(t).end;
        if (jump > st.nextB) st.nextB = jump;
      }
    }
  }

  // ---------------------------------------------------------------------- count

  private addTumblingCount(tag: string, st: TagState, p: Point, emit: TagSample[]): void {
    if (!st.acc) st.acc = new Accumulator(p.t, st.carry, this.settings.rollover, false);
    st.acc.add(p);
    if (st.acc.count >= this.settings.count) {
      const acc = st.acc;
      emit.push(this.aggregateSample(tag, st, acc, acc.first!.t, p.t));
      st.carry = p;
      st.acc = null;
    }
  }

  private addSlidingCount(tag: string, st: TagState, p: Point, emit: TagSample[]): void {
    st.points.push(p);
    if (st.points.length > this.settings.count) st.carry = st.points.shift()!;
    st.sinceEmit += 1;
    if (st.points.length >= this.settings.count && st.sinceEmit >= this.settings.hopCount) {
      emit.push(this.countWindowSample(tag, st));
      st.sinceEmit = 0;
    }
  }

  private countWindowSample(tag: string, st: TagState): TagSample {
    const first = st.points[0]!;
    const acc = new Accumulator(first.t, st.carry, this.settings.rollover, false);
    for (const q of st.points) acc.add(q);
    return this.aggregateSample(tag, st, acc, first.t, st.points[st.points.length - 1]!.t);
  }

  // ----------------------------------------------------------------- closing

  /**
   * Closes every time window due at `now` (end + grace ≤ now) — the node's
   * timer calls this in close mode "clock". Count windows never close on
   * the clock.
   */
  advance(now: number): TagSample[] {
    const emit: TagSample[] = [];
    const set = this.settings;
    if (set.by !== 'time') return emit;
    const limit = now - set.graceMs;
    for (const [tag, st] of this.tags.entries()) {
      if (set.kind === 'tumbling') {
        if (st.acc && st.span && st.span.end <= limit) this.closeTumbling(tag, st, emit);
        if (!st.acc && set.emitEmpty && st.carry && Number.isFinite(st.closedUntil)) {
          const current = this.calendar!.windowAt(limit);
          this.emitHeldUntil(tag, st, current.start, emit);
        }
      } else if (st.nextB === st.nextB && st.nextB <= limit) {
        this.emitSlidingUntil(tag, st, limit, emit);
      }
    }
    return emit;
  }

  /** When the clock next closes a window (epoch ms), for the node's timer; Infinity when nothing is open. */
  nextCloseAt(now: number): number {
    const set = this.settings;
    if (set.by !== 'time' || this.tags.size === 0) return Infinity;
    return this.calendar!.windowAt(now - set.graceMs).end + set.graceMs;
  }

  /** Closes every open window now (flush command): time windows as if their end had passed, count windows with the samples they have. */
  flush(): TagSample[] {
    const emit: TagSample[] = [];
    const set = this.settings;
    for (const [tag, st] of this.tags.entries()) {
      if (set.by === 'time' && set.kind === 'tumbling') {
        if (st.acc) this.closeTumbling(tag, st, emit);
      } else if (set.by === 'time') {
        // Close every window up to the one holding the newest sample.
        if (st.points.length > 0 && st.nextB === st.nextB) this.emitSlidingUntil(tag, st, this.calendar!.windowAt(st.lastTs).end, emit);
      } else if (set.kind === 'tumbling') {
        if (st.acc) {
          const acc = st.acc;
          emit.push(this.aggregateSample(tag, st, acc, acc.first!.t, acc.last!.t));
          st.carry = acc.last;
          st.acc = null;
        }
      } else if (st.points.length > 0 && st.sinceEmit > 0) {
        emit.push(this.countWindowSample(tag, st));
        st.sinceEmit = 0;
      }
    }
    return emit;
  }

  // ----------------------------------------------------------------- output

  private aggregateSample(tag: string, st: TagState, acc: Accumulator, start: number, end: number): TagSample {
    const aggs = this.settings.aggregates;
    const held = acc.count === 0;
    let quality: Quality;
    if (held) quality = st.carry?.quality ?? 'bad';
    else if (this.needsNumbers && acc.numCount === 0) quality = 'bad';
    else if (!this.needsNumbers) quality = acc.allQuality;
    else {
      quality = acc.quality;
      if (acc.excluded > 0 && quality === 'good') quality = 'uncertain';
    }
    let value: SampleValue;
    if (aggs.length === 1) value = this.aggregateValue(aggs[0]!, acc, st, end, held);
    else {
      const obj: Record<string, SampleValue> = {};
      for (const a of aggs) obj[a] = this.aggregateValue(a, acc, st, end, held);
      value = obj;
    }
    const out: TagSample = {
      tag,
      value,
      quality,
      sourceTimestamp: isoOf(this.settings.timestamp === 'start' ? start : end),
    };
    if (st.unit !== undefined && !(aggs.length === 1 && aggs[0] === 'count')) out.unit = st.unit;
    if (st.asset !== undefined) out.asset = st.asset;
    out.window = { start: isoOf(start), end: isoOf(end), count: acc.count, aggregate: this.aggregateLabel };
    return out;
  }

  private aggregateValue(a: AggregateName, acc: Accumulator, st: TagState, end: number, held: boolean): SampleValue {
    const num = (x: number): number | null => (Number.isFinite(x) ? x : null);
    if (held) {
      const h = st.carry;
      const hv = h ? (h.num === h.num ? h.num : null) : null;
      switch (a) {
        case 'count':
        case 'sum':
        case 'delta':
        case 'stddev':
          return 0;
        case 'first':
        case 'last':
          return h ? h.value : null;
        default:
          return hv;
      }
    }
    switch (a) {
      case 'count':
        return acc.count;
      case 'first':
        return acc.first ? acc.first.value : null;
      case 'last':
        return acc.last ? acc.last.value : null;
      case 'min':
        return acc.numCount ? acc.min : null;
      case 'max':
        return acc.numCount ? acc.max : null;
      case 'sum':
        return acc.numCount ? acc.sum : null;
      case 'mean':
        return acc.numCount ? acc.mean : null;
      case 'stddev':
        return acc.numCount ? (acc.numCount > 1 ? Math.sqrt(acc.m2 / (acc.numCount - 1)) : 0) : null;
      case 'twa':
        return num(acc.twa(end));
      case 'delta':
        return acc.numCount ? acc.delta : null;
    }
  }
}

function fmtDuration(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  if (ms % 1000 === 0) return `${ms / 1000} s`;
  return `${ms} ms`;
}
