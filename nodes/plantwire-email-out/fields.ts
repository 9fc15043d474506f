// The settings of plantwire-email-out are declared once in src/connectors/email/fields.ts
// (checked by emailOutSettings there): the dialog's defaults and validators, the runtime's
// check at deploy and the help's settings table come from there.
export { emailOutFields as spec } from '../../src/connectors/email/fields';
