// The settings of plantwire-cloud-connection are declared once in src/connectors/cloud/fields.ts
// (read by cloudSettings there): the dialog's defaults and validators, the runtime's check
// at deploy and the help's settings table come from there.
export { cloudConnectionFields as spec } from '../../src/connectors/cloud/fields';
