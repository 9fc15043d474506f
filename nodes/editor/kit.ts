// What every Plantwire dialog shares. scripts/build.mjs bundles each node's
// editor.ts with esbuild, so a dialog imports these functions; nothing is
// hung on `window`, and a node set that is disabled takes nothing away from
// the others.

/** Text from plantwire-opcua-endpoint's catalogue, which holds the kit's shared words ("test.running", …). */
export function kitText(key: string): string {
  const def = RED.nodes.getType('plantwire-opcua-endpoint') as unknown as { _?: (k: string) => string } | null;
  return def && def._ ? def._('plantwire-opcua-endpoint.' + key) : key;
}

/**
 * The answer of a dialog validator for a bad value: Node-RED 4 passes `opt`
 * when it wants the reason, and shows a returned string beside the red
 * field; without `opt` the answer is `false`. `key` is a message of the
 * node's own catalogue (`<type>.validation.<field>`).
 */
export function invalid(node: unknown, opt: object | undefined, key: string): boolean {
  const n = node as { _?: (key: string) => string };
  return (opt && n && typeof n._ === 'function' ? n._(key) : false) as unknown as boolean;
}

/** A field's current value: from the open dialog when it shows the field, else from the node. */
export function current(node: unknown, key: string): unknown {
  // A config node's dialog may open on top of its user's: each reads its own inputs.
  const isConfig = (node as { _def?: { category?: string } } | null)?._def?.category === 'config';
  const input = $((isConfig ? '#node-config-input-' : '#node-input-') + key);
  if (input.length) return input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
  return (node as Record<string, unknown> | null)?.[key];
}

/**
 * For a node whose config-node fields are still empty (a node just dropped
 * in): chooses the config node when exactly one of the type exists in its
 * scope, instead of Node-RED's "none". Call first thing in oneditprepare.
 */
export function pickConfigs(node: unknown): void {
  const n = node as EditorNodeProperties & { id: string; z?: string };
  const defaults = ((n as unknown as { _def?: { defaults?: Record<string, { type?: string }> } })._def || {}).defaults || {};
  Object.keys(defaults).forEach(function (prop) {
    const type = defaults[prop] && defaults[prop].type;
    if (!type || (n as unknown as Record<string, unknown>)[prop]) return;
    const select = $('#node-input-' + prop);
    if (!select.length || (select.val() && select.val() !== '_ADD_')) return;
    const found: string[] = [];
    RED.nodes.eachConfig(function (conf: object) {
      const cn = conf as { id: string; type: string; z?: string };
      if (cn.type === type && (!cn.z || cn.z === n.z)) found.push(cn.id);
      return true;
    });
    if (found.length === 1) select.val(found[0] as string).trigger('change');
  });
}

/**
 * A "Test connection" button: on click POSTs `body()` to `url` (an admin
 * route answering `{message}` or `{error}`) and shows the answer in `result`
 * as "✔ message" (green) or "✘ error" (red) — the format of every Plantwire
 * connection dialog. Gives up with a message after `timeoutMs` (default 30 s).
 */
export function testButton(button: string, result: string, url: string, body: () => Record<string, unknown>, timeoutMs?: number): void {
  $(button).on('click', function (e) {
    e.preventDefault();
    const out = $(result);
    out.css('color', '').text(kitText('test.running'));
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
        const why = textStatus === 'timeout' ? kitText('test.timeout') : (b && b.error) || jq.statusText || 'failed';
        out.css('color', 'var(--red-ui-text-color-error, #d00)').text('✘ ' + why);
      },
    });
  });
}

/** Values of `#node-config-input-<key>` fields (checkboxes as booleans). */
export function configFields(keys: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  keys.forEach(function (k) {
    const input = $('#node-config-input-' + k);
    out[k] = input.attr('type') === 'checkbox' ? input.is(':checked') : input.val();
  });
  return out;
}

/**
 * The "Test connection" row of a connection config node: fills the button
 * `#pw-test-connection` and wires it to `POST plantwire/test/<type>` with
 * every field and credential of the open dialog.
 */
export function connectionTest(node: unknown): void {
  const n = node as { id: string; type: string };
  const def = RED.nodes.getType(n.type) as unknown as { defaults?: Record<string, unknown>; credentials?: Record<string, unknown> } | null;
  const fields = Object.keys((def && def.defaults) || {}).filter(function (k) {
    return k !== 'name' && k !== 'version';
  });
  const creds = Object.keys((def && def.credentials) || {});
  $('#pw-test-connection').append($('<i/>', { class: 'fa fa-plug' }), ' ', $('<span/>').text(kitText('test.button')));
  testButton('#pw-test-connection', '#pw-test-connection-result', 'plantwire/test/' + n.type, function () {
    return { id: n.id, config: configFields(fields), credentials: configFields(creds) };
  });
}

/**
 * A Node-RED typedInput on `#node-input-<field>` with its type in
 * `#node-input-<field>Type` (msg, flow, global, env or a fixed string), as
 * the change node offers. The runtime reads it per message
 * (src/runtime/typed-input.ts). The hidden type input is made here, after
 * Node-RED filled the dialog's inputs from the node, so it starts at the
 * node's saved type (left empty, the typedInput would open at "str" whatever
 * was saved). Call in oneditprepare with the node (`this`).
 */
export function typedField(node: unknown, field: string, types?: string[]): void {
  const input = $('#node-input-' + field);
  if (!input.length) return;
  if (!$('#node-input-' + field + 'Type').length) {
    const saved = (node as Record<string, unknown> | null)?.[field + 'Type'];
    $('<input/>', { type: 'hidden', id: 'node-input-' + field + 'Type', value: typeof saved === 'string' ? saved : '' }).insertAfter(input);
  }
  input.typedInput({ default: 'str', types: (types || ['str', 'msg', 'flow', 'global', 'env']) as never, typeField: '#node-input-' + field + 'Type' });
}

/** A typed field's source: from the open dialog, else from the node ('str' when unset: flows saved before the field was typed). */
export function typedType(node: unknown, field: string): string {
  const t = current(node, field + 'Type');
  return typeof t === 'string' && t !== '' ? t : 'str';
}

/**
 * The dialog validator of a typed field: from msg/flow/global/env it needs
 * the property or variable name (the value is checked per message); a fixed
 * text must pass `fixedOk` (else the node's `<type>.validation.<field>`).
 */
export function typedValidator(type: string, field: string, fixedOk?: (value: string, node: unknown) => boolean) {
  return function (this: unknown, v: string, opt?: object): boolean {
    if (typedType(this, field) !== 'str') return String(v || '').trim() !== '' || ((opt ? kitText('validation.typedProperty') : false) as unknown as boolean);
    return !fixedOk || fixedOk(String(v == null ? '' : v), this) || invalid(this, opt, type + '.validation.' + field);
  };
}

/**
 * A text of a node's own catalogue (`<type>.<key…>`, with `__name__`
 * parameters) for what the canvas shows: labels, port labels. Label
 * functions run with the node as `this`; its type's catalogue answers when
 * the node has none of its own.
 */
export function nodeText(node: unknown, key: string, params?: Record<string, string | number>): string {
  const own = (node as { _?: (k: string, p?: object) => string } | null)?._;
  const def = RED.nodes.getType(key.split('.')[0] as string) as unknown as { _?: (k: string, p?: object) => string } | null;
  const t = typeof own === 'function' ? own : def && typeof def._ === 'function' ? def._ : null;
  return t ? t(key, params) : key;
}
