import { cloudAddress, cloudSettings, CLOUD_KINDS, testCloud, type CloudConfig, type CloudCredentials } from '../../src/connectors/cloud/index';
import { CLOUD_HANDLE, CloudConnection, isMissingSetup } from '../../src/connectors/cloud/connection';
import type { CloudKind } from '../../src/connectors/cloud/types';
import { PlantwireError, toError } from '../../src/model/errors';
import { onClose } from '../../src/runtime/close';
import { attachHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import { addConnectionTest } from '../../src/runtime/test-connection';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-cloud-connection';

type CloudNodeConfig = NodeConfig & CloudConfig;

export = function register(RED: RedApi): void {
  addConnectionTest(RED, {
    type: TYPE,
    what: 'cloud connection',
    secretKeys: ['cert', 'key', 'passphrase', 'deviceKey', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'authHeader'] as const,
    address: (c) => cloudAddress(c as CloudConfig),
    run: (c, creds, signal) => testCloud(cloudSettings(c as CloudConfig, creds as CloudCredentials), cloudAddress(c as CloudConfig), signal),
  });
  defineNode<CloudNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      cert: { type: 'text' },
      key: { type: 'password' },
      passphrase: { type: 'password' },
      deviceKey: { type: 'password' },
      accessKeyId: { type: 'text' },
      secretAccessKey: { type: 'password' },
      sessionToken: { type: 'password' },
      authHeader: { type: 'password' },
    },
    setup(node: RedNode, config: CloudNodeConfig) {
      const creds = (node.credentials ?? {}) as CloudCredentials;
      let conn: CloudConnection;
      let problem: unknown = null;
      try {
        conn = new CloudConnection(node, cloudSettings(config, creds));
      } catch (err) {
        // Users get a connection that says what is wrong (status, and each delivery fails with it).
        const kind = (CLOUD_KINDS as readonly string[]).includes(String(config.target)) ? (config.target as CloudKind) : null;
        conn = new CloudConnection(node, { kind, problem: err instanceof PlantwireError ? err : new PlantwireError('bad-config', toError(err).message) });
        // Credentials not filled in yet (e.g. an imported example) are not an error to log; a wrong value is.
        if (!isMissingSetup(err)) problem = err;
      }
      attachHandle(node, CLOUD_HANDLE, conn);
      onClose(node, () => conn.close());
      if (problem) throw problem;
    },
  });
};
