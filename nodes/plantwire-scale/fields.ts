// The settings of plantwire-scale are declared once (src/transforms/scale-fields.ts,
// read by the scaler's scaleSettings): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { scaleFields as spec } from '../../src/transforms/scale-fields';
