// Editor definition of plantwire-erp-connection (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-erp-connection.html by scripts/build.mjs.
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface ErpConnectionEditorProps extends EditorNodeProperties {
  version: number;
  kind: string;
  url: string;
  sapClient: string;
  database: string;
  auth: string;
  tokenUrl: string;
  scope: string;
  apiKeyHeader: string;
  headers: string;
  timeout: number;
  ca: string;
  rejectUnauthorized: boolean;
}

interface ErpConnectionCredentials {
  user: string;
  password: string;
  clientId: string;
  clientSecret: string;
  apiKey: string;
}

RED.nodes.registerType<ErpConnectionEditorProps, ErpConnectionCredentials>('plantwire-erp-connection', {
  category: 'config',
  color: '#E2C08D',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-erp-connection.svg',
  paletteLabel: 'erp connection',
  label: function (this: ErpConnectionEditorProps) {
    if (this.name) return this.name;
    const kinds: Record<string, string> = { 'sap-odata-v2': 'SAP', 'odata-v4': 'OData v4', odoo: 'Odoo', rest: 'REST' };
    const host = String(this.url || '').replace(/^https?:\/\//, '').split('/')[0];
    return (kinds[this.kind] || 'ERP') + ' ' + (host || '?') + (this.sapClient ? ' (' + this.sapClient + ')' : '');
  },
  oneditprepare: function (this: ErpConnectionEditorProps) {
    const node = this;
    const i18n = (this as unknown as { _: (key: string) => string })._.bind(this);
    const toggle = function () {
      const kind = $('#node-config-input-kind').val();
      const auth = $('#node-config-input-auth').val();
      $('.pw-erp-sap').toggle(kind === 'sap-odata-v2');
      $('.pw-erp-odoo').toggle(kind === 'odoo');
      $('.pw-erp-rest').toggle(kind !== 'odoo');
      $('.pw-erp-auth').toggle(kind !== 'odoo');
      $('.pw-erp-user').toggle(kind === 'odoo' || auth === 'basic');
      $('.pw-erp-oauth2').toggle(kind !== 'odoo' && auth === 'oauth2');
      $('.pw-erp-apikey').toggle(kind !== 'odoo' && auth === 'apikey');
    };
    $('#node-config-input-kind, #node-config-input-auth').on('change', toggle);
    toggle();
    const out = $('#pw-erp-test-result');
    $('#pw-erp-test').on('click', function (e) {
      e.preventDefault();
      const config: Record<string, unknown> = {};
      ['kind', 'url', 'sapClient', 'database', 'auth', 'tokenUrl', 'scope', 'apiKeyHeader', 'headers', 'timeout', 'ca', 'rejectUnauthorized'].forEach(function (k) {
        const input = $('#node-config-input-' + k);
        config[k] = input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
      });
      const credentials: Record<string, unknown> = {};
      ['user', 'password', 'clientId', 'clientSecret', 'apiKey'].forEach(function (k) {
        credentials[k] = $('#node-config-input-' + k).val();
      });
      out.css('color', '').text(i18n('plantwire-erp-connection.test.running'));
      $.ajax({
        url: 'plantwire/erp/test',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify({ id: (node as unknown as { id: string }).id, config: config, credentials: credentials }),
        dataType: 'json',
        success: function (r: { message: string }) {
          out.css('color', 'var(--red-ui-text-color-success, #3a3)').text('✔ ' + r.message);
        },
        error: function (jq: JQuery.jqXHR) {
          const body = jq.responseJSON as { error?: string } | undefined;
          out.css('color', 'var(--red-ui-text-color-error, #d00)').text('✘ ' + ((body && body.error) || jq.statusText || 'failed'));
        },
      });
    });
  },
});
