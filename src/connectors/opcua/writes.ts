/**
 * What a message asks an OPC UA write node to write: tag samples (each to its
 * tag) or a plain value (to msg.topic, or the node's only tag). Pure.
 */
import { PlantwireError, describe, isTagSample, sampleProblems } from '../../model';
import { targetOf, type TagSpec } from './tags';

export interface PlannedWrite {
  spec: TagSpec;
  value: unknown;
}

export function planWrites(payload: unknown, topic: unknown, configured: readonly TagSpec[]): PlannedWrite[] {
  const fromSample = (s: unknown, where: string): PlannedWrite => {
    const problems = sampleProblems(s, where);
    if (problems.length) throw new PlantwireError('bad-sample', problems.join('; '), problems[0]);
    const sample = s as { tag: string; value: unknown; quality: string };
    if (sample.quality !== 'good') {
      throw new PlantwireError('bad-quality', `${where} (${sample.tag}) has quality ${sample.quality}: a value that is not good is not written to the plant`, `${sample.quality} value not written`);
    }
    return { spec: targetOf(sample.tag, configured, `${where}.tag`), value: sample.value };
  };
  if (isTagSample(payload)) return [fromSample(payload, 'payload')];
  if (Array.isArray(payload) && payload.length > 0 && payload.some(isTagSample)) {
    const plain = payload.findIndex((x) => !isTagSample(x));
    if (plain >= 0) {
      throw new PlantwireError('bad-payload', `payload mixes tag samples and plain values (payload[${plain}] is ${describe(payload[plain])}): send samples only, or one array value with msg.topic`, 'mixed samples and values');
    }
    return payload.map((s, i) => fromSample(s, `payload[${i}]`));
  }
  let spec: TagSpec;
  if (typeof topic === 'string' && topic.trim() !== '') spec = targetOf(topic, configured, 'msg.topic');
  else if (configured.length === 1 && configured[0]) spec = configured[0];
  else {
    throw new PlantwireError(
      'missing-tag',
      `payload is a plain value (${describe(payload)}) but no tag is known: set msg.topic to a tag name of the list, a NodeId or a browse path${configured.length === 0 ? ', or add one tag to the node' : ''}, or send tag samples`,
      'missing tag (msg.topic)',
    );
  }
  if (payload === undefined || payload === null) throw new PlantwireError('bad-value', `payload is ${describe(payload)}: nothing to write to ${spec.tag}`, 'no value to write');
  return [{ spec, value: payload }];
}
