// The stream rows (subjects, retention, replicas and storage, max age,
// duplicate window) that the nats-out and nats-in dialogs both show: either
// node creates the stream when it is absent. Imported by their editor.ts
// (bundled by scripts/build.mjs); the settings are src/connectors/nats/fields.ts.
// Labels come from the calling node's own catalogue (keys "<type>.label.*",
// "<type>.retention.*", "<type>.storage.*").

import type { FieldSpec, NodeSpec } from '../../src/model/fields';

export interface PlantwireStreamProps {
  subjects: string;
  retention: string;
  replicas: number;
  storage: string;
  maxAgeHours: number;
  duplicateWindow: number;
}

/** Adds the stream rows to `container` with the node's values and the spec's limits; inputs are node-input-*, saved by Node-RED. */
export function prepareStreamRows(container: JQuery, node: PlantwireStreamProps, spec: NodeSpec): void {
  const type = spec.type;
  const limits = (key: string): Record<string, number> => {
    const f = spec.fields[key] as FieldSpec;
    const out: Record<string, number> = {};
    if (f.kind === 'number' && f.min !== undefined) out.min = f.min;
    if (f.kind === 'number' && f.max !== undefined) out.max = f.max;
    return out;
  };
  // The node's own translate function knows its node set's message catalog.
  const nodeT = (node as unknown as { _?: (key: string) => string })._;
  const t = (k: string): string => (nodeT ? nodeT.call(node, type + '.' + k) : RED._(type + '.' + k));
  const row = (): JQuery => $('<div/>', { class: 'form-row' }).appendTo(container);
  const labelled = (id: string, icon: string, key: string): JQuery => {
    const r = row();
    $('<label/>', { for: id }).append($('<i/>', { class: 'fa ' + icon }), ' ', $('<span/>').text(t('label.' + key))).appendTo(r);
    return r;
  };
  const select = (r: JQuery, id: string, group: string, options: string[], value: string, style: string): void => {
    const s = $('<select/>', { id: id, style: style }).appendTo(r);
    options.forEach((v) => $('<option/>').val(v).text(t(group + '.' + v)).appendTo(s));
    s.val(value);
  };
  const number = (r: JQuery, id: string, value: number, attrs: Record<string, string | number>, unit?: string): void => {
    $('<input/>', { type: 'number', id: id, ...attrs }).val(String(value)).appendTo(r);
    if (unit) $('<span/>').text(' ' + unit).appendTo(r);
  };
  $('<div/>', { class: 'form-row', style: 'margin-top:16px' }).append($('<b/>').text(t('label.streamSection'))).appendTo(container);
  $('<input/>', { type: 'text', id: 'node-input-subjects', placeholder: 'uns.>', style: 'font-family:monospace' })
    .val(node.subjects ?? 'uns.>')
    .appendTo(labelled('node-input-subjects', 'fa-filter', 'subjects'));
  select(labelled('node-input-retention', 'fa-archive', 'retention'), 'node-input-retention', 'retention', ['limits', 'workqueue', 'interest'], node.retention || 'limits', 'width:70%');
  const replicas = labelled('node-input-replicas', 'fa-clone', 'replicas');
  number(replicas, 'node-input-replicas', node.replicas ?? 1, { ...limits('replicas'), style: 'width:70px' });
  select(replicas, 'node-input-storage', 'storage', ['file', 'memory'], node.storage || 'file', 'width:120px;margin-left:10px');
  number(labelled('node-input-maxAgeHours', 'fa-hourglass-half', 'maxAge'), 'node-input-maxAgeHours', node.maxAgeHours ?? 168, { ...limits('maxAgeHours'), style: 'width:90px' }, 'h');
  number(labelled('node-input-duplicateWindow', 'fa-history', 'duplicateWindow'), 'node-input-duplicateWindow', node.duplicateWindow ?? 120, { ...limits('duplicateWindow'), style: 'width:90px' }, 's');
}
