/**
 * AWS Signature Version 4 (header-based, payload in a single chunk) as Amazon
 * S3 and S3-compatible servers (MinIO, Ceph RGW, Wasabi, R2, …) verify it.
 * Hand-written rather than the `aws4` package: the algorithm is small and the
 * palette's dependency budget is spent on libraries with no small equivalent.
 * Verified against the examples of the S3 documentation "Signature
 * Calculations for the Authorization Header: Transferring Payload in a Single
 * Chunk" (test/unit/cloud-sigv4.test.ts) and, byte for byte, against `aws4`
 * itself on 500 random requests (test/unit/cloud-sigv4-aws4.test.ts; aws4 is
 * a devDependency for that test only).
 *
 *   canonical request = method \n canonical URI \n canonical query \n
 *                       canonical headers \n signed headers \n payload hash
 *   string to sign    = "AWS4-HMAC-SHA256" \n amz-date \n scope \n hex(sha256(canonical request))
 *   signing key       = HMAC(HMAC(HMAC(HMAC("AWS4"+secret, yyyymmdd), region), service), "aws4_request")
 *   signature         = hex(HMAC(signing key, string to sign))
 *
 * S3 specifics: the URI path is encoded once (not twice as other services
 * do), every byte outside A-Z a-z 0-9 - . _ ~ is percent-encoded with upper
 * case hex, '/' stays in paths; `x-amz-content-sha256` carries the payload
 * hash (or UNSIGNED-PAYLOAD) and is signed.
 */
import crypto from 'node:crypto';

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
/** SHA-256 of the empty string. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  /** Temporary credentials (STS): sent and signed as x-amz-security-token. */
  sessionToken?: string;
}

export interface SigV4Request {
  method: string;
  /** Absolute URL whose path is already S3-encoded (see `s3ObjectUrl` / `uriEncode`). */
  url: string | URL;
  /** Headers to send and sign (names in any case). host, x-amz-date and x-amz-content-sha256 are added. */
  headers?: Record<string, string>;
  /** Hex SHA-256 of the body, or UNSIGNED-PAYLOAD; default: the hash of the empty body. */
  payloadHash?: string;
}

export interface SigV4Options {
  credentials: AwsCredentials;
  region: string;
  /** Default 's3'. */
  service?: string;
  /** Signing time; default now. */
  date?: Date;
}

export interface SignedRequest {
  /** Every header to send, lower-case names, including authorization. */
  headers: Record<string, string>;
  canonicalRequest: string;
  stringToSign: string;
  signedHeaders: string;
  signature: string;
  authorization: string;
}

/** Headers that proxies or the HTTP stack may change: never signed. */
const UNSIGNED_HEADERS = new Set(['authorization', 'content-length', 'user-agent', 'expect', 'connection', 'x-amzn-trace-id']);

export function sha256Hex(data: string | Buffer | Uint8Array): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

function hmac(key: string | Buffer, data: string): Buffer {
  return crypto.createHmac('sha256', key).update(data, 'utf8').digest();
}

/**
 * URI-encodes as S3 wants it: unreserved characters (A-Z a-z 0-9 - _ . ~)
 * stay, everything else becomes %XY of its UTF-8 bytes (upper-case hex);
 * '/' stays when `keepSlash` (object key paths), is encoded otherwise.
 */
export function uriEncode(input: string, keepSlash = false): string {
  let out = '';
  for (const byte of Buffer.from(input, 'utf8')) {
    const c = String.fromCharCode(byte);
    if ((byte >= 0x41 && byte <= 0x5a) || (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || c === '-' || c === '_' || c === '.' || c === '~') out += c;
    else if (c === '/' && keepSlash) out += c;
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** `20130524T000000Z` */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

/** The canonical query string: each name and value encoded, sorted by name then value, `name=value` joined by '&'. */
export function canonicalQuery(url: URL): string {
  const pairs: Array<[string, string]> = [];
  // URLSearchParams decodes the query; re-encode each part strictly.
  for (const [k, v] of url.searchParams) pairs.push([uriEncode(k), uriEncode(v)]);
  pairs.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0));
  return pairs.map(([k, v]) => `${k}=${v}`).join('&');
}

/** Derived key for one day, region and service (cached: it changes once a day). */
const keyCache = new Map<string, Buffer>();
export function signingKey(secretAccessKey: string, day: string, region: string, service: string): Buffer {
  const id = `${sha256Hex(secretAccessKey)}|${day}|${region}|${service}`;
  let key = keyCache.get(id);
  if (!key) {
    key = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, day), region), service), 'aws4_request');
    if (keyCache.size > 32) keyCache.clear();
    keyCache.set(id, key);
  }
  return key;
}

/** Signs a request; returns the headers to send (authorization included) and the intermediate strings (for tests and diagnostics). */
export function signRequest(req: SigV4Request, opts: SigV4Options): SignedRequest {
  const url = typeof req.url === 'string' ? new URL(req.url) : req.url;
  const service = opts.service ?? 's3';
  const date = opts.date ?? new Date();
  const stamp = amzDate(date);
  const day = stamp.slice(0, 8);
  const payloadHash = req.payloadHash ?? EMPTY_SHA256;

  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers ?? {})) headers[k.toLowerCase()] = v;
  if (!headers.host) headers.host = url.host;
  headers['x-amz-date'] = stamp;
  headers['x-amz-content-sha256'] = payloadHash;
  if (opts.credentials.sessionToken) headers['x-amz-security-token'] = opts.credentials.sessionToken;
  delete headers.authorization;

  const names = Object.keys(headers)
    .filter((n) => !UNSIGNED_HEADERS.has(n))
    .sort();
  const canonicalHeaders = names.map((n) => `${n}:${headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonicalUri = url.pathname === '' ? '/' : url.pathname;
  const canonicalRequest = [req.method.toUpperCase(), canonicalUri, canonicalQuery(url), canonicalHeaders, signedHeaders, payloadHash].join('\n');
  const scope = `${day}/${opts.region}/${service}/aws4_request`;
  const stringToSign = [SIGV4_ALGORITHM, stamp, scope, sha256Hex(canonicalRequest)].join('\n');
  const signature = crypto.createHmac('sha256', signingKey(opts.credentials.secretAccessKey, day, opts.region, service)).update(stringToSign, 'utf8').digest('hex');
  const authorization = `${SIGV4_ALGORITHM} Credential=${opts.credentials.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
  headers.authorization = authorization;
  return { headers, canonicalRequest, stringToSign, signedHeaders, signature, authorization };
}

export interface S3Location {
  /** Endpoint URL: https://s3.eu-central-1.amazonaws.com, http://127.0.0.1:9000, … (a path prefix is kept). */
  endpoint: string;
  bucket: string;
  /** Object key (not encoded). */
  key: string;
  /** true: https://endpoint/bucket/key; false: https://bucket.endpoint/key (virtual-hosted style). */
  pathStyle: boolean;
}

/** The object's URL with its path S3-encoded (each key byte outside the unreserved set percent-encoded, '/' kept). */
export function s3ObjectUrl(loc: S3Location): URL {
  const base = new URL(loc.endpoint);
  const prefix = base.pathname.replace(/\/+$/, '');
  const key = uriEncode(loc.key, true);
  if (loc.pathStyle) {
    base.pathname = `${prefix}/${uriEncode(loc.bucket)}/${key}`;
  } else {
    base.hostname = `${loc.bucket}.${base.hostname}`;
    base.pathname = `${prefix}/${key}`;
  }
  base.search = '';
  base.hash = '';
  return base;
}
