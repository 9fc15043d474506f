// The settings of plantwire-cloud-out are declared once in src/connectors/cloud/out-fields.ts
// (checked by cloudOutSettings there): the dialog's defaults and validators, the runtime's
// check at deploy and the help's settings table come from there.
export { cloudOutFields as spec } from '../../src/connectors/cloud/out-fields';
