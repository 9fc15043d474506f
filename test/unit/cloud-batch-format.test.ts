import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  CSV_HEADER,
  TargetError,
  batchId,
  csvField,
  flatten,
  gzip,
  keyPatternProblems,
  nameUuid,
  recordAsset,
  recordSeq,
  renderKey,
  sanitizeKeySegment,
  toCsv,
  toJsonArray,
  toNdjson,
} from '../../src/connectors/cloud/batch-format';
import { S3Target, parseS3Error, s3SettingsProblems, type S3Settings } from '../../src/connectors/cloud/s3';
import { webhookSettingsProblems } from '../../src/connectors/cloud/webhook';
import type { CloudRecord } from '../../src/connectors/cloud/types';

const rec = (key: string, body: unknown, over: Partial<CloudRecord> = {}): CloudRecord => ({ key, ts: Date.UTC(2026, 0, 2, 3, 4, 5), body, ...over });

describe('batch formats', () => {
  it('NDJSON: one line per item, array payloads expanded', () => {
    expect(toNdjson([rec('q:1', { a: 1 }), rec('q:2', [1, 'x']), rec('q:3', null)])).toBe('{"a":1}\n1\n"x"\nnull\n');
    expect(toJsonArray([rec('q:1', { a: 1 }), rec('q:2', [1, 'x'])])).toBe('[{"a":1},1,"x"]');
  });

  it('a payload that cannot be JSON is a permanent error naming the record', () => {
    const circ: Record<string, unknown> = {};
    circ.self = circ;
    const err = (() => {
      try {
        toNdjson([rec('q:9', circ)]);
      } catch (e) {
        return e;
      }
    })() as TargetError;
    expect(err).toBeInstanceOf(TargetError);
    expect(err.transient).toBe(false);
    expect(err.message).toMatch(/record q:9 cannot be written as JSON/);
  });

  it('CSV quoting follows RFC 4180', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('cr\r')).toBe('"cr\r"');
    expect(csvField(' padded')).toBe('" padded"');
    expect(csvField(null)).toBe('');
    expect(csvField(Number.NaN)).toBe('NaN');
    expect(csvField(false)).toBe('false');
    expect(csvField({ x: [1, 'a,b'] })).toBe('"{""x"":[1,""a,b""]}"');
  });

  it('CSV guards against formula injection in text cells, not in numbers', () => {
    expect(csvField('=HYPERLINK("http://x","y")')).toBe('"\'=HYPERLINK(""http://x"",""y"")"');
    expect(csvField('+cmd')).toBe("'+cmd");
    expect(csvField('-2+3')).toBe("'-2+3");
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField(-1.5)).toBe('-1.5');
    expect(csvField('-1.5')).toBe('-1.5');
    expect(csvField('+4e3')).toBe('+4e3');
    const csv = toCsv([rec('q:1', { tag: '=T1', value: '=1+1', quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' })]);
    expect(csv).toBe(`${CSV_HEADER}\r\n2026-01-01T00:00:00.000Z,'=T1,'=1+1,good,,\r\n`);
  });

  it('CSV: samples one row each, other payloads flattened under the topic', () => {
    const csv = toCsv([
      rec('q:1', { tag: 'T1', value: 1.5, quality: 'uncertain', sourceTimestamp: '2026-01-01T00:00:00.000Z', unit: 'bar' }, { asset: 'a/b' }),
      rec('q:2', [{ x: 1 }, 5], { topic: 'm' }),
    ]);
    expect(csv.split('\r\n')).toEqual([CSV_HEADER, '2026-01-01T00:00:00.000Z,T1,1.5,uncertain,a/b,bar', '2026-01-02T03:04:05.000Z,m/0.x,1,,,', '2026-01-02T03:04:05.000Z,m/1,5,,,', '']);
    expect(flatten({ a: { b: [1, { c: 2 }] }, e: {} })).toEqual([
      ['a.b.0', 1],
      ['a.b.1.c', 2],
      ['e', {}],
    ]);
  });

  it('gzip round-trips', async () => {
    expect(zlib.gunzipSync(await gzip('héllo')).toString('utf8')).toBe('héllo');
  });
});

describe('batch identity and keys', () => {
  it('uuid and seq are deterministic from the first record key', () => {
    expect(nameUuid('n:1')).toBe(nameUuid('n:1'));
    expect(nameUuid('n:1')).not.toBe(nameUuid('n:2'));
    expect(nameUuid('n:1')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(recordSeq('abc:42')).toBe('ba7816bf-000000000042');
    expect(recordSeq('abd:42')).not.toBe(recordSeq('abc:42'));
    expect(recordSeq('abc:42-3')).toBe('ba7816bf-000000000042-3');
    expect(recordSeq('no-number')).toMatch(/^[0-9a-f]{8}-[0-9a-f]{12}$/);
  });

  it('batchId covers first key, last key and size', () => {
    const a = [rec('q:1', 1), rec('q:2', 2)];
    expect(batchId(a)).toBe(batchId([rec('q:1', 9), rec('q:2', 9)]));
    expect(batchId(a)).not.toBe(batchId([...a, rec('q:3', 3)]));
    expect(batchId(a)).not.toBe(batchId([rec('q:1', 1)]));
  });

  it('renders the placeholders in UTC from the first record', () => {
    const parts = { ts: Date.UTC(2026, 0, 2, 3, 4, 5), asset: 'Acme/Köln/Linie 1', firstKey: 'n:7' };
    expect(renderKey('/x/{asset}/{yyyy}/{MM}/{dd}/{HH}/{mm}-{seq}-{uuid}.csv', parts)).toBe(`x/Acme/Koln/Linie_1/2026/01/02/03/04-1b16b1df-000000000007-${nameUuid('n:7')}.csv`);
  });

  it('sanitises assets for keys', () => {
    expect(sanitizeKeySegment('a/../b/./c//d e?')).toBe('a/b/c/d_e_');
    expect(sanitizeKeySegment('')).toBe('_unknown');
    expect(sanitizeKeySegment('..')).toBe('_unknown');
    expect(recordAsset(rec('q:1', [{ tag: 't', value: 1, asset: 'from/sample' }]))).toBe('from/sample');
    expect(recordAsset(rec('q:1', { tag: 't', value: 1, asset: 'x' }, { asset: 'record' }))).toBe('record');
  });

  it('reports key pattern problems', () => {
    expect(keyPatternProblems('a/{yyyy}/{seq}.ndjson')).toEqual([]);
    expect(keyPatternProblems('')).toEqual(['the key pattern is empty']);
    expect(keyPatternProblems('a/{yyyy}.ndjson')[0]).toMatch(/needs \{uuid\} or \{seq\}/);
    expect(keyPatternProblems('a/{date}/{uuid}')[0]).toMatch(/unknown placeholder \{date\}/);
    expect(keyPatternProblems('a/{uuid}}')[0]).toMatch(/stray brace/);
  });
});

describe('S3 error parsing', () => {
  const res = (status: number, xml: string, headers: Record<string, string> = {}): Parameters<typeof parseS3Error>[0] => ({ status, body: Buffer.from(xml), header: (n: string) => headers[n.toLowerCase()] });
  it('reads code, message, bucket and classifies', () => {
    const e = parseS3Error(res(404, '<?xml version="1.0"?><Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message><BucketName>plant</BucketName></Error>'));
    expect(e).toEqual({ code: 'NoSuchBucket', message: 'The specified bucket does not exist (bucket "plant") — create the bucket or fix the bucket name', transient: false });
    expect(parseS3Error(res(403, '<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>')).transient).toBe(false);
    expect(parseS3Error(res(400, '<Error><Code>AuthorizationHeaderMalformed</Code><Message>bad region &apos;x&apos;</Message><Region>eu-west-1</Region></Error>')).message).toBe(
      "bad region 'x' (the bucket's region is eu-west-1) — check the region of the bucket",
    );
  });
  it('SlowDown and 5xx are transient, with Retry-After or a default pause for SlowDown', () => {
    expect(parseS3Error(res(503, '<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>'))).toMatchObject({ transient: true, retryAfterMs: 1000 });
    expect(parseS3Error(res(503, '<Error><Code>SlowDown</Code><Message>Reduce</Message></Error>', { 'retry-after': '7' }))).toMatchObject({ retryAfterMs: 7000 });
    expect(parseS3Error(res(500, '<Error><Code>InternalError</Code><Message>x</Message></Error>')).transient).toBe(true);
    expect(parseS3Error(res(400, '<Error><Code>RequestTimeTooSkewed</Code><Message>x</Message></Error>')).transient).toBe(true);
    expect(parseS3Error(res(502, ''))).toMatchObject({ code: 'HTTP502', transient: true });
    expect(parseS3Error(res(409, 'not xml'))).toMatchObject({ code: 'HTTP409', message: 'not xml', transient: false });
  });
});

describe('target settings', () => {
  const s3 = (over: Partial<S3Settings>): S3Settings => ({
    endpoint: '',
    region: 'eu-central-1',
    bucket: 'plant-data',
    pathStyle: false,
    accessKeyId: 'AK',
    secretAccessKey: 'SK',
    keyPattern: 'p/{seq}',
    format: 'ndjson',
    gzip: false,
    flushCount: 1,
    flushBytes: 0,
    flushMs: 0,
    timeoutMs: 1000,
    ...over,
  });
  it('S3 endpoint defaults: AWS of the region, https when the scheme is missing', async () => {
    const urls = [s3({}), s3({ region: 'us-east-1' }), s3({ endpoint: 'minio.local:9000', pathStyle: true, region: 'us-east-1' })].map((o) => {
      const t = new S3Target(o);
      const u = t.objectUrl('a/b c.ndjson').href;
      void t.close();
      return u;
    });
    expect(urls).toEqual(['https://plant-data.s3.eu-central-1.amazonaws.com/a/b%20c.ndjson', 'https://plant-data.s3.amazonaws.com/a/b%20c.ndjson', 'https://minio.local:9000/plant-data/a/b%20c.ndjson']);
  });
  it('S3 and webhook settings problems are listed in words', () => {
    expect(s3SettingsProblems(s3({}))).toEqual([]);
    expect(s3SettingsProblems(s3({ accessKeyId: '', secretAccessKey: '', region: 'EU', format: 'xml' as 'csv', endpoint: 'ftp://x' }))).toEqual([
      'region "EU" is not valid (e.g. eu-central-1; MinIO: us-east-1)',
      'endpoint ftp://x must be http:// or https://',
      'the access key id is missing',
      'the secret access key is missing',
      'format must be ndjson or csv, got "xml"',
    ]);
    const ok = { url: 'https://r.example.com/in', method: 'POST' as const, headers: {}, format: 'json' as const, gzip: false, flushCount: 1, flushBytes: 0, flushMs: 0, timeoutMs: 1000 };
    expect(webhookSettingsProblems(ok)).toEqual([]);
    expect(webhookSettingsProblems({ ...ok, method: 'GET' as 'POST', authHeaderName: 'Bad Name', authHeaderValue: 'x' })).toEqual(['method must be POST, PUT or PATCH, got "GET"', 'auth header name "Bad Name" is not valid']);
    expect(webhookSettingsProblems({ ...ok, headers: { 'X-A': 'line\nbreak' } })).toEqual(['header X-A must be a one-line text']);
  });
});
