import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { makeSample, sampleProblems } from '../../src/model/sample';
import { decodePayload, plainValue, tagFromTopic } from '../../src/connectors/mqtt/decode';
import { mqttInSettings, mqttOutSettings } from '../../src/connectors/mqtt/node-settings';
import { mqttInFields } from '../../src/connectors/mqtt/in-fields';
import { mqttOutFields } from '../../src/connectors/mqtt/out-fields';
import { PlantwireError } from '../../src/model/errors';
import { fieldOk, type FieldSpec } from '../../src/model/fields';
import { brokerSettings, pemOrFile } from '../../src/connectors/mqtt/options';
import { filterProblems, parseFilter, splitFilters, topicMatches, topicNameProblems } from '../../src/connectors/mqtt/topic';
import { templateProblems, templateTopic, unsPayload, unsTopic } from '../../src/connectors/mqtt/uns';

const NOW = Date.UTC(2026, 2, 1, 12, 0, 0);

describe('MQTT topic filters', () => {
  it.each([
    ['a/b/c', 'a/b/c', true],
    ['a/+/c', 'a/b/c', true],
    ['a/+/c', 'a/b/d', false],
    ['a/#', 'a', true],
    ['a/#', 'a/b/c', true],
    ['#', 'a/b', true],
    ['#', '$SYS/x', false],
    ['+/x', '$SYS/x', false],
    ['$SYS/#', '$SYS/x', true],
    ['a/+', 'a/b/c', false],
    ['a/+', 'a/', true],
    ['+', '/', false],
    ['+/+', '/', true],
    ['$share/g1/a/+', 'a/b', true],
    ['$share/g1/a/+', '$share/g1/a/b', false],
  ])('%s matches %s: %s', (filter, topic, expected) => {
    expect(topicMatches(filter, topic)).toBe(expected);
  });

  it('rejects malformed filters with a reason', () => {
    expect(filterProblems('a/#/b')).toEqual(['"#" must be the last level on its own in "a/#/b"']);
    expect(filterProblems('a/b+')).toEqual(['"+" must fill a whole level in "a/b+"']);
    expect(filterProblems('$share/g1')[0]).toMatch(/must look like \$share\/<group>\/<topic filter>/);
    expect(filterProblems('')[0]).toMatch(/non-empty/);
    expect(parseFilter('$share/grp/x/#')).toMatchObject({ shareGroup: 'grp', match: 'x/#' });
    expect(topicNameProblems('a/+/b')[0]).toMatch(/must not contain the wildcards/);
    expect(splitFilters('a/#, b/+\n c')).toEqual(['a/#', 'b/+', 'c']);
  });

  it('property: a filter built from a topic by replacing levels with + (and cutting with #) matches it', () => {
    const level = fc.stringMatching(/^[a-z0-9]{0,4}$/);
    fc.assert(
      fc.property(fc.array(level, { minLength: 1, maxLength: 6 }), fc.array(fc.boolean(), { minLength: 6, maxLength: 6 }), fc.nat(6), (levels, plus, cut) => {
        const topic = levels.join('/');
        fc.pre(topic !== '');
        const f = levels.map((l, i) => (plus[i] ? '+' : l));
        const filter = cut < f.length ? [...f.slice(0, cut), '#'].join('/') : f.join('/');
        expect(filterProblems(filter)).toEqual([]);
        expect(topicMatches(filter, topic)).toBe(true);
        expect(topicMatches(`${f.join('/')}/one-level-more`, topic), 'a filter one level deeper does not match').toBe(false);
      }),
    );
  });
});

describe('payload decoding (JSON and plain)', () => {
  const opts = { format: 'json' as const, now: NOW };
  const buf = (x: unknown): Buffer => Buffer.from(typeof x === 'string' ? x : JSON.stringify(x));

  it('a JSON number becomes a good sample of the topic, stamped with the receive time', () => {
    expect(decodePayload('plant/Tank1/Level', buf(21.5), opts)).toEqual([{ tag: 'plant/Tank1/Level', value: 21.5, quality: 'good', sourceTimestamp: new Date(NOW).toISOString() }]);
  });

  it('a JSON tag sample passes through unchanged; an array of samples is a batch', () => {
    const s = makeSample('L1/Speed', 600, { sourceTimestamp: NOW - 5000, unit: 'bottles/min', asset: 'acme/hh' });
    expect(decodePayload('whatever', buf(s), opts)).toEqual([s]);
    const t = makeSample('L1/State', 'Running', { sourceTimestamp: NOW - 4000 });
    expect(decodePayload('whatever', buf([s, t]), opts)).toEqual([s, t]);
  });

  it('maps {value, timestamp, quality, unit} objects', () => {
    const [a] = decodePayload('t/a', buf({ value: 3, timestamp: NOW - 1000, quality: 'Bad', unit: 'bar' }), opts);
    expect(a).toEqual({ tag: 't/a', value: 3, quality: 'bad', sourceTimestamp: new Date(NOW - 1000).toISOString(), unit: 'bar' });
    const [b] = decodePayload('t/b', buf({ value: true, ts: (NOW - 2000) / 1000, quality: 192 }), opts);
    expect(b).toMatchObject({ value: true, quality: 'good', statusCode: 192, sourceTimestamp: new Date(NOW - 2000).toISOString() });
    const [c] = decodePayload('t/c', buf({ value: 1, time: '2026-03-01T11:00:00Z', tag: 'Other' }), opts);
    expect(c).toMatchObject({ tag: 'Other', sourceTimestamp: '2026-03-01T11:00:00.000Z' });
    const [d] = decodePayload('t/d', buf({ temp: 1, hum: 2 }), opts);
    expect(d!.value, 'an object without "value" is the value').toEqual({ temp: 1, hum: 2 });
  });

  it('refuses malformed JSON naming the topic; bad timestamps and qualities naming the field', () => {
    expect(() => decodePayload('plant/x', buf('{"value": 1'), opts)).toThrow(/^plant\/x: payload is not valid JSON .*"\{\\"value\\": 1"/);
    expect(() => decodePayload('plant/x', buf({ value: 1, timestamp: 'yesterday' }), opts)).toThrow(/plant\/x: timestamp must be an ISO 8601 date or epoch milliseconds, got "yesterday"/);
    expect(() => decodePayload('plant/x', buf({ value: 1, quality: 'great' }), opts)).toThrow(/plant\/x: quality must be "good", "uncertain", "bad"/);
    expect(() => decodePayload('plant/x', buf({ tag: 'a', value: 1, quality: 'good', sourceTimestamp: 'nope' }), opts)).toThrow(/plant\/x: payload.sourceTimestamp must be an ISO 8601 string/);
  });

  it('plain and auto formats; empty payloads (retained deletes) give no sample', () => {
    expect(plainValue(' 42 ')).toBe(42);
    expect(plainValue('-1.5e3')).toBe(-1500);
    expect(plainValue('true')).toBe(true);
    expect(plainValue('0x10')).toBe('0x10');
    expect(plainValue('Running')).toBe('Running');
    expect(decodePayload('a', buf('12.5'), { format: 'plain', now: NOW })[0]!.value).toBe(12.5);
    expect(decodePayload('a', buf('{"x"'), { format: 'auto', now: NOW })[0]!.value).toBe('{"x"');
    expect(decodePayload('a', buf('{"x":1}'), { format: 'auto', now: NOW })[0]!.value).toEqual({ x: 1 });
    expect(decodePayload('a', Buffer.alloc(0), opts)).toEqual([]);
  });

  it('splits asset levels off the topic', () => {
    expect(tagFromTopic('acme/hh/bottling/line1/Filler/Temp', 4)).toEqual({ asset: 'acme/hh/bottling/line1', tag: 'Filler/Temp' });
    const [s] = decodePayload('acme/hh/bottling/line1/Filler/Temp', buf(4.5), { ...opts, assetLevels: 4 });
    expect(s).toMatchObject({ tag: 'Filler/Temp', asset: 'acme/hh/bottling/line1' });
    expect(sampleProblems(s)).toEqual([]);
  });
});

describe('Unified Namespace topics', () => {
  const s = makeSample('Filler/Temp', 4.5, { asset: 'acme/hamburg/bottling/line1', sourceTimestamp: NOW, unit: '°C' });

  it('builds enterprise/site/area/line/tag from the asset path', () => {
    expect(unsTopic(s)).toBe('acme/hamburg/bottling/line1/Filler/Temp');
    expect(unsTopic(makeSample('T', 1), { defaultAsset: '/acme/x/' })).toBe('acme/x/T');
    expect(() => unsTopic(makeSample('T', 1))).toThrow(/tag "T" has no asset path.*set payload.asset or the node's default asset path/);
    expect(() => unsTopic(makeSample('a+b', 1, { asset: 'x' }))).toThrow(/must not contain the wildcards/);
    expect(() => unsTopic(makeSample('a//b', 1, { asset: 'x' }))).toThrow(/empty level/);
  });

  it('fills topic templates with ISA-95 levels and names what is missing', () => {
    expect(templateTopic('uns/{site}/{line}/{tag}', s)).toBe('uns/hamburg/line1/Filler/Temp');
    expect(templateTopic('{topic}/v', s, { msgTopic: 'in' })).toBe('in/v');
    expect(() => templateTopic('{cell}/{tag}', s)).toThrow(/asset path "acme\/hamburg\/bottling\/line1" has no cell level \(level 5\)/);
    expect(templateProblems('x/{nope}')[0]).toMatch(/unknown placeholder \{nope\}/);
  });

  it('payload shapes', () => {
    expect(JSON.parse(unsPayload(s, 'sample'))).toEqual(s);
    expect(JSON.parse(unsPayload(s, 'compact'))).toEqual({ value: 4.5, quality: 'good', timestamp: s.sourceTimestamp, unit: '°C' });
    expect(unsPayload(s, 'value')).toBe('4.5');
    expect(unsPayload(makeSample('a', 'Running'), 'value')).toBe('Running');
  });
});

describe('broker settings', () => {
  it('defaults: MQTT 3.1.1, random client id, clean session, no offline QoS 0 queue', () => {
    const b = brokerSettings({});
    expect(b.url).toBe('mqtt://127.0.0.1:1883');
    expect(b.options).toMatchObject({ protocolVersion: 4, clean: true, keepalive: 60, queueQoSZero: false });
    expect(String(b.options.clientId)).toMatch(/^plantwire_[0-9a-f]{8}$/);
  });

  it('a persistent session needs a client id; MQTT 5 gets a session expiry', () => {
    expect(() => brokerSettings({ clean: false })).toThrow(/persistent session .* needs a fixed client id/);
    const v5 = brokerSettings({ clean: false, clientId: 'line1-gw', protocolVersion: '5', sessionExpiry: '600' });
    expect(v5.options).toMatchObject({ clean: false, clientId: 'line1-gw', protocolVersion: 5, properties: { sessionExpiryInterval: 600 } });
    expect(v5.persistent).toBe(true);
  });

  it('validates URL, version and will; credentials never in the URL', () => {
    expect(() => brokerSettings({ url: 'http://x' })).toThrow(/must start with mqtt:\/\//);
    expect(() => brokerSettings({ url: 'mqtt://u:p@x' })).toThrow(/must not contain a user name or password/);
    expect(() => brokerSettings({ protocolVersion: 3 })).toThrow(/MQTT version must be 4 \(3.1.1\) or 5/);
    expect(() => brokerSettings({ willTopic: 'a/#' })).toThrow(/last will topic/);
    expect(brokerSettings({ willTopic: 'gw/status', willPayload: 'offline', willRetain: true, willQos: 1 }).options.will).toMatchObject({ topic: 'gw/status', qos: 1, retain: true });
    expect(brokerSettings({}, { username: 'u', password: 'p' }).options).toMatchObject({ username: 'u', password: 'p' });
  });

  it('TLS: PEM text or file path; certificate and key together; mqtt:// upgraded', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pw-tls-'));
    try {
      const pem = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n';
      fs.writeFileSync(path.join(dir, 'ca.pem'), pem);
      expect(pemOrFile(pem, 'x')!.toString()).toBe(pem);
      expect(pemOrFile(path.join(dir, 'ca.pem'), 'x')!.toString()).toBe(pem);
      expect(() => pemOrFile(path.join(dir, 'missing.pem'), 'TLS CA certificate')).toThrow(/TLS CA certificate: cannot read ".*missing.pem" \(ENOENT\)/);
      const b = brokerSettings({ url: 'mqtt://broker:8883', tls: true, ca: path.join(dir, 'ca.pem') });
      expect(b.url).toBe('mqtts://broker:8883');
      expect(b.options.rejectUnauthorized).toBe(true);
      expect(() => brokerSettings({ url: 'mqtts://b', cert: pem })).toThrow(/client certificate needs its private key/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mqtt-in / mqtt-out dialog settings', () => {
  const base = { id: 'n1', type: 't' };
  it('mqtt-in: topics required and checked; Sparkplug mode subscribes to its group', () => {
    expect(() => mqttInSettings({ ...base, topics: '' })).toThrow(/topics: add at least one topic/);
    expect(() => mqttInSettings({ ...base, topics: 'a/b#' })).toThrow(/topics: "#" must be the last level/);
    expect(() => mqttInSettings({ ...base, topics: 'a', qos: '3' })).toThrow(/QoS must be at most 2/);
    expect(() => mqttInSettings({ ...base, topics: 'a', format: 'xml' })).toThrow(/payload format must be auto, json, plain or sparkplug/);
    expect(mqttInSettings({ ...base, topics: 'a/#, $share/g/b/+' })).toMatchObject({ filters: ['a/#', '$share/g/b/+'], qos: 1, format: 'json', output: 'each' });
    expect(mqttInSettings({ ...base, format: 'sparkplug', group: 'G1' }).filters).toEqual(['spBv1.0/G1/#']);
    expect(mqttInSettings({ ...base, format: 'sparkplug' }).filters).toEqual(['spBv1.0/#']);
    expect(() => mqttInSettings({ ...base, format: 'sparkplug', group: 'G/1' })).toThrow(/Sparkplug group id "G\/1" must not contain \/, \+ or #/);
    expect(() => mqttInSettings({ ...base, format: 'sparkplug', hostId: 'a+b' })).toThrow(/host id "a\+b" must not contain/);
  });

  it('mqtt-out: template placeholders, Sparkplug ids and metric rows are checked, naming the row', () => {
    expect(mqttOutSettings({ ...base })).toMatchObject({ mode: 'uns', payload: 'sample', qos: 1, retain: false });
    expect(() => mqttOutSettings({ ...base, mode: 'template', template: 'x/{foo}' })).toThrow(/unknown placeholder \{foo\}/);
    expect(() => mqttOutSettings({ ...base, mode: 'sparkplug', group: 'G', edgeNode: '' })).toThrow(/Sparkplug edge node id is empty/);
    expect(() => mqttOutSettings({ ...base, mode: 'sparkplug', group: 'G', edgeNode: 'E', metrics: [{ name: 'a', type: 'Double' }, { name: 'b', type: 'Decimal' }] })).toThrow(/metric row 2 \("b"\): datatype must be one of Boolean, Int8/);
    expect(() => mqttOutSettings({ ...base, mode: 'sparkplug', group: 'G', edgeNode: 'E', metrics: [{ name: 'a', type: 'Double' }, { name: 'a', type: 'Float' }] })).toThrow(/metric row 2: "a" is listed twice/);
    expect(() => mqttOutSettings({ ...base, mode: 'sparkplug', group: 'G', edgeNode: 'E', metrics: [{ name: '', type: 'Double' }] })).toThrow(/metric row 1: the name is empty/);
    expect(mqttOutSettings({ ...base, mode: 'sparkplug', group: 'G', edgeNode: 'E', metrics: [{ name: 'Count', type: 'UInt16' }] }).metrics).toEqual([{ name: 'Count', type: 'UInt16' }]);
  });

  it('mqtt-in field spec (src/connectors/mqtt/in-fields.ts): the dialog refuses what the deploy refuses, per payload format', () => {
    const f = mqttInFields.fields;
    const json = { format: 'json' };
    const sp = { format: 'sparkplug', rebirth: true };
    // Topics: the subscription filter rules of the deploy (./topic.ts), not a copy in the dialog.
    expect(fieldOk(f.topics, '', json)).toBe(false);
    expect(fieldOk(f.topics, 'plant/#/line1', json)).toBe(false);
    expect(fieldOk(f.topics, '$share/+/a', json)).toBe(false);
    expect(fieldOk(f.topics, 'plant/+/line1/#\n$share/g/acme/#', json)).toBe(true);
    expect(fieldOk(f.topics, '', sp)).toBe(true);
    expect(fieldOk(f.assetLevels, '11', json)).toBe(false);
    expect(fieldOk(f.assetLevels, '11', sp)).toBe(true);
    // Sparkplug ids: only in Sparkplug mode.
    expect(fieldOk(f.group, 'G/1', sp)).toBe(false);
    expect(fieldOk(f.group, 'G/1', json)).toBe(true);
    expect(fieldOk(f.group, '', sp)).toBe(true);
    expect(fieldOk(f.hostId, 'a+b', sp)).toBe(false);
    expect(f.hostId.message).toBe('hostId');
    // The hold-off counts while rebirth requests are on.
    expect(fieldOk(f.rebirthHoldoff, '50', sp)).toBe(false);
    expect(fieldOk(f.rebirthHoldoff, '50', { ...sp, rebirth: false })).toBe(true);
    expect(fieldOk(f.qos, '3', {})).toBe(false);
    expect(fieldOk(f.qos, '2', {})).toBe(true);
    expect(fieldOk(f.format, 'xml', {})).toBe(false);
  });

  it('mqtt-in settings by the spec: old flows read as before, errors name the field, out-of-mode fields are not read', () => {
    // A node saved before some fields existed: the deploy defaults (QoS saved as a number by older flows).
    expect(mqttInSettings({ ...base, topics: ' a/# ', qos: 2 })).toEqual({ filters: ['a/#'], qos: 2, format: 'json', assetLevels: 0, output: 'each', group: '', tagNames: 'path', rebirth: true, rebirthHoldoffMs: 5000, hostId: '' });
    expect(mqttInSettings({ ...base, format: 'sparkplug', group: ' G1 ', hostId: ' scada ', rebirth: 'false', rebirthHoldoff: '250', tagNames: 'metric', output: 'batch' })).toEqual({
      filters: ['spBv1.0/G1/#'], qos: 1, format: 'sparkplug', assetLevels: 0, output: 'batch', group: 'G1', tagNames: 'metric', rebirth: false, rebirthHoldoffMs: 250, hostId: 'scada',
    });
    // A host id left over from Sparkplug mode opens no host connection in a payload format; its group is not read either.
    expect(mqttInSettings({ ...base, topics: 'a', hostId: 'a+b', group: 'x/y' })).toMatchObject({ hostId: '', group: '' });
    const err = (c: Record<string, unknown>): PlantwireError => {
      try {
        mqttInSettings({ ...base, ...c });
      } catch (e) {
        return e as PlantwireError;
      }
      throw new Error('no error');
    };
    expect(err({ topics: '' }).status).toBe('no topic');
    expect(err({ topics: 'a, b+' }).status).toBe('bad topic "b+"');
    expect(err({ topics: 'a', output: 'all' }).message).toBe('output must be "each" or "batch", got "all"');
    expect(err({ topics: 'a', output: 'all' }).status).toBe('bad output mode');
    expect(err({ format: 'sparkplug', tagNames: 'id' }).message).toBe('tag names must be "path" or "metric", got "id"');
    expect(err({ format: 'sparkplug', rebirthHoldoff: '50' }).message).toBe('rebirth hold-off (ms) must be at least 100, got 50');
    expect(err({ topics: 'a', assetLevels: '1.5' }).message).toBe('asset levels must be a whole number, got 1.5');
    expect(err({ topics: 'a', format: 'xml' }).status).toBe('bad payload format');
    expect(err({ topics: 'a', format: 'xml' }).code).toBe('bad-config');
  });

  it('topic length in UTF-8 bytes without Node.js Buffer (the filter rules run in the dialog)', () => {
    expect(filterProblems('ä'.repeat(32_768))).toEqual(['topic filter is longer than 65535 bytes']);
    expect(filterProblems('ä'.repeat(32_767))).toEqual([]);
    expect(topicNameProblems('a'.repeat(65_536))).toEqual(['topic is longer than 65535 bytes']);
    expect(topicNameProblems('a'.repeat(65_535))).toEqual([]);
  });

  it('mqtt-out field spec (src/connectors/mqtt/out-fields.ts): the dialog refuses what the deploy refuses, with the message for a fixed text or a property name', () => {
    const f = mqttOutFields.fields;
    const tpl = { mode: 'template', templateType: 'str' };
    expect(fieldOk(f.template, 'plant/#/{tag}', tpl, 'str')).toBe(false);
    expect(fieldOk(f.template, 'plant/{line}/{tag}', tpl, 'str')).toBe(true);
    expect(fieldOk(f.template, '', { mode: 'template', templateType: 'msg' }, 'msg')).toBe(false);
    expect(fieldOk(f.template, 'plant/#', { mode: 'uns' }, 'str')).toBe(true);
    const key = (fld: FieldSpec, c: Record<string, unknown>): unknown => (typeof fld.message === 'function' ? fld.message('', c) : fld.message);
    expect(key(f.template, tpl)).toBe('template');
    expect(key(f.template, { mode: 'template', templateType: 'flow' })).toBe('templateProperty');
    expect(key(f.asset, { assetType: 'env' })).toBe('assetProperty');
    expect(key(f.asset, {})).toBe('asset');
    expect(fieldOk(f.asset, 'line/+', { assetType: 'str' }, 'str')).toBe(false);
    expect(fieldOk(f.edgeNode, '', { mode: 'sparkplug' })).toBe(false);
    expect(fieldOk(f.edgeNode, '', { mode: 'uns' })).toBe(true);
    expect(fieldOk(f.buffer, '-1', {})).toBe(false);
    // A rule only the dialog had before: a device id with a wildcard in UNS mode is refused at deploy too.
    expect(() => mqttOutSettings({ ...base, device: 'd/1' })).toThrow('device id must not contain /, + or #, got "d/1"');
    expect(() => mqttOutSettings({ ...base, qos: '3' })).toThrow(/QoS must be at most 2/);
  });
});
