import { PlantwireError } from '../../model/errors';

/** `host` or `host:port` (no scheme, no path), as typed into an endpoint field. */
export function parseHostPort(value: string, defaultPort: number, field: string, example: string): { host: string; port: number } {
  let v = value.trim();
  if (v === '') throw new PlantwireError('bad-config', `${field} is empty: e.g. ${example}`, `${field} is empty`);
  // Tolerate a pasted URL: keep host and port.
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(v);
  if (scheme) v = v.slice(scheme[0].length);
  v = v.replace(/\/.*$/, '');
  const m = /^(\[[0-9a-f:]+\]|[^:\s/]+)(?::(\d{1,5}))?$/i.exec(v);
  if (!m) throw new PlantwireError('bad-config', `${field} "${value}" is not a host name (optionally with :port): e.g. ${example}`, `${field}: not a host name`);
  const port = m[2] === undefined ? defaultPort : Number(m[2]);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new PlantwireError('bad-config', `${field}: port ${m[2]} is out of range (1–65535)`, `${field}: bad port`);
  return { host: m[1]!, port };
}
