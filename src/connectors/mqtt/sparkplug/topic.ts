import { PlantwireError } from '../../../model/errors';

/** Sparkplug B topic namespace (spec 3.0 §4.1): `spBv1.0/<group>/<type>/<edge node>[/<device>]`. */
export const NAMESPACE = 'spBv1.0';

export const MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'DBIRTH', 'DDEATH', 'NDATA', 'DDATA', 'NCMD', 'DCMD'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export interface SparkplugTopic {
  group: string;
  type: MessageType;
  edgeNode: string;
  device?: string;
}

export interface StateTopic {
  type: 'STATE';
  hostId: string;
}

/** Parses a Sparkplug topic; undefined when it is not one (or a malformed one). */
export function parseSparkplugTopic(topic: string): SparkplugTopic | StateTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== NAMESPACE) return undefined;
  if (parts[1] === 'STATE' && parts.length === 3 && parts[2]) return { type: 'STATE', hostId: parts[2] };
  if (parts.length < 4 || parts.length > 5) return undefined;
  const [, group, type, edgeNode, device] = parts;
  if (!group || !edgeNode || !MESSAGE_TYPES.includes(type as MessageType)) return undefined;
  const isDevice = type!.startsWith('D');
  if (isDevice !== (device !== undefined)) return undefined;
  if (device === '') return undefined;
  const t: SparkplugTopic = { group, type: type as MessageType, edgeNode };
  if (device !== undefined) t.device = device;
  return t;
}

export function sparkplugTopic(group: string, type: MessageType, edgeNode: string, device?: string): string {
  return `${NAMESPACE}/${group}/${type}/${edgeNode}${device !== undefined ? `/${device}` : ''}`;
}

export function stateTopic(hostId: string): string {
  return `${NAMESPACE}/STATE/${hostId}`;
}

/** Group, edge node, device and host ids are single topic levels: no `/ + #`, not empty. */
export function sparkplugIdProblems(value: unknown, label: string, optional = false): string[] {
  if (value === undefined || value === null || value === '') return optional ? [] : [`${label} is empty: set it`];
  if (typeof value !== 'string') return [`${label} must be text, got ${JSON.stringify(value)}`];
  if (/[/+#]/.test(value)) return [`${label} "${value}" must not contain /, + or #`];
  return [];
}

/**
 * An optional Sparkplug id from a node's settings (a group to subscribe to, a
 * host id), trimmed; '' when empty; a `bad-config` error naming it when it has
 * /, + or #. Pure: a field spec's parser (dialog and deploy).
 */
export function readSparkplugId(value: unknown, label: string): string {
  const id = value === undefined || value === null ? '' : String(value).trim();
  const problems = sparkplugIdProblems(id, label, true);
  if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), problems[0]);
  return id;
}
