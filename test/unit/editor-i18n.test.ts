/**
 * Dialog placeholders in the reader's language: a placeholder made of words
 * ("Idle, Maintenance", "tag name (optional)") comes from the node's catalogue
 * (data-i18n="[placeholder]…" in editor.html, a `_()` call in editor.ts), so a
 * German dialog shows German examples. Placeholders that are values of a
 * format (a URL, a topic, a NodeId, a CSV header, one identifier) stay literal.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/host/index';

const TYPES = fs.readdirSync(path.join(PACKAGE_ROOT, 'nodes')).filter((t) => fs.existsSync(path.join(PACKAGE_ROOT, 'nodes', t, 'runtime.ts')));

/** Two words of letters separated by blanks (a comma may follow the first): prose, not a value. */
export function isProse(placeholder: string): boolean {
  return /(^|[\s(])[A-Za-z]{3,},?\s+\(?[A-Za-z]{2,}\b/.test(placeholder.replace(/&lt;|&gt;/g, ' '));
}

describe('dialog placeholders go through the catalogue', () => {
  it('tells prose from values', () => {
    for (const p of ['Idle, Maintenance', 'tag name (optional)', 'Plant alarms &lt;alarms@example.com&gt;', 'Break, No order']) expect(isProse(p), p).toBe(true);
    for (const p of ['Line1/Filler/State', 'ns=2;s=Line1/Speed', 'https://example.com/ingest', 'tag,address,function,dataType', 'ProdnOrdConf2 · maintenance.request · orders/{key}', 'Bearer …', 'ts  |  msg.time', '{"X-Plant": "Berlin"}']) {
      expect(isProse(p), p).toBe(false);
    }
  });

  it.each(TYPES)('%s: no literal placeholder in words in editor.html or editor.ts', (type) => {
    const dir = path.join(PACKAGE_ROOT, 'nodes', type);
    const html = fs.readFileSync(path.join(dir, 'editor.html'), 'utf8');
    const ts = fs.readFileSync(path.join(dir, 'editor.ts'), 'utf8');
    const literal = [...html.matchAll(/\splaceholder=(["'])(.*?)\1/g), ...ts.matchAll(/\bplaceholder:\s*(['"])(.*?)\1/g)].map((m) => m[2]!);
    expect(literal.filter(isProse)).toEqual([]);
  });
});
