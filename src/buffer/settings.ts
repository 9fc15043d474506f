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

/**
 * Each sink's buffer defaults, the one table: the runtime fills a missing or empty field from it, and each
 * sink's dialog shows the same values for a new node (test/unit/sink-buffer-defaults.test.ts reads the
 * editors' `defaults` literals and fails on a drift). What is not listed is BUFFER_DEFAULTS.
 */
export const SINK_BUFFER_DEFAULTS: Readonly<Record<string, Partial<BufferSettings>>> = {
  'plantwire-mqtt-out': {},
  'plantwire-historian-out': { mode: 'memory' },
  // Batch targets (S3, webhook) need one anyway; AWS/Azure may be set to off.
  'plantwire-cloud-out': { mode: 'memory' },
  // Mails always go through the retry queue (memory or disk: there is no unqueued mode).
  'plantwire-email-out': { mode: 'memory', maxEntries: 10_000 },
  // Documents matter: they wait on disk, and a full buffer refuses new ones (Catch) instead of dropping.
  'plantwire-erp-out': { mode: 'disk', overflow: 'reject' },
  // JetStream stores durably once it acknowledged; the buffer (memory or disk) bridges a NATS outage.
  'plantwire-nats-out': {},
};

/** The dialog's `buffer*` defaults of a sink type, as its editor declares them. */
export function bufferFieldDefaults(type: string): { bufferMode: BufferMode; bufferMaxEntries: number; bufferMaxMB: number; bufferOverflow: OverflowPolicy; bufferReplayRate: number } {
  const d = { ...BUFFER_DEFAULTS, ...SINK_BUFFER_DEFAULTS[type] };
  return { bufferMode: d.mode, bufferMaxEntries: d.maxEntries, bufferMaxMB: d.maxBytes / 1024 / 1024, bufferOverflow: d.overflow, bufferReplayRate: d.replayRate };
}

/** Parses the `buffer*` fields; missing or empty ones take `defaults` (a sink's row of SINK_BUFFER_DEFAULTS), then BUFFER_DEFAULTS. */
export function bufferSettings(config: BufferConfig, defaults: Partial<BufferSettings> = {}): BufferSettings {
  const d = { ...BUFFER_DEFAULTS, ...defaults };
  const mode = (config.bufferMode || d.mode) as BufferMode;
  if (mode !== 'off' && mode !== 'memory' && mode !== 'disk') throw new PlantwireError('bad-config', `buffer must be off, memory or disk, got ${JSON.stringify(config.bufferMode)}`, 'bad buffer mode');
  const overflow = (config.bufferOverflow || d.overflow) as OverflowPolicy;
  if (!OVERFLOW_POLICIES.includes(overflow)) throw new PlantwireError('bad-config', `buffer overflow policy must be one of ${OVERFLOW_POLICIES.join(', ')}, got ${JSON.stringify(config.bufferOverflow)}`, 'bad overflow policy');
  const c = config as Record<string, unknown>;
  const maxEntries = numberSetting(c, 'bufferMaxEntries', { default: d.maxEntries, ...BUFFER_LIMITS.maxEntries, integer: true, label: 'buffer max entries' });
  const mb = numberSetting(c, 'bufferMaxMB', { default: d.maxBytes / 1024 / 1024, ...BUFFER_LIMITS.maxMB, label: 'buffer max size (MiB)' });
  const replayRate = numberSetting(c, 'bufferReplayRate', { default: d.replayRate, ...BUFFER_LIMITS.replayRate, integer: true, label: 'replay rate (msg/s)' });
  return { mode, maxEntries, maxBytes: Math.round(mb * 1024 * 1024), overflow, replayRate };
}
