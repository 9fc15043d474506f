/**
 * The settings of plantwire-simulator as a field spec (src/model/fields.ts),
 * declared once: the dialog's defaults and validators, the checks at deploy
 * (simulatorSettings in ./simulator.ts parses by it) and the help's settings
 * table. Pure: bundled into the dialog.
 */
import { PlantwireError } from '../model/errors';
import { defineFields, mustBeOneOf } from '../model/fields';
import { numberSetting } from '../model/settings';
import { signalProblems, type SignalSpec } from './signals';

export const MIN_INTERVAL_MS = 50;

/** The custom signal list: at least one signal, each valid, no tag twice. */
export function customSignals(list: unknown): SignalSpec[] {
  if (!Array.isArray(list) || list.length === 0) throw new PlantwireError('bad-config', 'custom signals: add at least one signal to the list', 'no signals configured');
  const problems = (list as Array<Partial<SignalSpec>>).flatMap((s, i) => signalProblems(s, `signal ${i + 1}`));
  if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
  const seen = new Set<string>();
  for (const s of list as Array<Partial<SignalSpec>>) {
    if (seen.has(s.tag as string)) throw new PlantwireError('bad-config', `custom signals: tag "${String(s.tag)}" is listed twice`, 'duplicate tag');
    seen.add(s.tag as string);
  }
  return list as SignalSpec[];
}

export const simulatorFields = defineFields('plantwire-simulator', 2, {
  source: { kind: 'enum', default: 'bottling', options: ['bottling', 'custom'], required: true, label: 'source', explain: mustBeOneOf(['bottling', 'custom']) },
  lines: { kind: 'number', default: 2, min: 1, max: 50, integer: true, label: 'lines', message: 'lines', when: (c) => c.source === 'bottling' },
  signals: { kind: 'value', default: [] as unknown[], label: 'custom signals', message: 'signals', hidden: true, when: (c) => c.source === 'custom', parse: customSignals },
  // Required in the dialog; a node saved without one (a flow written by hand) polls every second.
  interval: {
    kind: 'number', default: 1000, required: true, min: MIN_INTERVAL_MS, max: 86_400_000, unit: 'ms', label: 'interval (ms)', message: 'interval',
    parse: (v) => numberSetting({ interval: v }, 'interval', { min: MIN_INTERVAL_MS, max: 86_400_000, label: 'interval (ms)', default: 1000 }),
  },
  output: { kind: 'enum', default: 'each', options: ['each', 'batch'], required: true, label: 'output', explain: mustBeOneOf(['each', 'batch']), status: 'bad output mode' },
  // Version 2: fixed, or read from msg (the command message) / flow / global / env for each round.
  asset: { kind: 'typed', default: '', label: 'asset path' },
  autostart: { kind: 'boolean', default: true, label: 'start on deploy' },
  seed: { kind: 'number', default: 1, integer: true, label: 'seed' },
});
