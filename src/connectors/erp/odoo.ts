/**
 * Odoo JSON-RPC driver (execute_kw). PLACEHOLDER owned by the erp-odoo work:
 * replaced by the real driver before the ERP nodes land.
 */
import type { HttpClient } from '../http';
import { PlantwireError } from '../../model/errors';
import type { ErpBusinessError, ErpDriver, ErpQuery, ErpQueryResult, ErpRequest, ErpResult, ErpSettings } from './types';

export class OdooDriver implements ErpDriver {
  readonly kind = 'odoo' as const;
  constructor(readonly settings: ErpSettings, readonly http: HttpClient) {}
  private no(): never {
    throw new PlantwireError('not-implemented', 'the Odoo driver is not built yet', 'Odoo: not built yet');
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
