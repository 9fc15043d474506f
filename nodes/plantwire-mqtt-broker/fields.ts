// The settings of plantwire-mqtt-broker are declared once, next to the code that
// turns them into mqtt.js options (src/connectors/mqtt/broker-fields.ts, used by options.ts): the dialog's
// defaults and validators, the runtime's check at deploy and the help's settings table come from there.
export { brokerFields as spec } from '../../src/connectors/mqtt/broker-fields';
