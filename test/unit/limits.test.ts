/**
 * Issue 16: limits on network input — checked before parsing, named in the
 * error, nothing kept; malformed/truncated Sparkplug births refused.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { decodePayload } from '../../src/connectors/mqtt/decode';
import { SparkplugHost } from '../../src/connectors/mqtt/sparkplug/host';
import { encodeSparkplug } from '../../src/connectors/mqtt/sparkplug/payload';
import { HttpClient } from '../../src/connectors/http/client';
import { configureLimits, countProtobufField, DEFAULT_LIMITS, jsonDepthOver, limits } from '../../src/model/limits';

const T0 = Date.UTC(2026, 0, 1);
const nbirth = (n: number, seq = 0): Buffer =>
  encodeSparkplug({ timestamp: T0, seq, metrics: [{ name: 'bdSeq', type: 'Int64', value: 0 }, ...Array.from({ length: n }, (_, i) => ({ name: `m${i}`, alias: i + 1, type: 'Double' as const, value: i }))] });
const dbirth = (seq: number): Buffer => encodeSparkplug({ timestamp: T0, seq, metrics: [{ name: 'x', type: 'Double', value: 1 }] });

afterEach(() => {
  configureLimits(undefined);
});

describe('settings', () => {
  it('defaults, overrides from settings.js, and says what it refused', () => {
    expect(limits()).toEqual(DEFAULT_LIMITS);
    expect(configureLimits({ mqttMessageBytes: 1000, jsonDepth: 'deep', nope: 1 })).toEqual([
      'plantwire.limits.jsonDepth must be a positive whole number, got "deep"; keeping 64',
      'plantwire.limits.nope is not a known limit (known: mqttMessageBytes, jsonDepth, sparkplugMetrics, sparkplugEdgeNodes, sparkplugDevices, httpAnswerBytes, mailBytes)',
    ]);
    expect(limits().mqttMessageBytes).toBe(1000);
    expect(limits().jsonDepth).toBe(64);
  });
});

describe('JSON depth', () => {
  it('scans bytes, skipping strings and escapes', () => {
    expect(jsonDepthOver(Buffer.from('[[["[[[[[\\"[[["]]]'), 3)).toBeNull();
    expect(jsonDepthOver(Buffer.from('[[[[1]]]]'), 3)).toBe(4);
  });
  it('refuses a 1,000-deep JSON payload before parsing, naming limit and topic; shallow JSON passes', () => {
    const deep = Buffer.from(`${'{"a":'.repeat(1000)}1${'}'.repeat(1000)}`);
    expect(() => decodePayload('plant/deep', deep, { format: 'auto', now: T0 })).toThrow(/^topic plant\/deep: JSON nested more than 64 levels deep, over the limit of 64 levels \(settings\.js plantwire\.limits\.jsonDepth\); the message was dropped$/);
    expect(decodePayload('plant/ok', Buffer.from('{"value":[[1]]}'), { format: 'json', now: T0 })[0]!.value).toEqual([[1]]);
    // Plain text is not JSON: never refused for brackets.
    expect(decodePayload('plant/txt', Buffer.from('x'.concat('['.repeat(100))), { format: 'plain', now: T0 })).toHaveLength(1);
  });
});

describe('Sparkplug host limits and malformed births', () => {
  it('counts top-level metrics without decoding and spots truncation', () => {
    const p = nbirth(50);
    expect(countProtobufField(p, 2, 1000)).toBe(51);
    expect(countProtobufField(p, 2, 10)).toBe(11);
    expect(() => countProtobufField(p.subarray(0, p.length - 3), 2, 1000)).toThrow(/runs past the end|cut off/);
  });

  it('refuses a 200,000-metric NBIRTH naming the limit and topic, and keeps nothing of it', () => {
    const host = new SparkplugHost();
    const big = nbirth(200_000);
    expect(() => host.handle('spBv1.0/G/NBIRTH/E', big, T0)).toThrow(/^topic spBv1\.0\/G\/NBIRTH\/E: NBIRTH with more than 10000 metrics, over the limit of 10000 metrics per message \(settings\.js plantwire\.limits\.sparkplugMetrics\); the message was dropped$/);
    expect(host.summary()).toEqual({ edgeNodes: 0, online: 0, devices: 0, metrics: 0 });
  });

  it('refuses truncated or malformed births; the previous birth stays in force', () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/E', nbirth(3), T0);
    const whole = nbirth(3, 0);
    // The first 20 bytes of a birth (the case), and one cut inside a metric.
    expect(() => host.handle('spBv1.0/G/NBIRTH/E', whole.subarray(0, 20), T0)).toThrow(/truncated/);
    expect(() => host.handle('spBv1.0/G/NBIRTH/E', whole.subarray(0, whole.length - 3), T0)).toThrow(/NBIRTH\/E: not a Sparkplug B payload, or truncated: (field \d+ runs past the end|the last field is cut off) \(\d+ bytes\); the message was dropped/);
    // Cut at a field boundary: timestamp and seq only.
    const headOnly = encodeSparkplug({ timestamp: T0, seq: 0, metrics: [] });
    expect(() => host.handle('spBv1.0/G/NBIRTH/E', headOnly, T0)).toThrow(/malformed or truncated NBIRTH refused \(no metrics, not even bdSeq\)/);
    const noSeq = encodeSparkplug({ timestamp: T0, metrics: [{ name: 'a', type: 'Double', value: 1 }] });
    expect(() => host.handle('spBv1.0/G/NBIRTH/E', noSeq, T0)).toThrow(/\(no seq\)/);
    expect(host.metricsOf('G', 'E').map((m) => m.name)).toEqual(['m0', 'm1', 'm2']);
    expect(host.isOnline('G', 'E')).toBe(true);
  });

  it('caps edge nodes and devices per host, naming the limit', () => {
    const host = new SparkplugHost({ limits: { sparkplugEdgeNodes: 2, sparkplugDevices: 2 } });
    host.handle('spBv1.0/G/NBIRTH/E1', nbirth(1), T0);
    host.handle('spBv1.0/G/NBIRTH/E2', nbirth(1), T0);
    expect(() => host.handle('spBv1.0/G/NBIRTH/E3', nbirth(1), T0)).toThrow(/edge node G\/E3 would be edge node number 3 of this host, over the limit of 2 edge nodes \(settings\.js plantwire\.limits\.sparkplugEdgeNodes\)/);
    expect(() => host.handle('spBv1.0/G/NDATA/E4', nbirth(1, 1), T0)).toThrow(/sparkplugEdgeNodes/);
    expect(host.summary().edgeNodes).toBe(2);
    host.handle('spBv1.0/G/DBIRTH/E1/D1', dbirth(1), T0);
    host.handle('spBv1.0/G/DBIRTH/E1/D2', dbirth(2), T0);
    // A rebirth of a known device is fine.
    host.handle('spBv1.0/G/DBIRTH/E1/D2', dbirth(3), T0);
    expect(() => host.handle('spBv1.0/G/DBIRTH/E2/D3', dbirth(1), T0)).toThrow(/device G\/E2\/D3 would be device number 3 of this host, over the limit of 2 devices \(settings\.js plantwire\.limits\.sparkplugDevices\)/);
    // A new NBIRTH of E1 forgets its devices: room again.
    host.handle('spBv1.0/G/NBIRTH/E1', nbirth(1), T0);
    host.handle('spBv1.0/G/DBIRTH/E2/D3', dbirth(1), T0);
    expect(host.summary().devices).toBe(1);
  });
});

describe('HTTP answer size', () => {
  it('cuts off an answer over the limit, announced or streamed, and fails permanently naming the limit', async () => {
    const server = http.createServer((req, res) => {
      if (req.url === '/announced') {
        res.setHeader('content-length', String(4096));
        res.end('x'.repeat(4096));
      } else if (req.url === '/chunked') {
        res.write('y'.repeat(3000));
        res.end('y'.repeat(3000));
      } else res.end('small');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const client = new HttpClient();
    try {
      configureLimits({ httpAnswerBytes: 2048 });
      await expect(client.request({ url: `${base}/announced` })).rejects.toMatchObject({ transient: false, message: expect.stringMatching(/^GET http:\/\/127\.0\.0\.1:\d+\/announced: the answer is 4 KiB, over the limit of 2 KiB \(settings\.js plantwire\.limits\.httpAnswerBytes\)/) });
      await expect(client.request({ url: `${base}/chunked` })).rejects.toMatchObject({ message: expect.stringMatching(/the answer is [\d.]+ KiB or more, over the limit of 2 KiB/) });
      expect((await client.request({ url: `${base}/small` })).text()).toBe('small');
    } finally {
      client.close();
      server.close();
    }
  });
});
