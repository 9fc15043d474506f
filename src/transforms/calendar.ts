/**
 * Window boundaries aligned to the wall clock: fixed intervals aligned to
 * the epoch (1 h windows start on the hour, 15 min windows at :00, :15, …,
 * shifted by an offset), or shifts starting at given local times of day in
 * an IANA time zone (06:00, 14:00, 22:00 in Europe/Berlin), correct across
 * daylight-saving changes (a shift spanning the change is an hour shorter or
 * longer, as it is on the shop floor).
 */
import { PlantwireError } from '../model/errors';

export interface Span {
  start: number;
  end: number;
}

export interface Calendar {
  /** The window [start, end) holding t. */
  windowAt(t: number): Span;
  /** Describes the alignment for status texts and docs. */
  readonly label: string;
}

export function intervalCalendar(sizeMs: number, offsetMs = 0): Calendar {
  if (!(sizeMs > 0)) throw new PlantwireError('bad-config', `window size must be greater than 0, got ${sizeMs}`, 'window size must be > 0');
  const off = ((offsetMs % sizeMs) + sizeMs) % sizeMs;
  return {
    label: `every ${sizeMs} ms${off ? ` + ${off} ms` : ''}`,
    windowAt(t: number): Span {
      const start = Math.floor((t - off) / sizeMs) * sizeMs + off;
      return { start, end: start + sizeMs };
    },
  };
}

/** Parses "06:00, 14:00, 22:00" into minutes after midnight, sorted and unique. */
export function parseShiftStarts(text: string): number[] {
  const parts = text
    .split(/[,;\s]+/)
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length === 0) throw new PlantwireError('bad-config', 'shift starts are empty: enter local start times such as 06:00, 14:00, 22:00', 'no shift start times');
  const out = new Set<number>();
  for (const p of parts) {
    const m = /^(\d{1,2}):(\d{2})$/.exec(p);
    if (!m || Number(m[1]) > 23 || Number(m[2]) > 59) throw new PlantwireError('bad-config', `shift start "${p}" is not a time of day: use HH:MM (24 h), e.g. 06:00`, `bad shift start "${p}"`);
    out.add(Number(m[1]) * 60 + Number(m[2]));
  }
  return [...out].sort((a, b) => a - b);
}

/** Throws a clear error for an unknown IANA time zone. */
export function checkTimeZone(tz: string): string {
  const zone = tz.trim() || 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new PlantwireError('bad-config', `time zone "${tz}" is unknown: use an IANA name such as Europe/Berlin, America/Chicago or UTC`, `unknown time zone "${tz}"`);
  }
  return zone;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** Local calendar fields of t in tz. */
function localParts(t: number, tz: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  return { y: parts.year!, mo: parts.month!, d: parts.day!, h: parts.hour! % 24, mi: parts.minute!, s: parts.second! };
}

/** Offset of tz from UTC at t, in ms (local = utc + offset). */
export function zoneOffsetMs(t: number, tz: string): number {
  const p = localParts(t, tz);
  const asUtc = Date.UTC(p.y, p.mo - 1, p.d, p.h, p.mi, p.s);
  return asUtc - Math.floor(t / 1000) * 1000;
}

/**
 * The UTC instant of a local wall time in tz. A wall time skipped by a DST
 * change (02:30 on the spring-forward day) maps to the instant after the gap.
 */
export function localToUtc(y: number, mo: number, d: number, minutes: number, tz: string): number {
  const guess = Date.UTC(y, mo - 1, d, 0, minutes);
  const first = guess - zoneOffsetMs(guess, tz);
  const second = guess - zoneOffsetMs(first, tz);
  if (second === first) return first;
  // Inside a DST gap or at a fold: take the later candidate consistent with its own offset.
  const third = guess - zoneOffsetMs(second, tz);
  return Math.max(second, third);
}

export function shiftCalendar(starts: number[], timeZone: string): Calendar {
  const tz = checkTimeZone(timeZone);
  if (starts.length === 0) throw new PlantwireError('bad-config', 'shift starts are empty', 'no shift start times');
  let cache: Span | null = null;
  return {
    label: `shifts ${starts.map((m) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`).join(', ')} ${tz}`,
    windowAt(t: number): Span {
      if (cache && t >= cache.start && t < cache.end) return cache;
      const p = localParts(t, tz);
      const bounds: number[] = [];
      for (let dd = -1; dd <= 1; dd++) {
        const day = new Date(Date.UTC(p.y, p.mo - 1, p.d + dd));
        for (const m of starts) bounds.push(localToUtc(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate(), m, tz));
      }
      bounds.sort((a, b) => a - b);
      let start = -Infinity;
      let end = Infinity;
      for (const b of bounds) {
        if (b <= t) start = b;
        else {
          end = b;
          break;
        }
      }
      if (!Number.isFinite(start) || !Number.isFinite(end)) throw new Error(`shift calendar: no boundary around ${new Date(t).toISOString()}`);
      cache = { start, end };
      return cache;
    },
  };
}
