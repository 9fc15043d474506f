/**
 * The S3 target against an S3-compatible server started here (s3rver behind
 * a proxy that verifies SigV4 itself, see test/helpers/s3-server.ts): objects
 * land with the expected keys and content (NDJSON, CSV, gzip), a wrong secret
 * is refused, S3 XML errors become readable permanent/transient errors, and a
 * retried batch overwrites its object instead of duplicating it.
 */
import zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Target, type S3Settings } from '../../src/connectors/cloud/s3';
import type { CloudRecord } from '../../src/connectors/cloud/types';
import { HttpClient, HttpError, type HttpRequest, type HttpResponse } from '../../src/connectors/http';
import { Forwarder } from '../../src/buffer/forwarder';
import { openQueue } from '../../src/buffer/queue';
import { startTestS3, verifySigV4, type TestS3 } from '../helpers/s3-server';
import { partSettler } from '../../src/connectors/cloud/out';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

let s3: TestS3;
const targets: S3Target[] = [];

beforeAll(async () => {
  s3 = await startTestS3();
});
afterAll(async () => {
  for (const t of targets) await t.close();
  await s3.close();
});
beforeEach(() => {
  s3.faults.length = 0;
  s3.delayMs = 0;
});

function target(over: Partial<S3Settings> = {}): S3Target {
  const t = new S3Target({
    endpoint: s3.endpoint,
    region: 'us-east-1',
    bucket: s3.bucket,
    pathStyle: true,
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    keyPattern: 'plant/{asset}/{yyyy}/{MM}/{dd}/{HH}/{mm}-{seq}',
    format: 'ndjson',
    gzip: false,
    flushCount: 100,
    flushBytes: 1_000_000,
    flushMs: 1000,
    timeoutMs: 5000,
    ...over,
  });
  targets.push(t);
  return t;
}

const T0 = Date.UTC(2026, 10, 21, 23, 45, 12);
const sample = (tag: string, value: unknown, asset: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  tag,
  value,
  quality: 'good',
  sourceTimestamp: new Date(T0).toISOString(),
  asset,
  ...extra,
});
const rec = (id: number, body: unknown, over: Partial<CloudRecord> = {}): CloudRecord => ({ key: `node1:${id}`, ts: T0 + id, body, ...over });

describe('the verifying proxy (independent SigV4)', () => {
  it('accepts the AWS documentation PUT example and refuses it with another secret', () => {
    const input = {
      method: 'PUT',
      rawUrl: '/test%24file.text',
      headers: {
        host: 'examplebucket.s3.amazonaws.com',
        date: 'Fri, 24 May 2013 00:00:00 GMT',
        'x-amz-date': '20130524T000000Z',
        'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class,Signature=98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd',
      },
      body: Buffer.from('Welcome to Amazon S3.'),
      secrets: { AKIAIOSFODNN7EXAMPLE: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    };
    expect(verifySigV4(input)).toEqual({ ok: true, accessKeyId: 'AKIAIOSFODNN7EXAMPLE' });
    expect(verifySigV4({ ...input, secrets: { AKIAIOSFODNN7EXAMPLE: 'wrong' } })).toMatchObject({ ok: false, code: 'SignatureDoesNotMatch' });
    expect(verifySigV4({ ...input, body: Buffer.from('Welcome to Amazon S4.') })).toMatchObject({ ok: false, code: 'XAmzContentSHA256Mismatch' });
  });
});

describe('why the proxy is there', () => {
  it('s3rver 3.7.1 alone accepts a V4 request signed with a wrong secret (it checks only the access key id)', async () => {
    const t = target({ endpoint: s3.directEndpoint, secretAccessKey: 'definitely-wrong', keyPattern: 'unchecked/{seq}' });
    await t.deliver([rec(99, 1)]);
    expect(await s3.listKeys()).toContain('unchecked/ca12f31b-000000000099.ndjson');
    // Through the proxy the same request is refused.
    const viaProxy = target({ secretAccessKey: 'definitely-wrong', keyPattern: 'unchecked/{seq}' });
    await expect(viaProxy.deliver([rec(98, 1)])).rejects.toThrow(/SignatureDoesNotMatch/);
  });
});

describe('S3 target against s3rver', () => {
  it('writes an NDJSON object per asset with the expected keys and content', async () => {
    const t = target();
    const records = [
      rec(1, sample('Line1/Filler/Temp', 21.5, 'acme/berlin/line1', { unit: '°C' })),
      rec(2, [sample('Line1/Filler/Count', 7, 'acme/berlin/line1'), sample('Line1/Filler/Run', true, 'acme/berlin/line1')]),
      rec(3, sample('Line2/Press/Force', 3.25, 'acme/berlin/Linie 2 (Pressen)')),
    ];
    await t.deliver(records);
    const keys = ['plant/acme/berlin/line1/2026/11/21/23/45-ca12f31b-000000000001.ndjson', 'plant/acme/berlin/Linie_2_Pressen_/2026/11/21/23/45-ca12f31b-000000000003.ndjson'];
    expect(t.lastKeys).toEqual(keys);
    expect(await s3.listKeys()).toEqual(expect.arrayContaining(keys));
    const o1 = await s3.getObject(keys[0]!);
    expect(o1.status).toBe(200);
    expect(o1.headers['content-type']).toBe('application/x-ndjson');
    expect(o1.body.toString('utf8').split('\n')).toEqual([
      JSON.stringify(records[0]!.body),
      JSON.stringify((records[1]!.body as unknown[])[0]),
      JSON.stringify((records[1]!.body as unknown[])[1]),
      '',
    ]);
    const o2 = await s3.getObject(keys[1]!);
    expect(o2.body.toString('utf8')).toBe(`${JSON.stringify(records[2]!.body)}\n`);
    expect(o2.headers['x-amz-meta-plantwire-records']).toBe('1');
    expect(t.state.state).toBe('connected');
    // Every write went through the SigV4 check and carried Content-MD5.
    const puts = s3.log.filter((l) => l.method === 'PUT' && l.url.startsWith('/plant/plant/'));
    expect(puts.map((p) => p.verdict)).toEqual(['ok', 'ok']);
    expect(puts.every((p) => typeof p.headers['content-md5'] === 'string')).toBe(true);
  });

  it('writes gzip CSV with the tag-sample header, quoting and flattened payloads', async () => {
    const t = target({ format: 'csv', gzip: true, keyPattern: 'csv/{yyyy}{MM}{dd}/{uuid}' });
    const records = [
      rec(10, sample('Tank "A", level', 'high, "very"\nsecond line', 'site/a', { unit: 'm' })),
      rec(11, { temp: 20.5, press: { a: 1, b: null } }, { topic: 'line1', asset: 'site/b' }),
      rec(12, 42),
    ];
    await t.deliver(records);
    const key = t.lastKeys[0]!;
    expect(key).toMatch(/^csv\/20261121\/[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.csv\.gz$/);
    const o = await s3.getObject(key);
    expect(o.headers['content-type']).toBe('application/gzip');
    expect(o.headers['content-encoding']).toBeUndefined();
    const accepted = (id: number): string => new Date(T0 + id).toISOString();
    expect(zlib.gunzipSync(o.body).toString('utf8')).toBe(
      [
        'time,tag,value,quality,asset,unit',
        `${new Date(T0).toISOString()},"Tank ""A"", level","high, ""very""\nsecond line",good,site/a,m`,
        `${accepted(11)},line1/temp,20.5,,site/b,`,
        `${accepted(11)},line1/press.a,1,,site/b,`,
        `${accepted(11)},line1/press.b,,,site/b,`,
        `${accepted(12)},,42,,,`,
        '',
      ].join('\r\n'),
    );
  });

  it('a retried batch overwrites the same object (idempotent key)', async () => {
    const t = target({ keyPattern: 'retry/{uuid}.ndjson' });
    const batch = [rec(20, sample('a', 1, 'x')), rec(21, sample('b', 2, 'x'))];
    await t.deliver(batch);
    const first = t.lastKeys[0]!;
    await t.deliver(batch);
    // The retry after a lost acknowledgement may carry more records: still the same object.
    await t.deliver([...batch, rec(22, sample('c', 3, 'x'))]);
    expect(t.lastKeys[0]).toBe(first);
    expect((await s3.listKeys()).filter((k) => k.startsWith('retry/'))).toEqual([first]);
    expect((await s3.getObject(first)).body.toString('utf8').trim().split('\n')).toHaveLength(3);
    // Another batch is another object.
    await t.deliver([rec(23, sample('d', 4, 'x'))]);
    expect((await s3.listKeys()).filter((k) => k.startsWith('retry/'))).toHaveLength(2);
  });

  it('virtual-hosted style: signs Host <bucket>.<endpoint> and the key-only path', async () => {
    // plant.s3.test does not resolve: connect to the proxy's address, keep the signed Host header.
    class Loopback extends HttpClient {
      override request(req: HttpRequest): Promise<HttpResponse> {
        const url = new URL(String(req.url));
        url.hostname = '127.0.0.1';
        return super.request({ ...req, url });
      }
    }
    const port = new URL(s3.endpoint).port;
    const http = new Loopback({ timeoutMs: 5000 });
    const t = new S3Target({ ...target().settings, endpoint: `http://s3.test:${port}`, pathStyle: false, keyPattern: 'vhost/{asset}/{seq}' }, http);
    await t.deliver([rec(80, sample('a', 1, 'x/y'))]);
    const put = s3.log.filter((l) => l.method === 'PUT').pop()!;
    expect(put.headers.host).toBe(`plant.s3.test:${port}`);
    expect(put.url).toBe('/vhost/x/y/ca12f31b-000000000080.ndjson');
    expect(put.verdict).toBe('ok');
    expect(await s3.listKeys()).toContain('vhost/x/y/ca12f31b-000000000080.ndjson');
    http.close();
  });

  it('keys with spaces, +, ~ and non-ASCII characters from the pattern are encoded and signed right', async () => {
    const t = target({ keyPattern: 'Messdaten Halle+2/~ä/{seq}.ndjson' });
    await t.deliver([rec(90, sample('a', 1, 'x'))]);
    const put = s3.log.filter((l) => l.method === 'PUT').pop()!;
    expect(put.url).toBe('/plant/Messdaten%20Halle%2B2/~%C3%A4/ca12f31b-000000000090.ndjson');
    expect(put.verdict).toBe('ok');
    expect(await s3.listKeys()).toContain('Messdaten Halle+2/~ä/ca12f31b-000000000090.ndjson');
  });

  it('signs and sends a session token (temporary credentials)', async () => {
    const t = target({ sessionToken: 'IQoJb3JpZ2luX2VjEJr//+token', keyPattern: 'sts/{seq}' });
    await t.deliver([rec(30, sample('a', 1, 'x'))]);
    const put = s3.log.filter((l) => l.method === 'PUT').pop()!;
    expect(put.verdict).toBe('ok');
    expect(put.headers['x-amz-security-token']).toBe('IQoJb3JpZ2luX2VjEJr//+token');
    expect(String(put.headers.authorization)).toContain('x-amz-security-token');
  });

  it('a wrong secret is refused: permanent error with the S3 code in message and state', async () => {
    const t = target({ secretAccessKey: 'not-the-secret', keyPattern: 'denied/{seq}' });
    const err = await t.deliver([rec(40, sample('a', 1, 'x'))]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HttpError);
    expect((err as HttpError).transient).toBe(false);
    expect((err as HttpError).message).toMatch(/^S3 refused PUT s3:\/\/plant\/denied\/ca12f31b-000000000040\.ndjson \(403 SignatureDoesNotMatch\): .*check the secret access key/);
    expect(t.state).toEqual({ state: 'error', text: 'S3 SignatureDoesNotMatch' });
    expect((await s3.listKeys()).some((k) => k.startsWith('denied/'))).toBe(false);
  });

  it('NoSuchBucket is permanent and says which bucket', async () => {
    const t = target({ bucket: 'no-such-bucket', keyPattern: 'x/{seq}' });
    const err = (await t.deliver([rec(50, 1)]).catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(false);
    expect(err.httpStatus).toBe(404);
    expect(err.message).toMatch(/NoSuchBucket.*no-such-bucket.*create the bucket/);
  });

  it('SlowDown 503 with Retry-After is transient, then the retry lands', async () => {
    const t = target({ keyPattern: 'slow/{seq}' });
    s3.faults.push({ status: 503, code: 'SlowDown', message: 'Please reduce your request rate.', headers: { 'retry-after': '3' } });
    const err = (await t.deliver([rec(60, 1)]).catch((e: unknown) => e)) as HttpError;
    expect(err.transient).toBe(true);
    expect(err.retryAfterMs).toBe(3000);
    expect(err.message).toContain('SlowDown');
    await t.deliver([rec(60, 1)]);
    expect(await s3.listKeys()).toContain('slow/ca12f31b-000000000060.ndjson');
    expect(t.state.state).toBe('connected');
  });

  it('an unreachable endpoint is transient', async () => {
    const t = target({ endpoint: 'http://127.0.0.1:1', keyPattern: 'x/{seq}' });
    const err = (await t.deliver([rec(70, 1)]).catch((e: unknown) => e)) as { transient?: boolean; message: string };
    expect(err.transient).toBe(true);
    expect(err.message).toMatch(/connection refused/);
    expect(t.state.state).toBe('error');
  });

  it('refuses bad settings at construction with the reasons', () => {
    expect(() => target({ keyPattern: 'data/{yyyy}/{day}.ndjson' })).toThrow(/unknown placeholder \{day\}.*needs \{uuid\} or \{seq\}/);
    expect(() => target({ bucket: 'Bad_Bucket' })).toThrow(/not a valid bucket name/);
  });

  it('behind the buffer: an outage (503s) then recovery gives every record exactly once, one object per batch', async () => {
    const t = target({ keyPattern: 'fwd/{seq}' });
    const q = openQueue<unknown>({ name: 's3-fwd', mode: 'memory' });
    const f = new Forwarder<unknown>(q, {
      flush: { count: 5, ms: 60_000 },
      minBackoffMs: 5,
      maxBackoffMs: 20,
      isPermanent: (e) => (e as { transient?: boolean }).transient === false,
      deliver: (batch) => t.deliver(batch.map((e) => ({ key: e.key, ts: e.ts, body: e.body }))),
    });
    for (let i = 0; i < 3; i++) s3.faults.push({ status: 503, code: 'ServiceUnavailable', message: 'down', headers: { 'retry-after': '0' } });
    f.start();
    for (let i = 0; i < 15; i++) {
      await q.enqueue({ tag: 't', value: i, quality: 'good', sourceTimestamp: new Date(T0).toISOString() });
      f.notify();
    }
    const deadline = Date.now() + 10_000;
    while (q.metrics().depth > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await f.stop();
    const keys = (await s3.listKeys()).filter((k) => k.startsWith('fwd/'));
    expect(keys).toEqual(['fwd/8d38d7ac-000000000001.ndjson', 'fwd/8d38d7ac-000000000006.ndjson', 'fwd/8d38d7ac-000000000011.ndjson']);
    const values: number[] = [];
    for (const k of keys) for (const line of (await s3.getObject(k)).body.toString('utf8').trim().split('\n')) values.push((JSON.parse(line) as { value: number }).value);
    expect(values).toEqual(Array.from({ length: 15 }, (_, i) => i));
    expect(s3.log.filter((l) => l.url.startsWith('/plant/fwd/') && l.verdict === 'ServiceUnavailable')).toHaveLength(3);
  });

  it('a batch written as one object per asset on a slow S3: each object gets its own delivery timeout, every object written once', async () => {
    const t = target({ keyPattern: 'perpart/{asset}/{seq}' });
    const q = openQueue<unknown>({ name: 's3-slow', mode: 'memory' });
    const assets = Array.from({ length: 12 }, (_, i) => `a${String(i + 1).padStart(2, '0')}`);
    // 12 objects × 300 ms = 3.6 s for the batch, the delivery timeout 2 s: only per object does it fit.
    s3.delayMs = 300;
    const f = new Forwarder<unknown>(q, {
      flush: { count: assets.length, ms: 60_000 },
      deliverTimeoutMs: 2000,
      minBackoffMs: 5,
      maxBackoffMs: 20,
      isPermanent: (e) => (e as { transient?: boolean }).transient === false,
      deliver: (batch, _settle, ctx) => t.deliver(batch.map((e) => ({ key: e.key, ts: e.ts, body: e.body })), ctx.progress),
    });
    f.start();
    for (const [i, a] of assets.entries()) {
      await q.enqueue({ tag: 't', value: i, quality: 'good', sourceTimestamp: new Date(T0).toISOString(), asset: a });
      f.notify();
    }
    const deadline = Date.now() + 15_000;
    while (q.metrics().depth > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const depth = q.metrics().depth;
    await f.stop();
    s3.delayMs = 0;
    expect(depth, 'the batch delivered').toBe(0);
    const puts = s3.log.filter((l) => l.method === 'PUT' && l.url.startsWith('/plant/perpart/'));
    expect(puts.map((l) => l.url.split('/')[3]).sort(), 'each object PUT once (no attempt cut off and sent again)').toEqual(assets);
    expect((await s3.listKeys()).filter((k) => k.startsWith('perpart/'))).toHaveLength(assets.length);
  }, 30_000);

  it('a forwarder stopped in the middle of a batch on a slow S3 (redeploy, the target stays open): it stops sending, the next instance sends the rest — each object PUT once', async () => {
    const t = target({ keyPattern: 'restart/{asset}/{seq}' });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-s3-restart-'));
    const assets = Array.from({ length: 8 }, (_, i) => `r${i + 1}`);
    // As plantwire-cloud-out wires it: each confirmed object settles its entries, ctx.signal stops the target.
    const forwarder = (q: ReturnType<typeof openQueue<unknown>>): Forwarder<unknown> =>
      new Forwarder<unknown>(q, {
        flush: { count: assets.length, ms: 200 },
        minBackoffMs: 5,
        maxBackoffMs: 20,
        isPermanent: (e) => (e as { transient?: boolean }).transient === false,
        deliver: async (batch, settle, ctx) => {
          const part = partSettler(batch.map((e) => ({ id: e.id, keys: [e.key] })), (ids) => settle(ids, 'delivered'));
          await t.deliver(batch.map((e) => ({ key: e.key, ts: e.ts, body: e.body })), (keys) => part(keys), ctx.signal);
        },
      });
    const puts = (verdict?: string): string[] => s3.log.filter((l) => l.method === 'PUT' && l.url.startsWith('/plant/restart/') && (!verdict || l.verdict === verdict)).map((l) => l.url.split('/')[3]!);
    // 8 objects × 500 ms = 4 s: longer than the 2 s stop() waits for the attempt in flight.
    s3.delayMs = 500;
    try {
      const q1 = openQueue<unknown>({ name: 'restart', mode: 'disk', dir });
      const f1 = forwarder(q1);
      f1.start();
      for (const [i, a] of assets.entries()) await q1.enqueue({ tag: 't', value: i, quality: 'good', sourceTimestamp: new Date(T0).toISOString(), asset: a });
      f1.notify();
      while (puts('ok').length < 1) await new Promise((r) => setTimeout(r, 20));
      await f1.stop();
      await q1.close();
      const byOld = puts().length;
      expect(byOld, 'the old instance stopped before the end of the batch').toBeLessThan(assets.length);
      const q2 = openQueue<unknown>({ name: 'restart', mode: 'disk', dir });
      expect(q2.metrics().depth, 'what the old instance finished left the queue').toBe(assets.length - puts('ok').length);
      const f2 = forwarder(q2);
      f2.start();
      const deadline = Date.now() + 15_000;
      while (q2.metrics().depth > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      // Whatever the old instance might still send would land by now.
      await new Promise((r) => setTimeout(r, 1500));
      await f2.stop();
      await q2.close();
    } finally {
      s3.delayMs = 0;
      fs.rmSync(dir, { recursive: true, force: true });
    }
    expect(puts('ok').sort(), `requests ${JSON.stringify(puts().map((u, i) => `${u} ${s3.log.filter((l) => l.url.startsWith('/plant/restart/'))[i]?.verdict}`))}`).toEqual(assets);
    expect((await s3.listKeys()).filter((k) => k.startsWith('restart/'))).toHaveLength(assets.length);
  }, 30_000);
});
