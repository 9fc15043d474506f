/**
 * Field pieces the MQTT nodes' specs share (./in-fields.ts, ./out-fields.ts,
 * ./broker-fields.ts): the broker reference, QoS and the Sparkplug id rules.
 * Pure: bundled into the dialogs.
 */
import type { ConfigField, EnumField, StringField } from '../../model/fields';
import { numberSetting } from '../../model/settings';
import { readSparkplugId } from './sparkplug/topic';

/** A saved value as text ('' for nothing). */
export const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));

/** The QoS levels as the dialogs' selects save them. */
export const QOS_LEVELS = ['0', '1', '2'] as const;

/** The broker (plantwire-mqtt-broker config node) of mqtt-in and mqtt-out. */
export const brokerField: ConfigField = { kind: 'config', default: '', configType: 'plantwire-mqtt-broker', required: true, label: 'broker' };

/** QoS of a subscription or a publish: the dialog's select ('1'); at deploy 0, 1 or 2, saved as text or (older flows) a number. */
export const qosField: EnumField & { parse: (v: unknown) => 0 | 1 | 2 } = {
  kind: 'enum',
  default: '1',
  options: QOS_LEVELS,
  label: 'QoS',
  parse: (v) => numberSetting({ qos: v }, 'qos', { default: 1, min: 0, max: 2, integer: true, label: 'QoS' }) as 0 | 1 | 2,
};

/** A required Sparkplug id (group, edge node): not empty, no /, + or # (a single topic level). */
export const sparkplugId = (v: unknown): boolean => /^[^/+#]+$/.test(text(v));

/** An optional Sparkplug id (device, host, a group to subscribe to): empty, or no /, + or #; the dialog's message is `validation.<message>`. */
export function sparkplugIdField(label: string, message: string): StringField {
  return { kind: 'string', default: '', pattern: /^[^/+#]*$/, label, message, explain: 'must not contain /, + or #' };
}

/**
 * The same, read at deploy by `readSparkplugId` (trimmed; its error quotes the
 * id: `host id "a+b" must not contain /, + or #`), in the settings for which `when` holds.
 */
export function readSparkplugIdField(label: string, message: string, when: (config: Record<string, unknown>) => boolean): StringField & { parse: (v: unknown) => string } {
  return { ...sparkplugIdField(label, message), when, parse: (v) => readSparkplugId(v, label) };
}
