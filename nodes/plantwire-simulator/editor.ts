// Editor definition of plantwire-simulator. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-simulator.html.
import { nodeText, typedField } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface SimulatorSignalRow {
  tag: string;
  kind: string;
  min?: number;
  max?: number;
  period?: number;
  rate?: number;
  unit?: string;
}

interface SimulatorEditorProps extends EditorNodeProperties {
  version: number;
  source: string;
  lines: number;
  signals: SimulatorSignalRow[];
  interval: number;
  output: string;
  asset: string;
  assetType: string;
  autostart: boolean;
  seed: number;
}

RED.nodes.registerType<SimulatorEditorProps>('plantwire-simulator', {
  category: 'Plantwire OT',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-simulator.svg',
  paletteLabel: 'simulator',
  inputLabels: function () {
    return nodeText(this, 'plantwire-simulator.ports.in');
  },
  outputLabels: function (this: SimulatorEditorProps) {
    return nodeText(this, this.output === 'batch' ? 'plantwire-simulator.canvas.batch' : 'plantwire-simulator.canvas.each');
  },
  label: function (this: SimulatorEditorProps) {
    if (this.name) return this.name;
    return this.source === 'custom' ? nodeText(this, 'plantwire-simulator.canvas.custom', { count: (this.signals || []).length }) : nodeText(this, 'plantwire-simulator.canvas.bottling', { count: this.lines });
  },
  labelStyle: function (this: SimulatorEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  button: {
    enabled: function (this: SimulatorEditorProps & { changed?: boolean }) {
      return !this.changed;
    },
    onclick: function (this: SimulatorEditorProps & { id: string; changed?: boolean }) {
      if (this.changed) {
        RED.notify(RED._('notification.warning', { message: RED._('notification.warnings.undeployedChanges') }), 'warning');
        return;
      }
      $.ajax({
        url: 'plantwire/simulator/' + this.id + '/emit',
        type: 'POST',
        success: function () {
          RED.notify('Simulator: one round of samples sent', { type: 'success', id: 'plantwire-simulator' });
        },
        error: function (jqXHR: JQuery.jqXHR) {
          const body = jqXHR.responseJSON as { error?: string } | undefined;
          RED.notify('Simulator: ' + ((body && body.error) || jqXHR.statusText || 'request failed'), 'error');
        },
      });
    },
  },
  oneditprepare: function (this: SimulatorEditorProps) {
    typedField(this, 'asset');
    const kinds = ['sine', 'randomWalk', 'counter', 'state', 'alarm', 'constant'];
    const list = $('#node-input-signal-list');
    list.editableList({
      addItem: function (row: JQuery, _index: number, data: SimulatorSignalRow) {
        const r = $('<div/>', { class: 'plantwire-signal-row', style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        $('<input/>', { type: 'text', class: 'sig-tag', placeholder: 'Line1/Tank/Level', style: 'flex:3' }).val(data.tag || '').appendTo(r);
        const kind = $('<select/>', { class: 'sig-kind', style: 'flex:2' }).appendTo(r);
        kinds.forEach(function (k) {
          $('<option/>').val(k).text(k).appendTo(kind);
        });
        kind.val(data.kind || 'sine');
        $('<input/>', { type: 'number', class: 'sig-min', placeholder: 'min', style: 'flex:1' }).val(data.min ?? '').appendTo(r);
        $('<input/>', { type: 'number', class: 'sig-max', placeholder: 'max', style: 'flex:1' }).val(data.max ?? '').appendTo(r);
        $('<input/>', { type: 'number', class: 'sig-param', placeholder: 'period s / rate', style: 'flex:1' })
          .val(data.kind === 'counter' ? data.rate ?? '' : data.period ?? '')
          .appendTo(r);
        $('<input/>', { type: 'text', class: 'sig-unit', placeholder: 'unit', style: 'flex:1' }).val(data.unit || '').appendTo(r);
      },
      removable: true,
      sortable: true,
      height: 200,
    });
    (this.signals || []).forEach(function (s) {
      list.editableList('addItem', s);
    });
    const toggle = function () {
      const custom = $('#node-input-source').val() === 'custom';
      $('.plantwire-sim-custom').toggle(custom);
      $('.plantwire-sim-bottling').toggle(!custom);
    };
    $('#node-input-source').on('change', toggle);
    toggle();
  },
  oneditsave: function (this: SimulatorEditorProps) {
    const rows: SimulatorSignalRow[] = [];
    $('#node-input-signal-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        const r = $(this);
        const num = function (sel: string): number | undefined {
          const v = String(r.find(sel).val() ?? '');
          return v === '' ? undefined : Number(v);
        };
        const kind = String(r.find('.sig-kind').val());
        const row: SimulatorSignalRow = { tag: String(r.find('.sig-tag').val() || '').trim(), kind: kind };
        const min = num('.sig-min');
        const max = num('.sig-max');
        const param = num('.sig-param');
        const unit = String(r.find('.sig-unit').val() || '').trim();
        if (min !== undefined) row.min = min;
        if (max !== undefined) row.max = max;
        if (param !== undefined) {
          if (kind === 'counter') row.rate = param;
          else row.period = param;
        }
        if (unit) row.unit = unit;
        rows.push(row);
      });
    this.signals = rows;
  },
  oneditresize: function (size: { height: number }) {
    const rows = $('#dialog-form>div:not(.node-input-signal-list-row)');
    let height = size.height;
    rows.each(function (this: HTMLElement) {
      height -= $(this).outerHeight(true) || 0;
    });
    $('#node-input-signal-list').editableList('height', Math.max(150, height - 30));
  },
});
