/**
 * Node types every Node-RED 4 and 5 provides without installing a module
 * (the core nodes of @node-red/nodes plus the structural types). A unit test
 * compares this list with the installed Node-RED 4 and the Node-RED 5 fixture,
 * so a Node-RED release that adds or drops a core node fails the suite.
 * With a target at hand, deploy and diff read the types from the target's GET /nodes instead.
 */
export const CORE_NODE_TYPES: readonly string[] = [
  'batch', 'catch', 'change', 'comment', 'complete', 'csv', 'debug', 'delay', 'exec', 'file', 'file in', 'function',
  'global-config', 'html', 'http in', 'http proxy', 'http request', 'http response', 'inject', 'join', 'json',
  'link call', 'link in', 'link out', 'mqtt in', 'mqtt out', 'mqtt-broker', 'range', 'rbe', 'sort', 'split', 'status',
  'switch', 'tcp in', 'tcp out', 'tcp request', 'template', 'tls-config', 'trigger', 'udp in', 'udp out', 'unknown',
  'watch', 'websocket in', 'websocket out', 'websocket-client', 'websocket-listener', 'xml', 'yaml',
];

/** Types that are part of the flow structure rather than nodes. */
export const STRUCTURAL_TYPES: readonly string[] = ['tab', 'subflow', 'group', 'junction'];

/** Core node types that hold credentials, and their credential fields (password-type fields marked). */
export const CORE_CREDENTIALS: Readonly<Record<string, Record<string, 'text' | 'password'>>> = {
  'mqtt-broker': { user: 'text', password: 'password' },
  'http request': { user: 'text', password: 'password' },
  'http proxy': { username: 'text', password: 'password' },
  'tls-config': { certdata: 'text', keydata: 'text', cadata: 'text', passphrase: 'password' },
};

/** The node types a flow configuration needs registered on the target (not structural types, not its own subflows). */
export function nodeTypesNeeded(flows: ReadonlyArray<{ id: string; type: string }>): string[] {
  const subflows = new Set(flows.filter((n) => n.type === 'subflow').map((n) => `subflow:${n.id}`));
  return [...new Set(flows.map((n) => n.type))].filter((t) => !STRUCTURAL_TYPES.includes(t) && !subflows.has(t));
}
