/**
 * The settings of plantwire-erp-out as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the check at deploy
 * (`erpOutSettings` in ./node-settings.ts reads the node by it) and the help's
 * settings table come from here, with the sink kit's buffer fields. Pure:
 * bundled into the dialog.
 *
 * Version 2: entity and key are typed inputs (runtime.ts migrates version 1:
 * the entity a fixed text, the key a JSONata expression). The key is not a
 * `typed` field: its source `keyType` is `jsonata` besides str/msg/flow/global/env,
 * and `jsonata` is what a key without a source means (flows before version 2,
 * new nodes).
 *
 * The JSONata syntax of the mapping and of a JSONata key is checked where a
 * JSONata compiler is at hand without Node-RED's runtime
 * (src/model/jsonata-syntax.ts): in the dialog the browser's global `jsonata`
 * that Node-RED ships. At deploy no such global exists and the palette has no
 * JSONata dependency of its own: runtime.ts compiles both expressions with
 * Node-RED's JSONata (`RED.util.prepareJSONataExpression`), which refuses a
 * syntax error with its position ("mapping: expression has a syntax error at
 * position 18 …"). The rule is the same in both places, the compiler is each
 * place's own.
 *
 * Some rules depend on the ERP connection's system (`kind`), which only the
 * runtime knows: `erpOutSettings` hands it in as the setting `connectionKind`.
 * Where it is not known (the dialog, the flow-file check) {placeholders} in
 * the entity count as a REST path's (the key may come from the path), and an
 * action call needs the action's name.
 */
import { bufferFields } from '../../buffer/fields';
import { PlantwireError } from '../../model/errors';
import { defineFields } from '../../model/fields';
import { jsonataSyntaxError } from '../../model/jsonata-syntax';
import { TYPED_SOURCES, typedSetting, type TypedSetting } from '../../model/settings';
import { checkEntity, templateFields } from './entity';
import type { ErpKind, ErpOperation } from './types';

export const ERP_OPERATIONS: readonly ErpOperation[] = ['create', 'update', 'upsert', 'delete', 'action'];
/** Where the key comes from: a JSONata expression over the message, or a typed source. */
export const ERP_KEY_SOURCES = ['jsonata', ...TYPED_SOURCES] as const;
/** The setting under which `erpOutSettings` hands the connection's system to the rules. */
export const CONNECTION_KIND = 'connectionKind';

/** A configuration error with its short status (shared with node-settings.ts). */
export const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);
/** A setting as trimmed text (a number as its digits, anything else empty). */
export const text = (v: unknown): string => (typeof v === 'string' ? v.trim() : typeof v === 'number' ? String(v) : '');
const kindOf = (c: Record<string, unknown>): ErpKind | undefined => c[CONNECTION_KIND] as ErpKind | undefined;
const operationOf = (c: Record<string, unknown>): string => text(c.operation) || 'create';
/** The key's source as saved: none is a JSONata expression (flows before version 2). */
const keyTypeOf = (c: Record<string, unknown>): string => (c.keyType === undefined || c.keyType === null || c.keyType === '' ? 'jsonata' : String(c.keyType));
/** A REST path (or a connection not known) read per message, or with {placeholders}, may carry the key itself. */
const pathMayCarryKey = (c: Record<string, unknown>): boolean => {
  const kind = kindOf(c);
  if (kind !== undefined && kind !== 'rest') return false;
  return (c.entityType !== undefined && c.entityType !== null && c.entityType !== '' && c.entityType !== 'str') || templateFields(text(c.entity)).length > 0;
};

/** The key's source (none saved: JSONata), in the words deploy has always used for an unknown one. */
function keySource(v: unknown): string {
  const t = keyTypeOf({ keyType: v });
  if (!(ERP_KEY_SOURCES as readonly string[]).includes(t)) throw bad(`key: unknown source type ${JSON.stringify(v)}; use one of ${ERP_KEY_SOURCES.join(', ')}`, 'bad key type');
  return t;
}

/** A JSONata expression's syntax, where a compiler is at hand (see the opening comment). */
function jsonataOk(expression: string, label: string): void {
  const syntax = jsonataSyntaxError(expression);
  if (syntax) throw bad(`${label}: the JSONata expression has a syntax error: ${syntax}`, `${label}: syntax error`);
}

/** A fixed entity by the entity rules (placeholders naming fields; REST only where the system is known); one read per message is checked when it arrives. */
function entitySource(v: unknown, c: Record<string, unknown>): TypedSetting {
  const source = typedSetting(v, c.entityType, 'entity');
  if (source.type === 'str') checkEntity(text(v), kindOf(c), 'bad-config');
  return source;
}

/** The key: a JSONata expression, or the name of what holds it (or the key itself); update and delete need one unless the path carries it. */
function documentKeySetting(v: unknown, c: Record<string, unknown>): string {
  const key = text(v);
  const type = keyTypeOf(c);
  if (type === 'jsonata') {
    if (key !== '') jsonataOk(key, 'key');
  } else typedSetting(key, type, 'key');
  const op = operationOf(c);
  if ((op === 'update' || op === 'delete') && key === '' && !pathMayCarryKey(c)) {
    throw bad(`${op} needs the document key: enter a key expression (e.g. payload.order)${kindOf(c) === 'rest' ? ' or put {placeholders} in the path' : ''}`, 'key is empty');
  }
  return key;
}

/** The mapping: JSONata building the document (a delete may send none). */
function mappingSetting(v: unknown, c: Record<string, unknown>): string {
  const mapping = text(v);
  if (mapping === '') {
    if (operationOf(c) === 'delete') return '';
    throw bad('mapping is empty: enter a JSONata expression that builds the document, e.g. {"OrderID": payload.order, "Quantity": payload.good}', 'mapping is empty');
  }
  jsonataOk(mapping, 'mapping');
  return mapping;
}

/** Odoo: the field holding the external (idempotency) key, empty for none. */
function externalKeySetting(v: unknown): string {
  const field = text(v);
  if (field !== '' && !/^[A-Za-z_][\w.]*$/.test(field)) throw bad(`external key field "${field}" must be a field name such as x_plantwire_key`, 'bad external key field');
  return field;
}

export const erpOutFields = defineFields('plantwire-erp-out', 2, {
  connection: { kind: 'config', default: '', configType: 'plantwire-erp-connection', required: true, label: 'connection' },
  operation: { kind: 'enum', default: 'create', options: ERP_OPERATIONS, required: true, label: 'operation', explain: `must be one of ${ERP_OPERATIONS.join(', ')}`, status: 'bad operation' },
  entity: { kind: 'typed', default: '', required: true, label: 'entity', message: 'entity', parse: entitySource },
  keyType: { kind: 'enum', default: 'jsonata', options: ERP_KEY_SOURCES, hidden: true, label: 'key', parse: keySource, status: 'bad key type' },
  key: { kind: 'string', default: '', label: 'key', message: 'key', parse: documentKeySetting },
  // An action call names the action or method (a REST connection may post to the path alone).
  action: {
    kind: 'string',
    default: '',
    label: 'action',
    message: 'action',
    when: (c) => operationOf(c) === 'action' && kindOf(c) !== 'rest',
    check: (v) => text(v) !== '',
    explain: 'is empty: enter the action or method name (e.g. ConfirmOrder, action_done)',
    status: 'action is empty',
  },
  mapping: { kind: 'string', default: 'payload', label: 'mapping', message: 'mapping', parse: mappingSetting },
  externalKeyField: { kind: 'string', default: '', label: 'external key field', message: 'externalKeyField', parse: externalKeySetting },
  // Documents per call (1 = one request per document; more = executeBatch, e.g. one OData $batch).
  batchSize: { kind: 'number', default: 1, min: 1, max: 1000, integer: true, label: 'batch size', message: 'batchSize' },
  // Wait up to this long for a batch to fill (0 = send what is there).
  batchMs: { kind: 'number', default: 0, min: 0, max: 3_600_000, integer: true, unit: 'ms', label: 'batch wait (ms)', message: 'batchMs' },
  // The dialog's sample message for the preview; not used at runtime.
  sample: { kind: 'string', default: '{"payload": {"order": "1000001", "good": 120}}', hidden: true, label: 'sample message' },
  // Documents matter: they wait on disk, and a full buffer refuses new ones (SINK_BUFFER_DEFAULTS).
  ...bufferFields('disk', 100_000, 'reject'),
});
