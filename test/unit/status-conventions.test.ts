/**
 * Status conventions shared by all nodes: green dot = connected/delivering,
 * yellow ring = connecting/buffering, red ring = failed. The mapping lives only
 * in src/model/status.ts (re-exported by src/runtime/status.ts): no node runtime and no other src/ file builds a
 * Node-RED status object ({fill, shape}) itself.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';
import { statusObject } from '../../src/runtime/status';

function tsFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return tsFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

const pkg = JSON.parse(fs.readFileSync(path.join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { 'node-red': { nodes: Record<string, string> } };
const STATUS_MODULE = path.join(PACKAGE_ROOT, 'src', 'model', 'status.ts');

describe('status conventions', () => {
  it('maps states to the shared looks', () => {
    expect(statusObject('ok', 'connected')).toEqual({ fill: 'green', shape: 'dot', text: 'connected' });
    expect(statusObject('busy', 'connecting')).toEqual({ fill: 'yellow', shape: 'ring', text: 'connecting' });
    expect(statusObject('error', 'failed')).toEqual({ fill: 'red', shape: 'ring', text: 'failed' });
  });

  it('keeps status texts short (one line, at most 48 characters)', () => {
    const s = statusObject('error', 'connection refused by 127.0.0.1:4840:\n  check that the OPC UA server is running and the port is right');
    expect(s.text).not.toMatch(/\n/);
    expect((s.text ?? '').length).toBeLessThanOrEqual(48);
  });

  it('every node runtime sets its status through src/runtime/status.ts, none builds {fill, shape} itself', () => {
    const files = [...Object.keys(pkg['node-red'].nodes).map((t) => path.join(PACKAGE_ROOT, 'nodes', t, 'runtime.ts')), ...tsFiles(path.join(PACKAGE_ROOT, 'src'))].filter((f) => f !== STATUS_MODULE);
    expect(files.length).toBeGreaterThan(10);
    const offenders: string[] = [];
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const rel = path.relative(PACKAGE_ROOT, file);
      // A direct Node-RED status call: node.status({...}) / this.status({...}) with a look of its own.
      if (/\.status\(\s*\{\s*[^}]*\b(fill|shape)\s*:/.test(text)) offenders.push(`${rel}: calls .status({fill/shape}) directly`);
      // A status object literal built outside status.ts.
      if (/\bfill\s*:\s*['"](red|green|yellow|grey|blue)['"]/.test(text)) offenders.push(`${rel}: builds a status look (fill: ...)`);
    }
    expect(offenders, offenders.join('\n')).toEqual([]);
  });

  it('node runtimes use the shared states only (no raw colours)', () => {
    for (const type of Object.keys(pkg['node-red'].nodes)) {
      const text = fs.readFileSync(path.join(PACKAGE_ROOT, 'nodes', type, 'runtime.ts'), 'utf8');
      for (const m of text.matchAll(/setStatus\(\s*[\w.]+\s*,\s*'([^']+)'/g)) expect(['ok', 'busy', 'error', 'idle', 'info'], `${type}: setStatus state "${m[1]}"`).toContain(m[1]);
    }
  });
});
