/**
 * plantwire-alarm: the alarm state machine of ANSI/ISA-18.2-2016 and
 * IEC 62682:2022 (figure "alarm state transition diagram"), per alarm, on
 * tag samples. Pure: the caller passes the clock (`now`, epoch ms); the node
 * keeps the snapshot on disk.
 *
 * Written by hand: no maintained JavaScript library implements the ISA-18.2
 * state model (the npm "alarm" packages are timers), and the model is small
 * enough to read in one file.
 *
 * Alarm types (one rule = one alarm, id `<tag>:<kind>` unless named):
 *   HH / H   active when value ≥ limit;  returns when value < limit − deadband
 *   L / LL   active when value ≤ limit;  returns when value > limit + deadband
 *   deviation  active when |value − setpoint| ≥ limit; returns when < limit − deadband
 *              (setpoint fixed, or the latest value of a setpoint tag)
 *   roc      rate of change |Δvalue / Δt| in units per second ≥ limit;
 *            returns when < limit − deadband (Δt from the samples' timestamps)
 *   discrete active while the value is one of the alarm values (e.g. `true`, `Fault`)
 * On-delay: the condition must hold for that long (sample time) before the
 * alarm is raised; off-delay: it must be gone that long before it returns.
 * `advance(now)` confirms a delay that ran out while no new sample came
 * (upstream report-by-exception sends nothing while a value stays put).
 *
 * States (ISA-18.2 names): NORM normal · UNACK active unacknowledged ·
 * ACKED active acknowledged · RTNUN returned to normal unacknowledged ·
 * SHLVD shelved (with expiry) · DSUPR suppressed by design (while the
 * machine-state tag says stopped) · OOSRV out of service.
 * Transitions: NORM→UNACK (activate) · UNACK→ACKED (acknowledge) ·
 * UNACK→RTNUN (return) · ACKED→NORM (return) · RTNUN→NORM (acknowledge) ·
 * RTNUN→UNACK (activate again) · any→SHLVD (shelve) · SHLVD→NORM/UNACK
 * (unshelve or shelve expired) · any→DSUPR (suppress) · DSUPR→NORM/UNACK
 * (unsuppress) · any→OOSRV (remove from service) · OOSRV→NORM/UNACK
 * (return to service). Leaving SHLVD, DSUPR or OOSRV goes to UNACK when the
 * condition is active at that moment (the alarm is annunciated anew), else
 * to NORM. While shelved, suppressed or out of service the condition is
 * still evaluated (so the right state follows) but nothing is annunciated.
 * Precedence: OOSRV over DSUPR over SHLVD.
 *
 * Alarm rate (ISA-18.2 clause 16 / EEMUA 191): annunciations (transitions
 * into UNACK) per 10 minutes in a sliding window; a flood begins above the
 * flood threshold (default 10 per 10 min) and ends when the rate falls below
 * half of it. Also: average and peak per 10 min, % of time in flood,
 * chattering alarms (≥ 3 annunciations within 60 s), stale alarms (active
 * for more than 24 h), and the most frequent alarms with their share.
 */
import { PlantwireError } from '../model/errors';
import { describe as describeValue, type SampleValue, type TagSample } from '../model/sample';
import { defineFields, parseFields } from '../model/fields';
import { numberSetting } from '../model/settings';
import { isoOf, timestampMs } from './samples';

export const ALARM_KINDS = ['HH', 'H', 'L', 'LL', 'deviation', 'roc', 'discrete'] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];
export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
export type AlarmStateName = 'NORM' | 'UNACK' | 'ACKED' | 'RTNUN' | 'SHLVD' | 'DSUPR' | 'OOSRV';
export type Transition =
  | 'activate'
  | 'return'
  | 'acknowledge'
  | 'shelve'
  | 'unshelve'
  | 'shelve-expired'
  | 'suppress'
  | 'unsuppress'
  | 'remove-from-service'
  | 'return-to-service';

/** At most this many rules per node. */
export const MAX_RULES = 10_000;
/** The alarm-rate window of the standard: 10 minutes. */
export const RATE_WINDOW_MS = 600_000;
/** Annunciations within this span that make an alarm "chattering" (EEMUA 191: 3 in 1 minute). */
export const CHATTER_COUNT = 3;
export const CHATTER_MS = 60_000;
/** Active for longer than this: a stale (standing) alarm. */
export const STALE_MS = 24 * 3_600_000;
/** The rate window keeps at most this many annunciation times. */
const MAX_RATE_ENTRIES = 100_000;

/** One alarm as the dialog or a flow defines it (numbers may arrive as strings). */
export interface AlarmRuleInput {
  /** Optional alarm name (id); default `<tag>:<kind>`. */
  name?: string;
  tag?: string;
  kind?: string;
  limit?: number | string;
  setpoint?: number | string;
  setpointTag?: string;
  /** discrete: comma-separated alarm values, e.g. "true" or "Fault, E-Stop". */
  values?: string;
  priority?: string;
  deadband?: number | string;
  /** Seconds. */
  onDelay?: number | string;
  offDelay?: number | string;
  message?: string;
  /** Suppressed while the machine state says stopped (default true). */
  suppressible?: boolean;
}

export interface AlarmRule {
  id: string;
  tag: string;
  kind: AlarmKind;
  limit: number;
  setpoint: number;
  setpointTag: string;
  values: ReadonlySet<string>;
  priority: Priority;
  deadband: number;
  onDelayMs: number;
  offDelayMs: number;
  message: string;
  suppressible: boolean;
}

export interface AlarmConfig {
  rules?: unknown;
  /** Machine-state tag whose values suppress alarms by design (e.g. Line1/Filler/State). */
  suppressTag?: string;
  /** Values of the suppress tag that mean "stopped", comma-separated. */
  suppressValues?: string;
  floodThreshold?: number | string;
  /** Default shelve time in minutes. */
  shelveMinutes?: number | string;
  /** Longest shelve in minutes (ISA-18.2: shelving is time-limited). */
  maxShelveMinutes?: number | string;
  /** Seconds between rate messages (0: only when a flood begins or ends). */
  rateEvery?: number | string;
  /** Keep the alarm state on disk (default on). */
  persist?: boolean;
}

export interface AlarmSettings {
  rules: AlarmRule[];
  suppressTag: string;
  suppressValues: ReadonlySet<string>;
  floodThreshold: number;
  shelveMs: number;
  maxShelveMs: number;
  /** Rate messages every this many ms (0: only when a flood begins or ends). */
  rateEveryMs: number;
}

const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);

function list(text: unknown): string[] {
  return String(text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Reads and checks one rule; `where` names it in messages ("alarm 3"). */
export function alarmRule(input: AlarmRuleInput, where: string): AlarmRule {
  if (input === null || typeof input !== 'object') throw bad(`${where} must be an object, got ${describeValue(input)}`, `${where}: not an object`);
  const cfg = input as Record<string, unknown>;
  const tag = typeof input.tag === 'string' ? input.tag.trim() : '';
  if (tag === '') throw bad(`${where}: the tag is empty: enter the tag to watch, e.g. Line1/Filler/Temperature`, `${where}: tag is empty`);
  const kind = (input.kind ?? 'H') as AlarmKind;
  if (!ALARM_KINDS.includes(kind)) throw bad(`${where} (${tag}): type must be one of ${ALARM_KINDS.join(', ')}, got ${JSON.stringify(input.kind)}`, `${where}: bad alarm type`);
  const priority = (input.priority === undefined || input.priority === '' ? 'medium' : input.priority) as Priority;
  if (!PRIORITIES.includes(priority)) throw bad(`${where} (${tag}): priority must be one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(input.priority)}`, `${where}: bad priority`);
  const label = (what: string): string => `${where} (${tag} ${kind}) ${what}`;
  let limit = 0;
  let setpoint = 0;
  let setpointTag = '';
  let values: Set<string> = new Set();
  if (kind === 'discrete') {
    values = new Set(list(input.values ?? 'true'));
    if (values.size === 0) throw bad(`${label('alarm values')} are empty: list the values that mean alarm, e.g. true or Fault, E-Stop`, `${where}: no alarm values`);
  } else {
    limit = numberSetting(cfg, 'limit', { label: label('limit') });
    if ((kind === 'deviation' || kind === 'roc') && !(limit > 0)) throw bad(`${label('limit')} must be above 0, got ${limit}`, `${where}: limit must be > 0`);
    if (kind === 'deviation') {
      setpointTag = typeof input.setpointTag === 'string' ? input.setpointTag.trim() : '';
      if (setpointTag === '') setpoint = numberSetting(cfg, 'setpoint', { label: label('setpoint') });
    }
  }
  const deadband = kind === 'discrete' ? 0 : numberSetting(cfg, 'deadband', { min: 0, default: 0, label: label('deadband') });
  if ((kind === 'deviation' || kind === 'roc') && deadband >= limit) throw bad(`${label('deadband')} (${deadband}) must be below the limit (${limit}), or the alarm could never return`, `${where}: deadband ≥ limit`);
  const onDelayMs = Math.round(numberSetting(cfg, 'onDelay', { min: 0, max: 86_400, default: 0, label: label('on-delay (s)') }) * 1000);
  const offDelayMs = Math.round(numberSetting(cfg, 'offDelay', { min: 0, max: 86_400, default: 0, label: label('off-delay (s)') }) * 1000);
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  return {
    id: name || `${tag}:${kind}`,
    tag,
    kind,
    limit,
    setpoint,
    setpointTag,
    values,
    priority,
    deadband,
    onDelayMs,
    offDelayMs,
    message: typeof input.message === 'string' ? input.message : '',
    suppressible: input.suppressible !== false,
  };
}

/** Reads the alarm list the dialog stores (an array, or its JSON text): each row checked, ids unique. */
export function alarmRules(input: unknown): AlarmRule[] {
  let raw = input;
  if (typeof raw === 'string') {
    try {
      raw = JSON.parse(raw);
    } catch (err) {
      throw bad(`alarms must be a JSON array of alarm definitions: ${(err as Error).message}`, 'alarms: bad JSON');
    }
  }
  if (!Array.isArray(raw) || raw.length === 0) throw bad('no alarms defined: add at least one alarm (tag, type, limit)', 'no alarms defined');
  if (raw.length > MAX_RULES) throw bad(`at most ${MAX_RULES} alarms per node, got ${raw.length}: split them over several nodes`, 'too many alarms');
  const rules = raw.map((r, i) => alarmRule(r as AlarmRuleInput, `alarm ${i + 1}`));
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) throw bad(`two alarms have the id "${r.id}": give one of them a name`, `duplicate alarm ${r.id}`);
    seen.add(r.id);
  }
  return rules;
}

/**
 * The settings of plantwire-alarm, declared once: the dialog's defaults and
 * validators (nodes/plantwire-alarm/fields.ts), the check at deploy
 * (`alarmSettings`) and the help's settings table come from here. The alarm
 * list is read by `alarmRules`, in the dialog too.
 */
export const alarmFields = defineFields('plantwire-alarm', 1, {
  rules: { kind: 'value', default: [{ tag: '', kind: 'H', limit: '', priority: 'medium', deadband: '0', onDelay: '0', offDelay: '0' }], label: 'alarms', message: 'rules', hidden: true, parse: (v) => alarmRules(v) },
  suppressTag: { kind: 'string', default: '', label: 'suppression tag' },
  suppressValues: { kind: 'string', default: 'Idle, Maintenance', label: 'suppression', message: 'suppressValues', check: (v, c) => String(c.suppressTag ?? '').trim() === '' || list(v).length > 0, explain: 'list the machine states that mean stopped, e.g. Idle, Maintenance', status: 'no stopped states' },
  floodThreshold: { kind: 'number', default: 10, min: 1, max: 1_000_000, integer: true, label: 'flood threshold', message: 'floodThreshold' },
  // ISA-18.2: shelving is time-limited.
  shelveMinutes: { kind: 'number', default: 60, min: 1, max: 525_600, unit: 'min', label: 'shelve time (min)', message: 'shelveMinutes', check: (v, c) => Number(v) <= Number(c.maxShelveMinutes), explain: (_v, c) => `is longer than the longest shelve (${Number(c.maxShelveMinutes)} min)`, status: 'shelve time > longest' },
  maxShelveMinutes: { kind: 'number', default: 1440, min: 1, max: 525_600, unit: 'min', label: 'longest shelve (min)', labelKey: 'label.maxShelve', message: 'maxShelveMinutes' },
  rateEvery: { kind: 'number', default: 60, min: 0, max: 86_400, unit: 's', label: 'rate message every (s)', message: 'rateEvery' },
  persist: { kind: 'boolean', default: true, label: 'keep state' },
});

/** Checks the saved settings once, by the field spec, and derives the engine's settings. */
export function alarmSettings(config: AlarmConfig): AlarmSettings {
  const p = parseFields(alarmFields, config as Record<string, unknown>);
  const suppressTag = p.suppressTag.trim();
  return {
    rules: p.rules,
    suppressTag,
    suppressValues: new Set(suppressTag === '' ? [] : list(config.suppressValues)),
    floodThreshold: p.floodThreshold,
    shelveMs: p.shelveMinutes * 60_000,
    maxShelveMs: p.maxShelveMinutes * 60_000,
    rateEveryMs: Math.round(p.rateEvery * 1000),
  };
}

/** Per-alarm runtime state (JSON-safe: it is what the node writes to disk). */
interface AlarmState {
  /** The annunciation state underneath shelving/suppression/out-of-service. */
  state: 'NORM' | 'UNACK' | 'ACKED' | 'RTNUN';
  /** The condition as confirmed (after delays). */
  active: boolean;
  /** The condition as evaluated on the last sample (deadband applied, before delays). */
  raw: boolean;
  /** When `raw` began to differ from `active` (ms), or -1. */
  pendingSince: number;
  shelvedUntil: number;
  shelvedBy?: string;
  oos: boolean;
  /** Last numeric/discrete value seen and its time. */
  value: SampleValue | null;
  time: number;
  /** The sample that last changed the condition. */
  sample?: TagSample;
  raisedAt: number;
  ackedAt: number;
  ackedBy?: string;
  /** Annunciations since the node started counting. */
  count: number;
  /** Last CHATTER_COUNT annunciation times. */
  recent: number[];
}

export interface AlarmEvent {
  /** Alarm id, e.g. `Line1/Filler/Temperature:HH`. */
  id: string;
  tag: string;
  kind: AlarmKind;
  priority: Priority;
  message: string;
  transition: Transition;
  state: AlarmStateName;
  previous: AlarmStateName;
  active: boolean;
  acknowledged: boolean;
  value: SampleValue | null;
  limit?: number;
  setpoint?: number;
  deadband?: number;
  /** When it happened (ISO 8601 UTC). */
  time: string;
  raisedAt?: string;
  /** The sample that triggered the transition (for condition changes). */
  sample?: TagSample;
  user?: string;
  comment?: string;
  shelvedUntil?: string;
}

/** An alarm as listed for a display (the dashboard's alarm list). */
export interface AlarmView {
  id: string;
  tag: string;
  kind: AlarmKind;
  priority: Priority;
  message: string;
  state: AlarmStateName;
  active: boolean;
  acknowledged: boolean;
  value: SampleValue | null;
  raisedAt?: string;
  shelvedUntil?: string;
  count: number;
}

export interface AlarmRate {
  /** Annunciations in the last 10 minutes. */
  alarms: number;
  windowMinutes: 10;
  flood: boolean;
  floodThreshold: number;
  active: number;
  unacknowledged: number;
  shelved: number;
  suppressed: number;
  outOfService: number;
  stale: number;
  chattering: string[];
  totalAnnunciated: number;
  since: string;
  averagePer10Min: number;
  peakPer10Min: number;
  /** Share of the time since `since` spent in flood, in %. */
  floodPercent: number;
  /** The most frequent alarms (ISA-18.2 "top 10"), with their share of all annunciations in %. */
  top: Array<{ id: string; count: number; share: number }>;
  time: string;
}

export interface AlarmCommand {
  command: string;
  /** Alarm id, a tag (all its alarms) or "*" (all). */
  alarm?: string;
  minutes?: number;
  user?: string;
  comment?: string;
}

export interface AlarmSnapshot {
  v: 1;
  suppressed: boolean;
  setpoints: Record<string, number>;
  alarms: Record<string, AlarmState>;
  rate: { times: number[]; total: number; since: number; peak: number; floodMs: number; flood: boolean; floodSince: number; clock: number };
}

export const COMMANDS = ['acknowledge', 'ack', 'shelve', 'unshelve', 'out-of-service', 'in-service', 'list', 'rate'] as const;

function newState(): AlarmState {
  return { state: 'NORM', active: false, raw: false, pendingSince: -1, shelvedUntil: 0, oos: false, value: null, time: 0, raisedAt: 0, ackedAt: 0, count: 0, recent: [] };
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export class AlarmEngine {
  readonly rules: AlarmRule[];
  private readonly byTag = new Map<string, AlarmRule[]>();
  /** Per tag: its rules with their state objects (kept for the life of the engine), and whether any needs the sample time. */
  private readonly entries = new Map<string, { rules: AlarmRule[]; states: AlarmState[]; needsTime: boolean }>();
  /** The suppress tag and the setpoint tags. */
  private readonly special = new Set<string>();
  private readonly bySetpointTag = new Map<string, AlarmRule[]>();
  private readonly byId = new Map<string, AlarmRule>();
  private readonly states = new Map<string, AlarmState>();
  private readonly setpoints = new Map<string, number>();
  /** Alarms with a pending on/off delay. */
  private readonly pending = new Set<string>();
  private suppressed = false;
  /** The earliest shelve expiry (ms), Infinity when nothing is shelved. */
  private shelfDue = Infinity;
  // Alarm-rate figures.
  private times: number[] = [];
  private head = 0;
  private total = 0;
  private since = -1;
  private peak = 0;
  private floodMs = 0;
  private flood = false;
  private floodSince = 0;
  /** The engine's clock: the latest time seen (samples, commands, advance). */
  private clock = -Infinity;
  /** Samples of tags no alarm watches. */
  ignored = 0;
  /** Samples of bad quality (they do not change an alarm). */
  badQuality = 0;

  constructor(readonly settings: AlarmSettings) {
    this.rules = settings.rules;
    for (const r of this.rules) {
      this.byId.set(r.id, r);
      this.states.set(r.id, newState());
      const l = this.byTag.get(r.tag);
      if (l) l.push(r);
      else this.byTag.set(r.tag, [r]);
      let e = this.entries.get(r.tag);
      if (!e) this.entries.set(r.tag, (e = { rules: [], states: [], needsTime: false }));
      e.rules.push(r);
      e.states.push(this.states.get(r.id)!);
      if (r.kind === 'roc' || r.onDelayMs > 0 || r.offDelayMs > 0) e.needsTime = true;
      if (r.setpointTag) {
        this.special.add(r.setpointTag);
        const s = this.bySetpointTag.get(r.setpointTag);
        if (s) s.push(r);
        else this.bySetpointTag.set(r.setpointTag, [r]);
      }
    }
    if (settings.suppressTag !== '') this.special.add(settings.suppressTag);
  }

  /** True while the machine-state tag says stopped. */
  get isSuppressed(): boolean {
    return this.suppressed;
  }

  private tick(t: number): void {
    if (t > this.clock) {
      if (this.flood && this.clock > -Infinity) this.floodMs += t - this.clock;
      this.clock = t;
    }
    if (this.since < 0) this.since = t;
  }

  /** The state shown to operators. */
  display(rule: AlarmRule, a: AlarmState): AlarmStateName {
    if (a.oos) return 'OOSRV';
    if (this.suppressed && rule.suppressible) return 'DSUPR';
    if (a.shelvedUntil > 0) return 'SHLVD';
    return a.state;
  }

  private event(rule: AlarmRule, a: AlarmState, transition: Transition, previous: AlarmStateName, t: number, extra?: { sample?: TagSample; user?: string; comment?: string }): AlarmEvent {
    const state = this.display(rule, a);
    const ev: AlarmEvent = {
      id: rule.id,
      tag: rule.tag,
      kind: rule.kind,
      priority: rule.priority,
      message: rule.message,
      transition,
      state,
      previous,
      active: a.active,
      acknowledged: a.state === 'NORM' || a.state === 'ACKED',
      value: a.value,
      time: isoOf(t),
    };
    if (rule.kind !== 'discrete') {
      ev.limit = rule.limit;
      ev.deadband = rule.deadband;
    }
    if (rule.kind === 'deviation') ev.setpoint = rule.setpointTag ? this.setpoints.get(rule.setpointTag) ?? NaN : rule.setpoint;
    if (a.raisedAt > 0 && a.active) ev.raisedAt = isoOf(a.raisedAt);
    if (extra?.sample) ev.sample = extra.sample;
    if (extra?.user) ev.user = extra.user;
    if (extra?.comment) ev.comment = extra.comment;
    if (a.shelvedUntil > 0) ev.shelvedUntil = isoOf(a.shelvedUntil);
    if (ev.setpoint !== undefined && !Number.isFinite(ev.setpoint)) delete ev.setpoint;
    return ev;
  }

  /**
   * Counts an annunciation. The rate counts when the operator is shown the
   * alarm — the engine's clock (processing time, or a later sample time) —
   * so replayed old samples still count as alarms now; `raisedAt` keeps the
   * sample time.
   */
  private annunciated(a: AlarmState, t: number): void {
    a.raisedAt = t;
    a.count += 1;
    const shown = Math.max(t, this.clock);
    a.recent.push(shown);
    if (a.recent.length > CHATTER_COUNT) a.recent.shift();
    this.total += 1;
    if (this.times.length - this.head >= MAX_RATE_ENTRIES) this.head += 1;
    this.times.push(shown);
    const n = this.windowCount(shown);
    if (n > this.peak) this.peak = n;
  }

  private windowCount(t: number): number {
    const from = t - RATE_WINDOW_MS;
    while (this.head < this.times.length && this.times[this.head]! <= from) this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }

  /** Confirms a condition change (after its delay) at time t. */
  private confirm(rule: AlarmRule, a: AlarmState, active: boolean, t: number, out: AlarmEvent[], sample?: TagSample): void {
    a.active = active;
    a.pendingSince = -1;
    this.pending.delete(rule.id);
    const before = this.display(rule, a);
    const quiet = before === 'OOSRV' || before === 'DSUPR' || before === 'SHLVD';
    if (active) {
      if (a.state === 'NORM' || a.state === 'RTNUN') {
        a.state = 'UNACK';
        if (quiet) {
          a.raisedAt = t;
          return;
        }
        this.annunciated(a, t);
        out.push(this.event(rule, a, 'activate', before, t, { sample }));
      }
    } else if (a.state === 'UNACK' || a.state === 'ACKED') {
      a.state = a.state === 'UNACK' ? 'RTNUN' : 'NORM';
      if (quiet) return;
      out.push(this.event(rule, a, 'return', before, t, { sample }));
    }
  }

  /** Evaluates the condition (with deadband) for a numeric or discrete value. */
  private condition(rule: AlarmRule, a: AlarmState, value: SampleValue, t: number): boolean | null {
    const was = a.raw;
    switch (rule.kind) {
      case 'discrete':
        return rule.values.has(typeof value === 'string' ? value : JSON.stringify(value));
      case 'HH':
      case 'H':
        return was ? (value as number) >= rule.limit - rule.deadband : (value as number) >= rule.limit;
      case 'L':
      case 'LL':
        return was ? (value as number) <= rule.limit + rule.deadband : (value as number) <= rule.limit;
      case 'deviation': {
        const sp = rule.setpointTag ? this.setpoints.get(rule.setpointTag) : rule.setpoint;
        if (sp === undefined) return null;
        const d = Math.abs((value as number) - sp);
        return was ? d >= rule.limit - rule.deadband : d >= rule.limit;
      }
      case 'roc': {
        if (a.value === null || typeof a.value !== 'number' || !(t > a.time)) return null;
        const r = Math.abs(((value as number) - a.value) / ((t - a.time) / 1000));
        return was ? r >= rule.limit - rule.deadband : r >= rule.limit;
      }
    }
  }

  /**
   * Evaluates one rule on a sample. `t` is the sample time, or NaN when no
   * rule of the tag needs it (no delay, no rate of change): then it is read
   * only when the condition changes. Returns `t` (read or not).
   */
  private evaluate(rule: AlarmRule, a: AlarmState, s: TagSample, t: number, out: AlarmEvent[]): number {
    const raw = this.condition(rule, a, s.value, t);
    a.value = s.value;
    if (t === t) a.time = t;
    if (raw === null) return t;
    a.raw = raw;
    if (raw === a.active) {
      if (a.pendingSince >= 0) {
        a.pendingSince = -1;
        this.pending.delete(rule.id);
      }
      return t;
    }
    if (t !== t) {
      t = timestampMs(s.sourceTimestamp);
      this.tick(t);
    }
    if (a.pendingSince < 0) {
      a.pendingSince = t;
      a.sample = s;
    }
    const delay = raw ? rule.onDelayMs : rule.offDelayMs;
    if (t - a.pendingSince >= delay) this.confirm(rule, a, raw, t, out, s);
    else this.pending.add(rule.id);
    return t;
  }

  /** Checks a sample without changing anything; throws a clear error for a value an alarm cannot use. */
  check(s: TagSample, index = -1): void {
    if (s.quality === 'bad') return;
    // Where the sample sits, for the error message (built only when there is one).
    const at = (): string => (index >= 0 ? `payload[${index}]` : 'payload');
    const rules = this.byTag.get(s.tag);
    if (rules) {
      for (const r of rules) {
        if (r.kind !== 'discrete' && typeof s.value !== 'number') {
          throw new PlantwireError(
            'not-a-number',
            `${at()}.value must be a number for the ${r.kind} alarm ${r.id}, got ${describeValue(s.value)}${typeof s.value === 'string' && s.value.trim() !== '' && Number.isFinite(Number(s.value)) ? ': a numeric string — convert it first, e.g. with plantwire-normalize' : ''}`,
            'value is not a number',
          );
        }
      }
    }
    if (this.bySetpointTag.has(s.tag) && typeof s.value !== 'number') {
      throw new PlantwireError('not-a-number', `${at()}.value must be a number: ${s.tag} is a setpoint tag, got ${describeValue(s.value)}`, 'setpoint is not a number');
    }
    // The timestamp was checked when the sample was read (readSamples).
  }

  /** Processes one (checked) sample at node time `now`; appends the events to `out`. */
  offer(s: TagSample, now: number, out: AlarmEvent[] = []): AlarmEvent[] {
    this.tick(now);
    if (now >= this.shelfDue) this.expireShelves(now, out);
    const e = this.entries.get(s.tag);
    let t = NaN;
    if (this.special.has(s.tag)) {
      t = timestampMs(s.sourceTimestamp);
      this.tick(t);
      if (s.tag === this.settings.suppressTag) this.setSuppressed(this.settings.suppressValues.has(typeof s.value === 'string' ? s.value : JSON.stringify(s.value)), t, out);
      if (this.bySetpointTag.has(s.tag) && typeof s.value === 'number' && s.quality !== 'bad') this.setpoints.set(s.tag, s.value);
    } else if (!e) {
      this.ignored += 1;
      return out;
    }
    if (!e) return out;
    if (s.quality === 'bad') {
      this.badQuality += 1;
      return out;
    }
    if (e.needsTime && t !== t) {
      t = timestampMs(s.sourceTimestamp);
      this.tick(t);
    }
    const rules = e.rules;
    const states = e.states;
    for (let i = 0; i < rules.length; i++) t = this.evaluate(rules[i]!, states[i]!, s, t, out);
    return out;
  }

  /** Checks the whole batch first (a bad sample rejects it, nothing changes), then processes it. */
  process(samples: TagSample[], now: number, batch = samples.length > 1): AlarmEvent[] {
    for (let i = 0; i < samples.length; i++) this.check(samples[i]!, batch ? i : -1);
    const out: AlarmEvent[] = [];
    for (let i = 0; i < samples.length; i++) this.offer(samples[i]!, now, out);
    return out;
  }

  private setSuppressed(on: boolean, t: number, out: AlarmEvent[]): void {
    if (on === this.suppressed) return;
    const before = new Map<string, AlarmStateName>();
    for (const r of this.rules) if (r.suppressible) before.set(r.id, this.display(r, this.states.get(r.id)!));
    this.suppressed = on;
    for (const r of this.rules) {
      if (!r.suppressible) continue;
      const a = this.states.get(r.id)!;
      const prev = before.get(r.id)!;
      if (a.oos) continue;
      if (!on) {
        if (a.shelvedUntil > 0) {
          out.push(this.event(r, a, 'unsuppress', prev, t));
          continue;
        }
        this.release(r, a, t);
      }
      const now = this.display(r, a);
      if (now !== prev || !on) out.push(this.event(r, a, on ? 'suppress' : 'unsuppress', prev, t));
    }
  }

  /** Leaving SHLVD/DSUPR/OOSRV: UNACK when the condition is active (annunciated anew), else NORM. */
  private release(rule: AlarmRule, a: AlarmState, t: number): void {
    if (a.active) {
      a.state = 'UNACK';
      this.annunciated(a, t);
    } else a.state = 'NORM';
  }

  private expireShelves(now: number, out: AlarmEvent[]): void {
    if (now < this.shelfDue) return;
    this.shelfDue = Infinity;
    for (const r of this.rules) {
      const a = this.states.get(r.id)!;
      if (a.shelvedUntil > 0 && now >= a.shelvedUntil) {
        const prev = this.display(r, a);
        a.shelvedUntil = 0;
        delete a.shelvedBy;
        if (prev === 'SHLVD') this.release(r, a, now);
        out.push(this.event(r, a, 'shelve-expired', prev, now));
      } else if (a.shelvedUntil > 0) this.shelfDue = Math.min(this.shelfDue, a.shelvedUntil);
    }
  }

  /** Confirms delays that ran out and shelves that expired by `now`. */
  advance(now: number): AlarmEvent[] {
    this.tick(now);
    const out: AlarmEvent[] = [];
    this.expireShelves(now, out);
    // In the order the delays ran out (then the order of the rules), the same after a restart.
    const order = new Map(this.rules.map((r, i) => [r.id, i]));
    const due = (id: string): number => {
      const a = this.states.get(id)!;
      return a.pendingSince + (a.raw ? this.byId.get(id)!.onDelayMs : this.byId.get(id)!.offDelayMs);
    };
    const ids = [...this.pending].sort((x, y) => due(x) - due(y) || order.get(x)! - order.get(y)!);
    for (const id of ids) {
      const r = this.byId.get(id)!;
      const a = this.states.get(id)!;
      if (a.pendingSince < 0) {
        this.pending.delete(id);
        continue;
      }
      const delay = a.raw ? r.onDelayMs : r.offDelayMs;
      if (now - a.pendingSince >= delay) this.confirm(r, a, a.raw, Math.max(now, a.pendingSince + delay), out, a.sample);
    }
    return out;
  }

  /** When `advance` has something to do next, or Infinity. */
  nextDueAt(): number {
    let due = Infinity;
    for (const id of this.pending) {
      const r = this.byId.get(id)!;
      const a = this.states.get(id)!;
      if (a.pendingSince >= 0) due = Math.min(due, a.pendingSince + (a.raw ? r.onDelayMs : r.offDelayMs));
    }
    return Math.min(due, this.shelfDue);
  }

  /** The alarms a command names: an id, every alarm of a tag, or "*". */
  private select(target: string | undefined, command: string): AlarmRule[] {
    if (target === undefined || target === '') throw new PlantwireError('bad-command', `${command}: say which alarm (payload.alarm = an alarm id, a tag, or "*" for all)`, 'command without alarm');
    if (target === '*') return this.rules;
    const one = this.byId.get(target);
    if (one) return [one];
    const ofTag = this.byTag.get(target);
    if (ofTag) return ofTag;
    throw new PlantwireError('not-found', `${command}: no alarm "${target}" in this node (ids look like ${this.rules[0]!.id})`, `no alarm ${target}`);
  }

  /** Operator commands: acknowledge, shelve (minutes), unshelve, out-of-service, in-service. */
  command(cmd: AlarmCommand, now: number): AlarmEvent[] {
    this.tick(now);
    const out: AlarmEvent[] = [];
    this.expireShelves(now, out);
    const name = cmd.command === 'ack' ? 'acknowledge' : cmd.command;
    const extra = { user: typeof cmd.user === 'string' ? cmd.user : undefined, comment: typeof cmd.comment === 'string' ? cmd.comment : undefined };
    const targets = this.select(cmd.alarm, name);
    for (const r of targets) {
      const a = this.states.get(r.id)!;
      const prev = this.display(r, a);
      switch (name) {
        case 'acknowledge':
          if (prev !== 'UNACK' && prev !== 'RTNUN') break;
          a.state = a.state === 'UNACK' ? 'ACKED' : 'NORM';
          a.ackedAt = now;
          a.ackedBy = extra.user;
          out.push(this.event(r, a, 'acknowledge', prev, now, extra));
          break;
        case 'shelve': {
          if (a.oos) break;
          const minutes = cmd.minutes === undefined ? this.settings.shelveMs / 60_000 : cmd.minutes;
          if (typeof minutes !== 'number' || !Number.isFinite(minutes) || minutes <= 0) throw new PlantwireError('bad-command', `shelve: minutes must be a number above 0, got ${describeValue(minutes)}`, 'bad shelve minutes');
          const ms = Math.round(minutes * 60_000);
          if (ms > this.settings.maxShelveMs) throw new PlantwireError('bad-command', `shelve: at most ${this.settings.maxShelveMs / 60_000} minutes (the node's longest shelve), got ${minutes}`, 'shelve too long');
          a.shelvedUntil = now + ms;
          a.shelvedBy = extra.user;
          this.shelfDue = Math.min(this.shelfDue, a.shelvedUntil);
          out.push(this.event(r, a, 'shelve', prev, now, extra));
          break;
        }
        case 'unshelve':
          if (a.shelvedUntil <= 0) break;
          a.shelvedUntil = 0;
          delete a.shelvedBy;
          if (prev === 'SHLVD') this.release(r, a, now);
          out.push(this.event(r, a, 'unshelve', prev, now, extra));
          break;
        case 'out-of-service':
          if (a.oos) break;
          a.oos = true;
          out.push(this.event(r, a, 'remove-from-service', prev, now, extra));
          break;
        case 'in-service':
          if (!a.oos) break;
          a.oos = false;
          if (this.display(r, a) === a.state) this.release(r, a, now);
          out.push(this.event(r, a, 'return-to-service', prev, now, extra));
          break;
        default:
          throw new PlantwireError('bad-command', `unknown command ${describeValue(cmd.command)}: use ${COMMANDS.join(', ')}`, 'unknown command');
      }
    }
    return out;
  }

  /** All alarms as a display lists them (the alarm list / summary). */
  list(): AlarmView[] {
    return this.rules.map((r) => {
      const a = this.states.get(r.id)!;
      const v: AlarmView = {
        id: r.id,
        tag: r.tag,
        kind: r.kind,
        priority: r.priority,
        message: r.message,
        state: this.display(r, a),
        active: a.active,
        acknowledged: a.state === 'NORM' || a.state === 'ACKED',
        value: a.value,
        count: a.count,
      };
      if (a.active && a.raisedAt > 0) v.raisedAt = isoOf(a.raisedAt);
      if (a.shelvedUntil > 0) v.shelvedUntil = isoOf(a.shelvedUntil);
      return v;
    });
  }

  /** The state of one alarm as shown (tests, the admin route). */
  stateOf(id: string): AlarmStateName | undefined {
    const r = this.byId.get(id);
    return r ? this.display(r, this.states.get(id)!) : undefined;
  }

  /**
   * Updates the flood flag at `now` (a flood begins above the threshold and
   * ends below half of it); true when a flood began or ended.
   */
  updateFlood(now: number): boolean {
    this.tick(now);
    const n = this.windowCount(this.clock);
    const threshold = this.settings.floodThreshold;
    if (!this.flood && n > threshold) {
      this.flood = true;
      this.floodSince = this.clock;
      return true;
    }
    if (this.flood && n < threshold / 2) {
      this.flood = false;
      return true;
    }
    return false;
  }

  /** Alarm-rate figures at `now` (call `updateFlood` first for a fresh flood flag). */
  rate(now: number): AlarmRate {
    this.tick(now);
    const t = this.clock;
    const n = this.windowCount(t);
    const threshold = this.settings.floodThreshold;
    let active = 0;
    let unack = 0;
    let shelved = 0;
    let suppressed = 0;
    let oos = 0;
    let stale = 0;
    const chattering: string[] = [];
    const counts: Array<{ id: string; count: number }> = [];
    for (const r of this.rules) {
      const a = this.states.get(r.id)!;
      const s = this.display(r, a);
      if (s === 'OOSRV') oos += 1;
      else if (s === 'DSUPR') suppressed += 1;
      else if (s === 'SHLVD') shelved += 1;
      else {
        if (a.active) active += 1;
        if (s === 'UNACK' || s === 'RTNUN') unack += 1;
        if (a.active && a.raisedAt > 0 && t - a.raisedAt > STALE_MS) stale += 1;
      }
      if (a.recent.length >= CHATTER_COUNT && a.recent[a.recent.length - 1]! - a.recent[0]! <= CHATTER_MS && t - a.recent[a.recent.length - 1]! <= RATE_WINDOW_MS) chattering.push(r.id);
      if (a.count > 0) counts.push({ id: r.id, count: a.count });
    }
    counts.sort((x, y) => y.count - x.count || (x.id < y.id ? -1 : 1));
    const since = this.since < 0 ? t : this.since;
    const elapsed = Math.max(RATE_WINDOW_MS, t - since);
    return {
      alarms: n,
      windowMinutes: 10,
      flood: this.flood,
      floodThreshold: threshold,
      active,
      unacknowledged: unack,
      shelved,
      suppressed,
      outOfService: oos,
      stale,
      chattering,
      totalAnnunciated: this.total,
      since: isoOf(Number.isFinite(since) ? since : 0),
      averagePer10Min: round((this.total * RATE_WINDOW_MS) / elapsed),
      peakPer10Min: this.peak,
      floodPercent: round((100 * this.floodMs) / elapsed),
      top: counts.slice(0, 10).map((c) => ({ id: c.id, count: c.count, share: this.total > 0 ? round((100 * c.count) / this.total, 1) : 0 })),
      time: isoOf(Number.isFinite(t) ? t : 0),
    };
  }

  snapshot(): AlarmSnapshot {
    const alarms: Record<string, AlarmState> = {};
    for (const [id, a] of this.states) alarms[id] = a;
    return {
      v: 1,
      suppressed: this.suppressed,
      setpoints: Object.fromEntries(this.setpoints),
      alarms,
      rate: { times: this.times.slice(this.head), total: this.total, since: this.since, peak: this.peak, floodMs: this.floodMs, flood: this.flood, floodSince: this.floodSince, clock: Number.isFinite(this.clock) ? this.clock : -1 },
    };
  }

  /** Takes over a snapshot (after a restart): the state of every alarm that still exists; returns how many. */
  restore(snap: unknown): number {
    if (!snap || typeof snap !== 'object' || (snap as AlarmSnapshot).v !== 1) return 0;
    const s = snap as AlarmSnapshot;
    let n = 0;
    for (const [id, saved] of Object.entries(s.alarms ?? {})) {
      const r = this.byId.get(id);
      if (!r || !saved || typeof saved !== 'object' || !['NORM', 'UNACK', 'ACKED', 'RTNUN'].includes(saved.state)) continue;
      const a = Object.assign(this.states.get(id)!, newState(), saved, { recent: Array.isArray(saved.recent) ? saved.recent.slice(-CHATTER_COUNT) : [] });
      if (a.pendingSince >= 0) this.pending.add(id);
      if (a.shelvedUntil > 0) this.shelfDue = Math.min(this.shelfDue, a.shelvedUntil);
      n += 1;
    }
    this.suppressed = s.suppressed === true && this.settings.suppressTag !== '';
    for (const [tag, v] of Object.entries(s.setpoints ?? {})) if (this.bySetpointTag.has(tag) && typeof v === 'number') this.setpoints.set(tag, v);
    const rt = s.rate;
    if (rt && Array.isArray(rt.times)) {
      this.times = rt.times.filter((x) => typeof x === 'number').slice(-MAX_RATE_ENTRIES);
      this.head = 0;
      this.total = Number(rt.total) || 0;
      this.since = typeof rt.since === 'number' ? rt.since : -1;
      this.peak = Number(rt.peak) || 0;
      this.floodMs = Number(rt.floodMs) || 0;
      this.flood = rt.flood === true;
      this.floodSince = Number(rt.floodSince) || 0;
      if (typeof rt.clock === 'number' && rt.clock >= 0) this.clock = rt.clock;
    }
    return n;
  }
}

/** Reads an operator command from a message payload, or null when the payload is not a command. */
export function readCommand(payload: unknown): AlarmCommand | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const p = payload as Record<string, unknown>;
  if (!('command' in p)) return null;
  if (typeof p.command !== 'string' || !(COMMANDS as readonly string[]).includes(p.command)) {
    throw new PlantwireError('bad-command', `payload.command must be one of ${COMMANDS.join(', ')}, got ${describeValue(p.command)}`, 'unknown command');
  }
  if (p.alarm !== undefined && typeof p.alarm !== 'string') throw new PlantwireError('bad-command', `payload.alarm must be an alarm id, a tag or "*", got ${describeValue(p.alarm)}`, 'bad alarm id');
  if (p.minutes !== undefined && (typeof p.minutes !== 'number' || !Number.isFinite(p.minutes))) throw new PlantwireError('bad-command', `payload.minutes must be a number, got ${describeValue(p.minutes)}`, 'bad shelve minutes');
  const cmd: AlarmCommand = { command: p.command };
  if (typeof p.alarm === 'string') cmd.alarm = p.alarm;
  if (typeof p.minutes === 'number') cmd.minutes = p.minutes;
  if (typeof p.user === 'string') cmd.user = p.user.slice(0, 200);
  if (typeof p.comment === 'string') cmd.comment = p.comment.slice(0, 1000);
  return cmd;
}

/**
 * The event as a tag sample (so email-out, historian-out and erp-out take it
 * as it is): the alarm's tag and value, the event time, plus `alarm` with
 * the transition. Unit and asset come from the triggering sample.
 */
export function eventSample(ev: AlarmEvent): TagSample & { alarm: AlarmEvent } {
  const s: TagSample & { alarm: AlarmEvent } = { tag: ev.tag, value: ev.value ?? null, quality: ev.sample?.quality ?? 'good', sourceTimestamp: ev.time, alarm: ev };
  if (ev.sample?.unit !== undefined) s.unit = ev.sample.unit;
  if (ev.sample?.asset !== undefined) s.asset = ev.sample.asset;
  return s;
}
