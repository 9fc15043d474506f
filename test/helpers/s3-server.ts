/**
 * An S3-compatible server for tests: s3rver 3.7.1 (in-process, files in a
 * temp dir) behind a small verifying proxy.
 *
 * Why the proxy: s3rver checks only that a SigV4 request names a known access
 * key id — it does not compute V4 signatures ("Signature version 4
 * calculation is unimplemented" in its authentication middleware), nor does
 * it check Content-MD5. The proxy verifies every signed request with its own
 * SigV4 implementation, written independently of src/connectors/cloud/sigv4.ts
 * (encodeURIComponent-based, anchored to the AWS documentation's PUT example
 * in test/integration/cloud-s3.test.ts), and checks x-amz-content-sha256 and
 * Content-MD5 against the body. A mismatch gets S3's own 403
 * SignatureDoesNotMatch / 400 BadDigest XML; a good request is forwarded to
 * s3rver. It also lets tests inject faults (503 SlowDown with Retry-After)
 * and delay every answer (a slow S3); a request whose client aborted it
 * during the delay is logged as 'client-gone' and not forwarded.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';

const load = createRequire(path.join(__dirname, '..', '..', 'package.json'));

interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverCtor = new (opts: Record<string, unknown>) => S3rverInstance;
interface AccountCtor {
  new (id: number, name: string): { createKeyPair(id: string, secret: string): void; revokeAccessKey(id: string): void };
}

export interface VerifyInput {
  method: string;
  /** The request target as received: path and query, still encoded. */
  rawUrl: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  secrets: Record<string, string>;
  now?: Date;
}

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; code: string; message: string };

const enc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const hmac = (k: crypto.BinaryLike, d: string): Buffer => crypto.createHmac('sha256', k).update(d).digest();

/** Independent SigV4 check of a received request (header-based, single chunk). */
export function verifySigV4(input: VerifyInput): VerifyResult {
  const auth = String(input.headers.authorization ?? '');
  const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request,\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$/.exec(auth);
  if (!m) return { ok: false, code: 'AuthorizationHeaderMalformed', message: `malformed Authorization header: ${auth.slice(0, 80)}` };
  const [, keyId, day, region, service, signedList, signature] = m as unknown as string[];
  const secret = input.secrets[keyId!];
  if (secret === undefined) return { ok: false, code: 'InvalidAccessKeyId', message: 'The AWS Access Key Id you provided does not exist in our records.' };
  const amzDate = String(input.headers['x-amz-date'] ?? '');
  if (!amzDate.startsWith(day!)) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'x-amz-date does not match the credential scope date' };
  if (input.now) {
    const t = Date.UTC(+amzDate.slice(0, 4), +amzDate.slice(4, 6) - 1, +amzDate.slice(6, 8), +amzDate.slice(9, 11), +amzDate.slice(11, 13), +amzDate.slice(13, 15));
    if (Math.abs(t - input.now.getTime()) > 15 * 60_000) return { ok: false, code: 'RequestTimeTooSkewed', message: 'The difference between the request time and the current time is too large.' };
  }
  const payloadHash = String(input.headers['x-amz-content-sha256'] ?? '');
  if (payloadHash !== 'UNSIGNED-PAYLOAD' && payloadHash !== crypto.createHash('sha256').update(input.body).digest('hex')) {
    return { ok: false, code: 'XAmzContentSHA256Mismatch', message: 'The provided x-amz-content-sha256 header does not match what was computed.' };
  }
  const q = input.rawUrl.indexOf('?');
  const rawPath = q < 0 ? input.rawUrl : input.rawUrl.slice(0, q);
  const rawQuery = q < 0 ? '' : input.rawUrl.slice(q + 1);
  const canonicalUri = rawPath
    .split('/')
    .map((seg) => enc(decodeURIComponent(seg)))
    .join('/');
  const canonicalQuery = rawQuery
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const i = p.indexOf('=');
      const k = decodeURIComponent(i < 0 ? p : p.slice(0, i));
      const v = i < 0 ? '' : decodeURIComponent(p.slice(i + 1));
      return `${enc(k)}=${enc(v)}`;
    })
    .sort()
    .join('&');
  const names = signedList!.split(';');
  if (!names.includes('host')) return { ok: false, code: 'AuthorizationHeaderMalformed', message: 'host must be signed' };
  const canonicalHeaders = names.map((n) => `${n}:${String(input.headers[n] ?? '').trim().replace(/ +/g, ' ')}\n`).join('');
  const canonicalRequest = `${input.method}\n${canonicalUri}\n${canonicalQuery}\n${canonicalHeaders}\n${signedList}\n${payloadHash}`;
  const scope = `${day}/${region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${crypto.createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const key = hmac(hmac(hmac(hmac(`AWS4${secret}`, day!), region!), service!), 'aws4_request');
  const expected = crypto.createHmac('sha256', key).update(toSign).digest('hex');
  if (expected !== signature) return { ok: false, code: 'SignatureDoesNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.' };
  return { ok: true, accessKeyId: keyId! };
}

export interface Fault {
  status: number;
  code: string;
  message: string;
  headers?: Record<string, string>;
}

export interface TestS3 {
  /** The proxy's URL: give it to the target as endpoint (path style). */
  endpoint: string;
  /** s3rver itself, without the verifying proxy (to show what it does not check). */
  directEndpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Requests the proxy saw (method, url, verdict). */
  log: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; verdict: string }>;
  /** Answer the next requests with these faults (FIFO) instead of forwarding. */
  faults: Fault[];
  /** Every request is answered this much later (default 0). */
  delayMs: number;
  listKeys(bucket?: string): Promise<string[]>;
  getObject(key: string, bucket?: string): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }>;
  close(): Promise<void>;
}

function errorXml(code: string, message: string): string {
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${esc(code)}</Code><Message>${esc(message)}</Message><RequestId>test</RequestId></Error>`;
}

function fetchRaw(port: number, method: string, url: string, headers: http.OutgoingHttpHeaders = {}, body?: Buffer): Promise<{ status: number; body: Buffer; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const r = http.request({ host: '127.0.0.1', port, method, path: url, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(body);
  });
}

/** Starts s3rver (bucket created) and the verifying proxy on free loopback ports. */
export async function startTestS3(opts: { bucket?: string; accessKeyId?: string; secretAccessKey?: string } = {}): Promise<TestS3> {
  const S3rver = load('s3rver') as S3rverCtor;
  const AWSAccount = load('s3rver/lib/models/account') as AccountCtor;
  const bucket = opts.bucket ?? 'plant';
  const accessKeyId = opts.accessKeyId ?? 'PLANTWIRETESTKEY';
  const secretAccessKey = opts.secretAccessKey ?? 'plantwire/test+secret';
  const account = new AWSAccount(111122223333, 'plantwire');
  account.createKeyPair(accessKeyId, secretAccessKey);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-s3-'));
  const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: dir, configureBuckets: [{ name: bucket }], vhostBuckets: false });
  const addr = await s3.run();
  const s3Port = addr.port;
  const log: TestS3['log'] = [];
  const faults: Fault[] = [];
  const slow = { ms: 0 };
  const proxy = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    // A client that gave up (aborted the request) before the answer: the request is not carried out.
    let gone = false;
    res.on('close', () => (gone = !res.writableFinished));
    // Answered after `delayMs` (a slow but working S3).
    req.on('end', () => setTimeout(() => {
      const body = Buffer.concat(chunks);
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      if (gone) {
        log.push({ method, url, headers: req.headers, verdict: 'client-gone' });
        return;
      }
      const reply = (status: number, code: string, message: string, headers: Record<string, string> = {}): void => {
        log.push({ method, url, headers: req.headers, verdict: code });
        res.writeHead(status, { 'content-type': 'application/xml', ...headers });
        res.end(method === 'HEAD' ? undefined : errorXml(code, message));
      };
      const fault = faults.shift();
      if (fault) return reply(fault.status, fault.code, fault.message, fault.headers);
      const v = verifySigV4({ method, rawUrl: url, headers: req.headers, body, secrets: { [accessKeyId]: secretAccessKey }, now: new Date() });
      if (!v.ok) return reply(403, v.code, v.message);
      const md5 = req.headers['content-md5'];
      if (md5 !== undefined && md5 !== crypto.createHash('md5').update(body).digest('base64')) return reply(400, 'BadDigest', 'The Content-MD5 you specified did not match what we received.');
      log.push({ method, url, headers: req.headers, verdict: 'ok' });
      // Virtual-hosted style (Host: <bucket>.<endpoint host>): s3rver is path-style here, so the bucket moves into the path.
      const vhost = String(req.headers.host ?? '').startsWith(`${bucket}.`);
      const fwd = http.request({ host: '127.0.0.1', port: s3Port, method, path: vhost ? `/${bucket}${url}` : url, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      fwd.on('error', (err) => reply(502, 'InternalError', err.message));
      fwd.end(body);
    }, slow.ms));
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  const port = (proxy.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directEndpoint: `http://127.0.0.1:${s3Port}`,
    bucket,
    accessKeyId,
    secretAccessKey,
    log,
    faults,
    get delayMs() {
      return slow.ms;
    },
    set delayMs(ms: number) {
      slow.ms = ms;
    },
    // Reads go straight to s3rver (unsigned requests are let through there): an independent route to what was stored.
    async listKeys(b = bucket) {
      const r = await fetchRaw(s3Port, 'GET', `/${b}?list-type=2&max-keys=1000`);
      return [...r.body.toString('utf8').matchAll(/<Key>([\s\S]*?)<\/Key>/g)].map((x) => x[1]!.replace(/&amp;/g, '&')).sort();
    },
    getObject(key, b = bucket) {
      return fetchRaw(s3Port, 'GET', `/${b}/${key.split('/').map(encodeURIComponent).join('/')}`);
    },
    async close() {
      await new Promise<void>((r) => proxy.close(() => r()));
      proxy.closeAllConnections();
      await s3.close();
      account.revokeAccessKey(accessKeyId);
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
