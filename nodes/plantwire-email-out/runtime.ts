import { openQueue, removeQueueFiles, type Queue, type QueueEntry } from '../../src/buffer/queue';
import type { BufferConfig } from '../../src/buffer/settings';
import { MailError, type OutgoingMail } from '../../src/connectors/email/mailer';
import { MailScheduler, PartlyEmitted } from '../../src/connectors/email/scheduler';
import { emailOutSettings, typedRecipients, type EmailOutConfig } from '../../src/connectors/email/settings';
import { alarmMail, mailGroups, type Alarm } from '../../src/connectors/email/alarm-mail';
import { parseTemplate } from '../../src/connectors/email/template';
import { isPermanent } from '../../src/model/delivery';
import { PlantwireError, toError } from '../../src/model/errors';
import { checkBytes, payloadBytes } from '../../src/model/limits';
import { toSamples } from '../../src/model/sample';
import { bufferDir } from '../../src/runtime/buffer';
import { useConfig } from '../../src/runtime/config-node';
import { reportError } from '../../src/runtime/input';
import { defineSink, type Look } from '../../src/runtime/sink';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { describeTyped, typedText } from '../../src/model/settings';
import { typedFieldsMigration } from '../../src/runtime/migrate';
import { evaluateTyped } from '../../src/runtime/typed-input';

type EmailOutNodeConfig = NodeConfig & EmailOutConfig & BufferConfig & { server?: string };

/** An alarm waiting for its mail; `id` is its entry in the disk store of waiting alarms (disk mode). */
interface Held {
  alarm: Alarm;
  id?: number;
}

const clock = (ms: number): string => `${new Date(ms).toISOString().slice(11, 19)} UTC`;

export = function register(RED: RedApi): void {
  defineSink<EmailOutNodeConfig, Held, OutgoingMail>(RED, {
    type: 'plantwire-email-out',
    // Version 2: to and subject are typed inputs; flows of version 1 keep them as fixed texts.
    version: { current: 2, migrations: { 1: typedFieldsMigration({ to: 'str', subject: 'str' }) } },
    setup(node, config, buffering, sink) {
      const settings = emailOutSettings(config);
      // Mails always go through the retry queue: "memory" (default) or "disk" (survives restarts); there is no unqueued mode.
      if (buffering.mode !== 'disk') buffering.mode = 'memory';
      // Bad templates are configuration errors, not per-message failures.
      parseTemplate(settings.subject, 'subject');
      parseTemplate(settings.html, 'HTML body');
      parseTemplate(settings.text, 'text body');
      const server = useConfig(RED, config.server, 'plantwire-smtp-server');
      const source = node.name || 'Plantwire';
      let sent = 0;
      // The last permanent refusal (shown until a mail goes through again).
      let refused: string | null = null;

      // Disk mode: alarms waiting for their digest are kept on disk too (done() after the commit), so a crash loses none.
      const heldName = `${node.id}-pending`;
      const held: Queue<Alarm> | null = buffering.mode === 'disk' ? openQueue<Alarm>({ dir: bufferDir(RED), name: heldName, mode: 'disk', maxEntries: buffering.maxEntries, maxBytes: buffering.maxBytes, overflow: 'reject' }) : null;
      const release = (batch: Held[]): void => {
        const ids = batch.flatMap((h) => (h.id === undefined ? [] : [h.id]));
        if (held && ids.length > 0) held.ack(ids);
      };
      /**
       * Puts a batch's mails into the mail queue, one recipient group after the other. Each group's
       * alarms leave the store of waiting alarms as soon as its mail is in the queue (a crash in
       * between sends them twice, never none). When the queue refuses a mail (full, closed), the
       * groups not handed over are thrown back (PartlyEmitted) — those handed over are not sent again.
       */
      const handOver = async (batch: Held[]): Promise<void> => {
        // One mail per recipient list and subject (src/connectors/email/alarm-mail.ts).
        const groups = mailGroups(batch, (h) => h.alarm);
        for (let i = 0; i < groups.length; i++) {
          const group = groups[i]!;
          try {
            await sink.accept(alarmMail(group.map((h) => h.alarm), settings, source));
          } catch (err) {
            throw new PartlyEmitted(groups.slice(i).flat(), err);
          }
          release(group);
        }
      };
      const scheduler = new MailScheduler<Held>({
        mode: settings.mode,
        digestMs: settings.digestMs,
        rateCount: settings.rateCount,
        ratePeriodMs: settings.ratePeriodMs,
        // async: a throw while composing becomes a rejection (handled), never an exception in a timer.
        emit: (batch) => handOver(batch),
        onChange: () => sink.show(),
        onEmitError: (err) => reportError(node, err),
      });
      return {
        async check(msg) {
          // A mail is not a file transfer: a payload over the limit is refused before it is copied into body, CSV and buffer.
          checkBytes('email-out', payloadBytes(msg.payload), 'mailBytes');
          const alarm: Alarm = { samples: toSamples(msg.payload, { tag: msg.topic }), payload: msg.payload };
          if (typeof msg.topic === 'string') alarm.topic = msg.topic;
          // Recipients and subject read from the message (or context, env) are checked now, before the alarm waits for its mail.
          const evaluate = RED.util?.evaluateNodeProperty;
          if (settings.toSource.type !== 'str') alarm.to = typedRecipients(await evaluateTyped(evaluate, settings.toSource, node, msg), settings.toSource);
          if (settings.subjectSource.type !== 'str') {
            const subject = typedText(await evaluateTyped(evaluate, settings.subjectSource, node, msg), settings.subjectSource, 'subject');
            parseTemplate(subject, `subject from ${describeTyped(settings.subjectSource)}`);
            alarm.subject = subject;
          }
          return { alarm };
        },
        // The alarm waits for its slot (rate limit, digest); the scheduler puts its mail into the buffer.
        async hold(h) {
          if (held) {
            const r = await held.enqueue(h.alarm);
            if (!r.accepted || r.id === undefined) throw new PlantwireError('buffer-full', 'the store of alarms waiting for their mail is full: the message was not accepted', 'waiting alarms: store full');
            h.id = r.id;
          }
          await scheduler.add(h);
        },
        batchSize: 1,
        async deliver(batch: QueueEntry<OutgoingMail>[]) {
          for (const entry of batch) {
            try {
              const info = await server.mailer.send(entry.body);
              if (info.rejected.length > 0) {
                // Delivered to the others; the refused addresses will not work on a retry either.
                reportError(node, new MailError(`${server.settings.label}: recipient(s) ${info.rejected.join(', ')} refused; the mail went to ${info.accepted.join(', ') || 'nobody'}`, 'some recipients refused', true));
              }
              sent += 1;
              refused = null;
              server.reportSuccess();
            } catch (err) {
              // MailError: permanent (5xx, refused login or token) or transient (4xx, connection, timeout).
              const e = toError(err);
              if (isPermanent(e)) refused = (e as MailError).status;
              else server.reportFailure(e);
              throw e;
            }
          }
        },
        idleStatus(): Look {
          const pending = scheduler.pendingCount;
          if (refused) return { state: 'error', text: refused };
          if (pending > 0) {
            const at = scheduler.nextAt;
            return { state: 'info', text: `${pending} pending${at ? `, next mail ${clock(at)}` : ''}` };
          }
          if (server.state.state === 'ok' && sent > 0) return { state: 'ok', text: `sent ${sent}` };
          return server.state;
        },
        users: server.users,
        watch(changed) {
          const onState = (s: { state: string }): void => changed(s.state === 'ok');
          server.on('state', onState);
          return () => server.off('state', onState);
        },
        // Alarms that were waiting when Node-RED stopped or crashed go out with the next free slot.
        started() {
          const left = held?.peek(1_000_000) ?? [];
          if (left.length > 0) scheduler.restore(left.map((e) => ({ alarm: e.body, id: e.id })));
        },
        async close(removed) {
          // Alarms still waiting for their digest go into the queue now (kept on disk across a restart).
          const rest = scheduler.drain();
          if (rest.length > 0 && removed) node.warn(`${rest.length} alarm(s) waiting for the digest are discarded with the deleted node`);
          if (rest.length > 0 && !removed) {
            await handOver(rest).catch((err: unknown) => {
              const left = err instanceof PartlyEmitted ? (err.remaining as Held[]).length : rest.length;
              node.warn(`${left} pending alarm(s) could not be queued at close: ${toError(err instanceof PartlyEmitted ? err.reason : err).message}${held ? ' (kept on disk for the next start)' : ''}`);
            });
          }
          if (held) {
            await held.close().catch((err: unknown) => node.warn(`closing the store of waiting alarms failed: ${toError(err).message}`));
            if (removed) removeQueueFiles(bufferDir(RED), heldName);
          }
        },
      };
    },
  });
};
