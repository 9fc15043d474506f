// Editor definition of plantwire-erp-query. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-erp-query.html.
import { invalid, pickConfigs } from '../editor/kit';

interface ErpQueryEditorProps extends EditorNodeProperties {
  version: number;
  connection: string;
  entity: string;
  filter: string;
  select: string;
  expand: string;
  orderby: string;
  top: string;
}

RED.nodes.registerType<ErpQueryEditorProps>('plantwire-erp-query', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    connection: { value: '', type: 'plantwire-erp-connection', required: true },
    entity: {
      value: '',
      required: true,
      validate: function (this: ErpQueryEditorProps, v: string, opt?: object) {
        return String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-erp-query.validation.entity');
      },
    },
    filter: {
      value: '',
      validate: function (this: ErpQueryEditorProps, v: string, opt?: object) {
        const text = String(v || '').trim();
        let ok = true;
        if (text.charAt(0) === '[') {
          try {
            ok = Array.isArray(JSON.parse(text));
          } catch (e) {
            ok = false;
          }
        }
        return ok || invalid(this, opt, 'plantwire-erp-query.validation.filter');
      },
    },
    select: { value: '' },
    expand: { value: '' },
    orderby: { value: '' },
    top: {
      value: '',
      validate: function (this: ErpQueryEditorProps, v: string, opt?: object) {
        const text = String(v === undefined || v === null ? '' : v).trim();
        return text === '' || (/^\d+$/.test(text) && Number(text) >= 1 && Number(text) <= 1000000) || invalid(this, opt, 'plantwire-erp-query.validation.top');
      },
    },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-erp-query.svg',
  paletteLabel: 'erp query',
  inputLabels: 'trigger; msg.payload may override entity, filter, select, expand, orderby, top',
  outputLabels: 'rows read from the ERP as msg.payload (paging followed)',
  label: function (this: ErpQueryEditorProps) {
    return this.name || 'query ' + (this.entity || 'ERP');
  },
  labelStyle: function (this: ErpQueryEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ErpQueryEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
  },
});
