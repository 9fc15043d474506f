/**
 * The layering of docs/architecture.md, checked on the source: src/model at
 * the bottom; connectors, transforms, buffer and simulators above it and
 * below the Node-RED glue (src/runtime/) and the nodes. Every import form is
 * read (static import/export-from, side-effect import, dynamic import(),
 * require, import = require) with TypeScript's own pre-processor, so
 * comments and strings do not count. The rules are data (RULES), and the
 * same table is in docs/architecture.md ("Layers"); the test checks they agree.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(__dirname, '../..');

/** Folder → what no file under it may import (repo folders, or package names). */
const GLUE = ['src/runtime', 'nodes', 'src/host', 'src/cli', 'node-red', '@node-red'];
export const RULES: Record<string, string[]> = {
  'src/model': [...GLUE, 'src/connectors', 'src/transforms', 'src/buffer', 'src/sim', 'src/bundle'],
  'src/connectors': GLUE,
  'src/transforms': GLUE,
  'src/buffer': GLUE,
  'src/sim': GLUE,
};

function tsFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...tsFiles(p));
    else if (/\.(ts|js|mjs|cjs)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Every module specifier a source text imports, in any form. */
export function importsOf(text: string): string[] {
  return ts.preProcessFile(text, true, true).importedFiles.map((f) => f.fileName);
}

/** What a specifier in `file` (repo-relative) points to: a repo path, or the package name. */
function target(file: string, spec: string): string {
  if (spec.startsWith('.')) return relative(ROOT, resolve(ROOT, dirname(file), spec)).split('\\').join('/');
  return spec.startsWith('node:') ? spec : spec.split('/').slice(0, spec.startsWith('@') ? 2 : 1).join('/');
}

/** The violations of RULES in one file's text (`file` repo-relative, e.g. src/buffer/queue.ts). */
export function violations(file: string, text: string): string[] {
  const layer = Object.keys(RULES).find((l) => file === l || file.startsWith(`${l}/`));
  if (!layer) return [];
  const out: string[] = [];
  for (const spec of importsOf(text)) {
    const t = target(file, spec);
    const hit = RULES[layer]!.find((f) => t === f || t.startsWith(`${f}/`));
    if (hit) out.push(`${file}: imports '${spec}' (${layer} must not import ${hit})`);
  }
  return out;
}

describe('layers (docs/architecture.md)', () => {
  it('no file in src/model, src/connectors, src/transforms, src/buffer, src/sim imports the glue, the nodes or Node-RED', () => {
    const found: string[] = [];
    let files = 0;
    let imports = 0;
    for (const layer of Object.keys(RULES)) {
      for (const abs of tsFiles(join(ROOT, layer))) {
        const file = relative(ROOT, abs).split('\\').join('/');
        const text = readFileSync(abs, 'utf8');
        files += 1;
        imports += importsOf(text).length;
        found.push(...violations(file, text));
      }
    }
    expect(files, 'the folders were read').toBeGreaterThan(100);
    expect(imports, 'imports were found').toBeGreaterThan(300);
    expect(found).toEqual([]);
  });

  it('catches a violation in every import form, and not in comments or strings', () => {
    const bad = [
      "import { numberSetting } from '../../runtime/define';",
      "import type { RedNode } from '../../runtime/types';",
      "export { setStatus } from '../../runtime/status';",
      "export * from '../../../nodes/plantwire-mqtt-in/runtime';",
      "import '../../runtime/index';",
      "const m = await import('../../runtime/opcua');",
      "const r = require('../../runtime/registry');",
      "import q = require('../../host/index');",
      "import RED from 'node-red';",
      "import { util } from '@node-red/util';",
    ];
    for (const line of bad) expect(violations('src/connectors/mqtt/x.ts', line), line).toHaveLength(1);
    expect(violations('src/transforms/x.ts', "import { defineNode } from '../runtime/define';")).toHaveLength(1);
    expect(violations('src/sim/x.ts', "import { x } from '../cli/index';")).toHaveLength(1);
    expect(violations('src/model/x.ts', "import { x } from '../connectors/opcua';")).toHaveLength(1);
    // Allowed: the model, siblings, packages, and look-alikes in comments or strings.
    const ok = [
      "import { numberSetting } from '../../model/settings';",
      "import { MqttConnection } from '../mqtt/connection';",
      "import mqtt from 'mqtt';",
      "// import { x } from '../../runtime/define';",
      "const s = \"require('../../runtime/registry')\";",
      "import { x } from '../../runtimeish/define';",
    ];
    for (const line of ok) expect(violations('src/connectors/mqtt/x.ts', line), line).toEqual([]);
    // A file outside the five folders is not bound by these rules.
    expect(violations('src/runtime/x.ts', "import { x } from './define';")).toEqual([]);
  });

  it('the rules are the table in docs/architecture.md', () => {
    const doc = readFileSync(join(ROOT, 'docs/architecture.md'), 'utf8');
    const section = doc.slice(doc.indexOf('## Layers'));
    const table: Record<string, string[]> = {};
    for (const m of section.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)) table[m[1]!] = [...m[2]!.matchAll(/`([^`]+)`/g)].map((x) => x[1]!);
    expect(table).toEqual(RULES);
  });
});
