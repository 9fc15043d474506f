// The settings of plantwire-validate, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { defineFields } from '../../src/model/fields';
import { propertySetting } from '../../src/model/settings';
import { schemaObject } from '../../src/transforms/validate';

export const spec = defineFields('plantwire-validate', 1, {
  // JSON text of a schema object; compiled with Ajv at deploy (src/transforms/validate.ts), in the dialog with "check".
  schema: { kind: 'string', default: '{\n  "type": "object"\n}', required: true, hidden: true, label: 'schema', message: 'schema', parse: (v) => schemaObject(v) },
  property: { kind: 'string', default: 'payload', label: 'property', message: 'property', parse: (v) => propertySetting(v, 'property') },
  each: { kind: 'boolean', default: false, label: 'each element' },
  onInvalid: { kind: 'enum', default: 'output', options: ['output', 'catch'], label: 'invalid messages', explain: 'must go to "output" or "catch"', status: 'bad invalid handling' },
});
