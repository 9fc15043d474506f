// The settings of plantwire-deadband, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { defineFields } from '../../src/model/fields';
import { DEFAULT_MAX_TAGS, MAX_MAX_TAGS } from '../../src/transforms/tag-table';

export const spec = defineFields('plantwire-deadband', 1, {
  mode: { kind: 'enum', default: 'absolute', options: ['absolute', 'percent'], required: true, label: 'mode' },
  // A percentage is at most 100.
  deadband: { kind: 'number', default: 0, min: 0, required: true, label: 'deadband', message: 'deadband', explain: 'a number ≥ 0, and a percentage at most 100', check: (v, c) => c.mode !== 'percent' || Number(v) <= 100 },
  percentOf: { kind: 'enum', default: 'last', options: ['last', 'span'], label: 'percent of' },
  // The measuring range, only for a percentage of the span.
  span: { kind: 'number', default: 0, required: true, label: 'span', message: 'span', explain: 'must be greater than 0 (the measuring range, e.g. 100 for 0–100 °C)', status: 'span must be > 0', when: (c) => c.mode === 'percent' && c.percentOf === 'span', check: (v) => Number(v) > 0 },
  heartbeat: { kind: 'number', default: 0, min: 0, max: 604_800, unit: 's', label: 'heartbeat (s)', message: 'heartbeat', explain: 'must be 0 (off) or at least 0.1 s, at most 7 days', status: 'heartbeat must be ≥ 0.1 s', check: (v) => String(v ?? '').trim() === '' || Number(v) === 0 || Number(v) >= 0.1 },
  heartbeatOutput: { kind: 'enum', default: 'each', options: ['each', 'batch'], label: 'heartbeat output' },
  maxTags: { kind: 'number', default: DEFAULT_MAX_TAGS, min: 1, max: MAX_MAX_TAGS, integer: true, label: 'max tags', message: 'maxTags' },
});
