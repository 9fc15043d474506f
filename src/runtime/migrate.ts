import { PlantwireError } from '../model/errors';

/**
 * A node's saved configuration carries `version`. `migrations[n]` upgrades a
 * configuration of version n to n + 1; flows saved before versions existed
 * count as version 1. Migrations are pure and keep unknown properties.
 */
export type Migration = (config: Record<string, unknown>) => Record<string, unknown>;

export interface VersionSpec {
  current: number;
  migrations?: Record<number, Migration>;
}

export function migrateConfig<C extends Record<string, unknown>>(type: string, config: C, spec: VersionSpec): C {
  const raw = config.version;
  let version = raw === undefined || raw === null || raw === '' ? 1 : Number(raw);
  if (!Number.isInteger(version) || version < 1) {
    throw new PlantwireError('bad-version', `${type}: configuration version ${String(raw)} is not a positive integer`, 'bad config version');
  }
  if (version > spec.current) {
    throw new PlantwireError(
      'newer-version',
      `${type}: this flow was saved by a newer Plantwire (node version ${version}, this palette knows up to ${spec.current}); update @plantwire/node-red`,
      'flow needs newer Plantwire',
    );
  }
  let out: Record<string, unknown> = { ...config };
  while (version < spec.current) {
    const step = spec.migrations?.[version];
    out = step ? step(out) : out;
    version += 1;
    out.version = version;
  }
  out.version = spec.current;
  return out as C;
}

/**
 * The migration of a node whose plain fields became typed inputs: each
 * field's source (`<field>Type`) is set to `types[field]` ('str' — the
 * value stays the fixed text it was) unless the flow already names one.
 */
export function typedFieldsMigration(types: Record<string, string>): Migration {
  return (config) => {
    const out = { ...config };
    for (const [field, type] of Object.entries(types)) {
      const key = `${field}Type`;
      if (out[key] === undefined || out[key] === null || out[key] === '') out[key] = type;
    }
    return out;
  };
}
