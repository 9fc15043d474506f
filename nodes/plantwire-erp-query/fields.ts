// The settings of plantwire-erp-query, declared once: the dialog's defaults and
// validators, the runtime's parsing and the help's settings table come from here.
// Version 2: entity and filter are typed inputs (a fixed text, or read per
// message from msg/flow/global/env); flows of version 1 get the type "str".
import { defineFields } from '../../src/model/fields';

/** An Odoo domain written as JSON text must parse as an array (anything else is an OData filter or a REST query). */
const domainOk = (v: unknown): boolean => {
  const t = String(v ?? '').trim();
  if (t.charAt(0) !== '[') return true;
  try {
    return Array.isArray(JSON.parse(t));
  } catch {
    return false;
  }
};

export const spec = defineFields('plantwire-erp-query', 2, {
  connection: { kind: 'config', default: '', configType: 'plantwire-erp-connection', required: true, label: 'connection' },
  entity: { kind: 'typed', default: '', required: true, label: 'entity', message: 'entity' },
  filter: { kind: 'typed', default: '', label: 'filter', message: 'filter', check: (v, c) => Boolean(c.filterType && c.filterType !== 'str') || domainOk(v) },
  select: { kind: 'string', default: '', label: 'select' },
  expand: { kind: 'string', default: '', label: 'expand' },
  orderby: { kind: 'string', default: '', label: 'order by' },
  // Empty or 0: all rows (paging followed).
  top: { kind: 'number', default: 0, min: 0, max: 1_000_000, integer: true, label: 'top', message: 'top' },
});

/** Version 1 → 2: entity and filter were fixed texts. */
export function typedSince2(config: Record<string, unknown>): Record<string, unknown> {
  return { ...config, entityType: config.entityType || 'str', filterType: config.filterType || 'str' };
}
