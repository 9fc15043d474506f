/**
 * Field specs (src/model/fields.ts, nodes/<type>/fields.ts): one declaration
 * per setting gives the dialog's defaults and validators, the runtime's
 * parsing and the help's settings table — checked here on the rules, and on
 * the built palette (the registerType literal and the help hold what the spec says).
 */
import fs from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import { defineFields, fieldOk, parseFields, settingsTable, SETTINGS_MARKER, type NodeSpec } from '../../src/model/fields';
import { PlantwireError } from '../../src/model/errors';
import { migrateConfig } from '../../src/runtime/migrate';
import { editorCredentials, editorScript, parseEditor } from '../../src/conformance/editor';
import { spec as erpQuerySpec, typedSince2 } from '../../nodes/plantwire-erp-query/fields';

const ROOT = path.resolve(__dirname, '../..');
const TYPES = fs.readdirSync(path.join(ROOT, 'nodes')).filter((t) => fs.existsSync(path.join(ROOT, 'nodes', t, 'fields.ts')));

const demo = defineFields('demo', 3, {
  mode: { kind: 'enum', default: 'a', options: ['a', 'b'], label: 'mode' },
  every: { kind: 'number', default: 1000, min: 10, max: 60_000, integer: true, label: 'interval (ms)' },
  limit: { kind: 'number', default: 5, min: 0, label: 'limit', when: (c) => c.mode === 'b', check: (v) => Number(v) <= 50 },
  topic: { kind: 'typed', default: '', label: 'topic', pattern: /^[^+#]*$/ },
  on: { kind: 'boolean', default: true, label: 'on' },
  host: { kind: 'string', default: '', required: true, label: 'host' },
});

const bad = (cfg: Record<string, unknown>): string => {
  try {
    parseFields(demo, cfg);
  } catch (err) {
    expect(err).toBeInstanceOf(PlantwireError);
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(cfg)}`);
};

describe('field specs: runtime parsing', () => {
  it('parses what the dialog stores (numbers as strings, typed inputs with their type) and fills defaults', () => {
    const s = parseFields(demo, { every: '250', topic: 'site', topicType: 'msg', host: 'h', on: false, version: 3 });
    expect(s).toMatchObject({ mode: 'a', every: 250, limit: 5, topic: { value: 'site', type: 'msg' }, on: false, host: 'h', name: '', version: 3 });
    expect(parseFields(demo, { host: 'h', topic: 'a/b' }).topic).toEqual({ value: 'a/b', type: 'str' });
    expect(parseFields(demo, { host: 'h', every: '' }).every).toBe(1000);
  });

  it('refuses what the dialog refuses, naming the field', () => {
    expect(bad({ host: 'h', every: '5' })).toMatch(/interval \(ms\) must be at least 10/);
    expect(bad({ host: 'h', every: '12.5' })).toMatch(/whole number/);
    expect(bad({ host: 'h', mode: 'c' })).toMatch(/mode must be one of a, b/);
    expect(bad({ host: '' })).toMatch(/host must be not empty/);
    expect(bad({ host: 'h', topic: 'a/#' })).toMatch(/topic/);
    expect(bad({ host: 'h', topic: 'x', topicType: 'bogus' })).toMatch(/unknown source type/);
    expect(bad({ host: 'h', mode: 'b', limit: '60' })).toMatch(/limit/);
  });

  it('a field whose condition does not hold is not checked (limit only counts in mode b)', () => {
    expect(parseFields(demo, { host: 'h', mode: 'a', limit: '60' }).limit).toBe(60);
    expect(parseFields(demo, { host: 'h', mode: 'a', limit: 'x' }).limit).toBe(5);
  });

  it('the dialog rule and the runtime rule are the same function', () => {
    const f = demo.fields.every;
    for (const v of ['10', '60000', '9', '60001', '10.5', 'abc', '']) {
      let runtime = true;
      try {
        parseFields(demo, { host: 'h', every: v });
      } catch {
        runtime = false;
      }
      expect(fieldOk(f, v, { host: 'h' }), `every = ${JSON.stringify(v)}`).toBe(runtime);
    }
    expect(fieldOk(demo.fields.topic, 'msg.#', {}, 'msg'), 'a message property name is not a topic').toBe(true);
    // A typed input read from msg/flow/global/env needs a name, in the dialog as at deploy; a fixed text may be empty.
    for (const [v, t] of [['', 'msg'], [' ', 'env'], ['', 'str'], ['', undefined], ['site', 'flow']] as const) {
      let runtime = true;
      try {
        parseFields(demo, { host: 'h', topic: v, topicType: t });
      } catch {
        runtime = false;
      }
      expect(fieldOk(demo.fields.topic, v, { host: 'h' }, t), `topic = ${JSON.stringify(v)} from ${t}`).toBe(runtime);
      expect(runtime, `topic = ${JSON.stringify(v)} from ${t}`).toBe(v.trim() !== '' || t === 'str' || t === undefined);
    }
  });

  it('a number field with its own parser: the parser alone decides at deploy (its default for a value not saved)', () => {
    const spec = defineFields('demo-port', 1, {
      port: { kind: 'number', default: 5020, required: true, min: 1, max: 65535, integer: true, label: 'port', parse: (v) => (v === undefined ? 502 : Number(v)) },
    });
    expect(parseFields(spec, {}).port).toBe(502);
    expect(parseFields(spec, { port: '1502' }).port).toBe(1502);
    expect(fieldOk(spec.fields.port, '', {}), 'the dialog still requires it').toBe(false);
    expect(fieldOk(spec.fields.port, '70000', {}), 'and checks its range').toBe(false);
  });

  it('an enum field with its own parser gets the saved value as it is (not the dialog default) and gives its own default', () => {
    const spec = defineFields('demo-mode', 1, {
      mode: { kind: 'enum', default: 'secure', options: ['open', 'secure'], required: true, label: 'mode', parse: (v) => (v === undefined ? 'open' : String(v)) },
    });
    expect(parseFields(spec, {}).mode, 'not saved: the parser\'s default, not the dialog\'s').toBe('open');
    expect(parseFields(spec, { mode: 'secure' }).mode).toBe('secure');
    expect(spec.fields.mode.default).toBe('secure');
  });
});

describe('field specs: the help table', () => {
  it('lists every visible field with its label, default and allowed values, in the help language', () => {
    const en = settingsTable(demo as unknown as NodeSpec, { label: { every: 'Interval' } }, 'en-US');
    expect(en).toContain('| Interval (`every`) | `1000` | whole number, 10 – 60000 |');
    expect(en).toContain('| mode (`mode`) | `a` | `a`, `b` |');
    expect(en).toContain('msg, flow, global, env');
    expect(en).not.toContain('`name`');
    const de = settingsTable(demo as unknown as NodeSpec, { label: { every: 'Intervall' } }, 'de');
    expect(de).toContain('| Intervall (`every`) | `1000` | ganze Zahl, 10 – 60000 |');
    expect(de.split('\n')[0]).toBe('| Einstellung | Vorgabe | Erlaubt |');
  });
});

/** The inline registerType literal of a built editor, read statically as node-red-dev and the conformance kit do. */
function parseEditorLiteral(html: string, type: string): { credentials: Record<string, string> | undefined } {
  const call = parseEditor(editorScript(html)!, `${type}.html`).calls.find((c) => c.type === type);
  expect(call?.literal, `${type}: inline registerType literal`).toBeDefined();
  return { credentials: editorCredentials(call!.literal!) };
}

/** The registerType definitions of the built editor scripts (run with a stub RED that records them). */
function builtDefaults(type: string): Record<string, { value: unknown; type?: string; required?: boolean; validate?: (v: unknown, opt?: object) => unknown }> {
  const html = fs.readFileSync(path.join(ROOT, 'dist', 'nodes', `${type}.html`), 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1]!;
  let def: { defaults: Record<string, never> } | undefined;
  const jq = (): unknown => ({ length: 0, attr: () => undefined, val: () => undefined, is: () => false });
  const RED = { nodes: { registerType: (_t: string, d: typeof def) => (def = d) }, _: (k: string) => k, validators: { number: () => () => true } };
  vm.runInNewContext(script, { RED, $: jq, window: {} });
  return def!.defaults;
}

describe.each(TYPES)('%s: the built palette follows its fields.ts', (type) => {
  let spec: NodeSpec;
  beforeAll(async () => {
    spec = ((await import(path.join(ROOT, 'nodes', type, 'fields.ts'))) as { spec: NodeSpec }).spec;
  });

  it('the registerType literal holds the spec defaults (values, config types, required) with the spec validators', () => {
    const html = fs.readFileSync(path.join(ROOT, 'dist', 'nodes', `${type}.html`), 'utf8');
    expect(html, 'defaults written out as a literal').toMatch(new RegExp(`"version": \\{ value: ${spec.version}\\b`));
    const defs = builtDefaults(type);
    expect(Object.keys(defs).sort()).toEqual(Object.keys(spec.fields).sort());
    for (const [key, f] of Object.entries(spec.fields)) {
      expect(defs[key]!.value, `${key}: default`).toEqual(f.default);
      if (f.kind === 'config') expect(defs[key]!.type, `${key}: config type`).toBe(f.configType);
      expect(Boolean(defs[key]!.required), `${key}: required`).toBe(Boolean(f.required));
      if (f.kind === 'number' && f.min !== undefined && !f.when) expect(defs[key]!.validate!(f.min - 1), `${key}: below min refused in the dialog`).toBe(false);
      if (f.kind === 'enum') expect(defs[key]!.validate!('no-such-option'), `${key}: unknown option refused`).toBe(false);
      // A field read by a parser (a table, a list of rows, JSON text) is checked by it in the dialog too.
      if (f.parse) expect(defs[key]!.validate, `${key}: the dialog runs its parser`).toBeTypeOf('function');
    }
  });

  it("the registerType literal holds the spec's credentials, as the runtime registers them", () => {
    const html = fs.readFileSync(path.join(ROOT, 'dist', 'nodes', `${type}.html`), 'utf8');
    const literal = parseEditorLiteral(html, type).credentials;
    if (!spec.credentials) {
      expect(literal, 'a node without credentials in its spec declares none in the dialog').toBeUndefined();
      return;
    }
    expect(literal, 'credentials written out as a literal (node-red-dev and the conformance kit read it statically)').toEqual(Object.fromEntries(Object.entries(spec.credentials).map(([k, v]) => [k, v.type])));
    const runtime = fs.readFileSync(path.join(ROOT, 'nodes', type, 'runtime.ts'), 'utf8');
    expect(runtime, 'the runtime registers the same declaration').toMatch(/credentials: spec\.credentials/);
  });

  it('the help in every language has the generated settings table', () => {
    for (const f of fs.readdirSync(path.join(ROOT, 'nodes', type)).filter((x) => /^help(\.[a-z-]+)?\.md$/i.test(x))) {
      expect(fs.readFileSync(path.join(ROOT, 'nodes', type, f), 'utf8'), `${type}/${f}`).toContain(SETTINGS_MARKER);
      const lang = /^help\.([a-z-]+)\.md$/i.exec(f)?.[1] ?? 'en-US';
      const built = fs.readFileSync(path.join(ROOT, 'dist', 'nodes', 'locales', lang, `${type}.html`), 'utf8');
      const visible = Object.entries(spec.fields).filter(([, x]) => !x.hidden);
      for (const [key] of visible) expect(built, `${type} ${lang}: row of ${key}`).toContain(`(\`${key}\`) |`);
    }
  });
});

describe('environment variables in the dialog', () => {
  it('a field with `env` takes a whole ${VAR} reference in the built dialog; its value is checked at deploy', () => {
    const port = builtDefaults('plantwire-smtp-server').port!.validate!;
    expect(port('${SMTP_PORT}')).toBe(true);
    expect(port('${SMTP PORT}')).toBe(false);
    expect(port('x${SMTP_PORT}')).toBe(false);
    expect(port('70000')).toBe(false);
    expect(port('587')).toBe(true);
    // Not `env`: the reference is refused as any other text.
    expect(builtDefaults('plantwire-smtp-server').maxConnections!.validate!('${CONNS}')).toBe(false);
  });
});

describe('typed-input migrations', () => {
  it('erp-query version 1 → 2: the existing entity and filter become fixed texts (type "str")', () => {
    const spec = erpQuerySpec;
    const old = { id: 'q', type: 'plantwire-erp-query', version: 1, entity: 'orders', filter: 'status=released', top: '' };
    const migrated = migrateConfig('plantwire-erp-query', old, { current: spec.version, migrations: { 1: typedSince2 } });
    expect(migrated).toMatchObject({ version: 2, entity: 'orders', entityType: 'str', filter: 'status=released', filterType: 'str' });
    const s = parseFields(spec, migrated);
    expect(s.entity).toEqual({ value: 'orders', type: 'str' });
    expect(s.top).toBe(0);
    // A flow saved as version 2 keeps its source.
    expect(migrateConfig('plantwire-erp-query', { ...old, version: 2, entityType: 'msg' }, { current: 2, migrations: { 1: typedSince2 } }).entityType).toBe('msg');
  });
});
