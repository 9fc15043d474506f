// The settings of plantwire-opcua-read, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { defineFields } from '../../src/model/fields';

export const spec = defineFields('plantwire-opcua-read', 1, {
  endpoint: { kind: 'config', default: '', configType: 'plantwire-opcua-endpoint', required: true, label: 'endpoint' },
  // Read by tagSpecs at deploy (src/connectors/opcua/tags.ts); edited by the dialog's tag list.
  tags: { kind: 'value', default: [] as unknown[], label: 'tag list', hidden: true },
  output: { kind: 'enum', default: 'batch', options: ['batch', 'each'], required: true, label: 'output', explain: 'must be "each" or "batch"', status: 'bad output mode' },
});
