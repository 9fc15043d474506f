// The settings of plantwire-historian-db are declared once, next to the code that reads them
// (src/connectors/historian/db-fields.ts, parsed by historianDbSettings in settings.ts): the
// dialog's defaults and validators, the runtime's check at deploy and the help's settings table
// come from there. The user, password and token stay Node-RED credentials.
export { historianDbFields as spec } from '../../src/connectors/historian/db-fields';
