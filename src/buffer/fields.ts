/**
 * The durable-buffer fields every sink's dialog shows (nodes/editor/buffer.ts),
 * as field specs (src/model/fields.ts): a sink's fields.ts spreads
 * `bufferFields(mode)` in, so the dialog, `bufferSettings` and the help use
 * the same limits and defaults. `mode` is the sink's default buffer mode.
 */
import type { FieldSpec } from '../model/fields';

export const BUFFER_LIMITS = {
  maxEntries: { min: 1, max: 100_000_000 },
  maxMB: { min: 0.001, max: 1_000_000 },
  replayRate: { min: 0, max: 10_000_000 },
} as const;

export function bufferFields(mode: 'off' | 'memory' | 'disk', maxEntries = 100_000, overflow: 'drop-oldest' | 'drop-newest' | 'reject' = 'drop-oldest'): Record<'bufferMode' | 'bufferMaxEntries' | 'bufferMaxMB' | 'bufferOverflow' | 'bufferReplayRate', FieldSpec> {
  return {
    bufferMode: { kind: 'enum', default: mode, options: ['off', 'memory', 'disk'], label: 'buffer', labelKey: 'buffer.mode' },
    bufferMaxEntries: { kind: 'number', default: maxEntries, ...BUFFER_LIMITS.maxEntries, integer: true, label: 'buffer max entries', labelKey: 'buffer.limits' },
    bufferMaxMB: { kind: 'number', default: 64, ...BUFFER_LIMITS.maxMB, unit: 'MiB', label: 'buffer max size (MiB)', labelKey: 'buffer.limits' },
    bufferOverflow: { kind: 'enum', default: overflow, options: ['drop-oldest', 'drop-newest', 'reject'], label: 'buffer overflow policy', labelKey: 'buffer.overflow' },
    bufferReplayRate: { kind: 'number', default: 0, ...BUFFER_LIMITS.replayRate, integer: true, unit: 'msg/s', label: 'replay rate (msg/s)', labelKey: 'buffer.replayRate' },
  };
}
