// Editor definition of plantwire-smtp-server (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-smtp-server.html by scripts/build.mjs.
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface SmtpServerEditorProps extends EditorNodeProperties {
  version: number;
  host: string;
  port: number;
  security: string;
  requireTLS: boolean;
  rejectUnauthorized: boolean;
  ca: string;
  authType: string;
  oauthPreset: string;
  tenant: string;
  accessUrl: string;
  from: string;
  maxConnections: number;
  timeout: number;
}

interface SmtpServerCredentials {
  user: string;
  password: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

RED.nodes.registerType<SmtpServerEditorProps, SmtpServerCredentials>('plantwire-smtp-server', {
  category: 'config',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-smtp-server.svg',
  paletteLabel: 'smtp server',
  label: function (this: SmtpServerEditorProps) {
    return this.name || (this.host || 'smtp') + ':' + (this.port || 587);
  },
  oneditprepare: function (this: SmtpServerEditorProps) {
    const node = this;
    const toggle = function () {
      const auth = $('#node-config-input-authType').val();
      const preset = $('#node-config-input-oauthPreset').val();
      $('.plantwire-smtp-user').toggle(auth !== 'none');
      $('.plantwire-smtp-password').toggle(auth === 'password');
      $('.plantwire-smtp-oauth').toggle(auth === 'oauth2');
      $('.plantwire-smtp-tenant').toggle(auth === 'oauth2' && preset === 'microsoft');
      $('.plantwire-smtp-accessurl').toggle(auth === 'oauth2' && preset === 'custom');
      const security = $('#node-config-input-security').val();
      $('.plantwire-smtp-tls').toggle(security !== 'off');
      $('.plantwire-smtp-requiretls').toggle(security === 'starttls');
    };
    $('#node-config-input-security').on('change', function () {
      // The usual port for the chosen security, unless the user typed another one.
      const port = String($('#node-config-input-port').val() || '');
      const sec = $('#node-config-input-security').val();
      if (['', '25', '465', '587'].indexOf(port) >= 0) $('#node-config-input-port').val(sec === 'tls' ? '465' : sec === 'starttls' ? '587' : '25');
      toggle();
    });
    $('#node-config-input-authType, #node-config-input-oauthPreset').on('change', toggle);
    toggle();
    $('#plantwire-smtp-verify').on('click', function () {
      const out = $('#plantwire-smtp-verify-result');
      out.text('…');
      $.ajax({ url: 'plantwire/smtp-server/' + (node as unknown as { id: string }).id + '/verify', method: 'POST', dataType: 'json' })
        .done(function (r: { text: string }) {
          out.css('color', 'green').text(r.text);
        })
        .fail(function (x: { responseJSON?: { error?: string } }) {
          out.css('color', 'red').text((x.responseJSON && x.responseJSON.error) || (node as unknown as { _(key: string): string })._('plantwire-smtp-server.hint.deployFirst'));
        });
    });
  },
});
