// The settings of plantwire-map, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { defineFields } from '../../src/model/fields';
import { propertySetting } from '../../src/model/settings';

export const spec = defineFields('plantwire-map', 1, {
  // Compiled by Node-RED's JSONata at deploy (src/transforms/map.ts); the dialog's live preview shows syntax errors.
  expression: { kind: 'string', default: '{\n  "tag": payload.tag,\n  "value": payload.value,\n  "time": payload.sourceTimestamp\n}', required: true, hidden: true, label: 'expression', explain: 'is empty: enter a JSONata expression, e.g. {"tag": payload.tag, "value": payload.value}', status: 'expression is empty' },
  property: { kind: 'string', default: 'payload', label: 'property', message: 'property', parse: (v) => propertySetting(v, 'property') },
  onEmpty: { kind: 'enum', default: 'error', options: ['error', 'drop'], label: 'empty result' },
  // The dialog's sample message for the preview; not used at runtime.
  sample: { kind: 'string', default: '{\n  "topic": "Line1/Filler/Speed",\n  "payload": {"tag": "Line1/Filler/Speed", "value": 385, "quality": "good", "sourceTimestamp": "2026-01-05T08:00:00.000Z", "unit": "bottles/min"}\n}', hidden: true, label: 'sample message' },
});
