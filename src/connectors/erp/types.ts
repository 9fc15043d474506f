/**
 * The contract between the ERP nodes (plantwire-erp-connection/-out/-query)
 * and the per-system drivers in this folder (SAP OData v2, OData v4, Odoo
 * JSON-RPC, generic REST). A driver is a protocol client: no Node-RED import.
 * One driver instance per erp-connection config node; it owns the session
 * (CSRF token and cookies, OAuth2 token, Odoo uid) and reuses it.
 */
import { PlantwireError } from '../../model/errors';

export type ErpKind = 'sap-odata-v2' | 'odata-v4' | 'odoo' | 'rest';
export type ErpOperation = 'create' | 'update' | 'upsert' | 'delete' | 'action';
export type ErpAuth = 'none' | 'basic' | 'oauth2' | 'apikey';

/** Connection settings, from the erp-connection config node (credentials merged in). */
export interface ErpSettings {
  kind: ErpKind;
  /** OData service root (…/sap/opu/odata/sap/API_…_SRV/), OData v4 root, Odoo base URL, or REST base URL. */
  url: string;
  /** SAP: sap-client (e.g. "100"); sent as query parameter. */
  sapClient?: string;
  /** Odoo: database name. */
  database?: string;
  auth: ErpAuth;
  user?: string;
  /** Basic / Odoo password or Odoo API key. */
  password?: string;
  tokenUrl?: string;
  clientId?: string;
  clientSecret?: string;
  scope?: string;
  apiKey?: string;
  /** Header carrying the API key (default "x-api-key"; "Authorization" sends it as-is). */
  apiKeyHeader?: string;
  /** REST: extra headers sent on every call. */
  headers?: Record<string, string>;
  timeoutMs: number;
  tls?: { ca?: string; rejectUnauthorized?: boolean };
}

/** One document operation. */
export interface ErpRequest {
  operation: ErpOperation;
  /** OData entity set, Odoo model (e.g. "maintenance.request"), or REST path template already filled in. */
  entity: string;
  /** Key of the target document for update/delete/bound action: a scalar or a compound key object. */
  key?: string | number | Record<string, string | number | boolean>;
  /** The document (create/update/upsert) or action parameters. */
  data: Record<string, unknown>;
  /** OData action / function import name, Odoo method name (operation 'action'). */
  action?: string;
  /** REST: the HTTP method for this operation (the node picks a default per operation). */
  method?: string;
  /**
   * Stable per document across retries and restarts (the buffer entry's key):
   * SAP Repeatability-Request-ID, OData v4/REST Idempotency-Key, Odoo external key value
   * when no external key field is mapped.
   */
  idempotencyKey: string;
  /** When the document was first sent (SAP Repeatability-First-Sent). */
  firstSentAt: Date;
  /** Odoo: the field that holds the external key (search before create / upsert match). */
  externalKeyField?: string;
  /** Optimistic concurrency for update/delete: an ETag (If-Match); undefined = "*" or read first, per driver. */
  etag?: string;
}

export interface ErpResult {
  /** The document's key as the ERP reports it (new key on create). */
  key: unknown;
  /** The ERP's response document (or action result). */
  document: unknown;
  status: number;
  etag?: string;
  /** true when the ERP recognised a repeated request and returned the original result (no new document). */
  replayed?: boolean;
}

export interface ErpQuery {
  entity: string;
  /** OData $filter, or an Odoo domain (JSON array) for search_read. */
  filter?: string | unknown[];
  select?: string[];
  expand?: string;
  orderby?: string;
  /** Maximum rows in all (paging stops there). */
  top?: number;
  /** Safety limit on followed next links (default 100). */
  maxPages?: number;
}

export interface ErpQueryResult {
  rows: Array<Record<string, unknown>>;
  pages: number;
}

export interface ErpDriver {
  readonly kind: ErpKind;
  /** Logs in / fetches metadata and says what it reached ("SAP OData v2, 3 entity sets, sap-client 100"). */
  test(): Promise<string>;
  execute(req: ErpRequest): Promise<ErpResult>;
  /**
   * Several documents in one round trip where the system supports it (OData $batch, one changeset
   * per document so one bad document does not fail the others). Results are in request order;
   * a business error for one document is returned in its slot, not thrown; a document the answer
   * does not cover (short answer, a transient failure of its changeset) gets an ErpOutcomeUnknown:
   * send it again later with the same idempotency key. Transport failures of the whole call throw.
   */
  executeBatch(reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError | ErpOutcomeUnknown>>;
  query(q: ErpQuery): Promise<ErpQueryResult>;
  close(): void;
}

/**
 * The ERP refused the document for a business reason (unknown order, locked record, validation):
 * retrying will not help. `message` is the ERP's own text; the node puts it on the dead-letter output.
 */
export class ErpBusinessError extends PlantwireError {
  readonly transient = false;
  constructor(
    message: string,
    readonly httpStatus: number | null,
    /** The ERP's own error code (SAP message class/number, Odoo exception name, OData error code). */
    readonly erpCode: string | undefined,
    readonly details?: unknown,
  ) {
    super('erp-business', message, message);
    this.name = 'ErpBusinessError';
  }
}

/**
 * The ERP did not say what became of this document (a `$batch` answer without its Content-ID, a
 * transient failure of its changeset, a lost answer): it may or may not exist. Retried later with
 * the same idempotency key, never sent as new.
 */
export class ErpOutcomeUnknown extends PlantwireError {
  readonly transient = true;
  readonly httpStatus: number | null;
  constructor(message: string, httpStatus: number | null = null) {
    super('erp-outcome-unknown', message, 'outcome unknown: retrying');
    this.name = 'ErpOutcomeUnknown';
    this.httpStatus = httpStatus;
  }
}

/**
 * Defence in depth: every request of an ERP driver goes to the connection's own server (scheme,
 * host and port of its URL), the only one meant to receive its credentials. A URL built from an
 * entity or taken from a server's next link that points elsewhere is refused, never sent (a
 * document-shaped error: dead-lettered, not retried).
 */
export function checkErpOrigin(configured: string, url: URL | string): void {
  const own = new URL(configured).origin;
  const target = typeof url === 'string' ? new URL(url) : url;
  if (target.origin !== own) throw new PlantwireError('erp-bad-request', `refused to send a request to ${target.origin}: the ERP connection sends its requests and credentials only to ${own}`, 'request to another server refused');
}
