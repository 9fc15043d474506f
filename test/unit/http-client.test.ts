import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsToken, HttpClient, HttpError, isTransientStatus, parseRetryAfter } from '../../src/connectors/http';

type Handler = (req: http.IncomingMessage, body: string, res: http.ServerResponse) => void;
let handler: Handler = (_req, _body, res) => res.end('ok');
let server: http.Server;
let base = '';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handler(req, Buffer.concat(chunks).toString('utf8'), res));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HttpClient', () => {
  const client = new HttpClient({ timeoutMs: 2000, headers: { 'user-agent': 'plantwire-test' } });
  afterAll(() => client.close());

  it('sends JSON with default headers and parses the JSON answer', async () => {
    let seen: { ct?: string; ua?: string; body?: string } = {};
    handler = (req, body, res) => {
      seen = { ct: req.headers['content-type'], ua: req.headers['user-agent'], body };
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ id: 7 }));
    };
    const res = await client.request({ method: 'POST', url: `${base}/x`, json: { a: 'ü' } });
    expect(res.status).toBe(200);
    expect(res.json()).toEqual({ id: 7 });
    expect(seen).toEqual({ ct: 'application/json', ua: 'plantwire-test', body: '{"a":"ü"}' });
  });

  it('classifies 4xx as permanent and 429/5xx as transient with Retry-After', async () => {
    handler = (_req, _b, res) => {
      res.statusCode = 400;
      res.end('{"error":"unknown order"}');
    };
    const e400 = await client.request({ url: `${base}/bad` }).catch((e: unknown) => e);
    expect(e400).toBeInstanceOf(HttpError);
    expect((e400 as HttpError).transient).toBe(false);
    expect((e400 as HttpError).message).toContain('400 Bad Request: {"error":"unknown order"}');
    handler = (_req, _b, res) => {
      res.statusCode = 429;
      res.setHeader('retry-after', '2');
      res.end();
    };
    const e429 = (await client.request({ url: `${base}/slow` }).catch((e: unknown) => e)) as HttpError;
    expect(e429.transient).toBe(true);
    expect(e429.retryAfterMs).toBe(2000);
    expect(e429.httpStatus).toBe(429);
    const plain = await client.request({ url: `${base}/slow`, throwOnError: false });
    expect(plain.status).toBe(429);
  });

  it('times out a server that never answers, as a transient error', async () => {
    handler = () => undefined;
    const t0 = Date.now();
    const err = (await client.request({ url: `${base}/hang`, timeoutMs: 150 }).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/no response within 150 ms/);
    expect(Date.now() - t0).toBeLessThan(1500);
  });

  it('says "connection refused" for a closed port and refuses non-HTTP schemes', async () => {
    const err = (await client.request({ url: 'http://127.0.0.1:1/' }).catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/connection refused/);
    const ftp = (await client.request({ url: 'ftp://example/' }).catch((e: unknown) => e)) as HttpError;
    expect(ftp.transient).toBe(false);
    expect(ftp.message).toMatch(/unsupported URL scheme ftp:/);
  });

  it('parses Retry-After seconds and HTTP dates; knows the transient statuses', () => {
    expect(parseRetryAfter('120')).toBe(120_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:10 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(10_000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(undefined)).toBeUndefined();
    expect([408, 425, 429, 500, 503].every(isTransientStatus)).toBe(true);
    expect([400, 401, 403, 404, 409, 412, 422].some(isTransientStatus)).toBe(false);
  });
});

describe('ClientCredentialsToken', () => {
  const client = new HttpClient({ timeoutMs: 2000 });
  afterAll(() => client.close());

  it('fetches once for concurrent callers, caches, refreshes before expiry and after invalidate()', async () => {
    let issued = 0;
    let auth = '';
    let form = '';
    handler = (req, body, res) => {
      issued += 1;
      auth = req.headers.authorization ?? '';
      form = body;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: `t${issued}`, token_type: 'bearer', expires_in: 3600 }));
    };
    let now = 1_000_000;
    const tok = new ClientCredentialsToken(client, { tokenUrl: `${base}/token`, clientId: 'id:1', clientSecret: 's&cret', scope: 'api', now: () => now });
    const [a, b] = await Promise.all([tok.header(), tok.header()]);
    expect(a).toBe('Bearer t1');
    expect(b).toBe('Bearer t1');
    expect(issued).toBe(1);
    expect(Buffer.from(auth.replace('Basic ', ''), 'base64').toString()).toBe('id%3A1:s%26cret');
    expect(new URLSearchParams(form).get('grant_type')).toBe('client_credentials');
    expect(new URLSearchParams(form).get('scope')).toBe('api');
    now += 2_800_000; // 47 min: still before 80 % of 60 min
    expect(await tok.header()).toBe('Bearer t1');
    now += 100_000; // past 80 %: refreshed before it expires
    expect(await tok.header()).toBe('Bearer t2');
    tok.invalidate();
    expect(await tok.header()).toBe('Bearer t3');
    expect(tok.fetches).toBe(3);
  });

  it('reports the OAuth2 error of a refused client as a permanent error', async () => {
    handler = (_req, _b, res) => {
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: 'invalid_client', error_description: 'bad secret' }));
    };
    const tok = new ClientCredentialsToken(client, { tokenUrl: `${base}/token`, clientId: 'x', clientSecret: 'y', auth: 'post' });
    const err = (await tok.get().catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(false);
    expect(err.message).toBe('OAuth2 token request refused (401): invalid_client: bad secret');
  });
});
