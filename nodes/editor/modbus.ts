// The register map editor the plantwire-modbus-read and plantwire-modbus-write
// dialogs share; imported by their editor.ts (bundled by scripts/build.mjs).

/** One register map row as the dialog stores it (strings as typed; the runtime validates). */
export interface PlantwireModbusRow {
  tag: string;
  address: string | number;
  function: string;
  dataType: string;
  order?: string;
  length?: string | number;
  bit?: string | number;
  scale?: string | number;
  offset?: string | number;
  unit?: string;
  unitId?: string | number;
  writable?: boolean;
}

export interface PlantwireModbusMapEditor {
  /** The rows of the table, for oneditsave. */
  rows(): PlantwireModbusRow[];
  resize(height: number): void;
}

/**
 * Builds the register map editor in the dialog of a read or write node. The
 * template provides #node-input-mapSource, #node-input-registers-list,
 * #node-input-csv and the buttons; `t` is the node's translator, `ns` its type.
 */
export function plantwireModbusMapEditor(rows: PlantwireModbusRow[], t: (key: string) => string, ns: string, withWritable: boolean): PlantwireModbusMapEditor {
  const list = $('#node-input-registers-list');
  const functions = ['holding', 'input', 'coil', 'discrete'];
  const types = ['uint16', 'int16', 'uint32', 'int32', 'float32', 'float64', 'string', 'bool'];
  const orders = ['ABCD', 'CDAB', 'BADC', 'DCBA'];
  const select = function (cls: string, values: string[], value: string | undefined, flex: number): JQuery {
    const s = $('<select/>', { class: cls, style: 'flex:' + flex + ';min-width:0', title: cls.replace('pw-', '') });
    values.forEach(function (v) {
      $('<option/>').val(v).text(v).appendTo(s);
    });
    s.val(value || values[0]!);
    return s;
  };
  const input = function (cls: string, value: unknown, placeholder: string, flex: number): JQuery {
    return $('<input/>', { type: 'text', class: cls, placeholder: placeholder, title: placeholder, style: 'flex:' + flex + ';min-width:0' }).val(value === undefined || value === null ? '' : String(value));
  };
  const refresh = function (row: JQuery): void {
    const fn = String(row.find('.pw-fn').val());
    const bits = fn === 'coil' || fn === 'discrete';
    const type = bits ? 'bool' : String(row.find('.pw-type').val());
    row.find('.pw-type').prop('disabled', bits);
    if (bits) row.find('.pw-type').val('bool');
    row.find('.pw-order').toggle(!bits && type !== 'bool');
    row.find('.pw-length').toggle(type === 'string');
    row.find('.pw-bit').toggle(type === 'bool' && !bits);
    row.find('.pw-scale, .pw-offset').toggle(type !== 'bool' && type !== 'string');
    row.find('.pw-writable-label').toggle(withWritable && (fn === 'coil' || fn === 'holding'));
  };
  list.editableList({
    addItem: function (row: JQuery, _index: number, data: PlantwireModbusRow) {
      const line1 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
      input('pw-tag', data.tag, t(ns + '.map.tag'), 4).appendTo(line1);
      select('pw-fn', functions, data.function, 2).appendTo(line1);
      input('pw-address', data.address, t(ns + '.map.address'), 1.5).appendTo(line1);
      select('pw-type', types, data.dataType, 2).appendTo(line1);
      select('pw-order', orders, data.order, 1.5).appendTo(line1);
      const line2 = $('<div/>', { style: 'display:flex;gap:4px;align-items:center;margin-top:4px' }).appendTo(row);
      input('pw-length', data.length, t(ns + '.map.length'), 1).appendTo(line2);
      input('pw-bit', data.bit, t(ns + '.map.bit'), 1).appendTo(line2);
      input('pw-scale', data.scale, t(ns + '.map.scale'), 1).appendTo(line2);
      input('pw-offset', data.offset, t(ns + '.map.offset'), 1).appendTo(line2);
      input('pw-unit', data.unit, t(ns + '.map.unit'), 1).appendTo(line2);
      input('pw-unitid', data.unitId, t(ns + '.map.unitId'), 1).appendTo(line2);
      const w = $('<label/>', { class: 'pw-writable-label', style: 'flex:1.2;margin:0;white-space:nowrap' }).appendTo(line2);
      $('<input/>', { type: 'checkbox', class: 'pw-writable', style: 'width:auto;margin:0 4px 0 0' }).prop('checked', data.writable === true).appendTo(w);
      $('<span/>').text(t(ns + '.map.writable')).appendTo(w);
      row.find('.pw-fn, .pw-type').on('change', function () {
        refresh(row);
      });
      refresh(row);
    },
    removable: true,
    sortable: true,
    height: 250,
  });
  const fill = function (data: PlantwireModbusRow[]): void {
    list.editableList('empty');
    data.forEach(function (r) {
      list.editableList('addItem', r);
    });
  };
  fill(rows || []);

  const collect = function (): PlantwireModbusRow[] {
    const out: PlantwireModbusRow[] = [];
    list.editableList('items').each(function (this: HTMLElement) {
      const r = $(this);
      const val = function (sel: string): string {
        return String(r.find(sel).val() ?? '').trim();
      };
      const fn = val('.pw-fn');
      const bits = fn === 'coil' || fn === 'discrete';
      const type = bits ? 'bool' : val('.pw-type');
      const row: PlantwireModbusRow = { tag: val('.pw-tag'), address: val('.pw-address'), function: fn, dataType: type };
      if (!bits && type !== 'bool') row.order = val('.pw-order');
      if (type === 'string' && val('.pw-length')) row.length = val('.pw-length');
      if (type === 'bool' && !bits && val('.pw-bit')) row.bit = val('.pw-bit');
      if (type !== 'bool' && type !== 'string') {
        if (val('.pw-scale') && val('.pw-scale') !== '1') row.scale = val('.pw-scale');
        if (val('.pw-offset') && val('.pw-offset') !== '0') row.offset = val('.pw-offset');
      }
      if (val('.pw-unit')) row.unit = val('.pw-unit');
      if (val('.pw-unitid')) row.unitId = val('.pw-unitid');
      if (withWritable && r.find('.pw-writable').prop('checked') && (fn === 'coil' || fn === 'holding')) row.writable = true;
      out.push(row);
    });
    return out;
  };

  const result = $('#plantwire-modbus-map-result');
  const show = function (ok: boolean, text: string): void {
    result.text(text).css('color', ok ? 'var(--red-ui-text-color-success, #3a3)' : 'var(--red-ui-text-color-error, #c00)');
  };
  // The runtime's parser checks and converts (the same code that runs on deploy).
  const ask = function (body: object, done: (res: { rows: PlantwireModbusRow[]; csv: string }) => void): void {
    $.ajax({
      url: 'plantwire/modbus/register-map',
      type: 'POST',
      contentType: 'application/json',
      data: JSON.stringify(body),
      success: done,
      error: function (jqXHR: JQuery.jqXHR) {
        const res = jqXHR.responseJSON as { error?: string } | undefined;
        show(false, (res && res.error) || jqXHR.statusText || 'request failed');
      },
    });
  };
  $('#plantwire-modbus-import').on('click', function (e: JQuery.ClickEvent) {
    e.preventDefault();
    ask({ csv: String($('#node-input-csv').val() || '') }, function (res) {
      fill(res.rows);
      $('#node-input-mapSource').val('table').trigger('change');
      show(true, res.rows.length + ' ' + t(ns + '.map.rowsImported'));
    });
  });
  $('#plantwire-modbus-export').on('click', function (e: JQuery.ClickEvent) {
    e.preventDefault();
    ask({ rows: collect() }, function (res) {
      $('#node-input-csv').val(res.csv);
      show(true, res.rows.length + ' ' + t(ns + '.map.rowsOk'));
    });
  });
  $('#plantwire-modbus-check').on('click', function (e: JQuery.ClickEvent) {
    e.preventDefault();
    const csvMode = $('#node-input-mapSource').val() === 'csv';
    ask(csvMode ? { csv: String($('#node-input-csv').val() || '') } : { rows: collect() }, function (res) {
      show(true, res.rows.length + ' ' + t(ns + '.map.rowsOk'));
    });
  });
  const toggle = function (): void {
    const csvMode = $('#node-input-mapSource').val() === 'csv';
    $('.plantwire-modbus-table').toggle(!csvMode);
    $('#plantwire-modbus-import, #plantwire-modbus-export').toggle(!csvMode);
  };
  $('#node-input-mapSource').on('change', toggle);
  toggle();
  const editor: PlantwireModbusMapEditor = {
    rows: collect,
    resize: function (height: number) {
      list.editableList('height', Math.max(200, height));
    },
  };
  list.data('plantwire-editor', editor);
  return editor;
}

/** The open dialog's register map editor (built by plantwireModbusMapEditor), if any. */
export function plantwireModbusOpenMap(): PlantwireModbusMapEditor | undefined {
  return $('#node-input-registers-list').data('plantwire-editor') as PlantwireModbusMapEditor | undefined;
}

/** oneditresize of the read and write dialogs: the register table takes the height the other rows leave. */
export function plantwireModbusMapResize(size: { height: number }): void {
  let height = size.height;
  $('#dialog-form>div:not(.node-input-registers-row)').each(function (this: HTMLElement) {
    height -= $(this).outerHeight(true) || 0;
  });
  plantwireModbusOpenMap()?.resize(height - 30);
}
