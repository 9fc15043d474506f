// The settings of plantwire-normalize, declared once: the dialog's defaults and
// validators, the runtime's parsing and the help's settings table come from here.
// Version 2: tag, unit and asset are typed inputs (a fixed text, or read per
// message from msg/flow/global/env); flows of version 1 get the type "str".
import { defineFields } from '../../src/model/fields';

export const spec = defineFields('plantwire-normalize', 2, {
  // Empty: msg.topic.
  tag: { kind: 'typed', default: '', label: 'tag' },
  timestamp: { kind: 'enum', default: 'auto', options: ['auto', 'now', 'field'], required: true, label: 'timestamp' },
  timestampField: { kind: 'string', default: '', label: 'timestamp field', message: 'timestampField', when: (c) => c.timestamp === 'field', check: (v) => String(v ?? '').trim() !== '', explain: 'the timestamp source is "field" but no field is named: enter e.g. ts or msg.time' },
  quality: { kind: 'enum', default: 'good', options: ['good', 'uncertain', 'bad'], required: true, label: 'quality' },
  objects: { kind: 'enum', default: 'split', options: ['split', 'value'], label: 'objects' },
  arrays: { kind: 'enum', default: 'value', options: ['value', 'split'], label: 'arrays' },
  parseStrings: { kind: 'boolean', default: true, label: 'read numbers from text' },
  unit: { kind: 'typed', default: '', label: 'unit' },
  asset: { kind: 'typed', default: '', pattern: /^[^#+]*$/, label: 'asset path', message: 'asset', explain: 'no MQTT wildcards (+ or #) in an asset path' },
  output: { kind: 'enum', default: 'auto', options: ['auto', 'each', 'batch'], label: 'output' },
});

/** Version 1 → 2: tag, unit and asset were fixed texts. */
export function typedSince2(config: Record<string, unknown>): Record<string, unknown> {
  return { ...config, tagType: config.tagType || 'str', unitType: config.unitType || 'str', assetType: config.assetType || 'str' };
}
