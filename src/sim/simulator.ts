import { makeSample, type TagSample } from '../model/sample';
import { parseFields } from '../model/fields';
import type { TypedSetting } from '../model/settings';
import type { NodeConfig } from '../model/node-red-types';
import { bottlingPlantSignals, type SignalGenerator, type SignalSpec } from './signals';
import { simulatorFields } from './simulator-fields';

/** Configuration and sample production of the plantwire-simulator node (no Node-RED needed). */
export { MIN_INTERVAL_MS } from './simulator-fields';

export interface SimulatorConfig extends NodeConfig {
  source: 'bottling' | 'custom';
  lines: number | string;
  signals: Array<Partial<SignalSpec>>;
  interval: number | string;
  output: 'each' | 'batch';
  asset: string;
  autostart: boolean;
  seed: number | string;
}

export interface SimulatorSettings {
  signals: SignalSpec[];
  interval: number;
  output: 'each' | 'batch';
  /** The fixed asset path (trimmed, no leading or trailing "/"). */
  asset: string;
  /** Where the asset path comes from: fixed, or read per round from msg/flow/global/env. */
  assetSource: TypedSetting;
  autostart: boolean;
  seed: number;
}

/** Validates and normalises the dialog's configuration by its field spec; throws a PlantwireError naming the field. */
export function simulatorSettings(config: Partial<SimulatorConfig>): SimulatorSettings {
  const f = parseFields(simulatorFields, config as Record<string, unknown>);
  const signals = f.source === 'custom' ? f.signals : bottlingPlantSignals(f.lines);
  const asset = typeof config.asset === 'string' ? config.asset.trim().replace(/^\/+|\/+$/g, '') : '';
  return { signals, interval: f.interval, output: f.output as 'each' | 'batch', asset, assetSource: f.asset, autostart: f.autostart, seed: f.seed };
}

/** Produces one round of samples from the generators at time `now`. */
export function sampleRound(generators: SignalGenerator[], now: number, asset: string): TagSample[] {
  const out: TagSample[] = new Array(generators.length);
  for (let i = 0; i < generators.length; i++) {
    const g = generators[i]!;
    out[i] = makeSample(g.spec.tag, g.next(now), { sourceTimestamp: now, unit: g.spec.unit, asset: asset || undefined });
  }
  return out;
}

