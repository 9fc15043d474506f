/**
 * What email-out makes of the alarms of one rate-limit slot or digest window:
 * one mail per recipient list and subject. Alarms whose recipients or subject
 * were read from the message are grouped by what was read, so each recipient
 * gets a digest of their own alarms only. No Node-RED import.
 */
import { randomUUID } from 'node:crypto';
import type { TagSample } from '../../model/sample';
import type { OutgoingMail } from './mailer';
import type { EmailOutSettings } from './settings';
import { composeMail } from './template';

/** One input message waiting for its mail. */
export interface Alarm {
  samples: TagSample[];
  payload: unknown;
  topic?: string;
  /** Recipients read from this message (a typed `to`); else the node's. */
  to?: string[];
  /** Subject template read from this message (a typed `subject`); else the node's. */
  subject?: string;
}

/** The batch split into one group per recipient list and subject, in the order the groups first appear. */
export function mailGroups<T>(batch: T[], alarmOf: (item: T) => Alarm): T[][] {
  const groups = new Map<string, T[]>();
  for (const item of batch) {
    const a = alarmOf(item);
    const key = JSON.stringify([a.to ?? null, a.subject ?? null]);
    const g = groups.get(key);
    if (g) g.push(item);
    else groups.set(key, [item]);
  }
  return [...groups.values()];
}

/** The mail of one group (all alarms share recipients and subject): a new Message-ID, kept while it waits in the buffer. */
export function alarmMail(alarms: Alarm[], settings: EmailOutSettings, source: string): OutgoingMail {
  const first = alarms[0];
  if (!first) throw new Error('alarmMail: no alarm');
  const composed = composeMail(alarms, { subject: first.subject ?? settings.subject, html: settings.html, text: settings.text, maxRows: settings.maxRows, csv: settings.csv }, source);
  return { ...composed, from: settings.from, to: first.to ?? settings.to, cc: settings.cc, messageId: `<${randomUUID()}@plantwire>` };
}
