// The settings of plantwire-simulator are declared once, next to the code that reads them
// (src/sim/simulator-fields.ts, parsed by simulatorSettings): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { simulatorFields as spec } from '../../src/sim/simulator-fields';
