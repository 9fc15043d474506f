// Editor definition of plantwire-condition. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-condition.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface CounterRow {
  name?: string;
  tag: string;
  measure: string;
  interval: string;
  dueSoon?: string;
  running?: string;
  rollover?: string;
  priority?: string;
  description?: string;
}

interface MonitorRow {
  name?: string;
  tag: string;
  rules: string;
  learn?: string;
  lambda?: string;
  L?: string;
  clearAfter?: string;
  priority?: string;
  description?: string;
}

interface ConditionEditorProps extends EditorNodeProperties {
  version: number;
  counters: CounterRow[];
  monitors: MonitorRow[];
  persist: boolean;
}

RED.nodes.registerType<ConditionEditorProps>('plantwire-condition', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-condition.svg',
  paletteLabel: 'condition',
  inputLabels: function () {
    return nodeText(this, 'plantwire-condition.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-condition.ports.out' + index);
  },
  label: function (this: ConditionEditorProps) {
    return this.name || nodeText(this, 'plantwire-condition.canvas.counts', { counters: (this.counters || []).length, monitors: (this.monitors || []).length });
  },
  labelStyle: function (this: ConditionEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ConditionEditorProps) {
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const priorities = ['critical', 'high', 'medium', 'low'];
    const input = function (parent: JQuery, cls: string, value: unknown, placeholder: string, style: string) {
      return $('<input/>', { type: 'text', class: cls, placeholder: placeholder, title: placeholder, style: style }).val(value === undefined || value === null ? '' : String(value)).appendTo(parent);
    };
    const prioritySelect = function (parent: JQuery, value: string | undefined) {
      const sel = $('<select/>', { class: 'cm-priority', style: 'flex:1.5;min-width:0', title: i18n('plantwire-condition.col.priority') }).appendTo(parent);
      priorities.forEach(function (p) {
        $('<option/>').val(p).text(p).appendTo(sel);
      });
      sel.val(value || 'medium');
    };
    const markTag = function (row: JQuery) {
      const tag = row.find('.cm-tag');
      const mark = function () {
        tag.toggleClass('input-error', String(tag.val() || '').trim() === '');
      };
      tag.on('change keyup', mark);
      mark();
    };
    $('#node-input-counter-list').editableList({
      addItem: function (row: JQuery, _i: number, d: CounterRow) {
        const r1 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        input(r1, 'cm-tag', d.tag, i18n('plantwire-condition.col.counterTag'), 'flex:3;min-width:0');
        const m = $('<select/>', { class: 'cm-measure', style: 'flex:1.5;min-width:0' }).appendTo(r1);
        ['runHours', 'starts', 'cycles'].forEach(function (k) {
          $('<option/>').val(k).text(i18n('plantwire-condition.measure.' + k)).appendTo(m);
        });
        m.val(d.measure || 'runHours');
        input(r1, 'cm-interval', d.interval, i18n('plantwire-condition.col.interval'), 'flex:1;min-width:0');
        input(r1, 'cm-dueSoon', d.dueSoon, i18n('plantwire-condition.col.dueSoon'), 'flex:1;min-width:0');
        prioritySelect(r1, d.priority);
        const r2 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center;margin-top:4px;font-size:0.9em' }).appendTo(row);
        input(r2, 'cm-name', d.name, i18n('plantwire-condition.col.name'), 'flex:2;min-width:0');
        input(r2, 'cm-running', d.running, i18n('plantwire-condition.col.running'), 'flex:2;min-width:0');
        input(r2, 'cm-rollover', d.rollover, i18n('plantwire-condition.col.rollover'), 'flex:1;min-width:0');
        input(r2, 'cm-description', d.description, i18n('plantwire-condition.col.description'), 'flex:3;min-width:0');
        markTag(r1);
      },
      removable: true,
      sortable: true,
      height: 150,
    });
    (this.counters || []).forEach(function (c) {
      $('#node-input-counter-list').editableList('addItem', c);
    });
    $('#node-input-monitor-list').editableList({
      addItem: function (row: JQuery, _i: number, d: MonitorRow) {
        const r1 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        input(r1, 'cm-tag', d.tag, i18n('plantwire-condition.col.monitorTag'), 'flex:3;min-width:0');
        input(r1, 'cm-rules', d.rules || 'ewma', i18n('plantwire-condition.col.rules'), 'flex:2;min-width:0');
        input(r1, 'cm-learn', d.learn, i18n('plantwire-condition.col.learn'), 'flex:1;min-width:0');
        prioritySelect(r1, d.priority);
        const r2 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center;margin-top:4px;font-size:0.9em' }).appendTo(row);
        input(r2, 'cm-name', d.name, i18n('plantwire-condition.col.name'), 'flex:2;min-width:0');
        input(r2, 'cm-lambda', d.lambda, i18n('plantwire-condition.col.lambda'), 'flex:1;min-width:0');
        input(r2, 'cm-L', d.L, i18n('plantwire-condition.col.L'), 'flex:1;min-width:0');
        input(r2, 'cm-clearAfter', d.clearAfter, i18n('plantwire-condition.col.clearAfter'), 'flex:1;min-width:0');
        input(r2, 'cm-description', d.description, i18n('plantwire-condition.col.description'), 'flex:3;min-width:0');
        markTag(r1);
      },
      removable: true,
      sortable: true,
      height: 150,
    });
    (this.monitors || []).forEach(function (m) {
      $('#node-input-monitor-list').editableList('addItem', m);
    });
    // A new node starts with one empty monitor row, so the required tag cell is visible (and marked) at once.
    if ((this.counters || []).length + (this.monitors || []).length === 0) $('#node-input-monitor-list').editableList('addItem', { tag: '', rules: 'ewma' } as MonitorRow);
  },
  oneditsave: function (this: ConditionEditorProps) {
    const read = function (row: JQuery, keys: string[]): Record<string, string> {
      const out: Record<string, string> = {};
      keys.forEach(function (k) {
        const v = String(row.find('.cm-' + k).val() || '').trim();
        if (v !== '') out[k] = v;
      });
      return out;
    };
    const counters: CounterRow[] = [];
    $('#node-input-counter-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        counters.push(read($(this), ['name', 'tag', 'measure', 'interval', 'dueSoon', 'running', 'rollover', 'priority', 'description']) as unknown as CounterRow);
      });
    const monitors: MonitorRow[] = [];
    $('#node-input-monitor-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        monitors.push(read($(this), ['name', 'tag', 'rules', 'learn', 'lambda', 'L', 'clearAfter', 'priority', 'description']) as unknown as MonitorRow);
      });
    this.counters = counters;
    this.monitors = monitors;
  },
});
