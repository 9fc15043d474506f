/**
 * Unified Namespace publishing: the topic of a tag sample, built from its
 * ISA-95 asset path (`enterprise/site/area/line[/cell]`) and tag, or from a
 * topic template; and the payload in one of three shapes.
 */
import { PlantwireError } from '../../model/errors';
import type { TagSample } from '../../model/sample';
import { topicNameProblems } from './topic';
import { describeTyped, typedText, type TypedSetting } from '../../model/settings';

export type UnsPayload = 'sample' | 'compact' | 'value';
export const UNS_PAYLOADS: readonly UnsPayload[] = ['sample', 'compact', 'value'];

export const ISA95_LEVELS = ['enterprise', 'site', 'area', 'line', 'cell'] as const;

export interface TopicContext {
  /** Asset path used when a sample has none. */
  defaultAsset?: string;
  /** msg.topic of the incoming message (for `{topic}`). */
  msgTopic?: string;
}

function clean(path: string): string {
  return path.trim().replace(/^\/+|\/+$/g, '');
}

function checked(topic: string, sample: TagSample): string {
  if (topic.split('/').some((l) => l === '')) {
    throw new PlantwireError('bad-topic', `tag "${sample.tag}": topic "${topic}" has an empty level (check the asset path and the tag for "//" or a leading/trailing "/")`, 'topic has an empty level');
  }
  const problems = topicNameProblems(topic);
  if (problems.length) throw new PlantwireError('bad-topic', `tag "${sample.tag}": ${problems.join('; ')}`, 'bad topic for tag');
  return topic;
}

/** `asset/tag`: the UNS topic of a sample. */
export function unsTopic(sample: TagSample, ctx: TopicContext = {}): string {
  const asset = clean(sample.asset ?? '') || clean(ctx.defaultAsset ?? '');
  if (!asset) {
    throw new PlantwireError(
      'missing-asset',
      `tag "${sample.tag}" has no asset path, so its Unified Namespace topic (enterprise/site/area/line/tag) is unknown: set payload.asset or the node's default asset path`,
      'sample has no asset path',
    );
  }
  return checked(`${asset}/${clean(sample.tag)}`, sample);
}

/**
 * Fills a topic template: `{asset}`, `{tag}`, `{topic}` (msg.topic) and the
 * asset levels `{enterprise}`, `{site}`, `{area}`, `{line}`, `{cell}`.
 */
export function templateTopic(template: string, sample: TagSample, ctx: TopicContext = {}): string {
  return checked(fillTemplate(template, sample, ctx), sample);
}

/**
 * Fills the placeholders of a topic template (unchecked). `path` maps each
 * filled-in value (a `/`-separated path such as the asset or the tag) to the
 * target's form: unchanged for MQTT, `.`-separated tokens for NATS subjects.
 */
export function fillTemplate(template: string, sample: TagSample, ctx: TopicContext = {}, path: (value: string) => string = (v) => v): string {
  const asset = clean(sample.asset ?? '') || clean(ctx.defaultAsset ?? '');
  const levels = asset ? asset.split('/') : [];
  const topic = template.replace(/\{([a-zA-Z]+)\}/g, (whole, name: string) => {
    if (name === 'tag') return path(clean(sample.tag));
    if (name === 'asset') {
      if (!asset) throw new PlantwireError('missing-asset', `tag "${sample.tag}": the topic template uses {asset} but the sample has no asset path: set payload.asset or the node's default asset path`, 'sample has no asset path');
      return path(asset);
    }
    if (name === 'topic') {
      if (!ctx.msgTopic) throw new PlantwireError('missing-topic', `tag "${sample.tag}": the topic template uses {topic} but msg.topic is empty`, 'msg.topic is empty');
      return path(ctx.msgTopic);
    }
    const i = (ISA95_LEVELS as readonly string[]).indexOf(name);
    if (i >= 0) {
      const v = levels[i];
      if (!v) throw new PlantwireError('missing-asset', `tag "${sample.tag}": the topic template uses {${name}} but the asset path "${asset}" has no ${name} level (level ${i + 1})`, `asset has no ${name} level`);
      return path(v);
    }
    return whole;
  });
  const unknown = /\{([a-zA-Z]+)\}/.exec(topic);
  if (unknown) throw new PlantwireError('bad-config', `topic template: unknown placeholder {${unknown[1]}}; use {asset}, {tag}, {topic}, {enterprise}, {site}, {area}, {line} or {cell}`, `unknown placeholder {${unknown[1]}}`);
  return topic;
}

/** Lists what is wrong with a topic template (empty when valid). */
export function templateProblems(template: unknown): string[] {
  if (typeof template !== 'string' || template.trim() === '') return ['topic template is empty: e.g. {asset}/{tag} or plant/{site}/{tag}'];
  const problems: string[] = [];
  for (const m of template.matchAll(/\{([a-zA-Z]+)\}/g)) {
    const name = m[1]!;
    if (!['asset', 'tag', 'topic', ...ISA95_LEVELS].includes(name)) problems.push(`topic template: unknown placeholder {${name}}; use {asset}, {tag}, {topic}, {enterprise}, {site}, {area}, {line} or {cell}`);
  }
  if (/[+#]/.test(template)) problems.push('topic template must not contain the wildcards + or #');
  return problems;
}

/**
 * A topic template read for one message from msg/flow/global/env: text, with
 * the rules of a fixed template (`templateProblems`); a bad one refuses the
 * message (`bad-input`, naming where it was read).
 */
export function typedTemplate(value: unknown, source: TypedSetting, label = 'topic template'): string {
  const text = typedText(value, source, label);
  const problems = templateProblems(text).map((p) => p.replace(/^topic template/, `${label} from ${describeTyped(source)}`));
  if (problems.length) throw new PlantwireError('bad-input', `${problems.join('; ')}${text ? `; got ${JSON.stringify(text)}` : ''}`, `bad ${label} in ${describeTyped(source)}`);
  return text;
}

/** The payload to publish for a sample. */
export function unsPayload(sample: TagSample, shape: UnsPayload): string {
  switch (shape) {
    case 'sample':
      return JSON.stringify(sample);
    case 'compact': {
      const o: Record<string, unknown> = { value: sample.value, quality: sample.quality, timestamp: sample.sourceTimestamp };
      if (sample.unit !== undefined) o.unit = sample.unit;
      return JSON.stringify(o);
    }
    case 'value':
      return typeof sample.value === 'string' ? sample.value : JSON.stringify(sample.value);
  }
}
