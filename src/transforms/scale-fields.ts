/**
 * The settings of plantwire-scale, declared once: the dialog's defaults and
 * validators (nodes/plantwire-scale/fields.ts), the check at deploy
 * (`scaleSettings` in ./scale.ts) and the help's settings table come from
 * here. A file of its own so the dialog's script does not take in mathjs.
 */
import { defineFields, mustBeOneOf } from '../model/fields';

const inRange = (c: Record<string, unknown>): boolean => c.mode === 'range';
const inGain = (c: Record<string, unknown>): boolean => c.mode === 'gain';

export const scaleFields = defineFields('plantwire-scale', 1, {
  mode: { kind: 'enum', default: 'range', options: ['range', 'gain', 'none'], required: true, label: 'mode', explain: mustBeOneOf(['range', 'gain', 'none']), status: 'bad scaling mode' },
  rawMin: { kind: 'number', default: 0, required: true, label: 'raw min', message: 'rawMin', when: inRange },
  // An empty raw range would divide by zero.
  rawMax: { kind: 'number', default: 27_648, required: true, label: 'raw max', message: 'rawMax', when: inRange, check: (v, c) => Number(v) !== Number(c.rawMin), explain: (v) => `raw min and raw max are both ${Number(v)}: the raw range must not be empty`, status: 'raw range is empty' },
  engMin: { kind: 'number', default: 0, required: true, label: 'engineering min', message: 'engMin', when: inRange },
  engMax: { kind: 'number', default: 100, required: true, label: 'engineering max', message: 'engMax', when: inRange },
  gain: { kind: 'number', default: 1, required: true, label: 'gain', message: 'gain', when: inGain },
  offset: { kind: 'number', default: 0, label: 'offset', message: 'offset', when: inGain },
  clamp: { kind: 'boolean', default: false, label: 'clamp' },
  // Limits of gain/none mode (range mode clamps to the engineering range); empty: no limit on that side.
  clampLow: { kind: 'number', default: '', label: 'clamp low', message: 'clampLow' },
  clampHigh: { kind: 'number', default: '', label: 'clamp high', message: 'clampHigh' },
  engUnit: { kind: 'string', default: '', label: 'unit' },
  toUnit: { kind: 'string', default: '', label: 'convert to' },
  decimals: { kind: 'number', default: '', min: 0, max: 12, integer: true, label: 'decimals', message: 'decimals' },
});
