// The settings of plantwire-opcua-endpoint are declared once, next to the code that reads them
// (endpointFields in src/connectors/opcua/settings.ts, parsed by endpointSettings): the dialog's
// defaults and validators, the runtime's check at deploy and the help's settings table come from there.
export { endpointFields as spec } from '../../src/connectors/opcua/settings';
