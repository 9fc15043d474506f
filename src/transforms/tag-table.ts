/**
 * Per-tag state with a limit on the number of tracked tags. Transforms keep
 * one entry per tag (last sent value, open window …); a misconfigured source
 * that invents tag names (a timestamp in the tag, say) must not grow that
 * without bound. When the table is full, new tags are refused and counted;
 * the node says so in a warning status and decides what happens to their
 * samples (deadband: passed unfiltered; window: sent to the "late/refused"
 * output) — nothing is dropped silently.
 */
import { PlantwireError } from '../model/errors';
import { numberSetting } from '../model/settings';

export const DEFAULT_MAX_TAGS = 10_000;
export const MAX_MAX_TAGS = 1_000_000;

export class TagTable<S> {
  private readonly map = new Map<string, S>();
  /** Samples of tags that could not be tracked because the table was full. */
  refused = 0;

  constructor(readonly max: number = DEFAULT_MAX_TAGS) {
    if (!Number.isInteger(max) || max < 1) throw new PlantwireError('bad-config', `max tags must be a whole number ≥ 1, got ${max}`, 'bad max tags');
  }

  get size(): number {
    return this.map.size;
  }

  get full(): boolean {
    return this.map.size >= this.max;
  }

  get(tag: string): S | undefined {
    return this.map.get(tag);
  }

  /** Adds state for a new tag; false (and counts a refusal) when the table is full. */
  add(tag: string, state: S): boolean {
    if (this.map.size >= this.max && !this.map.has(tag)) {
      this.refused += 1;
      return false;
    }
    this.map.set(tag, state);
    return true;
  }

  /** Moves a tag to the end of the iteration order (tables used as due-queues). */
  touch(tag: string, state: S): void {
    this.map.delete(tag);
    this.map.set(tag, state);
  }

  delete(tag: string): boolean {
    return this.map.delete(tag);
  }

  entries(): IterableIterator<[string, S]> {
    return this.map.entries();
  }

  values(): IterableIterator<S> {
    return this.map.values();
  }

  clear(): void {
    this.map.clear();
    this.refused = 0;
  }
}

/** Reads the "max tags" setting (default 10,000). */
export function maxTagsSetting(config: Record<string, unknown>): number {
  return numberSetting(config, 'maxTags', { min: 1, max: MAX_MAX_TAGS, integer: true, default: DEFAULT_MAX_TAGS, label: 'max tags' });
}
