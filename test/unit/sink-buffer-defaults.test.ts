/**
 * One source of truth for the sinks' buffer defaults: SINK_BUFFER_DEFAULTS
 * (src/buffer/settings.ts). The runtime parses a missing field from it, and
 * each sink's dialog must declare the same values in its `defaults` literal
 * (read here from nodes/<type>/editor.ts, or from nodes/<type>/fields.ts for a
 * node on the field spec, whose defaults the build writes into the literal): a drift such as cloud-out's former
 * `memory` in the editor and `off` in the runtime fails this test.
 */
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bufferFieldDefaults, bufferSettings, SINK_BUFFER_DEFAULTS } from '../../src/buffer/settings';

const SINKS = ['plantwire-mqtt-out', 'plantwire-historian-out', 'plantwire-cloud-out', 'plantwire-email-out', 'plantwire-erp-out', 'plantwire-nats-out'];
const FIELDS = ['bufferMode', 'bufferMaxEntries', 'bufferMaxMB', 'bufferOverflow', 'bufferReplayRate'] as const;

/** The `value` of a field in the editor's defaults literal (`name: { value: … }`). */
function editorDefault(source: string, field: string): unknown {
  const m = new RegExp(`\\b${field}:\\s*\\{\\s*value:\\s*('([^']*)'|[0-9_.]+)`).exec(source);
  if (!m) return undefined;
  return m[2] !== undefined ? m[2] : Number(m[1]!.replace(/_/g, ''));
}

describe('sink buffer defaults: the runtime and every dialog read one table', () => {
  it('lists every sink', () => {
    expect(Object.keys(SINK_BUFFER_DEFAULTS).sort()).toEqual([...SINKS].sort());
  });

  for (const type of SINKS) {
    it(`${type}: the dialog's defaults are the table's`, async () => {
      const dir = path.join(__dirname, '..', '..', 'nodes', type);
      const want = bufferFieldDefaults(type);
      let got: Record<string, unknown>;
      if (fs.existsSync(path.join(dir, 'fields.ts'))) {
        // A node on the field spec: the build writes the spec's defaults into the dialog's literal.
        const { spec } = (await import(path.join(dir, 'fields.ts'))) as { spec: { fields: Record<string, { default: unknown }> } };
        got = Object.fromEntries(FIELDS.map((f) => [f, spec.fields[f]?.default]));
      } else {
        const source = fs.readFileSync(path.join(dir, 'editor.ts'), 'utf8');
        got = Object.fromEntries(FIELDS.map((f) => [f, editorDefault(source, f)]));
      }
      expect(got).toEqual(want);
    });

    it(`${type}: the runtime fills a missing or empty field from the same table`, () => {
      const want = bufferFieldDefaults(type);
      for (const config of [{}, { bufferMode: '', bufferOverflow: '', bufferMaxEntries: '', bufferMaxMB: '', bufferReplayRate: '' }]) {
        const s = bufferSettings(config, SINK_BUFFER_DEFAULTS[type]);
        expect({ bufferMode: s.mode, bufferMaxEntries: s.maxEntries, bufferMaxMB: s.maxBytes / 1024 / 1024, bufferOverflow: s.overflow, bufferReplayRate: s.replayRate }).toEqual(want);
      }
    });
  }

  it('the values differ where the sinks need it: email keeps 10,000 mails, erp waits on disk and rejects when full', () => {
    expect(bufferFieldDefaults('plantwire-email-out')).toMatchObject({ bufferMode: 'memory', bufferMaxEntries: 10_000 });
    expect(bufferFieldDefaults('plantwire-erp-out')).toMatchObject({ bufferMode: 'disk', bufferOverflow: 'reject' });
    expect(bufferFieldDefaults('plantwire-cloud-out').bufferMode).toBe('memory');
    expect(bufferFieldDefaults('plantwire-mqtt-out').bufferMode).toBe('off');
  });
});
