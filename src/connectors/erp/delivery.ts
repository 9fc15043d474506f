/**
 * Sending documents to an ERP with a clear end for each: answered, refused
 * (dead-letter, never retried) or not known (left for a retry with the same
 * idempotency key). The one delivery contract (src/model/delivery.ts) decides
 * what a refusal is. Used by erp-out; no Node-RED import.
 */
import { isPermanent } from '../../model/delivery';
import { PlantwireError, toError } from '../../model/errors';
import { HttpError } from '../http';
import { ErpOutcomeUnknown, type ErpDriver, type ErpRequest, type ErpResult } from './types';

/** A refusal as the dead-letter output reports it: the HTTP status (null when none) and the ERP's own code. */
export type Refusal = PlantwireError & { httpStatus: number | null; erpCode?: string | undefined };

/** Failures that come from the document itself (a retry sends the same document and fails the same way): the drivers' checks of its shape. */
const DOCUMENT_CODES = /^(bad-input|erp-bad-(key|operation|document|request)|erp-no-(key|entity|action|idempotency-key))$/;

/**
 * The error as a refusal (dead-letter, never retried), or null: a permanent error — the ERP's business error, a
 * permanent HTTP error (4xx but 408/425/429) — or the document's own shape. An unknown outcome is never one.
 */
export function refusal(err: unknown): Refusal | null {
  if (err instanceof ErpOutcomeUnknown || !(err instanceof PlantwireError)) return null;
  if (!isPermanent(err) && !DOCUMENT_CODES.test(err.code)) return null;
  const r = err as Refusal;
  if (r.httpStatus === undefined) Object.assign(err, { httpStatus: null });
  return r;
}

/** The request went out and no answer came back (connection reset or closed): the outcome is unknown, the ERP is there. */
export function lostAnswer(err: Error): boolean {
  if (err instanceof ErpOutcomeUnknown) return true;
  return err instanceof HttpError && err.httpStatus === null && /connection (reset|closed)|socket hang up|ECONNRESET|EPIPE/i.test(err.message);
}

/** The fields an ERP error names (OData target / details[].target). */
export function errorFields(err: unknown): string[] {
  const info = (err as { details?: unknown }).details as { target?: unknown; details?: Array<{ target?: unknown }> } | undefined;
  if (!info || typeof info !== 'object') return [];
  const all = [info.target, ...(Array.isArray(info.details) ? info.details.map((d) => d?.target) : [])];
  return [...new Set(all.filter((t): t is string => typeof t === 'string' && t !== ''))];
}

/** What happens to each document as its end becomes known. */
export interface DocumentOutcomes<T> {
  answered(item: T, result: ErpResult): void;
  refused(item: T, err: Refusal): void;
}

/**
 * Sends the documents: one request each, in order (`single`), or one `executeBatch` call. Each document ends
 * answered or refused through `out`, or stays not known. Returns the error that left documents not known
 * (after a single post that failed without a refusal, the rest of the round waits, in order), else undefined.
 */
export async function sendDocuments<T extends { request: ErpRequest }>(driver: ErpDriver, items: T[], single: boolean, out: DocumentOutcomes<T>): Promise<Error | undefined> {
  if (single) {
    for (const it of items) {
      let r: ErpResult;
      try {
        r = await driver.execute(it.request);
      } catch (err) {
        const refused = refusal(err);
        // Not refused: the ERP is unreachable, busy or its answer was lost.
        if (!refused) return toError(err);
        out.refused(it, refused);
        continue;
      }
      out.answered(it, r);
    }
    return undefined;
  }
  const results = await driver.executeBatch(items.map((it) => it.request));
  let unknown: Error | undefined;
  items.forEach((it, i) => {
    const r = results[i];
    if (r === undefined) {
      unknown ??= new ErpOutcomeUnknown(`the ERP answered ${results.length} results for ${items.length} documents`);
      return;
    }
    if (r instanceof Error) {
      const refused = refusal(r);
      if (refused) out.refused(it, refused);
      else unknown ??= r;
      return;
    }
    out.answered(it, r);
  });
  return unknown;
}
