/**
 * Limits on what arrives from the network (issue 16): one place with the
 * defaults, the settings.js names (`plantwire.limits.<name>`) and the checks
 * that run before anything is parsed. Over a limit → a PlantwireError with
 * code `limit` that names the limit, its setting and the topic/source; the
 * caller keeps nothing of the message.
 *
 * Hand-written scanners (JSON nesting depth, Sparkplug top-level field count):
 * they read bytes without building objects, which is the point — a parser
 * would already have paid the memory and time the limit is there to refuse.
 */
import { PlantwireError } from './errors';

export interface NetworkLimits {
  /** Largest MQTT message payload mqtt-in takes, bytes. */
  mqttMessageBytes: number;
  /** Deepest nesting of arrays/objects in a JSON payload. */
  jsonDepth: number;
  /** Most metrics in one Sparkplug message (BIRTH or DATA). */
  sparkplugMetrics: number;
  /** Most edge nodes one Sparkplug host (mqtt-in) tracks. */
  sparkplugEdgeNodes: number;
  /** Most devices one Sparkplug host tracks over all its edge nodes. */
  sparkplugDevices: number;
  /** Largest HTTP answer the IT connectors (ERP, cloud, historian) read, bytes. */
  httpAnswerBytes: number;
  /** Largest message payload email-out takes into a mail (body, CSV attachment), bytes. */
  mailBytes: number;
}

export const DEFAULT_LIMITS: Readonly<NetworkLimits> = Object.freeze({
  mqttMessageBytes: 4 * 1024 * 1024,
  jsonDepth: 64,
  sparkplugMetrics: 10_000,
  sparkplugEdgeNodes: 1_000,
  sparkplugDevices: 10_000,
  httpAnswerBytes: 16 * 1024 * 1024,
  mailBytes: 1024 * 1024,
});

let current: NetworkLimits = { ...DEFAULT_LIMITS };

/**
 * Applies `settings.js` → `plantwire.limits` (positive integers; anything else
 * keeps the default). Returns the problems found, for one log line each.
 */
export function configureLimits(raw: unknown): string[] {
  const problems: string[] = [];
  const next: NetworkLimits = { ...DEFAULT_LIMITS };
  if (raw !== undefined && raw !== null) {
    if (typeof raw !== 'object') problems.push('plantwire.limits must be an object');
    else {
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (!Object.prototype.hasOwnProperty.call(DEFAULT_LIMITS, k)) {
          problems.push(`plantwire.limits.${k} is not a known limit (known: ${Object.keys(DEFAULT_LIMITS).join(', ')})`);
        } else if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
          problems.push(`plantwire.limits.${k} must be a positive whole number, got ${JSON.stringify(v)}; keeping ${DEFAULT_LIMITS[k as keyof NetworkLimits]}`);
        } else {
          next[k as keyof NetworkLimits] = v;
        }
      }
    }
  }
  current = next;
  return problems;
}

/** The limits in force. */
export function limits(): Readonly<NetworkLimits> {
  return current;
}

/** "4 MiB", "1.5 KiB", "512 bytes". */
export function bytesText(n: number): string {
  if (n >= 1024 * 1024) return `${+(n / (1024 * 1024)).toFixed(1)} MiB`;
  if (n >= 1024) return `${+(n / 1024).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** The error for a message over a limit: names the limit, its setting and where the message came from. */
export function limitError(source: string, what: string, name: keyof NetworkLimits, shown: string): PlantwireError {
  return new PlantwireError('limit', `${source}: ${what}, over the limit of ${shown} (settings.js plantwire.limits.${name}); the message was dropped`, `over limit ${name}`);
}

/** Refuses a payload larger than `max` bytes before anything reads it. */
export function checkBytes(source: string, length: number, name: 'mqttMessageBytes' | 'httpAnswerBytes' | 'mailBytes', max = current[name]): void {
  if (length > max) throw limitError(source, `${bytesText(length)} (${length} bytes)`, name, bytesText(max));
}

/**
 * The deepest nesting of `[`/`{` in JSON text, read from the bytes (strings
 * skipped), stopping as soon as it passes `max`. UTF-8 multi-byte sequences
 * never contain these ASCII bytes, so bytes are enough.
 */
export function jsonDepthOver(bytes: Uint8Array, max: number): number | null {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (inString) {
      if (b === 0x5c) i++;
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      depth++;
      if (depth > max) return depth;
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return null;
}

/**
 * The size of a message payload in bytes as it would be serialised (strings
 * and Buffers exactly; other values as JSON, stopping early is not possible
 * there, so this is only used where the value is kept or copied anyway).
 */
export function payloadBytes(value: unknown): number {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (Buffer.isBuffer(value)) return value.length;
  if (value === null || typeof value !== 'object') return 8;
  try {
    return Buffer.byteLength(JSON.stringify(value) ?? '');
  } catch {
    return 0;
  }
}

/** Refuses JSON nested deeper than the limit, before JSON.parse. */
export function checkJsonDepth(source: string, bytes: Uint8Array, max = current.jsonDepth): void {
  if (jsonDepthOver(bytes, max) !== null) throw limitError(source, `JSON nested more than ${max} levels deep`, 'jsonDepth', `${max} levels`);
}

/**
 * Counts the entries of one repeated top-level protobuf field (Sparkplug B:
 * field 2, `metrics`) without decoding them, and checks the framing: a
 * payload cut short or not protobuf at all throws `malformed`. Stops counting
 * past `max` (returns max + 1).
 */
export function countProtobufField(bytes: Uint8Array, field: number, max: number): number {
  let i = 0;
  let count = 0;
  const varint = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      if (i >= bytes.length) throw new Error('the last field is cut off');
      const b = bytes[i++]!;
      if (shift < 49) result += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return result;
      shift += 7;
      if (shift > 63) throw new Error('malformed varint');
    }
  };
  while (i < bytes.length) {
    const tag = varint();
    const f = Math.floor(tag / 8);
    const wire = tag % 8;
    if (f === 0) throw new Error('field number 0');
    switch (wire) {
      case 0:
        varint();
        break;
      case 1:
        i += 8;
        break;
      case 2: {
        const len = varint();
        i += len;
        break;
      }
      case 5:
        i += 4;
        break;
      default:
        throw new Error(`wire type ${wire} is not used by Sparkplug B`);
    }
    if (i > bytes.length) throw new Error(`field ${f} runs past the end`);
    if (f === field) {
      count++;
      if (count > max) return count;
    }
  }
  return count;
}

/**
 * A short, bounded quote of an input value for an error text: strings cut to
 * `max` characters (with their length), objects and arrays described by
 * size, never serialised whole — a 5 MB payload must not become a 5 MB error.
 */
export function excerpt(value: unknown, max = 40): string {
  if (typeof value === 'string') return value.length <= max ? JSON.stringify(value) : `${JSON.stringify(value.slice(0, max))}… (${value.length} characters)`;
  if (value === null || value === undefined || typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (typeof value === 'bigint') return `${value.toString().slice(0, max)}n`;
  // (typeof: this also runs in the dialog, where there is no Buffer)
  if (typeof Buffer !== 'undefined' && Buffer.isBuffer(value)) return `a Buffer of ${value.length} bytes`;
  if (Array.isArray(value)) return `an array of ${value.length} items`;
  if (value instanceof Date) return `a Date`;
  if (typeof value === 'object') {
    const keys = Object.keys(value);
    return `an object with ${keys.length} key${keys.length === 1 ? '' : 's'}${keys.length ? ` (${keys.slice(0, 3).map((k) => JSON.stringify(k.slice(0, 20))).join(', ')}${keys.length > 3 ? ', …' : ''})` : ''}`;
  }
  return typeof value;
}
