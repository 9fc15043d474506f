// Editor definition of plantwire-modbus-write. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-modbus-write.html.
// The register map editor is nodes/editor/modbus.ts.
import { plantwireModbusMapEditor, plantwireModbusMapResize, plantwireModbusOpenMap, type PlantwireModbusRow } from '../editor/modbus';
import { invalid, nodeText, pickConfigs } from '../editor/kit';

interface ModbusWriteEditorProps extends EditorNodeProperties {
  version: number;
  device: string;
  mapSource: string;
  registers: PlantwireModbusRow[];
  csv: string;
  singleRegisterFc: string;
}

RED.nodes.registerType<ModbusWriteEditorProps>('plantwire-modbus-write', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    device: { value: '', type: 'plantwire-modbus-device', required: true },
    mapSource: { value: 'table', required: true },
    registers: {
      value: [],
      validate: function (this: ModbusWriteEditorProps, v: unknown, opt?: object) {
        return (this.mapSource === 'csv' || (Array.isArray(v) && v.some((r: PlantwireModbusRow) => !!r && r.writable === true))) || invalid(this, opt, 'plantwire-modbus-write.validation.registers');
      },
    },
    csv: {
      value: '',
      validate: function (this: ModbusWriteEditorProps, v: string, opt?: object) {
        // Node-RED 4 shows a returned string as the field's error message.
        // While the dialog is open, the map source is the dialog's choice, not the saved one.
        const source = $('#node-input-mapSource').length ? $('#node-input-mapSource').val() : this.mapSource;
        return source !== 'csv' || String(v || '').trim().indexOf('\n') > 0 || invalid(this, opt, 'plantwire-modbus-write.validation.csv');
      },
    },
    singleRegisterFc: { value: '6', required: true },
  },
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-modbus-write.svg',
  align: 'right',
  paletteLabel: 'modbus out',
  inputLabels: function () {
    return nodeText(this, 'plantwire-modbus-write.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-modbus-write.ports.out0');
  },
  label: function (this: ModbusWriteEditorProps) {
    if (this.name) return this.name;
    const n: string | number = this.mapSource === 'csv' ? 'CSV' : (this.registers || []).filter((r) => r && r.writable).length; // a number: i18next picks the singular
    return nodeText(this, 'plantwire-modbus-write.canvas.tags', { count: n });
  },
  labelStyle: function (this: ModbusWriteEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ModbusWriteEditorProps & { _: (k: string) => string }) {
    // A node just dropped in takes the only config node of its type (not "none").
    pickConfigs(this);
    plantwireModbusMapEditor(this.registers || [], this._, 'plantwire-modbus-write', true);
  },
  oneditsave: function (this: ModbusWriteEditorProps) {
    const editor = plantwireModbusOpenMap();
    if (editor) this.registers = editor.rows();
  },
  // A wrapper, not the function itself: the device's script (which defines it) may load after this one.
  oneditresize: function (size: { height: number }) {
    plantwireModbusMapResize(size);
  },
});
