/**
 * Safe object building from input (issue 16): keys such as `__proto__`,
 * `constructor` and `prototype` stay plain data. `obj[key] = v` with the key
 * `__proto__` would replace the object's prototype (the value's fields then
 * appear on the object without being in its JSON); a lookup table read with
 * `TABLE[key]` returns Object.prototype members for `constructor` & co.
 *
 * Hand-written: three small functions; a library would be a dependency for
 * what `Object.defineProperty` and `Object.hasOwn` already do.
 */

/** Keys that mean something to JavaScript objects beyond being data. */
export const SPECIAL_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

/** `obj[key] = value`, except that `__proto__` becomes an own data property instead of the prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** `table[key]` for own entries only: `constructor`, `toString` … of Object.prototype are not entries. */
export function ownValue<T>(table: Readonly<Record<string, T>>, key: string): T | undefined {
  return Object.prototype.hasOwnProperty.call(table, key) ? table[key] : undefined;
}

/**
 * A deep copy of plain data (arrays, plain objects) with every own enumerable
 * key kept as data, `__proto__` included, and nothing inherited: an object
 * whose prototype was replaced (e.g. by JSONata's `$merge` of input with a
 * `__proto__` key) comes back as a plain object with its own fields only.
 * Other values (Buffer, Date, class instances, primitives) are returned as they
 * are; shared or circular references are copied once.
 */
export function safeCopy<T>(value: T): T {
  const seen = new Map<object, unknown>();
  const copy = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const known = seen.get(v);
    if (known !== undefined) return known;
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      seen.set(v, out);
      for (const e of v) out.push(copy(e));
      return out;
    }
    const proto = Object.getPrototypeOf(v) as object | null;
    // Plain objects, and objects whose prototype is itself a plain object (a swapped prototype).
    const plain = proto === null || proto === Object.prototype || Object.getPrototypeOf(proto) === Object.prototype || Object.getPrototypeOf(proto) === null;
    if (!plain || Buffer.isBuffer(v) || v instanceof Date || ArrayBuffer.isView(v)) return v;
    const out: Record<string, unknown> = {};
    seen.set(v, out);
    for (const k of Object.keys(v)) setOwn(out, k, copy((v as Record<string, unknown>)[k]));
    return out;
  };
  return copy(value) as T;
}
