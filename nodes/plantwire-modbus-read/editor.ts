// Editor definition of plantwire-modbus-read. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-modbus-read.html.
// The register map editor is nodes/editor/modbus.ts.
import { plantwireModbusMapEditor, plantwireModbusMapResize, plantwireModbusOpenMap, type PlantwireModbusRow } from '../editor/modbus';
import { nodeText, pickConfigs, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ModbusReadEditorProps extends EditorNodeProperties {
  version: number;
  device: string;
  mapSource: string;
  registers: PlantwireModbusRow[];
  csv: string;
  interval: number;
  output: string;
  changesOnly: boolean;
  asset: string;
  assetType: string;
}

RED.nodes.registerType<ModbusReadEditorProps>('plantwire-modbus-read', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-modbus-read.svg',
  paletteLabel: 'modbus in',
  inputLabels: function () {
    return nodeText(this, 'plantwire-modbus-read.ports.in');
  },
  outputLabels: function (this: ModbusReadEditorProps) {
    return nodeText(this, this.output === 'batch' ? 'plantwire-modbus-read.canvas.batch' : 'plantwire-modbus-read.canvas.each');
  },
  label: function (this: ModbusReadEditorProps) {
    if (this.name) return this.name;
    const n: string | number = this.mapSource === 'csv' ? 'CSV' : (this.registers || []).length; // a number: i18next picks the singular
    return nodeText(this, 'plantwire-modbus-read.canvas.tags', { count: n }) + (Number(this.interval) > 0 ? ' / ' + (Number(this.interval) % 1000 === 0 ? Number(this.interval) / 1000 + ' s' : this.interval + ' ms') : '');
  },
  labelStyle: function (this: ModbusReadEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ModbusReadEditorProps & { _: (k: string) => string }) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    typedField(this, 'asset');
    plantwireModbusMapEditor(this.registers || [], this._, 'plantwire-modbus-read', false);
  },
  oneditsave: function (this: ModbusReadEditorProps) {
    const editor = plantwireModbusOpenMap();
    if (editor) this.registers = editor.rows();
  },
  // A wrapper, not the function itself: the device's script (which defines it) may load after this one.
  oneditresize: function (size: { height: number }) {
    plantwireModbusMapResize(size);
  },
});
