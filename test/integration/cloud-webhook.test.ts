/**
 * The webhook target against a local HTTP receiver: batches as a JSON array
 * or NDJSON (gzip), the auth header, a stable Idempotency-Key, 503 +
 * Retry-After as transient then success, 400/401 as permanent with the
 * receiver's words.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { WebhookTarget, type WebhookSettings } from '../../src/connectors/cloud/webhook';
import type { CloudRecord } from '../../src/connectors/cloud/types';
import { HttpError } from '../../src/connectors/http';
import { Forwarder } from '../../src/buffer/forwarder';
import { openQueue } from '../../src/buffer/queue';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}
let seen: Seen[] = [];
let answers: Array<{ status: number; body?: string; headers?: Record<string, string> }> = [];
let server: http.Server;
let base = '';
const targets: WebhookTarget[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
      const a = answers.shift() ?? { status: 202 };
      res.writeHead(a.status, a.headers ?? {});
      res.end(a.body ?? '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const t of targets) await t.close();
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  seen = [];
  answers = [];
});

function target(over: Partial<WebhookSettings> = {}): WebhookTarget {
  const t = new WebhookTarget({ url: `${base}/ingest?src=plantwire`, method: 'POST', headers: { 'X-Plant': 'berlin' }, authHeaderValue: 'Bearer s3cr3t', format: 'json', gzip: false, flushCount: 100, flushBytes: 1e6, flushMs: 1000, timeoutMs: 3000, ...over });
  targets.push(t);
  return t;
}
const rec = (id: number, body: unknown): CloudRecord => ({ key: `wh:${id}`, ts: 1_700_000_000_000 + id, body });
const samples = [rec(1, { tag: 'a', value: 1, quality: 'good' }), rec(2, [{ tag: 'b', value: 2 }, { tag: 'c', value: 'x,y' }]), rec(3, 7)];

describe('webhook target', () => {
  it('posts the batch as one JSON array with auth, extra headers and an Idempotency-Key', async () => {
    const t = target();
    await t.deliver(samples);
    expect(seen).toHaveLength(1);
    const r = seen[0]!;
    expect(r.method).toBe('POST');
    expect(r.url).toBe('/ingest?src=plantwire');
    expect(r.headers.authorization).toBe('Bearer s3cr3t');
    expect(r.headers['x-plant']).toBe('berlin');
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.headers['x-plantwire-records']).toBe('3');
    expect(r.headers['idempotency-key']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(JSON.parse(r.body.toString('utf8'))).toEqual([{ tag: 'a', value: 1, quality: 'good' }, { tag: 'b', value: 2 }, { tag: 'c', value: 'x,y' }, 7]);
    expect(t.state).toEqual({ state: 'connected', text: '202: 3 records sent' });
  });

  it('NDJSON with gzip and a custom auth header name; PUT', async () => {
    const t = target({ format: 'ndjson', gzip: true, authHeaderName: 'X-API-Key', authHeaderValue: 'k-123', method: 'PUT' });
    await t.deliver(samples);
    const r = seen[0]!;
    expect(r.method).toBe('PUT');
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.headers['x-api-key']).toBe('k-123');
    expect(r.headers.authorization).toBeUndefined();
    expect(zlib.gunzipSync(r.body).toString('utf8')).toBe('{"tag":"a","value":1,"quality":"good"}\n{"tag":"b","value":2}\n{"tag":"c","value":"x,y"}\n7\n');
  });

  it('503 with Retry-After is transient; the retry carries the same Idempotency-Key and succeeds', async () => {
    const t = target();
    answers.push({ status: 503, body: 'maintenance', headers: { 'retry-after': '2' } });
    const err = (await t.deliver(samples).catch((e: unknown) => e)) as HttpError;
    expect(err).toBeInstanceOf(HttpError);
    expect(err.transient).toBe(true);
    expect(err.retryAfterMs).toBe(2000);
    expect(err.message).toBe(`webhook POST ${base}/ingest answered 503: maintenance`);
    expect(t.state).toEqual({ state: 'error', text: 'webhook 503' });
    await t.deliver(samples);
    expect(seen).toHaveLength(2);
    expect(seen[1]!.headers['idempotency-key']).toBe(seen[0]!.headers['idempotency-key']);
    expect(seen[1]!.body.equals(seen[0]!.body)).toBe(true);
    expect(t.state.state).toBe('connected');
    // Another batch, another key.
    await t.deliver([rec(4, 1)]);
    expect(seen[2]!.headers['idempotency-key']).not.toBe(seen[0]!.headers['idempotency-key']);
  });

  it('400 is permanent, with the receiver’s JSON error text', async () => {
    const t = target();
    answers.push({ status: 400, body: JSON.stringify({ error: 'invalid_payload', message: 'value must be numeric' }), headers: { 'content-type': 'application/json' } });
    const err = (await t.deliver(samples).catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(false);
    expect(err.httpStatus).toBe(400);
    expect(err.message).toBe(`webhook POST ${base}/ingest answered 400: value must be numeric`);
    expect(err.status).toBe('webhook 400 value must be numeric');
  });

  it('401 is permanent with a hint; the secret is not in the message', async () => {
    const t = target();
    answers.push({ status: 401 });
    const err = (await t.deliver(samples).catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/answered 401: check the auth header$/);
    expect(err.message).not.toContain('s3cr3t');
  });

  it('429 and network failures are transient', async () => {
    answers.push({ status: 429, headers: { 'retry-after': '1' } });
    const err = (await target().deliver(samples).catch((e: unknown) => e)) as HttpError;
    expect([err.transient, err.retryAfterMs]).toEqual([true, 1000]);
    const down = (await target({ url: 'http://127.0.0.1:1/x' }).deliver(samples).catch((e: unknown) => e)) as { transient: boolean; message: string };
    expect(down.transient).toBe(true);
    expect(down.message).toMatch(/connection refused/);
  });

  it('refuses bad settings with the reasons', () => {
    expect(() => target({ url: 'ftp://x' })).toThrow(/must start with http/);
    expect(() => target({ headers: { 'Content-Type': 'text/plain' } })).toThrow(/set by the target/);
    expect(() => target({ headers: { 'Bad Name': 'x' } })).toThrow(/not valid/);
  });

  it('behind the buffer: flushes full batches, obeys 503 + Retry-After, retries the same batch with the same key, loses nothing', async () => {
    const t = target({ format: 'ndjson' });
    const q = openQueue<unknown>({ name: 'wh-fwd', mode: 'memory' });
    const f = new Forwarder<unknown>(q, {
      flush: { count: 4, ms: 60_000 },
      minBackoffMs: 5,
      maxBackoffMs: 50,
      isPermanent: (e) => (e as { transient?: boolean }).transient === false,
      deliver: (batch) => t.deliver(batch.map((e) => ({ key: e.key, ts: e.ts, body: e.body }))),
    });
    answers.push({ status: 503, headers: { 'retry-after': '1' } });
    f.start();
    for (let i = 0; i < 8; i++) {
      await q.enqueue({ tag: 't', value: i });
      f.notify();
    }
    const deadline = Date.now() + 10_000;
    while (q.metrics().depth > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await f.stop();
    expect(seen.map((r) => r.headers['x-plantwire-records'])).toEqual(['4', '4', '4']);
    expect(seen[1]!.headers['idempotency-key']).toBe(seen[0]!.headers['idempotency-key']);
    const accepted = seen.slice(1).flatMap((r) => r.body.toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { value: number }).value));
    expect(accepted).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(q.metrics()).toMatchObject({ depth: 0, delivered: 8, deadLettered: 0 });
  });
});
