// Editor definition of plantwire-opcua-endpoint (config node), plus the
// OPC UA editor helpers the other OPC UA nodes' dialogs use: the tag list and
// the address-space browser (a lazy-loading tree with checkboxes). They are
// published as window.PlantwireOpcUa because every node's editor script is a
// separate script; Node-RED loads all of them before any dialog opens.

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

/** One row of an OPC UA tag list. */
interface PlantwireOpcUaTagRow {
  tag?: string;
  nodeId?: string;
  browsePath?: string;
  dataType?: string;
  asset?: string;
}

/** One child of a browsed node, as the admin route answers. */
interface PlantwireOpcUaBrowseItem {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  browsePath?: string;
  dataType?: string;
  writable?: boolean;
  hasChildren: boolean;
}

interface PlantwireOpcUaEditor {
  /** Fills an editableList with tag rows (tag name, NodeId, browse path, data type). */
  tagList(list: JQuery, rows: PlantwireOpcUaTagRow[], height?: number): void;
  /** Reads the rows back, dropping empty ones. */
  readTagList(list: JQuery): PlantwireOpcUaTagRow[];
  /**
   * A lazy-loading browse tree of the endpoint chosen in `endpointSelect`.
   * Ticking a variable adds it to `list`, unticking removes it; with
   * `pick` (method node) clicking a method calls it instead.
   */
  browser(container: JQuery, endpointSelect: string, list: JQuery | null, pick?: (item: PlantwireOpcUaBrowseItem, parent: PlantwireOpcUaBrowseItem | null) => void): void;
  /**
   * The tag list plus its browse panel, as the in, read and write dialogs show them:
   * fills `#node-input-tag-list` and toggles the tree in `panel` with `button`.
   */
  tagPicker(rows: PlantwireOpcUaTagRow[], panel: string, button: string): void;
  /**
   * A short tag name and the asset path for a browsed variable: `/Objects/2:Plant/Line1/Filler/Speed`
   * gives tag `Speed` and asset `Plant/Line1/Filler` (the folders above it, ISA-95 levels, editable in
   * the list). A name already in `taken` gets its parent folders in front until it is unique.
   */
  nameFromPath(browsePath: string, taken: string[]): { tag: string; asset: string };
  /** Calls the browse admin route for a node id of an endpoint config node (deployed or not). */
  browse(endpointId: string, node: string, path: string | undefined, done: (err: string | null, items?: PlantwireOpcUaBrowseItem[]) => void): void;
}

interface PlantwireTreeItem {
  label: string;
  sublabel?: string;
  icon?: string;
  checkbox?: boolean;
  selected?: boolean;
  children?: PlantwireTreeItem[] | ((done: (items: PlantwireTreeItem[]) => void, item: PlantwireTreeItem) => void);
  opcua?: PlantwireOpcUaBrowseItem;
  parent?: PlantwireTreeItem;
  treeList?: { label: JQuery };
}

/** What every Plantwire dialog shares, published as window.PlantwireEditor (see below). */
interface PlantwireEditorKit {
  /**
   * For a node whose config-node fields are still empty (a node just dropped
   * in): chooses the config node when exactly one of the type exists in its
   * scope, instead of Node-RED's "none". Call first thing in oneditprepare.
   */
  pickConfigs(node: EditorNodeProperties & { id: string; z?: string }): void;
  /**
   * A "Test connection" button: on click POSTs `body()` to `url` (an admin
   * route answering `{message}` or `{error}`) and shows the answer in `result`
   * as "✔ message" (green) or "✘ error" (red) — the format of every Plantwire
   * connection dialog. Gives up with a message after `timeoutMs` (default 30 s).
   */
  testButton(button: string, result: string, url: string, body: () => Record<string, unknown>, timeoutMs?: number): void;
  /** Values of `#node-config-input-<key>` fields (checkboxes as booleans). */
  configFields(keys: string[]): Record<string, unknown>;
  /**
   * The "Test connection" row of a connection config node: fills the button
   * `#pw-test-connection` and wires it to `POST plantwire/test/<type>` with
   * every field and credential of the open dialog.
   */
  connectionTest(node: { id: string; type: string }): void;
}

// window.PlantwireEditor: published here like PlantwireOpcUa, because every
// node's editor script is a separate script and Node-RED loads all of them
// before any dialog opens. Callers check it exists (the set may be disabled).
(function () {
  const w = window as unknown as { PlantwireEditor?: PlantwireEditorKit };
  if (w.PlantwireEditor) return;
  const text = function (key: string): string {
    const def = RED.nodes.getType('plantwire-opcua-endpoint') as unknown as { _?: (k: string) => string } | null;
    return def && def._ ? def._('plantwire-opcua-endpoint.' + key) : key;
  };
  w.PlantwireEditor = {
    pickConfigs: function (node) {
      const defaults = ((node as unknown as { _def?: { defaults?: Record<string, { type?: string }> } })._def || {}).defaults || {};
      Object.keys(defaults).forEach(function (prop) {
        const type = defaults[prop] && defaults[prop].type;
        if (!type || (node as unknown as Record<string, unknown>)[prop]) return;
        const select = $('#node-input-' + prop);
        if (!select.length || (select.val() && select.val() !== '_ADD_')) return;
        const found: string[] = [];
        RED.nodes.eachConfig(function (conf: object) {
          const cn = conf as { id: string; type: string; z?: string };
          if (cn.type === type && (!cn.z || cn.z === node.z)) found.push(cn.id);
          return true;
        });
        if (found.length === 1) select.val(found[0] as string).trigger('change');
      });
    },
    testButton: function (button, result, url, body, timeoutMs) {
      $(button).on('click', function (e) {
        e.preventDefault();
        const out = $(result);
        out.css('color', '').text(text('test.running'));
        $.ajax({
          url: url,
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify(body()),
          dataType: 'json',
          timeout: timeoutMs || 30_000,
          success: function (r: { message?: string; text?: string }) {
            out.css('color', 'var(--red-ui-text-color-success, #3a3)').text('✔ ' + (r.message || r.text || 'ok'));
          },
          error: function (jq: JQuery.jqXHR, textStatus: string) {
            const b = jq.responseJSON as { error?: string } | undefined;
            const why = textStatus === 'timeout' ? text('test.timeout') : (b && b.error) || jq.statusText || 'failed';
            out.css('color', 'var(--red-ui-text-color-error, #d00)').text('✘ ' + why);
          },
        });
      });
    },
    connectionTest: function (node) {
      const kit = this;
      const def = RED.nodes.getType(node.type) as unknown as { defaults?: Record<string, unknown>; credentials?: Record<string, unknown> } | null;
      const fields = Object.keys((def && def.defaults) || {}).filter(function (k) {
        return k !== 'name' && k !== 'version';
      });
      const creds = Object.keys((def && def.credentials) || {});
      $('#pw-test-connection').append($('<i/>', { class: 'fa fa-plug' }), ' ', $('<span/>').text(text('test.button')));
      kit.testButton('#pw-test-connection', '#pw-test-connection-result', 'plantwire/test/' + node.type, function () {
        return { id: node.id, config: kit.configFields(fields), credentials: kit.configFields(creds) };
      });
    },
    configFields: function (keys) {
      const out: Record<string, unknown> = {};
      keys.forEach(function (k) {
        const input = $('#node-config-input-' + k);
        out[k] = input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
      });
      return out;
    },
  };
})();

(function () {
  const w = window as unknown as { PlantwireOpcUa?: PlantwireOpcUaEditor };
  if (w.PlantwireOpcUa) return;

  // A browse request waits at most this long (the runtime's own OPC UA timeouts are shorter).
  const BROWSE_TIMEOUT_MS = 45_000;
  const kitText = function (key: string): string {
    const def = RED.nodes.getType('plantwire-opcua-endpoint') as unknown as { _?: (k: string) => string } | null;
    return def && def._ ? def._('plantwire-opcua-endpoint.' + key) : key;
  };
  const errorText = function (jqXHR: JQuery.jqXHR, textStatus?: string): string {
    if (textStatus === 'timeout') return kitText('browse.timeout');
    const body = jqXHR.responseJSON as { error?: string } | undefined;
    return (body && body.error) || jqXHR.statusText || 'request failed';
  };

  const endpointBody = function (id: string): { endpoint: Record<string, unknown>; credentials: Record<string, unknown> } | null {
    const n = RED.nodes.node(id) as (Record<string, unknown> & { credentials?: Record<string, unknown> }) | null;
    if (!n) return null;
    const keys = ['url', 'securityMode', 'securityPolicy', 'allowDeprecated', 'auth', 'userCertificate', 'userPrivateKey', 'maxMessageSizeMB', 'requestTimeoutMs'];
    const endpoint: Record<string, unknown> = {};
    keys.forEach(function (k) {
      endpoint[k] = n[k];
    });
    const creds = n.credentials || {};
    // The id lets the runtime reuse the deployed password, for the deployed URL's origin only.
    return { id: id, endpoint: endpoint, credentials: { username: creds.username, password: creds.password } } as { endpoint: Record<string, unknown>; credentials: Record<string, unknown> };
  };

  const api: PlantwireOpcUaEditor = {
    tagList: function (list, rows, height) {
      list.editableList({
        addItem: function (row: JQuery, _index: number, data: PlantwireOpcUaTagRow) {
          const r = $('<div/>', { style: 'display:flex;gap:4px;align-items:center' }).appendTo(row);
          $('<input/>', { type: 'text', class: 'pw-tag-name', placeholder: kitText('placeholder.tagName'), style: 'flex:2' }).val(data.tag || '').appendTo(r);
          $('<input/>', { type: 'text', class: 'pw-tag-nodeid', placeholder: 'ns=2;s=Line1/Speed', style: 'flex:3' }).val(data.nodeId || '').appendTo(r);
          $('<input/>', { type: 'text', class: 'pw-tag-path', placeholder: '/Objects/Plant/Line1/Speed', style: 'flex:3' }).val(data.browsePath || '').appendTo(r);
          $('<input/>', { type: 'text', class: 'pw-tag-asset', placeholder: kitText('placeholder.asset'), title: kitText('placeholder.assetTitle'), style: 'flex:3' }).val(data.asset || '').appendTo(r);
          $('<span/>', { class: 'pw-tag-type', style: 'flex:1;font-size:0.85em;color:#888;overflow:hidden' }).text(data.dataType || '').appendTo(r);
        },
        removable: true,
        sortable: true,
        height: height || 200,
      });
      rows.forEach(function (row) {
        list.editableList('addItem', row);
      });
    },
    readTagList: function (list) {
      const rows: PlantwireOpcUaTagRow[] = [];
      list.editableList('items').each(function (this: HTMLElement) {
        const r = $(this);
        const row: PlantwireOpcUaTagRow = {};
        const tag = String(r.find('.pw-tag-name').val() || '').trim();
        const nodeId = String(r.find('.pw-tag-nodeid').val() || '').trim();
        const browsePath = String(r.find('.pw-tag-path').val() || '').trim();
        const dataType = r.find('.pw-tag-type').text().trim();
        const asset = String(r.find('.pw-tag-asset').val() || '').trim();
        if (!nodeId && !browsePath) return;
        if (asset) row.asset = asset;
        if (tag) row.tag = tag;
        if (nodeId) row.nodeId = nodeId;
        if (browsePath) row.browsePath = browsePath;
        if (dataType) row.dataType = dataType;
        rows.push(row);
      });
      return rows;
    },
    nameFromPath: function (browsePath, taken) {
      const parts = browsePath
        .split('/')
        .filter(function (p) {
          return p !== '';
        })
        .map(function (p) {
          return p.replace(/^\d+:/, '');
        });
      if (parts[0] === 'Objects' && parts.length > 1) parts.shift();
      const leaf = parts.length - 1;
      let from = leaf;
      while (from > 0 && taken.indexOf(parts.slice(from).join('/')) >= 0) from -= 1;
      return { tag: parts.slice(from).join('/'), asset: parts.slice(0, leaf).join('/') };
    },
    browse: function (endpointId, node, path, done) {
      const n = endpointId && endpointId !== '_ADD_' ? (RED.nodes.node(endpointId) as { changed?: boolean } | null) : null;
      if (!n) {
        done(kitText('browse.noEndpoint'));
        return;
      }
      const query = path ? { node: node, path: path } : { node: node };
      const viaSettings = function () {
        $.ajax({
          url: 'plantwire/opcua/browse',
          type: 'POST',
          contentType: 'application/json',
          data: JSON.stringify($.extend(endpointBody(endpointId), query)),
          dataType: 'json',
          timeout: BROWSE_TIMEOUT_MS,
          success: function (body: { items: PlantwireOpcUaBrowseItem[] }) {
            done(null, body.items);
          },
          error: function (jqXHR: JQuery.jqXHR, textStatus: string) {
            done(errorText(jqXHR, textStatus));
          },
        });
      };
      // A deployed, unchanged endpoint is browsed through its own connection (read permission);
      // a new or edited one with the dialog's settings.
      if (n.changed) {
        viaSettings();
        return;
      }
      $.ajax({
        url: 'plantwire/opcua/' + encodeURIComponent(endpointId) + '/browse',
        type: 'GET',
        data: query,
        dataType: 'json',
        timeout: BROWSE_TIMEOUT_MS,
        success: function (body: { items: PlantwireOpcUaBrowseItem[] }) {
          done(null, body.items);
        },
        error: function (jqXHR: JQuery.jqXHR, textStatus: string) {
          if (jqXHR.status === 404) viaSettings();
          else done(errorText(jqXHR, textStatus));
        },
      });
    },
    browser: function (container, endpointSelect, list, pick) {
      container.empty();
      // The message is set before the tree asks for its first level: an answer that comes at once
      // (no endpoint chosen) must not be overwritten by "Loading…".
      const message = $('<div/>', { class: 'pw-opcua-browse-message', style: 'padding:4px;color:#888' }).text(kitText('browse.loading')).appendTo(container);
      const treeHost = $('<div/>', { style: 'height:260px;overflow:auto;border:1px solid #ddd;border-radius:4px' }).appendTo(container);
      const inList = function (nodeId: string): boolean {
        if (!list) return false;
        return api.readTagList(list).some(function (r) {
          return r.nodeId === nodeId;
        });
      };
      const toItem = function (b: PlantwireOpcUaBrowseItem): PlantwireTreeItem {
        const icon = b.nodeClass === 'Variable' ? 'fa fa-tag' : b.nodeClass === 'Method' ? 'fa fa-cog' : 'fa fa-folder-o';
        const item: PlantwireTreeItem = { label: b.displayName, sublabel: b.dataType ? b.dataType + (b.writable ? ' (rw)' : '') : b.nodeId, icon: icon, opcua: b };
        if (b.nodeClass === 'Variable' && list) {
          item.checkbox = true;
          item.selected = inList(b.nodeId);
        }
        if (b.hasChildren) item.children = loader(b);
        return item;
      };
      const loader = function (b: PlantwireOpcUaBrowseItem | null) {
        return function (done: (items: PlantwireTreeItem[]) => void) {
          const endpointId = String($(endpointSelect).val() || '');
          api.browse(endpointId, b ? b.nodeId : 'i=85', b ? b.browsePath : '/Objects', function (err, items) {
            if (err) {
              message.text(err);
              done([]);
              return;
            }
            message.text(kitText(list ? 'browse.tick' : 'browse.pickMethod'));
            done((items || []).map(toItem));
          });
        };
      };
      const tree = treeHost as unknown as { treeList(opts: Record<string, unknown>): JQuery };
      const el = tree.treeList({ data: [{ label: 'Objects', icon: 'fa fa-sitemap', children: loader(null), expanded: true }], multi: true, autoSelect: false });
      el.on('treelistselect', function (_e: unknown, item: PlantwireTreeItem) {
        const b = item && item.opcua;
        if (!b) return;
        if (pick) {
          if (b.nodeClass === 'Method') pick(b, (item.parent && item.parent.opcua) || null);
          return;
        }
        if (!list || b.nodeClass !== 'Variable') return;
        if (item.selected) {
          if (!inList(b.nodeId)) {
            const row: PlantwireOpcUaTagRow = { nodeId: b.nodeId };
            if (b.browsePath) {
              row.browsePath = b.browsePath;
              const named = api.nameFromPath(b.browsePath, api.readTagList(list).map(function (t) {
                return t.tag || '';
              }));
              row.tag = named.tag;
              if (named.asset) row.asset = named.asset;
            }
            if (b.dataType) row.dataType = b.dataType;
            list.editableList('addItem', row);
          }
        } else {
          list.editableList('items').each(function (this: HTMLElement) {
            if (String($(this).find('.pw-tag-nodeid').val()) === b.nodeId) list.editableList('removeItem', $(this).data('data'));
          });
        }
      });
    },
    tagPicker: function (rows, panelSel, buttonSel) {
      const list = $('#node-input-tag-list');
      api.tagList(list, rows);
      const panel = $(panelSel);
      // The endpoint the open tree shows: Node-RED also fires 'change' when it refills the select
      // (e.g. after a new endpoint's dialog closes), which must not rebuild a tree being expanded.
      let browsed: string | null = null;
      const chosen = function (): string {
        return String($('#node-input-endpoint').val() || '');
      };
      const browse = function (): void {
        browsed = chosen();
        api.browser(panel, '#node-input-endpoint', list);
      };
      $(buttonSel).on('click', function (e) {
        e.preventDefault();
        if (panel.is(':visible')) {
          panel.hide();
          return;
        }
        panel.show();
        browse();
      });
      // Another endpoint chosen while the tree is open: browse that one (no second click).
      $('#node-input-endpoint').on('change', function () {
        if (panel.is(':visible') && chosen() !== browsed) browse();
      });
    },
  };
  w.PlantwireOpcUa = api;
})();

RED.nodes.registerType<OpcUaEndpointEditorProps, OpcUaEndpointCreds>('plantwire-opcua-endpoint', {
  category: 'config',
  color: '#87A9C4',
  defaults: {
    name: { value: '' },
    version: { value: 2 },
    url: {
      value: 'opc.tcp://127.0.0.1:4840',
      required: true,
      validate: function (v: string, opt?: object) {
        // ${ENV_VAR}: Node-RED puts the environment variable's value in at deploy.
        const text = String(v || '').trim();
        return (/^opc\.tcp:\/\/[^\s/:]+(:\d{1,5})?(\/\S*)?$/.test(text) || /^\$\{\w+\}$/.test(text)) || ((opt ? (this as unknown as { _(key: string): string })._('plantwire-opcua-endpoint.validation.url') : false) as unknown as boolean);
      },
    },
    // Secure by default: a new endpoint signs and encrypts (trust the server's certificate below); flows saved as version 1 keep their mode.
    securityMode: { value: 'SignAndEncrypt', required: true },
    securityPolicy: { value: 'Basic256Sha256' },
    allowDeprecated: { value: false },
    auth: { value: 'anonymous', required: true },
    userCertificate: { value: '' },
    userPrivateKey: { value: '' },
    maxMessageSizeMB: { value: 16, validate: RED.validators.number() },
    reconnectInitialMs: { value: 500, validate: RED.validators.number() },
    reconnectMaxMs: { value: 5000, validate: RED.validators.number() },
    requestTimeoutMs: { value: 10000, validate: RED.validators.number() },
    sessionTimeoutMs: { value: 60000, validate: RED.validators.number() },
    maxItemsPerCall: { value: 200, validate: RED.validators.number() },
  },
  credentials: {
    username: { type: 'text' },
    password: { type: 'password' },
  },
  icon: 'plantwire-opcua-endpoint.svg',
  paletteLabel: 'opc ua endpoint',
  label: function (this: OpcUaEndpointEditorProps) {
    if (this.name) return this.name;
    return this.url + (this.securityMode && this.securityMode !== 'None' ? ' (' + this.securityMode + ')' : '');
  },
  oneditprepare: function (this: OpcUaEndpointEditorProps & { id: string; changed?: boolean }) {
    (window as unknown as { PlantwireEditor?: PlantwireEditorKit }).PlantwireEditor?.connectionTest(this as unknown as { id: string; type: string });
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
