/**
 * MQTT payload → tag samples for plain MQTT topics (JSON and plain values).
 * Sparkplug B is decoded by `sparkplug/host.ts`, which also needs state.
 *
 * Rules (docs/nodes/plantwire-mqtt-in.md repeats them for users):
 *
 * 1. A JSON tag sample (`tag`, `value`, `quality`, `sourceTimestamp`) passes
 *    through unchanged (validated); a JSON array of tag samples is a batch.
 * 2. A JSON object with a `value` field is one sample of the topic's tag:
 *    `timestamp` / `sourceTimestamp` / `ts` / `time` (ISO text or epoch ms; a
 *    number below 1e11 is epoch seconds) → sourceTimestamp, `quality`
 *    ("good"/"uncertain"/"bad", true/false, or an OPC-style number 192 = good)
 *    → quality, `unit`, `asset`, `statusCode` kept; `tag` overrides the topic.
 * 3. Any other JSON value (number, text, boolean, null, array, object) is
 *    the value of one good sample of the topic's tag, stamped with the
 *    receive time.
 * 4. Plain: the payload text; `true`/`false` become booleans, numeric text
 *    becomes a number, everything else stays text.
 * 5. A zero-length payload (how a retained message is deleted) yields no sample.
 */
import { PlantwireError, toError } from '../../model/errors';
import { checkJsonDepth } from '../../model/limits';
import { QUALITIES, describe, isTagSample, makeSample, sampleProblems, type Quality, type SampleValue, type TagSample } from '../../model/sample';

export type PayloadFormat = 'auto' | 'json' | 'plain';

export interface DecodeOptions {
  format: PayloadFormat;
  /** Receive time, epoch ms. */
  now: number;
  /**
   * Leading topic levels that are the ISA-95 asset path rather than the tag:
   * with 4, `acme/hh/bottling/line1/Filler/Temp` is asset
   * `acme/hh/bottling/line1`, tag `Filler/Temp`. 0 (default): the whole topic is the tag.
   */
  assetLevels?: number;
}

const NUMERIC = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Plain text → boolean, number or the text itself. */
export function plainValue(text: string): number | boolean | string {
  const t = text.trim();
  if (t === 'true') return true;
  if (t === 'false') return false;
  if (NUMERIC.test(t)) {
    const n = Number(t);
    if (Number.isFinite(n)) return n;
  }
  return text;
}

/** Splits a topic into tag and asset path by `assetLevels`. */
export function tagFromTopic(topic: string, assetLevels = 0): { tag: string; asset?: string } {
  if (assetLevels <= 0) return { tag: topic };
  const levels = topic.split('/');
  if (levels.length <= assetLevels) return { tag: topic };
  return { asset: levels.slice(0, assetLevels).join('/'), tag: levels.slice(assetLevels).join('/') };
}

function timestampOf(raw: unknown, field: string, topic: string): number {
  if (typeof raw === 'number') {
    if (!Number.isFinite(raw)) throw new PlantwireError('bad-payload', `${topic}: ${field} must be a finite number, got ${raw}`, `bad ${field} in payload`);
    return raw < 1e11 ? raw * 1000 : raw;
  }
  if (typeof raw === 'string') {
    const ms = NUMERIC.test(raw.trim()) ? Number(raw) : Date.parse(raw);
    if (Number.isFinite(ms)) return NUMERIC.test(raw.trim()) && ms < 1e11 ? ms * 1000 : ms;
  }
  throw new PlantwireError('bad-payload', `${topic}: ${field} must be an ISO 8601 date or epoch milliseconds, got ${describe(raw)}`, `bad ${field} in payload`);
}

function qualityOf(raw: unknown, topic: string): { quality: Quality; statusCode?: number | string } {
  if (raw === undefined || raw === null) return { quality: 'good' };
  if (typeof raw === 'boolean') return { quality: raw ? 'good' : 'bad' };
  if (typeof raw === 'string' && QUALITIES.includes(raw.toLowerCase() as Quality)) return { quality: raw.toLowerCase() as Quality };
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) {
    // OPC DA / Ignition style: 192.. good, 64..127 uncertain, else bad.
    if (raw >= 192 && raw <= 255) return { quality: 'good', statusCode: raw };
    if (raw >= 64 && raw < 128) return { quality: 'uncertain', statusCode: raw };
    return { quality: 'bad', statusCode: raw };
  }
  throw new PlantwireError('bad-payload', `${topic}: quality must be "good", "uncertain", "bad", true/false or a number like 192, got ${describe(raw)}`, 'bad quality in payload');
}

function isSampleValue(v: unknown): v is SampleValue {
  return v !== undefined && !(typeof v === 'number' && !Number.isFinite(v));
}

/** One JSON value (already parsed) → samples, by the rules above. */
export function jsonToSamples(json: unknown, topic: string, opts: DecodeOptions): TagSample[] {
  const { tag, asset } = tagFromTopic(topic, opts.assetLevels);
  if (Array.isArray(json) && json.length > 0 && json.every(isTagSample)) {
    return json.map((s, i) => {
      const problems = sampleProblems(s, `payload[${i}]`);
      if (problems.length) throw new PlantwireError('bad-payload', `${topic}: ${problems.join('; ')}`, problems[0]);
      return s as TagSample;
    });
  }
  if (isTagSample(json)) {
    const problems = sampleProblems(json);
    if (problems.length) throw new PlantwireError('bad-payload', `${topic}: ${problems.join('; ')}`, problems[0]);
    return [json];
  }
  if (json !== null && typeof json === 'object' && !Array.isArray(json) && 'value' in json) {
    const o = json as Record<string, unknown>;
    if (!isSampleValue(o.value)) throw new PlantwireError('bad-payload', `${topic}: value must be JSON data, got ${describe(o.value)}`, 'bad value in payload');
    let ts = opts.now;
    for (const f of ['sourceTimestamp', 'timestamp', 'ts', 'time']) {
      if (o[f] !== undefined && o[f] !== null) {
        ts = timestampOf(o[f], f, topic);
        break;
      }
    }
    const q = qualityOf(o.quality, topic);
    const sampleTag = typeof o.tag === 'string' && o.tag.trim() !== '' ? o.tag : tag;
    const sample = makeSample(sampleTag, o.value as SampleValue, {
      quality: q.quality,
      sourceTimestamp: ts,
      statusCode: typeof o.statusCode === 'number' || typeof o.statusCode === 'string' ? o.statusCode : q.statusCode,
      unit: typeof o.unit === 'string' ? o.unit : undefined,
      asset: typeof o.asset === 'string' ? o.asset : asset,
      serverTimestamp: typeof o.serverTimestamp === 'string' || typeof o.serverTimestamp === 'number' ? timestampOf(o.serverTimestamp, 'serverTimestamp', topic) : undefined,
    });
    return [sample];
  }
  return [makeSample(tag, json as SampleValue, { sourceTimestamp: opts.now, asset })];
}

/** First non-blank byte is `[` or `{`: only then can JSON nest. */
function looksLikeJson(payload: Buffer): boolean {
  for (const b of payload) {
    if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d || b === 0xef || b === 0xbb || b === 0xbf) continue;
    return b === 0x5b || b === 0x7b;
  }
  return false;
}

/** Decodes one MQTT payload of a plain (non-Sparkplug) topic. Nesting deeper than the jsonDepth limit is refused before parsing. */
export function decodePayload(topic: string, payload: Buffer, opts: DecodeOptions): TagSample[] {
  if (payload.length === 0) return [];
  if (opts.format !== 'plain' && looksLikeJson(payload)) checkJsonDepth(`topic ${topic}`, payload);
  const text = payload.toString('utf8');
  if (opts.format === 'plain') {
    const { tag, asset } = tagFromTopic(topic, opts.assetLevels);
    return [makeSample(tag, plainValue(text), { sourceTimestamp: opts.now, asset })];
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    if (opts.format === 'auto') {
      const { tag, asset } = tagFromTopic(topic, opts.assetLevels);
      return [makeSample(tag, plainValue(text), { sourceTimestamp: opts.now, asset })];
    }
    const preview = text.length > 40 ? `${text.slice(0, 37)}…` : text;
    throw new PlantwireError('bad-json', `${topic}: payload is not valid JSON (${toError(err).message}): ${JSON.stringify(preview)}; choose "plain value" or "auto" if the topic carries plain text`, 'payload is not JSON');
  }
  return jsonToSamples(json, topic, opts);
}
