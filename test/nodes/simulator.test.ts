import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capture, catcher, statusOf } from '../helpers/flows';
import { sampleProblems } from '../../src/model/sample';
import { READER, startTestRuntime, type TestRuntime } from '../helpers/runtime';

const TAB = { id: 'tab1', type: 'tab', label: 'test' };

function sim(id: string, extra: Record<string, unknown>, wires: string[][] = [['cap']]) {
  return {
    id,
    type: 'plantwire-simulator',
    z: 'tab1',
    name: '',
    version: 1,
    source: 'bottling',
    lines: 1,
    signals: [],
    interval: 100,
    output: 'each',
    asset: 'acme/hh/bottling',
    autostart: true,
    seed: 1,
    x: 100,
    y: 100,
    wires,
    ...extra,
  };
}
const inject = (id: string, payload: string, target: string) => ({ id, type: 'inject', z: 'tab1', props: [{ p: 'payload' }], payload, payloadType: 'str', once: false, repeat: '', x: 50, y: 100, wires: [[target]] });

let rt: TestRuntime;
beforeAll(async () => {
  rt = await startTestRuntime();
});
afterAll(async () => {
  await rt?.stop();
});

async function injectNow(id: string): Promise<void> {
  const res = await rt.admin('POST', `/inject/${id}`);
  expect(res.status, `inject ${id}`).toBe(200);
}

describe('plantwire-simulator in a real Node-RED runtime', () => {
  it('emits valid tag samples, one per tag, with topic = tag and the asset path', async () => {
    await rt.deploy([TAB, sim('s1', {}), capture('cap')]);
    const got = await rt.waitFor('cap', 52);
    const tags = new Set(got.map((c) => c.msg.topic));
    expect(tags.size).toBe(26);
    for (const { msg } of got.slice(0, 26)) {
      expect(sampleProblems(msg.payload)).toEqual([]);
      expect(msg.topic).toBe(msg.payload.tag);
      expect(msg.payload.asset).toBe('acme/hh/bottling');
      expect(msg.payload.quality).toBe('good');
    }
    const temp = got.find((c) => c.msg.topic === 'Line1/Filler/ProductTemperature')!.msg.payload;
    expect(temp.unit).toBe('°C');
    expect(temp.value).toBeGreaterThanOrEqual(3.5);
    expect(temp.value).toBeLessThanOrEqual(6.5);
  });

  it('emits one batch per round in batch mode', async () => {
    await rt.deploy([TAB, sim('s2', { output: 'batch', lines: 2, name: 'plant' }), capture('cap')]);
    const [first] = await rt.waitFor('cap', 2);
    expect(first!.msg.topic).toBe('plant');
    expect(Array.isArray(first!.msg.payload)).toBe(true);
    expect(first!.msg.payload).toHaveLength(52);
    expect(first!.msg.payload.flatMap((s: unknown, i: number) => sampleProblems(s, `payload[${i}]`))).toEqual([]);
  });

  it('obeys stop, start and emit commands', async () => {
    await rt.deploy([
      TAB,
      sim('s3', { output: 'batch', autostart: false, interval: 100 }),
      inject('i-start', 'start', 's3'),
      inject('i-stop', 'stop', 's3'),
      inject('i-emit', 'emit', 's3'),
      capture('cap'),
    ]);
    await new Promise((r) => setTimeout(r, 400));
    expect(rt.captured('cap'), 'autostart off: nothing until started').toHaveLength(0);
    await injectNow('i-emit');
    await rt.waitFor('cap', 1);
    expect(rt.captured('cap')).toHaveLength(1);
    await injectNow('i-start');
    await rt.waitFor('cap', 4);
    await injectNow('i-stop');
    await new Promise((r) => setTimeout(r, 250));
    const afterStop = rt.captured('cap').length;
    await new Promise((r) => setTimeout(r, 400));
    expect(rt.captured('cap').length, 'no samples after stop').toBe(afterStop);
  });

  it('rejects an unknown command with an error a Catch node receives, once, and a red status', async () => {
    await rt.deploy([
      TAB,
      sim('s4', { output: 'batch', autostart: false }),
      inject('i-bad', 'explode', 's4'),
      catcher('c4', ['s4'], 'errs'),
      statusOf('st4', ['s4'], 'status'),
      capture('errs'),
      capture('status'),
    ]);
    await injectNow('i-bad');
    const [err] = await rt.waitFor('errs', 1);
    expect(err!.msg.error.message).toMatch(/unknown command "explode": send msg.payload "start", "stop" or "emit"/);
    expect(err!.msg.error.source.id).toBe('s4');
    const statuses = await rt.waitFor('status', 1);
    expect(statuses.at(-1)!.msg.status).toMatchObject({ fill: 'red', shape: 'ring', text: 'unknown command' });
    await new Promise((r) => setTimeout(r, 200));
    expect(rt.captured('errs'), 'the error reaches Catch exactly once').toHaveLength(1);
  });

  it('a negative interval gives a clear error and red status; the runtime and other nodes keep running', async () => {
    await rt.deploy([
      TAB,
      sim('bad', { interval: -5 }, [['cap']]),
      sim('good', { output: 'batch' }, [['ok']]),
      statusOf('st', ['bad'], 'status'),
      catcher('c', ['bad'], 'errs'),
      capture('errs'),
      capture('cap'),
      capture('ok'),
      capture('status'),
    ]);
    await rt.waitFor('ok', 3);
    expect(rt.captured('cap'), 'the misconfigured simulator sends nothing').toHaveLength(0);
    // Caught by the Catch node, so Node-RED does not log it as well (the 'newer version' test checks the log path).
    const [status] = await rt.waitFor('status', 1);
    expect(status!.msg.status).toMatchObject({ fill: 'red', shape: 'ring', text: 'interval (ms) must be ≥ 50' });
    const [caught] = await rt.waitFor('errs', 1);
    expect(caught!.msg.error.message).toMatch(/interval \(ms\) must be at least 50/);
    const again = await rt.admin('GET', '/settings');
    expect(again.status, 'the runtime still answers').toBe(200);
  });

  it('a message sent to a misconfigured node is not lost silently: Catch receives why', async () => {
    await rt.deploy([TAB, sim('bad2', { interval: 'soon', autostart: false }), inject('i-b2', 'emit', 'bad2'), catcher('c2', ['bad2'], 'errs'), capture('errs')]);
    const [config] = await rt.waitFor('errs', 1);
    expect(config!.msg.error.message).toBe('configuration error: interval (ms) must be a number, got "soon"');
    await injectNow('i-b2');
    const errs = await rt.waitFor('errs', 2);
    expect(errs[1]!.msg.error.message).toBe('this node is not running because of a configuration error: interval (ms) must be a number, got "soon"');
  });

  it('asset path read per message (msg of the command, env for every round); a bad value is refused once with a red status', async () => {
    process.env.PW_TEST_SIM_ASSET = '/acme/env/line9/';
    const withSite = (id: string, site: string, siteType: string, target: string) => ({
      id,
      type: 'inject',
      z: 'tab1',
      props: [{ p: 'payload' }, { p: 'site', v: site, vt: siteType }],
      payload: 'emit',
      payloadType: 'str',
      once: false,
      repeat: '',
      x: 50,
      y: 100,
      wires: [[target]],
    });
    try {
      await rt.deploy([
        TAB,
        sim('sm', { output: 'batch', autostart: false, asset: 'site', assetType: 'msg', version: 2 }, [['cap']]),
        sim('se', { output: 'batch', autostart: false, asset: 'PW_TEST_SIM_ASSET', assetType: 'env', version: 2 }, [['cap2']]),
        withSite('i-site', 'acme/msg/line2', 'str', 'sm'),
        withSite('i-bad', '{"a":1}', 'json', 'sm'),
        inject('i-env', 'emit', 'se'),
        catcher('c', ['sm', 'se'], 'errs'),
        statusOf('st', ['sm'], 'status'),
        capture('errs'),
        capture('status'),
        capture('cap'),
        capture('cap2'),
      ]);
      await injectNow('i-site');
      const [m] = await rt.waitFor('cap', 1);
      expect(new Set(m!.msg.payload.map((x: { asset: string }) => x.asset))).toEqual(new Set(['acme/msg/line2']));
      await injectNow('i-env');
      const [e] = await rt.waitFor('cap2', 1);
      expect(new Set(e!.msg.payload.map((x: { asset: string }) => x.asset))).toEqual(new Set(['acme/env/line9']));
      await injectNow('i-bad');
      const [err] = await rt.waitFor('errs', 1);
      expect(err!.msg.error.message).toMatch(/asset path from msg.site must be text, got object/);
      await expect.poll(() => rt.captured('status').some((s) => s.msg.status.fill === 'red')).toBe(true);
      await new Promise((r) => setTimeout(r, 200));
      expect(rt.captured('errs'), 'the error reaches Catch exactly once').toHaveLength(1);
      expect(rt.captured('cap'), 'nothing sent for the refused message').toHaveLength(1);
    } finally {
      delete process.env.PW_TEST_SIM_ASSET;
    }
  });

  it('version 1 → 2: a flow saved with a plain asset path keeps it as fixed text', async () => {
    await rt.deploy([TAB, sim('v1', { output: 'batch', version: 1, asset: 'acme/old/line1' }), capture('cap')]);
    const [m] = await rt.waitFor('cap', 1);
    expect(m!.msg.payload[0].asset).toBe('acme/old/line1');
  });

  it('loads a flow saved before node versions existed (version missing = 1)', async () => {
    const legacy = sim('old', { output: 'batch' });
    delete (legacy as Record<string, unknown>).version;
    await rt.deploy([TAB, legacy, capture('cap')]);
    await rt.waitFor('cap', 1);
  });

  it('refuses a flow from a newer Plantwire with a clear message', async () => {
    await rt.deploy([TAB, sim('future', { version: 99 }), capture('cap')]);
    await new Promise((r) => setTimeout(r, 300));
    expect(rt.captured('cap')).toHaveLength(0);
    expect(rt.logs.find((l) => l.id === 'future' && l.level === 'error')?.msg).toMatch(/saved by a newer Plantwire.*update @plantwire\/node-red/);
  });
});

describe('plantwire-simulator admin route', () => {
  it('checks permissions, validates parameters and drives a deployed simulator', async () => {
    await rt.deploy([TAB, sim('s5', { output: 'batch', autostart: false }), capture('cap')]);
    const anon = await fetch(`${rt.url}/plantwire/simulator/s5/emit`, { method: 'POST' });
    expect(anon.status, 'no token: 401').toBe(401);
    const readerToken = await rt.token(READER);
    const reader = await fetch(`${rt.url}/plantwire/simulator/s5/emit`, { method: 'POST', headers: { authorization: `Bearer ${readerToken}` } });
    // Node-RED answers 401 (not 403) when a valid token lacks the permission.
    expect(reader.status, 'read-only user may not drive the simulator').toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    expect(rt.captured('cap'), 'refused requests emit nothing').toHaveLength(0);
    const ok = await rt.admin('POST', '/plantwire/simulator/s5/emit');
    expect(ok.status).toBe(200);
    await rt.waitFor('cap', 1);
    const unknown = await rt.admin<{ error: string }>('POST', '/plantwire/simulator/nope/emit');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/no deployed plantwire-simulator with id nope/);
    const badAction = await rt.admin<{ error: string }>('POST', '/plantwire/simulator/s5/explode');
    expect(badAction.status).toBe(400);
    const traversal = await rt.admin('POST', '/plantwire/simulator/..%2F..%2Fetc/emit');
    expect(traversal.status).toBe(400);
  });
});
