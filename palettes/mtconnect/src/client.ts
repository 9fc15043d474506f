/**
 * HTTP client of an MTConnect agent: GET /probe, /current and
 * /sample?from=&count= (optionally under one device, /<device>/current),
 * with a timeout, a limit on the response size (counted as the bytes arrive,
 * the request aborted past it), basic auth when a user is set, and one
 * keep-alive socket pool that `close()` destroys. node:http rather than fetch:
 * the pool belongs to the config node and ends with it.
 */
import http from 'node:http';
import https from 'node:https';
import { DocumentError, MTConnectError, parseProbe, parseStreams, type DeviceModel, type StreamsDocument } from './mtconnect';

export interface AgentOptions {
  /** Base URL, e.g. http://agent.local:5000 (a path prefix is kept). */
  url: string;
  timeoutMs: number;
  /** Largest response accepted, in bytes. */
  maxBytes: number;
  user?: string;
  password?: string;
}

/** Parses and checks the base URL (http or https, no query). */
export function agentUrl(raw: string): URL {
  let u: URL;
  try {
    u = new URL(raw.trim());
  } catch {
    throw new Error(`agent URL "${raw}" is not a URL; e.g. http://127.0.0.1:5000`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`agent URL must start with http:// or https://, got ${u.protocol}`);
  if (u.search || u.hash) throw new Error('agent URL must not have a query or fragment');
  if (!u.pathname.endsWith('/')) u.pathname += '/';
  return u;
}

export class AgentClient {
  private base: URL;
  private readonly agents = { http: new http.Agent({ keepAlive: true, maxSockets: 8 }), https: new https.Agent({ keepAlive: true, maxSockets: 8 }) };
  private closed = false;

  constructor(private readonly opts: AgentOptions) {
    this.base = agentUrl(opts.url);
  }

  get url(): string {
    return this.base.toString();
  }

  /** Points the client at another base URL (the built-in simulator's port once it listens). */
  retarget(url: string): void {
    this.base = agentUrl(url);
  }

  probe(signal?: AbortSignal): Promise<DeviceModel> {
    return this.get('probe', {}, signal).then(parseProbe);
  }

  current(device?: string, signal?: AbortSignal): Promise<StreamsDocument> {
    return this.get(device ? `${encodeURIComponent(device)}/current` : 'current', {}, signal).then(parseStreams);
  }

  sample(from: number, count: number, device?: string, signal?: AbortSignal): Promise<StreamsDocument> {
    return this.get(device ? `${encodeURIComponent(device)}/sample` : 'sample', { from: String(from), count: String(count) }, signal).then(parseStreams);
  }

  /** GET <base><path>?<query>: the body as text, or an error saying what went wrong. */
  get(path: string, query: Record<string, string>, signal?: AbortSignal, retried = false): Promise<string> {
    if (this.closed) return Promise.reject(new Error('agent client closed'));
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    const lib = url.protocol === 'https:' ? https : http;
    const headers: Record<string, string> = { accept: 'application/xml, text/xml' };
    if (this.opts.user) headers.authorization = `Basic ${Buffer.from(`${this.opts.user}:${this.opts.password ?? ''}`).toString('base64')}`;
    return new Promise<string>((resolve, reject) => {
      const req = lib.get(url, { agent: url.protocol === 'https:' ? this.agents.https : this.agents.http, headers, timeout: this.opts.timeoutMs, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > this.opts.maxBytes) {
          res.destroy();
          reject(new Error(`${url.pathname}: the agent's answer (${declared} bytes) exceeds the limit of ${this.opts.maxBytes} bytes; lower "count" or raise the limit`));
          return;
        }
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > this.opts.maxBytes) {
            res.destroy();
            reject(new Error(`${url.pathname}: the agent's answer exceeds the limit of ${this.opts.maxBytes} bytes; lower "count" or raise the limit`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) return resolve(body);
          // Agents answer request errors (OUT_OF_RANGE, NO_DEVICE…) with an MTConnectError document.
          if (/<MTConnectError/.test(body)) {
            try {
              parseStreams(body);
            } catch (err) {
              if (err instanceof MTConnectError) return reject(new MTConnectError(err.code, err.message, status));
              if (!(err instanceof DocumentError)) return reject(err as Error);
            }
          }
          if (status === 401 || status === 403) return reject(new MTConnectError('UNAUTHORIZED', `the agent refused the request (HTTP ${status}): check user and password`, status));
          reject(new Error(`${url.pathname}: HTTP ${status} ${res.statusMessage ?? ''}`.trim()));
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the agent within ${this.opts.timeoutMs} ms`)));
      req.on('error', (err: NodeJS.ErrnoException) => {
        // A kept-alive socket the agent closed meanwhile (it restarted, or its idle timeout ran out):
        // the GET is safe to send again, once, on a fresh socket (as Node's http docs advise).
        if (req.reusedSocket && err.code === 'ECONNRESET' && !retried) return resolve(this.get(path, query, signal, true));
        if (err.name === 'AbortError') reject(err);
        else if (err.code === 'ECONNREFUSED') reject(new Error(`agent ${url.host} refused the connection (not running?)`));
        else if (err.code === 'ENOTFOUND') reject(new Error(`agent host ${url.hostname} not found`));
        else reject(err);
      });
    });
  }

  /** Ends every socket of the pool; later requests fail. */
  close(): void {
    this.closed = true;
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}
