import { PlantwireError } from '../../model/errors';
import { describe, isTagSample, toSamples, type SampleValue } from '../../model/sample';
import type { ModbusRequester } from './client';
import { encodeValue, removeScale } from './codec';
import type { RegisterRow } from './register-map';
import { describeRequest, type ModbusRequest } from './transport';

/**
 * Writing tags: the input message is read as tag samples (or a `{tag: value}`
 * object, or a plain value with msg.topic), each tag looked up in the
 * register map, the value checked and encoded, and the writes sent in order.
 * Everything is validated before the first write, so a bad message writes
 * nothing.
 */
export interface WriteTarget {
  tag: string;
  value: SampleValue;
  row: RegisterRow;
}

export interface WriteOptions {
  /** Unit id for rows without their own. */
  unitId: number;
  /** Function for a value that fits one register: 6 (Write Single Register, default) or 16 (some devices accept only 16). */
  singleRegisterFc?: 6 | 16;
}

/** Reads the message payload as (tag, value) pairs and looks each tag up. */
export function writeTargets(payload: unknown, topic: string | undefined, rowsByTag: ReadonlyMap<string, RegisterRow>): WriteTarget[] {
  let pairs: Array<{ tag: string; value: SampleValue; where: string }>;
  if (payload !== null && typeof payload === 'object' && !Array.isArray(payload) && !('tag' in payload) && !isTagSample(payload)) {
    const entries = Object.entries(payload as Record<string, unknown>);
    if (entries.length === 0) throw new PlantwireError('bad-payload', 'payload is an empty object: send a tag sample, {"<tag>": value} or a value with msg.topic', 'empty payload');
    pairs = entries.map(([tag, value]) => {
      if (typeof value !== 'number' && typeof value !== 'boolean' && typeof value !== 'string') {
        throw new PlantwireError('bad-payload', `payload["${tag}"] must be a number, boolean or string, got ${describe(value)}`, 'bad value in payload');
      }
      return { tag, value, where: `payload["${tag}"]` };
    });
  } else {
    const samples = toSamples(payload, { tag: topic });
    pairs = samples.map((s, i) => {
      const where = Array.isArray(payload) ? `payload[${i}]` : 'payload';
      if (s.quality === 'bad') throw new PlantwireError('bad-quality', `${where} (${s.tag}) has quality "bad": a bad-quality value is never written to a device`, 'bad-quality value not written');
      return { tag: s.tag, value: s.value, where };
    });
  }
  return pairs.map(({ tag, value, where }) => {
    const row = rowsByTag.get(tag);
    if (!row) {
      const known = [...rowsByTag.keys()].filter((k) => rowsByTag.get(k)!.writable);
      const hint = known.length ? `writable tags: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', …' : ''}` : 'no tag is marked writable';
      throw new PlantwireError('unknown-tag', `${where}: tag "${tag}" is not in the register map (${hint})`, `unknown tag ${tag}`);
    }
    if (!row.writable) throw new PlantwireError('not-writable', `${where}: tag "${tag}" is not writable: tick "writable" for its row in the register map (coils and holding registers only)`, `${tag} is not writable`);
    return { tag, value, row };
  });
}

function coerce(target: WriteTarget): number | boolean | string {
  const { row, value, tag } = target;
  if (row.dataType === 'bool') {
    if (typeof value === 'boolean') return value;
    if (value === 0 || value === 1) return value === 1;
    if (value === 'true' || value === 'false') return value === 'true';
    throw new PlantwireError('bad-value', `tag "${tag}" is a coil (bool): send true or false (or 1/0), got ${describe(value)}`, `${tag}: needs true/false`);
  }
  if (row.dataType === 'string') {
    if (typeof value === 'string') return value;
    throw new PlantwireError('bad-value', `tag "${tag}" is a string: send a string, got ${describe(value)}`, `${tag}: needs a string`);
  }
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value))) n = Number(value);
  else throw new PlantwireError('bad-value', `tag "${tag}" is ${row.dataType}: send a number, got ${describe(value)}`, `${tag}: needs a number`);
  if (!Number.isFinite(n)) throw new PlantwireError('bad-value', `tag "${tag}": value must be a finite number, got ${String(n)}`, `${tag}: not a finite number`);
  return n;
}

/** The request that writes one target (throws a PlantwireError naming the tag if the value does not fit). */
export function writeRequest(target: WriteTarget, opts: WriteOptions): ModbusRequest {
  const { row } = target;
  const unitId = row.unitId ?? opts.unitId;
  const value = coerce(target);
  if (row.function === 'coil') return { fc: 5, unitId, address: row.address, value: value as boolean };
  let registers: number[];
  try {
    const raw = typeof value === 'number' ? removeScale(value, row.scale, row.offset, row.dataType) : value;
    registers = encodeValue(raw, row.dataType, { order: row.order, length: row.length });
  } catch (err) {
    if (err instanceof PlantwireError) {
      const scaled = row.scale !== 1 || row.offset !== 0 ? ` after scale ${row.scale} / offset ${row.offset}` : '';
      throw new PlantwireError(err.code, `tag "${target.tag}": ${err.message}${scaled}`, `${target.tag}: ${err.status}`);
    }
    throw err;
  }
  if (registers.length === 1 && (opts.singleRegisterFc ?? 6) === 6) return { fc: 6, unitId, address: row.address, value: registers[0]! };
  return { fc: 16, unitId, address: row.address, values: registers };
}

export interface WriteResult {
  tag: string;
  value: SampleValue;
  request: string;
}

/**
 * Encodes every target first (nothing is written if one is invalid), then
 * writes them in order. A device error stops the run: the error says which
 * tags were written before it.
 */
export async function writeTags(client: ModbusRequester, targets: WriteTarget[], opts: WriteOptions): Promise<WriteResult[]> {
  const requests = targets.map((t) => writeRequest(t, opts));
  const done: WriteResult[] = [];
  for (let i = 0; i < requests.length; i++) {
    const req = requests[i]!;
    const t = targets[i]!;
    try {
      await client.request(req);
    } catch (err) {
      const before = done.length ? ` (written before it: ${done.map((d) => d.tag).join(', ')})` : '';
      const reason = (err as Error)?.message ?? String(err);
      throw new PlantwireError('write-failed', `writing "${t.tag}" failed: ${reason}${before}`, `write ${t.tag} failed`);
    }
    done.push({ tag: t.tag, value: t.value, request: describeRequest(req) });
  }
  return done;
}
