// The settings of plantwire-alarm are declared once, next to the engine that
// reads them (src/transforms/alarm.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { alarmFields as spec } from '../../src/transforms/alarm';
