/**
 * The settings of plantwire-mqtt-out as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`mqttOutSettings` in ./node-settings.ts ends with it, after its own checks
 * that name each problem) and the help's settings table come from here, with
 * the sink kit's buffer fields. Pure: bundled into the dialog.
 * Version 2: the topic template is a typed input (version 1: a fixed text).
 */
import { bufferFields } from '../../buffer/fields';
import { defineFields } from '../../model/fields';
import { brokerField, qosField, sparkplugId, sparkplugIdField, text } from './field-pieces';
import { UNS_PAYLOADS } from './uns';

/** A typed input's source as the dialog holds it (not saved: a fixed text). */
const fixed = (c: Record<string, unknown>, key: string): boolean => !c[`${key}Type`] || c[`${key}Type`] === 'str';
const sparkplug = (c: Record<string, unknown>): boolean => c.mode === 'sparkplug';

export const mqttOutFields = defineFields('plantwire-mqtt-out', 2, {
  broker: brokerField,
  mode: { kind: 'enum', default: 'uns', options: ['uns', 'template', 'sparkplug'], required: true, label: 'mode', explain: 'must be uns, template or sparkplug', status: 'bad mode' },
  // Fixed: not empty, no wildcards; from msg/flow/global/env the name of what holds it (the template is checked per message).
  template: {
    kind: 'typed',
    default: '{asset}/{tag}',
    label: 'topic template',
    when: (c) => c.mode === 'template',
    message: (_v, c) => (fixed(c, 'template') ? 'template' : 'templateProperty'),
    check: (v, c) => text(v).trim() !== '' && (!fixed(c, 'template') || !/[+#]/.test(text(v))),
  },
  // Fixed: no wildcards (empty: the sample's own asset); from msg/flow/global/env the name of what holds it.
  asset: {
    kind: 'typed',
    default: '',
    label: 'default asset path',
    message: (_v, c) => (fixed(c, 'asset') ? 'asset' : 'assetProperty'),
    check: (v, c) => (fixed(c, 'asset') ? !/[+#]/.test(text(v)) : text(v).trim() !== ''),
  },
  payload: { kind: 'enum', default: 'sample', options: UNS_PAYLOADS, label: 'payload', explain: 'must be sample, compact or value', status: 'bad payload shape' },
  qos: qosField,
  retain: { kind: 'boolean', default: false, label: 'retain' },
  group: { kind: 'string', default: 'Plantwire', label: 'group id', message: 'group', when: sparkplug, check: sparkplugId },
  edgeNode: { kind: 'string', default: '', label: 'edge node id', message: 'edgeNode', when: sparkplug, check: sparkplugId },
  device: sparkplugIdField('device id', 'device'),
  aliases: { kind: 'boolean', default: true, label: 'aliases' },
  primaryHost: sparkplugIdField('primary host id', 'primaryHost'),
  buffer: { kind: 'number', default: 10_000, min: 0, max: 10_000_000, integer: true, label: 'store and forward buffer' },
  // Sparkplug metrics declared in the birth certificate: rows {name, type}, checked by mqttOutSettings.
  metrics: { kind: 'value', default: [], label: 'metrics', hidden: true },
  ...bufferFields('off'),
});
