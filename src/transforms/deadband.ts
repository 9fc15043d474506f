/**
 * plantwire-deadband: report by exception, per tag. Pure; the clock is a
 * parameter (`now`, epoch ms) so tests drive it.
 *
 * A sample passes when
 *  1. it is the first of its tag, or
 *  2. its quality differs from the last SENT sample's quality (quality
 *     changes always pass), or
 *  3. its unit differs from the last sent sample's unit, or
 *  4. numeric values: |value − last sent value| > deadband, where the
 *     deadband is absolute (engineering units) or a percentage of the last
 *     sent value's magnitude or of a configured span;
 *     other values (booleans, strings, null, objects): it differs from the
 *     last sent value (a number ↔ non-number change always passes), or
 *  5. heartbeat: at least `heartbeatMs` have passed since the tag was last
 *     sent.
 * The reference is the last SENT value (not the last received), so a slow
 * drift is reported once it adds up to more than the deadband.
 *
 * Heartbeats for tags that go quiet come from `heartbeats(now)`, which the
 * node calls from a timer: it re-sends each due tag's latest RECEIVED sample
 * (which may differ from the last sent one by less than the deadband),
 * unchanged — its sourceTimestamp stays the time it was measured.
 */
import { defineFields, parseFields } from '../model/fields';
import type { TagSample } from '../model/sample';
import { DEFAULT_MAX_TAGS, MAX_MAX_TAGS, TagTable } from './tag-table';

export interface DeadbandConfig {
  mode?: 'absolute' | 'percent' | string;
  deadband?: number | string;
  percentOf?: 'last' | 'span' | string;
  span?: number | string;
  /** Heartbeat in seconds (0 or blank: off). */
  heartbeat?: number | string;
  maxTags?: number | string;
  heartbeatOutput?: string;
}

export interface DeadbandSettings {
  mode: 'absolute' | 'percent';
  deadband: number;
  percentOf: 'last' | 'span';
  span: number;
  /** 0 = no heartbeat. */
  heartbeatMs: number;
  maxTags: number;
  /** Heartbeats due at once: one message each, or one batch. */
  heartbeatOutput: 'each' | 'batch';
}

/**
 * The settings of plantwire-deadband, declared once: the dialog's defaults and
 * validators (nodes/plantwire-deadband/fields.ts), the check at deploy
 * (`deadbandSettings`) and the help's settings table come from here.
 */
export const deadbandFields = defineFields('plantwire-deadband', 1, {
  mode: { kind: 'enum', default: 'absolute', options: ['absolute', 'percent'], required: true, label: 'mode', explain: 'must be "absolute" or "percent"', status: 'bad deadband mode' },
  // A percentage is at most 100.
  deadband: { kind: 'number', default: 0, min: 0, required: true, label: 'deadband', message: 'deadband', explain: 'a number ≥ 0, and a percentage at most 100', status: 'deadband must be ≤ 100 %', check: (v, c) => c.mode !== 'percent' || Number(v) <= 100 },
  percentOf: { kind: 'enum', default: 'last', options: ['last', 'span'], label: 'percent of', explain: 'must be "last" or "span"', status: 'bad percent basis' },
  // The measuring range, only for a percentage of the span.
  span: { kind: 'number', default: 0, required: true, label: 'span', message: 'span', explain: 'must be greater than 0 (the measuring range, e.g. 100 for 0–100 °C)', status: 'span must be > 0', when: (c) => c.mode === 'percent' && c.percentOf === 'span', check: (v) => Number(v) > 0 },
  heartbeat: { kind: 'number', default: 0, min: 0, max: 604_800, unit: 's', label: 'heartbeat', message: 'heartbeat', explain: 'must be 0 (off) or at least 0.1 s, at most 7 days', status: 'heartbeat must be ≥ 0.1 s', check: (v) => String(v ?? '').trim() === '' || Number(v) === 0 || Number(v) >= 0.1 },
  heartbeatOutput: { kind: 'enum', default: 'each', options: ['each', 'batch'], label: 'heartbeat output' },
  maxTags: { kind: 'number', default: DEFAULT_MAX_TAGS, min: 1, max: MAX_MAX_TAGS, integer: true, label: 'max tags', message: 'maxTags' },
});

/** Checks the saved settings once, by the field spec, and derives the filter's settings. */
export function deadbandSettings(config: DeadbandConfig): DeadbandSettings {
  // Settings given without a deadband (from code, not the dialog) pass every change, as they always did.
  const p = parseFields(deadbandFields, { ...config, deadband: config.deadband ?? 0 });
  const mode = p.mode as DeadbandSettings['mode'];
  const percentOf = p.percentOf as DeadbandSettings['percentOf'];
  return { mode, deadband: p.deadband, percentOf, span: mode === 'percent' && percentOf === 'span' ? p.span : 0, heartbeatMs: Math.round(p.heartbeat * 1000), maxTags: p.maxTags, heartbeatOutput: p.heartbeatOutput as 'each' | 'batch' };
}

interface TagState {
  sent: TagSample;
  /** When `sent` was sent (node clock). */
  sentAt: number;
  latest: TagSample;
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

export type PassReason = 'first' | 'quality' | 'unit' | 'change' | 'heartbeat' | 'untracked';

export class DeadbandFilter {
  /** Tags in order of their last send (oldest first): the heartbeat due-queue. */
  readonly tags: TagTable<TagState>;
  /** Samples passed unfiltered because the tag table was full. */
  untracked = 0;

  constructor(readonly settings: DeadbandSettings) {
    this.tags = new TagTable<TagState>(settings.maxTags);
  }

  /** Decides one sample and updates the state; the reason it passes, or null when it is suppressed. */
  offer(s: TagSample, now: number): PassReason | null {
    const st = this.tags.get(s.tag);
    if (st === undefined) {
      if (!this.tags.add(s.tag, { sent: s, sentAt: now, latest: s })) {
        this.untracked += 1;
        return 'untracked';
      }
      return 'first';
    }
    st.latest = s;
    const sent = st.sent;
    let reason: PassReason | null = null;
    if (s.quality !== sent.quality) reason = 'quality';
    else if (s.unit !== sent.unit) reason = 'unit';
    else {
      const v = s.value;
      const last = sent.value;
      if (typeof v === 'number' && typeof last === 'number') {
        const set = this.settings;
        const band = set.mode === 'absolute' ? set.deadband : set.percentOf === 'span' ? (set.deadband / 100) * set.span : (set.deadband / 100) * Math.abs(last);
        if (Math.abs(v - last) > band) reason = 'change';
      } else if (!sameValue(v, last)) {
        reason = 'change';
      }
      if (reason === null && this.settings.heartbeatMs > 0 && now - st.sentAt >= this.settings.heartbeatMs) reason = 'heartbeat';
    }
    if (reason !== null) {
      st.sent = s;
      st.sentAt = now;
      if (this.settings.heartbeatMs > 0) this.tags.touch(s.tag, st);
    }
    return reason;
  }

  /** Filters a batch in order; returns the samples that pass. */
  filter(samples: TagSample[], now: number): TagSample[] {
    const out: TagSample[] = [];
    for (let i = 0; i < samples.length; i++) {
      const s = samples[i]!;
      if (this.offer(s, now) !== null) out.push(s);
    }
    return out;
  }

  /**
   * Heartbeats due at `now`: the latest received sample of every tag not sent
   * for `heartbeatMs`, oldest first; each counts as sent at `now`.
   */
  heartbeats(now: number): TagSample[] {
    const every = this.settings.heartbeatMs;
    if (every <= 0) return [];
    const due: Array<[string, TagState]> = [];
    for (const entry of this.tags.entries()) {
      if (now - entry[1].sentAt < every) break;
      due.push(entry);
    }
    for (const [tag, st] of due) {
      st.sent = st.latest;
      st.sentAt = now;
      this.tags.touch(tag, st);
    }
    return due.map(([, st]) => st.latest);
  }

  /** When the next heartbeat falls due (node clock), or Infinity. */
  nextHeartbeatAt(): number {
    if (this.settings.heartbeatMs <= 0) return Infinity;
    for (const st of this.tags.values()) return st.sentAt + this.settings.heartbeatMs;
    return Infinity;
  }
}
