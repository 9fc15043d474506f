// Editor definition of plantwire-alarm. Bundled by scripts/build.mjs (esbuild) into dist/nodes/plantwire-alarm.html.
import { nodeText } from '../editor/kit';
import { specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface AlarmRuleRow {
  name?: string;
  tag: string;
  kind: string;
  limit?: string;
  setpoint?: string;
  setpointTag?: string;
  values?: string;
  priority?: string;
  deadband?: string;
  onDelay?: string;
  offDelay?: string;
  message?: string;
  suppressible?: boolean;
}

interface AlarmEditorProps extends EditorNodeProperties {
  version: number;
  rules: AlarmRuleRow[];
  suppressTag: string;
  suppressValues: string;
  floodThreshold: string;
  shelveMinutes: string;
  maxShelveMinutes: string;
  rateEvery: string;
  persist: boolean;
}

interface AlarmListEntry {
  id: string;
  state: string;
  priority: string;
  value: unknown;
  active: boolean;
  shelvedUntil?: string;
}

RED.nodes.registerType<AlarmEditorProps>('plantwire-alarm', {
  category: 'Plantwire transform',
  color: '#C7D8A0',
  defaults: specDefaults(spec),
  inputs: 1,
  outputs: 2,
  icon: 'plantwire-alarm.svg',
  paletteLabel: 'alarm',
  inputLabels: function () {
    return nodeText(this, 'plantwire-alarm.ports.in');
  },
  outputLabels: function (index: number) {
    return nodeText(this, 'plantwire-alarm.ports.out' + index);
  },
  label: function (this: AlarmEditorProps) {
    if (this.name) return this.name;
    const n = (this.rules || []).length;
    return n === 1 && this.rules[0] && this.rules[0].tag ? this.rules[0].tag + ' ' + this.rules[0].kind : 'alarm (' + n + ')';
  },
  labelStyle: function (this: AlarmEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  button: {
    enabled: function (this: AlarmEditorProps & { changed?: boolean }) {
      return !this.changed;
    },
    onclick: function (this: AlarmEditorProps & { id: string; changed?: boolean }) {
      if (this.changed) {
        RED.notify(RED._('notification.warning', { message: RED._('notification.warnings.undeployedChanges') }), 'warning');
        return;
      }
      $.ajax({
        url: 'plantwire/alarm/' + this.id + '/command',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ command: 'acknowledge', alarm: '*' }),
        dataType: 'json',
        success: function (body: { events: number }) {
          RED.notify('Alarm: ' + body.events + ' acknowledged', { type: 'success', id: 'plantwire-alarm' });
        },
        error: function (jqXHR: JQuery.jqXHR) {
          const body = jqXHR.responseJSON as { error?: string } | undefined;
          RED.notify('Alarm: ' + ((body && body.error) || jqXHR.statusText || 'request failed'), 'error');
        },
      });
    },
  },
  oneditprepare: function (this: AlarmEditorProps & { id: string; changed?: boolean }) {
    const i18n = (this as unknown as { _: (key: string, opts?: Record<string, unknown>) => string })._.bind(this);
    const kinds = ['HH', 'H', 'L', 'LL', 'deviation', 'roc', 'discrete'];
    const priorities = ['critical', 'high', 'medium', 'low'];
    const list = $('#node-input-alarm-list');
    list.editableList({
      addItem: function (row: JQuery, _i: number, data: AlarmRuleRow) {
        const r1 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        $('<input/>', { type: 'text', class: 'al-tag', placeholder: 'Line1/Filler/Temperature', style: 'flex:4;min-width:0', title: i18n('plantwire-alarm.col.tag') }).val(data.tag || '').appendTo(r1);
        const kind = $('<select/>', { class: 'al-kind', style: 'flex:2;min-width:0', title: i18n('plantwire-alarm.col.kind') }).appendTo(r1);
        kinds.forEach(function (k) {
          $('<option/>').val(k).text(i18n('plantwire-alarm.kind.' + k)).appendTo(kind);
        });
        kind.val(data.kind || 'H');
        $('<input/>', { type: 'text', class: 'al-limit', placeholder: i18n('plantwire-alarm.col.limit'), style: 'flex:1;min-width:0', title: i18n('plantwire-alarm.col.limit') }).val(data.limit ?? '').appendTo(r1);
        $('<input/>', { type: 'text', class: 'al-values', placeholder: i18n('plantwire-alarm.placeholder.values'), style: 'flex:1;min-width:0', title: i18n('plantwire-alarm.col.values') }).val(data.values ?? '').appendTo(r1);
        const prio = $('<select/>', { class: 'al-priority', style: 'flex:1.5;min-width:0', title: i18n('plantwire-alarm.col.priority') }).appendTo(r1);
        priorities.forEach(function (p) {
          $('<option/>').val(p).text(i18n('plantwire-alarm.priority.' + p)).appendTo(prio);
        });
        prio.val(data.priority || 'medium');
        const r2 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center;margin-top:4px;font-size:0.9em' }).appendTo(row);
        const small = function (cls: string, key: string, value: unknown, placeholder: string) {
          $('<span/>').text(i18n('plantwire-alarm.col.' + key)).appendTo(r2);
          $('<input/>', { type: 'text', class: cls, placeholder: placeholder, style: 'width:60px' }).val(value === undefined ? '' : String(value)).appendTo(r2);
        };
        small('al-deadband', 'deadband', data.deadband, '0');
        small('al-onDelay', 'onDelay', data.onDelay, '0');
        small('al-offDelay', 'offDelay', data.offDelay, '0');
        const sp = $('<span/>', { class: 'al-sp' }).appendTo(r2);
        $('<span/>').text(i18n('plantwire-alarm.col.setpoint')).appendTo(sp);
        $('<input/>', { type: 'text', class: 'al-setpoint', placeholder: '80', style: 'width:60px' }).val(data.setpoint ?? '').appendTo(sp);
        $('<input/>', { type: 'text', class: 'al-setpointTag', placeholder: i18n('plantwire-alarm.col.setpointTag'), style: 'width:140px' }).val(data.setpointTag ?? '').appendTo(sp);
        const r3 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center;margin-top:4px;font-size:0.9em' }).appendTo(row);
        $('<input/>', { type: 'text', class: 'al-message', placeholder: i18n('plantwire-alarm.col.message'), style: 'flex:3;min-width:0' }).val(data.message ?? '').appendTo(r3);
        $('<input/>', { type: 'text', class: 'al-name', placeholder: i18n('plantwire-alarm.col.name'), style: 'flex:2;min-width:0' }).val(data.name ?? '').appendTo(r3);
        const lab = $('<label/>', { style: 'width:auto;margin:0' }).appendTo(r3);
        $('<input/>', { type: 'checkbox', class: 'al-suppressible', style: 'width:auto;margin:0 4px 0 0' }).prop('checked', data.suppressible !== false).appendTo(lab);
        $('<span/>').text(i18n('plantwire-alarm.col.suppressible')).appendTo(lab);
        const toggle = function () {
          const k = String(kind.val());
          r1.find('.al-limit').toggle(k !== 'discrete');
          r1.find('.al-values').toggle(k === 'discrete');
          sp.toggle(k === 'deviation');
          r2.find('.al-deadband').prop('disabled', k === 'discrete');
          r1.find('.al-tag').toggleClass('input-error', String(r1.find('.al-tag').val() || '').trim() === '');
        };
        kind.on('change', toggle);
        r1.find('.al-tag').on('change keyup', toggle);
        toggle();
      },
      removable: true,
      sortable: true,
      height: 260,
    });
    (this.rules || []).forEach(function (r) {
      list.editableList('addItem', r);
    });
    if (!this.rules || this.rules.length === 0) list.editableList('addItem', { tag: '', kind: 'H' } as AlarmRuleRow);

    // Live alarms of the deployed node, with acknowledge / shelve buttons (admin route, permission-checked).
    const live = $('#plantwire-alarm-live');
    const id = this.id;
    // A node that is new or changed has no deployed twin to ask (that would be a 404 in the browser console).
    const deployed = !this.changed;
    const refresh = function () {
      if (!deployed) {
        live.empty().text(i18n('plantwire-alarm.live.notDeployed'));
        return;
      }
      $.ajax({
        url: 'plantwire/alarm/' + id,
        type: 'GET',
        dataType: 'json',
        success: function (body: { alarms: AlarmListEntry[]; rate: { alarms: number; flood: boolean } }) {
          live.empty();
          $('<div/>').text(i18n('plantwire-alarm.live.rate', { count: body.rate.alarms }) + (body.rate.flood ? ' — FLOOD' : '')).appendTo(live);
          const table = $('<table/>', { style: 'width:100%;font-size:0.9em' }).appendTo(live);
          body.alarms.forEach(function (a) {
            const tr = $('<tr/>', { class: 'plantwire-alarm-row', 'data-alarm': a.id }).appendTo(table);
            $('<td/>').text(a.id).appendTo(tr);
            $('<td/>', { class: 'plantwire-alarm-state' }).text(a.state).appendTo(tr);
            $('<td/>').text(a.value === null || a.value === undefined ? '' : String(a.value)).appendTo(tr);
            const td = $('<td/>', { style: 'white-space:nowrap' }).appendTo(tr);
            const button = function (command: string, enabled: boolean) {
              $('<button/>', { class: 'red-ui-button red-ui-button-small plantwire-alarm-' + command })
                .text(i18n('plantwire-alarm.live.' + command))
                .prop('disabled', !enabled)
                .on('click', function (e: JQuery.ClickEvent) {
                  e.preventDefault();
                  $.ajax({
                    url: 'plantwire/alarm/' + id + '/command',
                    type: 'POST',
                    contentType: 'application/json',
                    data: JSON.stringify({ command: command, alarm: a.id }),
                    dataType: 'json',
                    success: refresh,
                    error: function (jq: JQuery.jqXHR) {
                      const b = jq.responseJSON as { error?: string } | undefined;
                      RED.notify('Alarm: ' + ((b && b.error) || jq.statusText), 'error');
                    },
                  });
                })
                .appendTo(td);
            };
            button('acknowledge', a.state === 'UNACK' || a.state === 'RTNUN');
            if (a.state === 'SHLVD') button('unshelve', true);
            else button('shelve', a.state !== 'OOSRV' && a.state !== 'DSUPR');
          });
        },
        error: function () {
          live.empty().text(i18n('plantwire-alarm.live.notDeployed'));
        },
      });
    };
    refresh();
  },
  oneditsave: function (this: AlarmEditorProps) {
    const rows: AlarmRuleRow[] = [];
    $('#node-input-alarm-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        const r = $(this);
        const val = function (c: string): string {
          return String(r.find('.al-' + c).val() || '').trim();
        };
        const kind = val('kind');
        const row: AlarmRuleRow = { tag: val('tag'), kind: kind, priority: val('priority') || 'medium' };
        if (kind === 'discrete') row.values = val('values');
        else {
          row.limit = val('limit');
          row.deadband = val('deadband') || '0';
        }
        if (kind === 'deviation') {
          if (val('setpointTag')) row.setpointTag = val('setpointTag');
          else row.setpoint = val('setpoint');
        }
        row.onDelay = val('onDelay') || '0';
        row.offDelay = val('offDelay') || '0';
        if (val('message')) row.message = val('message');
        if (val('name')) row.name = val('name');
        if (!r.find('.al-suppressible').is(':checked')) row.suppressible = false;
        rows.push(row);
      });
    this.rules = rows;
  },
});
