/**
 * Field specs: every setting of a node declared once (nodes/<type>/fields.ts)
 * and used three ways —
 *  - the editor: scripts/build.mjs writes the spec's defaults into the
 *    `RED.nodes.registerType('<type>', { defaults: {...} })` literal, with a
 *    validator per field that runs `fieldOk` below (nodes/editor/spec.ts);
 *  - the runtime: `parseFields` reads the saved configuration with the same
 *    rules (numbers arrive as strings, typed inputs as value + `<field>Type`);
 *  - the help: `settingsTable` is the "Settings" table of help.md and the
 *    docs page, in the help's language (labels from the node's locale).
 * Pure data and small functions: bundled into the editor script as well, so
 * nothing here may touch Node.js or Node-RED.
 */
import { PlantwireError } from './errors';
import { numberSetting, typedSetting, TYPED_SOURCES, type TypedSetting, type TypedSource } from './settings';

interface FieldBase {
  /** English name for runtime errors ("publishing interval (ms)"). */
  label: string;
  /**
   * Locale key (under `<type>.validation.`) of the dialog's message for a bad value; a function picks
   * it by the value and the other settings (a typed input: one message for a fixed text, one for a property name).
   */
  message?: string | ((value: unknown, config: Record<string, unknown>) => string);
  /** Must not be empty (the dialog marks it; the runtime refuses an empty value). */
  required?: boolean;
  /** The field counts only when this holds for the node's settings (e.g. a mode); else any value is accepted. */
  when?: (config: Record<string, unknown>) => boolean;
  /** Further rule on the value (after the kind's own checks), with the other settings at hand. */
  check?: (value: unknown, config: Record<string, unknown>) => boolean;
  /**
   * A parser that reads the value (a code table, shift starts, a list of rules): the value is good
   * when it does not throw, the runtime's error is the parser's own (message and status), and
   * `parseFields` gives what it returns. At deploy it alone decides (a value not saved at all gets
   * its default from it); the dialog also applies `required`. Pure, as it runs in the dialog too.
   */
  parse?: (value: unknown, config: Record<string, unknown>) => unknown;
  /** Path of the dialog label in the node's catalogue (under `<type>.`) when it is not `label.<field>`. */
  labelKey?: string;
  /**
   * The runtime's error text for a bad value, in English ("<label>: <explain>; got …"); one that starts
   * with "must", "is" or "are" reads as a sentence about the field ("<label> must …, got …"); else derived from the
   * kind ("<label> must be a whole number from 1 to 10"). A function gets the bad value and the
   * node's other settings (for texts naming them: "… (120 s) is longer than the window (60 s)").
   */
  explain?: string | ((value: unknown, config: Record<string, unknown>) => string);
  /** The short status text of that error (≤ 48 characters), else "bad <label>". */
  status?: string;
  /** Left out of the help's settings table (name, version, lists edited by their own widgets). */
  hidden?: boolean;
  /**
   * The dialog also accepts a whole environment-variable reference (`${PORT}`): Node-RED puts the
   * variable's value in at deploy, where the field's own rule then applies.
   */
  env?: boolean;
}
export interface StringField extends FieldBase {
  kind: 'string';
  default: string;
  /** Whole value must match (a fixed value; typed sources are checked per message). */
  pattern?: RegExp;
}
export interface NumberField extends FieldBase {
  kind: 'number';
  /** `''`: empty unless set (an optional limit); an empty value then parses as NaN. */
  default: number | '';
  min?: number;
  max?: number;
  integer?: boolean;
  /** Unit shown in the help table ("ms", "s", "MiB"). */
  unit?: string;
}
export interface BooleanField extends FieldBase {
  kind: 'boolean';
  default: boolean;
}
export interface EnumField extends FieldBase {
  kind: 'enum';
  default: string;
  options: readonly string[];
}
export interface ConfigField extends FieldBase {
  kind: 'config';
  default: '';
  /** The config node type this field refers to. */
  configType: string;
}
/** A value from a fixed string, the message, flow/global context or an environment variable (stored with `<field>Type`). */
export interface TypedField extends FieldBase {
  kind: 'typed';
  default: string;
  types?: readonly TypedSource[];
  /** Rule for a fixed string (types from the message are checked per message by the node). */
  pattern?: RegExp;
}
/** Anything else the dialog stores as it is (lists, objects), checked by `check` only. */
export interface ValueField extends FieldBase {
  kind: 'value';
  default: unknown;
}
export type FieldSpec = StringField | NumberField | BooleanField | EnumField | ConfigField | TypedField | ValueField;

export interface NodeSpec<F extends Record<string, FieldSpec> = Record<string, FieldSpec>> {
  type: string;
  /** The configuration version (the `version` default; migrations in the runtime). */
  version: number;
  fields: F;
  /**
   * The node's secrets (Node-RED credentials, never in the flow file): the same declaration for the
   * runtime's registerType and, written out by the build, for the dialog's registerType literal.
   */
  credentials?: Record<string, { type: 'text' | 'password' }>;
}

/** Declares a node's fields (and its credentials: name → `text` or `password`); `name` and `version` are added. */
export function defineFields<F extends Record<string, FieldSpec>>(type: string, version: number, fields: F, credentials?: Record<string, 'text' | 'password'>): NodeSpec<F & { name: StringField; version: ValueField }> {
  const all: Record<string, FieldSpec> = {
    name: { kind: 'string', default: '', label: 'name', hidden: true },
    version: { kind: 'value', default: version, label: 'version', hidden: true },
  };
  for (const [key, f] of Object.entries(fields)) {
    all[key] = f;
    // A typed input stores its source next to it (`<field>Type`), saved with the node like any default.
    if (f.kind === 'typed') all[`${key}Type`] = { kind: 'value', default: 'str', label: `${f.label} source`, hidden: true };
  }
  const spec: NodeSpec<F & { name: StringField; version: ValueField }> = { type, version, fields: all as F & { name: StringField; version: ValueField } };
  if (credentials) spec.credentials = Object.fromEntries(Object.entries(credentials).map(([k, t]) => [k, { type: t }]));
  return spec;
}

const isEmpty = (v: unknown): boolean => v === undefined || v === null || (typeof v === 'string' && v.trim() === '');

/** The editor's `defaults` entry of a field, without its validator (data only). */
export function editorDefault(f: FieldSpec): { value: unknown; required?: boolean; type?: string } {
  const out: { value: unknown; required?: boolean; type?: string } = { value: f.default };
  if (f.kind === 'config') out.type = f.configType;
  if (f.required) out.required = true;
  return out;
}

/** A whole `${NAME}` reference to an environment variable (see `env`). */
export const ENV_REFERENCE = /^\$\{\w+\}$/;

/** Whether a field gets a dialog validator (anything beyond "any value"). */
export function hasRules(f: FieldSpec): boolean {
  // A config field is checked by Node-RED itself (the node exists, is valid); a validator would replace that check.
  if (f.kind === 'config') return f.check !== undefined;
  if (f.check || f.parse || f.required) return true;
  // A typed input always has one: its source must be known, and one read from msg/flow/global/env needs a name.
  if (f.kind === 'number' || f.kind === 'enum' || f.kind === 'typed') return true;
  return f.kind === 'string' && f.pattern !== undefined;
}

/**
 * Whether `value` is acceptable for the field given the node's other
 * settings `config` — the one rule the dialog shows and the runtime enforces.
 * `typeOf` is the field's typed-input source (typed fields only).
 */
export function fieldOk(f: FieldSpec, value: unknown, config: Record<string, unknown>, typeOf?: unknown): boolean {
  if (f.when && !f.when(config)) return true;
  // A config node reference is checked by Node-RED (dialog) and by the node's lookup (runtime), with their own messages.
  if (f.kind === 'config') return f.check ? f.check(value, config) : true;
  if (isEmpty(value)) {
    if (f.required) return false;
    if (f.kind === 'number') return true; // the default applies
    // A value read from msg/flow/global/env needs the name of what to read (the runtime's typedSetting refuses it too).
    if (f.kind === 'typed' && !isEmpty(typeOf) && String(typeOf) !== 'str') return false;
  } else if (!kindOk(f, value, typeOf)) return false;
  if (f.parse && !parses(f, value, config)) return false;
  return f.check ? f.check(value, config) : true;
}

function parses(f: FieldSpec, value: unknown, config: Record<string, unknown>): boolean {
  try {
    f.parse!(value, config);
    return true;
  } catch {
    return false;
  }
}

/** A value that is not empty, by its kind's own rule (range, options, pattern, source). */
function kindOk(f: FieldSpec, value: unknown, typeOf?: unknown): boolean {
  switch (f.kind) {
    case 'number': {
      const n = typeof value === 'number' ? value : Number(String(value).trim());
      if (!Number.isFinite(n)) return false;
      if (f.integer && !Number.isInteger(n)) return false;
      if (f.min !== undefined && n < f.min) return false;
      if (f.max !== undefined && n > f.max) return false;
      return true;
    }
    case 'enum':
      return f.options.includes(String(value));
    case 'string':
      return !f.pattern || f.pattern.test(String(value));
    case 'typed': {
      const t = isEmpty(typeOf) ? 'str' : String(typeOf);
      if (!(f.types ?? TYPED_SOURCES).includes(t as TypedSource)) return false;
      return t !== 'str' || !f.pattern || f.pattern.test(String(value));
    }
    default:
      return true;
  }
}

/** An enum field's explanation in words: `must be "a", "b" or "c"`. */
export function mustBeOneOf(options: readonly string[]): string {
  const q = options.map((o) => `"${o}"`);
  return `must be ${q.length > 1 ? `${q.slice(0, -1).join(', ')} or ${q[q.length - 1]}` : q.join('')}`;
}

/** What a field's rule asks for, in English (runtime errors). */
export function ruleText(f: FieldSpec, value?: unknown, config: Record<string, unknown> = {}): string {
  if (f.explain) return typeof f.explain === 'function' ? f.explain(value, config) : f.explain;
  switch (f.kind) {
    case 'number': {
      const parts = [f.integer ? 'a whole number' : 'a number'];
      if (f.min !== undefined && f.max !== undefined) parts.push(`from ${f.min} to ${f.max}`);
      else if (f.min !== undefined) parts.push(`of at least ${f.min}`);
      else if (f.max !== undefined) parts.push(`of at most ${f.max}`);
      return parts.join(' ');
    }
    case 'enum':
      return `one of ${f.options.join(', ')}`;
    case 'config':
      return `a ${f.configType} node`;
    default:
      return f.required ? 'not empty' : 'valid';
  }
}

/** The runtime value of each kind. */
type ValueOf<F extends FieldSpec> = F extends { parse: (...args: never[]) => infer R }
  ? R
  : F extends NumberField
  ? number
  : F extends BooleanField
    ? boolean
    : F extends TypedField
      ? TypedSetting
      : F extends ValueField
        ? unknown
        : string;
export type Parsed<S extends NodeSpec> = { [K in keyof S['fields']]: ValueOf<S['fields'][K]> };

/**
 * Reads a node's saved configuration by its spec: numbers parsed (an empty
 * one takes the default), enums and patterns checked, typed fields as
 * `{value, type}`; a bad value is a `bad-config` error naming the field.
 */
export function parseFields<S extends NodeSpec>(spec: S, config: Record<string, unknown>): Parsed<S> {
  // The other settings as the rules see them: a mode, switch or number not saved at all counts as its default.
  const view: Record<string, unknown> = { ...config };
  for (const [key, f] of Object.entries(spec.fields)) if (view[key] === undefined && (f.kind === 'enum' || f.kind === 'boolean' || f.kind === 'number')) view[key] = f.default;
  const out: Record<string, unknown> = {};
  for (const [key, f] of Object.entries(spec.fields)) {
    const raw = config[key];
    const active = !f.when || f.when(view);
    if (f.kind === 'number') {
      // Out of its mode a number still parses leniently (the default when it is not a number); a parser decides alone (below).
      const fallback = f.default === '' ? NaN : f.default;
      out[key] = active && !f.parse
        ? numberSetting(config, key, { default: f.required ? undefined : fallback, label: f.label, ...(f.min !== undefined ? { min: f.min } : {}), ...(f.max !== undefined ? { max: f.max } : {}), ...(f.integer ? { integer: true } : {}) })
        : Number.isFinite(Number(raw)) && !isEmpty(raw) ? Number(raw) : fallback;
    } else if (f.kind === 'boolean') {
      out[key] = raw === undefined || raw === null || raw === '' ? f.default : raw === true || raw === 'true';
    } else if (f.kind === 'typed') {
      out[key] = typedSetting(raw ?? f.default, config[`${key}Type`], f.label);
    } else if (f.kind === 'value') {
      out[key] = raw === undefined ? structuredCloneSafe(f.default) : raw;
    } else {
      out[key] = raw === undefined || raw === null ? f.default : String(raw);
      if (f.kind === 'enum' && isEmpty(raw)) out[key] = f.default;
    }
    if (!active) continue;
    // A parser decides alone at deploy (it gives a value not saved its default); its own error (message, status) is the field's.
    const value = f.kind === 'enum' && isEmpty(raw) && !f.parse ? f.default : raw;
    if (f.parse) out[key] = f.parse(value, view);
    if (f.parse ? f.check !== undefined && !f.check(value, view) : !fieldOk(f, value, view, config[`${key}Type`])) {
      const got = JSON.stringify(raw ?? null);
      const explain = f.explain ? ruleText(f, value, view) : '';
      throw new PlantwireError('bad-config', explain ? (/^(must|is|are)\b/.test(explain) ? `${f.label} ${explain}, got ${got}` : `${f.label}: ${explain}; got ${got}`) : `${f.label} must be ${ruleText(f)}, got ${got}`, f.status ?? `bad ${f.label}`);
    }
  }
  return out as Parsed<S>;
}

function structuredCloneSafe(v: unknown): unknown {
  return v === null || typeof v !== 'object' ? v : JSON.parse(JSON.stringify(v));
}

/** Words of the help's settings table per language (the help's languages: en-US, de). */
const TABLE_WORDS: Record<string, { head: [string, string, string]; any: string; from: string; typed: string; node: string; yes: string; no: string; empty: string; required: string }> = {
  'en-US': { head: ['Setting', 'Default', 'Allowed'], any: 'any text', from: 'from', typed: 'text, or read per message from', node: 'a config node', yes: 'on', no: 'off', empty: '(empty)', required: 'required' },
  de: { head: ['Einstellung', 'Vorgabe', 'Erlaubt'], any: 'beliebiger Text', from: 'aus', typed: 'Text, oder je Nachricht gelesen aus', node: 'ein Konfigurationsknoten', yes: 'an', no: 'aus', empty: '(leer)', required: 'Pflichtfeld' },
};

const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
const code = (s: string): string => (s === '' ? '' : '`' + s.replace(/`/g, "'") + '`');

/**
 * The "Settings" table of a node's help, generated from its spec: one row
 * per visible field with its dialog label (from the node's catalogue
 * `<type>` of the locale in the help's language), default and allowed values.
 */
export function settingsTable(spec: NodeSpec, catalogue: Record<string, unknown>, lang: string): string {
  const labelOf = (key: string, f: FieldSpec): string => {
    let at: unknown = catalogue;
    for (const part of (f.labelKey ?? `label.${key}`).split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
    return typeof at === 'string' ? at : key;
  };
  const w = TABLE_WORDS[lang] ?? TABLE_WORDS['en-US']!;
  const rows = [`| ${w.head.join(' | ')} |`, '| --- | --- | --- |'];
  for (const [key, f] of Object.entries(spec.fields)) {
    if (f.hidden) continue;
    const label = labelOf(key, f);
    let def: string;
    if (f.kind === 'boolean') def = f.default ? w.yes : w.no;
    else if (f.kind === 'value') def = '';
    else def = f.default === '' ? w.empty : code(String(f.default) + (f.kind === 'number' && f.unit ? ` ${f.unit}` : ''));
    let allowed: string;
    switch (f.kind) {
      case 'number': {
        const unit = f.unit ? ` ${f.unit}` : '';
        const range = f.min !== undefined && f.max !== undefined ? `${f.min} – ${f.max}${unit}` : f.min !== undefined ? `≥ ${f.min}${unit}` : f.max !== undefined ? `≤ ${f.max}${unit}` : '';
        allowed = [f.integer ? (lang === 'de' ? 'ganze Zahl' : 'whole number') : lang === 'de' ? 'Zahl' : 'number', range].filter(Boolean).join(', ');
        break;
      }
      case 'enum':
        allowed = f.options.map(code).join(', ');
        break;
      case 'config':
        allowed = `${w.node} (${code(f.configType)})`;
        break;
      case 'typed':
        allowed = `${w.typed} ${(f.types ?? TYPED_SOURCES).filter((t) => t !== 'str').join(', ')}`;
        break;
      case 'boolean':
        allowed = `${w.yes} / ${w.no}`;
        break;
      default:
        allowed = f.kind === 'string' ? w.any : '';
    }
    if (f.required) allowed = `${allowed}; ${w.required}`;
    rows.push(`| ${cell(label)} (${code(key)}) | ${cell(def)} | ${cell(allowed)} |`);
  }
  return rows.join('\n');
}

/** The marker in help.md / help.de.md replaced by the generated settings table. */
export const SETTINGS_MARKER = '<!-- settings: generated from fields.ts -->';
