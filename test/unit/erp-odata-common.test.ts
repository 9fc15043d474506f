/**
 * Pieces of the OData drivers that need no server: cookie jar, URI literals and
 * key predicates, repeatability ids, error JSON → text, multipart/mixed,
 * and the transient/permanent classification of failed answers.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientCredentialsToken, CookieJar, HttpClient, HttpError } from '../../src/connectors/http';
import {
  errorText,
  httpDate,
  joinMultipart,
  keyFromUri,
  keyPredicate,
  odataFailure,
  parseHttpMessage,
  parseODataError,
  repeatabilityRequestId,
  splitMultipart,
  uriLiteral,
  httpPart,
} from '../../src/connectors/erp/odata-common';
import { SapODataV2Driver, parseV2Metadata, parseV2MetadataKeys, toV2Json } from '../../src/connectors/erp/odata-v2';
import { ODataV4Driver } from '../../src/connectors/erp/odata-v4';
import { ErpBusinessError } from '../../src/connectors/erp/types';

describe('CookieJar', () => {
  it('keeps session cookies, honours Path and Max-Age, and forgets expired ones', () => {
    let now = 1_000_000;
    const jar = new CookieJar(() => now);
    jar.store(['SAP_SESSIONID_S4H_100=abc%3d; path=/; HttpOnly', 'sap-usercontext=sap-client=100; path=/', 'scoped=1; Path=/sap/opu; Max-Age=10']);
    expect(jar.header('http://h/sap/opu/odata/sap/X/')).toBe('scoped=1; SAP_SESSIONID_S4H_100=abc%3d; sap-usercontext=sap-client=100');
    expect(jar.header('/other')).toBe('SAP_SESSIONID_S4H_100=abc%3d; sap-usercontext=sap-client=100');
    expect(jar.header('/sap/opuX')).not.toContain('scoped');
    now += 11_000;
    expect(jar.header('/sap/opu/x')).not.toContain('scoped');
    jar.store('SAP_SESSIONID_S4H_100=gone; Max-Age=0; path=/');
    expect(jar.header('/')).toBe('sap-usercontext=sap-client=100');
    jar.store('SAP_SESSIONID_S4H_100=new; path=/');
    expect(jar.header('/')).toContain('SAP_SESSIONID_S4H_100=new');
  });
});

describe('ClientCredentialsToken with short-lived tokens', () => {
  it('reuses a 2-second token for its first half instead of fetching one per call', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: `t${Math.random()}`, token_type: 'bearer', expires_in: 2 }));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const client = new HttpClient({ timeoutMs: 2000 });
    try {
      let now = 1_000_000;
      const tok = new ClientCredentialsToken(client, { tokenUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/token`, clientId: 'a', clientSecret: 'b', now: () => now });
      const first = await tok.header();
      now += 900;
      expect(await tok.header()).toBe(first);
      expect(tok.fetches).toBe(1);
      now += 200; // past half of the lifetime, before expiry
      expect(await tok.header()).not.toBe(first);
      expect(tok.fetches).toBe(2);
    } finally {
      client.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('OData literals and keys', () => {
  it('formats URI literals for v2 and v4', () => {
    expect(uriLiteral("O'Neil", 2)).toBe("'O''Neil'");
    expect(uriLiteral(12.5, 2)).toBe('12.5M');
    expect(uriLiteral(12, 2)).toBe('12');
    expect(uriLiteral(true, 4)).toBe('true');
    expect(uriLiteral(new Date('2026-11-21T10:00:00Z'), 2)).toBe("datetime'2026-11-21T10:00:00'");
    expect(uriLiteral('8f1a2b3c-1111-2222-3333-444455556666', 4)).toBe('8f1a2b3c-1111-2222-3333-444455556666');
    expect(uriLiteral('8f1a2b3c-1111-2222-3333-444455556666', 2)).toBe("'8f1a2b3c-1111-2222-3333-444455556666'");
  });

  it('builds and reads key predicates (scalar and compound)', () => {
    expect(keyPredicate('10000001', 2)).toBe("('10000001')");
    expect(keyPredicate({ ConfirmationGroup: '0000050001', ConfirmationCount: '00000002' }, 2)).toBe("(ConfirmationGroup='0000050001',ConfirmationCount='00000002')");
    expect(() => keyPredicate(undefined, 2)).toThrow('this operation needs the document key, but none was given');
    expect(keyFromUri("http://h/X/ProdnOrdConf2(ConfirmationGroup='0000050001',ConfirmationCount='00000002')")).toEqual({ ConfirmationGroup: '0000050001', ConfirmationCount: '00000002' });
    expect(keyFromUri("http://h/X/MaintenanceNotification('10000001')")).toBe('10000001');
    expect(keyFromUri("Set('a,b''c')")).toBe("a,b'c");
    expect(keyFromUri('companies(42)')).toBe(42);
    expect(keyFromUri('http://h/no-key')).toBeUndefined();
  });

  it('derives a stable 32-hex Repeatability-Request-ID and an IMF date', () => {
    const a = repeatabilityRequestId('buffer-entry-17');
    expect(a).toMatch(/^[0-9A-F]{32}$/);
    expect(repeatabilityRequestId('buffer-entry-17')).toBe(a);
    expect(repeatabilityRequestId('buffer-entry-18')).not.toBe(a);
    expect(httpDate(new Date('2026-11-21T23:30:00Z'))).toBe('Sat, 21 Nov 2026 23:30:00 GMT');
  });
});

describe('OData errors', () => {
  it('reads SAP v2, OData v4 and XML error bodies into one sentence', () => {
    const sap = JSON.stringify({
      error: {
        code: 'RU/103',
        message: { lang: 'en', value: 'Order 4711 does not exist' },
        innererror: { errordetails: [{ code: 'RU/103', message: 'Order 4711 does not exist', severity: 'error' }, { code: 'RU/9', message: 'Check the order number', propertyref: 'OrderID', severity: 'error' }, { code: 'X', message: 'just info', severity: 'info' }] },
      },
    });
    const info = parseODataError(sap)!;
    expect(info.code).toBe('RU/103');
    expect(errorText(info)).toBe('Order 4711 does not exist; OrderID: Check the order number');
    const v4 = parseODataError(JSON.stringify({ error: { code: 'BadRequest_NotFound', message: 'The item does not exist.', details: [{ code: 'x', message: 'No Item 70000', target: 'itemNo' }] } }))!;
    expect(errorText(v4)).toBe('The item does not exist.; itemNo: No Item 70000');
    const xml = parseODataError('<?xml version="1.0"?><error xmlns="http://schemas.microsoft.com/ado/2007/08/dataservices/metadata"><code>SY/530</code><message xml:lang="en">Order &amp; more</message></error>')!;
    expect(xml).toEqual({ message: 'Order & more', code: 'SY/530', details: [] });
    expect(parseODataError('<html>nope</html>')).toBeNull();
  });

  it('classifies: 4xx business error, 401/403 permanent HttpError, 5xx/429 transient', () => {
    const body = JSON.stringify({ error: { code: 'C', message: { value: 'Locked by user KELLER' } } });
    const biz = odataFailure(400, {}, body, 'create X', 'SAP');
    expect(biz).toBeInstanceOf(ErpBusinessError);
    expect(biz.message).toBe('Locked by user KELLER (HTTP 400 C, create X)');
    const auth = odataFailure(403, {}, 'Forbidden', 'create X', 'SAP') as HttpError;
    expect(auth).toBeInstanceOf(HttpError);
    expect(auth.transient).toBe(false);
    const busy = odataFailure(503, {}, body, 'create X', 'SAP') as HttpError;
    expect(busy.transient).toBe(true);
    expect(busy.message).toContain('Locked by user KELLER');
    expect(odataFailure(412, {}, body, 'update X', 'SAP').message).toMatch(/^ETag conflict \(HTTP 412\)/);
  });
});

describe('OData v2 JSON values from $metadata types', () => {
  const edmx = `<edmx:Edmx Version="1.0"><edmx:DataServices><Schema Namespace="API_X_SRV">
    <EntityType Name="A_ConfType" sap:content-version="1"><Key><PropertyRef Name="Id"/></Key>
      <Property Name="Id" Type="Edm.String" Nullable="false" MaxLength="10"/>
      <Property Name="Qty" Type="Edm.Decimal" Precision="13" Scale="3"/>
      <Property Name="Big" Type="Edm.Int64"/>
      <Property Name="Count" Type="Edm.Int32"/>
      <Property Name="Final" Type="Edm.Boolean"/>
      <Property Name="Posted" Type="Edm.DateTime" Precision="0"/>
      <Property Name="Changed" Type="Edm.DateTimeOffset"/>
      <Property Name="Start" Type="Edm.Time"/>
      <NavigationProperty Name="to_Items" Relationship="x" FromRole="a" ToRole="b"/>
    </EntityType>
    <EntityContainer Name="C"><EntitySet Name="Conf" EntityType="API_X_SRV.A_ConfType" sap:creatable="true"/></EntityContainer>
  </Schema></edmx:DataServices></edmx:Edmx>`;

  it('reads property types per entity set', () => {
    const sets = parseV2Metadata(edmx);
    expect([...sets.keys()]).toEqual(['Conf']);
    expect(parseV2MetadataKeys(edmx).get('Conf')).toEqual(['Id']);
    expect(Object.fromEntries(sets.get('Conf')!)).toEqual({ Id: 'Edm.String', Qty: 'Edm.Decimal', Big: 'Edm.Int64', Count: 'Edm.Int32', Final: 'Edm.Boolean', Posted: 'Edm.DateTime', Changed: 'Edm.DateTimeOffset', Start: 'Edm.Time' });
  });

  it('converts mapped values to what SAP expects and leaves the rest alone', () => {
    const types = parseV2Metadata(edmx).get('Conf');
    expect(
      toV2Json({ Id: 4711, Qty: 12.5, Big: 9007199254740991, Count: '42', Final: 'true', Posted: '2026-11-23', Changed: '2026-11-23T10:00:00Z', Start: '7:05', Other: 1 }, types),
    ).toEqual({ Id: '4711', Qty: '12.5', Big: '9007199254740991', Count: 42, Final: true, Posted: '/Date(1795392000000)/', Changed: '/Date(1795428000000+0000)/', Start: 'PT07H05M00S', Other: 1 });
    expect(toV2Json({ Qty: '12.500', Posted: '/Date(1)/', Count: 'abc' }, types)).toEqual({ Qty: '12.500', Posted: '/Date(1)/', Count: 'abc' });
    expect(toV2Json({ Posted: new Date(5), Qty: 1 })).toEqual({ Posted: '/Date(5)/', Qty: 1 });
  });
});

describe('multipart/mixed', () => {
  it('round-trips a batch with a nested changeset', () => {
    const cs = joinMultipart([httpPart({ line: 'POST Set HTTP/1.1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' }, { 'content-id': '1' })], 'cs_1');
    const batch = joinMultipart([{ headers: { 'content-type': 'multipart/mixed; boundary=cs_1' }, body: cs }, httpPart({ line: "GET Set('x') HTTP/1.1", headers: {}, body: '' })], 'b_1');
    const parts = splitMultipart(batch, 'b_1');
    expect(parts).toHaveLength(2);
    const inner = splitMultipart(parts[0]!.body, 'cs_1');
    expect(inner[0]!.headers['content-id']).toBe('1');
    expect(parseHttpMessage(inner[0]!.body)).toEqual({ line: 'POST Set HTTP/1.1', headers: { 'content-type': 'application/json' }, body: '{"a":1}' });
    expect(parseHttpMessage(parts[1]!.body).line).toBe("GET Set('x') HTTP/1.1");
  });
});

describe('drivers against a failing server', () => {
  let server: http.Server;
  let base = '';
  let answer: (res: http.ServerResponse) => void = (res) => res.end();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => answer(res));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/sap/opu/odata/sap/API_X_SRV/`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const req = { operation: 'create' as const, entity: 'X', data: { a: 1 }, idempotencyKey: 'k1', firstSentAt: new Date() };

  it('503 with Retry-After and 429 are transient HttpErrors; a timeout too', async () => {
    const client = new HttpClient({ timeoutMs: 300 });
    try {
      const v4 = new ODataV4Driver({ kind: 'odata-v4', url: base, auth: 'none', timeoutMs: 300 }, client);
      answer = (res) => {
        res.writeHead(503, { 'retry-after': '7', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'Busy', message: 'Service temporarily unavailable' } }));
      };
      const e503 = (await v4.execute(req).catch((e: unknown) => e)) as HttpError;
      expect(e503).toBeInstanceOf(HttpError);
      expect(e503.transient).toBe(true);
      expect(e503.retryAfterMs).toBe(7000);
      expect(e503.message).toContain('Service temporarily unavailable');
      answer = (res) => {
        res.writeHead(429);
        res.end();
      };
      expect(((await v4.execute(req).catch((e: unknown) => e)) as HttpError).transient).toBe(true);
      answer = () => undefined; // never answers
      const t = (await v4.execute(req).catch((e: unknown) => e)) as HttpError;
      expect(t.transient).toBe(true);
      expect(t.message).toContain('no response within 300 ms');
    } finally {
      client.close();
    }
  });

  it('v2 refuses bad requests before sending and explains a non-OData answer', async () => {
    const client = new HttpClient({ timeoutMs: 1000 });
    try {
      const v2 = new SapODataV2Driver({ kind: 'sap-odata-v2', url: base, auth: 'none', timeoutMs: 1000 }, client);
      await expect(v2.execute({ ...req, data: [] as unknown as Record<string, unknown> })).rejects.toThrow('the document must be an object, got an array');
      await expect(v2.execute({ ...req, operation: 'update' })).rejects.toThrow('needs the document key');
      expect(() => new SapODataV2Driver({ kind: 'sap-odata-v2', url: base, auth: 'oauth2', timeoutMs: 1000 }, client)).toThrow('OAuth2 needs the token URL, client id and client secret');
      answer = (res) => {
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html>login page</html>');
      };
      await expect(v2.test()).rejects.toThrow('is not an OData service description');
      await expect(v2.query({ entity: 'X' })).rejects.toThrow(/expected JSON, got HTML page "login page" \(HTTP 200\)/);
    } finally {
      client.close();
    }
  });
});
