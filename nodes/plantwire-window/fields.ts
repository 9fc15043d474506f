// The settings of plantwire-window are declared once, next to the aggregator that
// reads them (src/transforms/window.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { windowFields as spec } from '../../src/transforms/window';
