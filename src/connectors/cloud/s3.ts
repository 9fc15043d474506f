/**
 * S3-compatible batch target. PLACEHOLDER owned by the cloud-batch work
 * (SigV4 signing, NDJSON/CSV, gzip, key pattern); replaced before landing.
 */
import { PlantwireError } from '../../model/errors';
import type { CloudRecord, CloudStateEvent, CloudTarget } from './types';

export interface S3Settings {
  /** https://s3.eu-central-1.amazonaws.com, http://127.0.0.1:9000 (MinIO), … */
  endpoint: string;
  region: string;
  bucket: string;
  /** Path-style URLs (MinIO and most S3-compatible servers) instead of virtual-hosted style. */
  pathStyle: boolean;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** e.g. "plant/{asset}/{yyyy}/{MM}/{dd}/{HH}/{uuid}.ndjson" */
  keyPattern: string;
  format: 'ndjson' | 'csv';
  gzip: boolean;
  /** Flush thresholds (the node flushes on whichever comes first). */
  flushCount: number;
  flushBytes: number;
  flushMs: number;
  timeoutMs: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

export class S3Target implements CloudTarget {
  readonly kind = 's3' as const;
  readonly batching = true;
  readonly state: CloudStateEvent = { state: 'error', text: 'S3: not built yet' };
  constructor(readonly settings: S3Settings) {}
  start(): Promise<void> {
    return Promise.resolve();
  }
  deliver(_records: CloudRecord[]): Promise<void> {
    return Promise.reject(new PlantwireError('not-implemented', 'the S3 target is not built yet'));
  }
  onState(_l: (s: CloudStateEvent) => void): () => void {
    return () => undefined;
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}
