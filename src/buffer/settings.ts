/** The buffer settings every sink's dialog shares (fields `buffer*`), validated without Node-RED. */
import { PlantwireError } from '../model/errors';
import { numberSetting } from '../model/settings';
import { BUFFER_LIMITS } from './fields';
import { OVERFLOW_POLICIES, type BufferMode, type OverflowPolicy } from './queue';

export interface BufferConfig {
  bufferMode?: string;
  bufferMaxEntries?: number | string;
  /** MiB */
  bufferMaxMB?: number | string;
  bufferOverflow?: string;
  /** entries/s while replaying; 0 = unlimited */
  bufferReplayRate?: number | string;
}

export interface BufferSettings {
  mode: BufferMode;
  maxEntries: number;
  maxBytes: number;
  overflow: OverflowPolicy;
  replayRate: number;
}

export const BUFFER_DEFAULTS: BufferSettings = { mode: 'off', maxEntries: 100_000, maxBytes: 64 * 1024 * 1024, overflow: 'drop-oldest', replayRate: 0 };

export function bufferSettings(config: BufferConfig): BufferSettings {
  const mode = (config.bufferMode || 'off') as BufferMode;
  if (mode !== 'off' && mode !== 'memory' && mode !== 'disk') throw new PlantwireError('bad-config', `buffer must be off, memory or disk, got ${JSON.stringify(config.bufferMode)}`, 'bad buffer mode');
  const overflow = (config.bufferOverflow || 'drop-oldest') as OverflowPolicy;
  if (!OVERFLOW_POLICIES.includes(overflow)) throw new PlantwireError('bad-config', `buffer overflow policy must be one of ${OVERFLOW_POLICIES.join(', ')}, got ${JSON.stringify(config.bufferOverflow)}`, 'bad overflow policy');
  const c = config as Record<string, unknown>;
  const maxEntries = numberSetting(c, 'bufferMaxEntries', { default: BUFFER_DEFAULTS.maxEntries, ...BUFFER_LIMITS.maxEntries, integer: true, label: 'buffer max entries' });
  const mb = numberSetting(c, 'bufferMaxMB', { default: BUFFER_DEFAULTS.maxBytes / 1024 / 1024, ...BUFFER_LIMITS.maxMB, label: 'buffer max size (MiB)' });
  const replayRate = numberSetting(c, 'bufferReplayRate', { default: 0, ...BUFFER_LIMITS.replayRate, integer: true, label: 'replay rate (msg/s)' });
  return { mode, maxEntries, maxBytes: Math.round(mb * 1024 * 1024), overflow, replayRate };
}
