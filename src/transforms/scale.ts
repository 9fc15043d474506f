/**
 * plantwire-scale: raw → engineering values (linear range or gain/offset),
 * clamping (quality becomes `uncertain` when a value is clamped), unit
 * conversion (src/transforms/units.ts) and rounding. Pure; no Node-RED.
 *
 * Order per sample: scale → clamp → convert unit → round.
 */
import { PlantwireError } from '../model/errors';
import type { Quality, TagSample } from '../model/sample';
import { numberSetting } from '../model/settings';
import { numericValue, sampleWhere, withValue } from './samples';
import { compileUnitConversion, type UnitConversion } from './units';

export type ScaleMode = 'range' | 'gain' | 'none';

export interface ScaleConfig {
  mode?: ScaleMode | string;
  rawMin?: number | string;
  rawMax?: number | string;
  engMin?: number | string;
  engMax?: number | string;
  gain?: number | string;
  offset?: number | string;
  /** Clamp to the engineering range (range mode) or to clampLow..clampHigh (gain/none). */
  clamp?: boolean;
  clampLow?: number | string;
  clampHigh?: number | string;
  /** Unit of the scaled value (blank: the sample's own unit). */
  engUnit?: string;
  /** Convert to this unit (blank: no conversion). */
  toUnit?: string;
  /** Decimal places to round to (blank: no rounding). */
  decimals?: number | string;
}

export interface ScaleSettings {
  mode: ScaleMode;
  gain: number;
  offset: number;
  clampLow: number;
  clampHigh: number;
  engUnit: string;
  toUnit: string;
  /** -1: no rounding. */
  decimals: number;
}

/** Validates the dialog's settings; throws a PlantwireError naming the field. */
export function scaleSettings(config: ScaleConfig): ScaleSettings {
  const mode = (config.mode ?? 'range') as ScaleMode;
  let gain = 1;
  let offset = 0;
  let clampLow = -Infinity;
  let clampHigh = Infinity;
  const cfg = config as Record<string, unknown>;
  if (mode === 'range') {
    const rawMin = numberSetting(cfg, 'rawMin', { label: 'raw min' });
    const rawMax = numberSetting(cfg, 'rawMax', { label: 'raw max' });
    const engMin = numberSetting(cfg, 'engMin', { label: 'engineering min' });
    const engMax = numberSetting(cfg, 'engMax', { label: 'engineering max' });
    if (rawMin === rawMax) throw new PlantwireError('bad-config', `raw min and raw max are both ${rawMin}: the raw range must not be empty`, 'raw range is empty');
    gain = (engMax - engMin) / (rawMax - rawMin);
    offset = engMin - rawMin * gain;
    if (config.clamp) {
      clampLow = Math.min(engMin, engMax);
      clampHigh = Math.max(engMin, engMax);
    }
  } else if (mode === 'gain' || mode === 'none') {
    if (mode === 'gain') {
      gain = numberSetting(cfg, 'gain', { label: 'gain', default: 1 });
      offset = numberSetting(cfg, 'offset', { label: 'offset', default: 0 });
    }
    if (config.clamp) {
      const lowSet = cfg.clampLow !== undefined && cfg.clampLow !== '';
      const highSet = cfg.clampHigh !== undefined && cfg.clampHigh !== '';
      if (!lowSet && !highSet) throw new PlantwireError('bad-config', 'clamping is on but neither a low nor a high limit is set: enter at least one limit', 'clamp limits missing');
      if (lowSet) clampLow = numberSetting(cfg, 'clampLow', { label: 'clamp low' });
      if (highSet) clampHigh = numberSetting(cfg, 'clampHigh', { label: 'clamp high' });
      if (clampLow > clampHigh) throw new PlantwireError('bad-config', `clamp low (${clampLow}) is above clamp high (${clampHigh})`, 'clamp low > clamp high');
    }
  } else {
    throw new PlantwireError('bad-config', `mode must be "range", "gain" or "none", got ${JSON.stringify(config.mode)}`, 'bad scaling mode');
  }
  const decimals = cfg.decimals === undefined || cfg.decimals === '' ? -1 : numberSetting(cfg, 'decimals', { min: 0, max: 12, integer: true, label: 'decimals' });
  const engUnit = typeof config.engUnit === 'string' ? config.engUnit.trim() : '';
  const toUnit = typeof config.toUnit === 'string' ? config.toUnit.trim() : '';
  return { mode, gain, offset, clampLow, clampHigh, engUnit, toUnit, decimals };
}

/** Rounds half away from zero, robust to binary fractions (1.005 → 1.01). */
export function roundTo(x: number, decimals: number): number {
  const f = 10 ** decimals;
  const y = Math.round(Math.abs(x) * f * (1 + Number.EPSILON)) / f;
  return x < 0 ? -y : y;
}

/**
 * A compiled scaler. Unit conversions are compiled at construction when the
 * unit is configured, or on first sight of each input unit (cached) when the
 * samples bring their own.
 */
export class Scaler {
  readonly settings: ScaleSettings;
  private readonly fixed: UnitConversion | null;
  private readonly byUnit = new Map<string, UnitConversion>();

  constructor(settings: ScaleSettings) {
    this.settings = settings;
    this.fixed = settings.toUnit !== '' && settings.engUnit !== '' ? compileUnitConversion(settings.engUnit, settings.toUnit) : null;
  }

  private conversion(s: TagSample, index: number): UnitConversion | null {
    if (this.settings.toUnit === '') return null;
    if (this.fixed) return this.fixed;
    const unit = s.unit;
    if (unit === undefined || unit === '') {
      throw new PlantwireError('missing-unit', `${sampleWhere(index >= 0, index)} (tag ${s.tag}) has no unit, so it cannot be converted to ${this.settings.toUnit}: set "Unit after scaling" in the node or send samples with a unit`, 'sample has no unit');
    }
    let c = this.byUnit.get(unit);
    if (!c) {
      if (this.byUnit.size >= 64) this.byUnit.clear();
      c = compileUnitConversion(unit, this.settings.toUnit);
      this.byUnit.set(unit, c);
    }
    return c;
  }

  /** Scales one sample; `index` ≥ 0 names its place in a batch in errors (`payload[3]`). */
  sample(s: TagSample, index = -1): TagSample {
    const st = this.settings;
    const raw = typeof s.value === 'number' ? s.value : numericValue(s, sampleWhere(index >= 0, index), 'scale it');
    let v = raw * st.gain + st.offset;
    let quality: Quality = s.quality;
    if (v < st.clampLow) {
      v = st.clampLow;
      if (quality === 'good') quality = 'uncertain';
    } else if (v > st.clampHigh) {
      v = st.clampHigh;
      if (quality === 'good') quality = 'uncertain';
    }
    if (st.toUnit !== '') {
      const conv = this.fixed ?? this.conversion(s, index);
      if (conv) v = conv.a * v + conv.b;
    }
    if (st.decimals >= 0) v = roundTo(v, st.decimals);
    const unit = st.toUnit || st.engUnit || s.unit;
    return withValue(s, v, quality, unit);
  }

  /**
   * Scales a batch. All-or-nothing: the first bad sample throws (naming its
   * index) and nothing is returned, so a message is never half processed.
   */
  batch(samples: TagSample[], isBatch = true): TagSample[] {
    const n = samples.length;
    const out: TagSample[] = new Array(n);
    for (let i = 0; i < n; i++) out[i] = this.sample(samples[i]!, isBatch ? i : -1);
    return out;
  }
}
