/**
 * The settings of plantwire-mqtt-in as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the parsing at deploy
 * (`mqttInSettings` in ./node-settings.ts reads by it) and the help's settings
 * table come from here. The payload formats show the topics and asset levels,
 * Sparkplug B (host) the group, host id and rebirth fields (`when`; the
 * tag names select, a plain choice, is checked in every format as before).
 * Pure: bundled into the dialog.
 */
import { defineFields, mustBeOneOf } from '../../model/fields';
import { isOff } from './broker-fields';
import { brokerField, qosField, readSparkplugIdField } from './field-pieces';
import { readFilters } from './topic';

/** The dialog's payload formats: JSON, plain, auto (./decode.ts) or a Sparkplug B host. */
export const IN_FORMATS = ['json', 'plain', 'auto', 'sparkplug'] as const;
export type InFormat = (typeof IN_FORMATS)[number];

const sparkplug = (c: Record<string, unknown>): boolean => c.format === 'sparkplug';
const payloadFormat = (c: Record<string, unknown>): boolean => !sparkplug(c);
const OUTPUTS = ['each', 'batch'] as const;
const TAG_NAMES = ['path', 'metric'] as const;

export const mqttInFields = defineFields('plantwire-mqtt-in', 1, {
  broker: brokerField,
  format: { kind: 'enum', default: 'json', options: IN_FORMATS, required: true, label: 'payload format', explain: 'must be auto, json, plain or sparkplug', status: 'bad payload format' },
  // One filter per line or comma separated: at least one, each valid (readFilters' error names the filter).
  topics: { kind: 'string', default: '', label: 'topics', message: 'topics', when: payloadFormat, parse: readFilters },
  assetLevels: { kind: 'number', default: 0, min: 0, max: 10, integer: true, label: 'asset levels', when: payloadFormat },
  group: readSparkplugIdField('Sparkplug group id', 'group', sparkplug),
  hostId: readSparkplugIdField('host id', 'hostId', sparkplug),
  tagNames: { kind: 'enum', default: 'path', options: TAG_NAMES, label: 'tag names', explain: mustBeOneOf(TAG_NAMES), status: 'bad tag naming' },
  rebirth: { kind: 'boolean', default: true, label: 'rebirth requests', when: sparkplug },
  rebirthHoldoff: { kind: 'number', default: 5000, min: 100, max: 3_600_000, integer: true, unit: 'ms', label: 'rebirth hold-off (ms)', when: (c) => sparkplug(c) && !isOff(c.rebirth) },
  qos: qosField,
  output: { kind: 'enum', default: 'each', options: OUTPUTS, label: 'output', explain: mustBeOneOf(OUTPUTS), status: 'bad output mode' },
});
