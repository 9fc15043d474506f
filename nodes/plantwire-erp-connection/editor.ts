// Editor definition of plantwire-erp-connection (config node). Compiled to a plain
// script and inlined into dist/nodes/plantwire-erp-connection.html by scripts/build.mjs.
import { invalid } from '../editor/kit';

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
  defaults: {
    name: { value: '' },
    version: { value: 1 },
    kind: { value: 'sap-odata-v2', required: true },
    url: {
      value: '',
      required: true,
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        return /^https?:\/\/[^\s/]+/.test(String(v || '').trim()) || /^\$\{\w+\}$/.test(String(v || '').trim()) || invalid(this, opt, 'plantwire-erp-connection.validation.url');
      },
    },
    sapClient: {
      value: '',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'sap-odata-v2' || /^(\d{3})?$/.test(String(v || '').trim()) || invalid(this, opt, 'plantwire-erp-connection.validation.sapClient');
      },
    },
    database: {
      value: '',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const kind = $('#node-config-input-kind').length ? $('#node-config-input-kind').val() : this.kind;
        return kind !== 'odoo' || String(v || '').trim() !== '' || invalid(this, opt, 'plantwire-erp-connection.validation.database');
      },
    },
    auth: { value: 'basic' },
    tokenUrl: {
      value: '',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const auth = $('#node-config-input-auth').length ? $('#node-config-input-auth').val() : this.auth;
        return auth !== 'oauth2' || /^https?:\/\/[^\s/]+/.test(String(v || '').trim()) || invalid(this, opt, 'plantwire-erp-connection.validation.tokenUrl');
      },
    },
    scope: { value: '' },
    apiKeyHeader: {
      value: 'x-api-key',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        return /^[A-Za-z0-9!#$%&'*+.^_`|~-]*$/.test(String(v || '').trim()) || invalid(this, opt, 'plantwire-erp-connection.validation.apiKeyHeader');
      },
    },
    headers: {
      value: '',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const text = String(v || '').trim();
        let ok = text === '';
        if (!ok) {
          try {
            const j = JSON.parse(text);
            ok = !!j && typeof j === 'object' && !Array.isArray(j);
          } catch (e) {
            ok = false;
          }
        }
        return ok || invalid(this, opt, 'plantwire-erp-connection.validation.headers');
      },
    },
    timeout: {
      value: 30,
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const n = Number(v);
        return (String(v).trim() !== '' && n >= 0.1 && n <= 600) || invalid(this, opt, 'plantwire-erp-connection.validation.timeout');
      },
    },
    ca: {
      value: '',
      validate: function (this: ErpConnectionEditorProps, v: string, opt?: object) {
        const text = String(v || '').trim();
        return text === '' || text.indexOf('-----BEGIN CERTIFICATE-----') >= 0 || invalid(this, opt, 'plantwire-erp-connection.validation.ca');
      },
    },
    rejectUnauthorized: { value: true },
  },
  credentials: {
    user: { type: 'text' },
    password: { type: 'password' },
    clientId: { type: 'text' },
    clientSecret: { type: 'password' },
    apiKey: { type: 'password' },
  },
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
