/** The `<plantwire-field …>` lines of a dialog template expanded into form rows. */
export function expandRows(html: string, opts: { type: string; config: boolean; labels: Set<string> }): string;
/** nodes/<type>/editor.html with its field rows expanded, as the build ships it. */
export function editorTemplate(type: string): string;
