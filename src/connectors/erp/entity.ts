/**
 * The rules of an ERP entity (entity set, Odoo model or REST path template),
 * shared by plantwire-erp-out's field spec (./out-fields.ts, bundled into its
 * dialog), its per-message checks and plantwire-erp-query. Pure.
 */
import { describeTyped, type TypedSetting } from '../../model/settings';
import { PlantwireError } from '../../model/errors';
import { excerpt } from '../../model/limits';
import type { ErpKind } from './types';

/** Names of the {placeholders} in an entity path template. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!.trim());
}

/**
 * The rules of an entity (set, model or REST path): not empty, placeholders
 * naming fields, placeholders only in REST paths. `code` is `bad-config` for
 * the fixed setting, `bad-input` for one read per message (`from` says where).
 */
export function checkEntity(entity: string, kind: ErpKind | undefined, code: 'bad-config' | 'bad-input', from?: TypedSetting): string {
  const where = from ? ` from ${describeTyped(from)}` : '';
  const fail = (message: string, status: string): PlantwireError => new PlantwireError(code, message, status);
  if (entity === '') throw fail(`entity${where} is empty: enter the entity set (e.g. ProdnOrdConf2), the Odoo model (e.g. maintenance.request) or the REST path (e.g. orders/{key})`, 'entity is empty');
  for (const f of templateFields(entity)) {
    if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*)*$/.test(f)) throw fail(`entity${where}: placeholder {${f}} must name a field of the document or the message (e.g. {key}, {OrderID}, {payload.order})`, 'entity: bad placeholder');
  }
  if (kind && kind !== 'rest' && /[{}]/.test(entity)) throw fail(`entity "${entity}"${where}: {placeholders} are for REST paths; for ${kind} enter the entity set or model name and set the key`, 'entity: placeholders are REST only');
  // An entity read per message must stay a path under the connection's URL: the requests carry its credentials.
  if (code === 'bad-input') checkEntityPath(entity, `entity${where}`, fail);
  return entity;
}

/**
 * An entity from a message (or msg.payload) is a path below the connection's URL, nothing else:
 * no URL scheme or `//host` (another server would receive the ERP credentials), no `..` segment
 * (plain or %2e-encoded: it leaves the base path), no `?` or `#` (the query belongs in the filter),
 * no backslash (read as `/` by URL parsers) and no control characters.
 */
export function checkEntityPath(entity: string, what: string, fail: (message: string, status: string) => PlantwireError): void {
  const shown = excerpt(entity, 80);
  if (/^\s*[A-Za-z][A-Za-z0-9+.-]*:/.test(entity) || /^\s*[/\\]{2}/.test(entity)) throw fail(`${what} ${shown} is a URL: give a path below the ERP connection's URL (e.g. orders/{key}); other servers are set up as their own connection`, 'entity: URL not allowed');
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(entity)) throw fail(`${what} ${shown} contains control characters`, 'entity: control characters');
  if (/[?#\\]/.test(entity)) throw fail(`${what} ${shown} contains ${/\\/.test(entity) ? 'a backslash' : `"${/[?#]/.exec(entity)![0]}"`}: give only the path (a query goes in the filter)`, 'entity: ?, # or \\ not allowed');
  if (entity.split('/').some((seg) => /^(\.|%2e){2}$/i.test(seg.trim()))) throw fail(`${what} ${shown} contains a ".." segment: it would leave the ERP connection's base path`, 'entity: ".." not allowed');
}
