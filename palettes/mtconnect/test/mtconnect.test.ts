/**
 * The MTConnect client against the palette's simulated agent over real HTTP:
 * /probe and /current parsed into the device model and observations, the
 * sequence cursor through /sample (catch-up in pages, agent restart →
 * resync, OUT_OF_RANGE → resync with the loss said), UNAVAILABLE → quality
 * bad, the response-size limit, and malformed documents refused with a
 * clear error. Run by the palette's `npm test` and by the main suite.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sampleProblems } from '@plantwire/sdk';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AgentClient, agentUrl } from '../src/client';
import { DocumentError, MTConnectError, parseStreams, SequenceCursor, type Observation } from '../src/mtconnect';
import { toTagSample } from '../src/samples';
import { MTConnectSimulator } from '../src/simulator';

let sim: MTConnectSimulator;
let client: AgentClient;

beforeAll(async () => {
  sim = new MTConnectSimulator({ intervalMs: 0, bufferSize: 64 });
  client = new AgentClient({ url: await sim.start(), timeoutMs: 2000, maxBytes: 1024 * 1024 });
});
afterAll(async () => {
  client.close();
  await sim.stop();
});
afterEach(() => sim.setAvailable(true));

const byName = (obs: Observation[]): Map<string, Observation> => new Map(obs.map((o) => [o.name ?? o.dataItemId, o]));

describe('MTConnect documents from the simulated agent', () => {
  it('/probe: devices, data items with category, units and component path', async () => {
    const model = await client.probe();
    expect(model.devices).toEqual([{ name: 'Mill1', id: 'mill', uuid: 'plantwire-sim-mill-1' }]);
    expect(model.instanceId).toBe(String(sim.instanceId));
    expect(model.dataItems.get('Xact')).toMatchObject({ category: 'SAMPLE', type: 'POSITION', subType: 'ACTUAL', units: 'MILLIMETER', path: 'Mill1/Axes/X' });
    expect(model.dataItems.get('execution')).toMatchObject({ name: 'Execution', category: 'EVENT', path: 'Mill1/Controller/Path' });
    expect(model.dataItems.get('system')).toMatchObject({ category: 'CONDITION', path: 'Mill1/Controller' });
    expect(model.dataItems.size).toBe(11);
  });

  it('/current: one observation per data item, header sequences consistent', async () => {
    const doc = await client.current();
    expect(doc.header.instanceId).toBe(String(sim.instanceId));
    expect(doc.header.nextSequence).toBe(sim.nextSequence);
    expect(doc.header.lastSequence).toBe(doc.header.nextSequence - 1);
    const obs = byName(doc.observations);
    expect([...obs.keys()].sort()).toEqual(['ControllerMode', 'Execution', 'PartCount', 'Sload', 'SpindleSpeed', 'Xact', 'Yact', 'Zact', 'availability', 'program', 'system']);
    expect(obs.get('availability')).toMatchObject({ category: 'EVENT', type: 'Availability', value: 'AVAILABLE', unavailable: false, device: 'Mill1' });
    expect(obs.get('ControllerMode')?.value).toBe('AUTOMATIC');
    expect(obs.get('system')).toMatchObject({ category: 'CONDITION', type: 'SYSTEM', value: 'NORMAL', level: 'NORMAL' });
    // In sequence order.
    const seqs = doc.observations.map((o) => o.sequence);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
  });

  it('/Mill1/current limits to the device; an unknown device is NO_DEVICE', async () => {
    expect((await client.current('Mill1')).observations.length).toBe(11);
    const err = await client.current('Lathe9').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MTConnectError);
    expect((err as MTConnectError).code).toBe('NO_DEVICE');
    expect((err as MTConnectError).status).toBe(404);
  });
});

describe('the sequence cursor: /current, then /sample?from=<nextSequence>', () => {
  it('streams every change exactly once, in pages while the agent holds more', async () => {
    const cursor = new SequenceCursor();
    const cur = await client.current();
    cursor.start(cur);
    const start = cursor.next!;
    sim.tick(10); // a machining cycle moves axes, spindle, execution: many observations
    const expected = sim.nextSequence - start;
    expect(expected).toBeGreaterThan(20);
    const seen: number[] = [];
    let pages = 0;
    for (let more = true; more; pages++) {
      const step = cursor.step(await client.sample(cursor.next!, 7));
      if (step.action !== 'emit') throw new Error(`unexpected ${step.action}`);
      expect(step.lost).toBe(0);
      seen.push(...step.observations.map((o) => o.sequence));
      more = step.more;
    }
    expect(pages).toBe(Math.ceil(expected / 7));
    expect(seen).toEqual(Array.from({ length: expected }, (_, i) => start + i));
    expect(cursor.next).toBe(sim.nextSequence);
    // Nothing new: an empty page, the cursor stays.
    const idle = cursor.step(await client.sample(cursor.next!, 100));
    expect(idle).toMatchObject({ action: 'emit', observations: [], more: false });
    expect(cursor.next).toBe(sim.nextSequence);
  });

  it('an agent restart (new instanceId) asks for a resync; /current then starts the new instance', async () => {
    const cursor = new SequenceCursor();
    cursor.start(await client.current());
    const before = cursor.instanceId;
    sim.tick(3);
    sim.restart();
    const step = cursor.step(await client.sample(1, 100));
    expect(step.action).toBe('resync');
    expect(step.action === 'resync' && step.reason).toMatch(new RegExp(`agent restarted \\(instanceId ${before} → ${sim.instanceId}\\)`));
    expect(cursor.started).toBe(false);
    const cur = await client.current();
    cursor.start(cur);
    expect(cursor.instanceId).toBe(String(sim.instanceId));
    expect(cursor.next).toBe(sim.nextSequence);
  });

  it('a position that left the ring buffer is OUT_OF_RANGE: the cursor says values were lost and resyncs', async () => {
    const cursor = new SequenceCursor();
    cursor.start(await client.current());
    const at = cursor.next!;
    sim.tick(40); // far more than the 64-observation buffer
    expect(sim.firstSequence).toBeGreaterThan(at);
    const err = await client.sample(at, 100).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MTConnectError);
    expect((err as MTConnectError).code).toBe('OUT_OF_RANGE');
    expect(cursor.fellBehind()).toMatch(new RegExp(`sequence ${at} is no longer in the agent's buffer \\(OUT_OF_RANGE\\): values in between are lost`));
    expect(cursor.started).toBe(false);
    // A from in the future is OUT_OF_RANGE as well.
    expect(((await client.sample(sim.nextSequence + 5, 10).catch((e: unknown) => e)) as MTConnectError).code).toBe('OUT_OF_RANGE');
  });

  it('an agent that answers from its oldest sequence instead of OUT_OF_RANGE: the gap is counted', () => {
    const cursor = new SequenceCursor();
    const doc = (first: number, next: number, seqs: number[]): ReturnType<typeof parseStreams> => ({
      header: { instanceId: '7', creationTime: '2026-01-01T00:00:00Z', bufferSize: 10, firstSequence: first, nextSequence: next, lastSequence: next - 1 },
      observations: seqs.map((sequence) => ({ device: 'M', component: 'c', componentId: 'c', category: 'SAMPLE', type: 'Position', dataItemId: 'x', sequence, timestamp: '2026-01-01T00:00:00Z', value: '1', unavailable: false })),
    });
    cursor.start(doc(1, 5, []));
    const step = cursor.step(doc(12, 15, [12, 13, 14]));
    expect(step).toMatchObject({ action: 'emit', lost: 7, more: false });
    expect(cursor.next).toBe(15);
  });
});

describe('timestamps that do not parse lose no observation', () => {
  const streams = (creationTime: string | undefined, timestamp: string): string =>
    `<?xml version="1.0"?><MTConnectStreams xmlns="urn:mtconnect.org:MTConnectStreams:2.0"><Header${creationTime === undefined ? '' : ` creationTime="${creationTime}"`} instanceId="9" bufferSize="100" nextSequence="8" firstSequence="1" lastSequence="7"/>` +
    `<Streams><DeviceStream name="Mill1" uuid="m1"><ComponentStream component="Linear" name="X" componentId="x"><Samples><Position dataItemId="Xact" name="Xact" sequence="7" timestamp="${timestamp}">12.5</Position></Samples></ComponentStream></DeviceStream></Streams></MTConnectStreams>`;

  it('a header whose creationTime is empty, missing or not a time is stamped with the time it was read; the samples are built', () => {
    for (const bad of ['', 'not-a-time', '2026-13-45T99:00:00Z', undefined]) {
      const before = Date.now();
      const doc = parseStreams(streams(bad, '2026-01-05T08:00:00.000Z'));
      const at = Date.parse(doc.header.creationTime);
      expect(at, String(bad)).toBeGreaterThanOrEqual(before - 1);
      expect(at).toBeLessThanOrEqual(Date.now());
      const sample = toTagSample(doc.observations[0]!, doc.header, undefined);
      expect(sampleProblems(sample)).toEqual([]);
      expect(sample).toMatchObject({ tag: 'Xact', value: 12.5, quality: 'good', sourceTimestamp: '2026-01-05T08:00:00.000Z', serverTimestamp: new Date(at).toISOString() });
    }
    expect(parseStreams(streams('2026-01-05T08:00:01Z', 'x')).header.creationTime).toBe('2026-01-05T08:00:01Z');
  });

  it('an observation whose own timestamp does not parse takes the document\'s time, quality unchanged', () => {
    for (const bad of ['', 'soon', '  ']) {
      const doc = parseStreams(streams('2026-01-05T08:00:01Z', bad));
      const sample = toTagSample(doc.observations[0]!, doc.header, undefined);
      expect(sample, JSON.stringify(bad)).toMatchObject({ value: 12.5, quality: 'good', sourceTimestamp: '2026-01-05T08:00:01.000Z', serverTimestamp: '2026-01-05T08:00:01.000Z' });
    }
  });

  it('the cursor moves a copy: the position stays until the copy is adopted (samples built)', () => {
    const doc = (next: number, seqs: number[]): ReturnType<typeof parseStreams> => ({
      header: { instanceId: '7', creationTime: '2026-01-01T00:00:00Z', bufferSize: 10, firstSequence: 1, nextSequence: next, lastSequence: next - 1 },
      observations: seqs.map((sequence) => ({ device: 'M', component: 'c', componentId: 'c', category: 'SAMPLE', type: 'Position', dataItemId: 'x', sequence, timestamp: '2026-01-01T00:00:00Z', value: '1', unavailable: false })),
    });
    const cursor = new SequenceCursor();
    const first = cursor.copy();
    first.start(doc(5, []));
    expect(cursor.started, 'not started until adopted').toBe(false);
    cursor.adopt(first);
    expect(cursor).toMatchObject({ instanceId: '7', next: 5 });
    const moved = cursor.copy();
    expect(moved.step(doc(8, [5, 6, 7]))).toMatchObject({ action: 'emit', observations: [{ sequence: 5 }, { sequence: 6 }, { sequence: 7 }] });
    // Building the samples failed: the position is unchanged and the same observations are asked for again.
    expect(cursor.next).toBe(5);
    expect(moved.next).toBe(8);
    cursor.adopt(moved);
    expect(cursor.next).toBe(8);
  });
});

describe('observations as Plantwire tag samples', () => {
  it('typed values, units, asset path, timestamps; every sample passes the SDK check', async () => {
    const model = await client.probe();
    const doc = await client.current();
    const samples = doc.observations.map((o) => toTagSample(o, doc.header, model, { assetPrefix: 'acme/hamburg/machining/' }));
    for (const s of samples) expect(sampleProblems(s)).toEqual([]);
    const by = new Map(samples.map((s) => [s.tag, s]));
    expect(by.get('Xact')).toMatchObject({ value: expect.any(Number), quality: 'good', unit: 'MILLIMETER', asset: 'acme/hamburg/machining/Mill1/Axes/X' });
    expect(by.get('SpindleSpeed')).toMatchObject({ value: expect.any(Number), unit: 'REVOLUTION/MINUTE' });
    expect(by.get('PartCount')?.value).toEqual(expect.any(Number));
    expect(by.get('Execution')?.value).toMatch(/^(ACTIVE|READY)$/);
    expect(by.get('program')?.value).toBe('O1001'); // an event stays text
    expect(by.get('system')?.value).toBe('NORMAL');
    // No name: the id is the tag.
    expect(by.get('Sload')).toMatchObject({ unit: 'PERCENT', asset: 'acme/hamburg/machining/Mill1/Axes/C' });
    const x = doc.observations.find((o) => o.dataItemId === 'Xact')!;
    expect(by.get('Xact')?.sourceTimestamp).toBe(new Date(x.timestamp).toISOString());
    expect(by.get('Xact')?.serverTimestamp).toBe(new Date(doc.header.creationTime).toISOString());
    expect(toTagSample(x, doc.header, model, { tagBy: 'id' }).tag).toBe('Xact');
  });

  it('UNAVAILABLE is quality bad with value null (conditions too)', async () => {
    const cursor = new SequenceCursor();
    cursor.start(await client.current());
    sim.setAvailable(false);
    const doc = await client.sample(cursor.next!, 100);
    const step = cursor.step(doc);
    if (step.action !== 'emit') throw new Error('expected emit');
    const samples = step.observations.map((o) => toTagSample(o, doc.header, undefined));
    expect(samples.length).toBe(11);
    for (const s of samples) expect(s).toMatchObject({ quality: 'bad', value: null });
    expect(samples.find((s) => s.tag === 'system')).toBeDefined();
    // Without /probe the asset is device/component.
    expect(samples.find((s) => s.tag === 'Xact')?.asset).toBe('Mill1/X');
  });
});

describe('limits and bad answers', () => {
  let bad: http.Server;
  let body = '';
  let status = 200;
  let url = '';
  beforeAll(async () => {
    bad = http.createServer((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(body);
    });
    await new Promise<void>((r) => bad.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(bad.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    bad.closeAllConnections();
    await new Promise((r) => bad.close(r));
  });

  it('an answer above the size limit is refused and the request aborted', async () => {
    const small = new AgentClient({ url: sim.url, timeoutMs: 2000, maxBytes: 2000 });
    try {
      await expect(small.current()).rejects.toThrow(/exceeds the limit of 2000 bytes; lower "count" or raise the limit/);
    } finally {
      small.close();
    }
  });

  it('not XML, not MTConnect, a DOCTYPE, a header without sequences: clear errors', async () => {
    const c = new AgentClient({ url, timeoutMs: 2000, maxBytes: 1024 * 1024 });
    try {
      body = '<html><body>proxy login</body></html>';
      await expect(c.current()).rejects.toThrow(/not an MTConnect document \(root element html\)/);
      body = '<MTConnectStreams><Header instanceId="1"';
      await expect(c.current()).rejects.toBeInstanceOf(DocumentError);
      body = '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><MTConnectStreams/>';
      await expect(c.current()).rejects.toThrow(/DOCTYPE/);
      body = '<MTConnectStreams><Header instanceId="1" bufferSize="10" nextSequence="x" firstSequence="1" lastSequence="2"/></MTConnectStreams>';
      await expect(c.current()).rejects.toThrow(/header attribute nextSequence must be a whole number, got "x"/);
      status = 500;
      body = 'oops';
      await expect(c.current()).rejects.toThrow(/HTTP 500/);
      status = 401;
      await expect(c.current()).rejects.toThrow(/check user and password/);
    } finally {
      status = 200;
      c.close();
    }
  });

  it('an unreachable agent and a bad URL say so', async () => {
    await sim.stop();
    try {
      await expect(client.current()).rejects.toThrow(/refused the connection \(not running\?\)/);
    } finally {
      client.retarget(await sim.start());
    }
    expect(() => agentUrl('ftp://x')).toThrow(/must start with http:\/\/ or https:\/\//);
    expect(() => agentUrl('not a url')).toThrow(/is not a URL/);
  });
});
