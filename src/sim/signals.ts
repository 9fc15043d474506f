import { PlantwireError } from '../model/errors';
import type { SampleValue } from '../model/sample';

/**
 * Realistic plant signals for demos, tests and benchmarks, shared by the
 * `plantwire-simulator` node and the OPC UA plant simulator. Generators are
 * deterministic for a given seed and sequence of timestamps.
 */
export type SignalKind = 'sine' | 'randomWalk' | 'counter' | 'state' | 'alarm' | 'constant';
export const SIGNAL_KINDS: readonly SignalKind[] = ['sine', 'randomWalk', 'counter', 'state', 'alarm', 'constant'];

export interface SignalSpec {
  tag: string;
  kind: SignalKind;
  unit?: string;
  /** sine, randomWalk: value range. */
  min?: number;
  max?: number;
  /** sine: period in seconds. */
  period?: number;
  /** randomWalk: typical change per second; sine: noise amplitude. */
  step?: number;
  /** counter: mean increments per second. */
  rate?: number;
  /** counter: wraps to 0 at this value (e.g. 65536 for a 16-bit PLC counter). */
  rollover?: number;
  /** state: the state names; the first is the normal one. */
  states?: string[];
  /** alarm: mean raises per hour; state: mean leaves of the normal state per hour. */
  perHour?: number;
  /** alarm: mean seconds an alarm stays active; state: mean seconds outside the normal state. */
  holdSeconds?: number;
  /** constant: the value. */
  value?: SampleValue;
  /** Decimal places kept for analog values (default 3). */
  decimals?: number;
}

export const MACHINE_STATES = ['Running', 'Idle', 'Starved', 'Blocked', 'Fault', 'Maintenance'] as const;

/** mulberry32: a small, fast, seeded PRNG (uniform in [0, 1)). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(s: string): number {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Lists what is wrong with a signal spec (empty when valid). `where` names it in messages. */
export function signalProblems(spec: Partial<SignalSpec>, where: string): string[] {
  const p: string[] = [];
  if (typeof spec.tag !== 'string' || spec.tag.trim() === '') p.push(`${where}: tag name is empty`);
  if (!SIGNAL_KINDS.includes(spec.kind as SignalKind)) p.push(`${where}: kind must be one of ${SIGNAL_KINDS.join(', ')}, got ${JSON.stringify(spec.kind)}`);
  const num = (k: keyof SignalSpec): void => {
    const v = spec[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isFinite(v))) p.push(`${where}: ${k} must be a number, got ${JSON.stringify(v)}`);
  };
  (['min', 'max', 'period', 'step', 'rate', 'rollover', 'perHour', 'holdSeconds', 'decimals'] as const).forEach(num);
  if (typeof spec.min === 'number' && typeof spec.max === 'number' && spec.min > spec.max) p.push(`${where}: min (${spec.min}) is above max (${spec.max})`);
  if (spec.kind === 'sine' && typeof spec.period === 'number' && spec.period <= 0) p.push(`${where}: period must be above 0 s`);
  if (spec.kind === 'counter' && typeof spec.rate === 'number' && spec.rate < 0) p.push(`${where}: rate must not be negative`);
  if (spec.kind === 'counter' && typeof spec.rollover === 'number' && spec.rollover <= 0) p.push(`${where}: rollover must be above 0`);
  if (spec.kind === 'state' && spec.states !== undefined && (!Array.isArray(spec.states) || spec.states.length < 2 || spec.states.some((s) => typeof s !== 'string' || s === ''))) {
    p.push(`${where}: states must list at least two names`);
  }
  return p;
}

export interface SignalGenerator {
  readonly spec: SignalSpec;
  /** The value at time `t` (epoch ms); calls must come with non-decreasing t. */
  next(t: number): SampleValue;
}

export function createSignal(spec: SignalSpec, seed = 1): SignalGenerator {
  const problems = signalProblems(spec, `signal ${JSON.stringify(spec.tag)}`);
  if (problems.length) throw new PlantwireError('bad-signal', problems.join('; '), problems[0]);
  const rnd = seededRandom((seed ^ hashString(spec.tag)) >>> 0);
  const min = spec.min ?? 0;
  const max = spec.max ?? 100;
  const span = max - min;
  const decimals = spec.decimals ?? 3;
  const round = (v: number): number => {
    const f = 10 ** decimals;
    return Math.round(v * f) / f;
  };
  let last: number | undefined;
  const dtSeconds = (t: number): number => {
    const dt = last === undefined ? 0 : Math.max(0, (t - last) / 1000);
    last = t;
    return dt;
  };
  const gauss = (): number => {
    // Box-Muller; 1 - rnd() keeps the log argument above 0.
    const u = 1 - rnd();
    const v = rnd();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };

  switch (spec.kind) {
    case 'sine': {
      const period = (spec.period ?? 60) * 1000;
      const phase = rnd() * period;
      const noise = spec.step ?? 0;
      return {
        spec,
        next(t) {
          const base = min + span / 2 + (span / 2) * Math.sin((2 * Math.PI * (t + phase)) / period);
          const v = noise > 0 ? base + gauss() * noise : base;
          return round(Math.min(max, Math.max(min, v)));
        },
      };
    }
    case 'randomWalk': {
      const step = spec.step ?? span / 100;
      let v = min + span * (0.3 + 0.4 * rnd());
      return {
        spec,
        next(t) {
          const dt = dtSeconds(t);
          // Mean-reverting walk (Ornstein-Uhlenbeck-like) so it stays inside the band.
          const mid = min + span / 2;
          v += (mid - v) * 0.02 * dt + gauss() * step * Math.sqrt(dt);
          if (v < min) v = min + (min - v);
          if (v > max) v = max - (v - max);
          v = Math.min(max, Math.max(min, v));
          return round(v);
        },
      };
    }
    case 'counter': {
      const rate = spec.rate ?? 1;
      const rollover = spec.rollover;
      let count = 0;
      let carry = 0;
      return {
        spec,
        next(t) {
          const dt = dtSeconds(t);
          carry += rate * dt * (0.8 + 0.4 * rnd());
          const whole = Math.floor(carry);
          carry -= whole;
          count += whole;
          if (rollover !== undefined) count %= rollover;
          return count;
        },
      };
    }
    case 'state': {
      const states = spec.states ?? [...MACHINE_STATES];
      const perHour = spec.perHour ?? 6;
      const hold = spec.holdSeconds ?? 45;
      let current = 0;
      return {
        spec,
        next(t) {
          const dt = dtSeconds(t);
          if (current === 0) {
            if (rnd() < (perHour / 3600) * dt) current = 1 + Math.floor(rnd() * (states.length - 1));
          } else if (rnd() < dt / hold) {
            current = 0;
          }
          return states[current] ?? states[0] ?? '';
        },
      };
    }
    case 'alarm': {
      const perHour = spec.perHour ?? 2;
      const hold = spec.holdSeconds ?? 30;
      let active = false;
      return {
        spec,
        next(t) {
          const dt = dtSeconds(t);
          if (!active && rnd() < (perHour / 3600) * dt) active = true;
          else if (active && rnd() < dt / hold) active = false;
          return active;
        },
      };
    }
    case 'constant': {
      const value = spec.value ?? 0;
      return { spec, next: () => value };
    }
  }
}

/**
 * The signals of a small bottling line: per line a rinser, filler, capper,
 * pasteurizer, labeller and inspector — temperatures, pressures, flow, speed,
 * fill and reject counters, a machine state and alarm flags (26 tags a line).
 */
export function bottlingLineSignals(line: number): SignalSpec[] {
  const L = `Line${line}`;
  return [
    { tag: `${L}/State`, kind: 'state', states: [...MACHINE_STATES], perHour: 8, holdSeconds: 40 },
    { tag: `${L}/Speed`, kind: 'randomWalk', min: 540, max: 620, step: 4, unit: 'bottles/min', decimals: 0 },
    { tag: `${L}/Rinser/WaterTemperature`, kind: 'randomWalk', min: 18, max: 24, step: 0.05, unit: '°C', decimals: 2 },
    { tag: `${L}/Rinser/WaterPressure`, kind: 'randomWalk', min: 2.2, max: 2.8, step: 0.01, unit: 'bar', decimals: 3 },
    { tag: `${L}/Filler/ProductTemperature`, kind: 'randomWalk', min: 3.5, max: 6.5, step: 0.03, unit: '°C', decimals: 2 },
    { tag: `${L}/Filler/BowlPressure`, kind: 'sine', min: 2.9, max: 3.3, period: 120, step: 0.01, unit: 'bar', decimals: 3 },
    { tag: `${L}/Filler/CO2Pressure`, kind: 'randomWalk', min: 4.5, max: 5.5, step: 0.02, unit: 'bar', decimals: 3 },
    { tag: `${L}/Filler/BowlLevel`, kind: 'sine', min: 55, max: 75, period: 90, step: 0.3, unit: '%', decimals: 1 },
    { tag: `${L}/Filler/FlowRate`, kind: 'randomWalk', min: 160, max: 190, step: 0.8, unit: 'l/min', decimals: 1 },
    { tag: `${L}/Filler/FillCount`, kind: 'counter', rate: 9.7, unit: 'bottles' },
    { tag: `${L}/Filler/FillVolume`, kind: 'randomWalk', min: 498, max: 503, step: 0.2, unit: 'ml', decimals: 1 },
    { tag: `${L}/Capper/Torque`, kind: 'randomWalk', min: 1.6, max: 2.2, step: 0.02, unit: 'N·m', decimals: 3 },
    { tag: `${L}/Capper/CapCount`, kind: 'counter', rate: 9.7, unit: 'caps', rollover: 65536 },
    { tag: `${L}/Pasteurizer/Zone1Temperature`, kind: 'sine', min: 38, max: 42, period: 300, step: 0.05, unit: '°C', decimals: 2 },
    { tag: `${L}/Pasteurizer/Zone2Temperature`, kind: 'sine', min: 60, max: 64, period: 300, step: 0.05, unit: '°C', decimals: 2 },
    { tag: `${L}/Pasteurizer/Zone3Temperature`, kind: 'sine', min: 70, max: 73, period: 300, step: 0.05, unit: '°C', decimals: 2 },
    { tag: `${L}/Pasteurizer/PasteurizationUnits`, kind: 'randomWalk', min: 14, max: 20, step: 0.1, unit: 'PU', decimals: 2 },
    { tag: `${L}/Labeller/GlueTemperature`, kind: 'randomWalk', min: 148, max: 156, step: 0.2, unit: '°C', decimals: 1 },
    { tag: `${L}/Labeller/LabelCount`, kind: 'counter', rate: 9.6, unit: 'labels' },
    { tag: `${L}/Inspector/RejectCount`, kind: 'counter', rate: 0.12, unit: 'bottles' },
    { tag: `${L}/Inspector/RejectRate`, kind: 'randomWalk', min: 0.5, max: 2.5, step: 0.02, unit: '%', decimals: 2 },
    { tag: `${L}/Energy/Power`, kind: 'randomWalk', min: 85, max: 120, step: 0.6, unit: 'kW', decimals: 1 },
    { tag: `${L}/Alarms/LowBottleSupply`, kind: 'alarm', perHour: 3, holdSeconds: 20 },
    { tag: `${L}/Alarms/CapperJam`, kind: 'alarm', perHour: 2, holdSeconds: 25 },
    { tag: `${L}/Alarms/PasteurizerOverTemp`, kind: 'alarm', perHour: 1, holdSeconds: 40 },
    { tag: `${L}/Alarms/EmergencyStop`, kind: 'alarm', perHour: 0.2, holdSeconds: 60 },
  ];
}

/** The demo plant: `lines` bottling lines (2 by default, 52 tags). */
export function bottlingPlantSignals(lines = 2): SignalSpec[] {
  const out: SignalSpec[] = [];
  for (let i = 1; i <= lines; i++) out.push(...bottlingLineSignals(i));
  return out;
}

/** N generated analog tags for benchmarks: `Bench/Tag00001` … changing every update. */
export function benchSignals(n: number): SignalSpec[] {
  const width = String(n).length;
  const out: SignalSpec[] = [];
  for (let i = 1; i <= n; i++) {
    out.push({ tag: `Bench/Tag${String(i).padStart(Math.max(5, width), '0')}`, kind: 'sine', min: 0, max: 100, period: 10 + (i % 50), step: 0.01, decimals: 4 });
  }
  return out;
}

/**
 * A signal with an injected fault for condition-monitoring tests and demos:
 * from `startMs` on, numeric values are shifted by `shift` (a step) plus
 * `perHour` × hours since `startMs` (a ramp, e.g. wear). Other values pass
 * unchanged.
 */
export function withDrift(gen: SignalGenerator, drift: { startMs: number; shift?: number; perHour?: number }): SignalGenerator {
  return {
    spec: gen.spec,
    next(t) {
      const v = gen.next(t);
      if (typeof v !== 'number' || t < drift.startMs) return v;
      return v + (drift.shift ?? 0) + ((drift.perHour ?? 0) * (t - drift.startMs)) / 3_600_000;
    },
  };
}
