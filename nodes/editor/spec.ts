// The dialog side of a node's field spec (src/model/fields.ts): the
// registerType defaults and one validator per field, running the same rule as
// the runtime. scripts/build.mjs writes the spec's defaults into the inline
// registerType literal (for `node-red-dev validate`); `specDefaults(spec)` in
// editor.ts is what that literal replaces, and gives the same object when the
// script is run unbundled.
import { editorDefault, ENV_REFERENCE, fieldOk, hasRules, type FieldSpec, type NodeSpec } from '../../src/model/fields';
import { current, invalid, kitText } from './kit';

type Validator = (this: unknown, v: unknown, opt?: object) => boolean;

/** The node's settings as the open dialog shows them (else as saved), for rules that look at other fields. */
function settingsOf(spec: NodeSpec, node: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  Object.keys(spec.fields).forEach(function (k) {
    out[k] = current(node, k);
    const t = current(node, k + 'Type');
    if (t !== undefined) out[k + 'Type'] = t;
  });
  return out;
}

/** A message for a bad value: the field's own (node catalogue), else Node-RED's words plus the allowed range. */
function message(spec: NodeSpec, key: string, f: FieldSpec, node: unknown, opt: object | undefined, v: unknown, settings: Record<string, unknown>): boolean {
  const empty = v === undefined || v === null || String(v).trim() === '';
  // A typed input read from msg/flow/global/env needs the name of what holds the value (the kit's message, as typedValidator gives).
  const source = settings[key + 'Type'];
  if (f.kind === 'typed' && empty && source && source !== 'str' && !(typeof f.message === 'function')) return (opt ? kitText('validation.typedProperty') : false) as unknown as boolean;
  if (f.message) return invalid(node, opt, spec.type + '.validation.' + (typeof f.message === 'function' ? f.message(v, settings) : f.message));
  if (!opt) return false;
  if (empty && f.required) return RED._('validator.errors.missing-required-prop', { prop: key }) as unknown as boolean;
  if (empty && f.kind === 'typed') return kitText('validation.typedProperty') as unknown as boolean;
  if (f.kind === 'number') {
    const range = f.min !== undefined && f.max !== undefined ? ' (' + f.min + ' – ' + f.max + ')' : f.min !== undefined ? ' (≥ ' + f.min + ')' : f.max !== undefined ? ' (≤ ' + f.max + ')' : '';
    return (RED._('validator.errors.invalid-num-prop', { prop: key }) + range) as unknown as boolean;
  }
  return RED._('validator.errors.invalid-prop') as unknown as boolean;
}

/** The dialog validator of one field of the spec. */
export function specValidator(spec: NodeSpec, key: string): Validator {
  const f = spec.fields[key];
  if (!f) throw new Error(spec.type + ': no field "' + key + '" in its fields.ts');
  return function (this: unknown, v: unknown, opt?: object): boolean {
    const settings = settingsOf(spec, this);
    settings[key] = v;
    // An environment variable is put in by Node-RED at deploy (the runtime checks its value).
    if (f.env && ENV_REFERENCE.test(String(v ?? '').trim())) return true;
    return fieldOk(f, v, settings, settings[key + 'Type']) || message(spec, key, f, this, opt, v, settings);
  };
}

/**
 * The registerType `credentials` of a spec (the build writes them out into the inline literal, as it
 * does the defaults), the same declaration the runtime registers with.
 */
export function specCredentials<C>(spec: NodeSpec): import('@node-red/editor-client').NodeCredentials<C> {
  if (!spec.credentials) throw new Error(spec.type + ': its fields.ts declares no credentials');
  return spec.credentials as unknown as import('@node-red/editor-client').NodeCredentials<C>;
}

/** The registerType `defaults` of a spec: value, required, config type, validator (typed as the dialog's properties). */
export function specDefaults<P extends EditorNodeProperties>(spec: NodeSpec): import('@node-red/editor-client').NodePropertiesDef<P> {
  return specDefaultsOf(spec) as unknown as import('@node-red/editor-client').NodePropertiesDef<P>;
}

function specDefaultsOf(spec: NodeSpec): Record<string, { value: unknown; required?: boolean; type?: string; validate?: Validator }> {
  const out: Record<string, { value: unknown; required?: boolean; type?: string; validate?: Validator }> = {};
  Object.keys(spec.fields).forEach(function (k) {
    const f = spec.fields[k] as FieldSpec;
    const d: { value: unknown; required?: boolean; type?: string; validate?: Validator } = editorDefault(f);
    if (hasRules(f)) d.validate = specValidator(spec, k);
    out[k] = d;
  });
  return out;
}
