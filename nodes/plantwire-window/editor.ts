// Editor definition of plantwire-window. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-window.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

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
  defaults: specDefaults(spec),
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
