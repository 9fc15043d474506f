// The settings of plantwire-oee are declared once, next to the calculator that
// reads them (src/transforms/oee.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { oeeFields as spec } from '../../src/transforms/oee';
