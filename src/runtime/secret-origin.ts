/**
 * When may an admin route (Test connection, Browse) reuse the secrets stored
 * with a deployed config node? Only when the request goes to the same origin —
 * scheme, host and port — as the deployed configuration. Otherwise the
 * request must carry its own secret: a dialog (or anyone with the editor's
 * write permission) must not be able to send a stored password to another
 * address without knowing it.
 *
 * Hand-written because origin comparison must cover non-web schemes
 * (`opc.tcp://`, `mqtt(s)://`, bare `host:port` for SMTP) whose default
 * ports and host case the WHATWG URL parser does not normalise. Anything
 * ambiguous (backslashes, spaces, control characters, unparsable text)
 * compares as a different origin: a false "different" only asks the user to
 * type the secret again, a false "same" would leak it.
 */
import { PlantwireError } from '../model/errors';

/** Node-RED's placeholder for a password field the dialog did not change. */
export const UNCHANGED_SECRET = '__PWRD__';

/** Default ports, so that `https://h` and `https://h:443` are the same origin. */
const DEFAULT_PORTS: Readonly<Record<string, string>> = {
  http: '80',
  https: '443',
  ws: '80',
  wss: '443',
  mqtt: '1883',
  tcp: '1883',
  mqtts: '8883',
  ssl: '8883',
  tls: '8883',
  'opc.tcp': '4840',
  smtp: '25',
  smtps: '465',
  amqp: '5672',
  amqps: '5671',
  redis: '6379',
  rediss: '6379',
  nats: '4222',
  postgres: '5432',
  postgresql: '5432',
  mysql: '3306',
  mariadb: '3306',
  modbus: '502',
};

const SCHEME = /^([a-z][a-z0-9+.-]*):\/\//i;
/** `host`, `host:port`, `[v6]`, `[v6]:port` without a scheme (e.g. an SMTP server setting). */
const BARE = /^(\[[0-9a-f:.]+\]|[a-z0-9_.-]+)(?::(\d{1,5}))?$/i;

/**
 * The normalised origin `scheme://host:port` of an address, or null when it
 * cannot be read without doubt. Bare `host[:port]` forms get the scheme ''
 * (they only match other bare forms). Host names are lower-cased and lose a
 * trailing dot; a default port is filled in for known schemes.
 */
export function originOf(address: string): string | null {
  if (typeof address !== 'string') return null;
  const text = address.trim();
  if (text === '' || text.length > 2048 || /[\\\s\u0000-\u001f\u007f]/.test(text)) return null;
  const scheme = SCHEME.exec(text)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    const m = BARE.exec(text);
    if (!m) return null;
    const host = normHost(m[1]!);
    const port = m[2] === undefined ? '' : normPort(m[2]);
    return host === null || port === null ? null : `//${host}${port === '' ? '' : `:${port}`}`;
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return null;
  }
  const host = normHost(url.hostname);
  if (host === null || host === '') return null;
  const port = url.port === '' ? DEFAULT_PORTS[scheme] ?? '' : normPort(url.port);
  if (port === null) return null;
  return `${scheme}://${host}${port === '' ? '' : `:${port}`}`;
}

function normHost(host: string): string | null {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  return /^(\[[0-9a-f:.]+\]|[a-z0-9_.%-]+)$/.test(h) ? h : null;
}

function normPort(port: string): string | null {
  const n = Number(port);
  return Number.isInteger(n) && n > 0 && n <= 65535 ? String(n) : null;
}

/** True when both addresses have the same scheme, host and port (default ports normalised); false when either is unreadable. */
export function sameOrigin(a: string, b: string): boolean {
  const oa = originOf(a);
  return oa !== null && oa === originOf(b);
}

export interface SecretReuse<K extends string> {
  /** The address of the deployed configuration (undefined: nothing deployed). */
  deployedUrl: string | undefined;
  /** The address the route is about to contact. */
  requestedUrl: string;
  /** The deployed node's credentials. */
  stored: Partial<Record<K, unknown>> | undefined;
  /** The credentials the request carries (the dialog's fields). */
  sent: Partial<Record<string, unknown>> | undefined;
  /** The secret fields to resolve. */
  keys: readonly K[];
  /** What the user calls the thing, for the error text, e.g. "ERP connection". */
  what?: string;
}

/**
 * The credentials a route may use: a value the request carries wins; a field
 * left unchanged (`__PWRD__`) or absent takes the stored value only when the
 * requested address has the deployed origin. Sending `__PWRD__` for another
 * origin is refused with a PlantwireError that says to enter the secret again;
 * an absent field for another origin is simply left out.
 */
export function reuseSecrets<K extends string>(r: SecretReuse<K>): Partial<Record<K, string>> {
  const reuse = r.deployedUrl !== undefined && sameOrigin(r.deployedUrl, r.requestedUrl);
  const out: Partial<Record<K, string>> = {};
  const refused: string[] = [];
  for (const k of r.keys) {
    const v = r.sent?.[k];
    if (typeof v === 'string' && v !== UNCHANGED_SECRET) {
      out[k] = v;
      continue;
    }
    if (v !== UNCHANGED_SECRET && v !== undefined) continue;
    const stored = r.stored?.[k];
    if (typeof stored !== 'string' || stored === '') continue;
    if (reuse) out[k] = stored;
    else if (v === UNCHANGED_SECRET) refused.push(k);
  }
  if (refused.length > 0) {
    const where = r.deployedUrl === undefined ? 'a deployed configuration' : `its deployed address ${originOf(r.deployedUrl) ?? 'as deployed'}`;
    throw new PlantwireError(
      'secret-origin',
      `the stored ${refused.join(', ')} of this ${r.what ?? 'configuration'} is only reused for ${where}; enter ${refused.length > 1 ? 'them' : 'it'} again to test another address`,
      'enter the secret again',
    );
  }
  return out;
}
