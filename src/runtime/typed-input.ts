/**
 * Typed inputs: a dialog field whose value comes from a fixed string, a message
 * property, flow or global context, or an environment variable, as Node-RED
 * users know from the change node (`typedInput` with `str`, `msg`, `flow`,
 * `global`, `env`). The node stores the field and its type (`<field>Type`);
 * the runtime evaluates it per message through Node-RED's own
 * `RED.util.evaluateNodeProperty` (context stores may be asynchronous).
 */
import { PlantwireError, toError } from '../model/errors';
import type { NodeMessage, RedNode } from './types';

export const TYPED_SOURCES = ['str', 'msg', 'flow', 'global', 'env'] as const;
export type TypedSource = (typeof TYPED_SOURCES)[number];

export interface TypedSetting {
  value: string;
  type: TypedSource;
}

/** Reads a typed field from the node's configuration; a missing type is `str` (flows saved before the field was typed). */
export function typedSetting(value: unknown, type: unknown, label: string): TypedSetting {
  const t = type === undefined || type === null || type === '' ? 'str' : type;
  if (!(TYPED_SOURCES as readonly unknown[]).includes(t)) throw new PlantwireError('bad-config', `${label}: unknown source type "${String(t)}"; use one of ${TYPED_SOURCES.join(', ')}`, `bad ${label} type`);
  const v = typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);
  if (t !== 'str' && v.trim() === '') throw new PlantwireError('bad-config', `${label}: name the ${t === 'env' ? 'environment variable' : `${t} property`} to read`, `${label}: property missing`);
  return { value: v, type: t as TypedSource };
}

/** What a typed setting refers to, for messages: `msg.site`, `flow.site`, `env SITE`. */
export function describeTyped(s: TypedSetting): string {
  if (s.type === 'str') return JSON.stringify(s.value);
  return s.type === 'env' ? `env ${s.value}` : `${s.type}.${s.value}`;
}

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
