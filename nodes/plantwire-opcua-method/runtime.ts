import { callMethod, methodArguments, resolveAll, tagSpec } from '../../src/connectors/opcua';
import { PlantwireError } from '../../src/model';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { useConfig } from '../../src/runtime/config-node';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';
import { parseFields } from '../../src/model/fields';
import { spec } from './fields';

const TYPE = 'plantwire-opcua-method';
const VERSION = 1;

interface MethodConfig extends NodeConfig {
  endpoint: string;
  objectId: string;
  methodId: string;
  /** Default arguments as JSON (array in order, or object by name). */
  args: string;
}

function isArgs(x: unknown): boolean {
  return Array.isArray(x) || (x !== null && typeof x === 'object' && !(x instanceof Date) && !Buffer.isBuffer(x));
}

export = function register(RED: RedApi): void {
  defineNode<MethodConfig>(RED, {
    type: TYPE,
    version: { current: VERSION },
    setup(node: RedNode, config: MethodConfig) {
      const endpoint = useConfig(RED, config.endpoint, 'plantwire-opcua-endpoint');
      const object = tagSpec(config.objectId, 'object (NodeId or browse path)');
      const method = tagSpec(config.methodId, 'method (NodeId or browse path)');
      // The dialog's rules, checked once (fields.ts), after the NodeIds above.
      const defaults = parseFields(spec, config as unknown as Record<string, unknown>).args;
      endpoint.users.register(node);

      onInput(node, async (msg, send) => {
        const ctx = await endpoint.connection.session(Math.min(endpoint.settings.requestTimeoutMs, 10_000));
        const [methodId] = await resolveAll(ctx, [method]);
        if (!methodId) throw new PlantwireError('unknown-tag', `method ${method.tag} not found`, 'method not found');
        const { inputs } = await methodArguments(ctx, methodId);
        // No inputs: the payload (an inject's timestamp…) is just the trigger.
        let args: unknown;
        if (inputs.length === 0) args = undefined;
        else if (msg.args !== undefined) args = msg.args;
        else if (isArgs(msg.payload)) args = msg.payload;
        else if (defaults !== undefined) args = defaults;
        else args = msg.payload;
        const result = await callMethod(ctx, object, method, args);
        setStatus(node, 'ok', `${method.tag.split('/').pop() ?? 'method'}: ${result.status}`);
        send({ ...msg, payload: result.outputs, opcua: { statusCode: result.statusCode, status: result.status, outputArguments: result.outputArguments } });
      });
      onClose(node, (removed) => endpoint.users.deregister(node, removed));
    },
  });
};
