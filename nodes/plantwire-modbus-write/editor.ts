// Editor definition of plantwire-modbus-write. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-modbus-write.html.
// The register map editor is nodes/editor/modbus.ts.
import { plantwireModbusMapEditor, plantwireModbusMapResize, plantwireModbusOpenMap, type PlantwireModbusRow } from '../editor/modbus';
import { nodeText, pickConfigs } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
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
