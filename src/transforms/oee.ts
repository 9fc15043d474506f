/**
 * plantwire-oee: Overall Equipment Effectiveness per line (or asset) and per
 * period (shift or clock interval, the window node's calendar), from a
 * machine-state tag, production counters and the ideal cycle time. Pure: the
 * node passes the clock (`now`, epoch ms) and sends what comes back.
 *
 * Hand-written, because no maintained library computes OEE from a stream of
 * tag samples (UMH does it inside its own stack, FlowFuse's blueprint with
 * function nodes); the definitions follow the usual OEE literature
 * (Nakajima's six big losses; A × P × Q):
 *
 * - Time comes from the samples' sourceTimestamp. A machine state holds until
 *   the line's next state sample (step). Time before the first state sample
 *   of a line, and after a `bad` state sample, is **unknown**: it counts for
 *   nothing and makes the result `uncertain`.
 * - Each state falls into a category: running, planned stop (breaks, planned
 *   maintenance, no orders: outside the planned production time), setup
 *   (changeover and adjustments) or — every other state — an unplanned stop
 *   (breakdown). A stop (setup or unplanned) shorter than the micro-stop
 *   threshold is a **micro-stop**: its time stays in the run time and shows as
 *   a performance loss ("idling and minor stops"), not as downtime. A stop
 *   still going on when a period closes or a running value is taken is judged
 *   by its length so far.
 * - planned time = period time − planned stops − unknown time
 *   run time     = planned time − downtime (stops ≥ threshold)
 *   A = run time / planned time
 *   P = ideal cycle time × total count / run time
 *   Q = good count / total count
 *   OEE = ideal cycle time × good count / planned time  (= A × P × Q)
 *   A, P or Q is null when its denominator is 0; OEE is null without planned time.
 * - The six big losses, in seconds, add up with the fully productive time
 *   (ideal cycle time × good count) to the planned time: breakdowns and setup
 *   (availability), small stops and reduced speed (performance; reduced speed =
 *   run time − ideal cycle time × total − small stops, negative when the
 *   ideal cycle time is set too long), start-up rejects and production
 *   rejects (quality; ideal cycle time × rejects; a reject counted within the
 *   start-up time after the line went to running is a start-up reject).
 * - Counts: counter tags (cumulative, as PLCs count: the increase between
 *   samples, with rollover or reset like the window node's delta) or
 *   increments (each sample's value is the number made since the last one).
 *   A count belongs to the period holding its sample's timestamp. Good =
 *   total − rejects when a reject tag is given (never below 0), or the good
 *   tag's count; total = good + rejects when only those two are given.
 * - A period closes at its end + grace: when a newer sample of the same line
 *   arrives, or when the clock passes it. A sample older than the period
 *   already emitted, or older than the newest sample of its role (state,
 *   count …) on its line, is **late**: it changes nothing and is returned.
 * - Reason codes: a state value may be a text ("Fault"), a number mapped
 *   through the code table ("17=Fault: motor overload"; an unmapped number is
 *   an unplanned stop with reason "code 17"), an object `{state, reason}`, or
 *   a boolean (true = running). A separate reason tag, when configured, names
 *   the reason of the current (or next) stop.
 * - Bounded state: at most `maxLines` lines (further lines' samples are
 *   refused and returned), at most MAX_REASONS reasons per period (the rest
 *   are summed as "other reasons"), at most MAX_EMPTY_PERIODS periods emitted
 *   for one gap.
 */
import { PlantwireError } from '../model/errors';
import type { Quality, SampleValue, TagSample } from '../model/sample';
import { defineFields, mustBeOneOf, parseFields } from '../model/fields';
import { checkTimeZone, intervalCalendar, parseShiftStarts, shiftCalendar, type Calendar } from './calendar';
import { isoOf, sampleWhere, timestampMs } from './samples';
import { TagTable } from './tag-table';
import { counterIncrease } from './window';

export const MAX_REASONS = 50;
export const MAX_EMPTY_PERIODS = 1000;
export const DEFAULT_MAX_LINES = 1000;

export type StateCategory = 'running' | 'planned' | 'setup' | 'unplanned' | 'unknown';
export type Role = 'state' | 'reason' | 'total' | 'good' | 'reject';
const ROLES: readonly Role[] = ['state', 'reason', 'total', 'good', 'reject'];

export interface OeeConfig {
  stateTag?: string;
  reasonTag?: string;
  totalTag?: string;
  goodTag?: string;
  rejectTag?: string;
  /** 'counter' (cumulative) or 'increment'. */
  countMode?: string;
  rollover?: number | string;
  /** Ideal cycle time in seconds per unit. */
  idealCycle?: number | string;
  /** Per-line ideal cycle times: "Line1=0.1, Line2=0.125". */
  idealCycleLines?: string;
  runningStates?: string;
  plannedStates?: string;
  setupStates?: string;
  /** Code table: "1=Running; 2=Idle; 17=Fault: motor overload". */
  codes?: string;
  /** Seconds: stops shorter than this are micro-stops. */
  microStop?: number | string;
  /** Seconds after going to running in which rejects count as start-up rejects. */
  startup?: number | string;
  align?: string;
  size?: number | string;
  offset?: number | string;
  shifts?: string;
  timezone?: string;
  grace?: number | string;
  closeOn?: string;
  maxLines?: number | string;
  /** Seconds between running values (0: only when a period closes). */
  update?: number | string;
  output?: string;
}

interface Pattern {
  /** The tag as configured. */
  text: string;
  /** Segments; '+' matches one segment (the line). */
  parts: string[];
  /** Index of the '+' segment, -1 when none (the line is the sample's asset). */
  lineAt: number;
}

export interface CodeEntry {
  state: string;
  reason?: string;
}

export interface OeeSettings {
  patterns: Partial<Record<Role, Pattern>>;
  countMode: 'counter' | 'increment';
  rollover: number;
  idealCycleS: number;
  idealCycleLines: Map<string, number>;
  running: Set<string>;
  planned: Set<string>;
  setup: Set<string>;
  codes: Map<number, CodeEntry>;
  microStopMs: number;
  startupMs: number;
  align: 'shifts' | 'interval';
  sizeMs: number;
  offsetMs: number;
  shifts: number[];
  timezone: string;
  graceMs: number;
  closeOn: 'clock' | 'data';
  maxLines: number;
  /** Running values every this many ms (0: only when a period closes). */
  updateMs: number;
  /** Results of one close: one message each, or one batch. */
  output: 'each' | 'batch';
}

function bad(message: string, status: string): PlantwireError {
  return new PlantwireError('bad-config', message, status);
}

function pattern(text: unknown, label: string): Pattern | undefined {
  const t = typeof text === 'string' ? text.trim() : '';
  if (t === '') return undefined;
  const parts = t.split('/');
  if (parts.some((p) => p === '')) throw bad(`${label} "${t}" has an empty path segment`, `bad ${label}`);
  const plus = parts.flatMap((p, i) => (p === '+' ? [i] : []));
  if (plus.length > 1) throw bad(`${label} "${t}" has more than one "+": one "+" stands for the line name`, `bad ${label}`);
  if (parts.some((p) => p !== '+' && (p.includes('+') || p.includes('#')))) throw bad(`${label} "${t}": "+" must be a whole path segment (e.g. +/State) and "#" is not supported`, `bad ${label}`);
  return { text: t, parts, lineAt: plus[0] ?? -1 };
}

function nameList(text: unknown, fallback: string): Set<string> {
  const t = text === undefined || text === null ? fallback : String(text);
  return new Set(
    t
      .split(/[,;\n]/)
      .map((s) => s.trim())
      .filter(Boolean),
  );
}

/** Parses "1=Running; 2=Idle; 17=Fault: motor overload" (also one entry per line). */
export function parseCodes(text: unknown): Map<number, CodeEntry> {
  const out = new Map<number, CodeEntry>();
  const t = typeof text === 'string' ? text : '';
  for (const raw of t.split(/[;\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^(-?\d+)\s*=\s*([^:]+?)\s*(?::\s*(.+))?$/.exec(entry);
    if (!m) throw bad(`reason code "${entry}" is not "code=State" or "code=State: reason", e.g. 17=Fault: motor overload`, `bad reason code "${entry}"`);
    const e: CodeEntry = { state: m[2]! };
    if (m[3]) e.reason = m[3].trim();
    out.set(Number(m[1]), e);
  }
  return out;
}

function parseLineCycles(text: unknown): Map<string, number> {
  const out = new Map<string, number>();
  const t = typeof text === 'string' ? text : '';
  for (const raw of t.split(/[,;\n]/)) {
    const entry = raw.trim();
    if (!entry) continue;
    const m = /^(.+?)\s*=\s*(.+)$/.exec(entry);
    const v = m ? Number(m[2]) : NaN;
    if (!m || !(v > 0) || !Number.isFinite(v)) throw bad(`ideal cycle time per line "${entry}" is not "line=seconds" with seconds above 0, e.g. Line2=0.125`, `bad ideal cycle "${entry}"`);
    out.set(m[1]!, v);
  }
  return out;
}

const enumOf = <T extends string>(options: readonly T[], label: string) => ({ kind: 'enum' as const, options, default: options[0]!, label, explain: mustBeOneOf(options), status: `bad ${label}` });
const given = (v: unknown): boolean => String(v ?? '').trim() !== '';

/**
 * The settings of plantwire-oee, declared once: the dialog's defaults and
 * validators (nodes/plantwire-oee/fields.ts), the check at deploy
 * (`oeeSettings`) and the help's settings table come from here. Lists and
 * tables (states, codes, per-line cycle times, shift starts) are read by the
 * field's parser, in the dialog too.
 */
export const oeeFields = defineFields('plantwire-oee', 1, {
  stateTag: { kind: 'string', default: '+/State', required: true, pattern: /^\S/, label: 'machine state tag', message: 'stateTag', explain: (v) => (given(v) ? 'must not start with a space' : 'is empty: enter the tag holding the machine state, e.g. +/State (+ stands for the line)'), status: 'no machine state tag' },
  reasonTag: { kind: 'string', default: '', label: 'reason tag' },
  totalTag: { kind: 'string', default: '+/Filler/FillCount', label: 'total count tag' },
  goodTag: { kind: 'string', default: '', label: 'good count tag' },
  // Two of the three counts give the third.
  rejectTag: { kind: 'string', default: '+/Inspector/RejectCount', label: 'reject count tag', message: 'counts', check: (v, c) => [c.totalTag, c.goodTag, v].filter(given).length >= 2, explain: 'give two of the count tags: total and good, total and reject, or good and reject', status: 'two count tags needed' },
  countMode: enumOf(['counter', 'increment'] as const, 'count mode'),
  rollover: { kind: 'number', default: '', min: 0, label: 'counter rollover', message: 'rollover' },
  idealCycle: { kind: 'number', default: 0.1, min: 1e-6, unit: 's', required: true, label: 'ideal cycle time (s)', message: 'idealCycle' },
  idealCycleLines: { kind: 'string', default: '', label: 'ideal cycle time per line', message: 'idealCycleLines', parse: (v) => parseLineCycles(v) },
  runningStates: { kind: 'string', default: 'Running', label: 'running states', message: 'runningStates', check: (v) => v === undefined || v === null || nameList(v, '').size > 0, explain: 'are empty: name the state(s) in which the line produces, e.g. Running', status: 'no running state' },
  plannedStates: { kind: 'string', default: 'Planned stop, Break, No order', label: 'planned stops' },
  setupStates: { kind: 'string', default: 'Setup, Changeover', label: 'setup states' },
  codes: { kind: 'string', default: '', label: 'state codes', message: 'codes', parse: (v) => parseCodes(v) },
  microStop: { kind: 'number', default: 120, min: 0, max: 86_400, unit: 's', label: 'micro-stop threshold (s)', message: 'seconds' },
  startup: { kind: 'number', default: 0, min: 0, max: 86_400, unit: 's', label: 'start-up time (s)', message: 'seconds' },
  align: enumOf(['shifts', 'interval'] as const, 'period'),
  size: { kind: 'number', default: 3600, min: 1, max: 366 * 86_400, unit: 's', required: true, label: 'period length (s)', message: 'size', when: (c) => c.align === 'interval' },
  offset: { kind: 'number', default: 0, unit: 's', label: 'offset (s)', message: 'offset' },
  shifts: { kind: 'string', default: '06:00, 14:00, 22:00', label: 'shift starts', message: 'shifts', when: (c) => c.align === 'shifts', parse: (v) => parseShiftStarts(String(v ?? '06:00, 14:00, 22:00')) },
  timezone: { kind: 'string', default: 'UTC', label: 'time zone' },
  grace: { kind: 'number', default: 5, min: 0, max: 86_400, unit: 's', label: 'grace (s)', message: 'seconds' },
  closeOn: enumOf(['clock', 'data'] as const, 'close on'),
  update: { kind: 'number', default: 10, min: 0, max: 86_400, unit: 's', label: 'running value every (s)', message: 'seconds' },
  output: enumOf(['each', 'batch'] as const, 'output'),
  maxLines: { kind: 'number', default: DEFAULT_MAX_LINES, min: 1, max: 1_000_000, integer: true, label: 'max lines', message: 'maxLines' },
});

/** Checks the saved settings once, by the field spec, and derives the calculator's settings. */
export function oeeSettings(config: OeeConfig): OeeSettings {
  const cfg = config as Record<string, unknown>;
  const p = parseFields(oeeFields, cfg);
  // Tags not given (settings from code) are left out, not taken from the dialog's starting values.
  const patterns: Partial<Record<Role, Pattern>> = {};
  const labels: Record<Role, string> = { state: 'machine state tag', reason: 'reason tag', total: 'total count tag', good: 'good count tag', reject: 'reject count tag' };
  for (const r of ROLES) {
    const pt = pattern(cfg[`${r}Tag`], labels[r]);
    if (pt) patterns[r] = pt;
  }
  const state = patterns.state!;
  for (const r of ROLES) {
    const pt = patterns[r];
    if (pt && (pt.lineAt === -1) !== (state.lineAt === -1)) throw bad(`all tags must use "+" for the line, or none of them (then the line is the sample's asset): ${labels[r]} "${pt.text}" vs machine state tag "${state.text}"`, 'mixed "+" in tags');
  }
  const align = p.align as OeeSettings['align'];
  const running = nameList(config.runningStates, 'Running');
  const planned = nameList(config.plannedStates, 'Planned stop, Break, No order');
  const setup = nameList(config.setupStates, 'Setup, Changeover');
  for (const s of running) {
    if (planned.has(s) || setup.has(s)) throw bad(`state "${s}" is listed as running and as a stop`, `"${s}" listed twice`);
  }
  for (const s of planned) if (setup.has(s)) throw bad(`state "${s}" is listed as planned stop and as setup`, `"${s}" listed twice`);
  return {
    patterns,
    countMode: p.countMode as OeeSettings['countMode'],
    rollover: Number.isNaN(p.rollover) ? 0 : p.rollover,
    idealCycleS: p.idealCycle,
    idealCycleLines: p.idealCycleLines,
    running,
    planned,
    setup,
    codes: p.codes,
    microStopMs: Math.round(p.microStop * 1000),
    startupMs: Math.round(p.startup * 1000),
    align,
    sizeMs: align === 'interval' ? Math.round(p.size * 1000) : 0,
    offsetMs: align === 'interval' ? Math.round(p.offset * 1000) : 0,
    // The zone is checked against the runtime's time zone data.
    shifts: align === 'shifts' ? p.shifts : [],
    timezone: align === 'shifts' ? checkTimeZone(String(config.timezone ?? 'UTC')) : 'UTC',
    // The dialog starts a node with 5 s of grace; settings given without one (from code, not a saved flow) close at once, as they always did.
    graceMs: config.grace === undefined ? 0 : Math.round(p.grace * 1000),
    closeOn: p.closeOn as OeeSettings['closeOn'],
    maxLines: p.maxLines,
    updateMs: Math.round(p.update * 1000),
    output: p.output as OeeSettings['output'],
  };
}

// ------------------------------------------------------------------ state

interface ReasonStat {
  reason: string;
  category: 'setup' | 'unplanned';
  stops: number;
  microStops: number;
  ms: number;
}

/** The accounting of one line in one period. */
interface PeriodAcc {
  start: number;
  end: number;
  runMs: number;
  plannedStopMs: number;
  unknownMs: number;
  breakdownMs: number;
  setupMs: number;
  microMs: number;
  /** Time of the stop still going on (not yet judged micro or not). */
  pendingMs: number;
  stops: number;
  microStops: number;
  total: number;
  good: number;
  reject: number;
  startupReject: number;
  samples: number;
  worst: Quality;
  reasons: Map<string, ReasonStat>;
}

interface Stop {
  start: number;
  category: 'setup' | 'unplanned';
  state: string;
  reason: string;
  /** Counted in a period already (a stop spanning a period close). */
  counted: boolean;
}

interface LineState {
  line: string;
  asset: string | undefined;
  /** Current machine state and category (null before the first state sample). */
  state: string | null;
  category: StateCategory;
  /** Reason from the state value (code table or object). */
  stateReason: string | undefined;
  /** Reason from the reason tag, for the current or next stop. */
  reasonTagValue: string | undefined;
  /** Time up to which the state has been accounted. */
  accountedTo: number;
  stop: Stop | null;
  /** When the line last went to running (start-up rejects). */
  runStart: number;
  /** Open periods, oldest first (usually one; two within the grace time). */
  open: PeriodAcc[];
  closedUntil: number;
  lastT: Record<Role, number>;
  counterBase: Record<'total' | 'good' | 'reject', number>;
  /** Newest sample time of the line (running values in data mode). */
  newest: number;
}

export interface OeeLate {
  sample: TagSample;
  reason: 'out-of-order' | 'period-closed' | 'line-limit';
  message: string;
}

export interface OeeLossSeconds {
  breakdowns: number;
  setupAdjustments: number;
  smallStops: number;
  reducedSpeed: number;
  startupRejects: number;
  productionRejects: number;
}

export interface OeeResultValue {
  oee: number | null;
  availability: number | null;
  performance: number | null;
  quality: number | null;
  final: boolean;
  line: string;
  state: string | null;
  asOf: string;
  plannedSeconds: number;
  runSeconds: number;
  downtimeSeconds: number;
  plannedStopSeconds: number;
  unknownSeconds: number;
  fullyProductiveSeconds: number;
  totalCount: number;
  goodCount: number;
  rejectCount: number;
  idealCycleSeconds: number;
  stops: number;
  microStops: number;
  microStopSeconds: number;
  losses: OeeLossSeconds;
  reasons: Array<{ reason: string; category: string; stops: number; microStops: number; seconds: number }>;
}

export interface OeeResult {
  /** OEE result samples (periods closed, or running values). */
  results: TagSample[];
  /** Downtime events (one per stop that ended). */
  events: TagSample[];
  late: OeeLate[];
}

function newPeriod(start: number, end: number): PeriodAcc {
  return { start, end, runMs: 0, plannedStopMs: 0, unknownMs: 0, breakdownMs: 0, setupMs: 0, microMs: 0, pendingMs: 0, stops: 0, microStops: 0, total: 0, good: 0, reject: 0, startupReject: 0, samples: 0, worst: 'good', reasons: new Map() };
}

function worse(a: Quality, b: Quality): Quality {
  return a === 'bad' || b === 'bad' ? 'bad' : a === 'uncertain' || b === 'uncertain' ? 'uncertain' : 'good';
}

const sec = (ms: number): number => ms / 1000;

export class OeeCalculator {
  readonly lines: TagTable<LineState>;
  readonly calendar: Calendar;
  /** Late or refused samples seen (status). */
  lateCount = 0;
  /** Samples whose tag matched no configured role (status). */
  ignored = 0;

  constructor(readonly settings: OeeSettings) {
    this.lines = new TagTable<LineState>(settings.maxLines);
    this.calendar = settings.align === 'shifts' ? shiftCalendar(settings.shifts, settings.timezone) : intervalCalendar(settings.sizeMs, settings.offsetMs);
  }

  describe(): string {
    const s = this.settings;
    if (s.align === 'shifts') return `OEE per shift`;
    const ms = s.sizeMs;
    const d = ms % 3_600_000 === 0 ? `${ms / 3_600_000} h` : ms % 60_000 === 0 ? `${ms / 60_000} min` : `${ms / 1000} s`;
    return `OEE per ${d}`;
  }

  /** Tag → role and line (null line: the sample's asset), bounded. */
  private readonly matches = new Map<string, { role: Role; line: string | null } | null>();

  /** The role and line of a tag, or null when it is none of the configured tags. */
  match(s: TagSample): { role: Role; line: string } | null {
    let m = this.matches.get(s.tag);
    if (m === undefined) {
      m = this.matchTag(s.tag);
      if (this.matches.size >= 10_000) this.matches.clear();
      this.matches.set(s.tag, m);
    }
    if (m === null) return null;
    return { role: m.role, line: m.line ?? (s.asset || 'line') };
  }

  private matchTag(tag: string): { role: Role; line: string | null } | null {
    const parts = tag.split('/');
    for (const r of ROLES) {
      const p = this.settings.patterns[r];
      if (!p || p.parts.length !== parts.length) continue;
      let ok = true;
      for (let i = 0; i < parts.length; i++) {
        if (i !== p.lineAt && p.parts[i] !== parts[i]) {
          ok = false;
          break;
        }
      }
      if (ok) return { role: r, line: p.lineAt >= 0 ? parts[p.lineAt]! : null };
    }
    return null;
  }

  /** The state, category and reason of a state sample's value; throws a clear error for a value that cannot be a state. */
  classify(s: TagSample, where: string): { state: string; category: StateCategory; reason: string | undefined } {
    if (s.quality === 'bad') return { state: 'unknown', category: 'unknown', reason: undefined };
    const v = s.value;
    let state: string;
    let reason: string | undefined;
    if (typeof v === 'string') {
      state = v.trim();
      if (state === '') throw new PlantwireError('bad-value', `${where}.value is an empty machine state (tag ${s.tag})`, 'empty machine state');
    } else if (typeof v === 'boolean') {
      state = v ? [...this.settings.running][0]! : 'Stopped';
    } else if (typeof v === 'number') {
      if (!Number.isInteger(v)) throw new PlantwireError('bad-value', `${where}.value ${v} is not a whole-number state code (tag ${s.tag})`, 'state code not whole');
      const e = this.settings.codes.get(v);
      if (e) {
        state = e.state;
        reason = e.reason;
      } else {
        state = String(v);
        reason = `code ${v}`;
      }
    } else if (v !== null && typeof v === 'object' && !Array.isArray(v) && typeof (v as Record<string, SampleValue>).state === 'string' && ((v as Record<string, SampleValue>).state as string).trim() !== '') {
      const o = v as Record<string, SampleValue>;
      state = (o.state as string).trim();
      if (o.reason !== undefined && o.reason !== null) reason = String(o.reason);
    } else {
      throw new PlantwireError(
        'bad-value',
        `${where}.value must be a machine state — a text such as "Running", a state code number, true/false or {state, reason} — got ${JSON.stringify(v)} (tag ${s.tag})`,
        'value is not a machine state',
      );
    }
    const set = this.settings;
    const category: StateCategory = set.running.has(state) ? 'running' : set.planned.has(state) ? 'planned' : set.setup.has(state) ? 'setup' : 'unplanned';
    return { state, category, reason };
  }

  private countValue(s: TagSample, where: string): number {
    const v = s.value;
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0) {
      if (this.settings.rollover > 0 && this.settings.countMode === 'counter' && v >= this.settings.rollover) {
        throw new PlantwireError('bad-value', `${where}.value ${v} (tag ${s.tag}) is outside the counter range 0 … ${this.settings.rollover} (the rollover value)`, 'counter outside rollover range');
      }
      return v;
    }
    throw new PlantwireError(
      'not-a-number',
      `${where}.value must be a count (a number ≥ 0) to compute OEE, got ${JSON.stringify(v)} (tag ${s.tag})${typeof v === 'string' && Number.isFinite(Number(v)) ? ': a numeric string — convert it first, e.g. with plantwire-normalize' : ''}`,
      'count is not a number',
    );
  }

  /**
   * Adds samples (validated tag samples). In close mode "clock" the periods
   * due at `now` close first. All-or-nothing: a value that cannot be used
   * (a count that is no number, a state that is no state) throws before any
   * state changes.
   */
  add(samples: TagSample[], now: number, isBatch = true): OeeResult {
    const n = samples.length;
    const roles: Array<{ role: Role; line: string } | null> = new Array(n);
    const values: unknown[] = new Array(n);
    const times: number[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const s = samples[i]!;
      const m = this.match(s);
      roles[i] = m;
      if (!m) continue;
      const where = sampleWhere(isBatch, i);
      times[i] = timestampMs(s.sourceTimestamp);
      if (m.role === 'state') values[i] = this.classify(s, where);
      else if (m.role === 'reason') values[i] = s.quality === 'bad' ? undefined : this.reasonText(s.value);
      else values[i] = s.quality === 'bad' ? NaN : this.countValue(s, where);
    }
    const out: OeeResult = { results: this.settings.closeOn === 'clock' ? this.advance(now) : [], events: [], late: [] };
    for (let i = 0; i < n; i++) {
      const m = roles[i];
      if (!m) {
        this.ignored += 1;
        continue;
      }
      this.addOne(samples[i]!, m.role, m.line, times[i]!, values[i], now, out);
    }
    return out;
  }

  private reasonText(v: SampleValue): string | undefined {
    if (v === null || v === '' || v === 0 || v === false) return undefined;
    if (typeof v === 'number' && Number.isInteger(v)) {
      const e = this.settings.codes.get(v);
      return e ? (e.reason ?? e.state) : `code ${v}`;
    }
    return typeof v === 'string' ? v.trim() || undefined : JSON.stringify(v);
  }

  private lineState(line: string): LineState | null {
    let st = this.lines.get(line);
    if (st) return st;
    st = {
      line,
      asset: undefined,
      state: null,
      category: 'unknown',
      stateReason: undefined,
      reasonTagValue: undefined,
      accountedTo: NaN,
      stop: null,
      runStart: -Infinity,
      open: [],
      closedUntil: -Infinity,
      lastT: { state: -Infinity, reason: -Infinity, total: -Infinity, good: -Infinity, reject: -Infinity },
      counterBase: { total: NaN, good: NaN, reject: NaN },
      newest: -Infinity,
    };
    return this.lines.add(line, st) ? st : null;
  }

  private late(out: OeeResult, sample: TagSample, reason: OeeLate['reason'], message: string): void {
    this.lateCount += 1;
    out.late.push({ sample, reason, message });
  }

  private addOne(s: TagSample, role: Role, line: string, t: number, value: unknown, now: number, out: OeeResult): void {
    const st = this.lineState(line);
    if (!st) {
      this.late(out, s, 'line-limit', `line limit of ${this.settings.maxLines} lines reached: ${line} (tag ${s.tag}) is not computed (raise "max lines")`);
      return;
    }
    if (t < st.lastT[role]) {
      this.late(out, s, 'out-of-order', `${s.tag}: sample of ${s.sourceTimestamp} is older than the newest one of this tag (${isoOf(st.lastT[role])})`);
      return;
    }
    if (t < st.closedUntil) {
      this.late(out, s, 'period-closed', `${s.tag}: the period holding ${s.sourceTimestamp} was already emitted (it closed at ${isoOf(st.closedUntil)} + grace)`);
      return;
    }
    const set = this.settings;
    if (set.closeOn === 'clock') {
      const span = this.calendar.windowAt(t);
      if (span.end + set.graceMs <= now && !st.open.some((p) => p.start === span.start)) {
        this.late(out, s, 'period-closed', `${s.tag}: sample of ${s.sourceTimestamp} arrived after its period closed (${isoOf(span.end)} + ${set.graceMs / 1000} s grace)`);
        return;
      }
    }
    st.lastT[role] = t;
    if (t > st.newest) st.newest = t;
    if (s.asset !== undefined) st.asset = s.asset;
    // Periods whose end + grace this sample passes are complete.
    this.closeUntil(st, t, out.results);
    if (role === 'state') {
      this.applyState(st, t, value as { state: string; category: StateCategory; reason: string | undefined }, s.quality, out);
    } else if (role === 'reason') {
      st.reasonTagValue = value as string | undefined;
      if (st.stop && st.reasonTagValue) st.stop.reason = st.reasonTagValue;
      this.periodAt(st, t).samples += 1;
    } else {
      this.applyCount(st, role as 'total' | 'good' | 'reject', t, value as number, s.quality);
    }
  }

  /** The open period holding t (created when needed, kept in time order). */
  private periodAt(st: LineState, t: number): PeriodAcc {
    for (const p of st.open) if (t >= p.start && t < p.end) return p;
    const span = this.calendar.windowAt(t);
    const p = newPeriod(span.start, span.end);
    let i = st.open.length;
    while (i > 0 && st.open[i - 1]!.start > p.start) i--;
    st.open.splice(i, 0, p);
    return p;
  }

  /** Accounts the current state from st.accountedTo up to `to`, split over the periods. */
  private accrue(st: LineState, to: number): void {
    let from = st.accountedTo;
    if (!(from === from) || to <= from) return;
    let n = 0;
    while (from < to) {
      const p = this.periodAt(st, from);
      const until = Math.min(to, p.end);
      addTime(p, st, until - from);
      from = until;
      if (++n >= MAX_EMPTY_PERIODS && from < to) {
        // A long gap: the rest is not accounted (it would emit thousands of periods).
        from = Math.max(from, this.calendar.windowAt(to).start);
        if (st.stop) st.stop.counted = true;
        n = 0;
      }
    }
    st.accountedTo = to;
  }

  private applyState(st: LineState, t: number, v: { state: string; category: StateCategory; reason: string | undefined }, quality: Quality, out: OeeResult): void {
    const p = this.periodAt(st, t);
    p.samples += 1;
    if (quality !== 'good') p.worst = worse(p.worst, quality);
    if (st.accountedTo === st.accountedTo) this.accrue(st, t);
    else {
      // First state of the line: the time before it in the open periods is unknown.
      for (const q of st.open) if (q.start < t) q.unknownMs += Math.min(q.end, t) - q.start;
      st.accountedTo = t;
    }
    const isStop = v.category === 'setup' || v.category === 'unplanned';
    const reason = isStop ? (st.reasonTagValue ?? v.reason ?? v.state) : undefined;
    const sameStop = st.stop !== null && isStop && st.stop.state === v.state && (v.reason === undefined || v.reason === st.stateReason);
    if (st.stop && !sameStop) this.endStop(st, t, out.events);
    if (v.category === 'running' && st.category !== 'running') st.runStart = t;
    st.state = v.state;
    st.category = v.category;
    st.stateReason = v.reason;
    if (isStop && !sameStop) {
      st.stop = { start: t, category: v.category as 'setup' | 'unplanned', state: v.state, reason: reason!, counted: false };
    }
  }

  /** Ends the current stop at t: judges it (micro-stop or not) in every open period and emits the downtime event. */
  private endStop(st: LineState, t: number, events: TagSample[]): void {
    const stop = st.stop!;
    const durMs = t - stop.start;
    const micro = durMs < this.settings.microStopMs;
    for (const p of st.open) if (p.pendingMs > 0 || (!stop.counted && p.start <= stop.start && stop.start < p.end)) this.judge(p, stop, micro);
    if (!stop.counted && st.open.length > 0) this.judge(st.open[0]!, stop, micro);
    const value: Record<string, SampleValue> = {
      line: st.line,
      state: stop.state,
      reason: stop.reason,
      category: stop.category,
      micro,
      seconds: sec(durMs),
      start: isoOf(stop.start),
      end: isoOf(t),
    };
    const ev: TagSample = { tag: `${st.line}/Downtime`, value, quality: 'good', sourceTimestamp: isoOf(t), unit: 's' };
    if (st.asset !== undefined) ev.asset = st.asset;
    events.push(ev);
    st.stop = null;
    st.reasonTagValue = undefined;
  }

  /** Moves a period's pending stop time to micro-stop or downtime time, and counts the stop once. */
  private judge(p: PeriodAcc, stop: Stop, micro: boolean): void {
    const ms = p.pendingMs;
    p.pendingMs = 0;
    if (micro) p.microMs += ms;
    else if (stop.category === 'setup') p.setupMs += ms;
    else p.breakdownMs += ms;
    let r = p.reasons.get(stop.reason);
    if (!r) {
      const key = p.reasons.size >= MAX_REASONS ? 'other reasons' : stop.reason;
      r = p.reasons.get(key);
      if (!r) {
        r = { reason: key, category: stop.category, stops: 0, microStops: 0, ms: 0 };
        p.reasons.set(key, r);
      }
    }
    r.ms += ms;
    if (!stop.counted) {
      stop.counted = true;
      if (micro) {
        p.microStops += 1;
        r.microStops += 1;
      } else {
        p.stops += 1;
        r.stops += 1;
      }
    }
  }

  private applyCount(st: LineState, role: 'total' | 'good' | 'reject', t: number, v: number, quality: Quality): void {
    const p = this.periodAt(st, t);
    p.samples += 1;
    if (quality !== 'good') p.worst = worse(p.worst, quality);
    if (v !== v) return;
    let inc: number;
    if (this.settings.countMode === 'increment') inc = v;
    else {
      const base = st.counterBase[role];
      st.counterBase[role] = v;
      if (base !== base) return;
      inc = counterIncrease(base, v, this.settings.rollover);
    }
    if (inc === 0) return;
    if (role === 'total') p.total += inc;
    else if (role === 'good') p.good += inc;
    else {
      p.reject += inc;
      if (st.category === 'running' && t - st.runStart < this.settings.startupMs) p.startupReject += inc;
    }
  }

  /**
   * Closes the line's periods whose end + grace ≤ `limit`, the state held to
   * their end — the open ones, and (when the state is known) the following
   * ones in which the line sent nothing. A stop still going on is judged by
   * its length up to `limit`.
   */
  private closeUntil(st: LineState, limit: number, results: TagSample[]): void {
    const grace = this.settings.graceMs;
    let n = 0;
    for (;;) {
      if (st.open.length === 0) {
        if (st.accountedTo !== st.accountedTo) return;
        const next = this.calendar.windowAt(Math.max(st.accountedTo, st.closedUntil));
        if (next.end + grace > limit) return;
        this.periodAt(st, next.start);
      }
      if (st.open[0]!.end + grace > limit) return;
      this.closeFirst(st, limit, results);
      if (++n >= MAX_EMPTY_PERIODS) {
        // Far behind (a gap of more than MAX_EMPTY_PERIODS periods): skip the rest without emitting.
        const cur = this.calendar.windowAt(limit - grace);
        st.open = st.open.filter((p) => p.end > cur.start);
        if (st.accountedTo < cur.start) st.accountedTo = cur.start;
        if (st.stop) st.stop.counted = true;
        st.closedUntil = Math.max(st.closedUntil, cur.start);
        return;
      }
    }
  }

  private closeFirst(st: LineState, judgedAt: number, results: TagSample[]): void {
    const p = st.open[0]!;
    if (st.accountedTo === st.accountedTo && st.accountedTo < p.end) this.accrue(st, p.end);
    if (st.accountedTo !== st.accountedTo) p.unknownMs += p.end - p.start;
    if (p.pendingMs > 0 && st.stop) this.judge(p, st.stop, judgedAt - st.stop.start < this.settings.microStopMs);
    st.open.shift();
    st.closedUntil = p.end;
    results.push(this.resultSample(st, p, true, p.end));
  }

  /**
   * Closes every period due at `now` (end + grace ≤ now) — the node's timer
   * calls this in close mode "clock". A line whose state is known gets its
   * periods closed even when it sends nothing (the state holds).
   */
  advance(now: number): TagSample[] {
    const results: TagSample[] = [];
    for (const st of this.lines.values()) this.closeUntil(st, now, results);
    return results;
  }

  /** When the clock next closes a period (epoch ms), for the node's timer; Infinity when no line is known. */
  nextCloseAt(now: number): number {
    if (this.lines.size === 0) return Infinity;
    return this.calendar.windowAt(now - this.settings.graceMs).end + this.settings.graceMs;
  }

  /**
   * Running values: per line, the open period up to `now` (close mode
   * "clock") or up to the line's newest sample (close mode "data"), without
   * changing any state.
   */
  running(now: number): TagSample[] {
    const out: TagSample[] = [];
    for (const st of this.lines.values()) {
      const asOf = this.settings.closeOn === 'clock' ? Math.max(now, st.newest) : st.newest;
      if (!Number.isFinite(asOf)) continue;
      const span = this.calendar.windowAt(asOf);
      if (span.start < st.closedUntil) continue;
      const open = st.open.find((p) => p.start === span.start);
      const p: PeriodAcc = open ? { ...open, reasons: new Map([...open.reasons].map(([k, r]) => [k, { ...r }])) } : newPeriod(span.start, span.end);
      const accountedTo = st.accountedTo;
      if (accountedTo === accountedTo) {
        const from = Math.max(accountedTo, p.start);
        if (asOf > from) addTime(p, st, asOf - from);
      } else {
        p.unknownMs += asOf - p.start;
      }
      if (p.pendingMs > 0 && st.stop) this.judge(p, { ...st.stop }, asOf - st.stop.start < this.settings.microStopMs);
      out.push(this.resultSample(st, p, false, asOf));
    }
    return out;
  }

  /** Closes every open period now, accounted up to the line's newest sample (flush command, replays). */
  flush(): TagSample[] {
    const out: TagSample[] = [];
    for (const st of this.lines.values()) {
      while (st.open.length > 0) {
        const p = st.open[0]!;
        const asOf = Math.min(p.end, Math.max(st.newest, p.start));
        if (st.accountedTo === st.accountedTo) {
          if (st.accountedTo < asOf) this.accrue(st, asOf);
        } else p.unknownMs += asOf - p.start;
        if (p.pendingMs > 0 && st.stop) this.judge(p, st.stop, asOf - st.stop.start < this.settings.microStopMs);
        st.open.shift();
        st.closedUntil = Math.max(st.closedUntil, asOf);
        out.push(this.resultSample(st, p, true, asOf));
      }
    }
    return out;
  }

  // ------------------------------------------------------------------ output

  /** The figures of a period (exposed for tests and the docs). */
  figures(line: string, p: PeriodAcc): OeeResultValue {
    const set = this.settings;
    const ideal = set.idealCycleLines.get(line) ?? set.idealCycleS;
    const roles = set.patterns;
    let total = p.total;
    let good = p.good;
    let reject = p.reject;
    if (roles.reject && roles.total) good = Math.max(0, total - reject);
    else if (roles.reject && roles.good) total = good + reject;
    else reject = Math.max(0, total - good);
    const plannedMs = p.runMs + p.microMs + p.pendingMs + p.breakdownMs + p.setupMs;
    const downMs = p.breakdownMs + p.setupMs;
    const runMs = plannedMs - downMs;
    const idealTotalS = ideal * total;
    const fullyS = ideal * good;
    const plannedS = sec(plannedMs);
    const runS = sec(runMs);
    const startupRejects = Math.min(p.startupReject, reject);
    const reasons = [...p.reasons.values()].sort((a, b) => b.ms - a.ms || a.reason.localeCompare(b.reason)).map((r) => ({ reason: r.reason, category: r.category, stops: r.stops, microStops: r.microStops, seconds: sec(r.ms) }));
    return {
      oee: plannedS > 0 ? fullyS / plannedS : null,
      availability: plannedS > 0 ? runS / plannedS : null,
      performance: runS > 0 ? idealTotalS / runS : null,
      quality: total > 0 ? good / total : null,
      final: false,
      line,
      state: null,
      asOf: '',
      plannedSeconds: plannedS,
      runSeconds: runS,
      downtimeSeconds: sec(downMs),
      plannedStopSeconds: sec(p.plannedStopMs),
      unknownSeconds: sec(p.unknownMs),
      fullyProductiveSeconds: fullyS,
      totalCount: total,
      goodCount: good,
      rejectCount: reject,
      idealCycleSeconds: ideal,
      stops: p.stops,
      microStops: p.microStops,
      microStopSeconds: sec(p.microMs),
      losses: {
        breakdowns: sec(p.breakdownMs),
        setupAdjustments: sec(p.setupMs),
        smallStops: sec(p.microMs + p.pendingMs),
        reducedSpeed: runS - idealTotalS - sec(p.microMs + p.pendingMs),
        startupRejects: ideal * startupRejects,
        productionRejects: ideal * (reject - startupRejects),
      },
      reasons,
    };
  }

  private resultSample(st: LineState, p: PeriodAcc, final: boolean, asOf: number): TagSample {
    const f = this.figures(st.line, p);
    f.final = final;
    f.state = st.state;
    f.asOf = isoOf(asOf);
    let quality: Quality = p.worst;
    if (p.unknownMs > 0 && quality === 'good') quality = 'uncertain';
    const out: TagSample = {
      tag: `${st.line}/OEE`,
      value: f as unknown as SampleValue,
      quality,
      sourceTimestamp: isoOf(asOf),
    };
    if (st.asset !== undefined) out.asset = st.asset;
    out.window = { start: isoOf(p.start), end: isoOf(p.end), count: p.samples, aggregate: 'oee' };
    return out;
  }
}

/** Adds `ms` of the line's current state to a period. */
function addTime(p: PeriodAcc, st: LineState, ms: number): void {
  switch (st.category) {
    case 'running':
      p.runMs += ms;
      break;
    case 'planned':
      p.plannedStopMs += ms;
      break;
    case 'unknown':
      p.unknownMs += ms;
      break;
    default:
      p.pendingMs += ms;
  }
}
