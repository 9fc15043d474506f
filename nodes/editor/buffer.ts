// The durable-buffer rows (mode, limits, overflow policy, replay rate) that
// every IT sink's dialog shows; imported by the sinks' editor.ts (bundled by
// scripts/build.mjs). The labels come from the calling node's own catalogue
// (keys "<type>.buffer.*").

export interface PlantwireBufferProps {
  bufferMode: string;
  bufferMaxEntries: number;
  bufferMaxMB: number;
  bufferOverflow: string;
  bufferReplayRate: number;
}

/** Adds the buffer rows to `container` with the node's values; inputs are node-input-buffer*, saved by Node-RED. */
export function prepareBuffer(container: JQuery, node: PlantwireBufferProps, type: string): void {
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
  }
