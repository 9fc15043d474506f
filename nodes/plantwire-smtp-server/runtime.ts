import { SmtpServer } from '../../src/connectors/email/server';
import { smtpSettings, type SmtpServerConfig } from '../../src/connectors/email/settings';
import { PlantwireError } from '../../src/model/errors';
import { addAdminRoute } from '../../src/runtime/admin';
import { defineConfigNode, useConfig } from '../../src/runtime/config-node';
import type { NodeConfig, RedApi } from '../../src/runtime/types';
import { spec } from './fields';

const TYPE = 'plantwire-smtp-server';

export = function register(RED: RedApi): void {
  defineConfigNode<NodeConfig & SmtpServerConfig, ReturnType<typeof smtpSettings>, SmtpServer>(RED, {
    type: TYPE,
    label: 'SMTP server',
    field: 'server',
    credentials: spec.credentials,
    settings: (config, creds) => smtpSettings(config, creds),
    open: (node, settings) => new SmtpServer(node, settings),
    routes() {
      // The dialog's "Test" button: connects and logs in with the deployed settings.
      addAdminRoute(RED, {
        method: 'post',
        path: 'smtp-server/:id/verify',
        permission: `${TYPE}.write`,
        handler: async (req) => {
          const server = useConfig(RED, req.params.id, TYPE);
          try {
            await server.mailer.verify();
          } catch (err) {
            throw new PlantwireError('verify-failed', (err as Error).message, 'verify failed');
          }
          return { ok: true, text: `connected and logged in to ${server.settings.label}` };
        },
      });
    },
  });
};
