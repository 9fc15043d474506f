// The settings of plantwire-smtp-server are declared once in src/connectors/email/fields.ts
// (read by smtpSettings there): the dialog's defaults and validators, the runtime's check
// at deploy and the help's settings table come from there.
export { smtpServerFields as spec } from '../../src/connectors/email/fields';
