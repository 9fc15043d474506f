/**
 * A small cookie jar for IT connectors that need a server session across
 * requests (SAP Gateway ties the CSRF token to the SAP_SESSIONID cookie).
 * Keeps name=value per origin-less jar (one jar per connection, one server),
 * honours Path, Max-Age and Expires, drops cookies on `Max-Age=0` or a past
 * date. Domain is not checked: a jar belongs to one connection config node,
 * which talks to one host.
 */
export interface StoredCookie {
  name: string;
  value: string;
  path: string;
  /** Epoch ms; Infinity for session cookies. */
  expiresAt: number;
}

export class CookieJar {
  private readonly cookies = new Map<string, StoredCookie>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes the Set-Cookie header(s) of a response. */
  store(setCookie: string | string[] | undefined): void {
    if (!setCookie) return;
    for (const line of Array.isArray(setCookie) ? setCookie : [setCookie]) this.storeOne(line);
  }

  private storeOne(line: string): void {
    const [pair, ...attrs] = line.split(';');
    if (!pair) return;
    const eq = pair.indexOf('=');
    if (eq <= 0) return;
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    let path = '/';
    let expiresAt = Infinity;
    for (const a of attrs) {
      const i = a.indexOf('=');
      const key = (i < 0 ? a : a.slice(0, i)).trim().toLowerCase();
      const v = i < 0 ? '' : a.slice(i + 1).trim();
      if (key === 'path' && v.startsWith('/')) path = v;
      else if (key === 'max-age' && /^-?\d+$/.test(v)) expiresAt = this.now() + Number(v) * 1000;
      else if (key === 'expires' && expiresAt === Infinity) {
        const t = Date.parse(v);
        if (!Number.isNaN(t)) expiresAt = t;
      }
    }
    const id = `${name}\u0000${path}`;
    if (expiresAt <= this.now()) this.cookies.delete(id);
    else this.cookies.set(id, { name, value, path, expiresAt });
  }

  /** The Cookie header value for a request path ('' when there is none). */
  header(urlOrPath: string | URL = '/'): string {
    const p = typeof urlOrPath === 'string' ? (urlOrPath.startsWith('/') ? urlOrPath : new URL(urlOrPath).pathname) : urlOrPath.pathname;
    const now = this.now();
    const out: string[] = [];
    const matching = [...this.cookies.values()].filter((c) => pathMatches(p, c.path)).sort((a, b) => b.path.length - a.path.length);
    for (const c of matching) {
      if (c.expiresAt <= now) continue;
      out.push(`${c.name}=${c.value}`);
    }
    return out.join('; ');
  }

  get size(): number {
    return this.cookies.size;
  }

  clear(): void {
    this.cookies.clear();
  }
}

function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath[cookiePath.length] === '/';
}
