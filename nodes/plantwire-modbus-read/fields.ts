// The settings of plantwire-modbus-read are declared once, next to the code that reads them
// (src/connectors/modbus/fields.ts, parsed by settings.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { modbusReadFields as spec } from '../../src/connectors/modbus/fields';
