/**
 * The ERP pieces that need no server: connection settings, the sink's and the
 * query's fields, REST path templates and keys, REST error bodies, paging
 * links and Location keys, the idempotency key, and the bundle rules.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { nodeRule } from '../../src/bundle/rules';
import { localizeDemo } from '../../src/host/workspace';
import { erpConnectionFields } from '../../src/connectors/erp/fields';
import { erpSettings } from '../../src/connectors/erp/index';
import { fieldOk } from '../../src/model/fields';
import { documentKey, documentOf, erpOutSettings, erpQuerySettings, fillEntity, idempotencyKey } from '../../src/connectors/erp/node-settings';
import { CONNECTION_KIND } from '../../src/connectors/erp/out-fields';
import { jsonataSyntaxError } from '../../src/model/jsonata-syntax';
import { spec as erpOutSpec } from '../../nodes/plantwire-erp-out/fields';
import { joinUrl, keyFromLocation, restErrorText, restNextLink, restRows } from '../../src/connectors/erp/rest';
import type { HttpResponse } from '../../src/connectors/http';

function res(status: number, body: unknown, headers: Record<string, string> = {}, url = 'http://erp.local/api/orders'): HttpResponse {
  const buf = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  return { status, headers, body: buf, url, text: () => buf.toString(), json: <T>() => JSON.parse(buf.toString()) as T, header: (n: string) => headers[n.toLowerCase()] };
}

describe('erpSettings (the connection dialog)', () => {
  it('accepts a SAP connection and turns the timeout into ms', () => {
    expect(erpSettings({ kind: 'sap-odata-v2', url: 'https://s4.example.com/sap/opu/odata/sap/API_MAINTNOTIFICATION/', sapClient: '100', auth: 'basic', timeout: '12.5' }, { user: 'U', password: 'P' })).toEqual({
      kind: 'sap-odata-v2',
      url: 'https://s4.example.com/sap/opu/odata/sap/API_MAINTNOTIFICATION/',
      sapClient: '100',
      auth: 'basic',
      user: 'U',
      password: 'P',
      timeoutMs: 12_500,
    });
  });

  it.each([
    [{ kind: 'sap', url: 'http://x' }, {}, /^system must be one of sap-odata-v2, odata-v4, odoo, rest/],
    [{ kind: 'rest', url: '' }, {}, /^URL is empty/],
    [{ kind: 'rest', url: 'ftp://x/' }, {}, /must start with http:\/\/ or https:\/\//],
    [{ kind: 'sap-odata-v2', url: 'http://x/', sapClient: '1000' }, {}, /^SAP client must be three digits/],
    [{ kind: 'odoo', url: 'http://x/' }, { user: 'a', password: 'b' }, /^database is empty/],
    [{ kind: 'odoo', url: 'http://x/', database: 'd' }, { user: 'a' }, /Odoo needs a user and a password or API key/],
    [{ kind: 'rest', url: 'http://x/', auth: 'oauth2', tokenUrl: 'http://x/token' }, { clientId: 'c' }, /^OAuth2 needs a client ID and a client secret/],
    [{ kind: 'rest', url: 'http://x/', auth: 'oauth2' }, { clientId: 'c', clientSecret: 's' }, /^token URL is empty/],
    [{ kind: 'rest', url: 'http://x/', auth: 'apikey' }, {}, /^API key authentication needs the API key/],
    [{ kind: 'rest', url: 'http://x/', headers: '{"a": 1' }, {}, /^headers must be a JSON object/],
    [{ kind: 'rest', url: 'http://x/', headers: '["a"]' }, {}, /^headers must be a JSON object/],
    [{ kind: 'rest', url: 'http://x/', timeout: '0' }, {}, /^timeout must be between 0\.1 and 600 seconds/],
    [{ kind: 'rest', url: 'http://x/', ca: 'not pem' }, {}, /^CA certificate must be PEM text/],
  ])('refuses %j naming the field', (config, creds, message) => {
    expect(() => erpSettings(config, creds)).toThrow(message);
  });

  it('the dialog refuses by the same spec (src/connectors/erp/fields.ts), in the mode the field counts in', () => {
    const f = erpConnectionFields.fields;
    const sap = { kind: 'sap-odata-v2', auth: 'basic' };
    expect(fieldOk(f.url, 'https://erp.example.com/odata/', sap)).toBe(true);
    expect(fieldOk(f.url, 'ftp://erp.example.com/', sap)).toBe(false);
    expect(fieldOk(f.url, 'https://erp example/', sap)).toBe(false);
    expect(fieldOk(f.sapClient, '1000', sap)).toBe(false);
    expect(fieldOk(f.sapClient, '1000', { ...sap, kind: 'rest' })).toBe(true);
    expect(fieldOk(f.database, '', { kind: 'odoo' })).toBe(false);
    expect(fieldOk(f.database, '', sap)).toBe(true);
    expect(fieldOk(f.tokenUrl, '', { kind: 'rest', auth: 'oauth2' })).toBe(false);
    expect(fieldOk(f.tokenUrl, '', { kind: 'odoo', auth: 'oauth2' })).toBe(true);
    expect(fieldOk(f.apiKeyHeader, 'x key', { kind: 'rest', auth: 'apikey' })).toBe(false);
    expect(fieldOk(f.headers, '{"x-tenant": "acme"}', sap)).toBe(true);
    expect(fieldOk(f.headers, '["a"]', sap)).toBe(false);
    expect(fieldOk(f.timeout, '0.05', sap)).toBe(false);
    expect(fieldOk(f.timeout, '', sap)).toBe(true);
    expect(fieldOk(f.ca, 'not pem', sap)).toBe(false);
    expect(erpSettings({ kind: 'rest', url: 'http://x/', timeout: '' }).timeoutMs).toBe(30_000);
    expect(() => erpSettings({ kind: 'rest', url: 'http://x/', auth: 'apikey', apiKeyHeader: 'x key' }, { apiKey: 'k' })).toThrow('API key header "x key" is not a valid header name');
    expect(() => erpSettings({ kind: 'rest', url: 'http://x/', auth: 'kerberos' })).toThrow('authentication must be one of none, basic, oauth2, apikey, got "kerberos"');
    expect(() => erpSettings({ url: 'http://x/' })).toThrow(/^system must be one of sap-odata-v2, odata-v4, odoo, rest, got undefined/);
  });

  it('keeps extra headers (lower-cased), the API key header and the TLS options', () => {
    const s = erpSettings({ kind: 'rest', url: 'http://x/', auth: 'apikey', apiKeyHeader: 'X-Key', headers: '{"X-Tenant": "acme", "X-Version": 2}', rejectUnauthorized: false }, { apiKey: 'k' });
    expect(s.headers).toEqual({ 'x-tenant': 'acme', 'x-version': '2' });
    expect(s.apiKeyHeader).toBe('X-Key');
    expect(s.tls).toEqual({ rejectUnauthorized: false });
  });
});

describe('erp-out and erp-query fields', () => {
  it('defaults and checks', () => {
    expect(erpOutSettings({ entity: 'ProdnOrdConf2', mapping: 'payload' })).toMatchObject({ operation: 'create', batchSize: 1, batchMs: 0 });
    expect(() => erpOutSettings({ entity: '' })).toThrow(/^entity is empty/);
    expect(() => erpOutSettings({ entity: 'X', operation: 'merge', mapping: 'payload' })).toThrow(/^operation must be one of/);
    expect(() => erpOutSettings({ entity: 'X', operation: 'update', mapping: 'payload' })).toThrow(/^update needs the document key/);
    expect(() => erpOutSettings({ entity: 'orders/{key}', operation: 'update', mapping: 'payload' }, 'rest')).not.toThrow();
    expect(() => erpOutSettings({ entity: 'orders/{key}', mapping: 'payload' }, 'sap-odata-v2')).toThrow(/placeholders\} are for REST paths/);
    expect(() => erpOutSettings({ entity: 'X', operation: 'action', mapping: '{}' }, 'odoo')).toThrow(/^action is empty/);
    expect(() => erpOutSettings({ entity: 'X', mapping: 'payload', batchSize: '0' })).toThrow(/^batch size must be at least 1/);
    expect(() => erpOutSettings({ entity: 'X', mapping: '' })).toThrow(/^mapping is empty/);
    expect(() => erpOutSettings({ entity: 'a/{b c}', mapping: 'payload' })).toThrow(/placeholder \{b c\} must name a field/);
  });

  it('the field spec: the dialog\'s rules without the connection, the runtime\'s with its system', () => {
    const f = erpOutSpec.fields;
    // Version, property names and dialog defaults as before the spec (no migration): keyType defaults to jsonata.
    expect(erpOutSpec.version).toBe(2);
    expect(Object.fromEntries(Object.entries(f).map(([k, v]) => [k, v.default]))).toMatchObject({ operation: 'create', entity: '', entityType: 'str', key: '', keyType: 'jsonata', action: '', mapping: 'payload', externalKeyField: '', batchSize: 1, batchMs: 0, bufferMode: 'disk', bufferOverflow: 'reject' });
    // A key not needed, or carried by a REST path (or a connection the dialog does not know) with {placeholders} or read per message.
    expect(fieldOk(f.key, '', { operation: 'create', entity: 'X' })).toBe(true);
    expect(fieldOk(f.key, '', { operation: 'update', entity: 'X' })).toBe(false);
    expect(fieldOk(f.key, '', { operation: 'delete', entity: 'orders/{key}' })).toBe(true);
    expect(fieldOk(f.key, '', { operation: 'update', entity: 'path', entityType: 'msg' })).toBe(true);
    expect(fieldOk(f.key, '', { operation: 'update', entity: 'path', entityType: 'msg', [CONNECTION_KIND]: 'odoo' })).toBe(false);
    expect(fieldOk(f.key, '', { operation: 'update', entity: 'X', keyType: 'msg' })).toBe(false);
    expect(() => erpOutSettings({ entity: 'orders/{key}', operation: 'update', key: '', mapping: 'payload' }, 'rest')).not.toThrow();
    expect(() => erpOutSettings({ entity: 'X', operation: 'delete', mapping: 'payload' }, 'rest')).toThrow('delete needs the document key: enter a key expression (e.g. payload.order) or put {placeholders} in the path');
    // The source of the key: none saved is JSONata (flows before version 2); an unknown one names the choices.
    expect(erpOutSettings({ entity: 'X', key: 'payload.order', mapping: 'payload' })).toMatchObject({ key: 'payload.order', keyType: 'jsonata' });
    expect(erpOutSettings({ entity: 'X', key: 'order', keyType: 'flow', mapping: 'payload' })).toMatchObject({ key: 'order', keyType: 'flow' });
    expect(() => erpOutSettings({ entity: 'X', key: 'k', keyType: 'jsonnet', mapping: 'payload' })).toThrow(/^key: unknown source type "jsonnet"; use one of jsonata, str, msg, flow, global, env$/);
    // An action names what to call, except on a REST connection (POST to the path); the dialog does not know the system and asks for one.
    expect(fieldOk(f.action, '', { operation: 'action' })).toBe(false);
    expect(fieldOk(f.action, '', { operation: 'create' })).toBe(true);
    expect(erpOutSettings({ entity: 'orders/{key}', operation: 'action', key: 'payload.order', mapping: '{}' }, 'rest')).toMatchObject({ action: '' });
    // A delete may send no document; anything else needs the mapping.
    expect(fieldOk(f.mapping, '', { operation: 'delete' })).toBe(true);
    expect(fieldOk(f.mapping, '', { operation: 'create' })).toBe(false);
    expect(erpOutSettings({ entity: 'X', operation: 'delete', key: 'payload.k', mapping: '' })).toMatchObject({ mapping: 'payload' });
    // Fixed entities by the entity rules in the dialog too; one read per message is checked when it arrives.
    expect(fieldOk(f.entity, 'a/{b c}', {}, 'str')).toBe(false);
    expect(fieldOk(f.entity, 'a/{b c}', { entityType: 'msg' }, 'msg')).toBe(true);
    expect(() => erpOutSettings({ entity: 'X', externalKeyField: 'x key', mapping: 'payload' })).toThrow('external key field "x key" must be a field name such as x_plantwire_key');
  });

  it('the JSONata syntax of mapping and key: checked with the editor\'s global jsonata, left to Node-RED\'s compiler where there is none', () => {
    const f = erpOutSpec.fields;
    const g = globalThis as { jsonata?: unknown };
    expect(g.jsonata).toBeUndefined();
    // Without a compiler at hand (the runtime: runtime.ts compiles with RED.util.prepareJSONataExpression) the rule cannot judge the syntax.
    expect(fieldOk(f.mapping, '{"a": payload.', {})).toBe(true);
    expect(jsonataSyntaxError('{"a": payload.')).toBeNull();
    // Node-RED's own JSONata (the one its editor loads into the page as the global `jsonata`).
    g.jsonata = createRequire(createRequire(require.resolve('node-red')).resolve('@node-red/util'))('jsonata') as unknown;
    try {
      expect(fieldOk(f.mapping, '{"a": payload.', {})).toBe(false);
      expect(fieldOk(f.mapping, '{"a": payload.b}', {})).toBe(true);
      expect(fieldOk(f.key, 'payload.', { operation: 'update', entity: 'X' })).toBe(false);
      expect(fieldOk(f.key, 'payload.order', { operation: 'update', entity: 'X' })).toBe(true);
      // A key read from msg/flow/global/env is a name, not an expression.
      expect(fieldOk(f.key, 'payload.', { operation: 'update', entity: 'X', keyType: 'msg' })).toBe(true);
      expect(() => erpOutSettings({ entity: 'X', mapping: '{"a": payload.' })).toThrow(/^mapping: the JSONata expression has a syntax error: .+ \(at \d+\)$/);
      expect(() => erpOutSettings({ entity: 'X', key: '(', mapping: 'payload' })).toThrow(expect.objectContaining({ code: 'bad-config', status: 'key: syntax error' }));
    } finally {
      delete g.jsonata;
    }
  });

  it('query fields, overridden by msg.payload', () => {
    expect(erpQuerySettings({ entity: 'A_ProductionOrder_2', filter: 'OrderIsReleased eq true', select: 'A, B', top: '5' })).toEqual({ entity: 'A_ProductionOrder_2', filter: 'OrderIsReleased eq true', select: ['A', 'B'], top: 5 });
    expect(erpQuerySettings({ entity: 'mrp.production', filter: '[["state", "=", "confirmed"]]' }).filter).toEqual([['state', '=', 'confirmed']]);
    expect(erpQuerySettings({ entity: 'a', top: '' }, { entity: 'b', top: 2, select: ['x'] })).toEqual({ entity: 'b', top: 2, select: ['x'] });
    expect(() => erpQuerySettings({ entity: 'a', filter: '[1,' })).toThrow(/^filter looks like an Odoo domain but is not valid JSON/);
    expect(() => erpQuerySettings({ entity: 'a', top: 'x' })).toThrow(/^top must be a whole number/);
  });

  it('fills path templates from the key, the document and the message, URL-encoded', () => {
    expect(fillEntity('orders/{key}/lines/{line}', { key: 'A/1', document: { line: 10 }, msg: {} })).toBe('orders/A%2F1/lines/10');
    expect(fillEntity('lines/{payload.line}/events', { document: {}, msg: { payload: { line: 'L 1' } } })).toBe('lines/L%201/events');
    expect(() => fillEntity('orders/{key}', { document: {}, msg: {} })).toThrow(/no value for \{key\}/);
    expect(() => fillEntity('orders/{x}', { document: { x: { a: 1 } }, msg: {} })).toThrow(/is an object/);
  });

  it('keys and documents', () => {
    expect(documentKey('1000103')).toBe('1000103');
    expect(documentKey({ ConfirmationGroup: '1', ConfirmationCount: 2 })).toEqual({ ConfirmationGroup: '1', ConfirmationCount: 2 });
    expect(documentKey('')).toBeUndefined();
    expect(() => documentKey([1])).toThrow(/the key expression must give/);
    expect(() => documentOf(undefined)).toThrow(/returned nothing/);
    expect(() => documentOf([1])).toThrow(/got an array/);
  });

  it('the idempotency key is the same for the same entry and differs when entry ids start again', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 20 }), fc.nat(), fc.integer({ min: 0, max: 4_000_000_000_000 }), fc.integer({ min: 1, max: 1000 }), (node, id, ts, later) => {
        const k = idempotencyKey({ key: `${node}:${id}`, ts });
        expect(idempotencyKey({ key: `${node}:${id}`, ts })).toBe(k);
        expect(idempotencyKey({ key: `${node}:${id}`, ts: ts + later })).not.toBe(k);
      }),
    );
  });
});

describe('REST driver helpers', () => {
  it('reads the server\'s words from the usual error shapes', () => {
    expect(restErrorText(res(422, { error: { code: 'ORDER_UNKNOWN', message: 'Order 9 does not exist' } }))).toEqual({ message: 'Order 9 does not exist', code: 'ORDER_UNKNOWN' });
    expect(restErrorText(res(400, { title: 'Invalid', detail: 'quantity < 0', type: 'x' }))).toEqual({ message: 'Invalid: quantity < 0' });
    expect(restErrorText(res(400, { errors: [{ message: 'bad plant', code: 'P1' }] }))).toEqual({ message: 'bad plant', code: 'P1' });
    expect(restErrorText(res(401, { error: 'invalid_token', error_description: 'expired' }))).toEqual({ message: 'invalid_token: expired', code: 'invalid_token' });
    expect(restErrorText(res(500, 'Internal <b>error</b>'))).toEqual({ message: 'Internal <b>error</b>' });
  });

  it('finds rows and next links', () => {
    expect(restRows([{ a: 1 }])).toEqual([{ a: 1 }]);
    expect(restRows({ items: [{ a: 1 }] })).toEqual([{ a: 1 }]);
    expect(restRows({ d: { results: [{ a: 1 }] } })).toEqual([{ a: 1 }]);
    expect(() => restRows({ a: 1 })).toThrow(/expected a JSON array of rows/);
    expect(restNextLink(res(200, [], { link: '</api/orders?page=2>; rel="next", </api/orders?page=9>; rel="last"' }), [])).toBe('http://erp.local/api/orders?page=2');
    expect(restNextLink(res(200, {}), { '@odata.nextLink': 'orders?$skiptoken=5' })).toBe('http://erp.local/api/orders?$skiptoken=5');
    expect(restNextLink(res(200, {}), { links: { next: 'http://other/x' } })).toBe('http://other/x');
    expect(restNextLink(res(200, []), [])).toBeUndefined();
  });

  it('keys from Location and URL joins', () => {
    expect(keyFromLocation('/api/orders/4711')).toBe('4711');
    expect(keyFromLocation("http://x/odata/v4/Orders('4711')")).toBe('4711');
    expect(keyFromLocation('/api/orders/A%2F1/')).toBe('A/1');
    expect(joinUrl('http://x/api', 'orders/1').href).toBe('http://x/api/orders/1');
    expect(joinUrl('http://x/api/', '/orders').href).toBe('http://x/api/orders');
  });
});

describe('bundle rules for the ERP nodes', () => {
  it('reports a bad connection field, a missing connection and a malformed mapping', () => {
    const conn = nodeRule('plantwire-erp-connection')!;
    expect(conn.check!({ id: 'c', type: 'plantwire-erp-connection', kind: 'sap-odata-v2', url: 'http://x/', sapClient: '12' }, { byId: new Map() })).toEqual([{ field: 'sapClient', message: expect.stringMatching(/^SAP client must be three digits/) }]);
    expect(conn.check!({ id: 'c', type: 'plantwire-erp-connection', kind: 'odoo', url: 'http://x/', database: 'db' }, { byId: new Map() })).toEqual([]);
    const out = nodeRule('plantwire-erp-out')!;
    expect(out.refs!.connection).toMatchObject({ types: ['plantwire-erp-connection'], required: true });
    const found = out.check!({ id: 'o', type: 'plantwire-erp-out', entity: 'X', mapping: '{"a": payload.' }, { byId: new Map() });
    expect(found).toEqual([{ field: 'mapping', message: expect.stringMatching(/^mapping: the JSONata expression has a syntax error/) }]);
    expect(out.check!({ id: 'o', type: 'plantwire-erp-out', entity: '', mapping: 'payload' }, { byId: new Map() })[0]!.field).toBe('entity');
    expect(nodeRule('plantwire-erp-query')!.check!({ id: 'q', type: 'plantwire-erp-query', entity: 'a', top: '-1' }, { byId: new Map() })[0]!.field).toBe('top');
  });
});

describe('npm start: the demo follows the ERP simulator to its port', () => {
  it('rewrites the ERP connections that point at the default simulator address, and nothing else', () => {
    const demo = JSON.stringify([
      { id: 'a', type: 'plantwire-erp-connection', url: 'http://127.0.0.1:4300/sap/opu/odata/sap/API_MAINTNOTIFICATION/' },
      { id: 'b', type: 'plantwire-erp-connection', url: 'https://s4.example.com/sap/opu/odata/sap/API_MAINTNOTIFICATION/' },
    ]);
    const out = JSON.parse(localizeDemo(demo, { erpUrl: 'http://127.0.0.1:43123' })) as Array<{ url: string }>;
    expect(out.map((n) => n.url)).toEqual(['http://127.0.0.1:43123/sap/opu/odata/sap/API_MAINTNOTIFICATION/', 'https://s4.example.com/sap/opu/odata/sap/API_MAINTNOTIFICATION/']);
    expect(localizeDemo(demo, { erpUrl: 'http://127.0.0.1:4300' })).toBe(demo);
  });
});
