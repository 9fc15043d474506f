// The settings of plantwire-erp-connection are declared once in src/connectors/erp/fields.ts
// (read by erpSettings there): the dialog's defaults and validators, the runtime's check
// at deploy and the help's settings table come from there.
export { erpConnectionFields as spec } from '../../src/connectors/erp/fields';
