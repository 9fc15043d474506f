/**
 * mtconnect-agent: a config node (connection settings shared by the nodes that use it), built on
 * @plantwire/node-red/sdk. Credentials are declared here and in editor.html alike.
 */
import { defineNode, numberSetting, type NodeConfig, type RedApi } from '@plantwire/node-red/sdk';

interface Config extends NodeConfig {
  host: string;
  port: string | number;
}

export = function (RED: RedApi): void {
  defineNode<Config>(RED, {
    type: 'mtconnect-agent',
    version: { current: 1 },
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
    setup(node, config) {
      const settings = { host: String(config.host || '127.0.0.1'), port: numberSetting(config, 'port', { label: 'port', min: 1, max: 65535, integer: true }) };
      (node as unknown as { settings: typeof settings }).settings = settings;
    },
  });
};
