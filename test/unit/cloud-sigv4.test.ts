/**
 * SigV4 against the published examples of the Amazon S3 documentation
 * "Signature Calculations for the Authorization Header: Transferring Payload
 * in a Single Chunk (AWS Signature Version 4)": credentials
 * AKIAIOSFODNN7EXAMPLE / wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, bucket
 * examplebucket, 2013-05-24T00:00:00Z, us-east-1. The expected signatures
 * and strings to sign are the documented ones.
 */
import { describe, expect, it } from 'vitest';
import { EMPTY_SHA256, amzDate, canonicalQuery, s3ObjectUrl, sha256Hex, signRequest, uriEncode } from '../../src/connectors/cloud/sigv4';

const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const opts = { credentials, region: 'us-east-1', date: new Date('2013-05-24T00:00:00Z') };
const host = 'https://examplebucket.s3.amazonaws.com';

describe('SigV4: the AWS S3 documentation examples', () => {
  it('GET Object (Range header, empty payload)', () => {
    const s = signRequest({ method: 'GET', url: `${host}/test.txt`, headers: { Range: 'bytes=0-9' } }, opts);
    expect(s.canonicalRequest).toBe(
      ['GET', '/test.txt', '', 'host:examplebucket.s3.amazonaws.com', 'range:bytes=0-9', `x-amz-content-sha256:${EMPTY_SHA256}`, 'x-amz-date:20130524T000000Z', '', 'host;range;x-amz-content-sha256;x-amz-date', EMPTY_SHA256].join('\n'),
    );
    expect(s.stringToSign).toBe('AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
    expect(s.signature).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    expect(s.headers.authorization).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('PUT Object (key with $, storage class, signed payload)', () => {
    const body = 'Welcome to Amazon S3.';
    const hash = sha256Hex(body);
    expect(hash).toBe('44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
    const url = s3ObjectUrl({ endpoint: 'https://s3.amazonaws.com', bucket: 'examplebucket', key: 'test$file.text', pathStyle: false });
    expect(url.href).toBe(`${host}/test%24file.text`);
    const s = signRequest({ method: 'PUT', url, headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' }, payloadHash: hash }, opts);
    expect(s.canonicalRequest.split('\n').slice(0, 2)).toEqual(['PUT', '/test%24file.text']);
    expect(s.stringToSign).toBe('AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d');
    expect(s.signedHeaders).toBe('date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class');
    expect(s.signature).toBe('98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
  });

  it('GET Bucket Lifecycle (sub-resource without value)', () => {
    const s = signRequest({ method: 'GET', url: `${host}/?lifecycle` }, opts);
    expect(s.canonicalRequest.split('\n').slice(0, 3)).toEqual(['GET', '/', 'lifecycle=']);
    expect(s.signature).toBe('fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  });

  it('GET Bucket (List Objects): query parameters sorted', () => {
    const s = signRequest({ method: 'GET', url: `${host}/?prefix=J&max-keys=2` }, opts);
    expect(s.canonicalRequest.split('\n')[2]).toBe('max-keys=2&prefix=J');
    expect(s.signature).toBe('34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
  });

  it('a different secret, region or body gives a different signature', () => {
    const base = signRequest({ method: 'GET', url: `${host}/test.txt`, headers: { Range: 'bytes=0-9' } }, opts).signature;
    expect(signRequest({ method: 'GET', url: `${host}/test.txt`, headers: { Range: 'bytes=0-9' } }, { ...opts, credentials: { ...credentials, secretAccessKey: 'x' } }).signature).not.toBe(base);
    expect(signRequest({ method: 'GET', url: `${host}/test.txt`, headers: { Range: 'bytes=0-9' } }, { ...opts, region: 'eu-central-1' }).signature).not.toBe(base);
    expect(signRequest({ method: 'GET', url: `${host}/test.txt`, headers: { Range: 'bytes=0-9' }, payloadHash: sha256Hex('x') }, opts).signature).not.toBe(base);
  });
});

describe('SigV4 details', () => {
  it('signs the session token of temporary credentials', () => {
    const s = signRequest({ method: 'PUT', url: `${host}/a` }, { ...opts, credentials: { ...credentials, sessionToken: 'FQoGZXIvYXdzE//token=' } });
    expect(s.headers['x-amz-security-token']).toBe('FQoGZXIvYXdzE//token=');
    expect(s.signedHeaders).toBe('host;x-amz-content-sha256;x-amz-date;x-amz-security-token');
    expect(s.canonicalRequest).toContain('\nx-amz-security-token:FQoGZXIvYXdzE//token=\n');
  });

  it('does not sign content-length or user-agent, trims and folds header values', () => {
    const s = signRequest({ method: 'PUT', url: `${host}/a`, headers: { 'Content-Length': '5', 'User-Agent': 'x', 'X-Amz-Meta-Note': '  a   b  ' } }, opts);
    expect(s.signedHeaders).toBe('host;x-amz-content-sha256;x-amz-date;x-amz-meta-note');
    expect(s.canonicalRequest).toContain('\nx-amz-meta-note:a b\n');
  });

  it('encodes keys the S3 way', () => {
    expect(uriEncode('a b+c/d~e_f.g-h', true)).toBe('a%20b%2Bc/d~e_f.g-h');
    expect(uriEncode('a/b')).toBe('a%2Fb');
    expect(uriEncode("ä!*'()")).toBe('%C3%A4%21%2A%27%28%29');
    expect(canonicalQuery(new URL('http://h/?b=2&a=x%20y&a=1'))).toBe('a=1&a=x%20y&b=2');
    expect(amzDate(new Date('2026-01-02T03:04:05.678Z'))).toBe('20260102T030405Z');
  });

  it('builds path-style and virtual-hosted URLs, keeping an endpoint port and path prefix', () => {
    expect(s3ObjectUrl({ endpoint: 'http://127.0.0.1:9000', bucket: 'plant', key: 'a b/c.ndjson', pathStyle: true }).href).toBe('http://127.0.0.1:9000/plant/a%20b/c.ndjson');
    expect(s3ObjectUrl({ endpoint: 'https://s3.eu-central-1.amazonaws.com', bucket: 'plant', key: 'x/y.csv', pathStyle: false }).href).toBe('https://plant.s3.eu-central-1.amazonaws.com/x/y.csv');
    expect(s3ObjectUrl({ endpoint: 'https://gw.example.com/s3/', bucket: 'b', key: 'k', pathStyle: true }).href).toBe('https://gw.example.com/s3/b/k');
  });
});
