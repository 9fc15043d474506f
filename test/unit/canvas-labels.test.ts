/**
 * What the canvas shows goes through the node's catalogue: port labels
 * (inputLabels/outputLabels) are functions reading `<type>.ports.*`, label
 * functions read their words from `<type>.canvas.*` (nodes/editor/kit.ts
 * nodeText), and every key they use exists in en-US and de with the same
 * parameters — so a German editor shows German labels.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { templateParams } from '../../src/model/status-text';

const TYPES = fs.readdirSync(path.join(PACKAGE_ROOT, 'nodes')).filter((t) => fs.existsSync(path.join(PACKAGE_ROOT, 'nodes', t, 'runtime.ts')));
const catalogue = (type: string, lang: string): Record<string, unknown> => JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'locales', `${lang}.json`), 'utf8')) as Record<string, unknown>;

function lookup(root: Record<string, unknown>, key: string): unknown {
  let at: unknown = root;
  for (const part of key.split('.')) at = at && typeof at === 'object' ? (at as Record<string, unknown>)[part] : undefined;
  return at;
}

/** The keys an editor.ts passes to nodeText: whole keys, and prefixes completed at run time (`'….ports.out' + index`). */
export function nodeTextKeys(src: string): { keys: string[]; prefixes: string[] } {
  const keys: string[] = [];
  const prefixes: string[] = [];
  for (const m of src.matchAll(/nodeText\(this,\s*([^)]*?)(?:,\s*\{|\))/g)) {
    const arg = m[1]!;
    for (const lit of arg.matchAll(/'(plantwire-[\w-]+\.[^']+)'(\s*\+)?/g)) (lit[2] ? prefixes : keys).push(lit[1]!);
  }
  return { keys, prefixes };
}

describe('canvas and port labels in the reader\'s language', () => {
  it('finds the keys of a label function (the check can fail)', () => {
    const src = "label: function () { return nodeText(this, this.x === 'y' ? 'plantwire-a.canvas.one' : 'plantwire-a.canvas.two', { n: 1 }); },\n outputLabels: function (i) { return nodeText(this, 'plantwire-a.ports.out' + i); }";
    expect(nodeTextKeys(src)).toEqual({ keys: ['plantwire-a.canvas.one', 'plantwire-a.canvas.two'], prefixes: ['plantwire-a.ports.out'] });
  });

  it.each(TYPES)('%s: no literal port label; every key in en-US and de with the same parameters', (type) => {
    const src = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8');
    expect(src, 'inputLabels/outputLabels as text: English in every language').not.toMatch(/^\s*(inputLabels|outputLabels):\s*['"[]/m);
    const { keys, prefixes } = nodeTextKeys(src);
    const en = catalogue(type, 'en-US');
    const de = catalogue(type, 'de');
    for (const key of keys) {
      const e = lookup(en, key);
      const d = lookup(de, key);
      expect(typeof e, `${type} en-US ${key}`).toBe('string');
      expect(typeof d, `${type} de ${key}`).toBe('string');
      expect(templateParams(d as string).sort(), `${type} de ${key} parameters`).toEqual(templateParams(e as string).sort());
    }
    for (const prefix of prefixes) {
      // A prefix is completed by an index or an option: every completion en-US has, de has too.
      const cut = prefix.lastIndexOf('.');
      const parent = prefix.slice(0, cut);
      const start = prefix.slice(cut + 1);
      const e = lookup(en, parent) as Record<string, string> | undefined;
      const d = lookup(de, parent) as Record<string, string> | undefined;
      const names = Object.keys(e ?? {}).filter((k) => k.startsWith(start));
      expect(names.length, `${type} en-US ${prefix}…`).toBeGreaterThan(0);
      for (const k of names) expect(typeof d?.[k], `${type} de ${parent}.${k}`).toBe('string');
    }
    // Output ports: one label per output.
    const outputs = Number(/^\s*outputs:\s*(\d+)/m.exec(src)?.[1] ?? 0);
    if (/'[^']*\.ports\.out' \+ index/.test(src)) {
      for (let i = 0; i < outputs; i++) expect(typeof lookup(de, `${type}.ports.out${i}`), `${type} de ports.out${i}`).toBe('string');
    }
  });

  it.each(TYPES)('%s: the canvas names the node as the palette does (one capitalisation style)', (type) => {
    const src = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'editor.ts'), 'utf8');
    const palette = /paletteLabel: '([^']+)'/.exec(src)?.[1];
    if (!palette) return;
    // The canvas texts: the English catalogue's canvas words and the label function's own literals.
    const canvas = lookup(catalogue(type, 'en-US'), `${type}.canvas`);
    const label = /^ {2}label: function[\s\S]*?^ {2}\},/m.exec(src)?.[0] ?? '';
    const texts = [...Object.values((canvas ?? {}) as Record<string, unknown>).flatMap((v) => (typeof v === 'string' ? [v] : Object.values(v as Record<string, string>))), ...[...label.matchAll(/'([^']*)'/g)].map((m) => m[1]!)];
    for (const t of texts) {
      const at = t.toLowerCase().indexOf(palette);
      if (at >= 0) expect(t.slice(at, at + palette.length), `${type}: "${t}" names the node as "${palette}"`).toBe(palette);
    }
  });

  it.each(TYPES)('%s: a count before a plural noun has a singular form in each language ("1 line", "1 Linie")', (type) => {
    // Node-RED's i18next picks `<key>_one` for a numeric count of 1 (Intl.PluralRules), else `<key>`.
    const en = lookup(catalogue(type, 'en-US'), `${type}.canvas`) as Record<string, unknown> | undefined;
    const de = lookup(catalogue(type, 'de'), `${type}.canvas`) as Record<string, unknown> | undefined;
    for (const [key, value] of Object.entries(en ?? {})) {
      if (typeof value !== 'string') continue;
      if (key.endsWith('_one')) {
        const base = key.slice(0, -4);
        expect(typeof en?.[base], `${type} canvas.${key} without canvas.${base}`).toBe('string');
        expect(value, `${type} en-US canvas.${key}`).toMatch(/__count__/);
        expect(typeof de?.[key], `${type} de canvas.${key}`).toBe('string');
        expect(templateParams(de?.[key] as string).sort(), `${type} de canvas.${key} parameters`).toEqual(templateParams(value).sort());
        expect(de?.[key], `${type} de canvas.${key} is the singular`).not.toBe(de?.[base]);
        continue;
      }
      // "(__count__ lines)": a singular form, unless the label has its own text for one ("opc ua read (1 tag)", "opc ua <tag>").
      if (/__count__ [a-z]+s\b/.test(value) && typeof en?.one !== 'string') expect(typeof en?.[`${key}_one`], `${type} en-US canvas.${key}_one`).toBe('string');
    }
  });
});
