// The settings of plantwire-mqtt-out are declared once in src/connectors/mqtt/out-fields.ts
// (checked by mqttOutSettings there): the dialog's defaults and validators, the runtime's
// check at deploy and the help's settings table come from there.
export { mqttOutFields as spec } from '../../src/connectors/mqtt/out-fields';
