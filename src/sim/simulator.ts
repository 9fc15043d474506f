import { PlantwireError } from '../model/errors';
import { makeSample, type TagSample } from '../model/sample';
import { numberSetting } from '../model/settings';
import type { NodeConfig } from '../model/node-red-types';
import { bottlingPlantSignals, signalProblems, type SignalGenerator, type SignalSpec } from './signals';

/** Configuration and sample production of the plantwire-simulator node (no Node-RED needed). */
export const MIN_INTERVAL_MS = 50;

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
  asset: string;
  autostart: boolean;
  seed: number;
}

/** Validates and normalises the dialog's configuration; throws a PlantwireError naming the field. */
export function simulatorSettings(config: Partial<SimulatorConfig>): SimulatorSettings {
  const interval = numberSetting(config, 'interval', { min: MIN_INTERVAL_MS, max: 86_400_000, label: 'interval (ms)', default: 1000 });
  const seed = numberSetting(config, 'seed', { integer: true, default: 1, label: 'seed' });
  const output = config.output ?? 'each';
  if (output !== 'each' && output !== 'batch') throw new PlantwireError('bad-config', `output must be "each" or "batch", got ${JSON.stringify(output)}`, 'bad output mode');
  let signals: SignalSpec[];
  if ((config.source ?? 'bottling') === 'bottling') {
    const lines = numberSetting(config, 'lines', { min: 1, max: 50, integer: true, default: 2, label: 'lines' });
    signals = bottlingPlantSignals(lines);
  } else if (config.source === 'custom') {
    const list = config.signals;
    if (!Array.isArray(list) || list.length === 0) throw new PlantwireError('bad-config', 'custom signals: add at least one signal to the list', 'no signals configured');
    const problems = list.flatMap((s, i) => signalProblems(s, `signal ${i + 1}`));
    if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
    const seen = new Set<string>();
    for (const s of list) {
      if (seen.has(s.tag as string)) throw new PlantwireError('bad-config', `custom signals: tag "${String(s.tag)}" is listed twice`, 'duplicate tag');
      seen.add(s.tag as string);
    }
    signals = list as SignalSpec[];
  } else {
    throw new PlantwireError('bad-config', `source must be "bottling" or "custom", got ${JSON.stringify(config.source)}`, 'bad source');
  }
  const asset = typeof config.asset === 'string' ? config.asset.trim().replace(/^\/+|\/+$/g, '') : '';
  return { signals, interval, output, asset, autostart: config.autostart !== false, seed };
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

