/**
 * plantwire-scale: raw → engineering values (linear range or gain/offset),
 * clamping (quality becomes `uncertain` when a value is clamped), unit
 * conversion (src/transforms/units.ts) and rounding. Pure; no Node-RED.
 *
 * Order per sample: scale → clamp → convert unit → round.
 */
import { PlantwireError } from '../model/errors';
import type { Quality, TagSample } from '../model/sample';
import { parseFields } from '../model/fields';
import { numericValue, sampleWhere, withValue } from './samples';
import { scaleFields } from './scale-fields';
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

/** Checks the dialog's settings once, by the field spec (./scale-fields.ts), and derives the scaler's; throws a PlantwireError naming the field. */
export function scaleSettings(config: ScaleConfig): ScaleSettings {
  // Settings given without a gain (from code, not the dialog) scale by 1, as they always did.
  const p = parseFields(scaleFields, { ...config, gain: config.gain ?? 1 });
  const mode = p.mode as ScaleMode;
  let gain = 1;
  let offset = 0;
  let clampLow = -Infinity;
  let clampHigh = Infinity;
  if (mode === 'range') {
    gain = (p.engMax - p.engMin) / (p.rawMax - p.rawMin);
    offset = p.engMin - p.rawMin * gain;
    if (p.clamp) {
      clampLow = Math.min(p.engMin, p.engMax);
      clampHigh = Math.max(p.engMin, p.engMax);
    }
  } else {
    if (mode === 'gain') {
      gain = p.gain;
      offset = p.offset;
    }
    if (p.clamp) {
      if (Number.isNaN(p.clampLow) && Number.isNaN(p.clampHigh)) throw new PlantwireError('bad-config', 'clamping is on but neither a low nor a high limit is set: enter at least one limit', 'clamp limits missing');
      if (!Number.isNaN(p.clampLow)) clampLow = p.clampLow;
      if (!Number.isNaN(p.clampHigh)) clampHigh = p.clampHigh;
      if (clampLow > clampHigh) throw new PlantwireError('bad-config', `clamp low (${clampLow}) is above clamp high (${clampHigh})`, 'clamp low > clamp high');
    }
  }
  return { mode, gain, offset, clampLow, clampHigh, engUnit: p.engUnit.trim(), toUnit: p.toUnit.trim(), decimals: Number.isNaN(p.decimals) ? -1 : p.decimals };
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
