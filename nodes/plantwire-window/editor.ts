// Editor definition of plantwire-window. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-window.html.
import { invalid, nodeText } from '../editor/kit';

interface WindowEditorProps extends EditorNodeProperties {
  version: number;
  kind: string;
  by: string;
  size: string;
  hop: string;
  count: string;
  hopCount: string;
  align: string;
  offset: string;
  shifts: string;
  timezone: string;
  aggregates: string[];
  rollover: string;
  grace: string;
  closeOn: string;
  emitEmpty: boolean;
  timestamp: string;
  output: string;
  maxTags: string;
}

RED.nodes.registerType<WindowEditorProps>('plantwire-window', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    kind: { value: 'tumbling', required: true },
    by: { value: 'time', required: true },
    size: {
      value: '60',
      validate: function (this: WindowEditorProps, v: string, opt?: object) {
        return (this.by !== 'time' || (this.kind === 'tumbling' && this.align === 'shifts') || Number(v) > 0) || invalid(this, opt, 'plantwire-window.validation.size');
      },
    },
    hop: {
      value: '10',
      validate: function (this: WindowEditorProps, v: string, opt?: object) {
        return (this.by !== 'time' || this.kind !== 'sliding' || (Number(v) > 0 && Number(v) <= Number(this.size))) || invalid(this, opt, 'plantwire-window.validation.hop');
      },
    },
    count: {
      value: '10',
      validate: function (this: WindowEditorProps, v: string, opt?: object) {
        return (this.by !== 'count' || (/^\d+$/.test(String(v)) && Number(v) >= 1)) || invalid(this, opt, 'plantwire-window.validation.count');
      },
    },
    hopCount: {
      value: '1',
      validate: function (this: WindowEditorProps, v: string, opt?: object) {
        return (this.by !== 'count' || this.kind !== 'sliding' || (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= Number(this.count))) || invalid(this, opt, 'plantwire-window.validation.hopCount');
      },
    },
    align: { value: 'interval' },
    offset: {
      value: '0',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || !isNaN(Number(v))) || invalid(this, opt, 'plantwire-window.validation.offset');
      },
    },
    shifts: {
      value: '06:00, 14:00, 22:00',
      validate: function (this: WindowEditorProps, v: string, opt?: object) {
        return (this.align !== 'shifts' || this.by !== 'time' || /^\s*\d{1,2}:\d{2}(\s*[,;\s]\s*\d{1,2}:\d{2})*\s*$/.test(String(v))) || invalid(this, opt, 'plantwire-window.validation.shifts');
      },
    },
    timezone: { value: 'UTC' },
    aggregates: {
      value: ['mean'],
      validate: function (v: unknown, opt?: object) {
        return (Array.isArray(v) && v.length > 0) || invalid(this, opt, 'plantwire-window.validation.aggregates');
      },
    },
    rollover: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-window.validation.rollover');
      },
    },
    grace: {
      value: '2',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-window.validation.grace');
      },
    },
    closeOn: { value: 'clock' },
    emitEmpty: { value: false },
    timestamp: { value: 'end' },
    output: { value: 'each' },
    maxTags: {
      value: '10000',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 1000000)) || invalid(this, opt, 'plantwire-window.validation.maxTags');
      },
    },
  },
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-window.svg',
  paletteLabel: 'window',
  inputLabels: function () {
    return nodeText(this, 'plantwire-window.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-window.ports.out' + index);
  },
  label: function (this: WindowEditorProps) {
    if (this.name) return this.name;
    const aggs = (this.aggregates || []).join('/');
    if (this.by === 'count') return this.kind === 'sliding' ? nodeText(this, 'plantwire-window.canvas.ofCountEvery', { aggs: aggs, count: this.count, hop: this.hopCount }) : nodeText(this, 'plantwire-window.canvas.ofCount', { aggs: aggs, count: this.count });
    if (this.kind === 'tumbling' && this.align === 'shifts') return nodeText(this, 'plantwire-window.canvas.shift', { aggs: aggs });
    const fmt = function (s: number) {
      return s % 3600 === 0 ? s / 3600 + ' h' : s % 60 === 0 ? s / 60 + ' min' : s + ' s';
    };
    return this.kind === 'sliding' ? nodeText(this, 'plantwire-window.canvas.perEvery', { aggs: aggs, size: fmt(Number(this.size)), hop: fmt(Number(this.hop)) }) : nodeText(this, 'plantwire-window.canvas.per', { aggs: aggs, size: fmt(Number(this.size)) });
  },
  labelStyle: function (this: WindowEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: WindowEditorProps) {
    const chosen = this.aggregates || [];
    $('.plantwire-win-agg').each(function (this: HTMLElement) {
      $(this).prop('checked', chosen.indexOf(String($(this).val())) >= 0);
    });
    if (!this.timezone) $('#node-input-timezone').val(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    const toggle = function () {
      const time = $('#node-input-by').val() === 'time';
      const sliding = $('#node-input-kind').val() === 'sliding';
      if (sliding && $('#node-input-align').val() === 'shifts') $('#node-input-align').val('interval');
      const shifts = time && !sliding && $('#node-input-align').val() === 'shifts';
      $('.plantwire-win-time').toggle(time);
      $('.plantwire-win-count').toggle(!time);
      $('.plantwire-win-size').toggle(time && !shifts);
      $('.plantwire-win-hop').toggle(time && sliding);
      $('.plantwire-win-hopcount').toggle(!time && sliding);
      $('.plantwire-win-align').toggle(time && !sliding);
      $('.plantwire-win-offset').toggle(time && !shifts);
      $('.plantwire-win-shifts').toggle(shifts);
      $('.plantwire-win-rollover').toggle($('#plantwire-win-agg-delta').is(':checked'));
    };
    $('#node-input-by, #node-input-kind, #node-input-align, .plantwire-win-agg').on('change', toggle);
    toggle();
  },
  oneditsave: function (this: WindowEditorProps) {
    const list: string[] = [];
    $('.plantwire-win-agg:checked').each(function (this: HTMLElement) {
      list.push(String($(this).val()));
    });
    this.aggregates = list;
  },
});
