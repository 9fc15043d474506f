// The settings of plantwire-mqtt-in are declared once in src/connectors/mqtt/in-fields.ts
// (read by mqttInSettings there): the dialog's defaults and validators, the runtime's
// parsing at deploy and the help's settings table come from there.
export { mqttInFields as spec } from '../../src/connectors/mqtt/in-fields';
