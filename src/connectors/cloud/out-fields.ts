/**
 * The settings of plantwire-cloud-out as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`cloudOutSettings` in ./out.ts ends with it, after its own checks that name
 * each problem) and the help's settings table come from here, with the sink
 * kit's buffer fields. Pure: bundled into the dialog.
 * Version 2: the topic template is a typed input (version 1: a fixed text).
 */
import { bufferFields } from '../../buffer/fields';
import { defineFields } from '../../model/fields';
import { jsonObjectOrEmpty } from './fields';

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v)).trim();
const fixedText = (c: Record<string, unknown>, key: string): boolean => !c[`${key}Type`] || c[`${key}Type`] === 'str';

export const cloudOutFields = defineFields('plantwire-cloud-out', 2, {
  connection: { kind: 'config', default: '', configType: 'plantwire-cloud-connection', required: true, label: 'connection' },
  // Fixed: not empty, no MQTT wildcards; from msg/flow/global/env the template is checked per message.
  topic: {
    kind: 'typed',
    default: 'dt/{asset}/{tag}',
    label: 'topic template',
    message: 'topic',
    explain: 'must not be empty nor contain the MQTT wildcards + or #',
    status: 'bad topic template',
    check: (v, c) => text(v) !== '' && (!fixedText(c, 'topic') || !/[+#]/.test(text(v))),
  },
  properties: {
    kind: 'string',
    default: '',
    label: 'message properties',
    message: 'properties',
    check: jsonObjectOrEmpty,
  },
  ...bufferFields('memory'),
});
