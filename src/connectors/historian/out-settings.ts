/** The `plantwire-historian-out` settings, validated without Node-RED. */
import type { BufferConfig } from '../../buffer/settings';
import { numberSetting } from '../../model/settings';

export interface HistorianOutConfig extends BufferConfig {
  id: string;
  type: string;
  name?: string;
  /** The plantwire-historian-db config node. */
  db?: string;
  /** Buffered messages per write (each message may hold many samples). */
  batchSize?: number | string;
  [key: string]: unknown;
}

export interface HistorianOutSettings {
  batchSize: number;
}

export function historianOutSettings(config: HistorianOutConfig): HistorianOutSettings {
  return { batchSize: numberSetting(config, 'batchSize', { default: 100, min: 1, max: 10_000, integer: true, label: 'batch size' }) };
}
