// The settings of plantwire-opcua-in, declared once: the dialog's defaults and
// validators, the runtime's parsing and the help's settings table come from here.
import { defineFields } from '../../src/model/fields';

export const spec = defineFields('plantwire-opcua-in', 1, {
  endpoint: { kind: 'config', default: '', configType: 'plantwire-opcua-endpoint', required: true, label: 'endpoint' },
  tags: { kind: 'value', default: [], label: 'tag list', hidden: true },
  publishingInterval: { kind: 'number', default: 1000, min: 10, max: 3_600_000, integer: true, unit: 'ms', required: true, label: 'publishing interval (ms)', message: 'publishingInterval' },
  samplingInterval: { kind: 'number', default: 1000, min: 0, max: 3_600_000, unit: 'ms', required: true, label: 'sampling interval (ms)' },
  queueSize: { kind: 'number', default: 10, min: 1, max: 100_000, integer: true, required: true, label: 'queue size', message: 'queueSize' },
  deadbandType: { kind: 'enum', default: 'none', options: ['none', 'absolute', 'percent'], label: 'deadband', labelKey: 'label.deadband' },
  // A percent deadband is at most 100; an absolute one any amount ≥ 0.
  deadbandValue: { kind: 'number', default: 0, min: 0, label: 'deadband', labelKey: 'label.deadband', when: (c) => c.deadbandType === 'absolute' || c.deadbandType === 'percent', check: (v, c) => c.deadbandType !== 'percent' || Number(v) <= 100 },
  output: { kind: 'enum', default: 'batch', options: ['batch', 'each'], required: true, label: 'output' },
  units: { kind: 'boolean', default: true, label: 'units' },
});
