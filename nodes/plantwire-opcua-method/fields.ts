// The settings of plantwire-opcua-method, declared once: the dialog's defaults and
// validators, the runtime's check at deploy and the help's settings table come from here.
import { PlantwireError } from '../../src/model/errors';
import { defineFields } from '../../src/model/fields';
import { describe } from '../../src/model/sample';

/** The default arguments: JSON text (an array in order, or an object by argument name); empty: none. */
export function parseArgs(text: unknown): unknown {
  if (text === undefined || text === null || (typeof text === 'string' && text.trim() === '')) return undefined;
  if (typeof text !== 'string') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new PlantwireError('bad-config', `default arguments must be JSON (an array in order or an object by argument name), got ${describe(text)}: ${(err as Error).message}`, 'arguments are not JSON');
  }
}

export const spec = defineFields('plantwire-opcua-method', 1, {
  endpoint: { kind: 'config', default: '', configType: 'plantwire-opcua-endpoint', required: true, label: 'endpoint' },
  // NodeIds or browse paths, resolved by tagSpec at deploy (src/connectors/opcua/tags.ts).
  objectId: { kind: 'string', default: '', required: true, label: 'object (NodeId or browse path)' },
  methodId: { kind: 'string', default: '', required: true, label: 'method (NodeId or browse path)' },
  args: { kind: 'string', default: '', label: 'default arguments', message: 'args', parse: parseArgs },
});
