/**
 * node-opcua, loaded on first use: a Node-RED without OPC UA nodes in its
 * flows never pays for loading it (about 0.3 s and 100 MB).
 */
export type OpcUa = typeof import('node-opcua');

let loaded: OpcUa | undefined;

export function opcua(): OpcUa {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded ??= require('node-opcua') as OpcUa;
  return loaded;
}
