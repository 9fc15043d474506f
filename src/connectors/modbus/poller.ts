import { makeSample, type TagSample } from '../../model/sample';
import type { ModbusRequester } from './client';
import { applyScale, decodeRegisters } from './codec';
import { ModbusError, isModbusError } from './errors';
import { isBitFunction, planPerRow, planReads, type PlanOptions, type ReadRequest } from './plan';
import type { RegisterRow } from './register-map';
import type { ModbusRequest, ModbusResponse } from './transport';

/**
 * Reads a register map: the planned requests go through the device's queue,
 * each row is decoded, scaled and turned into a tag sample. A row the device
 * refuses (exception), a request that times out, or a device that is not
 * connected gives bad-quality samples with the reason in `statusCode`; one
 * bad row never spoils the others.
 */
export interface PollerOptions extends PlanOptions {
  /** Copied into every sample's `asset`. */
  asset?: string;
  /** Read one request per row instead of planning (for comparison). */
  perRow?: boolean;
}

export interface PollResult {
  samples: TagSample[];
  /** Requests sent in this poll. */
  requests: number;
  /** Rows with bad quality. */
  bad: number;
  /** Per row, the short reason of a bad one (`exception 2`, `timeout`, `not connected` …), for the node status. */
  reasons?: Array<string | undefined>;
}

/** Exceptions that mean "this address range is wrong" (worth reading the rows one by one). */
const ADDRESS_EXCEPTIONS = new Set([1, 2, 3]);

const FC: Record<RegisterRow['function'], 1 | 2 | 3 | 4> = { coil: 1, discrete: 2, holding: 3, input: 4 };

export class ModbusPoller {
  private plan: ReadRequest[];
  private readonly asset: string | undefined;

  constructor(
    readonly rows: RegisterRow[],
    private readonly client: ModbusRequester,
    private readonly opts: PollerOptions,
  ) {
    this.plan = opts.perRow ? planPerRow(rows, opts) : planReads(rows, opts);
    this.asset = opts.asset || undefined;
  }

  /** The requests one poll sends (after any splits forced by exceptions). */
  get requests(): readonly ReadRequest[] {
    return this.plan;
  }

  /** Reads every row once; never rejects. Samples come in register-map order. */
  async poll(): Promise<PollResult> {
    const out = new Array<TagSample | undefined>(this.rows.length);
    const reasons = new Array<string | undefined>(this.rows.length);
    let sent = 0;
    const run = async (req: ReadRequest): Promise<ReadRequest[] | null> => {
      sent += 1;
      try {
        const res = await this.client.request(toWire(req));
        this.decode(req, res, Date.now(), out);
        return null;
      } catch (err) {
        const e = isModbusError(err) ? err : new ModbusError('protocol', String((err as Error)?.message ?? err), 'protocol error');
        // A block the device refuses as a whole is read row by row from now on,
        // so the exception lands on the row that causes it and the rest stay good.
        if (e.kind === 'exception' && req.items.length > 1 && ADDRESS_EXCEPTIONS.has(e.exceptionCode ?? 0)) {
          return planPerRow(this.rows, this.opts, req.items.map((i) => i.index));
        }
        const now = Date.now();
        for (const item of req.items) {
          out[item.index] = this.badSample(item.index, e.statusCode, now);
          reasons[item.index] = e.reason;
        }
        return null;
      }
    };
    // One request after the other: the device queue is serial anyway, and this way a
    // poll never fills the queue and writes (or other read nodes) get in between.
    const plan = this.plan;
    const splits: Array<ReadRequest[] | null> = [];
    for (const req of plan) splits.push(await run(req));
    if (splits.some((s) => s !== null)) {
      const next: ReadRequest[] = [];
      plan.forEach((req, i) => next.push(...(splits[i] ?? [req])));
      this.plan = next;
      for (const req of splits.flatMap((s) => s ?? [])) await run(req);
    }
    const samples = out.map((s, i) => s ?? this.badSample(i, 'not read', Date.now()));
    return { samples, requests: sent, bad: samples.filter((s) => s.quality === 'bad').length, reasons };
  }

  private badSample(index: number, statusCode: string, now: number): TagSample {
    const row = this.rows[index]!;
    return makeSample(row.tag, null, { quality: 'bad', statusCode, sourceTimestamp: now, unit: row.unit, asset: this.asset });
  }

  private decode(req: ReadRequest, res: ModbusResponse, now: number, out: Array<TagSample | undefined>): void {
    for (const item of req.items) {
      const row = this.rows[item.index]!;
      const opts = { sourceTimestamp: now, unit: row.unit, asset: this.asset };
      if (isBitFunction(row.function)) {
        const bit = res.bits?.[item.offset];
        out[item.index] = bit === undefined ? this.badSample(item.index, 'protocol error: short answer', now) : makeSample(row.tag, bit, opts);
        continue;
      }
      const regs = res.registers?.slice(item.offset, item.offset + row.length) ?? [];
      if (regs.length < row.length) {
        out[item.index] = this.badSample(item.index, 'protocol error: short answer', now);
        continue;
      }
      const raw = decodeRegisters(regs, row.dataType, { order: row.order, length: row.length, bit: row.bit });
      if (typeof raw === 'number') {
        if (!Number.isFinite(raw)) {
          out[item.index] = this.badSample(item.index, `not a finite number (${String(raw)})`, now);
          continue;
        }
        out[item.index] = makeSample(row.tag, applyScale(raw, row.scale, row.offset), opts);
      } else {
        out[item.index] = makeSample(row.tag, raw, opts);
      }
    }
  }
}

export function toWire(req: ReadRequest): ModbusRequest {
  return { fc: FC[req.function], unitId: req.unitId, address: req.address, count: req.count };
}

/**
 * Report by exception: passes a sample on only when its value or quality
 * differs from the last one passed for that tag (so an outage gives one bad
 * sample per tag, and the recovery one good sample).
 */
export class ChangeFilter {
  private readonly last = new Map<string, string>();

  filter(samples: TagSample[]): TagSample[] {
    return samples.filter((s) => {
      const key = JSON.stringify([s.value, s.quality]);
      if (this.last.get(s.tag) === key) return false;
      this.last.set(s.tag, key);
      return true;
    });
  }

  reset(): void {
    this.last.clear();
  }
}
