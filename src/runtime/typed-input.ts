/**
 * Typed inputs: a dialog field whose value comes from a fixed string, a message
 * property, flow or global context, or an environment variable, as Node-RED
 * users know from the change node (`typedInput` with `str`, `msg`, `flow`,
 * `global`, `env`). The node stores the field and its type (`<field>Type`);
 * the runtime evaluates it per message through Node-RED's own
 * `RED.util.evaluateNodeProperty` (context stores may be asynchronous).
 */
import { PlantwireError, toError } from '../model/errors';
import { describeTyped, type TypedSetting } from '../model/settings';
import type { NodeMessage, RedNode } from './types';

/** TYPED_SOURCES, TypedSource, TypedSetting, typedSetting, describeTyped moved to src/model/settings.ts; re-exported here. */
export { TYPED_SOURCES, describeTyped, typedSetting, type TypedSetting, type TypedSource } from '../model/settings';

type Evaluate = (value: string, type: string, node: RedNode, msg: NodeMessage, callback: (err: Error | null, result: unknown) => void) => void;

/** Evaluates a typed setting for one message. A fixed string needs no Node-RED at all. */
export function evaluateTyped(evaluate: Evaluate | undefined, s: TypedSetting, node: RedNode, msg: NodeMessage): Promise<unknown> {
  if (s.type === 'str') return Promise.resolve(s.value);
  if (!evaluate) return Promise.reject(new PlantwireError('unsupported', `cannot read ${describeTyped(s)}: this Node-RED has no RED.util.evaluateNodeProperty`, 'typed input unsupported'));
  return new Promise((resolve, reject) => {
    try {
      evaluate(s.value, s.type, node, msg, (err, result) => (err ? reject(toError(err)) : resolve(result)));
    } catch (err) {
      reject(toError(err));
    }
  });
}
