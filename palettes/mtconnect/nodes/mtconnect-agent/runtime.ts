/**
 * mtconnect-agent: a config node (the agent's base URL, timeout, response
 * size limit, optional basic-auth user), built on @plantwire/sdk's
 * connection kit: defineConfigNode owns one AgentClient (one keep-alive socket
 * pool); the mtconnect-in nodes register as users, the first one "connects"
 * (reads /probe: the device model), retried on the kit's backoff and logged
 * once per outage; the pool closes with the config node. With "built-in
 * simulator" it serves the palette's simulated mill (src/simulator.ts) on a
 * free loopback port and points the client at it over real HTTP.
 * Credentials are declared here and in editor.html alike.
 */
import { defineConfigNode, numberSetting, PlantwireError, type NodeConfig, type RedApi } from '@plantwire/sdk';
import { openAgent, type AgentHandle, type AgentSettings } from '../../src/agent';
import { agentUrl } from '../../src/client';

interface Config extends NodeConfig {
  url: string;
  timeout: string | number;
  maxSize: string | number;
  simulate: boolean | string;
}

function settings(config: Config, creds: Record<string, string | undefined>): AgentSettings {
  const simulate = config.simulate === true || config.simulate === 'true';
  const url = String(config.url ?? '').trim();
  if (!simulate) {
    try {
      agentUrl(url);
    } catch (err) {
      throw new PlantwireError('bad-config', (err as Error).message, 'bad agent URL');
    }
  }
  return {
    url: simulate ? 'http://127.0.0.1:1/' : url,
    timeoutMs: numberSetting(config, 'timeout', { label: 'timeout (s)', min: 0.5, max: 300, default: 10 }) * 1000,
    maxBytes: Math.round(numberSetting(config, 'maxSize', { label: 'largest answer (MB)', min: 0.1, max: 512, default: 16 }) * 1024 * 1024),
    simulate,
    ...(creds.user ? { user: creds.user, password: creds.password ?? '' } : {}),
  };
}

export = function (RED: RedApi): void {
  defineConfigNode<Config, AgentSettings, AgentHandle>(RED, {
    type: 'mtconnect-agent',
    label: 'MTConnect agent',
    field: 'agent',
    version: { current: 1 },
    credentials: { user: { type: 'text' }, password: { type: 'password' } },
    settings: (config, creds) => settings(config, creds),
    open: (node, s) => openAgent(node, s),
    close: (handle) => handle.close(),
  });
};
