/**
 * The slice of the Node-RED node API that connectors may name in their
 * signatures, typed structurally here (no Node-RED import) so that
 * src/connectors, src/transforms, src/buffer and src/sim stay below
 * src/runtime/ (docs/architecture.md, test/unit/layers.test.ts). The glue's
 * `src/runtime/types.ts` re-exports these under the same names.
 */

export type NodeMessage = Record<string, unknown> & { payload?: unknown; topic?: string; _msgid?: string };
export type SendFn = (msg: NodeMessage | null | Array<NodeMessage | NodeMessage[] | null>) => void;
export type DoneFn = (err?: Error) => void;

export interface StatusObject {
  fill?: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape?: 'ring' | 'dot';
  text?: string;
}

export interface RedNode {
  id: string;
  type: string;
  name?: string;
  z?: string;
  credentials?: Record<string, string | undefined>;
  status(status: StatusObject | Record<string, never>): void;
  send: SendFn;
  log(msg: unknown): void;
  warn(msg: unknown): void;
  error(err: unknown, msg?: NodeMessage): void;
  debug(msg: unknown): void;
  on(event: 'input', handler: (msg: NodeMessage, send: SendFn, done: DoneFn) => void): void;
  on(event: 'close', handler: (removed: boolean, done: () => void) => void): void;
  on(event: string, handler: (...args: never[]) => void): void;
}

export interface NodeConfig {
  id: string;
  type: string;
  name?: string;
  z?: string;
  version?: number;
  [key: string]: unknown;
}

/** What a connector needs to find a config node by id (`RED.nodes.getNode`); `RedApi` satisfies it. */
export interface NodeLookup {
  nodes: { getNode(id: string): RedNode | null };
}
