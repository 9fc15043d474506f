/**
 * The settings of the NATS nodes as field specs (src/model/fields.ts),
 * declared once: the dialogs' defaults and validators, the checks at deploy
 * (./settings.ts parses by them) and the help's settings tables come from
 * here. The stream block is one piece shared by nats-out and nats-in (either
 * creates the stream when it is absent). Pure: bundled into the dialogs.
 */
import { bufferFields } from '../../buffer/fields';
import { PlantwireError } from '../../model/errors';
import { defineFields, mustBeOneOf } from '../../model/fields';
import { templateProblems, UNS_PAYLOADS } from '../mqtt/uns';

export type Retention = 'limits' | 'interest' | 'workqueue';
export const RETENTIONS: readonly Retention[] = ['limits', 'interest', 'workqueue'];

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const SERVER = /^(nats|tls|ws|wss):\/\/[^\s/]+(:\d+)?\/?$/i;
const bad = (message: string, status: string): PlantwireError => new PlantwireError('bad-config', message, status);

/** Problems of a subject (or subject filter, when wildcards are allowed). */
export function subjectProblems(subject: string, wildcards: boolean): string[] {
  if (subject === '') return ['subject is empty'];
  if (/\s/.test(subject)) return [`subject "${subject}" contains white space`];
  const tokens = subject.split('.');
  if (tokens.some((t) => t === '')) return [`subject "${subject}" has an empty token (".." or a leading/trailing ".")`];
  const problems: string[] = [];
  tokens.forEach((t, i) => {
    if (t.includes('*') || t.includes('>')) {
      if (!wildcards) problems.push(`subject "${subject}" must not contain the wildcards * or >`);
      else if (t.length > 1 || (t === '>' && i !== tokens.length - 1)) problems.push(`subject "${subject}": * and > must be whole tokens, > only the last`);
    }
  });
  return problems;
}

/** A stream or consumer name (not saved at all: the default; emptied: refused, as the dialog does). */
function natsName(v: unknown, fallback: string, label: string, what: string, status: string): string {
  const name = v === undefined || v === null ? fallback : String(v).trim();
  if (!NAME.test(name)) throw bad(`${label}: "${name}" is not a ${what} name; use letters, digits, _ and - (at most 64)`, status);
  return name;
}

/** The server list: URLs separated by commas or spaces; a bare host:port gets nats://. */
export function natsServers(v: unknown): string[] {
  const raw = String(v ?? '').trim() || 'nats://127.0.0.1:4222';
  const servers = raw.split(/[\s,]+/).filter(Boolean).map((s) => (/^[a-z]+:\/\//i.test(s) ? s : `nats://${s}`));
  for (const s of servers) if (!SERVER.test(s)) throw bad(`servers: "${s}" is not a NATS server URL; write nats://host:4222 (several separated by commas)`, 'bad server URL');
  return servers;
}

export const natsConnectionFields = defineFields('plantwire-nats-connection', 1, {
  servers: { kind: 'string', default: 'nats://127.0.0.1:4222', required: true, label: 'servers', message: 'servers', parse: natsServers },
  clientName: { kind: 'string', default: '', label: 'client name' },
  reconnectWait: { kind: 'number', default: 2000, min: 100, max: 600_000, unit: 'ms', label: 'reconnect wait' },
  tls: { kind: 'boolean', default: false, label: 'TLS' },
  ca: { kind: 'string', default: '', label: 'CA certificate', hidden: true },
  cert: { kind: 'string', default: '', label: 'client certificate', hidden: true },
  key: { kind: 'string', default: '', label: 'client key', hidden: true },
}, { user: 'text', password: 'password', token: 'password' });

/** The stream both nats-out and nats-in create when it is absent; `message` is the node's catalogue key for a bad stream name. */
function streamFields(message: string) {
  return {
    stream: { kind: 'string' as const, default: 'PLANTWIRE', required: true, label: 'stream', message, parse: (v: unknown) => natsName(v, 'PLANTWIRE', 'stream', 'stream', 'bad stream name') },
    subjects: {
      kind: 'string' as const,
      default: 'uns.>',
      label: 'stream subjects',
      parse: (v: unknown): string[] => {
        const subjects = String(v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (subjects.length === 0) subjects.push('uns.>');
        for (const s of subjects) {
          const p = subjectProblems(s, true);
          if (p.length) throw bad(`stream subjects: ${p[0]}`, 'bad stream subject');
        }
        return subjects;
      },
    },
    retention: { kind: 'enum' as const, default: 'limits', options: RETENTIONS, label: 'retention' },
    replicas: { kind: 'number' as const, default: 1, min: 1, max: 5, integer: true, label: 'replicas' },
    storage: { kind: 'enum' as const, default: 'file', options: ['file', 'memory'], label: 'storage', explain: 'must be file or memory', status: 'bad storage' },
    maxAgeHours: { kind: 'number' as const, default: 168, min: 0, max: 24 * 3650, unit: 'h', label: 'max age (hours)', labelKey: 'label.maxAge' },
    duplicateWindow: { kind: 'number' as const, default: 120, min: 1, max: 86_400, unit: 's', label: 'duplicate window (s)' },
  };
}

/** The spec of the stream settings alone (streamSettings), as nats-out's dialog stores them. */
export const streamOnlyFields = defineFields('plantwire-nats-stream', 1, streamFields('stream'));

/** A subject template: placeholders as mqtt-out's topic template, no wildcards. */
function subjectTemplate(v: unknown): string {
  const template = v === undefined || v === null ? 'uns.{asset}.{tag}' : String(v).trim();
  const problems = templateProblems(template.replace(/[*>]/g, '+'));
  if (problems.length) throw bad(`subject ${problems[0]!.replace('topic template', 'template').replace('+ or #', '* or >')}`, 'bad subject template');
  const literal = subjectProblems(template.replace(/\{[a-zA-Z]+\}/g, 'x'), false);
  if (literal.length) throw bad(`subject template: ${literal[0]}`, 'bad subject template');
  return template;
}

export const natsOutFields = defineFields('plantwire-nats-out', 1, {
  connection: { kind: 'config', default: '', configType: 'plantwire-nats-connection', required: true, label: 'connection' },
  subject: { kind: 'string', default: 'uns.{asset}.{tag}', required: true, label: 'subject', message: 'subject', parse: subjectTemplate },
  asset: { kind: 'string', default: '', label: 'asset path' },
  payload: { kind: 'enum', default: 'sample', options: UNS_PAYLOADS, label: 'payload', status: 'bad payload shape' },
  dedup: { kind: 'enum', default: 'sample', options: ['sample', 'none'], label: 'de-duplication', explain: mustBeOneOf(['sample', 'none']), status: 'bad de-duplication' },
  ackTimeout: { kind: 'number', default: 5, min: 0.1, max: 600, unit: 's', label: 'ack timeout (s)' },
  ...streamFields('stream'),
  ...bufferFields('off'),
});

const { stream: inStream, ...inStreamRest } = streamFields('name');

export const natsInFields = defineFields('plantwire-nats-in', 1, {
  connection: { kind: 'config', default: '', configType: 'plantwire-nats-connection', required: true, label: 'connection' },
  stream: inStream,
  durable: { kind: 'string', default: 'plantwire', required: true, label: 'durable name', message: 'name', parse: (v) => natsName(v, 'plantwire', 'durable name', 'consumer', 'bad durable name') },
  filter: {
    kind: 'string',
    default: '',
    label: 'subject filter',
    message: 'filter',
    parse: (v) => {
      const filter = String(v ?? '').trim();
      const p = filter ? subjectProblems(filter, true) : [];
      if (p.length) throw bad(`subject filter: ${p[0]}`, 'bad subject filter');
      return filter;
    },
  },
  ackMode: { kind: 'enum', default: 'node', options: ['node', 'receive'], label: 'acknowledge', explain: 'must be "node" (by a plantwire-nats-ack node) or "receive"', status: 'bad acknowledge mode' },
  ackWait: { kind: 'number', default: 30, min: 1, max: 86_400, unit: 's', label: 'ack wait (s)' },
  maxDeliver: { kind: 'number', default: 5, min: -1, max: 1_000_000, integer: true, label: 'max deliver' },
  maxAckPending: { kind: 'number', default: 10_000, min: 1, max: 1_000_000, integer: true, label: 'max ack pending' },
  inFlight: { kind: 'number', default: 1000, min: 1, max: 100_000, integer: true, label: 'in flight' },
  nakDelay: { kind: 'number', default: 1, min: 0, max: 3600, unit: 's', label: 'nak delay (s)' },
  deliverFrom: { kind: 'enum', default: 'all', options: ['all', 'new'], label: 'deliver', explain: mustBeOneOf(['all', 'new']), status: 'bad deliver policy' },
  json: { kind: 'boolean', default: true, label: 'parse JSON' },
  ...inStreamRest,
});

export const natsAckFields = defineFields('plantwire-nats-ack', 1, {
  action: { kind: 'enum', default: 'ack', options: ['ack', 'nak', 'term'], label: 'action', explain: 'must be ack, nak or term', status: 'bad action' },
  // Empty: the consumer's own nak delay.
  nakDelay: { kind: 'number', default: '', min: 0, max: 3600, unit: 's', label: 'nak delay (s)', message: 'nakDelay' },
});
