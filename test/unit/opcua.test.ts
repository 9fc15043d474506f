/**
 * The OPC UA connector's pure logic: endpoint settings, backoff, tag specs,
 * value conversion both ways, write planning and error classification.
 */
import fc from 'fast-check';
import { DataType, DataValue, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { describe, expect, it } from 'vitest';
import {
  BuiltIn,
  backoffDelay,
  classifyConnectError,
  coerceScalar,
  dataValueToSample,
  endpointSettings,
  isNodeIdString,
  parseBrowsePath,
  planWrites,
  structFromJson,
  tagFromBrowsePath,
  tagSpec,
  tagSpecs,
  targetOf,
  variantToJson,
} from '../../src/connectors/opcua';
import { makeSample, sampleProblems } from '../../src/model/sample';

describe('endpoint settings', () => {
  it('defaults to no security, anonymous, bounded messages and a 0.5…5 s reconnect', () => {
    const s = endpointSettings({ url: ' opc.tcp://plc-7.local:4840/ua ' });
    expect(s).toMatchObject({ url: 'opc.tcp://plc-7.local:4840/ua', securityMode: 'None', securityPolicy: 'None', auth: 'anonymous', reconnectInitialMs: 500, reconnectMaxMs: 5000, maxItemsPerCall: 200 });
    expect(s.maxMessageSize).toBe(16 * 1024 * 1024);
    expect(s.maxChunkCount * 8192, 'enough chunks of the smallest size for a full message').toBeGreaterThanOrEqual(s.maxMessageSize);
  });

  it('refuses malformed URLs, naming the field', () => {
    for (const url of ['http://x:4840', 'opc.tcp://', 'opc.tcp://host:99999', 'opc.tcp://ho st:4840', 42, undefined]) {
      expect(() => endpointSettings({ url }), String(url)).toThrow(/endpoint URL/);
    }
  });

  it('forces policy None with mode None and needs a real policy for Sign / SignAndEncrypt', () => {
    expect(endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'None', securityPolicy: 'Basic256Sha256' }).securityPolicy).toBe('None');
    expect(endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'SignAndEncrypt' }).securityPolicy).toBe('Basic256Sha256');
    expect(endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'Sign', securityPolicy: 'Aes256_Sha256_RsaPss' }).securityPolicy).toBe('Aes256_Sha256_RsaPss');
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'Sign', securityPolicy: 'None' })).toThrow(/needs a security policy/);
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'Encrypt' })).toThrow(/security mode must be one of None, Sign, SignAndEncrypt/);
  });

  it('refuses the deprecated policies unless explicitly allowed', () => {
    for (const policy of ['Basic128Rsa15', 'Basic256']) {
      expect(() => endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'SignAndEncrypt', securityPolicy: policy })).toThrow(new RegExp(`${policy} is deprecated`));
      expect(endpointSettings({ url: 'opc.tcp://h:1', securityMode: 'SignAndEncrypt', securityPolicy: policy, allowDeprecated: true }).securityPolicy).toBe(policy);
    }
  });

  it('needs a user name for user/password and both files for X.509', () => {
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', auth: 'username' }, {})).toThrow(/user name is empty/);
    expect(endpointSettings({ url: 'opc.tcp://h:1', auth: 'username' }, { username: ' op ', password: 'pw' })).toMatchObject({ username: 'op', password: 'pw' });
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', auth: 'certificate', userCertificate: '/c.pem' })).toThrow(/private key file/);
  });

  it('reads numbers from the dialog and checks their ranges', () => {
    const s = endpointSettings({ url: 'opc.tcp://h:1', maxMessageSizeMB: '4', reconnectInitialMs: '250', reconnectMaxMs: '2000', maxItemsPerCall: '50' });
    expect(s).toMatchObject({ maxMessageSize: 4 * 1024 * 1024, reconnectInitialMs: 250, reconnectMaxMs: 2000, maxItemsPerCall: 50 });
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', reconnectInitialMs: 3000, reconnectMaxMs: 1000 })).toThrow(/must not be below the first reconnect delay/);
    expect(() => endpointSettings({ url: 'opc.tcp://h:1', maxItemsPerCall: 'many' })).toThrow(/items per call must be a number/);
  });
});

describe('reconnect backoff', () => {
  it('stays within (0, cap], jittered below the exponential base', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10_000 }), fc.integer({ min: 1, max: 10_000 }), fc.integer({ min: 1, max: 600_000 }), fc.double({ min: 0, max: 1, noNaN: true }), (attempt, initial, extra, r) => {
        const opts = { initialMs: initial, maxMs: initial + extra, jitter: 0.3 };
        const d = backoffDelay(attempt, opts, () => r);
        const base = Math.min(opts.maxMs, initial * 2 ** Math.min(attempt, 52));
        expect(d).toBeGreaterThan(0);
        expect(d).toBeLessThanOrEqual(opts.maxMs);
        expect(d).toBeGreaterThanOrEqual(Math.floor(base * 0.7));
        expect(d).toBeLessThanOrEqual(Math.ceil(base));
      }),
    );
  });

  it('doubles per attempt until the cap (without jitter)', () => {
    const none = (a: number): number => backoffDelay(a, { initialMs: 500, maxMs: 5000, jitter: 0 });
    expect([0, 1, 2, 3, 4, 5, 50].map(none)).toEqual([500, 1000, 2000, 4000, 5000, 5000, 5000]);
  });
});

describe('tag specs', () => {
  it('recognises NodeIds and browse paths and derives tag names', () => {
    for (const id of ['ns=2;s=Line1/Speed', 'i=2258', 'ns=0;i=85', 'nsu=urn:plantwire:sim:plant;s=Line1/X', 'ns=3;g=09087e75-8e5e-499b-954f-f2a9603db28a', 'ns=1;b=M/RYAQ==']) {
      expect(isNodeIdString(id), id).toBe(true);
    }
    for (const id of ['Line1/Speed', 's=', 'ns=x;i=1', 'ns=2;i=abc', '/Objects']) expect(isNodeIdString(id), id).toBe(false);
    expect(tagSpec('ns=2;s=Line1/Speed')).toEqual({ nodeId: 'ns=2;s=Line1/Speed', tag: 'ns=2;s=Line1/Speed' });
    expect(tagSpec('/Objects/2:Plant/Line1/Speed')).toEqual({ browsePath: '/Objects/2:Plant/Line1/Speed', tag: 'Plant/Line1/Speed' });
    expect(tagSpec({ nodeId: 'i=2258', browsePath: '/Objects/Server/ServerStatus/CurrentTime', tag: 'clock', dataType: 'UtcTime' })).toEqual({
      nodeId: 'i=2258',
      browsePath: '/Objects/Server/ServerStatus/CurrentTime',
      tag: 'clock',
      dataType: 'UtcTime',
    });
    expect(tagFromBrowsePath('/Root/Views')).toBe('Root/Views');
    expect(parseBrowsePath('/Objects/2:Plant/Line 1')).toEqual([{ name: 'Objects' }, { ns: 2, name: 'Plant' }, { name: 'Line 1' }]);
  });

  it('refuses what is neither, empty segments, empty lists and duplicate names', () => {
    expect(() => tagSpec('Line1/Speed')).toThrow(/neither a NodeId .* nor a browse path/);
    expect(() => tagSpec({ tag: 'x' })).toThrow(/needs a nodeId .* or a browsePath/);
    expect(() => tagSpec({ nodeId: 'Line1' })).toThrow(/is not a NodeId/);
    expect(() => tagSpec('/Objects//Plant')).toThrow(/empty segment/);
    expect(() => tagSpec(42)).toThrow(/must be a NodeId or browse path string or an object/);
    expect(() => tagSpecs([])).toThrow(/is empty/);
    expect(tagSpecs([], 'tags', { allowEmpty: true })).toEqual([]);
    expect(() => tagSpecs(['ns=2;s=A', { nodeId: 'ns=2;s=B', tag: 'ns=2;s=A' }])).toThrow(/tags\[1\] has the same tag name "ns=2;s=A" as tags\[0\]/);
  });

  it('finds write targets by tag name, NodeId or browse path', () => {
    const list = tagSpecs([{ nodeId: 'ns=2;s=Line1/Filler/TemperatureSetpoint', tag: 'sp' }]);
    expect(targetOf('sp', list).nodeId).toBe('ns=2;s=Line1/Filler/TemperatureSetpoint');
    expect(targetOf('ns=2;s=Line1/Filler/TemperatureSetpoint', list).tag).toBe('sp');
    expect(targetOf('/Objects/Plant/Line2/Speed', list).tag).toBe('Plant/Line2/Speed');
    expect(() => targetOf('Line9/Speed', list)).toThrow(/"Line9\/Speed" is not in the node's tag list .* known tags: sp/);
  });
});

describe('OPC UA values → JSON and samples', () => {
  it('converts scalars, arrays, matrices, 64-bit integers and odd values', () => {
    expect(variantToJson(new Variant({ dataType: DataType.Double, value: 4.5 }))).toBe(4.5);
    expect(variantToJson(new Variant({ dataType: DataType.Double, value: NaN })), 'NaN is not JSON: null').toBeNull();
    expect(variantToJson(new Variant({ dataType: DataType.Boolean, value: true }))).toBe(true);
    expect(variantToJson(new Variant({ dataType: DataType.DateTime, value: new Date('2026-01-02T03:04:05.006Z') }))).toBe('2026-01-02T03:04:05.006Z');
    expect(variantToJson(new Variant({ dataType: DataType.ByteString, value: Buffer.from([1, 2, 255]) }))).toBe('AQL/');
    expect(variantToJson(new Variant({ dataType: DataType.LocalizedText, value: { text: 'Running', locale: 'en' } }))).toBe('Running');
    expect(variantToJson(new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [1, 2.5, Infinity] }))).toEqual([1, 2.5, null]);
    expect(variantToJson(new Variant({ dataType: DataType.Int32, arrayType: VariantArrayType.Matrix, value: [1, 2, 3, 4, 5, 6], dimensions: [2, 3] }))).toEqual([
      [1, 2, 3],
      [4, 5, 6],
    ]);
    expect(variantToJson(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0, 42] }))).toBe(42);
    expect(variantToJson(new Variant({ dataType: DataType.Int64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xfffffffe] }))).toBe(-2);
    expect(variantToJson(new Variant({ dataType: DataType.UInt64, arrayType: VariantArrayType.Scalar, value: [0xffffffff, 0xffffffff] })), 'beyond 2^53 as a string').toBe('18446744073709551615');
    expect(variantToJson(new Variant({ dataType: DataType.Null, value: null }))).toBeNull();
  });

  it('builds samples with quality from the status code and both timestamps', () => {
    const src = new Date('2026-03-01T10:00:00.000Z');
    const srv = new Date('2026-03-01T10:00:00.020Z');
    const good = dataValueToSample('Line1/T', new DataValue({ value: { dataType: DataType.Double, value: 4.2 }, statusCode: StatusCodes.Good, sourceTimestamp: src, serverTimestamp: srv }), '°C');
    expect(good).toEqual({ tag: 'Line1/T', value: 4.2, quality: 'good', statusCode: 0, sourceTimestamp: '2026-03-01T10:00:00.000Z', serverTimestamp: '2026-03-01T10:00:00.020Z', unit: '°C' });
    const uncertain = dataValueToSample('x', new DataValue({ value: { dataType: DataType.Double, value: 1 }, statusCode: StatusCodes.UncertainLastUsableValue, sourceTimestamp: src }));
    expect(uncertain.quality).toBe('uncertain');
    const bad = dataValueToSample('x', new DataValue({ statusCode: StatusCodes.BadSensorFailure, serverTimestamp: srv }));
    expect(bad).toMatchObject({ quality: 'bad', value: null, statusCode: StatusCodes.BadSensorFailure.value, sourceTimestamp: srv.toISOString() });
    for (const s of [good, uncertain, bad]) expect(sampleProblems(s)).toEqual([]);
  });

  it('builds exactly what makeSample builds (same keys, same order), whatever the timestamps', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ src: fc.integer({ min: 0, max: 4_102_444_800_000 }), srv: fc.option(fc.integer({ min: 0, max: 4_102_444_800_000 }), { nil: undefined }), v: fc.double(), unit: fc.option(fc.string(), { nil: undefined }), code: fc.constantFrom(0, 0x40920000, 0x80310000) }), { minLength: 1, maxLength: 40 }),
        (rows) => {
          for (const r of rows) {
            const dv = new DataValue({ value: { dataType: DataType.Double, value: r.v }, sourceTimestamp: new Date(r.src), ...(r.srv !== undefined ? { serverTimestamp: new Date(r.srv) } : {}) });
            (dv as unknown as { statusCode: { value: number } }).statusCode = { value: r.code };
            const expected = makeSample('t', Number.isFinite(r.v) ? r.v : null, {
              quality: r.code === 0 ? 'good' : r.code === 0x40920000 ? 'uncertain' : 'bad',
              statusCode: r.code,
              sourceTimestamp: r.src,
              ...(r.srv !== undefined ? { serverTimestamp: r.srv } : {}),
              ...(r.unit !== undefined ? { unit: r.unit } : {}),
            });
            const got = dataValueToSample('t', dv, r.unit);
            expect(got).toEqual(expected);
            expect(Object.keys(got)).toEqual(Object.keys(expected));
          }
        },
      ),
    );
  });

  it('every numeric Variant becomes a valid sample value', () => {
    fc.assert(
      fc.property(fc.double(), (x) => {
        const s = dataValueToSample('t', new DataValue({ value: { dataType: DataType.Double, value: x } }));
        expect(sampleProblems(s)).toEqual([]);
        expect(s.value).toBe(Number.isFinite(x) ? x : null);
      }),
    );
  });
});

describe('JS values → OPC UA types (writes, method arguments)', () => {
  it('converts what fits and refuses what does not, naming type and value', () => {
    expect(coerceScalar(BuiltIn.Double, '6.5', 'w')).toBe(6.5);
    expect(coerceScalar(BuiltIn.Boolean, 'TRUE', 'w')).toBe(true);
    expect(coerceScalar(BuiltIn.Boolean, 0, 'w')).toBe(false);
    expect(coerceScalar(BuiltIn.String, 12, 'w')).toBe('12');
    expect(coerceScalar(BuiltIn.DateTime, '2026-01-01T00:00:00Z', 'w')).toEqual(new Date('2026-01-01T00:00:00Z'));
    expect(coerceScalar(BuiltIn.Int64, '-9007199254740993', 'w')).toEqual([0xffdfffff, 0xffffffff]);
    expect(coerceScalar(BuiltIn.QualifiedName, '2:Speed', 'w')).toEqual({ namespaceIndex: 2, name: 'Speed' });
    expect(() => coerceScalar(BuiltIn.Double, 'abc', 'write to T')).toThrow(/write to T: "abc" cannot be written as Double: expected a number/);
    expect(() => coerceScalar(BuiltIn.Int32, 3.5, 'w')).toThrow(/3.5 cannot be written as Int32: expected a whole number/);
    expect(() => coerceScalar(BuiltIn.Byte, 300, 'w')).toThrow(/300 cannot be written as Byte: out of range 0..255/);
    expect(() => coerceScalar(BuiltIn.UInt64, -1, 'w')).toThrow(/out of range/);
    expect(() => coerceScalar(BuiltIn.Boolean, 'yes', 'w')).toThrow(/expected true or false/);
    expect(() => coerceScalar(BuiltIn.DateTime, 'yesterday', 'w')).toThrow(/expected an ISO 8601 date/);
    expect(() => coerceScalar(BuiltIn.Double, Infinity, 'w')).toThrow(/not a finite number/);
  });

  it('integer types take exactly the integers of their range', () => {
    const ranges: Array<[number, number, number]> = [
      [BuiltIn.SByte, -128, 127],
      [BuiltIn.Byte, 0, 255],
      [BuiltIn.Int16, -32768, 32767],
      [BuiltIn.UInt16, 0, 65535],
      [BuiltIn.Int32, -2147483648, 2147483647],
      [BuiltIn.UInt32, 0, 4294967295],
    ];
    for (const [type, min, max] of ranges) {
      fc.assert(
        fc.property(fc.integer({ min: min - 1000, max: max + 1000 }), (n) => {
          if (n >= min && n <= max) expect(coerceScalar(type, n, 'w')).toBe(n);
          else expect(() => coerceScalar(type, n, 'w')).toThrow(/out of range/);
        }),
      );
    }
  });

  it('checks structure fields: all required, none unknown, OPC UA or node-opcua names', () => {
    const schema = {
      name: 'BatchRecord',
      fields: [
        { name: 'batchId', originalName: 'BatchId' },
        { name: 'volume', originalName: 'Volume' },
        { name: 'good', originalName: 'Good' },
      ],
    };
    expect(structFromJson(schema, { BatchId: 'B-1', volume: 2, Good: 3 }, 'w')).toEqual({ batchId: 'B-1', volume: 2, good: 3 });
    expect(() => structFromJson(schema, { BatchId: 'B-1' }, 'w')).toThrow(/BatchRecord is missing Volume, Good/);
    expect(() => structFromJson(schema, { BatchId: 'B-1', Volume: 1, Good: 0, Extra: 1 }, 'w')).toThrow(/BatchRecord has no field "Extra"; its fields are BatchId, Volume, Good/);
    expect(() => structFromJson(schema, 'B-1', 'w')).toThrow(/BatchRecord is a structure: send an object \{BatchId, Volume, Good\}/);
  });
});

describe('write planning', () => {
  const list = tagSpecs([{ nodeId: 'ns=2;s=Line1/Filler/TemperatureSetpoint', tag: 'sp' }]);
  const at = '2026-01-01T00:00:00.000Z';

  it('writes a plain value to msg.topic or the only listed tag', () => {
    expect(planWrites(5, 'sp', list)).toEqual([{ spec: list[0], value: 5 }]);
    expect(planWrites(5, undefined, list)).toEqual([{ spec: list[0], value: 5 }]);
    expect(planWrites([1, 2], 'ns=2;s=Arr', [])[0]).toMatchObject({ spec: { nodeId: 'ns=2;s=Arr' }, value: [1, 2] });
    expect(planWrites({ BatchId: 'x' }, '/Objects/Plant/Line1/Batch/Current', [])[0]!.value).toEqual({ BatchId: 'x' });
    expect(() => planWrites(5, undefined, [])).toThrow(/no tag is known: set msg.topic/);
    expect(() => planWrites(null, 'sp', list)).toThrow(/nothing to write to sp/);
  });

  it('writes samples to their tags and refuses mixed batches and samples that are not good', () => {
    const s = (tag: string, value: unknown, quality = 'good') => ({ tag, value, quality, sourceTimestamp: at });
    expect(planWrites([s('sp', 4), s('ns=2;s=Other', 1)], undefined, list).map((p) => [p.spec.tag, p.value])).toEqual([
      ['sp', 4],
      ['ns=2;s=Other', 1],
    ]);
    expect(() => planWrites([s('sp', 4), 7], undefined, list)).toThrow(/mixes tag samples and plain values \(payload\[1\] is 7\)/);
    expect(() => planWrites(s('sp', 4, 'uncertain'), undefined, list)).toThrow(/has quality uncertain: a value that is not good is not written/);
    expect(() => planWrites(s('Line1/Unknown', 4), undefined, list)).toThrow(/"Line1\/Unknown" is not in the node's tag list/);
  });
});

describe('connection errors users can act on', () => {
  const settings = { url: 'opc.tcp://plc:4840', securityMode: 'SignAndEncrypt' as const, securityPolicy: 'Basic256Sha256' as const, auth: 'username' as const };
  it('maps node-opcua errors to a short status and a fix', () => {
    const c = (msg: string, code?: string) => classifyConnectError(Object.assign(new Error(msg), code ? { code } : {}), settings);
    expect(c('server Certificate verification failed with err BadCertificateUntrusted (0x801a0000)')).toMatchObject({ kind: 'untrusted', short: 'untrusted server cert: Trust in endpoint' });
    expect(c('ActivateSession failed: BadUserAccessDenied (0x801f0000)')).toMatchObject({ kind: 'auth', short: 'login refused: check user identity' });
    expect(c('connect ECONNREFUSED 127.0.0.1:4840', 'ECONNREFUSED')).toMatchObject({ kind: 'network', short: 'connection refused' });
    expect(c('getaddrinfo ENOTFOUND plc', 'ENOTFOUND')).toMatchObject({ kind: 'network', short: 'host not found' });
    expect(c('BadSecurityPolicyRejected')).toMatchObject({ kind: 'security', short: 'server refuses SignAndEncrypt/Basic256Sha256' });
    expect(c('connect timed out after 10000 ms')).toMatchObject({ kind: 'timeout' });
    for (const k of ['x', 'BadCertificateUntrusted', 'ECONNREFUSED']) expect(c(k).short.length).toBeLessThanOrEqual(48);
  });
});
