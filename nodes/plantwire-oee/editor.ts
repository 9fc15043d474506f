// Editor definition of plantwire-oee. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-oee.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface OeeEditorProps extends EditorNodeProperties {
  version: number;
  stateTag: string;
  reasonTag: string;
  totalTag: string;
  goodTag: string;
  rejectTag: string;
  countMode: string;
  rollover: string;
  idealCycle: string;
  idealCycleLines: string;
  runningStates: string;
  plannedStates: string;
  setupStates: string;
  codes: string;
  microStop: string;
  startup: string;
  align: string;
  size: string;
  offset: string;
  shifts: string;
  timezone: string;
  grace: string;
  closeOn: string;
  update: string;
  output: string;
  maxLines: string;
}

RED.nodes.registerType<OeeEditorProps>('plantwire-oee', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 3,
  icon: 'plantwire-oee.svg',
  paletteLabel: 'oee',
  inputLabels: function () {
    return nodeText(this, 'plantwire-oee.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-oee.ports.out' + index);
  },
  label: function (this: OeeEditorProps) {
    if (this.name) return this.name;
    if (this.align === 'shifts') return nodeText(this, 'plantwire-oee.canvas.shift');
    const s = Number(this.size);
    return nodeText(this, 'plantwire-oee.canvas.per', { size: s % 3600 === 0 ? s / 3600 + ' h' : s % 60 === 0 ? s / 60 + ' min' : s + ' s' });
  },
  labelStyle: function (this: OeeEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: OeeEditorProps) {
    if (!this.timezone) $('#node-input-timezone').val(Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC');
    const toggle = function () {
      const shifts = $('#node-input-align').val() === 'shifts';
      $('.plantwire-oee-shifts').toggle(shifts);
      $('.plantwire-oee-interval').toggle(!shifts);
      $('.plantwire-oee-rollover').toggle($('#node-input-countMode').val() === 'counter');
    };
    $('#node-input-align, #node-input-countMode').on('change', toggle);
    toggle();
  },
});
