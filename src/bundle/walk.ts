/** Walks the leaves of a JSON value with their JSON path (`rules[0].to`). */
export type Visit = (value: unknown, path: string, key: string | null, parent: Record<string, unknown> | null) => void | 'skip';

/**
 * Calls `visit` for every value (objects and arrays too, before their
 * children); returning 'skip' from an object's visit skips its children.
 */
export function walkJson(value: unknown, visit: Visit, path = ''): void {
  const walk = (v: unknown, p: string, key: string | null, parent: Record<string, unknown> | null): void => {
    if (visit(v, p, key, parent) === 'skip') return;
    if (Array.isArray(v)) v.forEach((item, i) => walk(item, `${p}[${i}]`, null, null));
    else if (v && typeof v === 'object') for (const [k, child] of Object.entries(v as Record<string, unknown>)) walk(child, joinPath(p, k), k, v as Record<string, unknown>);
  };
  walk(value, path, null, null);
}

export function joinPath(base: string, key: string): string {
  const part = /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key) ? key : `[${JSON.stringify(key)}]`;
  if (!base || part.startsWith('[')) return `${base}${part}`;
  return `${base}.${part}`;
}
