/**
 * plantwire-validate: JSON Schema validation with Ajv 8 (draft-07 by
 * default; draft 2019-09 and 2020-12 when the schema's `$schema` says so).
 * The schema is compiled once (at deploy); Ajv's strict mode is on, so a
 * typo such as `"requird"` is a configuration error instead of a schema
 * that silently accepts everything. Pure; no Node-RED.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import Ajv2019 from 'ajv/dist/2019';
import Ajv2020 from 'ajv/dist/2020';
import { PlantwireError } from '../model/errors';
import { describe } from '../model/sample';

/** Common string formats (Ajv ships none; `ajv-formats` is not a dependency). */
export const FORMATS: Record<string, RegExp | ((s: string) => boolean)> = {
  'date-time': (s) => /^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)$/.test(s) && Number.isFinite(Date.parse(s)),
  date: (s) => /^\d{4}-\d\d-\d\d$/.test(s) && Number.isFinite(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
  time: /^(?:[01]\d|2[0-3]):[0-5]\d:(?:[0-5]\d|60)(?:\.\d+)?(?:[Zz]|[+-]\d\d:?\d\d)?$/,
  duration: /^P(?!$)(?:\d+(?:\.\d+)?Y)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?W)?(?:\d+(?:\.\d+)?D)?(?:T(?=\d)(?:\d+(?:\.\d+)?H)?(?:\d+(?:\.\d+)?M)?(?:\d+(?:\.\d+)?S)?)?$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  hostname: /^(?=.{1,253}$)(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/,
  ipv4: /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  ipv6: (s) => {
    try {
      return s.includes(':') && new URL(`http://[${s}]/`).hostname.length > 2;
    } catch {
      return false;
    }
  },
  uri: (s) => {
    if (!/^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(s)) return false;
    try {
      new URL(s);
      return true;
    } catch {
      return false;
    }
  },
  uuid: /^(?:urn:uuid:)?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i,
  regex: (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
};

/** A JSON Schema (draft-07) of one Plantwire tag sample — offered in the dialog. */
export const TAG_SAMPLE_SCHEMA = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  title: 'Plantwire tag sample',
  type: 'object',
  required: ['tag', 'value', 'quality', 'sourceTimestamp'],
  properties: {
    tag: { type: 'string', minLength: 1 },
    value: {},
    quality: { enum: ['good', 'uncertain', 'bad'] },
    statusCode: { type: ['number', 'string'] },
    sourceTimestamp: { type: 'string', format: 'date-time' },
    serverTimestamp: { type: 'string', format: 'date-time' },
    unit: { type: 'string' },
    asset: { type: 'string' },
  },
};

export interface ValidationIssue {
  /** JSON Pointer into the validated value ('' = the value itself). */
  instancePath: string;
  message: string;
  keyword: string;
  params: Record<string, unknown>;
  schemaPath: string;
}

function ajvFor(schema: Record<string, unknown>): Ajv {
  const meta = typeof schema.$schema === 'string' ? schema.$schema : '';
  // Unknown keywords and formats are errors (typos); type and tuple hints are not (common in hand-written schemas).
  const opts = { allErrors: true, strictSchema: true, strictNumbers: true, strictTypes: false, strictTuples: false, strictRequired: false, allowUnionTypes: true, messages: true, logger: false } as const;
  let ajv: Ajv;
  if (/2020-12/.test(meta)) ajv = new Ajv2020(opts) as unknown as Ajv;
  else if (/2019-09/.test(meta)) ajv = new Ajv2019(opts) as unknown as Ajv;
  else if (meta === '' || /draft-07/.test(meta)) ajv = new Ajv(opts);
  else {
    throw new PlantwireError('bad-schema', `schema: "$schema": "${meta}" is not supported: use draft-07 (http://json-schema.org/draft-07/schema#), 2019-09 or 2020-12`, 'unsupported $schema');
  }
  // OpenAPI-style annotation people paste along with schemas.
  ajv.addVocabulary(['example']);
  for (const [name, check] of Object.entries(FORMATS)) ajv.addFormat(name, check instanceof RegExp ? check : { validate: check });
  return ajv;
}

/** Parses and compiles a schema given as JSON text (or an object); throws a PlantwireError naming the problem. */
/** The schema setting as text: parsed and checked to be a schema object (booleans are the schemas that accept all or nothing). */
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

export function compileSchema(schema: string | Record<string, unknown>): ValidateFunction {
  const obj = schemaObject(schema);
  try {
    return ajvFor(obj).compile(obj);
  } catch (err) {
    if (err instanceof PlantwireError) throw err;
    const message = (err as Error).message.replace(/^strict mode: /, '');
    throw new PlantwireError('bad-schema', `schema is invalid: ${message}`, `schema: ${message}`);
  }
}

function issue(e: ErrorObject): ValidationIssue {
  let message = e.message ?? e.keyword;
  const p = e.params as Record<string, unknown>;
  if (e.keyword === 'additionalProperties' && p.additionalProperty !== undefined) message += `: "${String(p.additionalProperty)}"`;
  if (e.keyword === 'enum' && Array.isArray(p.allowedValues)) message += ` (${p.allowedValues.map((v) => JSON.stringify(v)).join(', ')})`;
  if (e.keyword === 'const' && 'allowedValue' in p) message += ` (${JSON.stringify(p.allowedValue)})`;
  return { instancePath: e.instancePath, message, keyword: e.keyword, params: p, schemaPath: e.schemaPath };
}

/** Validates `data`; returns the issues (empty when valid). */
export function validateWith(fn: ValidateFunction, data: unknown): ValidationIssue[] {
  if (fn(data)) return [];
  return (fn.errors ?? []).map(issue);
}

/** One line per issue, each naming the failing path: `msg.payload/temperature must be <= 100`. */
export function describeIssues(issues: ValidationIssue[], where = 'msg.payload', max = 5): string {
  const lines = issues.slice(0, max).map((i) => `${where}${i.instancePath} ${i.message}`);
  const more = issues.length > max ? `; and ${issues.length - max} more` : '';
  return `${lines.join('; ')}${more}`;
}
