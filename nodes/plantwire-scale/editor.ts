// Editor definition of plantwire-scale. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-scale.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ScaleEditorProps extends EditorNodeProperties {
  version: number;
  mode: string;
  rawMin: string;
  rawMax: string;
  engMin: string;
  engMax: string;
  gain: string;
  offset: string;
  clamp: boolean;
  clampLow: string;
  clampHigh: string;
  engUnit: string;
  toUnit: string;
  decimals: string;
}

RED.nodes.registerType<ScaleEditorProps>('plantwire-scale', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 1,
  icon: 'plantwire-scale.svg',
  paletteLabel: 'scale',
  inputLabels: function () {
    return nodeText(this, 'plantwire-scale.ports.in');
  },
  outputLabels: function () {
    return nodeText(this, 'plantwire-scale.ports.out0');
  },
  label: function (this: ScaleEditorProps) {
    if (this.name) return this.name;
    const core = this.mode === 'range' ? this.rawMin + '…' + this.rawMax + ' → ' + this.engMin + '…' + this.engMax : this.mode === 'gain' ? '× ' + this.gain + (this.offset && Number(this.offset) !== 0 ? ' + ' + this.offset : '') : 'scale';
    return core + (this.toUnit ? ' ' + this.toUnit : this.engUnit ? ' ' + this.engUnit : '');
  },
  labelStyle: function (this: ScaleEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: ScaleEditorProps) {
    // The node's own message catalogue (RED._ would need the palette's namespace).
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const toggle = function () {
      const mode = String($('#node-input-mode').val());
      $('.plantwire-scale-range').toggle(mode === 'range');
      $('.plantwire-scale-gain').toggle(mode === 'gain');
      const clamp = $('#node-input-clamp').is(':checked');
      $('.plantwire-scale-limits').toggle(clamp && mode !== 'range');
    };
    $('#node-input-mode').on('change', toggle);
    $('#node-input-clamp').on('change', toggle);
    toggle();
    $.getJSON('plantwire/scale/units', function (body: { units?: string[] }) {
      const list = $('#plantwire-scale-units');
      (body.units || []).forEach(function (u) {
        $('<option/>').attr('value', u).appendTo(list);
      });
    });
    let pending: ReturnType<typeof setTimeout> | undefined;
    const check = function () {
      const from = String($('#node-input-engUnit').val() || '').trim();
      const to = String($('#node-input-toUnit').val() || '').trim();
      const out = $('#plantwire-scale-check');
      if (!from || !to) {
        out.text(to ? i18n('plantwire-scale.label.unitFromSamples') : '');
        return;
      }
      $.ajax({
        url: 'plantwire/scale/units',
        data: { from: from, to: to },
        dataType: 'json',
        success: function (r: { a: number; b: number }) {
          const one = r.a + r.b;
          out.css('color', '').text('1 ' + from + ' = ' + Number(one.toPrecision(8)) + ' ' + to);
        },
        error: function (jq: JQuery.jqXHR) {
          const body = jq.responseJSON as { error?: string } | undefined;
          out.css('color', 'var(--red-ui-text-color-error, #d00)').text((body && body.error) || jq.statusText);
        },
      });
    };
    $('#node-input-engUnit, #node-input-toUnit').on('input change', function () {
      if (pending) clearTimeout(pending);
      pending = setTimeout(check, 300);
    });
    check();
  },
});
