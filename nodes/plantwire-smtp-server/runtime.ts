import { SmtpServer, SMTP_HANDLE } from '../../src/connectors/email/server';
import { smtpSettings, type SmtpServerConfig } from '../../src/connectors/email/settings';
import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { onClose } from '../../src/runtime/close';
import { attachHandle, configHandle } from '../../src/runtime/config-node';
import { defineNode } from '../../src/runtime/define';
import type { NodeConfig, RedApi, RedNode } from '../../src/runtime/types';

const TYPE = 'plantwire-smtp-server';

type SmtpNodeConfig = NodeConfig & SmtpServerConfig;

export = function register(RED: RedApi): void {
  // The dialog's "Test" button: connects and logs in with the deployed settings.
  addAdminRoute(RED, {
    method: 'post',
    path: 'smtp-server/:id/verify',
    permission: `${TYPE}.write`,
    handler: async (req) => {
      const server = configHandle<SmtpServer>(RED, req.params.id, SMTP_HANDLE, 'SMTP server', 'server');
      try {
        await server.mailer.verify();
      } catch (err) {
        throw new PlantwireError('verify-failed', (err as Error).message, 'verify failed');
      }
      return { ok: true, text: `connected and logged in to ${server.settings.label}` };
    },
  });
  defineNode<SmtpNodeConfig>(RED, {
    type: TYPE,
    version: { current: 1 },
    credentials: {
      user: { type: 'text' },
      password: { type: 'password' },
      clientId: { type: 'text' },
      clientSecret: { type: 'password' },
      refreshToken: { type: 'password' },
    },
    setup(node: RedNode, config: SmtpNodeConfig) {
      const creds = node.credentials ?? {};
      const settings = smtpSettings(config, { user: creds.user, password: creds.password, clientId: creds.clientId, clientSecret: creds.clientSecret, refreshToken: creds.refreshToken });
      const server = new SmtpServer(node, settings);
      attachHandle(node, SMTP_HANDLE, server);
      onClose(node, () => server.close());
    },
  });
};
