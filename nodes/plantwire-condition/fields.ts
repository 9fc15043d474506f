// The settings of plantwire-condition are declared once, next to the engine that
// reads them (src/transforms/condition.ts): the dialog's defaults and validators,
// the runtime's check at deploy and the help's settings table come from there.
export { conditionFields as spec } from '../../src/transforms/condition';
