/**
 * Every buffered sink of the runtime, for the metrics admin route
 * (`GET /plantwire/buffer/metrics`, `GET /plantwire/buffer/:id`).
 */
import type { ForwarderState } from './forwarder';

export interface BufferInfo {
  id: string;
  type: string;
  name: string;
  mode: 'memory' | 'disk';
  file: string | null;
  state(): ForwarderState;
}

const KEY = Symbol.for('plantwire.buffers');
function registry(): Map<string, BufferInfo> {
  const g = globalThis as unknown as { [KEY]?: Map<string, BufferInfo> };
  g[KEY] ??= new Map();
  return g[KEY];
}

export function registerBuffer(info: BufferInfo): void {
  registry().set(info.id, info);
}

export function unregisterBuffer(id: string, info?: BufferInfo): void {
  if (!info || registry().get(id) === info) registry().delete(id);
}

export interface BufferMetricsRow {
  id: string;
  type: string;
  name: string;
  mode: 'memory' | 'disk';
  state: string;
  reason: string;
  depth: number;
  bytes: number;
  oldestAgeMs: number | null;
  dropped: number;
  delivered: number;
  deadLettered: number;
  rate: number;
}

export function bufferMetrics(info: BufferInfo): BufferMetricsRow {
  const s = info.state();
  return { id: info.id, type: info.type, name: info.name, mode: info.mode, state: s.phase, reason: s.reason, depth: s.depth, bytes: s.bytes, oldestAgeMs: s.oldestAgeMs, dropped: s.dropped, delivered: s.delivered, deadLettered: s.deadLettered, rate: s.rate };
}

export function allBufferMetrics(): BufferMetricsRow[] {
  return [...registry().values()].map(bufferMetrics);
}

export function bufferInfo(id: string): BufferInfo | undefined {
  return registry().get(id);
}
