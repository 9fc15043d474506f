// Code-editor fields (Node-RED's RED.editor.createEditor: Monaco or Ace, with
// JSONata/JSON highlighting and checks) as the map, validate and erp-out
// dialogs show them. A field `f` is a `<div id="node-input-f-editor"
// class="node-text-editor">` in editor.html plus a hidden `#node-input-f`
// that Node-RED saves; `save()` copies the editors back into the hidden inputs.

export interface CodeField {
  field: string;
  /** 'ace/mode/jsonata', 'ace/mode/json', … (Node-RED maps them to Monaco). */
  mode: string;
  value: string;
}

export interface CodeFields {
  /** The current text of a field's editor. */
  value(field: string): string;
  /** Replaces a field's text. */
  set(field: string, text: string): void;
  /** Calls `fn` (debounced by the caller) whenever any editor changes. */
  onChange(fn: () => void): void;
  /** Lays the editors out again after their container changed size (oneditresize). */
  resize(): void;
  /** Writes every editor into its hidden input (oneditsave). */
  save(): void;
  /**
   * Destroys the editors one event-loop turn later (on Done and Cancel: the
   * node's oneditsave and oneditcancel; on Delete, Node-RED's own clean-up of
   * editors left without a dialog disposes them, editor first, then model —
   * destroying them here too made Monaco compute on a disposed model): the click on Done blurs a
   * focused editor, and Monaco finishes that blur after the click; disposing
   * the model before that makes it throw "Model is disposed!".
   */
  destroy(): void;
}

export function codeFields(fields: CodeField[]): CodeFields {
  const editors: Record<string, AceAjax.Editor> = {};
  fields.forEach(function (f) {
    // Monaco's sticky scroll is off: these fields are a few lines long, and its
    // asynchronous update reads the model after a dialog closed under it (the
    // model is gone by then: "Cannot read properties of null (reading 'uri')"
    // in createStickyModel, seen in the e2e suite on a busy machine).
    const options = { id: 'node-input-' + f.field + '-editor', mode: f.mode, value: f.value || '', stickyScroll: { enabled: false } };
    editors[f.field] = RED.editor.createEditor(options);
  });
  return {
    value: function (field) {
      const ed = editors[field];
      return ed ? ed.getValue() : String($('#node-input-' + field).val() || '');
    },
    set: function (field, text) {
      const ed = editors[field];
      if (ed) ed.setValue(text, -1);
    },
    onChange: function (fn) {
      Object.keys(editors).forEach(function (k) {
        editors[k]!.getSession().on('change', fn);
      });
    },
    resize: function () {
      Object.keys(editors).forEach(function (k) {
        editors[k]!.resize();
      });
    },
    save: function () {
      Object.keys(editors).forEach(function (k) {
        $('#node-input-' + k).val(editors[k]!.getValue());
      });
    },
    destroy: function () {
      const all = Object.keys(editors).map(function (k) {
        const ed = editors[k]!;
        delete editors[k];
        return ed;
      });
      setTimeout(function () {
        all.forEach(function (ed) {
          ed.destroy();
        });
      }, 0);
    },
  };
}

/** Closes a dialog's code editors (oneditcancel): destroys them and forgets them. */
export function dropCodeFields(node: { code?: CodeFields }): void {
  if (node.code) node.code.destroy();
  delete node.code;
}
