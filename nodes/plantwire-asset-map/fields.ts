// The settings of plantwire-asset-map, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { PlantwireError } from '../../src/model/errors';
import { defineFields } from '../../src/model/fields';
import { assertAssetRules } from '../../src/transforms/asset-map';

export const spec = defineFields('plantwire-asset-map', 1, {
  // The asset table's rows, each checked (src/transforms/asset-map.ts), in the dialog too.
  rules: {
    kind: 'value',
    default: [] as unknown[],
    label: 'asset table',
    message: 'rules',
    hidden: true,
    parse: (v) => {
      if (!Array.isArray(v) || v.length === 0) throw new PlantwireError('bad-config', 'the asset table is empty: add rows or import a CSV/JSON table', 'asset table is empty');
      return assertAssetRules(v);
    },
  },
  // "keep": a batch stays a batch (msg.topics holds the UNS topics); "each": one message per sample.
  output: { kind: 'enum', default: 'keep', options: ['keep', 'each'], label: 'output', explain: 'must be "keep" or "each"', status: 'bad output mode' },
});
