// Editor definition of plantwire-mqtt-out. Compiled to a plain script and
// inlined into dist/nodes/plantwire-mqtt-out.html by scripts/build.mjs.
//
// It also publishes window.PlantwireBuffer: the durable-buffer settings rows
// (mode, limits, overflow policy, replay rate) that every IT sink's dialog
// shows. Every node's editor script is a separate script and Node-RED loads
// all of them before any dialog opens, so a sink calls
// PlantwireBuffer.prepare(...) in oneditprepare whatever the load order; the
// labels come from the calling node's own locale (keys "<type>.buffer.*").

interface PlantwireBufferProps {
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

interface PlantwireBufferEditor {
  /** Adds the buffer rows to `container` with the node's values; inputs are node-input-buffer*, saved by Node-RED. */
  prepare(container: JQuery, node: PlantwireBufferProps, type: string): void;
}

(function () {
  const w = window as unknown as { PlantwireBuffer?: PlantwireBufferEditor };
  if (w.PlantwireBuffer) return;
  w.PlantwireBuffer = {
    prepare(container, node, type) {
      // The node's own translate function knows its node set's message catalog.
      const nodeT = (node as unknown as { _?: (key: string) => string })._;
      const t = (k: string): string => (nodeT ? nodeT.call(node, type + '.buffer.' + k) : RED._(type + '.buffer.' + k));
      const row = (cls: string): JQuery => $('<div/>', { class: 'form-row ' + cls }).appendTo(container);
      const label = (r: JQuery, id: string, icon: string, key: string): void => {
        $('<label/>', { for: id }).append($('<i/>', { class: 'fa ' + icon }), ' ', $('<span/>').text(t(key))).appendTo(r);
      };
      const m = row('plantwire-buffer-mode');
      label(m, 'node-input-bufferMode', 'fa-database', 'mode');
      const mode = $('<select/>', { id: 'node-input-bufferMode', style: 'width:70%' }).appendTo(m);
      ['off', 'memory', 'disk'].forEach((v) => $('<option/>').val(v).text(t('modes.' + v)).appendTo(mode));
      mode.val(node.bufferMode || 'off');
      const limits = row('plantwire-buffer-opt');
      label(limits, 'node-input-bufferMaxEntries', 'fa-sort-numeric-asc', 'limits');
      $('<input/>', { type: 'number', id: 'node-input-bufferMaxEntries', min: 1, style: 'width:110px' }).val(String(node.bufferMaxEntries ?? 100000)).appendTo(limits);
      $('<span/>').text(' ' + t('entries') + ' ').appendTo(limits);
      $('<input/>', { type: 'number', id: 'node-input-bufferMaxMB', min: 0.001, step: 'any', style: 'width:80px' }).val(String(node.bufferMaxMB ?? 64)).appendTo(limits);
      $('<span/>').text(' MiB').appendTo(limits);
      const o = row('plantwire-buffer-opt');
      label(o, 'node-input-bufferOverflow', 'fa-exclamation-triangle', 'overflow');
      const ov = $('<select/>', { id: 'node-input-bufferOverflow', style: 'width:70%' }).appendTo(o);
      ['drop-oldest', 'drop-newest', 'reject'].forEach((v) => $('<option/>').val(v).text(t('overflows.' + v)).appendTo(ov));
      ov.val(node.bufferOverflow || 'drop-oldest');
      const r = row('plantwire-buffer-opt');
      label(r, 'node-input-bufferReplayRate', 'fa-tachometer', 'replayRate');
      $('<input/>', { type: 'number', id: 'node-input-bufferReplayRate', min: 0, style: 'width:110px' }).val(String(node.bufferReplayRate ?? 0)).appendTo(r);
      $('<span/>').text(' ' + t('replayHint')).appendTo(r);
      const toggle = (): void => {
        container.find('.plantwire-buffer-opt').toggle(mode.val() !== 'off');
      };
      mode.on('change', toggle);
      toggle();
    },
  };
})();

interface MqttOutMetricRow {
  name: string;
  type: string;
}

interface MqttOutEditorProps extends EditorNodeProperties, PlantwireBufferProps {
  version: number;
  broker: string;
  mode: string;
  template: string;
  asset: string;
  assetType: string;
  payload: string;
  qos: string;
  retain: boolean;
  group: string;
  edgeNode: string;
  device: string;
  aliases: boolean;
  primaryHost: string;
  buffer: number;
  metrics: MqttOutMetricRow[];
}

RED.nodes.registerType<MqttOutEditorProps>('plantwire-mqtt-out', {
  category: 'Plantwire IT',
  color: '#E2C08D',
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    broker: { value: '', type: 'plantwire-mqtt-broker', required: true },
    mode: { value: 'uns', required: true },
    template: {
      value: '{asset}/{tag}',
      validate: function (this: MqttOutEditorProps, v: string, opt?: object) {
        const mode = $('#node-input-mode').length ? $('#node-input-mode').val() : this.mode;
        // Node-RED 4 shows a returned string as the field's error message.
        return mode !== 'template' || (String(v || '').trim() !== '' && !/[+#]/.test(String(v))) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.template') : false) as unknown as boolean);
      },
    },
    asset: {
      value: '',
      validate: function (this: MqttOutEditorProps, v: string, opt?: object) {
        // A fixed path must not hold MQTT wildcards; from msg/flow/global/env it is checked per message.
        const type = $('#node-input-assetType').length ? $('#node-input-assetType').val() : this.assetType;
        if (type && type !== 'str') return String(v || '').trim() !== '' || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.assetProperty') : false) as unknown as boolean);
        // Node-RED 4 shows a returned string as the field's error message.
        return !/[+#]/.test(String(v || '')) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.asset') : false) as unknown as boolean);
      },
    },
    assetType: { value: 'str' },
    payload: { value: 'sample' },
    qos: { value: '1' },
    retain: { value: false },
    group: {
      value: 'Plantwire',
      validate: function (this: MqttOutEditorProps, v: string, opt?: object) {
        const mode = $('#node-input-mode').length ? $('#node-input-mode').val() : this.mode;
        return (mode !== 'sparkplug' || /^[^/+#]+$/.test(String(v || ''))) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.group') : false) as unknown as boolean);
      },
    },
    edgeNode: {
      value: '',
      validate: function (this: MqttOutEditorProps, v: string, opt?: object) {
        const mode = $('#node-input-mode').length ? $('#node-input-mode').val() : this.mode;
        return (mode !== 'sparkplug' || /^[^/+#]+$/.test(String(v || ''))) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.edgeNode') : false) as unknown as boolean);
      },
    },
    device: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (!/[/+#]/.test(String(v || ''))) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.device') : false) as unknown as boolean);
      },
    },
    aliases: { value: true },
    primaryHost: {
      value: '',
      validate: function (v: string, opt?: object) {
        return (!/[/+#]/.test(String(v || ''))) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-mqtt-out.validation.primaryHost') : false) as unknown as boolean);
      },
    },
    buffer: { value: 10000, validate: RED.validators.number(true) },
    metrics: { value: [] },
    bufferMode: { value: 'off' },
    bufferMaxEntries: { value: 100000, validate: RED.validators.number(true) },
    bufferMaxMB: { value: 64, validate: RED.validators.number(true) },
    bufferOverflow: { value: 'drop-oldest' },
    bufferReplayRate: { value: 0, validate: RED.validators.number(true) },
  },
  inputs: 1,
  outputs: 0,
  icon: 'plantwire-mqtt-out.svg',
  align: 'right',
  paletteLabel: 'mqtt out',
  inputLabels: 'tag sample, batch of samples, or a plain value with msg.topic',
  label: function (this: MqttOutEditorProps) {
    if (this.name) return this.name;
    if (this.mode === 'sparkplug') return 'Sparkplug ' + (this.group || '?') + '/' + (this.edgeNode || '?') + (this.device ? '/' + this.device : '');
    if (this.mode === 'template') return this.template || 'mqtt out';
    if (this.assetType && this.assetType !== 'str') return 'UNS ' + (this.assetType === 'env' ? '${' + this.asset + '}' : this.assetType + '.' + this.asset) + '/…';
    return 'UNS ' + (this.asset ? this.asset + '/…' : '{asset}/{tag}');
  },
  labelStyle: function (this: MqttOutEditorProps) {
    return this.name ? 'node_label_italic' : '';
  },
  oneditprepare: function (this: MqttOutEditorProps) {
    // A node just dropped in takes the only config node of its type (not "none").
    (window as unknown as { PlantwireEditor?: PlantwireEditorKit }).PlantwireEditor?.pickConfigs(this as unknown as EditorNodeProperties & { id: string });
    // The default asset path may come from the message, context or an environment variable.
    $('#node-input-asset').typedInput({ default: 'str', types: ['str', 'msg', 'flow', 'global', 'env'], typeField: '#node-input-assetType' });
    const types = ['Double', 'Float', 'Boolean', 'Int8', 'Int16', 'Int32', 'Int64', 'UInt8', 'UInt16', 'UInt32', 'UInt64', 'String', 'Text', 'DateTime'];
    const list = $('#node-input-metric-list');
    list.editableList({
      addItem: function (row: JQuery, _index: number, data: MqttOutMetricRow) {
        const r = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
        $('<input/>', { type: 'text', class: 'metric-name', placeholder: 'Line1/Filler/Temperature', style: 'flex:3' }).val(data.name || '').appendTo(r);
        const type = $('<select/>', { class: 'metric-type', style: 'flex:1' }).appendTo(r);
        types.forEach(function (t) {
          $('<option/>').val(t).text(t).appendTo(type);
        });
        type.val(data.type || 'Double');
      },
      removable: true,
      sortable: true,
      height: 150,
    });
    (this.metrics || []).forEach(function (m) {
      list.editableList('addItem', m);
    });
    const toggle = function () {
      const mode = $('#node-input-mode').val();
      $('.plantwire-out-uns').toggle(mode !== 'sparkplug');
      $('.plantwire-out-template').toggle(mode === 'template');
      $('.plantwire-out-sparkplug').toggle(mode === 'sparkplug');
    };
    $('#node-input-mode').on('change', toggle);
    toggle();
    (window as unknown as { PlantwireBuffer: PlantwireBufferEditor }).PlantwireBuffer.prepare($('#plantwire-out-buffer'), this, 'plantwire-mqtt-out');
  },
  oneditsave: function (this: MqttOutEditorProps) {
    const rows: MqttOutMetricRow[] = [];
    $('#node-input-metric-list')
      .editableList('items')
      .each(function (this: HTMLElement) {
        const r = $(this);
        const name = String(r.find('.metric-name').val() || '').trim();
        if (name) rows.push({ name: name, type: String(r.find('.metric-type').val()) });
      });
    this.metrics = rows;
  },
});
