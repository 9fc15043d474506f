// Editor definition of plantwire-erp-query. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-erp-query.html.
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ErpQueryEditorProps extends EditorNodeProperties {
  version: number;
  connection: string;
  entity: string;
  entityType: string;
  filterType: string;
  filter: string;
  select: string;
  expand: string;
  orderby: string;
  top: string;
}

RED.nodes.registerType<ErpQueryEditorProps>('plantwire-erp-query', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-erp-query.svg',
  paletteLabel: 'erp query',
  inputLabels: function () {
    return nodeText(this, 'plantwire-erp-query.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-erp-query.ports.out0');
  },
  label: function (this: ErpQueryEditorProps) {
    const from = this.entityType && this.entityType !== 'str' ? (this.entityType === 'env' ? '${' + this.entity + '}' : this.entityType + '.' + this.entity) : this.entity;
    return this.name || nodeText(this, 'plantwire-erp-query.canvas.query', { entity: from || 'ERP' });
  },
  labelStyle: function (this: ErpQueryEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ErpQueryEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    // Entity and filter: a fixed text, or read per message from msg/flow/global/env.
    typedField(this, 'entity');
    typedField(this, 'filter');
  },
});
