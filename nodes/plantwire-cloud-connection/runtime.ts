import { cloudAddress, cloudSettings, CLOUD_KINDS, testCloud, type CloudConfig, type CloudCredentials, type CloudSettings } from '../../src/connectors/cloud/index';
import { CloudConnection, isMissingSetup } from '../../src/connectors/cloud/connection';
import type { CloudKind } from '../../src/connectors/cloud/types';
import { PlantwireError } from '../../src/model/errors';
import { defineConfigNode } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & CloudConfig, CloudSettings, CloudConnection>(RED, {
    type: 'plantwire-cloud-connection',
    label: 'cloud connection',
    field: 'Connection',
    credentials: spec.credentials,
    settings: (config, creds) => cloudSettings(config, creds as CloudCredentials),
    open: (node, settings) => new CloudConnection(node, settings),
    // Users get a connection that says what is wrong (status, and each delivery fails with it) and keep their buffers.
    misconfigured(err, config, node) {
      const kind = (CLOUD_KINDS as readonly string[]).includes(String(config.target)) ? (config.target as CloudKind) : null;
      return new CloudConnection(node, { kind, problem: err instanceof PlantwireError ? err : new PlantwireError('bad-config', err.message) });
    },
    // Credentials not filled in yet (e.g. an imported example) are not an error to log; a wrong value is.
    quiet: isMissingSetup,
    test: {
      what: 'cloud connection',
      secretKeys: ['cert', 'key', 'passphrase', 'deviceKey', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'authHeader'],
      address: (c) => cloudAddress(c as CloudConfig),
      run: (c, creds, signal) => testCloud(cloudSettings(c as CloudConfig, creds as CloudCredentials), cloudAddress(c as CloudConfig), signal),
    },
  });
};
