// Editor definition of plantwire-oee. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-oee.html.
import { invalid, nodeText } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    stateTag: {
      value: '+/State',
      required: true,
      validate: function (v: string, opt?: object) {
        return /^[^\s]/.test(String(v || '')) || invalid(this, opt, 'plantwire-oee.validation.stateTag');
      },
    },
    reasonTag: { value: '' },
    totalTag: { value: '+/Filler/FillCount' },
    goodTag: { value: '' },
    rejectTag: {
      value: '+/Inspector/RejectCount',
      validate: function (this: OeeEditorProps, v: string, opt?: object) {
        const given = [this.totalTag, this.goodTag, v].filter(function (x) {
          return String(x || '').trim() !== '';
        }).length;
        return given >= 2 || invalid(this, opt, 'plantwire-oee.validation.counts');
      },
    },
    countMode: { value: 'counter' },
    rollover: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-oee.validation.rollover');
      },
    },
    idealCycle: {
      value: '0.1',
      validate: function (v: string, opt?: object) {
        return Number(v) > 0 || invalid(this, opt, 'plantwire-oee.validation.idealCycle');
      },
    },
    idealCycleLines: {
      value: '',
      validate: function (v: string, opt?: object) {
        return /^\s*([^=,;\n]+=\s*[0-9.]+\s*([,;\n]\s*|$))*$/.test(String(v || '')) || invalid(this, opt, 'plantwire-oee.validation.idealCycleLines');
      },
    },
    runningStates: {
      value: 'Running',
      validate: function (v: string, opt?: object) {
        return String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-oee.validation.runningStates');
      },
    },
    plannedStates: { value: 'Planned stop, Break, No order' },
    setupStates: { value: 'Setup, Changeover' },
    codes: {
      value: '',
      validate: function (v: string, opt?: object) {
        return /^\s*(-?\d+\s*=\s*[^;\n]+([;\n]\s*|$))*$/.test(String(v || '')) || invalid(this, opt, 'plantwire-oee.validation.codes');
      },
    },
    microStop: {
      value: '120',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-oee.validation.seconds');
      },
    },
    startup: {
      value: '0',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-oee.validation.seconds');
      },
    },
    align: { value: 'shifts' },
    size: {
      value: '3600',
      validate: function (this: OeeEditorProps, v: string, opt?: object) {
        return (this.align === 'shifts' || Number(v) >= 1) || invalid(this, opt, 'plantwire-oee.validation.size');
      },
    },
    offset: {
      value: '0',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || !isNaN(Number(v))) || invalid(this, opt, 'plantwire-oee.validation.offset');
      },
    },
    shifts: {
      value: '06:00, 14:00, 22:00',
      validate: function (this: OeeEditorProps, v: string, opt?: object) {
        return (this.align !== 'shifts' || /^\s*\d{1,2}:\d{2}(\s*[,;\s]\s*\d{1,2}:\d{2})*\s*$/.test(String(v))) || invalid(this, opt, 'plantwire-oee.validation.shifts');
      },
    },
    timezone: { value: 'UTC' },
    grace: {
      value: '5',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-oee.validation.seconds');
      },
    },
    closeOn: { value: 'clock' },
    update: {
      value: '10',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || Number(v) >= 0) || invalid(this, opt, 'plantwire-oee.validation.seconds');
      },
    },
    output: { value: 'each' },
    maxLines: {
      value: '1000',
      validate: function (v: string, opt?: object) {
        return (String(v).trim() === '' || (/^\d+$/.test(String(v)) && Number(v) >= 1 && Number(v) <= 1000000)) || invalid(this, opt, 'plantwire-oee.validation.maxLines');
      },
    },
  },
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
