import type { StatusState } from '../../model/status';
import type { PollResult } from './poller';

/** Status of a read node after a poll: green with the tag count, or red saying how many tags are bad and why. */
export function pollStatus(result: PollResult, total: number): { state: StatusState; text: string } {
  if (result.bad === 0) return { state: 'ok', text: `${total} tag${total === 1 ? '' : 's'} ok` };
  const reasons = new Map<string, number>();
  result.samples.forEach((s, i) => {
    if (s.quality !== 'bad') return;
    // The error's short reason (data from the poller), else the sample's own status text (a decode problem).
    const r = result.reasons?.[i] ?? String(s.statusCode ?? 'bad');
    reasons.set(r, (reasons.get(r) ?? 0) + 1);
  });
  const [top] = [...reasons.entries()].sort((a, b) => b[1] - a[1]);
  const why = top?.[0] ?? 'bad';
  return { state: 'error', text: result.bad === total ? `all ${total} tags bad: ${why}` : `${result.bad} of ${total} tags bad: ${why}` };
}
