/**
 * SAP OData v2 driver. PLACEHOLDER owned by the erp-sap work:
 * replaced by the real driver before the ERP nodes land.
 */
import type { HttpClient } from '../http';
import { PlantwireError } from '../../model/errors';
import type { ErpBusinessError, ErpDriver, ErpQuery, ErpQueryResult, ErpRequest, ErpResult, ErpSettings } from './types';

export class SapODataV2Driver implements ErpDriver {
  readonly kind = 'sap-odata-v2' as const;
  constructor(readonly settings: ErpSettings, readonly http: HttpClient) {}
  private no(): never {
    throw new PlantwireError('not-implemented', 'the SAP OData v2 driver is not built yet', 'SAP OData v2: not built yet');
  }
  test(): Promise<string> {
    return Promise.resolve(this.no());
  }
  execute(_req: ErpRequest): Promise<ErpResult> {
    return Promise.resolve(this.no());
  }
  executeBatch(_reqs: ErpRequest[]): Promise<Array<ErpResult | ErpBusinessError>> {
    return Promise.resolve(this.no());
  }
  query(_q: ErpQuery): Promise<ErpQueryResult> {
    return Promise.resolve(this.no());
  }
  close(): void {}
}
