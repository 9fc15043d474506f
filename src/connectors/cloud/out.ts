/**
 * plantwire-cloud-out without Node-RED: its settings, and how one input
 * message (tag samples) becomes cloud records — the topic from the template
 * (MQTT targets), the message properties with placeholders (Azure), the asset.
 */
import { templateProblems, templateTopic } from '../mqtt/uns';
import { typedSetting, type TypedSetting } from '../../model/settings';
import { PlantwireError } from '../../model/errors';
import { parseFields } from '../../model/fields';
import { cloudOutFields } from './out-fields';
import { toSamples, type TagSample } from '../../model/sample';
import type { CloudKind, CloudRecord } from './types';

export interface CloudOutConfig {
  topic?: string;
  topicType?: string;
  properties?: string;
}

export interface CloudOutSettings {
  /** Topic template (AWS IoT): {asset}, {tag}, {topic}, {enterprise} … {cell}. */
  topic: string;
  /** Where the topic template comes from: fixed (`topic`), or read per message from msg/flow/global/env (evaluate it, then `typedTemplate`). */
  topicSource: TypedSetting;
  /** Message properties (Azure property bag; values may hold {tag}, {asset}, {quality}, {unit}). */
  properties: Record<string, string>;
}

/** A record before it has its buffer key and timestamp. */
export type CloudRecordBody = Omit<CloudRecord, 'key' | 'ts'>;

const PROP_PLACEHOLDERS = ['tag', 'asset', 'quality', 'unit', 'topic'];

export function cloudOutSettings(config: CloudOutConfig, kind: CloudKind | null): CloudOutSettings {
  const topicSource = typedSetting(config.topic, config.topicType, 'topic template');
  const topic = topicSource.type === 'str' ? (config.topic ?? '').trim() || '{asset}/{tag}' : '';
  if (kind === 'aws-iot' && topicSource.type === 'str') {
    const problems = templateProblems(topic);
    if (problems.length) throw new PlantwireError('bad-config', problems.join('; '), 'bad topic template');
  }
  const properties: Record<string, string> = {};
  const raw = (config.properties ?? '').trim();
  if (raw) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (err) {
      throw new PlantwireError('bad-config', `message properties must be a JSON object like {"line": "{asset}", "source": "plantwire"}: ${(err as Error).message}`, 'properties: not JSON');
    }
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new PlantwireError('bad-config', 'message properties must be a JSON object like {"line": "{asset}"}', 'properties: not an object');
    for (const [k, v] of Object.entries(parsed)) {
      if (!['string', 'number', 'boolean'].includes(typeof v)) throw new PlantwireError('bad-config', `message property "${k}" must be text, a number or true/false, got ${JSON.stringify(v)}`, `property ${k}: not a value`);
      if (k.startsWith('$')) throw new PlantwireError('bad-config', `message property "${k}": names starting with $ are Azure system properties (set by the node)`, `property ${k}: reserved`);
      const value = String(v);
      for (const m of value.matchAll(/\{([a-zA-Z]+)\}/g)) {
        if (!PROP_PLACEHOLDERS.includes(m[1]!)) throw new PlantwireError('bad-config', `message property "${k}": unknown placeholder {${m[1]}}; use {tag}, {asset}, {quality}, {unit} or {topic}`, `property ${k}: unknown {${m[1]}}`);
      }
      properties[k] = value;
    }
  }
  // The rest of the dialog's rules (./out-fields.ts), after the checks above that name each problem; an empty fixed topic is the default one.
  parseFields(cloudOutFields, { ...(config as Record<string, unknown>), ...(topicSource.type === 'str' ? { topic } : {}) });
  return { topic, topicSource, properties };
}

function fillProperties(props: Record<string, string>, sample: TagSample, msgProps: Record<string, string>, msgTopic: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(props)) {
    out[k] = v.replace(/\{([a-zA-Z]+)\}/g, (_w, name: string) => {
      if (name === 'tag') return sample.tag;
      if (name === 'asset') return sample.asset ?? '';
      if (name === 'quality') return sample.quality;
      if (name === 'unit') return sample.unit ?? '';
      return msgTopic ?? '';
    });
  }
  return { ...out, ...msgProps };
}

/** msg.properties: an object of text/number/boolean values, added to every record of the message. */
function messageProperties(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new PlantwireError('bad-input', `msg.properties must be an object of text values, got ${Array.isArray(value) ? 'an array' : typeof value}`, 'msg.properties: not an object');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value)) {
    if (!['string', 'number', 'boolean'].includes(typeof v)) throw new PlantwireError('bad-input', `msg.properties.${k} must be text, a number or true/false, got ${JSON.stringify(v)}`, `msg.properties.${k}: not a value`);
    if (k.startsWith('$')) throw new PlantwireError('bad-input', `msg.properties.${k}: names starting with $ are reserved for Azure system properties`, `msg.properties.${k}: reserved`);
    out[k] = String(v);
  }
  return out;
}

/**
 * The records of one message: one per tag sample. Every topic is rendered
 * first, so a bad sample rejects the whole message (nothing half-sent).
 */
export function toCloudRecords(msg: { payload?: unknown; topic?: unknown; properties?: unknown }, settings: CloudOutSettings, kind: CloudKind | null, defaultAsset?: string): CloudRecordBody[] {
  const msgTopic = typeof msg.topic === 'string' && msg.topic !== '' ? msg.topic : undefined;
  const samples = toSamples(msg.payload, msgTopic ? { tag: msgTopic } : {});
  const msgProps = messageProperties(msg.properties);
  const ctx: { defaultAsset?: string; msgTopic?: string } = {};
  if (defaultAsset) ctx.defaultAsset = defaultAsset;
  if (msgTopic) ctx.msgTopic = msgTopic;
  return samples.map((s) => {
    const r: CloudRecordBody = { body: s };
    if (kind === 'aws-iot') r.topic = templateTopic(settings.topic, s, ctx);
    const asset = s.asset ?? defaultAsset;
    if (asset) r.asset = asset;
    const props = fillProperties(settings.properties, s, msgProps, msgTopic);
    if (Object.keys(props).length) r.properties = props;
    return r;
  });
}

/**
 * Finishes a batch's buffer entries as the target confirms its parts (an S3 object, a PUBACK), so that entries whose
 * parts landed are not sent again when the attempt is cut short (timeout, redeploy) — with S3 the object of a
 * finished part is not PUT a second time, with AWS IoT the record not published twice. A part is the record keys it
 * held. An entry is finished once all its records are confirmed and every part holding one of them holds only
 * finished entries: a retry then forms the same objects from the rest (an object's key comes from its first record),
 * and no record lands in a second object.
 */
export function partSettler(entries: Array<{ id: number; keys: string[] }>, settle: (ids: number[]) => void): (keys: string[]) => void {
  const owner = new Map<string, number>();
  const open = new Map<number, Set<string>>();
  for (const e of entries) {
    open.set(e.id, new Set(e.keys));
    for (const k of e.keys) owner.set(k, e.id);
  }
  const parts: Array<Set<number>> = [];
  const done = new Set<number>();
  return (keys) => {
    const part = new Set<number>();
    for (const k of keys) {
      const id = owner.get(k);
      if (id === undefined) continue;
      open.get(id)?.delete(k);
      part.add(id);
    }
    parts.push(part);
    const ready = new Set([...open].filter(([id, left]) => left.size === 0 && !done.has(id)).map(([id]) => id));
    // A part that holds an entry not finished keeps its other entries back (until that entry's other parts land).
    for (let changed = true; changed; ) {
      changed = false;
      for (const p of parts) {
        if ([...p].some((id) => !done.has(id) && !ready.has(id))) {
          for (const id of p) changed = ready.delete(id) || changed;
        }
      }
    }
    const ids = entries.map((e) => e.id).filter((id) => ready.has(id));
    if (!ids.length) return;
    ids.forEach((id) => done.add(id));
    settle(ids);
  };
}
