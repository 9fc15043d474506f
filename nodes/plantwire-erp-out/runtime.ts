import crypto from 'node:crypto';
import type { DeliveryOutcome, SettleFn } from '../../src/buffer/forwarder';
import type { QueueEntry } from '../../src/buffer/queue';
import type { BufferConfig } from '../../src/buffer/settings';
import { errorFields, lostAnswer, sendDocuments, type Refusal } from '../../src/connectors/erp/delivery';
import type { ErpRequest, ErpResult } from '../../src/connectors/erp/types';
import { checkEntity, documentKey, documentOf, erpOutSettings, fillEntity, idempotencyKey, type ErpOutConfig } from '../../src/connectors/erp/node-settings';
import { describeTyped, typedText, type TypedSetting } from '../../src/model/settings';
import { typedFieldsMigration } from '../../src/runtime/migrate';
import { evaluateTyped } from '../../src/runtime/typed-input';
import { PlantwireError, toError } from '../../src/model/errors';
import { useConfig } from '../../src/runtime/config-node';
import { addErpRoutes } from '../../src/runtime/erp';
import { redUtil } from '../../src/runtime/red-util';
import { defineSink, type Look } from '../../src/runtime/sink';
import type { NodeConfig, NodeMessage, RedApi, SendFn } from '../../src/runtime/types';
import { compileExpression, evaluateExpression } from '../../src/transforms/map';
import { spec } from './fields';

type Config = NodeConfig & ErpOutConfig & BufferConfig & { connection?: unknown };

/** One document as it waits in the buffer: the request without its idempotency key (that is the entry key). */
interface PendingDocument {
  req: Omit<ErpRequest, 'idempotencyKey' | 'firstSentAt'>;
  /** The input message's own properties that survive JSON (payload, req and res left out): the output messages are built from them after a restart. */
  msg?: Record<string, unknown>;
  /** Entries stored by earlier versions carry only these. */
  topic?: string;
  msgid?: string;
}

/** Single posts (batchSize 1): documents taken from the buffer per round. */
const SINGLE_ROUND = 50;
/** Consecutive lost answers retried at once (the ERP is there: it took the request) before the backoff applies: at 30 % loss 7 in a row happen for ~0.02 % of the documents. */
const PROMPT_RETRIES = 6;

/** The message's properties that survive a JSON round trip, without payload and the http-in req/res (kept only in memory). */
function storableMessage(msg: NodeMessage): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(msg)) {
    if (k === 'payload' || k === 'req' || k === 'res' || v === undefined || typeof v === 'function') continue;
    try {
      const text = JSON.stringify(v);
      if (text !== undefined) out[k] = JSON.parse(text) as unknown;
    } catch {
      // Not JSON (a cycle, a BigInt): kept only in memory with the live message.
    }
  }
  return out;
}

export = function register(RED: RedApi): void {
  addErpRoutes(RED);
  // Documents matter: unless the dialog says otherwise they wait on disk, and a full buffer refuses new ones (Catch) instead of dropping (SINK_BUFFER_DEFAULTS).
  defineSink<Config, PendingDocument>(RED, {
    type: 'plantwire-erp-out',
    // Version 2: entity and key are typed inputs; flows of version 1 keep their entity as fixed text and their key as a JSONata expression.
    version: { current: spec.version, migrations: { 1: typedFieldsMigration({ entity: 'str', key: 'jsonata' }) } },
    setup(node, config, _buffering, sink) {
      const erp = useConfig(RED, config.connection, 'plantwire-erp-connection');
      const settings = erpOutSettings(config, erp.conn.settings.kind);
      const util = redUtil(RED);
      // A malformed mapping or key is refused here, at deploy (red status, Catch, log).
      let mapping: unknown;
      let keyExpr: unknown;
      try {
        mapping = compileExpression(util, settings.mapping, node);
      } catch (err) {
        throw new PlantwireError('bad-config', `mapping: ${toError(err).message}`, `mapping: ${(err as PlantwireError).status ?? 'syntax error'}`);
      }
      try {
        keyExpr = settings.key && settings.keyType === 'jsonata' ? compileExpression(util, settings.key, node) : null;
      } catch (err) {
        throw new PlantwireError('bad-config', `key: ${toError(err).message}`, `key: ${(err as PlantwireError).status ?? 'syntax error'}`);
      }
      const entityName = settings.entitySource.type === 'str' ? settings.entity : describeTyped(settings.entitySource);
      const entityLabel = settings.operation === 'action' && settings.action ? `${entityName} ${settings.action}` : entityName;
      const keySource: TypedSetting | null = settings.keyType === 'jsonata' ? null : { value: settings.key, type: settings.keyType };
      const evaluate = RED.util?.evaluateNodeProperty;
      let delivered = 0;
      let refused = 0;
      const counts = (): string => `${settings.operation} ${entityLabel}: ${delivered} sent${refused ? `, ${refused} refused` : ''}`;
      // Red while the last document was refused (output 2); the next one accepted turns it green again.
      let lastRefused = false;
      const idle = (): Look => {
        if (lastRefused) return { state: 'error', text: `${refused} refused — see output 2` };
        return delivered || refused ? { state: 'ok', text: counts() } : erp.state();
      };

      /** Builds the request from a message (all checks before anything is stored). */
      const build = async (msg: NodeMessage): Promise<PendingDocument> => {
        const data = settings.operation === 'delete' && !config.mapping ? {} : documentOf(await evaluateExpression(util, mapping, msg));
        // The key: a JSONata expression over the message, or read from msg/flow/global/env (or fixed).
        const key = keySource ? documentKey(await evaluateTyped(evaluate, keySource, node, msg)) : keyExpr ? documentKey(await evaluateExpression(util, keyExpr, msg)) : undefined;
        // The entity: fixed, or read per message and held to the same rules (before anything is stored).
        const entityText = settings.entitySource.type === 'str' ? settings.entity : checkEntity(typedText(await evaluateTyped(evaluate, settings.entitySource, node, msg), settings.entitySource, 'entity'), erp.conn.settings.kind, 'bad-input', settings.entitySource);
        if ((settings.operation === 'update' || settings.operation === 'delete') && key === undefined && !/\{/.test(entityText)) {
          const from = keySource ? `the key from ${describeTyped(keySource)}` : `the key expression "${settings.key}"`;
          throw new PlantwireError('bad-input', `${from} gave no key for this message: ${settings.operation} needs the document key`, 'no key for this message');
        }
        const entity = erp.conn.settings.kind === 'rest' ? fillEntity(entityText, { key, document: data, msg }) : entityText;
        const req: PendingDocument['req'] = { operation: settings.operation, entity, data };
        if (key !== undefined) req.key = key;
        if (settings.action) req.action = settings.action;
        if (settings.externalKeyField) req.externalKeyField = settings.externalKeyField;
        // Optimistic concurrency: the document's ETag (If-Match) for update, delete and actions on ETag-protected entities.
        if (msg.etag !== undefined && msg.etag !== null && msg.etag !== '') {
          if (typeof msg.etag !== 'string') throw new PlantwireError('bad-input', `msg.etag must be the ETag text (e.g. W/"2026-12-05T09:28:26.149Z"), got ${JSON.stringify(msg.etag)}`, 'msg.etag is not text');
          req.etag = msg.etag;
        }
        return { req, msg: storableMessage(msg) };
      };

      const request = (doc: PendingDocument, idempotencyKey: string, firstSentAt: number): ErpRequest => ({ ...doc.req, idempotencyKey, firstSentAt: new Date(firstSentAt) });
      /** The output message: the input message (cloned; after a restart its stored properties) with the result set. */
      const outMessage = (doc: PendingDocument, live: NodeMessage | undefined): NodeMessage => {
        if (live) {
          // Node-RED's clone keeps http-in's req/res as they are (they cannot be copied).
          const clone = (RED.util as unknown as { cloneMessage?: (m: NodeMessage) => NodeMessage } | undefined)?.cloneMessage;
          return clone ? clone(live) : { ...live };
        }
        const m: NodeMessage = { ...((doc.msg ?? {}) as NodeMessage) };
        if (doc.topic !== undefined && m.topic === undefined) m.topic = doc.topic;
        if (doc.msgid !== undefined && m._msgid === undefined) m._msgid = doc.msgid;
        return m;
      };
      const ok = (send: SendFn, doc: PendingDocument, live: NodeMessage | undefined, r: ErpResult, idempotencyKey: string): void => {
        delivered += 1;
        lastRefused = false;
        const msg = outMessage(doc, live);
        msg.payload = r.document;
        msg.key = r.key;
        msg.status = r.status;
        msg.replayed = r.replayed === true;
        msg.erp = { operation: doc.req.operation, entity: doc.req.entity, idempotencyKey, ...(r.etag ? { etag: r.etag } : {}) };
        if (r.etag) msg.etag = r.etag;
        else delete msg.etag;
        send([msg, null]);
      };
      const deadLetter = (send: SendFn, doc: PendingDocument, live: NodeMessage | undefined, err: Refusal, idempotencyKey: string): void => {
        refused += 1;
        lastRefused = true;
        const msg = outMessage(doc, live);
        msg.payload = doc.req.data;
        const fields = errorFields(err);
        msg.error = { message: err.message, code: err.erpCode ?? err.code, httpStatus: err.httpStatus, ...(fields.length ? { fields } : {}) };
        msg.erp = { operation: doc.req.operation, entity: doc.req.entity, idempotencyKey, ...(doc.req.key !== undefined ? { key: doc.req.key } : {}) };
        send([null, msg]);
        sink.refused(`refused: ${err.message}`);
      };

      type Item = { id: number; doc: PendingDocument; key: string; ts: number; live?: NodeMessage; request: ErpRequest };
      const item = (id: number, doc: PendingDocument, key: string, ts: number, live?: NodeMessage): Item => ({ id, doc, key, ts, request: request(doc, key, ts), ...(live ? { live } : {}) });
      // Looked up when the answer is there: the input handler records the live message just after the entry is stored,
      // possibly after the forwarder has already taken the entry.
      const liveOf = (it: Item): NodeMessage | undefined => it.live ?? live.get(it.id);
      /**
       * Sends documents (src/connectors/erp/delivery.ts): one request each (batchSize 1) or one executeBatch call. Each
       * document ends in exactly one of: answered (output 1, settled 'delivered'), refused (output 2, settled
       * 'dead-letter'), or not known (left for a retry with the same idempotency key). Settled documents leave the buffer at once.
       */
      const deliverAll = async (send: SendFn, items: Item[], settle: SettleFn): Promise<DeliveryOutcome> => {
        const error = await sendDocuments(erp.conn.driver, items, settings.batchSize === 1, {
          answered(it, r) {
            ok(send, it.doc, liveOf(it), r, it.key);
            settle([it.id], 'delivered');
          },
          refused(it, err) {
            deadLetter(send, it.doc, liveOf(it), err, it.key);
            settle([it.id], 'dead-letter');
          },
        });
        return error ? { error } : {};
      };

      /** The input messages of buffered documents while this process lives (with http-in's req/res): outputs are clones of them. */
      const live = new Map<number, NodeMessage>();
      const round = settings.batchSize === 1 ? SINGLE_ROUND : settings.batchSize;
      let seq = 0;
      return {
        /** Builds the request from a message: all checks before anything is stored. */
        check: build,
        stored: (id, msg) => {
          if (id !== undefined) live.set(id, msg);
        },
        deliver: (batch: QueueEntry<PendingDocument>[], settle: SettleFn, send: SendFn) => {
          // Live messages of entries already gone (delivered, dropped by the overflow policy) are forgotten.
          const first = batch[0]?.id ?? Infinity;
          for (const id of live.keys()) if (id < first) live.delete(id);
          const forget: SettleFn = (ids, how) => {
            settle(ids, how);
            for (const id of ids) live.delete(id);
          };
          return deliverAll(send, batch.map((e) => item(e.id, e.body, idempotencyKey(e), e.ts)), forget);
        },
        // Without a buffer the message waits for the ERP's answer (output 1 or 2); a transport failure goes to Catch.
        // The idempotency key is the message id plus the document's digest: the same message sent again is recognised,
        // while the messages a function node splits from one input (they share their _msgid) stay distinct documents.
        async direct(doc, msg, send) {
          seq += 1;
          const digest = crypto.createHash('sha256').update(JSON.stringify(doc.req)).digest('hex').slice(0, 16);
          const key = `${node.id}:${typeof msg._msgid === 'string' ? msg._msgid : `${Date.now()}-${seq}`}:${digest}`;
          const r = await deliverAll(send, [item(seq, doc, key, Date.now(), msg)], () => undefined);
          if (r.error) throw r.error;
        },
        idleStatus: idle,
        users: erp.users,
        watch: (changed) => erp.onUp(() => changed(true)),
        // Single posts are taken from the buffer in rounds: one buffer transaction per round, not one per document.
        batchSize: round,
        // Batch wait: a batch goes when it is full or its oldest document has waited batchMs (src/buffer/flush.ts).
        ...(settings.batchSize > 1 && settings.batchMs > 0 ? { flush: { count: settings.batchSize, ms: settings.batchMs } } : {}),
        // Each request has the connection's timeout; single posts, REST and Odoo batches go one after the other.
        deliverTimeoutMs: erp.conn.settings.timeoutMs * (round + 1) + 5000,
        // The first retries after a lost answer go at once (same idempotency key); backoff is for an ERP that is not there.
        retryAtOnce: (err, failures) => failures <= PROMPT_RETRIES && lostAnswer(err),
      };
    },
  });
};
