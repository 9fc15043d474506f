import { planWrites, statusText, tagSpecs, writeTags } from '../../src/connectors/opcua';
import { PlantwireError } from '../../src/model';
import { onClose } from '../../src/runtime/close';
import { defineNode } from '../../src/runtime/define';
import { onInput } from '../../src/runtime/input';
import { useConfig } from '../../src/runtime/config-node';
import { setStatus } from '../../src/runtime/status';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-opcua-write';
const VERSION = 1;

interface WriteConfig extends NodeConfig {
  endpoint: string;
  tags: unknown[];
}

export = function register(RED: RedApi): void {
  defineNode<WriteConfig>(RED, {
    type: TYPE,
    version: { current: VERSION },
    setup(node: RedNode, config: WriteConfig) {
      // Its settings (fields.ts) are the endpoint, checked by useConfig, and the tag list, read by tagSpecs.
      const endpoint = useConfig(RED, config.endpoint, 'plantwire-opcua-endpoint');
      const tags = tagSpecs(config.tags ?? [], 'tag list', { allowEmpty: true });
      endpoint.users.register(node);

      onInput(node, async (msg, send) => {
        const planned = planWrites(msg.payload, msg.topic, tags);
        const ctx = await endpoint.connection.session(Math.min(endpoint.settings.requestTimeoutMs, 10_000));
        const results = await writeTags(ctx, planned);
        const refused = results.filter((r) => !r.ok);
        if (refused.length > 0) {
          const what = refused.map((r) => `${r.tag}: ${statusText(r.statusCode, r.status)}`).join('; ');
          const rest = results.length - refused.length;
          throw new PlantwireError(
            'write-refused',
            `the server refused ${refused.length} of ${results.length} write${results.length === 1 ? '' : 's'} (${what})${rest ? `; the other ${rest} were written` : ''}`,
            `write refused: ${refused[0]?.status ?? ''}`,
          );
        }
        setStatus(node, 'ok', `wrote ${results.length} tag${results.length === 1 ? '' : 's'}`);
        send({ ...msg, opcua: { results } });
      });
      onClose(node, (removed) => endpoint.users.deregister(node, removed));
    },
  });
};
