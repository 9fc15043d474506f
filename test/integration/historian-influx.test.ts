/**
 * The InfluxDB historian connector and node against a local HTTP server that
 * speaks the InfluxDB write API (v1 /write, v2 /api/v2/write, /ping) and
 * parses every line it receives with the reference parser: escaping,
 * authentication headers, precision, 204 = stored, 400 partial write and
 * 401 = permanent, 503 with Retry-After = transient (buffered, then stored).
 */
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxHistorian } from '../../src/connectors/historian/influx';
import { historianDbSettings } from '../../src/connectors/historian/settings';
import { HistorianError } from '../../src/connectors/historian/types';
import { makeSample } from '../../src/model/sample';
import { until } from '../faults/harness';
import { capture, catcher, historianDb, historianOut, statusOf, TAB } from '../helpers/flows';
import { makeCerts } from '../helpers/mqtt';
import { parseLine, type ParsedLine } from '../helpers/line-protocol';
import { startTestRuntime, type TestRuntime } from '../helpers/runtime';

interface Received {
  path: string;
  query: Record<string, string>;
  auth: string | undefined;
  points: ParsedLine[];
}

const T0 = Date.UTC(2026, 0, 5, 8, 0, 0);
let server: http.Server;
let url = '';
let received: Received[] = [];
/** The next answers to give (status, body, headers); empty = 204. */
let answers: Array<{ status: number; body?: string; headers?: Record<string, string> }> = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      if (u.pathname.endsWith('/ping')) {
        res.writeHead(204).end();
        return;
      }
      const next = answers.shift();
      if (next && next.status !== 204) {
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(next.body ?? '');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      received.push({ path: u.pathname, query: Object.fromEntries(u.searchParams), auth: req.headers.authorization, points: body.split('\n').map(parseLine) });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

describe('InfluxDB connector against a local write API', () => {
  it('v2: POST /api/v2/write?org&bucket&precision with the token; every point parses back to the sample', async () => {
    received = [];
    const h = new InfluxHistorian({ url, api: 2, org: 'acme', bucket: 'plant', token: 's3cr3t', measurement: 'plant data', precision: 'ns' });
    await h.open();
    const evil = "x'); drop table t;--";
    await h.write(h.encode([makeSample(evil, 1.5, { sourceTimestamp: T0, asset: 'acme/hh,line 1', unit: 'm=s' }), makeSample('Line1/Run', true, { sourceTimestamp: T0 + 1 }), makeSample('Line1/Text', 'say "hi" \\ bye', { sourceTimestamp: T0 + 2 })]));
    await h.close();
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ path: '/api/v2/write', query: { org: 'acme', bucket: 'plant', precision: 'ns' }, auth: 'Token s3cr3t' });
    expect(received[0]!.points).toEqual([
      { measurement: 'plant data', tags: { asset: 'acme/hh,line 1', quality: 'good', tag: evil, unit: 'm=s' }, fields: { value: 1.5 }, timestamp: `${T0}000000` },
      { measurement: 'plant data', tags: { quality: 'good', tag: 'Line1/Run' }, fields: { value_bool: true }, timestamp: `${T0 + 1}000000` },
      { measurement: 'plant data', tags: { quality: 'good', tag: 'Line1/Text' }, fields: { value_text: 'say "hi" \\ bye' }, timestamp: `${T0 + 2}000000` },
    ]);
  });

  it('v1: POST /write?db&rp&precision with basic authentication', async () => {
    received = [];
    const h = new InfluxHistorian({ url, api: 1, database: 'plant', retentionPolicy: 'week', user: 'writer', password: 'pw', measurement: 'm', precision: 'ms' });
    await h.write(h.encode([makeSample('a', 2, { sourceTimestamp: T0 })]));
    await h.close();
    expect(received[0]).toMatchObject({ path: '/write', query: { db: 'plant', rp: 'week', precision: 'ms' }, auth: `Basic ${Buffer.from('writer:pw').toString('base64')}` });
    expect(received[0]!.points[0]).toEqual({ measurement: 'm', tags: { quality: 'good', tag: 'a' }, fields: { value: 2 }, timestamp: String(T0) });
  });

  it('400 partial write and 401 are permanent; 503 with Retry-After is transient', async () => {
    const h = new InfluxHistorian({ url, api: 2, org: 'o', bucket: 'b', token: 't', measurement: 'm', precision: 'ms' });
    const fail = (): Promise<HistorianError> => h.write(['m,tag=a value=1 1']).then(() => { throw new Error('expected a failure'); }, (e: HistorianError) => e);
    answers = [{ status: 400, body: '{"code":"invalid","message":"partial write: field type conflict: input field \\"value\\" on measurement \\"m\\" is type string, already exists as type float dropped=1"}' }];
    expect(await fail()).toMatchObject({ transient: false, code: 'influx-partial-write' });
    answers = [{ status: 401, body: '{"code":"unauthorized","message":"unauthorized access"}' }];
    expect((await fail()).message).toMatch(/401 not authorised: unauthorized access \(check the token/);
    answers = [{ status: 503, body: '{"message":"busy"}', headers: { 'retry-after': '2' } }];
    expect(await fail()).toMatchObject({ transient: true, retryAfterMs: 2000 });
    await h.close();
  });
});

describe('plantwire-historian-out → InfluxDB (real runtime, local write API)', () => {
  let rt: TestRuntime;
  beforeAll(async () => {
    rt = await startTestRuntime();
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('writes samples as points, buffers through a 503, and refuses a line break in a tag name to Catch', async () => {
    received = [];
    // Retry-After 2 s: the buffering lasts long enough to be shown (the sink's status is rate-limited to one update a second, so a retry within that second would only show the result).
    answers = [{ status: 503, body: '{"message":"overloaded"}', headers: { 'retry-after': '2' } }];
    await rt.deploy([
      TAB,
      { ...historianDb('db1', { kind: 'influx', url, api: '2', org: 'acme', bucket: 'plant' }), credentials: { token: 'tok' } },
      historianOut('out', 'db1'),
      { id: 'in', type: 'inject', z: 'tab1', props: [{ p: 'payload' }, { p: 'topic', vt: 'str' }], topic: 'Line1/Speed', payload: '12.5', payloadType: 'num', once: false, repeat: '', x: 50, y: 40, wires: [['out']] },
      catcher('c', ['out'], 'errors'),
      capture('errors'),
      statusOf('st', ['out'], 'status'),
      capture('status'),
    ]);
    await rt.admin('POST', '/inject/in');
    await until(() => rt.captured('status').some((c) => /^buffering 1 — /.test(c.msg.status?.text ?? '')), 'buffering after the 503', 20_000);
    await until(() => received.length === 1, 'written after the retry', 20_000);
    expect(received[0]!.auth).toBe('Token tok');
    expect(received[0]!.points).toEqual([{ measurement: 'plantwire', tags: { quality: 'good', tag: 'Line1/Speed' }, fields: { value: 12.5 }, timestamp: expect.stringMatching(/^\d{13}$/) }]);
    await rt.admin('POST', '/inject/in', { __user_inject_props__: [{ p: 'payload', v: '1', vt: 'num' }, { p: 'topic', v: 'bad\nname', vt: 'str' }] });
    await rt.waitFor('errors', 1);
    expect(rt.captured('errors')[0]!.msg.error.message).toMatch(/contains a line break, which InfluxDB line protocol cannot carry/);
    expect(received).toHaveLength(1);
  }, 60_000);
});

describe('InfluxDB over HTTPS with a custom CA', () => {
  it('writes with the CA from the connection (file path), refuses an unverifiable server without it', async () => {
    const certs = makeCerts();
    const got: string[] = [];
    const server = https.createServer({ key: fs.readFileSync(certs.serverKey), cert: fs.readFileSync(certs.serverCert) }, (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        if (req.url?.startsWith('/api/v2/write')) got.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const httpsUrl = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
    const make = (ca: string): InfluxHistorian => {
      const s = historianDbSettings({ kind: 'influx', url: httpsUrl, api: '2', org: 'o', bucket: 'b', ca }, { token: 't' });
      if (s.kind !== 'influx') throw new Error('expected influx');
      return new InfluxHistorian(s.influx);
    };
    try {
      const ok = make(certs.ca);
      await ok.open();
      await ok.write(ok.encode([makeSample('tls/a', 1, { sourceTimestamp: T0 })]));
      await ok.close();
      expect(got).toEqual([`plantwire,quality=good,tag=tls/a value=1 ${T0}`]);
      const untrusted = make('');
      const err = await untrusted.open().then(() => null, (e: unknown) => e as HistorianError);
      await untrusted.close();
      expect(err).toMatchObject({ transient: true });
      expect(err!.message).toMatch(/certificate/);
      expect(() => make('/no/such/ca.pem')).toThrow(/CA certificate: not PEM text and not a readable file/);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
      fs.rmSync(certs.dir, { recursive: true, force: true });
    }
  });
});
