// The OPC UA editor pieces the OPC UA nodes' dialogs share: the tag list and
// the address-space browser (a lazy-loading tree with checkboxes). Imported by
// their editor.ts and bundled by scripts/build.mjs.

/** One row of an OPC UA tag list. */
export interface PlantwireOpcUaTagRow {
  tag?: string;
  nodeId?: string;
  browsePath?: string;
  dataType?: string;
  asset?: string;
}

/** One child of a browsed node, as the admin route answers. */
export interface PlantwireOpcUaBrowseItem {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: string;
  browsePath?: string;
  dataType?: string;
  writable?: boolean;
  hasChildren: boolean;
}

export interface PlantwireOpcUaEditor {
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

export const opcua: PlantwireOpcUaEditor = {
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
      return opcua.readTagList(list).some(function (r) {
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
        opcua.browse(endpointId, b ? b.nodeId : 'i=85', b ? b.browsePath : '/Objects', function (err, items) {
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
            const named = opcua.nameFromPath(b.browsePath, opcua.readTagList(list).map(function (t) {
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
    opcua.tagList(list, rows);
    const panel = $(panelSel);
    // The endpoint the open tree shows: Node-RED also fires 'change' when it refills the select
    // (e.g. after a new endpoint's dialog closes), which must not rebuild a tree being expanded.
    let browsed: string | null = null;
    const chosen = function (): string {
      return String($('#node-input-endpoint').val() || '');
    };
    const browse = function (): void {
      browsed = chosen();
      opcua.browser(panel, '#node-input-endpoint', list);
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
