// The settings of plantwire-nats-connection are declared once with the other NATS nodes'
// (src/connectors/nats/fields.ts, read by ./settings.ts there): the dialog's defaults
// and validators, the runtime's check at deploy and the help's settings table come from there.
export { natsConnectionFields as spec } from '../../src/connectors/nats/fields';
