import { bufferStatus } from '../../src/buffer/forwarder';
import type { QueueEntry } from '../../src/buffer/queue';
import { bufferSettings } from '../../src/buffer/settings';
import { HttpError } from '../../src/connectors/http';
import { ErpBusinessError, type ErpRequest, type ErpResult } from '../../src/connectors/erp/types';
import { documentKey, documentOf, erpOutSettings, fillEntity, idempotencyKey, type ErpOutConfig } from '../../src/connectors/erp/node-settings';
import { PlantwireError, toError } from '../../src/model/errors';
import { addBufferRoutes, openSinkBuffer } from '../../src/runtime/buffer';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { addErpRoutes, erpOf } from '../../src/runtime/erp';
import { onInput } from '../../src/runtime/input';
import { redUtil } from '../../src/runtime/red-util';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, NodeMessage, RedApi, RedNode, SendFn } from '../../src/runtime/types';
import { compileExpression, evaluateExpression } from '../../src/transforms/map';

const TYPE = 'plantwire-erp-out';

type Config = NodeConfig & ErpOutConfig & { connection?: unknown; bufferMode?: string; bufferOverflow?: string };

/** One document as it waits in the buffer: the request without its idempotency key (that is the entry key). */
interface PendingDocument {
  req: Omit<ErpRequest, 'idempotencyKey' | 'firstSentAt'>;
  topic?: string;
  msgid?: string;
}

/** Single posts (batchSize 1): documents taken from the buffer per round. */
const SINGLE_ROUND = 50;

/** A business refusal (dead-letter): the ERP's error, or a permanent HTTP error. */
function refusal(err: unknown): (PlantwireError & { httpStatus: number | null; erpCode?: string | undefined }) | null {
  if (err instanceof ErpBusinessError) return err;
  if (err instanceof HttpError && !err.transient) return err;
  return null;
}

export = function register(RED: RedApi): void {
  addBufferRoutes(RED);
  addErpRoutes(RED);
  defineNode<Config>(RED, {
    type: TYPE,
    version: { current: 1 },
    setup(node: RedNode, config: Config) {
      const erp = erpOf(RED, config.connection);
      const settings = erpOutSettings(config, erp.conn.settings.kind);
      // Documents matter: unless the dialog says otherwise they wait on disk, and a full buffer refuses new ones (Catch) instead of dropping.
      const buffering = bufferSettings({ ...config, bufferMode: config.bufferMode || 'disk', bufferOverflow: config.bufferOverflow || 'reject' });
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
        keyExpr = settings.key ? compileExpression(util, settings.key, node) : null;
      } catch (err) {
        throw new PlantwireError('bad-config', `key: ${toError(err).message}`, `key: ${(err as PlantwireError).status ?? 'syntax error'}`);
      }
      const entityLabel = settings.operation === 'action' && settings.action ? `${settings.entity} ${settings.action}` : settings.entity;
      let delivered = 0;
      let refused = 0;
      const counts = (): string => `${settings.operation} ${entityLabel}: ${delivered} sent${refused ? `, ${refused} refused` : ''}`;
      // Red while the last document was refused (output 2); the next one accepted turns it green again.
      let lastRefused = false;
      const idle = (): { state: 'ok' | 'busy' | 'error' | 'idle' | 'info'; text: string } => {
        if (lastRefused) return { state: 'error', text: `${refused} refused — see output 2` };
        return delivered || refused ? { state: 'ok', text: counts() } : erp.state();
      };

      /** Builds the request from a message (all checks before anything is stored). */
      const build = async (msg: NodeMessage): Promise<PendingDocument> => {
        const data = settings.operation === 'delete' && !config.mapping ? {} : documentOf(await evaluateExpression(util, mapping, msg));
        const key = keyExpr ? documentKey(await evaluateExpression(util, keyExpr, msg)) : undefined;
        if ((settings.operation === 'update' || settings.operation === 'delete') && key === undefined && !/\{/.test(settings.entity)) {
          throw new PlantwireError('bad-input', `the key expression "${settings.key}" gave no key for this message: ${settings.operation} needs the document key`, 'no key for this message');
        }
        const entity = erp.conn.settings.kind === 'rest' ? fillEntity(settings.entity, { key, document: data, msg }) : settings.entity;
        const req: PendingDocument['req'] = { operation: settings.operation, entity, data };
        if (key !== undefined) req.key = key;
        if (settings.action) req.action = settings.action;
        if (settings.externalKeyField) req.externalKeyField = settings.externalKeyField;
        const out: PendingDocument = { req };
        if (typeof msg.topic === 'string') out.topic = msg.topic;
        if (typeof msg._msgid === 'string') out.msgid = msg._msgid;
        return out;
      };

      const request = (doc: PendingDocument, idempotencyKey: string, firstSentAt: number): ErpRequest => ({ ...doc.req, idempotencyKey, firstSentAt: new Date(firstSentAt) });
      const ok = (send: SendFn, doc: PendingDocument, r: ErpResult, idempotencyKey: string): void => {
        delivered += 1;
        lastRefused = false;
        const msg: NodeMessage = { payload: r.document, key: r.key, status: r.status, replayed: r.replayed === true, erp: { operation: doc.req.operation, entity: doc.req.entity, idempotencyKey, ...(r.etag ? { etag: r.etag } : {}) } };
        if (doc.topic !== undefined) msg.topic = doc.topic;
        send([msg, null]);
      };
      const deadLetter = (send: SendFn, doc: PendingDocument, err: PlantwireError & { httpStatus: number | null; erpCode?: string | undefined }, idempotencyKey: string): void => {
        refused += 1;
        lastRefused = true;
        const msg: NodeMessage = {
          payload: doc.req.data,
          error: { message: err.message, code: err.erpCode ?? err.code, httpStatus: err.httpStatus },
          erp: { operation: doc.req.operation, entity: doc.req.entity, idempotencyKey, ...(doc.req.key !== undefined ? { key: doc.req.key } : {}) },
        };
        if (doc.topic !== undefined) msg.topic = doc.topic;
        send([null, msg]);
        setStatus(node, 'error', `refused: ${err.message}`);
      };

      // Documents the ERP already answered in a round that failed further on: not sent (nor reported) again when
      // the round is retried. A restart forgets them; the ERP then recognises the repeat by its idempotency key.
      const answered = new Set<string>();
      /** Sends documents: one request each (batchSize 1) or one executeBatch call; business refusals go to output 2, anything else throws (retry). */
      const deliverAll = async (send: SendFn, items: Array<{ doc: PendingDocument; key: string; ts: number }>): Promise<void> => {
        if (settings.batchSize === 1) {
          for (const it of items) {
            if (answered.has(it.key)) continue;
            let r: ErpResult;
            try {
              r = await erp.conn.driver.execute(request(it.doc, it.key, it.ts));
            } catch (err) {
              const refusedErr = refusal(err);
              if (!refusedErr) throw err;
              deadLetter(send, it.doc, refusedErr, it.key);
              answered.add(it.key);
              continue;
            }
            ok(send, it.doc, r, it.key);
            answered.add(it.key);
          }
          for (const it of items) answered.delete(it.key);
          return;
        }
        const results = await erp.conn.driver.executeBatch(items.map((it) => request(it.doc, it.key, it.ts)));
        if (results.length !== items.length) throw new PlantwireError('erp-batch', `the ERP answered ${results.length} results for ${items.length} documents`, 'batch answer incomplete');
        results.forEach((r, i) => {
          const it = items[i]!;
          const refusedErr = refusal(r);
          if (refusedErr) deadLetter(send, it.doc, refusedErr, it.key);
          else if (r instanceof Error) throw r;
          else ok(send, it.doc, r as ErpResult, it.key);
        });
      };

      const send: SendFn = (m) => node.send(m);
      const round = settings.batchSize === 1 ? SINGLE_ROUND : settings.batchSize;
      const buffer = openSinkBuffer<PendingDocument>(RED, node, buffering, {
        idleStatus: idle,
        // Single posts are taken from the buffer in rounds: one buffer transaction per round, not one per document.
        batchSize: round,
        // Batch wait: a batch goes when it is full or its oldest document has waited batchMs (src/buffer/flush.ts).
        ...(settings.batchSize > 1 && settings.batchMs > 0 ? { flush: { count: settings.batchSize, ms: settings.batchMs } } : {}),
        // Each request has the connection's timeout; single posts, REST and Odoo batches go one after the other.
        deliverTimeoutMs: erp.conn.settings.timeoutMs * (round + 1) + 5000,
        deliver: (batch: QueueEntry<PendingDocument>[]) => deliverAll(send, batch.map((e) => ({ doc: e.body, key: idempotencyKey(e), ts: e.ts }))),
      });
      erp.users.register(node);
      if (buffer) {
        const off = erp.onUp(() => {
          buffer.kick();
          buffer.showStatus();
        });
        onInput(node, async (msg) => buffer.accept(await build(msg)));
        onClose(node, async (removed) => {
          off();
          await buffer.close(removed);
          await erp.users.deregister(node);
        });
        return;
      }
      // Without a buffer the message waits for the ERP's answer; a transport failure goes to Catch.
      let seq = 0;
      onInput(node, async (msg, sendFn) => {
        const doc = await build(msg);
        seq += 1;
        await deliverAll(sendFn, [{ doc, key: `${node.id}:${typeof msg._msgid === 'string' ? msg._msgid : `${Date.now()}-${seq}`}`, ts: Date.now() }]);
        const s = idle();
        setStatus(node, s.state, s.text);
      });
      onClose(node, () => erp.users.deregister(node));
    },
  });
};
