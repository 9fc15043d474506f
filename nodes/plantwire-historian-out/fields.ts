// The settings of plantwire-historian-out, declared once: the dialog's defaults and
// validators, the runtime's parsing and the help's settings table come from here.
import { bufferFields } from '../../src/buffer/fields';
import { defineFields } from '../../src/model/fields';

export const spec = defineFields('plantwire-historian-out', 1, {
  db: { kind: 'config', default: '', configType: 'plantwire-historian-db', required: true, label: 'database' },
  batchSize: { kind: 'number', default: 100, min: 1, max: 10_000, integer: true, required: true, label: 'batch size', message: 'batchSize' },
  ...bufferFields('memory'),
});
