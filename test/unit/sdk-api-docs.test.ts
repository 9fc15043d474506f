/**
 * docs/api (generated from the SDK's types by `npm run docs:api`: typedoc +
 * typedoc-plugin-markdown) is not stale: every name src/sdk/index.ts exports
 * has its entry (a `### name` heading), no entry is left for a name it no
 * longer exports, and the `buffer` namespace page lists every value it holds.
 * Cheap: reads the entry's export statements and the generated Markdown; no
 * typedoc run.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as sdk from '../../src/sdk/index';

const ROOT = path.resolve(__dirname, '..', '..');
const API = path.join(ROOT, 'docs', 'api');
const HINT = 'docs/api is stale: run `npm run docs:api` and commit docs/api';

/** Names exported by `export { a, b as c, type D } from …`, `export type { … } from …` and `export * as ns from …`. */
function exportedNames(source: string): string[] {
  const names: string[] = [];
  for (const [, list] of source.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+'[^']+';/gm)) {
    for (const part of list!.split(',').map((p) => p.trim()).filter(Boolean)) {
      const m = /^(?:type\s+)?(\w+)(?:\s+as\s+(\w+))?$/.exec(part);
      if (!m) throw new Error(`cannot read export "${part}"`);
      names.push(m[2] ?? m[1]!);
    }
  }
  for (const [, ns] of source.matchAll(/^export\s+\*\s+as\s+(\w+)\s+from\s+'[^']+';/gm)) names.push(ns!);
  return names;
}

/** `### name` / `### name()` headings of a generated page (underscores come escaped). */
function entries(file: string): string[] {
  return [...fs.readFileSync(file, 'utf8').matchAll(/^### (.+?)(?:\(\))?$/gm)].map(([, h]) => h!.replace(/\\_/g, '_'));
}

describe('docs/api matches the SDK entry', () => {
  const names = exportedNames(fs.readFileSync(path.join(ROOT, 'src', 'sdk', 'index.ts'), 'utf8'));

  it('reads the entry: every value export is among the names read', () => {
    expect(names.length).toBeGreaterThan(60);
    for (const key of Object.keys(sdk)) expect(names, `export ${key} not read from src/sdk/index.ts`).toContain(key);
  });

  it('every exported name has its entry, and no entry is left for a name no longer exported', () => {
    const readme = path.join(API, 'README.md');
    expect(fs.existsSync(readme), HINT).toBe(true);
    const documented = entries(readme);
    const namespaces = [...fs.readFileSync(readme, 'utf8').matchAll(/^- \[(\w+)\]\([^)]*namespaces\/\1\.md\)$/gm)].map(([, n]) => n!);
    expect([...documented, ...namespaces].sort(), HINT).toEqual([...names].sort());
  });

  it('the buffer namespace page lists every value of sdk.buffer', () => {
    const page = path.join(API, '@plantwire', 'node-red', 'namespaces', 'buffer.md');
    expect(fs.existsSync(page), HINT).toBe(true);
    const documented = new Set(entries(page));
    const missing = Object.keys(sdk.buffer).filter((k) => !documented.has(k));
    expect(missing, HINT).toEqual([]);
  });
});
