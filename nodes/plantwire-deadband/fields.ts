// The settings of plantwire-deadband are declared once, next to the filter that
// reads them (src/transforms/deadband.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { deadbandFields as spec } from '../../src/transforms/deadband';
