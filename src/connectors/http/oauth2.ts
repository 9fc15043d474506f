/**
 * OAuth2 client-credentials tokens (RFC 6749 §4.4) for IT connectors: one
 * token per config node, fetched on first use, cached, and refreshed before it
 * expires (at 80 % of its lifetime, at least 30 s early, not before half of it). Concurrent callers
 * share one token request. `invalidate()` after a 401 forces a new token.
 */
import { PlantwireError } from '../../model/errors';
import { HttpClient, HttpError, bodyExcerpt } from './client';

export interface ClientCredentialsOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  scope?: string;
  /** Some providers (Auth0, some SAP BTP setups) want an audience or resource parameter. */
  audience?: string;
  resource?: string;
  /** client_secret_basic (default, Authorization header) or client_secret_post (form fields). */
  auth?: 'basic' | 'post';
  now?: () => number;
}

export interface AccessToken {
  accessToken: string;
  tokenType: string;
  /** Epoch ms when the token expires (Infinity when the server gave no expires_in). */
  expiresAt: number;
}

export class ClientCredentialsToken {
  private token: AccessToken | null = null;
  private refreshAt = 0;
  private pending: Promise<AccessToken> | null = null;
  /** Number of token requests made (for status and tests). */
  fetches = 0;
  private readonly now: () => number;

  constructor(private readonly http: HttpClient, private readonly opts: ClientCredentialsOptions) {
    this.now = opts.now ?? Date.now;
  }

  /** A valid access token, fetching or refreshing it when needed. */
  async get(): Promise<AccessToken> {
    if (this.token && this.now() < this.refreshAt) return this.token;
    if (!this.pending) {
      this.pending = this.fetch().finally(() => {
        this.pending = null;
      });
    }
    return this.pending;
  }

  /** `Authorization` header value ("Bearer …"). */
  async header(): Promise<string> {
    const t = await this.get();
    return `${/^bearer$/i.test(t.tokenType) ? 'Bearer' : t.tokenType} ${t.accessToken}`;
  }

  /** Forget the cached token (the server answered 401 with it). */
  invalidate(): void {
    this.token = null;
    this.refreshAt = 0;
  }

  private async fetch(): Promise<AccessToken> {
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.opts.scope) form.set('scope', this.opts.scope);
    if (this.opts.audience) form.set('audience', this.opts.audience);
    if (this.opts.resource) form.set('resource', this.opts.resource);
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    if (this.opts.auth === 'post') {
      form.set('client_id', this.opts.clientId);
      form.set('client_secret', this.opts.clientSecret);
    } else {
      const enc = (s: string): string => encodeURIComponent(s).replace(/%20/g, '+');
      headers.authorization = `Basic ${Buffer.from(`${enc(this.opts.clientId)}:${enc(this.opts.clientSecret)}`).toString('base64')}`;
    }
    this.fetches += 1;
    const started = this.now();
    let res;
    try {
      res = await this.http.request({ method: 'POST', url: this.opts.tokenUrl, headers, body: form.toString(), throwOnError: false });
    } catch (err) {
      if (err instanceof HttpError) throw new HttpError(`OAuth2 token request failed: ${err.message}`, null, true, undefined, undefined, 'token endpoint unreachable');
      throw err;
    }
    if (res.status < 200 || res.status >= 300) {
      let detail = bodyExcerpt(res.body);
      try {
        const j = res.json<{ error?: string; error_description?: string }>();
        if (j.error) detail = j.error_description ? `${j.error}: ${j.error_description}` : j.error;
      } catch {
        /* not JSON: keep the text */
      }
      const transient = res.status >= 500 || res.status === 429;
      throw new HttpError(`OAuth2 token request refused (${res.status}): ${detail}`, res.status, transient, res, undefined, `token: ${detail}`);
    }
    const j = res.json<{ access_token?: unknown; token_type?: unknown; expires_in?: unknown }>();
    if (typeof j.access_token !== 'string' || j.access_token === '') {
      throw new PlantwireError('oauth2', `OAuth2 token endpoint ${this.opts.tokenUrl} answered without access_token`, 'token: no access_token');
    }
    const lifetimeMs = Number(j.expires_in) > 0 ? Number(j.expires_in) * 1000 : Infinity;
    const token: AccessToken = { accessToken: j.access_token, tokenType: typeof j.token_type === 'string' ? j.token_type : 'Bearer', expiresAt: started + lifetimeMs };
    this.token = token;
    // at 80 % of the lifetime or 30 s before expiry, whichever is earlier, but never before half of it:
    // a token living less than a minute is still reused for its first half instead of being fetched per call.
    this.refreshAt = lifetimeMs === Infinity ? Infinity : started + Math.max(lifetimeMs * 0.5, Math.min(lifetimeMs * 0.8, lifetimeMs - 30_000));
    return token;
  }
}
