/**
 * The JSON Schema setting of plantwire-validate as text: parsed and checked to
 * be a schema object (booleans are the schemas that accept all or nothing).
 * Apart from ./validate.ts (which compiles it with Ajv) so the dialog can run
 * the same check without bundling Ajv.
 */
import { PlantwireError } from '../model/errors';
import { describe } from '../model/sample';

export function schemaObject(schema: unknown): Record<string, unknown> {
  let obj: unknown = schema;
  if (typeof schema === 'string') {
    if (schema.trim() === '') throw new PlantwireError('bad-schema', 'schema is empty: enter a JSON Schema', 'schema is empty');
    try {
      obj = JSON.parse(schema);
    } catch (err) {
      throw new PlantwireError('bad-schema', `schema is not valid JSON: ${(err as Error).message}`, 'schema is not valid JSON');
    }
  }
  if (typeof obj === 'boolean') obj = obj ? {} : { not: {} };
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new PlantwireError('bad-schema', `schema must be a JSON object, got ${describe(obj)}`, 'schema must be an object');
  return obj as Record<string, unknown>;
}
