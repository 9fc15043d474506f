/**
 * HTTP(S) webhook batch target. PLACEHOLDER owned by the cloud-batch work;
 * replaced before landing.
 */
import { PlantwireError } from '../../model/errors';
import type { CloudRecord, CloudStateEvent, CloudTarget } from './types';

export interface WebhookSettings {
  url: string;
  method: 'POST' | 'PUT';
  /** Extra headers; the auth header (e.g. "Authorization: Bearer …") comes from credentials. */
  headers: Record<string, string>;
  authHeaderName?: string;
  authHeaderValue?: string;
  /** Body: a JSON array of records, or NDJSON. */
  format: 'json' | 'ndjson';
  gzip: boolean;
  flushCount: number;
  flushBytes: number;
  flushMs: number;
  timeoutMs: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

export class WebhookTarget implements CloudTarget {
  readonly kind = 'webhook' as const;
  readonly batching = true;
  readonly state: CloudStateEvent = { state: 'error', text: 'webhook: not built yet' };
  constructor(readonly settings: WebhookSettings) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  deliver(_records: CloudRecord[]): Promise<void> {
    return Promise.reject(new PlantwireError('not-implemented', 'the webhook target is not built yet'));
  }
  onState(_l: (s: CloudStateEvent) => void): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
