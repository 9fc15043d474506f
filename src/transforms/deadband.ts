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
import { PlantwireError } from '../model/errors';
import type { TagSample } from '../model/sample';
import { numberSetting } from '../model/settings';
import { maxTagsSetting, TagTable } from './tag-table';

export interface DeadbandConfig {
  mode?: 'absolute' | 'percent' | string;
  deadband?: number | string;
  percentOf?: 'last' | 'span' | string;
  span?: number | string;
  /** Heartbeat in seconds (0 or blank: off). */
  heartbeat?: number | string;
  maxTags?: number | string;
}

export interface DeadbandSettings {
  mode: 'absolute' | 'percent';
  deadband: number;
  percentOf: 'last' | 'span';
  span: number;
  /** 0 = no heartbeat. */
  heartbeatMs: number;
  maxTags: number;
}

export function deadbandSettings(config: DeadbandConfig): DeadbandSettings {
  const cfg = config as Record<string, unknown>;
  const mode = config.mode ?? 'absolute';
  if (mode !== 'absolute' && mode !== 'percent') throw new PlantwireError('bad-config', `mode must be "absolute" or "percent", got ${JSON.stringify(mode)}`, 'bad deadband mode');
  const deadband = numberSetting(cfg, 'deadband', { min: 0, label: 'deadband', default: 0 });
  const percentOf = config.percentOf ?? 'last';
  if (percentOf !== 'last' && percentOf !== 'span') throw new PlantwireError('bad-config', `percent of must be "last" or "span", got ${JSON.stringify(percentOf)}`, 'bad percent basis');
  let span = 0;
  if (mode === 'percent') {
    if (deadband > 100) throw new PlantwireError('bad-config', `deadband is a percentage and must be at most 100, got ${deadband}`, 'deadband must be ≤ 100 %');
    if (percentOf === 'span') {
      span = numberSetting(cfg, 'span', { label: 'span' });
      if (!(span > 0)) throw new PlantwireError('bad-config', `span must be greater than 0 (the measuring range, e.g. 100 for 0–100 °C), got ${span}`, 'span must be > 0');
    }
  }
  const heartbeat = numberSetting(cfg, 'heartbeat', { min: 0, max: 86_400 * 7, label: 'heartbeat (s)', default: 0 });
  if (heartbeat > 0 && heartbeat < 0.1) throw new PlantwireError('bad-config', `heartbeat must be 0 (off) or at least 0.1 s, got ${heartbeat}`, 'heartbeat must be ≥ 0.1 s');
  return { mode, deadband, percentOf, span, heartbeatMs: Math.round(heartbeat * 1000), maxTags: maxTagsSetting(cfg) };
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
