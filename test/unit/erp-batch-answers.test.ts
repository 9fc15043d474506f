/**
 * `$batch` answers are matched to documents by Content-ID (v2 multipart) or id
 * (v4 JSON), never by position: a short answer (a server that stops at the
 * first failed changeset, answers out of order, or loses part of the answer)
 * leaves the unanswered documents "outcome unknown" (ErpOutcomeUnknown, to be
 * retried with the same idempotency key), the answered ones answered or
 * refused. Also: v4 values converted by $metadata types, error texts with the
 * field and the status, HTML pages summarised to their title.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { erpSettings, openErp, ErpBusinessError, ErpOutcomeUnknown, type ErpConnection, type ErpRequest } from '../../src/connectors/erp/index';
import { boundaryOf, errorText, htmlSummary, joinMultipart, parseHttpMessage, parseODataError, splitMultipart, httpPart } from '../../src/connectors/erp/odata-common';
import { toV4Json } from '../../src/connectors/erp/odata-v4';

let server: http.Server | undefined;
let conn: ErpConnection | undefined;
afterEach(async () => {
  conn?.close();
  conn = undefined;
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  server = undefined;
});

const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

async function serve(handler: (req: { method: string; url: string; headers: http.IncomingHttpHeaders; body: string }, res: http.ServerResponse) => void): Promise<string> {
  seen.length = 0;
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      handler(r, res);
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/svc/`;
}

const doc = (i: number): ErpRequest => ({ operation: 'create', entity: 'Things', data: { Name: `n${i}` }, idempotencyKey: `key-${i}`, firstSentAt: new Date() });

describe('v2 $batch answers matched by Content-ID', () => {
  it('answers out of order and short: answered documents get their own answer, the missing ones are outcome unknown', async () => {
    const url = await serve((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'content-type': 'application/xml' });
        return res.end('<edmx:Edmx Version="1.0"><EntityType Name="Thing"><Key><PropertyRef Name="Id"/></Key><Property Name="Id" Type="Edm.String"/></EntityType><EntitySet Name="Things" EntityType="ns.Thing"/></edmx:Edmx>');
      }
      // Answer changesets 3 (refused) and 1 (created), in that order; 2 and 4 get no answer.
      const parts = splitMultipart(req.body, boundaryOf(req.headers['content-type'])!);
      const cid = (n: number): string => splitMultipart(parts[n - 1]!.body, boundaryOf(parts[n - 1]!.headers['content-type'])!)[0]!.headers['content-id']!;
      const created = (n: number) => {
        const body = JSON.stringify({ d: { Id: `T${n}`, __metadata: { uri: `Things('T${n}')` } } });
        return { headers: { 'content-type': 'multipart/mixed; boundary=cs' }, body: joinMultipart([httpPart({ line: 'HTTP/1.1 201 Created', headers: { 'content-type': 'application/json', 'content-id': cid(n) }, body })], 'cs') };
      };
      const refused = httpPart({ line: 'HTTP/1.1 400 Bad Request', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error: { code: 'X', message: { value: 'Name too long' }, target: 'Name' } }) }, { 'content-id': cid(3) });
      res.writeHead(202, { 'content-type': 'multipart/mixed; boundary=ab' });
      res.end(joinMultipart([refused, created(1)], 'ab'));
    });
    conn = openErp(erpSettings({ kind: 'sap-odata-v2', url, timeout: 5 }));
    const out = await conn.driver.executeBatch([doc(1), doc(2), doc(3), doc(4)]);
    expect(out[0]).toMatchObject({ key: 'T1', status: 201 });
    expect(out[1]).toBeInstanceOf(ErpOutcomeUnknown);
    expect(out[2]).toBeInstanceOf(ErpBusinessError);
    expect((out[2] as ErpBusinessError).message).toMatch(/^Name: Name too long \(HTTP 400 X/);
    expect(out[3]).toBeInstanceOf(ErpOutcomeUnknown);
    const batch = seen.find((r) => r.method === 'POST')!;
    expect(batch.headers.prefer).toBe('odata.continue-on-error');
    // Each changeset carries its own Content-ID.
    const ids = splitMultipart(batch.body, boundaryOf(batch.headers['content-type'])!).map((p) => splitMultipart(p.body, boundaryOf(p.headers['content-type'])!)[0]!.headers['content-id']);
    expect(new Set(ids).size).toBe(4);
    expect(parseHttpMessage(splitMultipart(splitMultipart(batch.body, boundaryOf(batch.headers['content-type'])!)[0]!.body, boundaryOf(splitMultipart(batch.body, boundaryOf(batch.headers['content-type'])!)[0]!.headers['content-type'])!)[0]!.body).headers['repeatability-request-id']).toMatch(/^[0-9A-F]{32}$/);
  });
});

describe('v4 JSON $batch answers matched by id', () => {
  it('a short answer leaves the unanswered documents outcome unknown', async () => {
    const url = await serve((req, res) => {
      if (req.method === 'GET') {
        res.writeHead(404);
        return res.end();
      }
      const j = JSON.parse(req.body) as { requests: Array<{ id: string }> };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ responses: [{ id: j.requests[1]!.id, status: 201, body: { Id: 'B' } }] }));
    });
    conn = openErp(erpSettings({ kind: 'odata-v4', url, timeout: 5 }));
    const out = await conn.driver.executeBatch([doc(1), doc(2)]);
    expect(out[0]).toBeInstanceOf(ErpOutcomeUnknown);
    expect(out[1]).toMatchObject({ status: 201, document: { Id: 'B' } });
    expect(seen.find((r) => r.method === 'POST')!.headers.prefer).toBe('odata.continue-on-error');
  });
});

describe('OData v4 values converted by $metadata types', () => {
  it('dates, date-times, text and numbers as the property types want them', () => {
    const types = new Map([
      ['Start', 'Edm.Date'],
      ['At', 'Edm.DateTimeOffset'],
      ['Equipment', 'Edm.String'],
      ['Prio', 'Edm.Int32'],
      ['Qty', 'Edm.Decimal'],
      ['Ok', 'Edm.Boolean'],
      ['Shift', 'Edm.TimeOfDay'],
    ]);
    expect(toV4Json({ Start: '2026-12-05T00:00:00Z', At: Date.UTC(2026, 11, 5), Equipment: 1000104, Prio: '2', Qty: '2.5', Ok: 'true', Shift: '06:00', Other: 'as is' }, types)).toEqual({
      Start: '2026-12-05',
      At: '2026-12-05T00:00:00.000Z',
      Equipment: '1000104',
      Prio: 2,
      Qty: 2.5,
      Ok: true,
      Shift: '06:00:00',
      Other: 'as is',
    });
    expect(toV4Json({ Start: '2026-12-05', At: '2026-12-05T10:00:00+01:00' }, types)).toEqual({ Start: '2026-12-05', At: '2026-12-05T10:00:00+01:00' });
  });
});

describe('error texts', () => {
  it('name the field(s) of CAP and SAP errors', () => {
    expect(errorText(parseODataError('{"error":{"message":"Provide the missing value.","code":"ASSERT_MANDATORY","target":"NotificationText"}}')!)).toBe('NotificationText: Provide the missing value.');
    const multi = parseODataError(JSON.stringify({ error: { message: 'Multiple errors occurred, see details below.', details: [{ message: 'Value 2026-12-05T00:00:00Z is not a valid Date', target: 'RequiredStart' }, { message: 'Value 1000104 is not a valid String(12)', target: 'Equipment' }] } }))!;
    expect(errorText(multi)).toBe('RequiredStart: Value 2026-12-05T00:00:00Z is not a valid Date; Equipment: Value 1000104 is not a valid String(12)');
    // SAP's placeholder target is no field.
    expect(errorText(parseODataError('{"error":{"message":{"value":"Precondition Required"},"target":"/#TRANSIENT#"}}')!)).toBe('Precondition Required');
  });

  it('summarise an HTML page to its title (and heading when the title says nothing)', () => {
    expect(htmlSummary('<!DOCTYPE html><html><head><title>Error</title></head><body><pre>Cannot GET /nope/</pre></body></html>')).toBe('HTML page "Error — Cannot GET /nope/"');
    expect(htmlSummary('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>')).toBe('HTML page "502 Bad Gateway"');
    expect(htmlSummary('{"json": true}')).toBeNull();
  });
});
