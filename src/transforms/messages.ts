/**
 * Turning transform results back into Node-RED messages, the same way for
 * every transform node (docs/message-model.md): one sample per message with
 * `msg.topic` = its tag, or a batch in one message.
 */
import { PlantwireError } from '../model/errors';
import type { TagSample } from '../model/sample';
import type { NodeMessage, SendFn } from '../model/node-red-types';

export type OutputMode = 'each' | 'batch';

/**
 * Messages carrying `samples` derived from the input message `msg`: in
 * "batch" mode one message (the input message, payload replaced); in "each"
 * mode one message per sample (a shallow copy of the input message with
 * payload = sample, topic = its tag). `extra` adds properties to each.
 */
export function derivedMessages(msg: NodeMessage, samples: TagSample[], mode: OutputMode, extra?: Record<string, unknown>): NodeMessage[] {
  if (samples.length === 0) return [];
  if (mode === 'batch') {
    msg.payload = samples;
    if (extra) Object.assign(msg, extra);
    return [msg];
  }
  if (samples.length === 1) {
    const s = samples[0]!;
    msg.payload = s;
    msg.topic = s.tag;
    if (extra) Object.assign(msg, extra);
    return [msg];
  }
  return samples.map((s) => ({ ...msg, ...extra, payload: s, topic: s.tag }));
}

/** New messages (not derived from an input, e.g. a window closed by the clock). */
export function freshMessages(samples: TagSample[], mode: OutputMode, batchTopic: string, extra?: Record<string, unknown>): NodeMessage[] {
  if (samples.length === 0) return [];
  if (mode === 'batch') return [{ topic: batchTopic, payload: samples, ...extra }];
  return samples.map((s) => ({ topic: s.tag, payload: s, ...extra }));
}

/** Reads an output-mode setting (blank: the fallback). */
export function outputMode(value: unknown, fallback: OutputMode = 'each'): OutputMode {
  if (value === undefined || value === null || value === '') return fallback;
  if (value === 'batch' || value === 'each') return value;
  throw new PlantwireError('bad-config', `output must be "each" or "batch", got ${JSON.stringify(value)}`, 'bad output mode');
}

/**
 * Sends fresh messages (each its own object, sharing nothing) one `send`
 * call per message. Node-RED deep-clones every message after the first one
 * of a single send call — a safeguard these messages do not need, and a cost
 * per aggregate. `perPort[i]` holds the messages for output i.
 */
export function sendSeparately(send: SendFn, perPort: Array<NodeMessage[] | null>): void {
  const ports = perPort.length;
  for (let p = 0; p < ports; p++) {
    const msgs = perPort[p];
    if (!msgs) continue;
    for (const m of msgs) {
      if (ports === 1) send(m);
      else {
        const out: Array<NodeMessage | null> = new Array(ports).fill(null);
        out[p] = m;
        send(out);
      }
    }
  }
}
