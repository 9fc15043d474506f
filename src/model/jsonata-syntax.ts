/**
 * The syntax check of a JSONata expression where a JSONata compiler is at
 * hand without a Node-RED runtime: in the editor the global `jsonata` that
 * Node-RED loads into the browser page, in the flow-file check (src/bundle)
 * the `jsonata` package when it is installed. The palette itself adds no
 * JSONata dependency: at deploy a node compiles its expressions with
 * Node-RED's own (`RED.util.prepareJSONataExpression`, src/transforms/map.ts),
 * which reports a syntax error with its position. Pure: bundled into dialogs.
 */

export type JsonataCompile = (expression: string) => unknown;

/** The editor's global `jsonata` (Node-RED ships it in the browser), else null (Node.js). */
export function globalJsonata(): JsonataCompile | null {
  const j = (globalThis as { jsonata?: unknown }).jsonata;
  return typeof j === 'function' ? (j as JsonataCompile) : null;
}

/** The syntax error of `expression` ("… (at 12)"), or null: none, or no compiler at hand. */
export function jsonataSyntaxError(expression: string, compile: JsonataCompile | null = globalJsonata()): string | null {
  if (!compile) return null;
  try {
    compile(expression);
    return null;
  } catch (err) {
    const e = (err ?? {}) as { message?: unknown; position?: unknown };
    return `${typeof e.message === 'string' ? e.message : String(err)}${typeof e.position === 'number' ? ` (at ${e.position})` : ''}`;
  }
}
