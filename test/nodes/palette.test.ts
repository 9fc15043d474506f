import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { name: string; 'node-red': { nodes: Record<string, string> } };
const TYPES = Object.keys(pkg['node-red'].nodes);

function flattenKeys(obj: unknown, prefix = ''): string[] {
  if (obj === null || typeof obj !== 'object') return [prefix];
  return Object.entries(obj as Record<string, unknown>).flatMap(([k, v]) => flattenKeys(v, prefix ? `${prefix}.${k}` : k));
}

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

describe('the palette in a real runtime', () => {
  it('GET /nodes lists every Plantwire node type, enabled and without error', async () => {
    expect(TYPES.length).toBeGreaterThan(0);
    const res = await rt.admin<Array<{ id: string; module: string; types: string[]; enabled: boolean; err?: string }>>('GET', '/nodes');
    expect(res.status).toBe(200);
    const ours = res.body.filter((s) => s.module === pkg.name);
    expect(ours.flatMap((s) => s.types).sort()).toEqual([...TYPES].sort());
    for (const set of ours) {
      expect(set.enabled, set.id).toBe(true);
      expect(set.err, set.id).toBeUndefined();
    }
  });

  it.each(TYPES)('%s: editor, help (en-US and fallback), messages and icon are served', async (type) => {
    const html = await fetch(`${rt.url}/nodes/${pkg.name}/${type}`, { headers: { authorization: `Bearer ${await rt.token()}`, accept: 'text/html' } });
    expect(html.status).toBe(200);
    const text = await html.text();
    expect(text).toContain(`data-template-name="${type}"`);
    const help = /<script type="text\/markdown" data-help-name="[^"]+">([\s\S]*?)<\/script>/.exec(text);
    expect(help, 'help is served with the node').not.toBeNull();
    expect(help![1]!.trim().length, 'help is at least 400 characters').toBeGreaterThanOrEqual(400);
    for (const section of ['### Inputs', '### Outputs', '### Details', '### Example']) {
      if (section === '### Inputs' && /inputs:\s*0/.test(text)) continue;
      expect(help![1], `help has a "${section}" section`).toContain(section);
    }
    const messages = await rt.admin<Record<string, unknown>>('GET', `/locales/${pkg.name}/${type}?lng=en-US`);
    expect(messages.status).toBe(200);
    expect(messages.body[type], 'message catalogue namespaced by node type').toBeTypeOf('object');
    const icon = /icon:\s*['"]([^'"]+)['"]/.exec(text)?.[1];
    expect(icon, 'editor names an icon').toBeTruthy();
    const iconRes = await fetch(`${rt.url}/icons/${pkg.name}/${icon}`, { headers: { authorization: `Bearer ${await rt.token()}` } });
    expect(iconRes.status, `icon ${icon}`).toBe(200);
  });
});

describe('palette source rules', () => {
  it.each(TYPES)('%s: every locale has the same message keys as en-US', (type) => {
    const dir = path.join(PACKAGE_ROOT, 'nodes', type, 'locales');
    const en = flattenKeys(JSON.parse(fs.readFileSync(path.join(dir, 'en-US.json'), 'utf8'))).sort();
    for (const f of fs.readdirSync(dir).filter((x) => x.endsWith('.json') && x !== 'en-US.json')) {
      expect(flattenKeys(JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'))).sort(), `${type}/${f}`).toEqual(en);
    }
  });

  it.each(TYPES)('%s: the dialog only uses message keys the catalogue has', async (type) => {
    const en = new Set(flattenKeys(JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'locales', 'en-US.json'), 'utf8'))));
    // As shipped: the standard rows (<plantwire-field …>) written out with their label keys (scripts/rows.mjs).
    const { editorTemplate } = (await import('../../scripts/rows.mjs')) as typeof import('../../scripts/rows.mjs');
    const html = editorTemplate(type);
    const used = [...html.matchAll(/data-i18n="(?:\[[a-z]+\])?([^"]+)"/g)].map((m) => m[1]!);
    expect(used.length).toBeGreaterThan(0);
    for (const key of used) expect(en.has(key), `${type}: missing message "${key}"`).toBe(true);
  });

  it.each(TYPES)('%s: every dialog validator gives a message (Node-RED 4 shows it beside the red field), from the catalogue', (type) => {
    const text = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8');
    const en = new Set(flattenKeys(JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'locales', 'en-US.json'), 'utf8'))));
    // Custom validators take (v, opt) and return the translated message when opt is given; RED.validators.* do that themselves.
    const silent = [...text.matchAll(/\n\s+(\w+): \{[^{}]*?validate: function \(([^)]*)\)/g)].filter((m) => !/\bopt\b/.test(m[2]!)).map((m) => m[1]);
    expect(silent, `${type}: validators without a message`).toEqual([]);
    for (const m of text.matchAll(/(?:\._\(|\binvalid\(\w+, opt, )'([\w-]+\.validation\.[\w.]+)'\)/g)) {
      expect(en.has(m[1]!), `${type}: missing message "${m[1]}"`).toBe(true);
    }
  });

  it.each(TYPES)('%s: has an example flow in flows/ and a docs page', (type) => {
    const flows = fs.readdirSync(path.join(PACKAGE_ROOT, 'flows')).filter((f) => f.endsWith('.json') && f !== 'demo.json');
    const covering = flows.filter((f) => (JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', f), 'utf8')) as Array<{ type: string }>).some((n) => n.type === type));
    expect(covering.length, `an example in flows/ uses ${type}`).toBeGreaterThan(0);
    expect(fs.existsSync(path.join(PACKAGE_ROOT, 'docs', 'nodes', `${type}.md`)), `docs/nodes/${type}.md`).toBe(true);
  });

  it('every example flow and the demo deploy cleanly into the runtime', async () => {
    const files = fs.readdirSync(path.join(PACKAGE_ROOT, 'flows')).filter((f) => f.endsWith('.json'));
    for (const f of files) {
      const flow = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'flows', f), 'utf8')) as Array<Record<string, unknown>>;
      const ids = flow.map((n) => n.id);
      expect(new Set(ids).size, `${f}: unique ids`).toBe(ids.length);
      // Examples carry no tab (Node-RED imports them into the current one): give them one.
      const hasTab = flow.some((n) => n.type === 'tab');
      const deployable = hasTab ? flow : [{ id: 'ex-tab', type: 'tab', label: f }, ...flow.map((n) => ({ ...n, z: 'ex-tab' }))];
      const before = rt.logs.length;
      await rt.deploy(deployable);
      await new Promise((r) => setTimeout(r, 300));
      const problems = rt.logs.slice(before).filter((l) => l.level === 'error' || /missing types|Waiting for/.test(l.msg));
      expect(problems.map((p) => p.msg), `${f} deploys without errors`).toEqual([]);
      const state = await rt.admin<{ flows: unknown[] }>('GET', '/flows', undefined, { 'Node-RED-API-Version': 'v2' });
      expect(state.body.flows.length).toBe(deployable.length);
    }
    // One deploy per example (30+ of them, the demo with its dashboard tab): more than the default 30 s on a loaded machine.
  }, 180_000);
});

const src = (type: string, file: string): string => fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, file), 'utf8');
const field = (text: string, name: string): string | undefined => new RegExp(`\\n  ${name}:\\s*'([^']*)'`).exec(text)?.[1];
const headings = (md: string): string[] => [...md.matchAll(/^(#{1,6}) /gm)].map((m) => m[1]!);
const COLOURS: Record<string, string> = { 'Plantwire OT': '#87A9C4', 'Plantwire transform': '#C7D8A0', 'Plantwire IT': '#E2C08D' };
/** The help sections in German, in the order of the English ones. */
const DE_SECTIONS: Record<string, string> = { Inputs: 'Eingänge', Outputs: 'Ausgänge', Details: 'Details', Example: 'Beispiel' };

describe('editor conventions for citizen integrators', () => {
  it.each(TYPES)('%s: category, colour, palette label, port labels', (type) => {
    const text = src(type, 'editor.ts');
    const category = field(text, 'category');
    expect(['config', ...Object.keys(COLOURS)], `${type}: category`).toContain(category);
    if (category !== 'config') expect(field(text, 'color')?.toUpperCase(), `${type}: colour of ${category}`).toBe(COLOURS[category!]);
    expect(field(text, 'paletteLabel'), `${type}: paletteLabel`).toBeTruthy();
    const inputs = Number(/\n  inputs:\s*(\d+)/.exec(text)?.[1] ?? 0);
    const outputs = Number(/\n  outputs:\s*(\d+)/.exec(text)?.[1] ?? 0);
    if (inputs > 0) expect(text, `${type}: inputLabels`).toMatch(/\n  inputLabels:/);
    if (outputs > 0) expect(text, `${type}: outputLabels`).toMatch(/\n  outputLabels:/);
  });

  it('no two node types share an icon (config nodes may reuse one), and every icon is an SVG in nodes/icons', () => {
    const owners = new Map<string, string[]>();
    for (const type of TYPES) {
      const text = src(type, 'editor.ts');
      const icon = field(text, 'icon');
      expect(icon, `${type}: icon`).toMatch(/\.svg$/);
      expect(fs.existsSync(path.join(PACKAGE_ROOT, 'nodes', 'icons', icon!)), `nodes/icons/${icon}`).toBe(true);
      if (field(text, 'category') !== 'config') owners.set(icon!, [...(owners.get(icon!) ?? []), type]);
    }
    const shared = [...owners].filter(([, types]) => types.length > 1).map(([icon, types]) => `${icon}: ${types.join(', ')}`);
    expect(shared).toEqual([]);
  });

  it.each(TYPES)('%s: German help (help.de.md) with the structure and sections of the English help', (type) => {
    const en = src(type, 'help.md');
    const dePath = path.join(PACKAGE_ROOT, 'nodes', type, 'help.de.md');
    expect(fs.existsSync(dePath), `nodes/${type}/help.de.md`).toBe(true);
    const de = fs.readFileSync(dePath, 'utf8');
    expect(headings(de), `${type}: heading levels and count match help.md`).toEqual(headings(en));
    expect(de.trim().length, `${type}: German help is at least 400 characters`).toBeGreaterThanOrEqual(400);
    const sectionsEn = [...en.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim());
    const sectionsDe = [...de.matchAll(/^### (.+)$/gm)].map((m) => m[1]!.trim());
    sectionsEn.forEach((h, i) => {
      if (DE_SECTIONS[h]) expect(sectionsDe[i], `${type}: section "${h}"`).toBe(DE_SECTIONS[h]);
    });
    // Code blocks (examples, message shapes) stay as they are.
    const code = (md: string): string[] => [...md.matchAll(/```[\s\S]*?```/g)].map((m) => m[0]);
    expect(code(de), `${type}: code blocks unchanged`).toEqual(code(en));
  });
});

describe('generated docs', () => {
  it('docs/nodes/*.md match the nodes\' help (run `node scripts/docs.mjs` after editing help)', async () => {
    const { nodePages } = (await import('../../scripts/docs.mjs')) as { nodePages: () => Record<string, string> };
    for (const [rel, text] of Object.entries(nodePages())) {
      expect(fs.readFileSync(path.join(PACKAGE_ROOT, rel), 'utf8'), rel).toBe(text);
    }
  });
});
