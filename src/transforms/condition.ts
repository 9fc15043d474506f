/**
 * plantwire-condition: condition monitoring for predictive maintenance, on
 * tag samples. Pure: the caller passes the clock (`now`, epoch ms); the
 * node keeps the snapshot on disk.
 *
 * 1. Usage counters against maintenance intervals (time- and usage-based
 *    maintenance, EN 13306 / ISO 55000 terms):
 *    - runHours: time while the tag's value is one of the "running" values
 *      (each value holds until the next sample of the tag, by sample time);
 *    - starts: changes from not running to running;
 *    - cycles: the increase of a counter tag (a decrease is a reset or,
 *      with a rollover value, a wrap — the window node's rule), or rising
 *      edges of a boolean.
 *    A counter raises `due-soon` once its usage since the last maintenance
 *    reaches the "due soon" share of the interval (default 90 %) and `due`
 *    once it reaches the interval; `maintained` (a command) starts the next
 *    interval. Events carry the usage, what remains and — from the usage
 *    rate since the last maintenance — when the interval is expected to end.
 *
 * 2. Drift and anomaly detection on a learned baseline (statistical process
 *    control, Montgomery, *Introduction to Statistical Quality Control*):
 *    the first `learn` good samples give the baseline mean μ and standard
 *    deviation σ; then every sample x is judged, as e = (x − μ)/σ, by
 *    - ewma: z_k = λ·x_k + (1 − λ)·z_(k−1), z_0 = μ, flagged when
 *      |z_k − μ| > L·σ·√(λ/(2−λ)·(1 − (1−λ)^(2k))) (time-varying limits);
 *    - Western Electric rules: we1 one point beyond 3σ; we2 two of three
 *      beyond 2σ on the same side; we3 four of five beyond 1σ on the same
 *      side; we4 eight in a row on the same side of μ;
 *    - Nelson rules beyond those: trend (N3) six in a row steadily rising or
 *      falling; alternating (N4) fourteen in a row alternating up and down;
 *      stratified (N7) fifteen in a row within 1σ; mixture (N8) eight in a
 *      row beyond 1σ, on either side.
 *    A rule raises `drift` (ewma, we4, trend) or `anomaly` (the others)
 *    when it starts to fire; `normal` follows after `clearAfter` samples in
 *    a row on which no rule fires. `relearn` learns a new baseline (after a
 *    repair, say).
 *
 *    Plant signals are autocorrelated (a value is close to the one before),
 *    which makes the textbook EWMA limits far too narrow: the learning
 *    phase also estimates the lag-1 autocorrelation ρ, and the limits are
 *    widened by the EWMA variance of an AR(1) input, factor
 *    f = (1 + ρ(1−λ)) / (1 − ρ(1−λ)) (f = 1 for independent samples).
 *
 *    What the EWMA chart promises: a sustained shift of δσ in the mean is
 *    flagged by sample k(δ) with probability ≥ 97.7 %, where k(δ) is the
 *    first k at which the noise-free statistic δ·(1 − (1−λ)^k) exceeds the
 *    (asymptotic) limit by two standard deviations of the statistic:
 *    δ·(1 − (1−λ)^k) ≥ (L + 2)·√(λ/(2−λ)·f). `ewmaDetectionBound` computes
 *    it. The rules of Western Electric and Nelson assume independent
 *    samples: feed them 1-minute means (the window node) rather than a
 *    fast raw signal.
 *
 * Hand-written: the arithmetic is a few lines per rule; the npm SPC
 * packages found are unmaintained or chart-only (no state per tag, no
 * streaming), and the rules must run per sample with bounded state.
 */
import { PlantwireError } from '../model/errors';
import { describe as describeValue, type SampleValue, type TagSample } from '../model/sample';
import { defineFields, parseFields } from '../model/fields';
import { numberSetting } from '../model/settings';
import { isoOf, timestampMs } from './samples';
import { counterIncrease } from './window';

export const MEASURES = ['runHours', 'starts', 'cycles'] as const;
export type Measure = (typeof MEASURES)[number];
export const SPC_RULES = ['ewma', 'we1', 'we2', 'we3', 'we4', 'trend', 'alternating', 'stratified', 'mixture'] as const;
export type SpcRule = (typeof SPC_RULES)[number];
const DRIFT_RULES: ReadonlySet<SpcRule> = new Set(['ewma', 'we4', 'trend']);
export const PRIORITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Priority = (typeof PRIORITIES)[number];
/** At most this many counters plus monitors per node. */
export const MAX_ITEMS = 10_000;
/** Samples of history a monitor keeps (the longest rule, N7, needs 15). */
const HISTORY = 15;

const RULE_TEXT: Record<SpcRule, string> = {
  ewma: 'EWMA outside its control limits (a sustained shift of the mean)',
  we1: 'one point beyond 3σ (Western Electric rule 1)',
  we2: 'two of three points beyond 2σ on one side (Western Electric rule 2)',
  we3: 'four of five points beyond 1σ on one side (Western Electric rule 3)',
  we4: 'eight points in a row on one side of the mean (Western Electric rule 4)',
  trend: 'six points in a row steadily rising or falling (Nelson rule 3)',
  alternating: 'fourteen points in a row alternating up and down (Nelson rule 4)',
  stratified: 'fifteen points in a row within 1σ (Nelson rule 7)',
  mixture: 'eight points in a row beyond 1σ on either side (Nelson rule 8)',
};

export interface CounterInput {
  name?: string;
  tag?: string;
  measure?: string;
  /** runHours / starts (and boolean cycles): the values that mean running, comma-separated. */
  running?: string;
  /** Hours (runHours) or a count (starts, cycles). */
  interval?: number | string;
  /** "Due soon" at this percentage of the interval (default 90). */
  dueSoon?: number | string;
  /** cycles: the counter's rollover value (0 = none). */
  rollover?: number | string;
  priority?: string;
  description?: string;
}

export interface Counter {
  name: string;
  tag: string;
  measure: Measure;
  running: ReadonlySet<string>;
  interval: number;
  dueSoonAt: number;
  dueSoonPercent: number;
  rollover: number;
  priority: Priority;
  description: string;
}

export interface MonitorInput {
  name?: string;
  tag?: string;
  /** Samples that make the baseline (default 100). */
  learn?: number | string;
  lambda?: number | string;
  /** Width of the EWMA limits (default 3.5). */
  L?: number | string;
  /** Comma-separated rules (default "ewma"). */
  rules?: string | string[];
  /** Quiet samples before a flag clears (default 10). */
  clearAfter?: number | string;
  priority?: string;
  description?: string;
}

export interface Monitor {
  name: string;
  tag: string;
  learn: number;
  lambda: number;
  L: number;
  rules: SpcRule[];
  clearAfter: number;
  priority: Priority;
  description: string;
}

export interface ConditionConfig {
  counters?: unknown;
  monitors?: unknown;
  /** Keep counters and baselines on disk (default on). */
  persist?: boolean;
}

export interface ConditionSettings {
  counters: Counter[];
  monitors: Monitor[];
}

const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);
function list(text: unknown): string[] {
  const parts = Array.isArray(text) ? text.map(String) : String(text ?? '').split(',');
  return parts.map((s) => s.trim()).filter((s) => s !== '');
}
function priorityOf(v: unknown, where: string): Priority {
  const p = (v === undefined || v === '' ? 'medium' : v) as Priority;
  if (!PRIORITIES.includes(p)) throw bad(`${where}: priority must be one of ${PRIORITIES.join(', ')}, got ${JSON.stringify(v)}`, `${where}: bad priority`);
  return p;
}
function parseList(raw: unknown, what: string): unknown[] {
  let v = raw;
  if (v === undefined || v === null || v === '') return [];
  if (typeof v === 'string') {
    try {
      v = JSON.parse(v);
    } catch (err) {
      throw bad(`${what} must be a JSON array: ${(err as Error).message}`, `${what}: bad JSON`);
    }
  }
  if (!Array.isArray(v)) throw bad(`${what} must be a list, got ${describeValue(v)}`, `${what}: not a list`);
  return v;
}

export function counterRule(input: CounterInput, where: string): Counter {
  if (input === null || typeof input !== 'object') throw bad(`${where} must be an object`, `${where}: not an object`);
  const cfg = input as Record<string, unknown>;
  const tag = typeof input.tag === 'string' ? input.tag.trim() : '';
  if (tag === '') throw bad(`${where}: the tag is empty: enter the machine-state, running or counter tag`, `${where}: tag is empty`);
  const measure = (input.measure ?? 'runHours') as Measure;
  if (!MEASURES.includes(measure)) throw bad(`${where} (${tag}): measure must be one of ${MEASURES.join(', ')}, got ${JSON.stringify(input.measure)}`, `${where}: bad measure`);
  const interval = numberSetting(cfg, 'interval', { label: `${where} (${tag}) interval` });
  if (!(interval > 0)) throw bad(`${where} (${tag}): the interval must be above 0, got ${interval}`, `${where}: interval must be > 0`);
  const dueSoonPercent = numberSetting(cfg, 'dueSoon', { min: 1, max: 100, default: 90, label: `${where} (${tag}) due soon (%)` });
  const running = new Set(list(input.running ?? 'true, Running'));
  if (running.size === 0) throw bad(`${where} (${tag}): list the values that mean running, e.g. true, Running`, `${where}: no running values`);
  const name = typeof input.name === 'string' && input.name.trim() !== '' ? input.name.trim() : `${tag}:${measure}`;
  return {
    name,
    tag,
    measure,
    running,
    interval,
    dueSoonPercent,
    dueSoonAt: (interval * dueSoonPercent) / 100,
    rollover: numberSetting(cfg, 'rollover', { min: 0, default: 0, label: `${where} (${tag}) rollover` }),
    priority: priorityOf(input.priority, where),
    description: typeof input.description === 'string' ? input.description : '',
  };
}

export function monitorRule(input: MonitorInput, where: string): Monitor {
  if (input === null || typeof input !== 'object') throw bad(`${where} must be an object`, `${where}: not an object`);
  const cfg = input as Record<string, unknown>;
  const tag = typeof input.tag === 'string' ? input.tag.trim() : '';
  if (tag === '') throw bad(`${where}: the tag is empty: enter the tag to watch, e.g. Line1/Filler/BowlPressure`, `${where}: tag is empty`);
  const rules = list(input.rules ?? 'ewma');
  if (rules.length === 0) throw bad(`${where} (${tag}): pick at least one rule (ewma, we1 … we4, trend, alternating, stratified, mixture)`, `${where}: no rule`);
  for (const r of rules) if (!(SPC_RULES as readonly string[]).includes(r)) throw bad(`${where} (${tag}): unknown rule "${r}": use ${SPC_RULES.join(', ')}`, `${where}: unknown rule ${r}`);
  const name = typeof input.name === 'string' && input.name.trim() !== '' ? input.name.trim() : tag;
  return {
    name,
    tag,
    learn: numberSetting(cfg, 'learn', { min: 10, max: 1_000_000, integer: true, default: 100, label: `${where} (${tag}) learn (samples)` }),
    lambda: numberSetting(cfg, 'lambda', { min: 0.01, max: 1, default: 0.2, label: `${where} (${tag}) EWMA λ` }),
    L: numberSetting(cfg, 'L', { min: 1, max: 10, default: 3.5, label: `${where} (${tag}) EWMA limit L` }),
    rules: [...new Set(rules)] as SpcRule[],
    clearAfter: numberSetting(cfg, 'clearAfter', { min: 1, max: 100_000, integer: true, default: 10, label: `${where} (${tag}) clear after (samples)` }),
    priority: priorityOf(input.priority, where),
    description: typeof input.description === 'string' ? input.description : '',
  };
}

/** How many rows a saved list holds (0 when it is not a list: its parser says why). */
function rowCount(raw: unknown): number {
  try {
    return parseList(raw, 'list').length;
  } catch {
    return 0;
  }
}

function monitorList(raw: unknown, counters: number): Monitor[] {
  const monitors = parseList(raw, 'monitors').map((m, i) => monitorRule(m as MonitorInput, `monitor ${i + 1}`));
  if (counters + monitors.length === 0) throw bad('nothing to watch: add a usage counter or a drift monitor', 'nothing to watch');
  return monitors;
}

/**
 * The settings of plantwire-condition, declared once: the dialog's defaults
 * and validators (nodes/plantwire-condition/fields.ts), the check at deploy
 * (`conditionSettings`) and the help's settings table come from here. The
 * counter and monitor lists are read row by row (counterRule, monitorRule),
 * in the dialog too.
 */
export const conditionFields = defineFields('plantwire-condition', 1, {
  counters: { kind: 'value', default: [] as unknown[], label: 'counters', message: 'counters', hidden: true, parse: (v) => parseList(v, 'counters').map((c, i) => counterRule(c as CounterInput, `counter ${i + 1}`)) },
  // At least one counter or monitor.
  monitors: { kind: 'value', default: [] as unknown[], label: 'monitors', message: 'monitors', hidden: true, parse: (v, c) => monitorList(v, rowCount(c.counters)) },
  persist: { kind: 'boolean', default: true, label: 'keep state' },
});

/** Checks the saved settings once, by the field spec: each row, the total, unique names. */
export function conditionSettings(config: ConditionConfig): ConditionSettings {
  const { counters, monitors } = parseFields(conditionFields, config as Record<string, unknown>);
  if (counters.length + monitors.length > MAX_ITEMS) throw bad(`at most ${MAX_ITEMS} counters and monitors per node: split them over several nodes`, 'too many items');
  for (const [what, names] of [
    ['counter', counters.map((c) => c.name)],
    ['monitor', monitors.map((m) => m.name)],
  ] as const) {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n)) throw bad(`two ${what}s are named "${n}": give one of them another name`, `duplicate ${what} ${n}`);
      seen.add(n);
    }
  }
  return { counters, monitors };
}

/**
 * The EWMA chart's promise: the number of samples by which a sustained
 * shift of `shiftSigma` standard deviations is flagged with probability at
 * least 97.7 % (see the file comment); Infinity when the shift is too small
 * to promise anything.
 */
export function ewmaDetectionBound(shiftSigma: number, lambda: number, L: number, rho = 0): number {
  const need = (L + 2) * Math.sqrt((lambda / (2 - lambda)) * ar1Factor(rho, lambda));
  const d = Math.abs(shiftSigma);
  if (d <= need) return Infinity;
  if (lambda >= 1) return 1;
  return Math.max(1, Math.ceil(Math.log(1 - need / d) / Math.log(1 - lambda)));
}

/**
 * How much an AR(1) input with lag-1 autocorrelation ρ widens the EWMA
 * statistic's variance: (1 + ρ(1−λ)) / (1 − ρ(1−λ)) (1 for independent samples).
 */
export function ar1Factor(rho: number, lambda: number): number {
  const a = rho * (1 - lambda);
  return (1 + a) / (1 - a);
}

export type ConditionKind = 'due-soon' | 'due' | 'maintained' | 'drift' | 'anomaly' | 'normal' | 'learned';

/** What a condition event carries (payload.condition). */
export interface ConditionEvent {
  kind: ConditionKind;
  /** Counter or monitor name. */
  name: string;
  tag: string;
  priority: Priority;
  /** One line, at most 40 characters (SAP's notification short text). */
  summary: string;
  /** What was seen and why, in full sentences (notification long text, mail body). */
  description: string;
  time: string;
  /** The sample that triggered it (none for commands). */
  sample?: TagSample;
  user?: string;
  counter?: { measure: Measure; usage: number; interval: number; remaining: number; percent: number; unit: string; total: number; expectedDueAt?: string; maintainedAt?: string };
  monitor?: { rules: SpcRule[]; value: number; mean: number; sigma: number; rho: number; ewma: number; ucl: number; lcl: number; deviationSigma: number; samples: number };
}

interface CounterState {
  usage: number;
  total: number;
  running: boolean | null;
  last: number;
  lastCount: number | null;
  dueSoonSent: boolean;
  dueSent: boolean;
  since: number;
  maintainedAt: number;
}

interface MonitorState {
  phase: 'learning' | 'watching';
  n: number;
  mean: number;
  m2: number;
  mu: number;
  sigma: number;
  /** Lag-1 autocorrelation learned with the baseline (0 … 0.95). */
  rho: number;
  /** Learning: the first and the previous value and Σ (x_t − x_1)·(x_(t−1) − x_1). */
  first: number;
  prev: number;
  lagSum: number;
  z: number;
  k: number;
  /** Last HISTORY values and their e = (x − μ)/σ. */
  xs: number[];
  es: number[];
  flagged: SpcRule[];
  quiet: number;
}

export interface ConditionSnapshot {
  v: 1;
  counters: Record<string, CounterState>;
  monitors: Record<string, MonitorState>;
}

export const CONDITION_COMMANDS = ['maintained', 'relearn', 'list'] as const;

export interface ConditionCommand {
  command: (typeof CONDITION_COMMANDS)[number];
  /** Counter or monitor name, a tag, or "*". */
  target?: string;
  user?: string;
}

function newCounter(): CounterState {
  return { usage: 0, total: 0, running: null, last: NaN, lastCount: null, dueSoonSent: false, dueSent: false, since: NaN, maintainedAt: NaN };
}
function newMonitor(): MonitorState {
  return { phase: 'learning', n: 0, mean: 0, m2: 0, mu: 0, sigma: 0, rho: 0, first: NaN, prev: NaN, lagSum: 0, z: 0, k: 0, xs: [], es: [], flagged: [], quiet: 0 };
}
const r3 = (x: number): number => Math.round(x * 1000) / 1000;
const short = (s: string): string => (s.length <= 40 ? s : `${s.slice(0, 39)}…`);
function unitOf(m: Measure): string {
  return m === 'runHours' ? 'h' : m;
}

export class ConditionEngine {
  private readonly countersByTag = new Map<string, Counter[]>();
  private readonly monitorsByTag = new Map<string, Monitor[]>();
  private readonly counterState = new Map<string, CounterState>();
  private readonly monitorState = new Map<string, MonitorState>();
  /** Per tag: the state objects of its monitors, in the order of monitorsByTag (kept for the life of the engine). */
  private readonly monitorStates = new Map<string, MonitorState[]>();
  /** Samples of tags nothing watches; bad-quality samples. */
  ignored = 0;
  badQuality = 0;

  constructor(readonly settings: ConditionSettings) {
    for (const c of settings.counters) {
      this.counterState.set(c.name, newCounter());
      const l = this.countersByTag.get(c.tag);
      if (l) l.push(c);
      else this.countersByTag.set(c.tag, [c]);
    }
    for (const m of settings.monitors) {
      const st = newMonitor();
      this.monitorState.set(m.name, st);
      const l = this.monitorsByTag.get(m.tag);
      if (l) l.push(m);
      else this.monitorsByTag.set(m.tag, [m]);
      const ss = this.monitorStates.get(m.tag);
      if (ss) ss.push(st);
      else this.monitorStates.set(m.tag, [st]);
    }
  }

  /** Checks a sample without changing anything; a clear error for a value the counters or monitors cannot use. */
  check(s: TagSample, index = -1): void {
    if (s.quality === 'bad') return;
    // Where the sample sits, for the error message (built only when there is one).
    const at = (): string => (index >= 0 ? `payload[${index}]` : 'payload');
    const monitors = this.monitorsByTag.get(s.tag);
    if (monitors && typeof s.value !== 'number') {
      throw new PlantwireError(
        'not-a-number',
        `${at()}.value must be a number for the drift monitor ${monitors[0]!.name}, got ${describeValue(s.value)}${typeof s.value === 'string' && s.value.trim() !== '' && Number.isFinite(Number(s.value)) ? ': a numeric string — convert it first, e.g. with plantwire-normalize' : ''}`,
        'value is not a number',
      );
    }
    const counters = this.countersByTag.get(s.tag);
    if (counters) {
      for (const c of counters) {
        if (c.measure === 'cycles' && typeof s.value !== 'number' && typeof s.value !== 'boolean') {
          throw new PlantwireError('not-a-number', `${at()}.value must be a counter (number) or a boolean for the cycle counter ${c.name}, got ${describeValue(s.value)}`, 'value is not a count');
        }
      }
    }
    // The timestamp was checked when the sample was read (readSamples).
  }

  /** Checks the whole batch, then processes it; returns the events. */
  process(samples: TagSample[], now: number, batch = samples.length > 1): ConditionEvent[] {
    for (let i = 0; i < samples.length; i++) this.check(samples[i]!, batch ? i : -1);
    const out: ConditionEvent[] = [];
    for (let i = 0; i < samples.length; i++) this.offer(samples[i]!, now, out);
    return out;
  }

  /** Processes one checked sample (`now` is kept for symmetry with the other transforms: time comes from the sample). */
  offer(s: TagSample, now: number, out: ConditionEvent[] = []): ConditionEvent[] {
    void now;
    const counters = this.countersByTag.get(s.tag);
    const monitors = this.monitorsByTag.get(s.tag);
    if (!counters && !monitors) {
      this.ignored += 1;
      return out;
    }
    if (s.quality === 'bad') {
      this.badQuality += 1;
      return out;
    }
    if (counters) {
      const t = timestampMs(s.sourceTimestamp);
      for (let i = 0; i < counters.length; i++) this.count(counters[i]!, s, t, out);
    }
    if (monitors) {
      const states = this.monitorStates.get(s.tag)!;
      for (let i = 0; i < monitors.length; i++) this.watch(monitors[i]!, states[i]!, s, s.value as number, out);
    }
    return out;
  }

  private isRunning(c: Counter, v: SampleValue): boolean {
    return c.running.has(typeof v === 'string' ? v : JSON.stringify(v));
  }

  private count(c: Counter, s: TagSample, t: number, out: ConditionEvent[]): void {
    const st = this.counterState.get(c.name)!;
    if (Number.isNaN(st.since)) st.since = t;
    if (Number.isNaN(st.maintainedAt)) st.maintainedAt = t;
    let add = 0;
    if (c.measure === 'runHours') {
      if (st.running === true && t > st.last) add = (t - st.last) / 3_600_000;
      st.running = this.isRunning(c, s.value);
    } else if (c.measure === 'starts') {
      const running = this.isRunning(c, s.value);
      if (st.running === false && running) add = 1;
      st.running = running;
    } else if (typeof s.value === 'boolean') {
      if (st.running === false && s.value) add = 1;
      st.running = s.value;
    } else {
      const v = s.value as number;
      if (st.lastCount !== null) add = counterIncrease(st.lastCount, v, c.rollover);
      st.lastCount = v;
    }
    if (!(t < st.last)) st.last = t;
    if (add <= 0) return;
    st.usage += add;
    st.total += add;
    if (!st.dueSent && st.usage >= c.interval) {
      st.dueSent = true;
      st.dueSoonSent = true;
      out.push(this.counterEvent(c, st, 'due', t, s));
    } else if (!st.dueSoonSent && st.usage >= c.dueSoonAt) {
      st.dueSoonSent = true;
      out.push(this.counterEvent(c, st, 'due-soon', t, s));
    }
  }

  private counterEvent(c: Counter, st: CounterState, kind: ConditionKind, t: number, sample?: TagSample, user?: string): ConditionEvent {
    const unit = unitOf(c.measure);
    const remaining = Math.max(0, c.interval - st.usage);
    const percent = (100 * st.usage) / c.interval;
    const counter: NonNullable<ConditionEvent['counter']> = { measure: c.measure, usage: r3(st.usage), interval: c.interval, remaining: r3(remaining), percent: Math.round(percent * 10) / 10, unit, total: r3(st.total) };
    if (Number.isFinite(st.maintainedAt)) counter.maintainedAt = isoOf(st.maintainedAt);
    // Expected end of the interval from the usage rate since the last maintenance.
    const elapsed = t - st.maintainedAt;
    if (kind !== 'maintained' && remaining > 0 && elapsed > 0 && st.usage > 0) counter.expectedDueAt = isoOf(t + (remaining * elapsed) / st.usage);
    const what = c.description ? `${c.description}: ` : '';
    const fmt = (x: number): string => `${r3(x)} ${unit}`;
    let summary: string;
    let description: string;
    if (kind === 'due') {
      summary = `Maintenance due: ${c.name}`;
      description = `${what}${c.name} reached its maintenance interval: ${fmt(st.usage)} since the last maintenance (interval ${fmt(c.interval)}, tag ${c.tag}).`;
    } else if (kind === 'due-soon') {
      summary = `Maintenance due soon: ${c.name}`;
      description = `${what}${c.name} has used ${counter.percent} % of its maintenance interval: ${fmt(st.usage)} of ${fmt(c.interval)} (tag ${c.tag}); ${fmt(remaining)} remain${counter.expectedDueAt ? `, expected at ${counter.expectedDueAt} at the current usage rate` : ''}.`;
    } else {
      summary = `Maintained: ${c.name}`;
      description = `${c.name} was maintained${user ? ` (by ${user})` : ''}; the next interval of ${fmt(c.interval)} starts now.`;
    }
    const ev: ConditionEvent = { kind, name: c.name, tag: c.tag, priority: c.priority, summary: short(summary), description, time: isoOf(t), counter };
    if (sample) ev.sample = sample;
    if (user) ev.user = user;
    return ev;
  }

  private watch(m: Monitor, st: MonitorState, s: TagSample, x: number, out: ConditionEvent[]): void {
    if (st.phase === 'learning') {
      // Welford's online mean and variance.
      st.n += 1;
      if (st.n === 1) st.first = x;
      else st.lagSum += (x - st.first) * (st.prev - st.first);
      st.prev = x;
      const d = x - st.mean;
      st.mean += d / st.n;
      st.m2 += d * (x - st.mean);
      if (st.n >= m.learn) {
        st.phase = 'watching';
        st.mu = st.mean;
        const sd = Math.sqrt(st.m2 / (st.n - 1));
        // A constant baseline: any change is a deviation (a tiny σ, not a division by zero).
        st.sigma = sd > 0 ? sd : Math.max(Math.abs(st.mu) * 1e-9, 1e-12);
        // Lag-1 autocorrelation ρ = Σ (x_t − μ)(x_(t−1) − μ) / ((n − 1)·σ²), clamped to 0 … 0.95;
        // from sums shifted by the first value y = x − x_1 (no cancellation): with c = μ − x_1,
        // Σ (y_t − c)(y_(t−1) − c) = Σ y_t·y_(t−1) − c·(Σ_(t≥2) y_t + Σ_(t≤n−1) y_t) + (n − 1)·c².
        const c = st.mean - st.first;
        const sumY = st.n * c;
        const cov = st.lagSum - c * (sumY - 0 + (sumY - (st.prev - st.first))) + (st.n - 1) * c * c;
        const rho = sd > 0 ? cov / ((st.n - 1) * sd * sd) : 0;
        st.rho = Number.isFinite(rho) ? Math.min(0.95, Math.max(0, rho)) : 0;
        st.z = st.mu;
        st.k = 0;
        out.push(this.monitorEvent(m, st, 'learned', [], x, s));
      }
      return;
    }
    st.k += 1;
    st.z = m.lambda * x + (1 - m.lambda) * st.z;
    const e = (x - st.mu) / st.sigma;
    st.xs.push(x);
    st.es.push(e);
    if (st.xs.length > HISTORY) {
      st.xs.shift();
      st.es.shift();
    }
    // No allocation unless a rule fires (the common case is a quiet sample).
    let firing: SpcRule[] | null = null;
    const rules = m.rules;
    for (let i = 0; i < rules.length; i++) {
      if (this.fires(rules[i]!, m, st)) (firing ??= []).push(rules[i]!);
    }
    if (firing !== null) {
      st.quiet = 0;
      const fresh = firing.filter((r) => !st.flagged.includes(r));
      if (fresh.length > 0) {
        st.flagged = [...new Set([...st.flagged, ...fresh])];
        const drift = fresh.filter((r) => DRIFT_RULES.has(r));
        const anomaly = fresh.filter((r) => !DRIFT_RULES.has(r));
        if (drift.length) out.push(this.monitorEvent(m, st, 'drift', drift, x, s));
        if (anomaly.length) out.push(this.monitorEvent(m, st, 'anomaly', anomaly, x, s));
      }
    } else if (st.flagged.length > 0) {
      st.quiet += 1;
      if (st.quiet >= m.clearAfter) {
        const was = st.flagged;
        st.flagged = [];
        st.quiet = 0;
        out.push(this.monitorEvent(m, st, 'normal', was, x, s));
      }
    }
  }

  private limit(m: Monitor, st: MonitorState): number {
    return m.L * st.sigma * Math.sqrt((m.lambda / (2 - m.lambda)) * (1 - Math.pow(1 - m.lambda, 2 * st.k)) * ar1Factor(st.rho, m.lambda));
  }

  private fires(rule: SpcRule, m: Monitor, st: MonitorState): boolean {
    const es = st.es;
    const n = es.length;
    // The two common rules first, without the helpers' closures.
    if (rule === 'ewma') return Math.abs(st.z - st.mu) > this.limit(m, st);
    if (rule === 'we1') return Math.abs(es[n - 1]!) > 3;
    const last = (k: number): number[] => (n >= k ? es.slice(n - k) : []);
    const sameSide = (xs: number[], beyond: number, need: number): boolean => xs.filter((e) => e > beyond).length >= need || xs.filter((e) => e < -beyond).length >= need;
    switch (rule) {
      case 'we2':
        return n >= 3 && sameSide(last(3), 2, 2);
      case 'we3':
        return n >= 5 && sameSide(last(5), 1, 4);
      case 'we4': {
        const xs = last(8);
        return xs.length === 8 && (xs.every((e) => e > 0) || xs.every((e) => e < 0));
      }
      case 'trend': {
        const xs = st.xs.slice(-6);
        if (xs.length < 6) return false;
        let up = true;
        let down = true;
        for (let i = 1; i < 6; i++) {
          if (!(xs[i]! > xs[i - 1]!)) up = false;
          if (!(xs[i]! < xs[i - 1]!)) down = false;
        }
        return up || down;
      }
      case 'alternating': {
        const xs = st.xs.slice(-14);
        if (xs.length < 14) return false;
        for (let i = 2; i < 14; i++) if (Math.sign(xs[i]! - xs[i - 1]!) !== -Math.sign(xs[i - 1]! - xs[i - 2]!) || xs[i] === xs[i - 1]) return false;
        return true;
      }
      case 'stratified': {
        const xs = last(15);
        return xs.length === 15 && xs.every((e) => Math.abs(e) < 1);
      }
      case 'mixture': {
        const xs = last(8);
        return xs.length === 8 && xs.every((e) => Math.abs(e) > 1);
      }
    }
  }

  private monitorEvent(m: Monitor, st: MonitorState, kind: ConditionKind, rules: SpcRule[], x: number, sample: TagSample): ConditionEvent {
    const t = timestampMs(sample.sourceTimestamp);
    const lim = st.phase === 'watching' ? this.limit(m, st) : 0;
    const dev = st.sigma > 0 ? (x - st.mu) / st.sigma : 0;
    const monitor: NonNullable<ConditionEvent['monitor']> = {
      rules,
      value: x,
      mean: r3(st.mu),
      sigma: r3(st.sigma),
      rho: r3(st.rho),
      ewma: r3(st.z),
      ucl: r3(st.mu + lim),
      lcl: r3(st.mu - lim),
      deviationSigma: Math.round(dev * 100) / 100,
      samples: st.k,
    };
    const unit = sample?.unit ? ` ${sample.unit}` : '';
    const what = m.description ? `${m.description}: ` : '';
    let summary: string;
    let description: string;
    if (kind === 'learned') {
      summary = `Baseline learned: ${m.name}`;
      description = `${m.name} learned its baseline from ${st.n} samples of ${m.tag}: mean ${r3(st.mu)}${unit}, σ ${r3(st.sigma)}${unit}, lag-1 autocorrelation ${r3(st.rho)}. Watching with ${m.rules.join(', ')}.`;
    } else if (kind === 'normal') {
      summary = `Back to normal: ${m.name}`;
      description = `${m.name} (${m.tag}) is back within its baseline: no rule fired for ${m.clearAfter} samples (was: ${rules.join(', ')}).`;
    } else {
      summary = `${kind === 'drift' ? 'Drift' : 'Anomaly'}: ${m.name}`;
      const seen = `${m.tag} = ${x}${unit}, ${Math.abs(monitor.deviationSigma)}σ ${dev >= 0 ? 'above' : 'below'} the learned mean ${r3(st.mu)}${unit} (σ ${r3(st.sigma)}${unit}); EWMA ${r3(st.z)}${unit} against limits ${monitor.lcl}–${monitor.ucl}${unit}`;
      description = `${what}${kind === 'drift' ? 'drift' : 'anomaly'} on ${m.name}: ${rules.map((r) => RULE_TEXT[r]).join('; ')}. Seen: ${seen}, after ${st.k} samples since the baseline was learned.`;
    }
    return { kind, name: m.name, tag: m.tag, priority: m.priority, summary: short(summary), description, time: isoOf(t), sample, monitor };
  }

  /** Commands: `maintained` (a counter, its tag or "*"), `relearn` (a monitor, its tag or "*"). */
  command(cmd: ConditionCommand, now: number): ConditionEvent[] {
    const out: ConditionEvent[] = [];
    const target = cmd.target;
    if (target === undefined || target === '') throw new PlantwireError('bad-command', `${cmd.command}: say which counter or monitor (payload.target = its name, its tag, or "*")`, 'command without target');
    if (cmd.command === 'maintained') {
      const cs = this.settings.counters.filter((c) => target === '*' || c.name === target || c.tag === target);
      if (cs.length === 0) throw new PlantwireError('not-found', `maintained: no counter "${target}" in this node`, `no counter ${target}`);
      for (const c of cs) {
        const st = this.counterState.get(c.name)!;
        st.usage = 0;
        st.dueSoonSent = false;
        st.dueSent = false;
        st.maintainedAt = now;
        out.push(this.counterEvent(c, st, 'maintained', now, undefined, cmd.user));
      }
    } else if (cmd.command === 'relearn') {
      const ms = this.settings.monitors.filter((m) => target === '*' || m.name === target || m.tag === target);
      if (ms.length === 0) throw new PlantwireError('not-found', `relearn: no monitor "${target}" in this node`, `no monitor ${target}`);
      for (const m of ms) Object.assign(this.monitorState.get(m.name)!, newMonitor());
    }
    return out;
  }

  /** Counters and monitors as a display lists them. */
  list(): { counters: Array<Record<string, unknown>>; monitors: Array<Record<string, unknown>> } {
    return {
      counters: this.settings.counters.map((c) => {
        const st = this.counterState.get(c.name)!;
        return { name: c.name, tag: c.tag, measure: c.measure, unit: unitOf(c.measure), usage: r3(st.usage), interval: c.interval, percent: Math.round((1000 * st.usage) / c.interval) / 10, total: r3(st.total), due: st.dueSent, dueSoon: st.dueSoonSent };
      }),
      monitors: this.settings.monitors.map((m) => {
        const st = this.monitorState.get(m.name)!;
        return { name: m.name, tag: m.tag, phase: st.phase, learned: st.phase === 'watching' ? st.k : st.n, mean: r3(st.phase === 'watching' ? st.mu : st.mean), sigma: r3(st.sigma), ewma: r3(st.z), flagged: [...st.flagged] };
      }),
    };
  }

  /** Short figures for the node status. */
  summary(): { due: number; dueSoon: number; flagged: number; learning: number } {
    let due = 0;
    let dueSoon = 0;
    let flagged = 0;
    let learning = 0;
    for (const st of this.counterState.values()) {
      if (st.dueSent) due += 1;
      else if (st.dueSoonSent) dueSoon += 1;
    }
    for (const st of this.monitorState.values()) {
      if (st.phase === 'learning') learning += 1;
      else if (st.flagged.length) flagged += 1;
    }
    return { due, dueSoon, flagged, learning };
  }

  snapshot(): ConditionSnapshot {
    return { v: 1, counters: Object.fromEntries(this.counterState), monitors: Object.fromEntries(this.monitorState) };
  }

  /** Takes over a snapshot: the state of every counter and monitor that still exists (same name and tag). */
  restore(snap: unknown): number {
    if (!snap || typeof snap !== 'object' || (snap as ConditionSnapshot).v !== 1) return 0;
    const s = snap as ConditionSnapshot;
    let n = 0;
    // JSON turns NaN into null: read it back.
    const num = (x: unknown): number => (typeof x === 'number' ? x : NaN);
    for (const c of this.settings.counters) {
      const saved = s.counters?.[c.name];
      if (!saved || typeof saved !== 'object') continue;
      this.counterState.set(c.name, { ...newCounter(), ...saved, last: num(saved.last), since: num(saved.since), maintainedAt: num(saved.maintainedAt) });
      n += 1;
    }
    for (const m of this.settings.monitors) {
      const saved = s.monitors?.[m.name];
      if (!saved || typeof saved !== 'object' || !Array.isArray(saved.es)) continue;
      Object.assign(this.monitorState.get(m.name)!, newMonitor(), saved, { xs: saved.xs.slice(-HISTORY), es: saved.es.slice(-HISTORY), flagged: saved.flagged.filter((r) => m.rules.includes(r)) });
      n += 1;
    }
    return n;
  }
}

/** Reads a command from a message payload, or null when the payload is not one. */
export function readConditionCommand(payload: unknown): ConditionCommand | null {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload)) return null;
  const p = payload as Record<string, unknown>;
  if (!('command' in p)) return null;
  if (typeof p.command !== 'string' || !(CONDITION_COMMANDS as readonly string[]).includes(p.command)) {
    throw new PlantwireError('bad-command', `payload.command must be one of ${CONDITION_COMMANDS.join(', ')}, got ${describeValue(p.command)}`, 'unknown command');
  }
  if (p.target !== undefined && typeof p.target !== 'string') throw new PlantwireError('bad-command', `payload.target must be a counter or monitor name, a tag or "*", got ${describeValue(p.target)}`, 'bad target');
  const cmd: ConditionCommand = { command: p.command as ConditionCommand['command'] };
  if (typeof p.target === 'string') cmd.target = p.target;
  if (typeof p.user === 'string') cmd.user = p.user.slice(0, 200);
  return cmd;
}

/**
 * The event as a tag sample (email-out and historian-out take it as it is):
 * the watched tag, the value seen (the usage for counters), the event time,
 * unit and asset from the sample, plus `condition` — and for erp-out's
 * maintenance notification mapping `condition.summary` (short text),
 * `condition.description` (long text) and `condition.priority`.
 */
export function conditionSample(ev: ConditionEvent): TagSample & { condition: ConditionEvent } {
  const value: SampleValue = ev.counter ? ev.counter.usage : ev.monitor ? ev.monitor.value : null;
  const s: TagSample & { condition: ConditionEvent } = { tag: ev.tag, value, quality: 'good', sourceTimestamp: ev.time, condition: ev };
  const unit = ev.counter ? ev.counter.unit : ev.sample?.unit;
  if (unit !== undefined) s.unit = unit;
  if (ev.sample?.asset !== undefined) s.asset = ev.sample.asset;
  return s;
}
