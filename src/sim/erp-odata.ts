/**
 * An SAP S/4HANA-style OData simulator (pure node:http) for tests, benches and
 * the demo. One server, one document store, three SAP OData v2 services and one
 * OData v4 service over the same store:
 *
 *   /sap/opu/odata/sap/API_PROD_ORDER_CONFIRMATION_2_SRV/   ProdnOrdConf2, CancelProdnOrdConf
 *   /sap/opu/odata/sap/API_MAINTNOTIFICATION/               MaintenanceNotification, CompleteMaintNotification
 *   /sap/opu/odata/sap/API_PRODUCTION_ORDER_2_SRV/          A_ProductionOrder_2 (read only, 20 seeded orders)
 *   /odata/v4/                                              the same entity sets in OData v4 (JSON $batch,
 *                                                           @odata.etag, Idempotency-Key)
 *   POST /oauth/token                                       OAuth2 client credentials (short-lived tokens)
 *   GET  /  and /sim/documents[/<EntitySet>]                what it received (HTML page / JSON)
 *   POST /sim/faults {dropRate, latencyMs}                  fault switch over HTTP
 *
 * What it enforces like SAP Gateway: `$metadata`, the CSRF token (fetched with
 * `X-CSRF-Token: Fetch`, tied to the SAP_SESSIONID cookie, 403 + `X-CSRF-Token:
 * Required` without it; `expireCsrfTokens()` invalidates all), sap-client,
 * multipart `$batch` with changesets (a failing changeset is rolled back and
 * answered with one error part), ETags (`If-Match`, 412 on mismatch, 428 when
 * missing), repeatability (`Repeatability-Request-ID`: a repeated id returns the
 * original response and creates nothing), SAP error JSON, server-side paging
 * (`__next` / `@odata.nextLink`), basic auth and bearer tokens.
 *
 * Faults: `dropRate` destroys the socket instead of answering a fraction of the
 * modifying requests AFTER the change is committed (the client sees a reset
 * and must retry: only idempotent delivery avoids duplicates); `latencyMs`
 * delays every answer.
 */
import crypto from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import {
  boundaryOf,
  formatHttpMessage,
  httpPart,
  joinMultipart,
  newBoundary,
  parseHttpMessage,
  parseKeyPredicate,
  splitMultipart,
  type MimePart,
} from '../connectors/erp/odata-common';

// ------------------------------------------------------------------ options and API

export interface ErpSimOptions {
  /** TCP port; 0 picks a free one. Default 4300. */
  port?: number;
  host?: string;
  /** The SAP client the v2 services accept (`sap-client` query parameter; absent = this one). Default "100". */
  sapClient?: string;
  /** Basic-auth users (name → password). Default { PLANTWIRE: 'plantwire' }. */
  users?: Record<string, string>;
  /** OAuth2 clients (client id → secret). Default { plantwire: 'plantwire-secret' }. */
  clients?: Record<string, string>;
  /** Refuse anonymous requests (401). Default false: credentials are checked when sent. */
  requireAuth?: boolean;
  /** Lifetime of issued access tokens in seconds. Default 3600. */
  tokenLifetimeS?: number;
  /** Lifetime of CSRF tokens in ms (default: until `expireCsrfTokens()`). */
  csrfLifetimeMs?: number;
  /**
   * OData v2 JSON as the specification has it: Edm.Decimal as a string ("12.5"), Edm.DateTime as
   * "/Date(ms)/"; JSON numbers and ISO dates for those are refused with 400. Default false (lenient).
   */
  strictV2Json?: boolean;
  /**
   * How long repeatable requests are tracked (s). An unknown Repeatability-Request-ID whose
   * Repeatability-First-Sent is older is refused with 412 and `Repeatability-Result: rejected`. Default 86,400.
   */
  repeatabilityWindowS?: number;
  /** Serve HTTPS with this PEM key and certificate (for custom-CA tests); plain HTTP without. */
  tls?: { key: string; cert: string };
  /** Enforce the CSRF token on the OData v4 service too (as SAP's own v4 services do). Default false (Business Central style). */
  v4Csrf?: boolean;
  /** Server-side page size for collections (default 50). */
  pageSize?: number;
  /** Fraction (0…1) of modifying requests whose response is dropped after commit. Default 0. */
  dropRate?: number;
  /** Delay before every answer (ms). Default 0. */
  latencyMs?: number;
  /** Seed of the drop decision (deterministic runs). Default 1. */
  seed?: number;
  log?: (line: string) => void;
}

export interface ErpSimStats {
  requests: number;
  /** Responses destroyed after commit. */
  dropped: number;
  csrfFetches: number;
  /** Writes refused for a missing or stale CSRF token. */
  csrfRejected: number;
  tokensIssued: number;
  /** Requests refused with 401 (bad or expired credentials/tokens). */
  unauthorized: number;
  /** Requests answered from the repeatability / idempotency store. */
  replays: number;
  batches: number;
  created: number;
}

export interface ErpSim {
  /** http://host:port */
  readonly url: string;
  readonly port: number;
  /** v2 service roots (with trailing slash). */
  readonly v2: { confirmation: string; notification: string; productionOrder: string };
  /** OData v4 service root. */
  readonly v4: string;
  readonly tokenUrl: string;
  readonly stats: ErpSimStats;
  /** Stored documents of an entity set (v4 JSON form: decimals as numbers, dates ISO). */
  documents(entitySet: string): Array<Record<string, unknown>>;
  /** Change the fault switch at run time. */
  faults(f: { dropRate?: number; latencyMs?: number }): void;
  /** Invalidate every CSRF token (sessions stay): the next write gets 403 "Required". */
  expireCsrfTokens(): void;
  /** End every SAP session (as a session timeout does): the cookie is unknown, its CSRF token with it. */
  expireSessions(): void;
  /** Revoke every access token (the next request with one gets 401). */
  expireAccessTokens(): void;
  /** Empty the written entity sets, repeatability store and counters (seeded orders stay). */
  reset(): void;
  close(): Promise<void>;
}

// ------------------------------------------------------------------ model

type EdmType = 'Edm.String' | 'Edm.Decimal' | 'Edm.DateTime' | 'Edm.DateTimeOffset' | 'Edm.Boolean';

interface PropDef {
  name: string;
  type: EdmType;
  maxLength?: number;
  scale?: number;
  key?: boolean;
  /** Set by the server; ignored in requests. */
  readOnly?: boolean;
  required?: boolean;
  label: string;
}

interface ActionDef {
  name: string;
  /** Parameter names (all Edm.String). */
  params: string[];
  run(store: Store, params: Record<string, unknown>, user: string): Entity;
}

interface SetDef {
  name: string;
  service: string;
  typeName: string;
  props: PropDef[];
  keys: string[];
  nav: string[];
  readOnly?: boolean;
  defaults(data: Record<string, unknown>, store: Store, user: string): void;
  validate(data: Record<string, unknown>, store: Store): SimError | null;
  assignKey(data: Record<string, unknown>, store: Store): void;
  actions: ActionDef[];
}

interface Entity {
  data: Record<string, unknown>;
  etag: string;
}

class SimError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly target = '',
  ) {
    super(message);
  }
}

const P = (name: string, type: EdmType, label: string, extra: Partial<PropDef> = {}): PropDef => ({ name, type, label, ...extra });

const CONF_SRV = 'API_PROD_ORDER_CONFIRMATION_2_SRV';
const NOTIF_SRV = 'API_MAINTNOTIFICATION';
const ORDER_SRV = 'API_PRODUCTION_ORDER_2_SRV';
const V4_NS = 'Plantwire';

interface Order {
  ManufacturingOrder: string;
  ManufacturingOrderType: string;
  Material: string;
  ProductionPlant: string;
  WorkCenter: string;
  TotalQuantity: number;
  ProductionUnit: string;
  MfgOrderPlannedStartDate: number;
  MfgOrderPlannedEndDate: number;
  OrderIsReleased: boolean;
}

const OPERATIONS = ['0010', '0020', '0030'];

class Store {
  readonly sets = new Map<string, Map<string, Entity>>();
  readonly orders = new Map<string, Order>();
  private lastChange = 0;
  private readonly groups = new Map<string, string>();
  private readonly groupCounts = new Map<string, number>();
  private nextGroup = 50_000;
  private nextNotification = 10_000_000;
  /** Undo journal of the running changeset (null outside one). */
  journal: Array<() => void> | null = null;

  constructor() {
    this.seed();
  }

  seed(): void {
    const day = Date.UTC(2026, 10, 23);
    const materials = ['FG-BOTTLE-05L', 'FG-BOTTLE-1L', 'FG-CAN-033L', 'FG-CRATE-12'];
    for (let i = 0; i < 20; i++) {
      const id = String(1_000_100 + i);
      this.orders.set(id, {
        ManufacturingOrder: id,
        ManufacturingOrderType: 'PP01',
        Material: materials[i % materials.length]!,
        ProductionPlant: '1010',
        WorkCenter: i % 2 ? 'LINE2' : 'LINE1',
        TotalQuantity: 1000 * (1 + (i % 5)),
        ProductionUnit: 'ST',
        MfgOrderPlannedStartDate: day + Math.floor(i / 4) * 86_400_000,
        MfgOrderPlannedEndDate: day + (Math.floor(i / 4) + 1) * 86_400_000,
        OrderIsReleased: i < 10,
      });
    }
  }

  set(name: string): Map<string, Entity> {
    let m = this.sets.get(name);
    if (!m) {
      m = new Map();
      this.sets.set(name, m);
    }
    return m;
  }

  /** A new strictly increasing change time (ms) and the SAP-style weak ETag made from it. */
  stamp(): { at: number; etag: string } {
    this.lastChange = Math.max(Date.now(), this.lastChange + 1);
    const iso = new Date(this.lastChange).toISOString().replace('Z', '0000Z').replace(/:/g, '%3A');
    return { at: this.lastChange, etag: `W/"datetimeoffset'${iso}'"` };
  }

  put(setName: string, key: string, e: Entity | undefined): void {
    const m = this.set(setName);
    const before = m.get(key);
    this.journal?.push(() => {
      if (before) m.set(key, before);
      else m.delete(key);
    });
    if (e) m.set(key, e);
    else m.delete(key);
  }

  confirmationGroup(order: string, op: string): { group: string; count: string } {
    const id = `${order}/${op}`;
    let g = this.groups.get(id);
    if (!g) {
      g = String(this.nextGroup++).padStart(10, '0');
      this.groups.set(id, g);
    }
    const n = (this.groupCounts.get(g) ?? 0) + 1;
    this.groupCounts.set(g, n);
    return { group: g, count: String(n).padStart(8, '0') };
  }

  notificationNumber(): string {
    return String(this.nextNotification++);
  }

  clear(): void {
    this.sets.clear();
    this.groups.clear();
    this.groupCounts.clear();
    this.nextGroup = 50_000;
    this.nextNotification = 10_000_000;
  }
}

function today(): number {
  const d = new Date();
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

const CONFIRMATION: SetDef = {
  name: 'ProdnOrdConf2',
  service: CONF_SRV,
  typeName: 'A_ProdnOrdConf2Type',
  keys: ['ConfirmationGroup', 'ConfirmationCount'],
  nav: ['to_ProdnOrdConfMatlDocItm'],
  props: [
    P('ConfirmationGroup', 'Edm.String', 'Confirmation', { maxLength: 10, key: true, readOnly: true }),
    P('ConfirmationCount', 'Edm.String', 'Counter', { maxLength: 8, key: true, readOnly: true }),
    P('OrderID', 'Edm.String', 'Order', { maxLength: 12, required: true }),
    P('OrderType', 'Edm.String', 'Order Type', { maxLength: 4, readOnly: true }),
    P('Sequence', 'Edm.String', 'Sequence', { maxLength: 6 }),
    P('OrderOperation', 'Edm.String', 'Operation', { maxLength: 4 }),
    P('OrderSuboperation', 'Edm.String', 'Suboperation', { maxLength: 4 }),
    P('Plant', 'Edm.String', 'Plant', { maxLength: 4, readOnly: true }),
    P('WorkCenter', 'Edm.String', 'Work Center', { maxLength: 8, readOnly: true }),
    P('Material', 'Edm.String', 'Material', { maxLength: 40, readOnly: true }),
    P('ConfirmationText', 'Edm.String', 'Confirmation Text', { maxLength: 40 }),
    P('ConfirmationUnit', 'Edm.String', 'Unit of Measure', { maxLength: 3 }),
    P('ConfirmationYieldQuantity', 'Edm.Decimal', 'Yield', { scale: 3 }),
    P('ConfirmationScrapQuantity', 'Edm.Decimal', 'Scrap', { scale: 3 }),
    P('ConfirmationReworkQuantity', 'Edm.Decimal', 'Rework', { scale: 3 }),
    P('VarianceReasonCode', 'Edm.String', 'Reason for Variance', { maxLength: 4 }),
    P('FinalConfirmationType', 'Edm.String', 'Final Confirmation Type', { maxLength: 1 }),
    P('IsFinalConfirmation', 'Edm.Boolean', 'Final Confirmation'),
    P('PostingDate', 'Edm.DateTime', 'Posting Date'),
    P('Personnel', 'Edm.String', 'Personnel Number', { maxLength: 8 }),
    P('EnteredByUser', 'Edm.String', 'Entered By', { maxLength: 12, readOnly: true }),
    P('ConfirmationEntryDate', 'Edm.DateTime', 'Entry Date', { readOnly: true }),
    P('IsReversed', 'Edm.Boolean', 'Reversed', { readOnly: true }),
    P('LastChangeDateTime', 'Edm.DateTimeOffset', 'Last Change', { readOnly: true }),
  ],
  defaults(d, store, user) {
    const order = store.orders.get(String(d.OrderID));
    d.Sequence ??= '0';
    d.OrderOperation ??= '0010';
    d.ConfirmationUnit ??= order?.ProductionUnit ?? 'ST';
    d.ConfirmationYieldQuantity ??= 0;
    d.ConfirmationScrapQuantity ??= 0;
    d.ConfirmationReworkQuantity ??= 0;
    d.PostingDate ??= today();
    d.IsFinalConfirmation ??= false;
    d.FinalConfirmationType ??= d.IsFinalConfirmation ? 'X' : '';
    d.OrderType = order?.ManufacturingOrderType ?? '';
    d.Plant = order?.ProductionPlant ?? '';
    d.WorkCenter = order?.WorkCenter ?? '';
    d.Material = order?.Material ?? '';
    d.EnteredByUser = user.slice(0, 12).toUpperCase();
    d.ConfirmationEntryDate = today();
    d.IsReversed = false;
  },
  validate(d, store) {
    const id = String(d.OrderID ?? '');
    const order = store.orders.get(id);
    if (!order) return new SimError(400, 'RU/103', `Order ${id} does not exist`, 'OrderID');
    if (!order.OrderIsReleased) return new SimError(400, 'RU/150', `Order ${id} is not released: confirmations are only possible for released orders`, 'OrderID');
    if (!OPERATIONS.includes(String(d.OrderOperation))) return new SimError(400, 'RU/016', `Operation ${String(d.OrderOperation)} does not exist in order ${id}`, 'OrderOperation');
    for (const q of ['ConfirmationYieldQuantity', 'ConfirmationScrapQuantity', 'ConfirmationReworkQuantity']) {
      if (Number(d[q]) < 0) return new SimError(400, 'RU/220', `Enter a positive quantity (${q})`, q);
    }
    if (Number(d.ConfirmationYieldQuantity) + Number(d.ConfirmationScrapQuantity) + Number(d.ConfirmationReworkQuantity) === 0 && !d.IsFinalConfirmation) {
      return new SimError(400, 'RU/302', 'Enter a quantity (yield, scrap or rework) or mark the confirmation as final', 'ConfirmationYieldQuantity');
    }
    return null;
  },
  assignKey(d, store) {
    const { group, count } = store.confirmationGroup(String(d.OrderID), String(d.OrderOperation));
    d.ConfirmationGroup = group;
    d.ConfirmationCount = count;
  },
  actions: [
    {
      name: 'CancelProdnOrdConf',
      params: ['ConfirmationGroup', 'ConfirmationCount'],
      run(store, p) {
        const key = keyString(CONFIRMATION, { ConfirmationGroup: p.ConfirmationGroup, ConfirmationCount: p.ConfirmationCount });
        const e = store.set('ProdnOrdConf2').get(key);
        if (!e) throw new SimError(404, 'RU/505', `Confirmation ${String(p.ConfirmationGroup)}/${String(p.ConfirmationCount)} does not exist`);
        if (e.data.IsReversed) throw new SimError(400, 'RU/506', `Confirmation ${String(p.ConfirmationGroup)}/${String(p.ConfirmationCount)} is already cancelled`);
        const s = store.stamp();
        const next = { data: { ...e.data, IsReversed: true, LastChangeDateTime: s.at }, etag: s.etag };
        store.put('ProdnOrdConf2', key, next);
        return next;
      },
    },
  ],
};

const NOTIFICATION_TYPES = ['M1', 'M2', 'M3'];

const NOTIFICATION: SetDef = {
  name: 'MaintenanceNotification',
  service: NOTIF_SRV,
  typeName: 'A_MaintenanceNotificationType',
  keys: ['MaintenanceNotification'],
  nav: [],
  props: [
    P('MaintenanceNotification', 'Edm.String', 'Notification', { maxLength: 12, key: true, readOnly: true }),
    P('NotificationText', 'Edm.String', 'Description', { maxLength: 40, required: true }),
    P('NotificationType', 'Edm.String', 'Notification Type', { maxLength: 2 }),
    P('MaintPriority', 'Edm.String', 'Priority', { maxLength: 1 }),
    P('TechnicalObject', 'Edm.String', 'Technical Object', { maxLength: 40 }),
    P('TechObjIsEquipOrFuncnlLoc', 'Edm.String', 'Technical Object Type', { maxLength: 10 }),
    P('MaintenancePlanningPlant', 'Edm.String', 'Planning Plant', { maxLength: 4 }),
    P('MaintenancePlant', 'Edm.String', 'Maintenance Plant', { maxLength: 4 }),
    P('ReportedByUser', 'Edm.String', 'Reported By', { maxLength: 12 }),
    P('MalfunctionStartDate', 'Edm.DateTime', 'Start of Malfunction'),
    P('MaintenanceObjectIsDown', 'Edm.Boolean', 'Breakdown'),
    P('MaintNotifLongTextForEdit', 'Edm.String', 'Long Text'),
    P('NotifProcessingPhase', 'Edm.String', 'Processing Phase', { maxLength: 1, readOnly: true }),
    P('NotificationCreationDate', 'Edm.DateTime', 'Created On', { readOnly: true }),
    P('LastChangeDateTime', 'Edm.DateTimeOffset', 'Last Change', { readOnly: true }),
  ],
  defaults(d, _store, user) {
    d.NotificationType ??= 'M2';
    d.MaintPriority ??= '3';
    d.MaintenancePlanningPlant ??= '1010';
    d.MaintenancePlant ??= d.MaintenancePlanningPlant;
    d.TechObjIsEquipOrFuncnlLoc ??= d.TechnicalObject ? 'EAMS_EQUI' : '';
    d.ReportedByUser ??= user.slice(0, 12).toUpperCase();
    d.MaintenanceObjectIsDown ??= false;
    d.NotifProcessingPhase = '1';
    d.NotificationCreationDate = today();
  },
  validate(d) {
    if (!NOTIFICATION_TYPES.includes(String(d.NotificationType))) return new SimError(400, 'IWO_BAPI2/118', `Notification type ${String(d.NotificationType)} is not defined`, 'NotificationType');
    if (!/^[1-4]$/.test(String(d.MaintPriority))) return new SimError(400, 'IWO_BAPI2/120', `Priority ${String(d.MaintPriority)} is not defined for notification type ${String(d.NotificationType)}`, 'MaintPriority');
    return null;
  },
  assignKey(d, store) {
    d.MaintenanceNotification = store.notificationNumber();
  },
  actions: [
    {
      name: 'CompleteMaintNotification',
      params: ['MaintenanceNotification'],
      run(store, p) {
        const key = keyString(NOTIFICATION, { MaintenanceNotification: p.MaintenanceNotification });
        const e = store.set('MaintenanceNotification').get(key);
        if (!e) throw new SimError(404, 'IWO_BAPI2/200', `Notification ${String(p.MaintenanceNotification)} does not exist`);
        if (e.data.NotifProcessingPhase === '4') throw new SimError(400, 'IWO_BAPI2/201', `Notification ${String(p.MaintenanceNotification)} is already completed`);
        const s = store.stamp();
        const next = { data: { ...e.data, NotifProcessingPhase: '4', LastChangeDateTime: s.at }, etag: s.etag };
        store.put('MaintenanceNotification', key, next);
        return next;
      },
    },
  ],
};

const PRODUCTION_ORDER: SetDef = {
  name: 'A_ProductionOrder_2',
  service: ORDER_SRV,
  typeName: 'A_ProductionOrder_2Type',
  keys: ['ManufacturingOrder'],
  nav: [],
  readOnly: true,
  props: [
    P('ManufacturingOrder', 'Edm.String', 'Order', { maxLength: 12, key: true }),
    P('ManufacturingOrderType', 'Edm.String', 'Order Type', { maxLength: 4 }),
    P('Material', 'Edm.String', 'Material', { maxLength: 40 }),
    P('ProductionPlant', 'Edm.String', 'Plant', { maxLength: 4 }),
    P('WorkCenter', 'Edm.String', 'Work Center', { maxLength: 8 }),
    P('TotalQuantity', 'Edm.Decimal', 'Total Quantity', { scale: 3 }),
    P('ProductionUnit', 'Edm.String', 'Unit', { maxLength: 3 }),
    P('MfgOrderPlannedStartDate', 'Edm.DateTime', 'Planned Start'),
    P('MfgOrderPlannedEndDate', 'Edm.DateTime', 'Planned End'),
    P('OrderIsReleased', 'Edm.Boolean', 'Released'),
  ],
  defaults() {},
  validate() {
    return null;
  },
  assignKey() {},
  actions: [],
};

const SETS: SetDef[] = [CONFIRMATION, NOTIFICATION, PRODUCTION_ORDER];
const SERVICES: Record<string, SetDef[]> = { [CONF_SRV]: [CONFIRMATION], [NOTIF_SRV]: [NOTIFICATION], [ORDER_SRV]: [PRODUCTION_ORDER] };

function keyString(def: SetDef, key: Record<string, unknown>): string {
  return def.keys.map((k) => String(key[k] ?? '')).join('\u0000');
}

function rowsOf(store: Store, def: SetDef): Entity[] {
  if (def === PRODUCTION_ORDER) return [...store.orders.values()].map((o) => ({ data: { ...o }, etag: '' }));
  return [...store.set(def.name).values()];
}

// ------------------------------------------------------------------ values

/** Request value → stored value (decimals as numbers, dates as epoch ms). */
function parseValue(p: PropDef, v: unknown, strictV2 = false): unknown {
  if (v === null || v === undefined) return v;
  if (strictV2 && p.type === 'Edm.Decimal' && typeof v !== 'string') {
    throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid value for property '${p.name}': an Edm.Decimal is sent as a string in OData V2 JSON, got ${JSON.stringify(v)}`, p.name);
  }
  if (strictV2 && (p.type === 'Edm.DateTime' || p.type === 'Edm.DateTimeOffset') && !(typeof v === 'string' && /^\/Date\(-?\d+(?:[+-]\d{4})?\)\/$/.test(v))) {
    throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid value for property '${p.name}': an Edm.DateTime is sent as "/Date(<ms>)/" in OData V2 JSON, got ${JSON.stringify(v)}`, p.name);
  }
  switch (p.type) {
    case 'Edm.String':
      if (typeof v !== 'string' && typeof v !== 'number') throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid value for property '${p.name}': expected a string`, p.name);
      if (p.maxLength && String(v).length > p.maxLength) throw new SimError(400, '/IWBEP/CM_MGW_RT/022', `Value '${String(v)}' for property '${p.name}' is longer than ${p.maxLength} characters`, p.name);
      return String(v);
    case 'Edm.Decimal': {
      const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
      if (!Number.isFinite(n)) throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid decimal value '${String(v)}' for property '${p.name}'`, p.name);
      return n;
    }
    case 'Edm.Boolean':
      if (typeof v === 'boolean') return v;
      if (v === 'true' || v === 'false') return v === 'true';
      throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid boolean value '${String(v)}' for property '${p.name}'`, p.name);
    case 'Edm.DateTime':
    case 'Edm.DateTimeOffset': {
      if (typeof v === 'number') return v;
      const s = String(v);
      const m = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(s);
      if (m) return Number(m[1]);
      const t = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(s) ? `${s}T00:00:00Z` : /[zZ]|[+-]\d\d:\d\d$/.test(s) ? s : `${s}Z`);
      if (Number.isNaN(t)) throw new SimError(400, '/IWBEP/CM_MGW_RT/021', `Invalid date '${s}' for property '${p.name}'`, p.name);
      return t;
    }
  }
}

function formatValue(p: PropDef, v: unknown, version: 2 | 4): unknown {
  if (v === null || v === undefined) return null;
  switch (p.type) {
    case 'Edm.Decimal':
      return version === 2 ? Number(v).toFixed(p.scale ?? 3) : Number(v);
    case 'Edm.DateTime':
      return version === 2 ? `/Date(${Number(v)})/` : new Date(Number(v)).toISOString().slice(0, 10);
    case 'Edm.DateTimeOffset':
      return version === 2 ? `/Date(${Number(v)}+0000)/` : new Date(Number(v)).toISOString();
    default:
      return v;
  }
}

// ------------------------------------------------------------------ $filter / $orderby

type Tok = { t: 'str' | 'num' | 'id' | 'op' | 'lit' | 'bool' | 'null' | 'date'; v: string };

function tokenize(s: string): Tok[] {
  const out: Tok[] = [];
  const re = /\s*(?:(datetime|datetimeoffset|guid|time)'((?:[^']|'')*)'|'((?:[^']|'')*)'|(\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d\d:\d\d)?)?)|(-?\d+(?:\.\d+)?)[MmDdLlFf]?|(\(|\)|,)|([A-Za-z_][\w./]*))/y;
  let pos = 0;
  while (pos < s.length) {
    if (/^\s*$/.test(s.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid filter expression at '${s.slice(pos, pos + 20)}'`);
    pos = re.lastIndex;
    if (m[1]) out.push({ t: 'date', v: m[2]!.replace(/''/g, "'") });
    else if (m[3] !== undefined) out.push({ t: 'str', v: m[3].replace(/''/g, "'") });
    else if (m[4]) out.push({ t: 'date', v: m[4] });
    else if (m[5]) out.push({ t: 'num', v: m[5] });
    else if (m[6]) out.push({ t: 'op', v: m[6] });
    else if (m[7]) {
      const w = m[7];
      if (w === 'true' || w === 'false') out.push({ t: 'bool', v: w });
      else if (w === 'null') out.push({ t: 'null', v: w });
      else out.push({ t: 'id', v: w });
    }
  }
  return out;
}

type Pred = (row: Record<string, unknown>) => unknown;

function compileFilter(expr: string, def: SetDef): Pred {
  const toks = tokenize(expr);
  let i = 0;
  const peek = (): Tok | undefined => toks[i];
  const isWord = (w: string): boolean => peek()?.t === 'id' && peek()!.v.toLowerCase() === w;
  const expect = (v: string): void => {
    if (peek()?.v !== v) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid filter expression: expected '${v}' in "${expr}"`);
    i++;
  };
  const prop = (name: string): PropDef => {
    const p = def.props.find((x) => x.name === name);
    if (!p) throw new SimError(400, '/IWBEP/CM_MGW_RT/005', `Property ${name} not found in type ${def.typeName}`);
    return p;
  };
  const value = (): Pred => {
    const t = toks[i++];
    if (!t) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid filter expression: "${expr}" ends too early`);
    if (t.t === 'str') return () => t.v;
    if (t.t === 'num') return () => Number(t.v);
    if (t.t === 'bool') return () => t.v === 'true';
    if (t.t === 'null') return () => null;
    if (t.t === 'date') {
      const ms = Date.parse(/[zZ]|[+-]\d\d:\d\d$/.test(t.v) || /^\d{4}-\d{2}-\d{2}$/.test(t.v) ? t.v : `${t.v}Z`);
      return () => ms;
    }
    if (t.t === 'op' && t.v === '(') {
      const e = orExpr();
      expect(')');
      return e;
    }
    if (t.t === 'id') {
      const fn = t.v.toLowerCase();
      if (peek()?.v === '(' && ['substringof', 'startswith', 'endswith', 'contains', 'tolower', 'toupper', 'trim', 'length'].includes(fn)) {
        i++;
        const args: Pred[] = [orExpr()];
        while (peek()?.v === ',') {
          i++;
          args.push(orExpr());
        }
        expect(')');
        const s = (p: Pred, r: Record<string, unknown>): string => String(p(r) ?? '');
        switch (fn) {
          case 'substringof':
            return (r) => s(args[1]!, r).includes(s(args[0]!, r));
          case 'contains':
            return (r) => s(args[0]!, r).includes(s(args[1]!, r));
          case 'startswith':
            return (r) => s(args[0]!, r).startsWith(s(args[1]!, r));
          case 'endswith':
            return (r) => s(args[0]!, r).endsWith(s(args[1]!, r));
          case 'tolower':
            return (r) => s(args[0]!, r).toLowerCase();
          case 'toupper':
            return (r) => s(args[0]!, r).toUpperCase();
          case 'trim':
            return (r) => s(args[0]!, r).trim();
          default:
            return (r) => s(args[0]!, r).length;
        }
      }
      const p = prop(t.v);
      return (r) => r[p.name];
    }
    throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid filter expression near '${t.v}' in "${expr}"`);
  };
  const cmp = (): Pred => {
    if (isWord('not')) {
      i++;
      const inner = cmp();
      return (r) => !inner(r);
    }
    const left = value();
    const op = peek();
    if (op?.t === 'id' && ['eq', 'ne', 'gt', 'ge', 'lt', 'le'].includes(op.v)) {
      i++;
      const right = value();
      const norm = (x: unknown): unknown => (x === undefined ? null : x);
      switch (op.v) {
        case 'eq':
          return (r) => norm(left(r)) === norm(right(r));
        case 'ne':
          return (r) => norm(left(r)) !== norm(right(r));
        case 'gt':
          return (r) => (left(r) as number) > (right(r) as number);
        case 'ge':
          return (r) => (left(r) as number) >= (right(r) as number);
        case 'lt':
          return (r) => (left(r) as number) < (right(r) as number);
        default:
          return (r) => (left(r) as number) <= (right(r) as number);
      }
    }
    return left;
  };
  const andExpr = (): Pred => {
    let l = cmp();
    while (isWord('and')) {
      i++;
      const a = l;
      const b = cmp();
      l = (r) => Boolean(a(r)) && Boolean(b(r));
    }
    return l;
  };
  function orExpr(): Pred {
    let l = andExpr();
    while (isWord('or')) {
      i++;
      const a = l;
      const b = andExpr();
      l = (r) => Boolean(a(r)) || Boolean(b(r));
    }
    return l;
  }
  const e = orExpr();
  if (i < toks.length) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid filter expression: unexpected '${toks[i]!.v}' in "${expr}"`);
  return e;
}

// ------------------------------------------------------------------ the server

interface Ctx {
  user: string;
  /** Absolute service root of the current request (for __metadata / next links). */
  base: string;
  version: 2 | 4;
  def?: SetDef;
  service: string;
}

interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Drop the response after commit is allowed for this one (modifying request). */
  write?: boolean;
}

const STATUS_TEXT = (s: number): string => http.STATUS_CODES[s] ?? 'Unknown';

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export async function startErpSim(options: ErpSimOptions | number = {}): Promise<ErpSim> {
  const opts: ErpSimOptions = typeof options === 'number' ? { port: options } : options;
  const host = opts.host ?? '127.0.0.1';
  const sapClient = opts.sapClient ?? '100';
  const users = opts.users ?? { PLANTWIRE: 'plantwire' };
  const clients = opts.clients ?? { plantwire: 'plantwire-secret' };
  const tokenLifetimeS = opts.tokenLifetimeS ?? 3600;
  const pageSize = opts.pageSize ?? 50;
  let dropRate = opts.dropRate ?? 0;
  let latencyMs = opts.latencyMs ?? 0;
  const rng = mulberry32(opts.seed ?? 1);
  const strictV2 = Boolean(opts.strictV2Json);
  const repeatabilityWindowS = opts.repeatabilityWindowS ?? 86_400;
  const log = opts.log;
  const scheme = opts.tls ? 'https' : 'http';
  const store = new Store();
  const stats: ErpSimStats = { requests: 0, dropped: 0, csrfFetches: 0, csrfRejected: 0, tokensIssued: 0, unauthorized: 0, replays: 0, batches: 0, created: 0 };
  /** SAP session id → CSRF token. */
  const sessions = new Map<string, { token: string | null; issuedAt: number }>();
  const accessTokens = new Map<string, { client: string; expiresAt: number }>();
  /** Repeatability-Request-ID / Idempotency-Key → the original answer. */
  const repeats = new Map<string, SimResponse>();
  const sockets = new Set<import('node:net').Socket>();

  // ---------------------------------------------------------------- errors in both formats
  const errorResponse = (e: SimError, ctx: Pick<Ctx, 'version' | 'service'>): SimResponse => {
    const body =
      ctx.version === 2
        ? {
            error: {
              code: e.code,
              message: { lang: 'en', value: e.message },
              innererror: {
                application: { component_id: '', service_namespace: '/SAP/', service_id: ctx.service, service_version: '0001' },
                transactionid: crypto.randomBytes(16).toString('hex').toUpperCase(),
                timestamp: new Date().toISOString().replace(/[-:TZ.]/g, '').slice(0, 17),
                Error_Resolution: { SAP_Transaction: 'Run transaction /IWFND/ERROR_LOG on SAP Gateway hub system (System Alias ) and search for entries with the timestamp above for more details', SAP_Note: 'See SAP Note 1797736 for error analysis (https://service.sap.com/sap/support/notes/1797736)' },
                errordetails: [{ code: e.code, message: e.message, propertyref: e.target, severity: 'error', target: e.target, transition: false }],
              },
            },
          }
        : { error: { code: e.code, message: e.message, target: e.target || undefined, details: [{ code: e.code, message: e.message, target: e.target || undefined }] } };
    return { status: e.status, headers: { 'content-type': 'application/json', ...(ctx.version === 4 ? { 'odata-version': '4.0' } : { dataserviceversion: '1.0' }) }, body: JSON.stringify(body) };
  };

  // ---------------------------------------------------------------- entity formatting
  const entityJson = (def: SetDef, e: Entity, ctx: Ctx, select?: string[], expand?: string[]): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    const pred = predicateOf(def, e.data, ctx.version);
    if (ctx.version === 2) {
      const uri = `${ctx.base}${def.name}${pred}`;
      out.__metadata = { id: uri, uri, type: `${def.service}.${def.typeName}`, ...(e.etag ? { etag: e.etag } : {}) };
    } else if (e.etag) out['@odata.etag'] = e.etag;
    for (const p of def.props) {
      if (select && !select.includes(p.name) && !select.includes('*')) continue;
      out[p.name] = formatValue(p, e.data[p.name], ctx.version);
    }
    for (const n of def.nav) {
      if (expand?.includes(n)) out[n] = ctx.version === 2 ? { results: [] } : [];
      else if (ctx.version === 2 && !select) out[n] = { __deferred: { uri: `${ctx.base}${def.name}${pred}/${n}` } };
    }
    return out;
  };

  const predicateOf = (def: SetDef, data: Record<string, unknown>, version: 2 | 4): string => {
    const lit = (v: unknown): string => `'${String(v ?? '').replace(/'/g, "''")}'`;
    if (def.keys.length === 1 && version === 4) return `(${lit(data[def.keys[0]!])})`;
    if (def.keys.length === 1) return `(${lit(data[def.keys[0]!])})`;
    return `(${def.keys.map((k) => `${k}=${lit(data[k])}`).join(',')})`;
  };

  const ok = (status: number, body: unknown, ctx: Ctx, headers: Record<string, string> = {}): SimResponse => ({
    status,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...(ctx.version === 4 ? { 'odata-version': '4.0' } : { dataserviceversion: '2.0' }), ...headers },
    body: body === undefined ? '' : JSON.stringify(body),
  });

  // ---------------------------------------------------------------- core operations
  const parseKey = (def: SetDef, inner: string): Record<string, unknown> => {
    const k = parseKeyPredicate(inner);
    if (typeof k === 'object') {
      for (const name of def.keys) if (!(name in k)) throw new SimError(400, '/IWBEP/CM_MGW_RT/020', `Key property ${name} is missing in '${def.name}(${inner})'`);
      return k;
    }
    if (def.keys.length !== 1) throw new SimError(400, '/IWBEP/CM_MGW_RT/020', `'${def.name}' has a compound key (${def.keys.join(', ')}): name every key property`);
    return { [def.keys[0]!]: k };
  };

  const find = (def: SetDef, key: Record<string, unknown>): Entity => {
    const ks = keyString(def, key);
    const e = def === PRODUCTION_ORDER ? rowsOf(store, def).find((r) => keyString(def, r.data) === ks) : store.set(def.name).get(ks);
    if (!e) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${def.name}(${def.keys.map((k) => `${k}='${String(key[k])}'`).join(',')})'`);
    return e;
  };

  const checkBody = (def: SetDef, body: unknown, ctx: Ctx): Record<string, unknown> => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new SimError(400, '/IWBEP/CM_MGW_RT/001', 'The request body must be a JSON object');
    const src = ((body as { d?: unknown }).d && typeof (body as { d?: unknown }).d === 'object' ? (body as { d: object }).d : body) as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(src)) {
      if (k === '__metadata' || k.startsWith('@odata.') || k.startsWith('@')) continue;
      const p = def.props.find((x) => x.name === k);
      if (!p) throw new SimError(400, '/IWBEP/CM_MGW_RT/020', `Property '${k}' is invalid for entity type ${def.typeName}`, k);
      if (p.readOnly) continue;
      out[k] = parseValue(p, v, strictV2 && ctx.version === 2);
    }
    return out;
  };

  const checkWritable = (def: SetDef): void => {
    if (def.readOnly) throw new SimError(405, '/IWBEP/CM_MGW_RT/051', `Entity set ${def.name} is read-only in this service`);
  };

  const create = (def: SetDef, body: unknown, ctx: Ctx): Entity => {
    checkWritable(def);
    const data = checkBody(def, body, ctx);
    for (const p of def.props) if (p.required && (data[p.name] === undefined || data[p.name] === null || data[p.name] === '')) throw new SimError(400, '/IWBEP/CM_MGW_RT/022', `Property ${p.name} (${p.label}) is required`, p.name);
    def.defaults(data, store, ctx.user);
    const err = def.validate(data, store);
    if (err) throw err;
    def.assignKey(data, store);
    const s = store.stamp();
    data.LastChangeDateTime = s.at;
    const e = { data, etag: s.etag };
    store.put(def.name, keyString(def, data), e);
    stats.created += 1;
    store.journal?.push(() => {
      stats.created -= 1;
    });
    return e;
  };

  const checkEtag = (e: Entity, ifMatch: string | undefined, def: SetDef): void => {
    if (!e.etag) return;
    if (ifMatch === undefined) throw new SimError(428, '/IWBEP/CM_MGW_RT/025', `Precondition required: send If-Match with the ETag of ${def.name} (read it first)`);
    if (ifMatch.trim() === '*') return;
    const tags = ifMatch.split(/\s*,\s*/);
    if (!tags.includes(e.etag)) throw new SimError(412, '/IWBEP/CM_MGW_RT/026', `The ${def.name} document was changed by another user in the meantime (ETag mismatch)`);
  };

  const update = (def: SetDef, key: Record<string, unknown>, body: unknown, ifMatch: string | undefined, replace: boolean, ctx: Ctx): Entity => {
    checkWritable(def);
    const e = find(def, key);
    checkEtag(e, ifMatch, def);
    const changes = checkBody(def, body, ctx);
    for (const k of def.keys) delete changes[k];
    const base = replace ? Object.fromEntries(def.props.filter((p) => p.key || p.readOnly).map((p) => [p.name, e.data[p.name]])) : { ...e.data };
    const data = { ...base, ...changes };
    const err = def.validate(data, store);
    if (err) throw err;
    const s = store.stamp();
    data.LastChangeDateTime = s.at;
    const next = { data, etag: s.etag };
    store.put(def.name, keyString(def, data), next);
    return next;
  };

  const remove = (def: SetDef, key: Record<string, unknown>, ifMatch: string | undefined): void => {
    checkWritable(def);
    const e = find(def, key);
    checkEtag(e, ifMatch, def);
    store.put(def.name, keyString(def, e.data), undefined);
  };

  interface QueryOpts {
    filter?: string;
    select?: string[];
    expand?: string[];
    orderby?: string;
    top?: number;
    skip?: number;
    skiptoken?: number;
    count?: boolean;
  }

  const readQueryOpts = (q: URLSearchParams, def: SetDef, ctx: Ctx): QueryOpts => {
    const list = (s: string | null): string[] | undefined => (s ? s.split(',').map((x) => x.trim()).filter(Boolean) : undefined);
    const int = (name: string): number | undefined => {
      const v = q.get(name);
      if (v === null) return undefined;
      if (!/^\d+$/.test(v)) throw new SimError(400, '/IWBEP/CM_MGW_RT/004', `Invalid value '${v}' for system query option ${name}`);
      return Number(v);
    };
    const select = list(q.get('$select'));
    for (const s of select ?? []) if (s !== '*' && !def.props.some((p) => p.name === s) && !def.nav.includes(s)) throw new SimError(400, '/IWBEP/CM_MGW_RT/005', `Property ${s} not found in type ${def.typeName}`);
    const expand = list(q.get('$expand'));
    for (const x of expand ?? []) if (!def.nav.includes(x)) throw new SimError(400, '/IWBEP/CM_MGW_RT/005', `Navigation property ${x} not found in type ${def.typeName}`);
    const count = ctx.version === 2 ? q.get('$inlinecount') === 'allpages' : q.get('$count') === 'true';
    return { filter: q.get('$filter') ?? undefined, select, expand, orderby: q.get('$orderby') ?? undefined, top: int('$top'), skip: int('$skip'), skiptoken: int('$skiptoken'), count };
  };

  const collection = (def: SetDef, q: URLSearchParams, ctx: Ctx, selfUrl: URL): SimResponse => {
    const o = readQueryOpts(q, def, ctx);
    let rows = rowsOf(store, def);
    if (o.filter) {
      const pred = compileFilter(o.filter, def);
      rows = rows.filter((r) => Boolean(pred(r.data)));
    }
    if (o.orderby) {
      const keys = o.orderby.split(',').map((s) => {
        const [name = '', dir = 'asc'] = s.trim().split(/\s+/);
        if (!def.props.some((p) => p.name === name)) throw new SimError(400, '/IWBEP/CM_MGW_RT/005', `Property ${name} not found in type ${def.typeName}`);
        return { name, desc: dir.toLowerCase() === 'desc' };
      });
      rows = [...rows].sort((a, b) => {
        for (const k of keys) {
          const x = a.data[k.name] as string | number;
          const y = b.data[k.name] as string | number;
          if (x === y) continue;
          const c = x < y ? -1 : 1;
          return k.desc ? -c : c;
        }
        return 0;
      });
    }
    const total = rows.length;
    const windowStart = o.skip ?? 0;
    const windowEnd = o.top === undefined ? total : Math.min(total, windowStart + o.top);
    const offset = o.skiptoken ?? windowStart;
    const pageEnd = Math.min(windowEnd, offset + pageSize);
    const page = rows.slice(offset, pageEnd).map((r) => entityJson(def, r, ctx, o.select, o.expand));
    let next: string | undefined;
    if (pageEnd < windowEnd) {
      // Like SAP Gateway: the request's own query options plus $skiptoken, unencoded where OData allows it.
      const kept = selfUrl.search.replace(/^\?/, '').split('&').filter((x) => x && !/^(\$|%24)skiptoken=/i.test(x));
      next = `${selfUrl.origin}${selfUrl.pathname}?${[...kept, `$skiptoken=${pageEnd}`].join('&')}`;
    }
    if (ctx.version === 2) return ok(200, { d: { results: page, ...(o.count ? { __count: String(total) } : {}), ...(next ? { __next: next } : {}) } }, ctx);
    return ok(200, { '@odata.context': `${ctx.base}$metadata#${def.name}`, ...(o.count ? { '@odata.count': total } : {}), value: page, ...(next ? { '@odata.nextLink': next } : {}) }, ctx);
  };

  // ---------------------------------------------------------------- $metadata
  const edmType = (p: PropDef, version: 2 | 4): string => (version === 4 && p.type === 'Edm.DateTime' ? 'Edm.Date' : p.type);
  const metadataXml = (defs: SetDef[], ns: string, version: 2 | 4): string => {
    const types = defs
      .map((d) => {
        const props = d.props
          .map((p) => {
            const facets = `${p.maxLength ? ` MaxLength="${p.maxLength}"` : ''}${p.type === 'Edm.Decimal' ? ` Precision="13" Scale="${p.scale ?? 3}"` : ''}${p.type === 'Edm.DateTime' && version === 2 ? ' Precision="0"' : ''}`;
            const sap = version === 2 ? ` sap:label="${escapeXml(p.label)}"${p.readOnly ? ' sap:creatable="false" sap:updatable="false"' : ''}` : '';
            return `        <Property Name="${p.name}" Type="${edmType(p, version)}" Nullable="${p.key ? 'false' : 'true'}"${facets}${sap}/>`;
          })
          .join('\n');
        const navs = d.nav.map((n) => (version === 2 ? `        <NavigationProperty Name="${n}" Relationship="${ns}.assoc_${n}" FromRole="FromRole_${n}" ToRole="ToRole_${n}"/>` : `        <NavigationProperty Name="${n}" Type="Collection(${ns}.MatlDocItemType)"/>`)).join('\n');
        return `      <EntityType Name="${d.typeName}"${version === 2 ? ' sap:content-version="1"' : ''}>\n        <Key>${d.keys.map((k) => `<PropertyRef Name="${k}"/>`).join('')}</Key>\n${props}${navs ? `\n${navs}` : ''}\n      </EntityType>`;
      })
      .join('\n');
    const sets = defs.map((d) => `        <EntitySet Name="${d.name}" EntityType="${ns}.${d.typeName}"${version === 2 ? ` sap:creatable="${d.readOnly ? 'false' : 'true'}" sap:updatable="${d.readOnly ? 'false' : 'true'}" sap:deletable="${d.readOnly ? 'false' : 'true'}" sap:content-version="1"` : ''}/>`).join('\n');
    const actions = defs
      .flatMap((d) => d.actions.map((a) => ({ d, a })))
      .map(({ d, a }) =>
        version === 2
          ? `        <FunctionImport Name="${a.name}" ReturnType="${ns}.${d.typeName}" EntitySet="${d.name}" m:HttpMethod="POST">${a.params.map((p) => `<Parameter Name="${p}" Type="Edm.String" Mode="In"/>`).join('')}</FunctionImport>`
          : `        <ActionImport Name="${a.name}" Action="${ns}.${a.name}" EntitySet="${d.name}"/>`,
      )
      .join('\n');
    const v4Actions =
      version === 4
        ? defs
            .flatMap((d) => d.actions.map((a) => ({ d, a })))
            .map(({ d, a }) => `      <Action Name="${a.name}"><ReturnType Type="${ns}.${d.typeName}"/>${a.params.map((p) => `<Parameter Name="${p}" Type="Edm.String"/>`).join('')}</Action>`)
            .join('\n')
        : '';
    if (version === 2) {
      return `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="1.0" xmlns:edmx="http://schemas.microsoft.com/ado/2007/06/edmx" xmlns:m="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata" xmlns:sap="http://www.sap.com/Protocols/SAPData">
  <edmx:DataServices m:DataServiceVersion="2.0">
    <Schema Namespace="${ns}" xml:lang="en" sap:schema-version="1" xmlns="http://schemas.microsoft.com/ado/2008/09/edm">
${types}
      <EntityContainer Name="${ns}_Entities" m:IsDefaultEntityContainer="true" sap:supported-formats="atom json xlsx">
${sets}
${actions}
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
`;
    }
    return `<?xml version="1.0" encoding="utf-8"?>
<edmx:Edmx Version="4.0" xmlns:edmx="http://docs.oasis-open.org/odata/ns/edmx">
  <edmx:DataServices>
    <Schema Namespace="${ns}" xmlns="http://docs.oasis-open.org/odata/ns/edm">
${types}
${v4Actions}
      <EntityContainer Name="Container">
${sets}
${actions}
      </EntityContainer>
    </Schema>
  </edmx:DataServices>
</edmx:Edmx>
`;
  };

  // ---------------------------------------------------------------- one OData request (top level or inside $batch)
  const dispatch = (method: string, rel: string, headers: Record<string, string>, body: string, defs: SetDef[], ctx: Ctx): SimResponse => {
    const u = new URL(rel, ctx.base);
    const path = decodeURIComponent(u.pathname.slice(new URL(ctx.base).pathname.length));
    const json = (): unknown => {
      if (!body.trim()) return {};
      try {
        return JSON.parse(body);
      } catch {
        throw new SimError(400, '/IWBEP/CM_MGW_RT/001', 'The request body is not valid JSON');
      }
    };
    const m = method.toUpperCase() === 'POST' && headers['x-http-method'] ? headers['x-http-method'].toUpperCase() : method.toUpperCase();
    if (path === '' || path === '/') {
      if (ctx.version === 2) return ok(200, { d: { EntitySets: defs.map((d) => d.name) } }, ctx);
      return ok(200, { '@odata.context': `${ctx.base}$metadata`, value: defs.map((d) => ({ name: d.name, kind: 'EntitySet', url: d.name })) }, ctx);
    }
    if (path === '$metadata') return { status: 200, headers: { 'content-type': 'application/xml', ...(ctx.version === 4 ? { 'odata-version': '4.0' } : { dataserviceversion: '2.0' }) }, body: metadataXml(defs, ctx.version === 2 ? ctx.service : V4_NS, ctx.version) };
    const seg = /^([A-Za-z_][\w]*)(?:\(([^]*?)\))?(?:\/(.+))?$/.exec(path);
    if (!seg) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${path}'`);
    const [, name = '', keyText, rest] = seg;
    const def = defs.find((d) => d.name === name);
    if (!def) {
      const act = defs.flatMap((d) => d.actions.map((a) => ({ d, a }))).find((x) => x.a.name === name);
      if (!act) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${name}'`);
      if (m !== 'POST') throw new SimError(405, '/IWBEP/CM_MGW_RT/051', `${name} must be called with POST`);
      const params: Record<string, unknown> = ctx.version === 2 ? Object.fromEntries([...u.searchParams].filter(([k]) => !k.startsWith('$') && k !== 'sap-client').map(([k, v]) => [k, parseKeyPredicate(v)])) : (json() as Record<string, unknown>);
      for (const p of act.a.params) if (params[p] === undefined) throw new SimError(400, '/IWBEP/CM_MGW_RT/022', `Parameter ${p} of ${name} is missing`);
      const e = act.a.run(store, params, ctx.user);
      const out = entityJson(act.d, e, ctx);
      return ok(200, ctx.version === 2 ? { d: out } : { '@odata.context': `${ctx.base}$metadata#${act.d.name}/$entity`, ...out }, ctx, e.etag ? { etag: e.etag } : {});
    }
    if (keyText === undefined) {
      if (rest === '$count') return { status: 200, headers: { 'content-type': 'text/plain' }, body: String(rowsOf(store, def).length) };
      if (rest) throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${rest}'`);
      if (m === 'GET') return collection(def, u.searchParams, ctx, u);
      if (m === 'POST') {
        const e = create(def, json(), ctx);
        const out = entityJson(def, e, ctx);
        const loc = `${ctx.base}${def.name}${predicateOf(def, e.data, ctx.version)}`;
        return ok(201, ctx.version === 2 ? { d: out } : { '@odata.context': `${ctx.base}$metadata#${def.name}/$entity`, ...out }, ctx, { location: loc, etag: e.etag, ...(ctx.version === 4 ? { 'odata-entityid': loc } : {}) });
      }
      throw new SimError(405, '/IWBEP/CM_MGW_RT/051', `Method ${m} is not allowed on the entity set ${def.name}`);
    }
    const key = parseKey(def, keyText);
    if (rest) {
      if (def.nav.includes(rest) && m === 'GET') {
        find(def, key);
        return ok(200, ctx.version === 2 ? { d: { results: [] } } : { value: [] }, ctx);
      }
      // v4 bound action: Set(key)/Namespace.Action
      const actionName = rest.replace(/^.*\./, '');
      const act = def.actions.find((a) => a.name === actionName);
      if (ctx.version === 4 && act && m === 'POST') {
        const params = { ...(json() as Record<string, unknown>), ...key };
        const e = act.run(store, params, ctx.user);
        return ok(200, { '@odata.context': `${ctx.base}$metadata#${def.name}/$entity`, ...entityJson(def, e, ctx) }, ctx, e.etag ? { etag: e.etag } : {});
      }
      throw new SimError(404, '/IWBEP/CM_MGW_RT/021', `Resource not found for segment '${rest}'`);
    }
    const ifMatch = headers['if-match'];
    switch (m) {
      case 'GET': {
        const e = find(def, key);
        const o = readQueryOpts(u.searchParams, def, ctx);
        const out = entityJson(def, e, ctx, o.select, o.expand);
        return ok(200, ctx.version === 2 ? { d: out } : { '@odata.context': `${ctx.base}$metadata#${def.name}/$entity`, ...out }, ctx, e.etag ? { etag: e.etag } : {});
      }
      case 'MERGE':
      case 'PATCH':
      case 'PUT': {
        const e = update(def, key, json(), ifMatch, m === 'PUT', ctx);
        const wantRep = /return=representation/i.test(headers.prefer ?? '');
        if (wantRep) return ok(200, ctx.version === 2 ? { d: entityJson(def, e, ctx) } : { '@odata.context': `${ctx.base}$metadata#${def.name}/$entity`, ...entityJson(def, e, ctx) }, ctx, { etag: e.etag });
        return ok(204, undefined, ctx, { etag: e.etag });
      }
      case 'DELETE':
        remove(def, key, ifMatch);
        return ok(204, undefined, ctx);
      default:
        throw new SimError(405, '/IWBEP/CM_MGW_RT/051', `Method ${m} is not allowed on ${def.name}(…)`);
    }
  };

  /** dispatch + error formatting + repeatability/idempotency. */
  const execute = (method: string, rel: string, headers: Record<string, string>, body: string, defs: SetDef[], ctx: Ctx): SimResponse => {
    const write = method.toUpperCase() !== 'GET' && method.toUpperCase() !== 'HEAD';
    const repId = write ? (ctx.version === 2 ? headers['repeatability-request-id'] : (headers['idempotency-key'] ?? headers['repeatability-request-id'])) : undefined;
    const repKey = repId ? `${ctx.version}:${ctx.user}:${repId}` : undefined;
    if (repKey) {
      const prev = repeats.get(repKey);
      if (prev) {
        stats.replays += 1;
        const h = { ...prev.headers };
        if (ctx.version === 2 || headers['repeatability-request-id']) h['repeatability-result'] = 'replayed';
        if (headers['idempotency-key']) h['idempotent-replayed'] = 'true';
        return { ...prev, headers: h, write: true };
      }
      const firstSent = headers['repeatability-first-sent'];
      if (headers['repeatability-request-id'] && firstSent !== undefined) {
        const t = Date.parse(firstSent);
        const rejected = (status: number, text: string): SimResponse => {
          const r = errorResponse(new SimError(status, '/IWBEP/CM_MGW_RT/190', text), ctx);
          r.headers['repeatability-result'] = 'rejected';
          r.write = true;
          return r;
        };
        if (Number.isNaN(t) || !/GMT$/.test(firstSent.trim())) return rejected(400, `Repeatability-First-Sent "${firstSent}" is not an IMF-fixdate (RFC 7231)`);
        if (Date.now() - t > repeatabilityWindowS * 1000) return rejected(412, `The request was first sent at ${firstSent}, before the repeatability window of ${repeatabilityWindowS} s: it cannot be told whether it was already executed`);
      }
    }
    let res: SimResponse;
    try {
      res = dispatch(method, rel, headers, body, defs, ctx);
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      res = errorResponse(err, ctx);
    }
    res.write = write;
    if (repKey && res.status < 500) {
      // Only a committed answer is remembered (inside a changeset: after the changeset commits; see batch).
      if (store.journal) pendingRepeats.push([repKey, res]);
      else repeats.set(repKey, res);
      if (headers['repeatability-request-id']) res.headers['repeatability-result'] = 'accepted';
    }
    return res;
  };
  let pendingRepeats: Array<[string, SimResponse]> = [];

  // ---------------------------------------------------------------- $batch
  const runChangeset = (run: () => SimResponse[]): { ok: boolean; responses: SimResponse[] } => {
    store.journal = [];
    pendingRepeats = [];
    let responses: SimResponse[];
    try {
      responses = run();
    } catch (e) {
      store.journal = null;
      throw e;
    }
    const journal = store.journal;
    store.journal = null;
    const failed = responses.some((r) => r.status >= 400);
    if (failed) {
      for (const undo of journal.reverse()) undo();
    } else {
      for (const [k, r] of pendingRepeats) repeats.set(k, r);
    }
    pendingRepeats = [];
    return { ok: !failed, responses };
  };

  const batchV2 = (contentType: string, body: string, defs: SetDef[], ctx: Ctx): SimResponse => {
    stats.batches += 1;
    const boundary = boundaryOf(contentType);
    if (!/^multipart\/mixed/i.test(contentType) || !boundary) throw new SimError(400, '/IWBEP/CM_MGW_RT/010', 'A $batch request needs Content-Type multipart/mixed with a boundary');
    const outParts: MimePart[] = [];
    const asPart = (r: SimResponse, cid?: string): MimePart =>
      httpPart({ line: `HTTP/1.1 ${r.status} ${STATUS_TEXT(r.status)}`, headers: { ...r.headers, 'content-length': String(Buffer.byteLength(r.body)) }, body: r.body }, cid ? { 'content-id': cid } : {});
    for (const part of splitMultipart(body, boundary)) {
      const ct = part.headers['content-type'] ?? '';
      if (/^multipart\/mixed/i.test(ct)) {
        const csb = boundaryOf(ct);
        if (!csb) throw new SimError(400, '/IWBEP/CM_MGW_RT/010', 'A changeset needs a boundary');
        const reqs = splitMultipart(part.body, csb).map((p) => ({ cid: p.headers['content-id'], msg: parseHttpMessage(p.body) }));
        const result = runChangeset(() => {
          const out: SimResponse[] = [];
          for (const r of reqs) {
            const [method = 'GET', url = ''] = r.msg.line.split(/\s+/);
            if (method.toUpperCase() === 'GET') {
              out.push(errorResponse(new SimError(400, '/IWBEP/CM_MGW_RT/011', 'GET requests are not allowed inside a changeset'), ctx));
              break;
            }
            const res = execute(method, url, r.msg.headers, r.msg.body, defs, ctx);
            out.push(res);
            if (res.status >= 400) break;
          }
          return out;
        });
        if (result.ok) {
          const b = newBoundary('changesetresponse');
          outParts.push({ headers: { 'content-type': `multipart/mixed; boundary=${b}` }, body: joinMultipart(result.responses.map((r, i) => asPart(r, reqs[i]?.cid)), b) });
        } else {
          outParts.push(asPart(result.responses[result.responses.length - 1]!));
        }
      } else {
        const msg = parseHttpMessage(part.body);
        const [method = 'GET', url = ''] = msg.line.split(/\s+/);
        if (method.toUpperCase() !== 'GET') {
          outParts.push(asPart(errorResponse(new SimError(400, '/IWBEP/CM_MGW_RT/011', 'Modifying requests must be inside a changeset'), ctx)));
          continue;
        }
        outParts.push(asPart(execute(method, url, msg.headers, msg.body, defs, ctx)));
      }
    }
    const b = newBoundary('batchresponse');
    return { status: 202, headers: { 'content-type': `multipart/mixed; boundary=${b}`, dataserviceversion: '2.0' }, body: joinMultipart(outParts, b), write: true };
  };

  const batchV4 = (contentType: string, body: string, defs: SetDef[], ctx: Ctx): SimResponse => {
    stats.batches += 1;
    if (!/^application\/json/i.test(contentType)) throw new SimError(415, 'BadRequest', 'This service accepts the JSON $batch format only (Content-Type: application/json)');
    let j: { requests?: unknown };
    try {
      j = JSON.parse(body) as { requests?: unknown };
    } catch {
      throw new SimError(400, 'BadRequest', 'The $batch body is not valid JSON');
    }
    if (!Array.isArray(j.requests)) throw new SimError(400, 'BadRequest', 'The $batch body needs a "requests" array');
    type BReq = { id?: unknown; atomicityGroup?: unknown; method?: unknown; url?: unknown; headers?: Record<string, string>; body?: unknown };
    const reqs = j.requests as BReq[];
    const responses: Array<Record<string, unknown>> = [];
    const asJson = (r: BReq, res: SimResponse): Record<string, unknown> => {
      let b: unknown;
      try {
        b = res.body ? JSON.parse(res.body) : undefined;
      } catch {
        b = res.body;
      }
      return { id: r.id, ...(r.atomicityGroup ? { atomicityGroup: r.atomicityGroup } : {}), status: res.status, headers: res.headers, ...(b === undefined ? {} : { body: b }) };
    };
    const basePath = new URL(ctx.base).pathname;
    const rel = (url: unknown): string => {
      const s = String(url ?? '');
      if (/^https?:/i.test(s)) return s;
      if (s.startsWith(basePath)) return s.slice(basePath.length);
      return s.replace(/^\//, '');
    };
    const lower = (h: Record<string, string> | undefined): Record<string, string> => Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k.toLowerCase(), String(v)]));
    let i = 0;
    while (i < reqs.length) {
      const r = reqs[i]!;
      const group = r.atomicityGroup;
      if (!group) {
        responses.push(asJson(r, execute(String(r.method ?? 'GET'), rel(r.url), lower(r.headers), r.body === undefined ? '' : JSON.stringify(r.body), defs, ctx)));
        i++;
        continue;
      }
      const members: BReq[] = [];
      while (i < reqs.length && reqs[i]!.atomicityGroup === group) members.push(reqs[i++]!);
      const result = runChangeset(() => {
        const out: SimResponse[] = [];
        for (const m of members) {
          const res = execute(String(m.method ?? 'GET'), rel(m.url), lower(m.headers), m.body === undefined ? '' : JSON.stringify(m.body), defs, ctx);
          out.push(res);
          if (res.status >= 400) break;
        }
        return out;
      });
      members.forEach((m, k) => {
        const res = result.responses[k];
        if (result.ok) responses.push(asJson(m, res!));
        else if (res && res.status >= 400) responses.push(asJson(m, res));
        else responses.push(asJson(m, errorResponse(new SimError(424, 'FailedDependency', 'Not executed: another request of the same atomicity group failed'), ctx)));
      });
    }
    return { status: 200, headers: { 'content-type': 'application/json', 'odata-version': '4.0' }, body: JSON.stringify({ responses }), write: true };
  };

  // ---------------------------------------------------------------- auth, CSRF, HTTP front
  const authenticate = (h: http.IncomingHttpHeaders): string | SimResponse => {
    const a = h.authorization;
    const deny = (why: string, scheme: string): SimResponse => {
      stats.unauthorized += 1;
      return { status: 401, headers: { 'content-type': 'text/html', 'www-authenticate': scheme }, body: `<html><head><title>Logon Error Message</title></head><body>${escapeXml(why)}</body></html>` };
    };
    if (!a) return opts.requireAuth ? deny('Logon failed: no credentials', `Basic realm="SAP NetWeaver Application Server [SIM/${sapClient}]"`) : 'ANONYMOUS';
    const [scheme = '', value = ''] = a.split(/\s+/, 2);
    if (/^basic$/i.test(scheme)) {
      const [u = '', ...pw] = Buffer.from(value, 'base64').toString('utf8').split(':');
      if (users[u] !== undefined && users[u] === pw.join(':')) return u;
      return deny('Logon failed: user name or password is wrong', `Basic realm="SAP NetWeaver Application Server [SIM/${sapClient}]"`);
    }
    if (/^bearer$/i.test(scheme)) {
      const t = accessTokens.get(value);
      if (t && t.expiresAt > Date.now()) return t.client;
      return deny('Access token invalid or expired', 'Bearer error="invalid_token", error_description="The access token expired"');
    }
    return deny(`Unsupported authorization scheme ${scheme}`, 'Basic');
  };

  const tokenEndpoint = (h: http.IncomingHttpHeaders, body: string): SimResponse => {
    const form = new URLSearchParams(body);
    let id = form.get('client_id') ?? '';
    let secret = form.get('client_secret') ?? '';
    const a = h.authorization;
    if (a && /^basic /i.test(a)) {
      const [u = '', ...p] = Buffer.from(a.slice(6), 'base64').toString('utf8').split(':');
      id = decodeURIComponent(u.replace(/\+/g, ' '));
      secret = decodeURIComponent(p.join(':').replace(/\+/g, ' '));
    }
    const json = (status: number, b: unknown): SimResponse => ({ status, headers: { 'content-type': 'application/json', 'cache-control': 'no-store' }, body: JSON.stringify(b) });
    if (form.get('grant_type') !== 'client_credentials') return json(400, { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
    if (clients[id] === undefined || clients[id] !== secret) return json(401, { error: 'invalid_client', error_description: 'Bad client credentials' });
    const token = crypto.randomBytes(24).toString('base64url');
    accessTokens.set(token, { client: id, expiresAt: Date.now() + tokenLifetimeS * 1000 });
    stats.tokensIssued += 1;
    return json(200, { access_token: token, token_type: 'bearer', expires_in: tokenLifetimeS, scope: form.get('scope') ?? '' });
  };

  const sessionCookie = `SAP_SESSIONID_SIM_${sapClient}`;
  const csrf = (req: http.IncomingMessage, out: Record<string, string | string[]>): SimResponse | null => {
    const cookies = Object.fromEntries((req.headers.cookie ?? '').split(/;\s*/).filter(Boolean).map((c) => [c.slice(0, c.indexOf('=')), c.slice(c.indexOf('=') + 1)]));
    let sid = cookies[sessionCookie];
    if (!sid || !sessions.has(sid)) {
      sid = crypto.randomBytes(18).toString('base64url');
      sessions.set(sid, { token: null, issuedAt: 0 });
      out['set-cookie'] = [`${sessionCookie}=${sid}; path=/; HttpOnly`, `sap-usercontext=sap-client=${sapClient}; path=/`];
    }
    const s = sessions.get(sid)!;
    const method = (req.method ?? 'GET').toUpperCase();
    const sent = req.headers['x-csrf-token'];
    if (method === 'GET' || method === 'HEAD') {
      if (typeof sent === 'string' && /^fetch$/i.test(sent)) {
        if (!s.token || (opts.csrfLifetimeMs !== undefined && Date.now() - s.issuedAt > opts.csrfLifetimeMs)) {
          s.token = crypto.randomBytes(18).toString('base64');
          s.issuedAt = Date.now();
        }
        stats.csrfFetches += 1;
        out['x-csrf-token'] = s.token;
      }
      return null;
    }
    const valid = s.token !== null && sent === s.token && (opts.csrfLifetimeMs === undefined || Date.now() - s.issuedAt <= opts.csrfLifetimeMs);
    if (valid) return null;
    stats.csrfRejected += 1;
    return { status: 403, headers: { 'x-csrf-token': 'Required', 'content-type': 'text/plain' }, body: 'CSRF token validation failed' };
  };

  const page = (): string => {
    const rows = SETS.filter((d) => !d.readOnly)
      .map((d) => {
        const docs = simDocuments(d.name).slice(-50).reverse();
        const cols = d.props.slice(0, 10).map((p) => p.name);
        return `<h2>${d.name} <small>(${store.set(d.name).size})</small></h2><table><tr>${cols.map((c) => `<th>${c}</th>`).join('')}</tr>${docs.map((r) => `<tr>${cols.map((c) => `<td>${escapeXml(String(r[c] ?? ''))}</td>`).join('')}</tr>`).join('')}</table>`;
      })
      .join('\n');
    return `<!doctype html><html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>Plantwire ERP simulator</title><style>body{font-family:sans-serif;margin:1em}table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;padding:2px 6px}</style></head><body><h1>Plantwire ERP simulator (SAP OData v2 / OData v4)</h1><p>Latest 50 documents per entity set; JSON at <a href="/sim/documents">/sim/documents</a>. Requests ${stats.requests}, dropped ${stats.dropped}, replays ${stats.replays}.</p>${rows}</body></html>`;
  };

  const simDocuments = (name: string): Array<Record<string, unknown>> => {
    const def = SETS.find((d) => d.name === name);
    if (!def) return [];
    return rowsOf(store, def).map((e) => {
      const o: Record<string, unknown> = {};
      for (const p of def.props) o[p.name] = formatValue(p, e.data[p.name], 4);
      return o;
    });
  };

  const route = (req: http.IncomingMessage, body: string): SimResponse => {
    const u = new URL(req.url ?? '/', `http://${req.headers.host ?? host}`);
    const method = (req.method ?? 'GET').toUpperCase();
    const p = u.pathname;
    if (p === '/' && method === 'GET') return { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' }, body: page() };
    if (p === '/oauth/token' && method === 'POST') return tokenEndpoint(req.headers, body);
    if (p.startsWith('/sim/documents')) {
      const set = decodeURIComponent(p.slice('/sim/documents'.length).replace(/^\//, ''));
      const b = set ? simDocuments(set) : Object.fromEntries(SETS.map((d) => [d.name, simDocuments(d.name)]));
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) };
    }
    if (p === '/sim/faults' && method === 'POST') {
      try {
        const f = JSON.parse(body || '{}') as { dropRate?: number; latencyMs?: number };
        sim.faults(f);
      } catch {
        return { status: 400, headers: { 'content-type': 'text/plain' }, body: 'expected JSON {dropRate, latencyMs}' };
      }
      return { status: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ dropRate, latencyMs }) };
    }
    const v2 = /^\/sap\/opu\/odata\/sap\/([A-Z0-9_]+)(\/.*)?$/i.exec(p);
    const isV4 = p === '/odata/v4' || p.startsWith('/odata/v4/');
    if (!v2 && !isV4) return { status: 404, headers: { 'content-type': 'text/plain' }, body: `No service at ${p}` };
    const who = authenticate(req.headers);
    if (typeof who !== 'string') return who;
    const extra: Record<string, string | string[]> = {};
    if (v2) {
      const service = v2[1]!.toUpperCase();
      const defs = SERVICES[service];
      const ctx: Ctx = { user: who, base: `${scheme}://${req.headers.host ?? host}/sap/opu/odata/sap/${v2[1]}/`, version: 2, service };
      if (!defs) return errorResponse(new SimError(404, '/IWFND/MED/170', `No service found for namespace '/SAP/', name '${service}', version '0001'`), ctx);
      const client = u.searchParams.get('sap-client');
      if (client !== null && client !== sapClient) return { status: 401, headers: { 'content-type': 'text/html' }, body: `<html><body>Logon failed: client ${escapeXml(client)} is not available in this system</body></html>` };
      const refused = csrf(req, extra);
      let res: SimResponse;
      if (refused) res = refused;
      else {
        const rest = (v2[2] ?? '/').slice(1);
        try {
          res = rest === '$batch' && method === 'POST' ? batchV2(req.headers['content-type'] ?? '', body, defs, ctx) : execute(method, `${rest}${u.search}`, lowerHeaders(req.headers), body, defs, ctx);
        } catch (err) {
          if (!(err instanceof SimError)) throw err;
          res = errorResponse(err, ctx);
        }
      }
      return { ...res, headers: { ...res.headers, ...(extra as Record<string, string>) } };
    }
    const ctx: Ctx = { user: who, base: `${scheme}://${req.headers.host ?? host}/odata/v4/`, version: 4, service: V4_NS };
    const rest = p.replace(/^\/odata\/v4\/?/, '');
    if (opts.v4Csrf) {
      const refused = csrf(req, extra);
      if (refused) return { ...refused, headers: { ...refused.headers, ...(extra as Record<string, string>) } };
    }
    let res: SimResponse;
    try {
      res = rest === '$batch' && method === 'POST' ? batchV4(req.headers['content-type'] ?? '', body, SETS, ctx) : execute(method, `${rest}${u.search}`, lowerHeaders(req.headers), body, SETS, ctx);
    } catch (err) {
      if (!(err instanceof SimError)) throw err;
      res = errorResponse(err, ctx);
    }
    return { ...res, headers: { ...res.headers, ...(extra as Record<string, string>) } };
  };

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      stats.requests += 1;
      const respond = (): void => {
        let out: SimResponse;
        try {
          out = route(req, Buffer.concat(chunks).toString('utf8'));
        } catch (err) {
          out = { status: 500, headers: { 'content-type': 'text/plain' }, body: `simulator error: ${(err as Error).message}` };
        }
        if (out.write && dropRate > 0 && rng() < dropRate) {
          stats.dropped += 1;
          log?.(`drop: ${req.method} ${req.url} (committed, answer ${out.status} not sent)`);
          req.socket.destroy();
          return;
        }
        res.writeHead(out.status, out.headers);
        res.end(out.body);
      };
      if (latencyMs > 0) setTimeout(respond, latencyMs);
      else respond();
    });
  };
  const server = opts.tls ? https.createServer({ key: opts.tls.key, cert: opts.tls.cert }, handler) : http.createServer(handler);
  server.on(opts.tls ? 'secureConnection' : 'connection', (s: import('node:net').Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 4300, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const sim: ErpSim = {
    url,
    port,
    v2: { confirmation: `${url}/sap/opu/odata/sap/${CONF_SRV}/`, notification: `${url}/sap/opu/odata/sap/${NOTIF_SRV}/`, productionOrder: `${url}/sap/opu/odata/sap/${ORDER_SRV}/` },
    v4: `${url}/odata/v4/`,
    tokenUrl: `${url}/oauth/token`,
    stats,
    documents: simDocuments,
    faults(f) {
      if (f.dropRate !== undefined) {
        if (!(f.dropRate >= 0 && f.dropRate <= 1)) throw new RangeError('dropRate must be from 0 to 1');
        dropRate = f.dropRate;
      }
      if (f.latencyMs !== undefined) {
        if (!(f.latencyMs >= 0)) throw new RangeError('latencyMs must be ≥ 0');
        latencyMs = f.latencyMs;
      }
      log?.(`faults: dropRate ${dropRate}, latency ${latencyMs} ms`);
    },
    expireCsrfTokens() {
      for (const s of sessions.values()) s.token = null;
    },
    expireSessions() {
      sessions.clear();
    },
    expireAccessTokens() {
      accessTokens.clear();
    },
    reset() {
      store.clear();
      repeats.clear();
      for (const k of Object.keys(stats) as Array<keyof ErpSimStats>) stats[k] = 0;
    },
    close() {
      return new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
  log?.(`ERP OData simulator on ${url}`);
  return sim;
}

function lowerHeaders(h: http.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k.toLowerCase()] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** For docs and tests: the entity sets, their keys and fields. */
export const ERP_SIM_ENTITY_SETS = SETS.map((d) => ({ name: d.name, service: d.service, keys: d.keys, fields: d.props.map((p) => p.name), readOnly: Boolean(d.readOnly), actions: d.actions.map((a) => a.name) }));
