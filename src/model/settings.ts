/**
 * Parsing of node settings as the editor stores them (numbers arrive as
 * strings, typed inputs as a value plus its `<field>Type`). Below the
 * runtime so connectors, transforms, buffer and simulators can parse their
 * own settings; src/runtime/define.ts and typed-input.ts re-export these.
 */
import { PlantwireError } from './errors';

/** Reads a numeric setting from the dialog (numbers arrive as strings). */
export function numberSetting(config: Record<string, unknown>, key: string, opts: { min?: number; max?: number; integer?: boolean; default?: number; label?: string } = {}): number {
  const label = opts.label ?? key;
  const raw = config[key];
  if ((raw === undefined || raw === '' || raw === null) && opts.default !== undefined) return opts.default;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n)) throw new PlantwireError('bad-config', `${label} must be a number, got ${JSON.stringify(raw)}`, `${label} is not a number`);
  if (opts.integer && !Number.isInteger(n)) throw new PlantwireError('bad-config', `${label} must be a whole number, got ${n}`, `${label} must be whole`);
  if (opts.min !== undefined && n < opts.min) throw new PlantwireError('bad-config', `${label} must be at least ${opts.min}, got ${n}`, `${label} must be ≥ ${opts.min}`);
  if (opts.max !== undefined && n > opts.max) throw new PlantwireError('bad-config', `${label} must be at most ${opts.max}, got ${n}`, `${label} must be ≤ ${opts.max}`);
  return n;
}

export const TYPED_SOURCES = ['str', 'msg', 'flow', 'global', 'env'] as const;
export type TypedSource = (typeof TYPED_SOURCES)[number];

export interface TypedSetting {
  value: string;
  type: TypedSource;
}

/** Reads a typed field from the node's configuration; a missing type is `str` (flows saved before the field was typed). */
export function typedSetting(value: unknown, type: unknown, label: string): TypedSetting {
  const t = type === undefined || type === null || type === '' ? 'str' : type;
  if (!(TYPED_SOURCES as readonly unknown[]).includes(t)) throw new PlantwireError('bad-config', `${label}: unknown source type "${String(t)}"; use one of ${TYPED_SOURCES.join(', ')}`, `bad ${label} type`);
  const v = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  if (t !== 'str' && v.trim() === '') throw new PlantwireError('bad-config', `${label}: name the ${t === 'env' ? 'environment variable' : `${t} property`} to read`, `${label}: property missing`);
  return { value: v, type: t as TypedSource };
}

/** What a typed setting refers to, for messages: `msg.site`, `flow.site`, `env SITE`. */
export function describeTyped(s: TypedSetting): string {
  if (s.type === 'str') return JSON.stringify(s.value);
  return s.type === 'env' ? `env ${s.value}` : `${s.type}.${s.value}`;
}

/** Checks a message property path such as `payload` or `payload.records[0]`. */
export function propertySetting(value: unknown, label: string): string {
  const p = typeof value === 'string' && value.trim() !== '' ? value.trim().replace(/^msg\./, '') : 'payload';
  if (!/^[A-Za-z_$][\w$]*(\.[A-Za-z_$][\w$]*|\[\d+\])*$/.test(p)) {
    throw new PlantwireError('bad-config', `${label} "${String(value)}" is not a message property path such as payload or payload.record`, `bad ${label}`);
  }
  return p;
}

/**
 * The text a typed setting gave for one message: a string trimmed, a number
 * as its digits, nothing ('' ) when the property is missing; any other value
 * is a `bad-input` error naming the field and where it was read
 * ("recipients from msg.to must be text, got object").
 */
export function typedText(value: unknown, source: TypedSetting, label: string): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value !== 'string') throw new PlantwireError('bad-input', `${label} from ${describeTyped(source)} must be text, got ${Array.isArray(value) ? 'array' : typeof value}`, `${label} from ${describeTyped(source)} not text`);
  return value.trim();
}

/**
 * An asset path read per message from a typed setting: text, slashes at both
 * ends removed, no MQTT wildcards; `undefined` when the source gave nothing.
 */
export function typedAssetPath(value: unknown, source: TypedSetting, label: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new PlantwireError('bad-asset', `${label} from ${describeTyped(source)} must be text, got ${typeof value}`, `${label} from ${describeTyped(source)} not text`);
  const path = value.trim().replace(/^\/+|\/+$/g, '');
  if (/[+#]/.test(path)) throw new PlantwireError(source.type === 'str' ? 'bad-config' : 'bad-asset', `${label} "${path}"${source.type === 'str' ? '' : ` from ${describeTyped(source)}`} must not contain + or #`, 'bad asset path');
  return path === '' ? undefined : path;
}
