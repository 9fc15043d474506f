/**
 * The slice of the Node-RED runtime API that Plantwire uses, typed here so the
 * glue does not depend on one Node-RED major's type package (4 and 5 alike).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { NodeConfig, NodeMessage, RedNode } from '../model/node-red-types';

/** NodeMessage, SendFn, DoneFn, StatusObject, RedNode, NodeConfig moved to src/model/node-red-types.ts; re-exported here. */
export type { DoneFn, NodeConfig, NodeLookup, NodeMessage, RedNode, SendFn, StatusObject } from '../model/node-red-types';

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
