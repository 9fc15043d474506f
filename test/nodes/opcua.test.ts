/**
 * The OPC UA nodes in a real Node-RED runtime against the in-process plant
 * simulator: subscribe, read, write (scalars, arrays, structures), method
 * calls, browsing through the admin routes, bad configuration and bad input.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleProblems } from '../../src/model/sample';
import { startOpcUaPlant, type OpcUaPlant } from '../../src/sim/opcua-plant';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';
import { TAB, capture, catcher, endpoint, inject, injectNow, node, opcuaIn, statusOf, until } from '../helpers/opcua';

let rt: TestRuntime;
let plant: OpcUaPlant;
let tmp: string;
let url: string;

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'plantwire-opcua-nodes-'));
  plant = await startOpcUaPlant({ port: 0, lines: 2, updateMs: 200, pkiDir: path.join(tmp, 'server-pki') });
  url = plant.endpointUrl;
  rt = await startTestRuntime();
}, 60_000);

afterAll(async () => {
  await rt?.stop();
  await plant?.stop();
  if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
}, 30_000);

const EP = 'ep1';

describe('plantwire-opcua-in', () => {
  it('subscribes by browse path and NodeId and delivers valid tag samples per publish cycle', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      opcuaIn('in1', EP, [
        { browsePath: '/Objects/Plant/Line1/Filler/ProductTemperature' },
        { nodeId: 'ns=2;s=Line1/StateName', tag: 'Line1/StateName' },
        { nodeId: 'nsu=urn:plantwire:sim:plant;s=Line1/Filler/FillCount' },
      ]),
      capture('cap'),
    ]);
    const got = await rt.waitFor('cap', 3, 15_000);
    const samples = got.flatMap((c) => c.msg.payload as Array<Record<string, any>>);
    expect(got[0]!.msg.topic).toBe('opcua');
    expect(samples.flatMap((s, i) => sampleProblems(s, `sample[${i}]`))).toEqual([]);
    const byTag = new Map(samples.map((s) => [s.tag, s]));
    const temp = byTag.get('Plant/Line1/Filler/ProductTemperature');
    expect(temp, 'tag name derived from the browse path').toBeDefined();
    expect(temp!.quality).toBe('good');
    expect(temp!.statusCode).toBe(0);
    expect(temp!.unit, 'unit from EngineeringUnits').toBe('°C');
    expect(temp!.value).toBeGreaterThanOrEqual(3.5);
    expect(Date.parse(temp!.serverTimestamp)).toBeGreaterThan(0);
    expect(byTag.get('Line1/StateName')?.value).toMatch(/Running|Idle|Starved|Blocked|Fault|Maintenance/);
    expect(typeof byTag.get('nsu=urn:plantwire:sim:plant;s=Line1/Filler/FillCount')?.value).toBe('number');
    // Changes keep coming: the fill counter increases between batches.
    const counts = await until('two fill counts', () => {
      const all = rt.captured('cap').flatMap((c) => c.msg.payload as Array<Record<string, any>>).filter((s) => s.tag.endsWith('FillCount'));
      return all.length >= 2 ? all : undefined;
    });
    expect(counts.at(-1)!.value).toBeGreaterThan(counts[0]!.value);
  });

  it('sends one message per change in "each" mode and follows subscribe / unsubscribe messages', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      opcuaIn('in2', EP, [{ browsePath: '/Objects/Plant/Line1/Filler/FillCount', tag: 'fill' }], { output: 'each' }),
      inject('add', 'in2', '/Objects/Plant/Line2/Filler/FillCount', 'str', [['action', 'subscribe', 'str']]),
      inject('remove', 'in2', 'fill', 'str', [['action', 'unsubscribe', 'str']]),
      capture('cap'),
    ]);
    const first = await rt.waitFor('cap', 2);
    expect(first[0]!.msg.topic).toBe('fill');
    expect(first[0]!.msg.payload.tag).toBe('fill');
    await injectNow(rt, 'add');
    await until('a Line2 sample', () => rt.captured('cap').some((c) => c.msg.topic === 'Plant/Line2/Filler/FillCount'));
    await injectNow(rt, 'remove');
    // After the rebuild only Line2 arrives.
    await until('Line2 samples after unsubscribing fill', () => {
      const all = rt.captured('cap');
      const lastFill = all.map((c) => c.msg.topic).lastIndexOf('fill');
      return all.slice(lastFill + 1).filter((c) => c.msg.topic === 'Plant/Line2/Filler/FillCount').length >= 3;
    });
  });

  it('reports tags that cannot be subscribed (Catch, bad-quality sample, status) while the others work', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      opcuaIn('in3', EP, [{ nodeId: 'ns=2;s=Line1/Filler/FillCount', tag: 'ok' }, { nodeId: 'ns=2;s=Line1/NoSuchTag', tag: 'missing' }, { browsePath: '/Objects/Plant/Line7/Speed', tag: 'noLine7' }]),
      catcher('c3', ['in3'], 'errs'),
      statusOf('s3', ['in3'], 'status'),
      capture('cap'),
      capture('errs'),
      capture('status'),
    ]);
    const [err] = await rt.waitFor('errs', 1, 15_000);
    expect(err!.msg.error.message).toMatch(/2 of 3 tags could not be subscribed/);
    expect(err!.msg.error.message).toMatch(/missing: the server refused the item: BadNodeIdUnknown/);
    expect(err!.msg.error.message).toMatch(/noLine7: browse path \/Objects\/Plant\/Line7\/Speed: \/Objects\/Plant\/Line7 does not exist \(there: Line1, Line2\)/);
    const statuses = await until('the failed-tags status', () => rt.captured('status').find((s) => /2 of 3 tags failed/.test(s.msg.status.text)));
    expect(statuses.msg.status.fill).toBe('red');
    const samples = await until('good samples of the working tag', () => {
      const all = rt.captured('cap').flatMap((c) => c.msg.payload as Array<Record<string, any>>);
      return all.some((s) => s.tag === 'ok' && s.quality === 'good') ? all : undefined;
    });
    expect(samples.find((s) => s.tag === 'missing')).toMatchObject({ quality: 'bad', statusCode: 0x80340000, value: null });
  });

  it('applies an absolute deadband on the server, says which tags cannot take it, and delivers structures', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      // ProductTemperature moves within 3.5..6.5 °C: a 100 °C deadband lets only the first value through.
      opcuaIn('db', EP, [{ nodeId: 'ns=2;s=Line1/Filler/ProductTemperature', tag: 'temp' }, { nodeId: 'ns=2;s=Line1/Batch/Current', tag: 'batch' }], { deadbandType: 'absolute', deadbandValue: 100 }),
      opcuaIn('free', EP, [{ nodeId: 'ns=2;s=Line1/Filler/ProductTemperature', tag: 'temp' }], {}, [['cap2']]),
      capture('cap'),
      capture('cap2'),
    ]);
    const warned = await until('the deadband warning', () => rt.logs.find((l) => l.level === 'warn' && l.id === 'db' && /absolute deadband does not apply to 1 tag\(s\) \(batch\)/.test(l.msg)));
    expect(warned.msg).toMatch(/they report every change/);
    const batch = await until('the structure', () => rt.captured('cap').flatMap((c) => c.msg.payload as Array<Record<string, any>>).find((x) => x.tag === 'batch'));
    expect(batch.value).toEqual({ BatchId: expect.any(String), Volume: expect.any(Number), Good: expect.any(Number) });
    // Without deadband the temperature changes every 200 ms; with it, it stays at its first value.
    await until('several free-running temperature changes', () => rt.captured('cap2').flatMap((c) => c.msg.payload as unknown[]).length >= 6, 15_000);
    const filtered = rt.captured('cap').flatMap((c) => c.msg.payload as Array<Record<string, any>>).filter((x) => x.tag === 'temp');
    expect(filtered).toHaveLength(1);
  });

  it('a missing endpoint or a bad setting leaves the node inert with a red status naming the problem', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      opcuaIn('noep', '', [{ nodeId: 'ns=2;s=Line1/Speed' }]),
      opcuaIn('badpub', EP, [{ nodeId: 'ns=2;s=Line1/Speed' }], { publishingInterval: 'fast' }),
      opcuaIn('badtag', EP, ['Line1/Speed']),
      statusOf('st', ['noep', 'badpub', 'badtag'], 'status'),
      catcher('c', ['noep', 'badpub', 'badtag'], 'errs'),
      capture('status'),
      capture('errs'),
      capture('cap'),
    ]);
    const errs = await rt.waitFor('errs', 3);
    const text = errs.map((e) => e.msg.error.message).join('\n');
    expect(text).toMatch(/no OPC UA endpoint selected/);
    expect(text).toMatch(/publishing interval \(ms\) must be a number, got "fast"/);
    expect(text).toMatch(/"Line1\/Speed" is neither a NodeId .* nor a browse path/);
    const st = await rt.waitFor('status', 3);
    expect(st.every((s) => s.msg.status.fill === 'red')).toBe(true);
  });

  it('refuses an unknown action with an error a Catch node receives', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      opcuaIn('in4', EP, [{ nodeId: 'ns=2;s=Line1/Speed' }]),
      inject('bad', 'in4', 'ns=2;s=Line1/Speed', 'str', [['action', 'explode', 'str']]),
      catcher('c4', ['in4'], 'errs'),
      capture('errs'),
      capture('cap'),
    ]);
    await injectNow(rt, 'bad');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/msg.action must be "subscribe", "unsubscribe", "replace", "clear", got "explode"/);
  });
});

describe('plantwire-opcua-read / -write', () => {
  it('reads configured tags, msg.topic and msg.tags as tag samples', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      node('plantwire-opcua-read', 'r1', EP, { tags: [{ browsePath: '/Objects/Plant/Line1/Filler/TemperatureSetpoint', tag: 'sp' }, { nodeId: 'ns=2;s=Line1/State' }], output: 'batch' }),
      node('plantwire-opcua-read', 'r2', EP, { tags: [], output: 'each' }, [['cap2']]),
      inject('go1', 'r1', '', 'date'),
      inject('go2', 'r2', '', 'date', [['topic', 'ns=2;s=Line2/Speed', 'str']]),
      capture('cap'),
      capture('cap2'),
    ]);
    await injectNow(rt, 'go1');
    const [m] = await rt.waitFor('cap', 1);
    const samples = m!.msg.payload as Array<Record<string, any>>;
    expect(samples.flatMap((s, i) => sampleProblems(s, `payload[${i}]`))).toEqual([]);
    expect(samples.map((s) => s.tag)).toEqual(['sp', 'ns=2;s=Line1/State']);
    expect(samples[0]!.value).toBeTypeOf('number');
    await injectNow(rt, 'go2');
    const [m2] = await rt.waitFor('cap2', 1);
    expect(m2!.msg.topic).toBe('ns=2;s=Line2/Speed');
    expect(m2!.msg.payload.value).toBeGreaterThan(500);
  });

  it('writes with type conversion, refuses out-of-range and ill-typed values clearly, and reads back', async () => {
    const SP = 'ns=2;s=Line2/Filler/TemperatureSetpoint';
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      node('plantwire-opcua-write', 'w1', EP, { tags: [{ nodeId: SP, tag: 'setpoint' }] }, [['written']]),
      node('plantwire-opcua-read', 'r1', EP, { tags: [{ nodeId: SP, tag: 'setpoint' }], output: 'batch' }, [['cap']]),
      inject('set65', 'w1', '6.5', 'str', [['topic', 'setpoint', 'str']]),
      inject('set25', 'w1', 25, 'num'),
      inject('setabc', 'w1', 'abc', 'str', [['topic', SP, 'str']]),
      inject('read', 'r1', '', 'date'),
      catcher('c', ['w1'], 'errs'),
      capture('written'),
      capture('errs'),
      capture('cap'),
    ]);
    await injectNow(rt, 'set65');
    const [w] = await rt.waitFor('written', 1);
    expect(w!.msg.opcua.results).toEqual([{ tag: 'setpoint', nodeId: SP, statusCode: 0, status: 'Good', ok: true }]);
    await injectNow(rt, 'read');
    expect((await rt.waitFor('cap', 1))[0]!.msg.payload[0].value).toBe(6.5);

    await injectNow(rt, 'set25');
    const [refused] = await rt.waitFor('errs', 1);
    expect(refused!.msg.error.message).toMatch(/the server refused 1 of 1 write \(setpoint: BadOutOfRange \(0x803C0000\)\)/);
    await injectNow(rt, 'setabc');
    const errs = await rt.waitFor('errs', 2);
    // msg.topic names the NodeId of a listed tag: the row (and its name) is used.
    expect(errs[1]!.msg.error.message).toMatch(/write to setpoint \(Double\): "abc" cannot be written as Double: expected a number/);
    await injectNow(rt, 'read');
    const reads = await rt.waitFor('cap', 2);
    expect(reads[1]!.msg.payload[0].value, 'refused writes changed nothing').toBe(6.5);
    expect(rt.captured('written'), 'failed writes are not passed on').toHaveLength(1);
  });

  it('writes and reads a structure (BatchRecord) and a Double array, and refuses an incomplete structure', async () => {
    const BATCH = '/Objects/Plant/Line2/Batch/Current';
    const OFFSETS = 'ns=2;s=Line2/Filler/NozzleOffsets';
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      node('plantwire-opcua-write', 'w1', EP, { tags: [] }, [['written']]),
      node('plantwire-opcua-read', 'r1', EP, { tags: [{ browsePath: BATCH, tag: 'batch' }, { nodeId: OFFSETS, tag: 'offsets' }], output: 'batch' }, [['cap']]),
      inject('wbatch', 'w1', { BatchId: 'B-2042', Volume: 1234.5, Good: 77 }, 'json', [['topic', BATCH, 'str']]),
      inject('woffsets', 'w1', [0.5, -0.5, 1, -1, 2, -2, 0, 0.25], 'json', [['topic', OFFSETS, 'str']]),
      inject('wpartial', 'w1', { BatchId: 'B-1' }, 'json', [['topic', BATCH, 'str']]),
      inject('wunknown', 'w1', { BatchId: 'B-1', Volume: 1, Good: 0, Colour: 'red' }, 'json', [['topic', BATCH, 'str']]),
      inject('wscalar', 'w1', 3, 'num', [['topic', OFFSETS, 'str']]),
      inject('read', 'r1', '', 'date'),
      catcher('c', ['w1'], 'errs'),
      capture('written'),
      capture('errs'),
      capture('cap'),
    ]);
    await injectNow(rt, 'wbatch');
    await injectNow(rt, 'woffsets');
    await rt.waitFor('written', 2);
    await injectNow(rt, 'read');
    const [r] = await rt.waitFor('cap', 1);
    const [batch, offsets] = r!.msg.payload as Array<Record<string, any>>;
    expect(batch!.value).toEqual({ BatchId: 'B-2042', Volume: 1234.5, Good: 77 });
    expect(offsets!.value).toEqual([0.5, -0.5, 1, -1, 2, -2, 0, 0.25]);

    await injectNow(rt, 'wpartial');
    await injectNow(rt, 'wunknown');
    await injectNow(rt, 'wscalar');
    const errs = await rt.waitFor('errs', 3);
    const text = errs.map((e) => e.msg.error.message).join('\n');
    expect(text).toMatch(/BatchRecord is missing Volume, Good: send every field/);
    expect(text).toMatch(/BatchRecord has no field "Colour"; its fields are BatchId, Volume, Good/);
    expect(text).toMatch(/Double\[\] takes an array, got 3/);
    expect(rt.captured('written')).toHaveLength(2);
  });

  it('writes tag samples to their tags and refuses samples of bad quality', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      node('plantwire-opcua-write', 'w1', EP, { tags: [{ nodeId: 'ns=2;s=Line1/Filler/TemperatureSetpoint', tag: 'Line1/Setpoint' }] }, [['written']]),
      inject('good', 'w1', [{ tag: 'Line1/Setpoint', value: 5, quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' }, { tag: '/Objects/Plant/Line2/Filler/TemperatureSetpoint', value: 7, quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' }]),
      inject('bad', 'w1', { tag: 'Line1/Setpoint', value: 9, quality: 'bad', sourceTimestamp: '2026-01-01T00:00:00.000Z' }),
      inject('unknown', 'w1', { tag: 'Line9/Setpoint', value: 9, quality: 'good', sourceTimestamp: '2026-01-01T00:00:00.000Z' }),
      catcher('c', ['w1'], 'errs'),
      capture('written'),
      capture('errs'),
    ]);
    await injectNow(rt, 'good');
    const [w] = await rt.waitFor('written', 1);
    expect(w!.msg.opcua.results.map((r: { tag: string; ok: boolean }) => [r.tag, r.ok])).toEqual([
      ['Line1/Setpoint', true],
      ['Plant/Line2/Filler/TemperatureSetpoint', true],
    ]);
    await injectNow(rt, 'bad');
    await injectNow(rt, 'unknown');
    const errs = await rt.waitFor('errs', 2);
    expect(errs[0]!.msg.error.message).toMatch(/has quality bad: a value that is not good is not written/);
    expect(errs[1]!.msg.error.message).toMatch(/"Line9\/Setpoint" is not in the node's tag list/);
  });
});

describe('plantwire-opcua-method', () => {
  it('calls a method with typed arguments by name, in order, and refuses bad ones', async () => {
    await rt.deploy([
      TAB,
      endpoint(EP, url),
      node('plantwire-opcua-method', 'm1', EP, { objectId: '/Objects/Plant/Line1/Batch', methodId: '/Objects/Plant/Line1/Batch/StartBatch', args: '' }, [['cap']]),
      node('plantwire-opcua-method', 'm2', EP, { objectId: 'ns=2;s=Line1', methodId: 'ns=2;s=Line1/ResetCounters', args: '' }, [['cap2']]),
      node('plantwire-opcua-read', 'r1', EP, { tags: [{ nodeId: 'ns=2;s=Line1/Batch/Current' }], output: 'each' }, [['batch']]),
      inject('byName', 'm1', { BatchId: 'B-3001', Volume: '500' }),
      inject('inOrder', 'm1', ['B-3002', 750]),
      inject('tooFew', 'm1', ['B-3003']),
      inject('refused', 'm1', ['B-3004', -1]),
      inject('reset', 'm2', '', 'date'),
      inject('read', 'r1', '', 'date'),
      catcher('c', ['m1'], 'errs'),
      capture('cap'),
      capture('cap2'),
      capture('batch'),
      capture('errs'),
    ]);
    await injectNow(rt, 'byName');
    const [first] = await rt.waitFor('cap', 1);
    const n = first!.msg.payload.BatchNumber as number;
    expect(n).toBeGreaterThanOrEqual(1);
    expect(first!.msg.opcua).toMatchObject({ statusCode: 0, status: 'Good', outputArguments: [n] });
    await injectNow(rt, 'inOrder');
    const calls = await rt.waitFor('cap', 2);
    expect(calls[1]!.msg.payload).toEqual({ BatchNumber: n + 1 });
    await injectNow(rt, 'read');
    expect((await rt.waitFor('batch', 1))[0]!.msg.payload.value).toEqual({ BatchId: 'B-3002', Volume: 750, Good: 0 });

    await injectNow(rt, 'reset');
    expect((await rt.waitFor('cap2', 1))[0]!.msg.payload).toEqual({ CountersReset: 4 });

    await injectNow(rt, 'tooFew');
    await injectNow(rt, 'refused');
    const errs = await rt.waitFor('errs', 2);
    expect(errs[0]!.msg.error.message).toMatch(/takes 2 arguments \(BatchId, Volume\), got 1/);
    expect(errs[1]!.msg.error.message).toMatch(/was refused by the server: BadOutOfRange/);
  });
});

describe('browsing the address space (admin routes)', () => {
  it('browses a deployed endpoint with read permission, and with posted settings with write permission', async () => {
    await rt.deploy([TAB, endpoint(EP, url, { name: 'plant' })]);
    const q = `node=${encodeURIComponent('ns=2;s=Line1/Filler')}&path=${encodeURIComponent('/Objects/Plant/Line1/Filler')}`;
    const res = await rt.admin<{ items: Array<Record<string, any>>; browsePath: string }>('GET', `/plantwire/opcua/${EP}/browse?${q}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const byName = new Map(res.body.items.map((i) => [i.displayName, i]));
    expect(byName.get('ProductTemperature')).toMatchObject({
      nodeId: 'ns=2;s=Line1/Filler/ProductTemperature',
      nodeClass: 'Variable',
      dataType: 'Double',
      writable: false,
      browsePath: '/Objects/Plant/Line1/Filler/ProductTemperature',
    });
    expect(byName.get('TemperatureSetpoint')).toMatchObject({ writable: true, dataType: 'Double' });
    expect(byName.get('NozzleOffsets')).toMatchObject({ dataType: 'Double[]', writable: true });

    const root = await rt.admin<{ items: Array<Record<string, any>> }>('GET', `/plantwire/opcua/${EP}/browse`);
    expect(root.body.items.find((i) => i.displayName === 'Plant')).toMatchObject({ nodeClass: 'Object', hasChildren: true, browsePath: '/Objects/Plant' });

    // Read permission is enough to browse a deployed endpoint; no token is not.
    const readerToken = await rt.token(READER);
    const asReader = await fetch(`${rt.url}/plantwire/opcua/${EP}/browse?${q}`, { headers: { authorization: `Bearer ${readerToken}` } });
    expect(asReader.status).toBe(200);
    expect((await fetch(`${rt.url}/plantwire/opcua/${EP}/browse`)).status).toBe(401);

    // Not deployed yet: the dialog posts the settings (write permission).
    const body = { endpoint: { url, securityMode: 'None' }, node: 'ns=2;s=Line2/Batch', path: '/Objects/Plant/Line2/Batch' };
    const posted = await rt.admin<{ items: Array<Record<string, any>> }>('POST', '/plantwire/opcua/browse', body);
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    expect(posted.body.items.map((i) => [i.displayName, i.nodeClass, i.dataType ?? null])).toEqual(
      expect.arrayContaining([
        ['Current', 'Variable', 'BatchRecord'],
        ['StartBatch', 'Method', null],
      ]),
    );
    const readerPost = await fetch(`${rt.url}/plantwire/opcua/browse`, { method: 'POST', headers: { authorization: `Bearer ${readerToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(readerPost.status, 'a read-only user may not open connections').toBe(401);

    // Bad input is a clear 4xx.
    const badNode = await rt.admin<{ error: string }>('GET', `/plantwire/opcua/${EP}/browse?node=Line1`);
    expect(badNode.status).toBe(400);
    expect(badNode.body.error).toMatch(/node must be a NodeId/);
    const unknown = await rt.admin<{ error: string }>('GET', '/plantwire/opcua/nope/browse');
    expect(unknown.status).toBe(404);
    const missing = await rt.admin<{ error: string }>('GET', `/plantwire/opcua/${EP}/browse?node=${encodeURIComponent('ns=2;s=Nope')}`);
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatch(/does not exist on the server/);
  });
});
