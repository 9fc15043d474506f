// The settings of plantwire-erp-out are declared once in src/connectors/erp/out-fields.ts
// (read by erpOutSettings there): the dialog's defaults and validators, the runtime's
// check at deploy and the help's settings table come from there. The JSONata syntax of
// the mapping and of a JSONata key is checked by that spec where a JSONata compiler is at
// hand: in the dialog the browser's global `jsonata` that Node-RED ships; at deploy the
// runtime compiles both with Node-RED's own JSONata (runtime.ts), whose error names the
// position — the palette adds no JSONata dependency (see the opening comment there).
export { erpOutFields as spec } from '../../src/connectors/erp/out-fields';
