/** A minimal stand-in for a Node-RED node, recording what the glue does to it. */
import { EventEmitter } from 'node:events';
import type { NodeMessage, RedNode, StatusObject } from '../../src/runtime/types';

export interface FakeNode extends RedNode {
  statuses: StatusObject[];
  errors: Array<{ err: unknown; msg?: NodeMessage }>;
  warnings: unknown[];
  sent: unknown[];
  emitter: EventEmitter;
  /** Delivers a message like the runtime does; resolves with what `done` got. */
  receive(msg: NodeMessage): Promise<{ err?: Error; calls: number }>;
  close(removed?: boolean): Promise<number>;
}

export function fakeNode(id = 'n1'): FakeNode {
  const emitter = new EventEmitter();
  const node: FakeNode = {
    id,
    type: 'fake',
    statuses: [],
    errors: [],
    warnings: [],
    sent: [],
    emitter,
    status: (s) => void node.statuses.push(s as StatusObject),
    send: (m) => void node.sent.push(m),
    log: () => undefined,
    warn: (m) => void node.warnings.push(m),
    error: (err, msg) => void node.errors.push({ err, msg }),
    debug: () => undefined,
    on: ((event: string, handler: (...args: never[]) => void) => {
      emitter.on(event, handler as (...args: unknown[]) => void);
    }) as RedNode['on'],
    receive(msg) {
      return new Promise((resolve) => {
        let calls = 0;
        let first: Error | undefined;
        emitter.emit('input', msg, (m: unknown) => node.sent.push(m), (err?: Error) => {
          calls += 1;
          if (calls === 1) first = err;
          // Give a second (wrong) done call a chance to show up before resolving.
          setTimeout(() => resolve({ err: first, calls }), 20);
        });
      });
    },
    close(removed = false) {
      return new Promise((resolve) => {
        let calls = 0;
        emitter.emit('close', removed, () => {
          calls += 1;
          setTimeout(() => resolve(calls), 20);
        });
      });
    },
  };
  return node;
}
