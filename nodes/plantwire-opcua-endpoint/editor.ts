// Editor definition of plantwire-opcua-endpoint (config node). The OPC UA
// dialog pieces the other OPC UA nodes share are in nodes/editor/opcua.ts.
import { connectionTest } from '../editor/kit';
import { specCredentials, specDefaults, specValidator } from '../editor/spec';
import { spec } from './fields';

interface OpcUaEndpointEditorProps extends EditorNodeProperties {
  version: number;
  url: string;
  securityMode: string;
  securityPolicy: string;
  allowDeprecated: boolean;
  auth: string;
  userCertificate: string;
  userPrivateKey: string;
  maxMessageSizeMB: number;
  reconnectInitialMs: number;
  reconnectMaxMs: number;
  requestTimeoutMs: number;
  sessionTimeoutMs: number;
  maxItemsPerCall: number;
}

interface OpcUaEndpointCreds {
  username: string;
  password: string;
}

RED.nodes.registerType<OpcUaEndpointEditorProps, OpcUaEndpointCreds>('plantwire-opcua-endpoint', {
  category: 'config',
  color: '#87A9C4',
  defaults: specDefaults(spec),
  credentials: specCredentials(spec),
  icon: 'plantwire-opcua-endpoint.svg',
  paletteLabel: 'opc ua endpoint',
  label: function (this: OpcUaEndpointEditorProps) {
    if (this.name) return this.name;
    return this.url + (this.securityMode && this.securityMode !== 'None' ? ' (' + this.securityMode + ')' : '');
  },
  oneditprepare: function (this: OpcUaEndpointEditorProps & { id: string; changed?: boolean }) {
    connectionTest(this);
    const node = this;
    const toggle = function () {
      const mode = $('#node-config-input-securityMode').val();
      $('.pw-opcua-policy').toggle(mode !== 'None');
      const auth = $('#node-config-input-auth').val();
      $('.pw-opcua-user').toggle(auth === 'username');
      $('.pw-opcua-cert').toggle(auth === 'certificate');
      $('#node-config-input-securityPolicy option.pw-deprecated').toggle($('#node-config-input-allowDeprecated').is(':checked'));
    };
    $('#node-config-input-securityMode, #node-config-input-auth, #node-config-input-allowDeprecated').on('change', toggle);
    if ((!node.securityPolicy || node.securityPolicy === 'None') && node.securityMode !== 'None') $('#node-config-input-securityPolicy').val('Basic256Sha256');
    toggle();

    const state = $('#pw-opcua-state');
    const trustButton = $('#pw-opcua-trust');
    const notDeployed = 'Not deployed yet: deploy to see the connection state. "Trust server certificate" uses the settings above.';
    const refresh = function () {
      // A config node being added is not in the workspace yet, and one added or changed since the last
      // deploy is not what the runtime has: ask the runtime only about a deployed, unchanged node, and
      // only while this dialog is open (the trust button refreshes after a delay).
      const known = RED.nodes.node(node.id) as { changed?: boolean } | null;
      if (!known || known.changed || !$.contains(document.documentElement, trustButton[0]!)) {
        state.text(notDeployed);
        return;
      }
      $.ajax({
        url: 'plantwire/opcua/' + encodeURIComponent(node.id) + '/status',
        type: 'GET',
        dataType: 'json',
        success: function (s: { text: string; detail: string; pendingCertificate?: { subject: string; thumbprint: string } | null }) {
          state.text(s.detail || s.text);
          trustButton.toggle(true);
          if (s.pendingCertificate) trustButton.attr('title', s.pendingCertificate.subject + ' — SHA-1 ' + s.pendingCertificate.thumbprint);
        },
        error: function () {
          state.text(notDeployed);
        },
      });
    };
    refresh();
    trustButton.on('click', function (e) {
      e.preventDefault();
      const deployed = !node.changed && state.text().indexOf('Not deployed') < 0;
      const settings: Record<string, unknown> = {};
      ['url', 'securityMode', 'securityPolicy', 'allowDeprecated', 'auth', 'userCertificate', 'userPrivateKey'].forEach(function (k) {
        const input = $('#node-config-input-' + k);
        settings[k] = input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
      });
      $.ajax({
        url: deployed ? 'plantwire/opcua/' + encodeURIComponent(node.id) + '/trust' : 'plantwire/opcua/trust',
        type: 'POST',
        contentType: 'application/json',
        data: JSON.stringify(deployed ? {} : { id: node.id, endpoint: settings, credentials: { username: $('#node-config-input-username').val(), password: $('#node-config-input-password').val() } }),
        dataType: 'json',
        success: function (body: { trusted: { subject: string; thumbprint: string } }) {
          RED.notify('OPC UA: trusted "' + body.trusted.subject + '" (SHA-1 ' + body.trusted.thumbprint + ')', { type: 'success', id: 'plantwire-opcua-trust' });
          setTimeout(refresh, 1500);
        },
        error: function (jqXHR: JQuery.jqXHR) {
          const body = jqXHR.responseJSON as { error?: string } | undefined;
          RED.notify('OPC UA: ' + ((body && body.error) || jqXHR.statusText || 'trust failed'), 'error');
        },
      });
    });
  },
});
