/**
 * The slice of the Node-RED runtime API that Plantwire uses, typed here so the
 * glue does not depend on one Node-RED major's type package (4 and 5 alike).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

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

export interface AdminRequest extends IncomingMessage {
  params: Record<string, string>;
  query: Record<string, unknown>;
  body?: unknown;
  user?: { username?: string; permissions?: string | string[] };
}
export interface AdminResponse extends ServerResponse {
  status(code: number): AdminResponse;
  json(body: unknown): void;
}
type Handler = (req: AdminRequest, res: AdminResponse, next: (err?: unknown) => void) => void;

export interface RedApi {
  nodes: {
    createNode(node: object, config: NodeConfig): void;
    registerType(type: string, ctor: (this: RedNode, config: NodeConfig) => void, opts?: { credentials?: Record<string, { type: 'text' | 'password' }>; settings?: Record<string, unknown> }): void;
    getNode(id: string): RedNode | null;
  };
  httpAdmin: {
    get(path: string, ...handlers: Handler[]): void;
    post(path: string, ...handlers: Handler[]): void;
    delete(path: string, ...handlers: Handler[]): void;
  };
  auth: { needsPermission(permission: string): Handler };
  settings: { userDir?: string; [key: string]: unknown };
  events?: { once(event: string, handler: (...args: unknown[]) => void): void; on(event: string, handler: (...args: unknown[]) => void): void; removeListener(event: string, handler: (...args: unknown[]) => void): void };
  log: { info(msg: unknown): void; warn(msg: unknown): void; error(msg: unknown): void; debug(msg: unknown): void };
  util?: { evaluateNodeProperty(value: string, type: string, node: RedNode, msg: NodeMessage, callback: (err: Error | null, result: unknown) => void): void };
  version?(): string;
}
