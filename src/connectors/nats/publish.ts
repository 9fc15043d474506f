/**
 * Publishing tag samples to JetStream: the subject from a UNS-style template
 * (the placeholders of mqtt-out's topic template, src/connectors/mqtt/uns.ts,
 * with `/` paths turned into `.` tokens), the payload in mqtt-out's shapes,
 * and the `Nats-Msg-Id` de-duplication id derived from the sample key, so a
 * sample published twice within the stream's duplicate window (a replay
 * after a crash, a retried publish whose ack was lost) is stored once.
 */
import crypto from 'node:crypto';
import type { JetStreamClient, JetStreamPublishOptions, PubAck } from '@nats-io/jetstream';
import { PlantwireError } from '../../model/errors';
import type { TagSample } from '../../model/sample';
import { fillTemplate, unsPayload, type TopicContext, type UnsPayload } from '../mqtt/uns';
import { subjectProblems } from './settings';

/** A path value (asset, tag) as subject tokens: `/` separates tokens; `.`, spaces, `*` and `>` inside a level become `_`. */
export function subjectTokens(path: string): string {
  return path
    .split('/')
    .map((level) => level.replace(/[.\s*>]/g, '_'))
    .join('.');
}

/** The subject of a sample from the template (`uns.{asset}.{tag}`). */
export function sampleSubject(template: string, sample: TagSample, ctx: TopicContext = {}): string {
  const subject = fillTemplate(template, sample, ctx, subjectTokens);
  const problems = subjectProblems(subject, false);
  if (problems.length) throw new PlantwireError('bad-subject', `tag "${sample.tag}": ${problems[0]}`, 'bad subject for tag');
  return subject;
}

/**
 * The sample key as a de-duplication id: asset, tag and source timestamp (one
 * tag has one value per instant). Readable when it is short and printable,
 * else its SHA-256.
 */
export function sampleMsgId(sample: TagSample, defaultAsset = ''): string {
  const id = `${sample.asset ?? defaultAsset}|${sample.tag}|${sample.sourceTimestamp}`;
  if (id.length <= 200 && !/[\x00-\x1f\x7f]/.test(id)) return id;
  return `sha256:${crypto.createHash('sha256').update(id).digest('base64url')}`;
}

export interface Publication {
  subject: string;
  payload: string;
  /** Nats-Msg-Id, when de-duplication is on. */
  msgId?: string;
}

export function renderSample(sample: TagSample, template: string, shape: UnsPayload, dedup: boolean, ctx: TopicContext = {}): Publication {
  const p: Publication = { subject: sampleSubject(template, sample, ctx), payload: unsPayload(sample, shape) };
  if (dedup) p.msgId = sampleMsgId(sample, ctx.defaultAsset);
  return p;
}

export interface PublishResult {
  stored: number;
  duplicates: number;
}

/**
 * Publishes and waits for every stream acknowledgement (PubAck). A PubAck
 * marked duplicate means the stream already held that id: counted, not an error.
 */
export async function publishAll(js: JetStreamClient, pubs: Publication[], timeoutMs: number): Promise<PublishResult> {
  const acks: PubAck[] = await Promise.all(
    pubs.map((p) => {
      const opts: Partial<JetStreamPublishOptions> = { timeout: timeoutMs };
      if (p.msgId) opts.msgID = p.msgId;
      return js.publish(p.subject, p.payload, opts);
    }),
  );
  const duplicates = acks.filter((a) => a.duplicate).length;
  return { stored: acks.length - duplicates, duplicates };
}
